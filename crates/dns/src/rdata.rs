//! Rendered record data: the `data` string and the extra per-type keys of one answer map.

/// A JSON scalar in a rendered record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// JSON string. Packetbeat emits several numbers as strings (DNSSEC fields), and they
    /// stay strings here.
    Str(String),
    /// JSON integer (MX preference, SOA timers, SRV priority/weight/port).
    Int(u64),
    /// JSON boolean.
    Bool(bool),
}

/// A rendered record's data, with the key set Packetbeat puts into an answer map besides
/// `name`, `type`, `class` and `ttl`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rdata {
    /// The `data` key: always a string.
    pub data: String,
    /// The other keys in a fixed order per record type (the order Packetbeat's code adds
    /// them), each with its JSON type. Empty for most types.
    pub extra: Vec<(&'static str, FieldValue)>,
}

impl Rdata {
    /// Creates record data with no extra keys.
    pub fn plain(data: String) -> Self {
        Rdata {
            data,
            extra: Vec::new(),
        }
    }

    /// Returns the extra key `key`, if present.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.extra
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }
}
