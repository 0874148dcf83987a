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

/// Lookup type of a `<list>` rule option.
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

impl CdbList {
    /// Parses the text form of a list: one `key:value` entry per line. A
    /// key in double quotes may contain `:`; a line without `:` is a key
    /// with an empty value; empty lines are skipped.
    pub fn parse(name: &str, text: &str) -> Self {
        let mut entries = HashMap::new();
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let (key, value) = split_entry(line);
            entries
                .entry(key.to_owned())
                .or_insert_with(|| value.to_owned());
        }
        Self {
            name: name.to_owned(),
            entries,
        }
    }

    /// Returns the value stored for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Looks `address` up as Wazuh's address lookups do: the exact key
    /// first, then every prefix of it that ends with `.` (longest first),
    /// so the key `192.168.` matches `192.168.4.2`.
    pub fn get_address(&self, address: &str) -> Option<&str> {
        if let Some(value) = self.get(address) {
            return Some(value);
        }
        (1..address.len())
            .rev()
            .filter(|&end| address.as_bytes()[end - 1] == b'.')
            .find_map(|end| self.get(&address[..end]))
    }
}

fn split_entry(line: &str) -> (&str, &str) {
    if let Some(rest) = line.strip_prefix('"') {
        if let Some(close) = rest.find('"') {
            let key = &rest[..close];
            let after = &rest[close + 1..];
            return (key, after.strip_prefix(':').unwrap_or(after));
        }
    }
    match line.split_once(':') {
        Some((key, value)) => (key, value),
        None => (line, ""),
    }
}

impl ListLookup {
    /// Tests a present field value. The evaluator fails the rule itself
    /// when the field is missing.
    pub fn matches(&self, value: &str) -> bool {
        let check = |stored: &str| {
            self.check_value
                .as_deref()
                .is_some_and(|pattern| crate::Matcher::is_match(pattern, stored))
        };
        match self.lookup {
            LookupKind::MatchKey => self.list.get(value).is_some(),
            LookupKind::NotMatchKey => self.list.get(value).is_none(),
            LookupKind::MatchKeyValue => self.list.get(value).is_some_and(check),
            LookupKind::AddressMatchKey => self.list.get_address(value).is_some(),
            LookupKind::NotAddressMatchKey => self.list.get_address(value).is_none(),
            // Wazuh 4.14 returns true here when the value does NOT match or
            // the key is absent; kept for compatibility.
            LookupKind::AddressMatchKeyValue => !self.list.get_address(value).is_some_and(check),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{MatchKind, Pattern};

    fn lookup(kind: LookupKind, check: Option<&str>) -> ListLookup {
        let list = CdbList::parse(
            "etc/lists/t",
            "10.1.:net\n192.168.1.5:host\n\"a:b\":quoted\nbad.example:malware\nplain\n",
        );
        ListLookup {
            field: "srcip".into(),
            lookup: kind,
            path: "etc/lists/t".into(),
            check_value: check
                .map(|c| Arc::new(Pattern::compile(MatchKind::OsMatch, c).expect("compiles"))),
            list: Arc::new(list),
        }
    }

    #[test]
    fn parse_quoted_and_bare_keys() {
        let list = lookup(LookupKind::MatchKey, None).list;
        assert_eq!(list.get("a:b"), Some("quoted"));
        assert_eq!(list.get("plain"), Some(""));
        assert_eq!(list.entries.len(), 5);
    }

    #[test]
    fn match_key_and_not_match_key() {
        assert!(lookup(LookupKind::MatchKey, None).matches("bad.example"));
        assert!(!lookup(LookupKind::MatchKey, None).matches("good.example"));
        assert!(lookup(LookupKind::NotMatchKey, None).matches("good.example"));
    }

    #[test]
    fn match_key_value_needs_check() {
        assert!(lookup(LookupKind::MatchKeyValue, Some("malware")).matches("bad.example"));
        assert!(!lookup(LookupKind::MatchKeyValue, Some("phish")).matches("bad.example"));
        assert!(!lookup(LookupKind::MatchKeyValue, None).matches("bad.example"));
    }

    #[test]
    fn address_prefix_keys() {
        assert!(lookup(LookupKind::AddressMatchKey, None).matches("10.1.2.3"));
        assert!(lookup(LookupKind::AddressMatchKey, None).matches("192.168.1.5"));
        assert!(!lookup(LookupKind::AddressMatchKey, None).matches("10.10.2.3"));
        assert!(lookup(LookupKind::NotAddressMatchKey, None).matches("11.1.2.3"));
    }

    #[test]
    fn address_key_value_inverted() {
        assert!(!lookup(LookupKind::AddressMatchKeyValue, Some("net")).matches("10.1.2.3"));
        assert!(lookup(LookupKind::AddressMatchKeyValue, Some("host")).matches("10.1.2.3"));
        assert!(lookup(LookupKind::AddressMatchKeyValue, Some("net")).matches("12.0.0.1"));
    }
}
