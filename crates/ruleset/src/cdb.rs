//! CDB lists: Wazuh's `key:value` list files and the `<list>` lookups rules
//! make against them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::matcher::Pattern;

/// A loaded list: keys with (possibly empty) values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdbList {
    /// Path as rules name it (`etc/lists/malicious-ioc/malicious-ip`).
    pub name: String,
    /// Entries; for duplicate keys the first one wins, as in a CDB file.
    pub entries: HashMap<String, String>,
}

/// How a `<list>` lookup tests the field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LookupKind {
    /// `match_key` (default): the key exists.
    #[default]
    MatchKey,
    /// `not_match_key`: the key is absent.
    NotMatchKey,
    /// `match_key_value`: the key exists and `check_value` matches its value.
    MatchKeyValue,
    /// `address_match_key`: IP key, exact or by `.`-terminated prefix.
    AddressMatchKey,
    /// `not_address_match_key`.
    NotAddressMatchKey,
    /// `address_match_key_value`.
    AddressMatchKeyValue,
}

impl LookupKind {
    /// Parses a `lookup=` attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "match_key" => Some(Self::MatchKey),
            "not_match_key" => Some(Self::NotMatchKey),
            "match_key_value" => Some(Self::MatchKeyValue),
            "address_match_key" => Some(Self::AddressMatchKey),
            "not_address_match_key" => Some(Self::NotAddressMatchKey),
            "address_match_key_value" => Some(Self::AddressMatchKeyValue),
            _ => None,
        }
    }
}

/// A rule's `<list field="..." lookup="..." check_value="...">path</list>`.
#[derive(Debug, Clone)]
pub struct ListLookup {
    /// Field whose value is looked up (static or dynamic name).
    pub field: String,
    /// Lookup kind.
    pub lookup: LookupKind,
    /// List path as written in the rule.
    pub path: String,
    /// `check_value` pattern (OS_Match) for the `*_value` lookups.
    pub check_value: Option<Arc<Pattern>>,
    /// The list, resolved at load time.
    pub list: Arc<CdbList>,
}
