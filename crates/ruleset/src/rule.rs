//! [`Rule`]: one `<rule>` element of a Wazuh rule file, with every option the
//! default ruleset uses as a typed field.

use crate::cdb::ListLookup;
use crate::error::SourceLocation;
use crate::ip::IpList;
use crate::matcher::{FieldMatch, OsMatch, Pattern};
use crate::schedule::{TimeRange, WeekdaySet};

/// Highest rule level Wazuh accepts.
pub const MAX_LEVEL: u8 = 16;

/// A loaded rule.
///
/// Several elements of the same option (`<match>`, `<regex>`, `<url>`...)
/// are concatenated into one pattern before compiling, as Wazuh does.
#[derive(Debug, Default)]
pub struct Rule {
    /// Rule id, 1..=999999. Ids below 10 are the category root rules.
    pub id: u32,
    /// Alert level, 0..=16.
    pub level: u8,
    /// File and line of the `<rule>` tag.
    pub source: SourceLocation,

    // Attributes.
    /// `maxsize`: the rule matches only events whose log is at least this
    /// many bytes long (Wazuh compares with `>=` despite the name).
    pub maxsize: Option<u32>,
    /// `frequency`: number of matching events (including the current one)
    /// needed within `timeframe`, 2..=9999.
    pub frequency: Option<u32>,
    /// `timeframe` in seconds.
    pub timeframe: Option<u32>,
    /// `ignore` attribute: seconds during which the rule does not fire again.
    pub ignore_secs: Option<u32>,
    /// `noalert="1"`: the rule never produces an alert, matching continues
    /// with the next sibling.
    pub noalert: bool,
    /// `overwrite="yes"`: replaces the earlier rule with the same id.
    pub overwrite: bool,
    /// `accuracy="0"`: the rule sorts after all others of its siblings.
    pub accuracy_zero: bool,

    // Event matching.
    /// `<decoded_as>`: decoder name (the parent's name for child decoders).
    pub decoded_as: Option<String>,
    /// `<category>`: chooses the root rule when no `if_*` parent is given.
    pub category: Option<Category>,
    /// `<match>` against the log (OS_Match by default).
    pub match_log: Option<FieldMatch>,
    /// `<regex>` against the log (OS_Regex by default).
    pub regex_log: Option<FieldMatch>,
    /// `<field name="...">`: dynamic field tests (OS_Regex by default), in
    /// rule order. All must match.
    pub fields: Vec<DynamicFieldMatch>,
    /// `<srcip>`: IP/CIDR list; several elements are OR-ed.
    pub srcip: Option<IpList>,
    /// `<dstip>`: IP/CIDR list.
    pub dstip: Option<IpList>,
    /// `<srcport>` (OS_Match by default).
    pub srcport: Option<FieldMatch>,
    /// `<dstport>`.
    pub dstport: Option<FieldMatch>,
    /// `<user>`: tested against dstuser, else srcuser.
    pub user: Option<FieldMatch>,
    /// `<url>`.
    pub url: Option<FieldMatch>,
    /// `<id>` (the event's static `id` field).
    pub event_id: Option<FieldMatch>,
    /// `<status>`.
    pub status: Option<FieldMatch>,
    /// `<action>`: exact string comparison by default.
    pub action: Option<FieldMatch>,
    /// `<hostname>` (the agent name for agent events).
    pub hostname: Option<FieldMatch>,
    /// `<program_name>`.
    pub program_name: Option<FieldMatch>,
    /// `<protocol>`.
    pub protocol: Option<FieldMatch>,
    /// `<system_name>`.
    pub system_name: Option<FieldMatch>,
    /// `<data>`.
    pub data: Option<FieldMatch>,
    /// `<extra_data>`.
    pub extra_data: Option<FieldMatch>,
    /// `<location>`: the full internal location string.
    pub location: Option<FieldMatch>,
    /// `<srcgeoip>`.
    pub srcgeoip: Option<FieldMatch>,
    /// `<dstgeoip>`.
    pub dstgeoip: Option<FieldMatch>,
    /// `<time>`: manager clock time window.
    pub time: Option<TimeRange>,
    /// `<weekday>`: manager clock weekdays.
    pub weekday: Option<WeekdaySet>,
    /// `<list>` lookups, all of which must succeed.
    pub lists: Vec<ListLookup>,
    /// `<compiled_rule>`: a named built-in check.
    pub compiled_rule: Option<CompiledRule>,

