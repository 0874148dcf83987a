//! [`Decoder`]: one `<decoder>` element of a Wazuh decoder file.

use crate::error::SourceLocation;
use crate::matcher::FieldMatch;
use crate::rule::Category;

/// A loaded decoder.
///
/// Decoders sharing a name and parent are siblings: Wazuh runs them in
/// sequence and accumulates their fields.
#[derive(Debug, Default)]
pub struct Decoder {
    /// `name` attribute.
    pub name: String,
    /// `status` attribute, when present (informational).
    pub status: Option<String>,
    /// File and line of the `<decoder>` tag.
    pub source: SourceLocation,
    /// `<parent>` decoder name.
    pub parent: Option<String>,
    /// `<program_name>` (OS_Match by default).
    pub program_name: Option<FieldMatch>,
    /// `<prematch>` (OS_Regex by default).
    pub prematch: Option<FieldMatch>,
    /// `<prematch offset=...>`.
    pub prematch_offset: DecoderOffset,
    /// `<regex>` (OS_Regex by default); its groups fill `order`.
    pub regex: Option<FieldMatch>,
    /// `<regex offset=...>`.
    pub regex_offset: DecoderOffset,
    /// `<order>` field names, in capture group order.
    pub order: Vec<String>,
    /// `<type>`: the event category, `syslog` by default.
    pub decoder_type: DecoderType,
    /// `<fts>` field names (first-time-seen, not evaluated by dnstel).
    pub fts: Vec<String>,
    /// `<ftscomment>`.
    pub ftscomment: Option<String>,
    /// `<accumulate>` (not evaluated by dnstel).
    pub accumulate: bool,
    /// `<use_own_name>true</use_own_name>`: a child decoder reports its own
    /// name instead of its parent's.
    pub use_own_name: bool,
    /// `<plugin_decoder>`.
    pub plugin: Option<PluginDecoder>,
    /// `<json_null_field>`.
    pub json_null_field: JsonNullField,
    /// `<json_array_structure>`.
    pub json_array_structure: JsonArrayStructure,
}

impl Decoder {
    /// Returns the name alerts and `decoded_as` use: the parent's name for a
    /// child decoder unless `use_own_name` is set.
    pub fn reported_name(&self) -> &str {
        match &self.parent {
            Some(parent) if !self.use_own_name => parent,
            _ => &self.name,
        }
    }
}

/// Decoder categories are the rule categories.
pub type DecoderType = Category;

/// Start position of a decoder pattern in the log (`offset=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecoderOffset {
    /// From the start of the log.
    #[default]
    Start,
    /// After the text the parent decoder consumed.
    AfterParent,
    /// After the prematch.
    AfterPrematch,
    /// After the previous sibling's regex.
    AfterRegex,
}

impl DecoderOffset {
    /// Parses an `offset=` attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "after_parent" => Some(Self::AfterParent),
            "after_prematch" => Some(Self::AfterPrematch),
            "after_regex" => Some(Self::AfterRegex),
            _ => None,
        }
    }
}

/// `<plugin_decoder>` with its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginDecoder {
    /// The built-in decoder.
    pub kind: PluginKind,
    /// `offset=` attribute.
    pub offset: DecoderOffset,
}

/// Built-in plugin decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// `JSON_Decoder`.
    Json,
    /// `PF_Decoder` (not implemented by dnstel).
    Pf,
    /// `SymantecWS_Decoder` (not implemented by dnstel).
    SymantecWs,
    /// `SonicWall_Decoder` (not implemented by dnstel).
    SonicWall,
    /// `OSSECAlert_Decoder` (not implemented by dnstel).
    OssecAlert,
}

impl PluginKind {
    /// Parses a plugin name as Wazuh spells it.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "JSON_Decoder" => Some(Self::Json),
            "PF_Decoder" => Some(Self::Pf),
            "SymantecWS_Decoder" => Some(Self::SymantecWs),
            "SonicWall_Decoder" => Some(Self::SonicWall),
            "OSSECAlert_Decoder" => Some(Self::OssecAlert),
            _ => None,
        }
    }
}

/// `<json_null_field>`: what the JSON decoder does with `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonNullField {
    /// Store the string `"null"` (default; `empty` is a deprecated alias).
    #[default]
    String,
    /// Drop the field.
    Discard,
}

/// `<json_array_structure>`: how the JSON decoder stores arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonArrayStructure {
    /// The formatted JSON text of the array (default).
    #[default]
    Array,
    /// Scalars joined with `,`.
    Csv,
}
