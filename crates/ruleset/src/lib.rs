//! Loading of Wazuh 4.x rules, decoders and CDB lists, and Wazuh's three
//! match engines (OS_Regex, OS_Match and PCRE2).
//!
//! The crate turns a ruleset folder (`rules/`, `decoders/`, `lists/`) into
//! typed [`Rule`], [`Decoder`] and [`CdbList`] values. It does no evaluation
//! of events: the analysis crate builds the rule tree and runs it. Loading
//! reads files, but every parser behind it works on in-memory text and
//! returns typed errors.

pub mod cdb;
pub mod decoder;
pub mod decoder_parse;
pub mod error;
pub mod fuzzing;
pub mod ip;
pub mod matcher;
pub mod rule;
pub mod rule_parse;
pub mod ruleset;
pub mod schedule;
pub mod xml;

pub use cdb::{CdbList, ListLookup, LookupKind};
pub use decoder::{
    Decoder, DecoderOffset, DecoderType, JsonArrayStructure, JsonNullField, PluginDecoder,
    PluginKind,
};
pub use error::{LoadError, LoadErrorKind, SourceLocation};
pub use ip::{IpList, IpPattern};
pub use matcher::{FieldMatch, MatchKind, MatchSpan, Matcher, Pattern};
pub use rule::{Category, CompiledRule, CorrelationField, MitreRefs, Rule, RuleInfo, RuleOptions};
pub use ruleset::{LoadOptions, Ruleset};
pub use schedule::{TimeRange, WeekdaySet};