    // Tree placement.
    /// `<if_sid>` ids (also filled from `if_matched_sid`).
    pub if_sid: Vec<u32>,
    /// `<if_group>`: word match against other rules' group strings (also
    /// filled from `if_matched_group`).
    pub if_group: Option<OsMatch>,
    /// `<if_level>`: child of every rule with at least this level.
    pub if_level: Option<u8>,

    // Correlation.
    /// `<if_matched_sid>`: previous events that ended on this rule.
    pub if_matched_sid: Option<u32>,
    /// `<if_matched_group>`: previous events whose rule is in this group.
    pub if_matched_group: Option<OsMatch>,
    /// `<if_matched_regex>`: OS_Regex over previous events' logs.
    pub if_matched_regex: Option<Pattern>,
    /// `same_*` options: static fields that must equal the previous event's.
    pub same: Vec<CorrelationField>,
    /// `different_*`/`not_same_*` options: static fields that must differ.
    pub different: Vec<CorrelationField>,
    /// `<same_field>` dynamic field names that must exist and be equal.
    pub same_fields: Vec<String>,
    /// `<different_field>`/`<not_same_field>` dynamic field names.
    pub different_fields: Vec<String>,
    /// `<global_frequency>`: previous events of all agents count.
    pub global_frequency: bool,
    /// `<ignore>` element: field names whose value combination is remembered.
    pub ignore_fields: Vec<String>,
    /// `<check_if_ignored>` field names.
    pub check_if_ignored: Vec<String>,

    // Not evaluated by dnstel (loaded and flagged, see COMPATIBILITY.md).
    /// `<check_diff>`: fires when the log differs from the last one.
    pub check_diff: bool,
    /// `<if_fts>`: first-time-seen check, needs decoder `<fts>`.
    pub if_fts: bool,
    /// Names of options present on this rule that dnstel loads but does not
    /// evaluate (`check_diff`, `if_fts`, `srcgeoip`, `dstgeoip`).
    pub unevaluated: Vec<&'static str>,

    // Output.
    /// `<description>` text, `$(field)` placeholders kept raw.
    pub description: String,
    /// `<info>` entries.
    pub info: Vec<RuleInfo>,
    /// `<cve>`.
    pub cve: Option<String>,
    /// `<options>` flags.
    pub options: RuleOptions,
    /// Group string: the enclosing `<group name>` followed by the rule's own
    /// `<group>` elements, concatenated without separator as Wazuh does.
    pub group_string: String,
    /// Groups: `group_string` split on `,`, empty tokens dropped.
    pub groups: Vec<String>,
    /// `<mitre>` references.
    pub mitre: MitreRefs,
}

impl Rule {
    /// Returns true for the category root rules (ids below 10).
    pub fn is_root(&self) -> bool {
        self.id < 10
    }

    /// Returns true when the rule correlates with previous events.
    pub fn has_context(&self) -> bool {
        self.if_matched_sid.is_some()
            || self.if_matched_group.is_some()
            || self.if_matched_regex.is_some()
    }
}

/// A `<field name="...">` test.
#[derive(Debug)]
pub struct DynamicFieldMatch {
    /// Field name as written; Wazuh looks fields up case-insensitively.
    pub name: String,
    /// The pattern and negate flag.
    pub matcher: FieldMatch,
}

/// Rule and decoder categories (`<category>`, decoder `<type>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Category {
    /// `syslog`, the default; JSON events use it.
    #[default]
    Syslog,
    /// `firewall`.
    Firewall,
    /// `ids`.
    Ids,
    /// `web-log`.
    WebLog,
    /// `squid`.
    Squid,
    /// `windows`.
    Windows,
    /// `ossec`.
    Ossec,
    /// `host-information` (decoders only).
    HostInformation,
}

impl Category {
    /// Parses a category name as Wazuh spells it.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "syslog" => Some(Self::Syslog),
            "firewall" => Some(Self::Firewall),
            "ids" => Some(Self::Ids),
            "web-log" => Some(Self::WebLog),
            "squid" => Some(Self::Squid),
            "windows" => Some(Self::Windows),
            "ossec" => Some(Self::Ossec),
            "host-information" => Some(Self::HostInformation),
            _ => None,
        }
    }
}

/// Static event fields that `same_*`/`different_*` options compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrelationField {
    /// `srcip` (`same_source_ip`, `same_srcip`).
    SrcIp,
    /// `srcport` (`same_src_port`, `same_srcport`).
    SrcPort,
    /// `dstip`.
    DstIp,
    /// `dstport` (`same_dst_port`, `same_dstport`).
    DstPort,
    /// `protocol`.
    Protocol,
    /// `action`.
    Action,
    /// `id`.
    Id,
    /// `url`.
    Url,
    /// `data`.
    Data,
    /// `extra_data`.
    ExtraData,
    /// `status`.
    Status,
    /// `system_name`.
    SystemName,
    /// `srcgeoip`.
    SrcGeoip,
    /// `dstgeoip`.
    DstGeoip,
    /// `location`.
    Location,
    /// `srcuser`.
    SrcUser,
    /// `user` (dstuser).
    User,
    /// `same_agent`/`not_same_agent`: deprecated, only a warning in Wazuh.
    Agent,
}

/// `<options>` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleOptions {
    /// `alert_by_email`.
    pub alert_by_email: bool,
    /// `no_email_alert`.
    pub no_email_alert: bool,
    /// `log_alert`: log even below the alert level threshold.
    pub log_alert: bool,
    /// `no_log`: never write the alert.
    pub no_log: bool,
    /// `no_ar`: no active response.
    pub no_ar: bool,
    /// `no_full_log`: omit `full_log` from the alert.
    pub no_full_log: bool,
    /// `no_counter`: omit `firedtimes` from the alert.
    pub no_counter: bool,
}

impl RuleOptions {
    /// Sets the flag named `name`; returns false for an unknown name.
    pub fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "alert_by_email" => &mut self.alert_by_email,
            "no_email_alert" => &mut self.no_email_alert,
            "log_alert" => &mut self.log_alert,
            "no_log" => &mut self.no_log,
            "no_ar" => &mut self.no_ar,
            "no_full_log" => &mut self.no_full_log,
            "no_counter" => &mut self.no_counter,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// One `<info type="...">` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `text` (default), `link`, `cve` or `osvdb`.
    pub kind: String,
    /// Element content.
    pub text: String,
}

/// `<mitre>` references in either of Wazuh's two forms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MitreRefs {
    /// Technique ids from `<id>` (the older form), in rule order.
    pub ids: Vec<String>,
    /// `(tacticID, techniqueID)` pairs from the newer form.
    pub tactic_technique: Vec<(String, String)>,
}

impl MitreRefs {
    /// Returns true when the rule has no MITRE reference.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.tactic_technique.is_empty()
    }
}

/// `<compiled_rule>` built-in checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompiledRule {
    /// `comp_srcuser_dstuser`: srcuser differs from dstuser.
    CompSrcuserDstuser,
    /// `comp_mswin_targetuser_calleruser_diff`.
    CompMswinTargetuserCalleruserDiff,
    /// `check_id_size`.
    CheckIdSize,
    /// `is_simple_http_request`.
    IsSimpleHttpRequest,
    /// `is_valid_crawler`.
    IsValidCrawler,
}

impl CompiledRule {
    /// Parses a `<compiled_rule>` function name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "comp_srcuser_dstuser" => Some(Self::CompSrcuserDstuser),
            "comp_mswin_targetuser_calleruser_diff" => {
                Some(Self::CompMswinTargetuserCalleruserDiff)
            }
            "check_id_size" => Some(Self::CheckIdSize),
            "is_simple_http_request" => Some(Self::IsSimpleHttpRequest),
            "is_valid_crawler" => Some(Self::IsValidCrawler),
            _ => None,
        }
    }
}
