//! An ordered JSON value for the parts of an event that come from configuration: `fields`,
//! `tags`, `agent.*`, `host.*`, and whatever a processor changes.
//!
//! Objects keep insertion order, so the encoder writes configured keys in a stable order. The
//! path operations mirror libbeat's `MapStr`: dotted paths walk nested objects, a deep update
//! merges objects key by key, and the no-overwrite variant fills only missing keys.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json;

/// A JSON value whose objects keep their key order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in insertion order.
    Object(Map),
}

/// An object: keys in insertion order, each at most once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    /// Creates an empty object.
    pub fn new() -> Self {
        Map::default()
    }

    /// Returns the number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Reports whether the object has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// Returns the value under `key` for changing it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// Sets `key` to `value`, keeping the key's position when it already exists.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.entries.iter().position(|(name, _)| name == key)?;
        Some(self.entries.remove(index).1)
    }

    /// Iterates over the entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_str(), value))
    }

    /// Returns the value at a dotted `path` (`host.os.name`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let (head, rest) = split_path(path);
        let value = self.get(head)?;
        match (rest, value) {
            (None, value) => Some(value),
            (Some(rest), Value::Object(inner)) => inner.get_path(rest),
            (Some(_), _) => None,
        }
    }

    /// Removes the value at a dotted `path`; returns whether something was removed.
    pub fn remove_path(&mut self, path: &str) -> bool {
        let (head, rest) = split_path(path);
        match rest {
            None => self.remove(head).is_some(),
            Some(rest) => match self.get_mut(head) {
                Some(Value::Object(inner)) => inner.remove_path(rest),
                _ => false,
            },
        }
    }

    /// Merges `other` into this object: nested objects merge key by key, anything else is
    /// replaced by `other`'s value (libbeat's `DeepUpdate`).
    pub fn deep_update(&mut self, other: &Map) {
        for (key, value) in other.iter() {
            match (self.get_mut(key), value) {
                (Some(Value::Object(mine)), Value::Object(theirs)) => mine.deep_update(theirs),
                _ => self.insert(key, value.clone()),
            }
        }
    }

    /// Merges `other` into this object but keeps every value already present
    /// (libbeat's `DeepUpdateNoOverwrite`).
    pub fn deep_update_no_overwrite(&mut self, other: &Map) {
        for (key, value) in other.iter() {
            match (self.get_mut(key), value) {
                (Some(Value::Object(mine)), Value::Object(theirs)) => {
                    mine.deep_update_no_overwrite(theirs);
                }
                (Some(_), _) => {}
                (None, _) => self.insert(key, value.clone()),
            }
        }
    }

    /// Turns keys with dots into nested objects (`a.b: 1` becomes `a: {b: 1}`), as Beats'
    /// configuration loader does with every key.
    pub fn expand_dotted_keys(self) -> Map {
        let mut expanded = Map::new();
        for (key, value) in self.entries {
            let value = value.expand_dotted_keys();
            let segments: Vec<&str> = key.split('.').collect();
            let mut nested = value;
            for segment in segments[1..].iter().rev() {
                let mut wrapper = Map::new();
                wrapper.insert(*segment, nested);
                nested = Value::Object(wrapper);
            }
            let mut single = Map::new();
            single.insert(segments[0], nested);
            expanded.deep_update(&single);
        }
        expanded
    }

    /// Appends the object as JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut object = json::ObjectWriter::new(out);
        for (key, value) in self.iter() {
            value.write_json(object.key(key));
        }
        object.end();
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut map = Map::new();
        for (key, value) in iter {
            map.insert(key, value);
        }
        map
    }
}

/// Splits `a.b.c` into `a` and `Some("b.c")`.
fn split_path(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    }
}

impl Value {
    /// Creates a string value.
    pub fn str(text: impl Into<String>) -> Self {
        Value::Str(text.into())
    }

    /// Creates an array of strings.
    pub fn str_array<S: AsRef<str>>(items: &[S]) -> Self {
        Value::Array(items.iter().map(|item| Value::str(item.as_ref())).collect())
    }

    /// Expands dotted keys in every object inside the value; see [`Map::expand_dotted_keys`].
    pub fn expand_dotted_keys(self) -> Value {
        match self {
            Value::Object(map) => Value::Object(map.expand_dotted_keys()),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::expand_dotted_keys).collect())
            }
            other => other,
        }
    }

    /// Returns the string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// Returns the boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// Returns the object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Returns the value at a dotted `path` inside an object value.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        self.as_object()?.get_path(path)
    }

    /// Appends the value as JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(value) => json::write_bool(out, *value),
            Value::Int(value) => json::write_i64(out, *value),
            Value::UInt(value) => json::write_u64(out, *value),
            Value::Float(value) => write_float(out, *value),
            Value::Str(text) => json::write_str(out, text),
            Value::Array(items) => {
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Value::Object(map) => map.write_json(out),
        }
    }
}

/// Writes a float as serde_json does; JSON has no NaN or infinity, so those become `null`.
fn write_float(out: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        // Writing a finite f64 into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &value);
    } else {
        out.extend_from_slice(b"null");
    }
}

impl From<&serde_json::Value> for Value {
    fn from(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => number_value(number),
            serde_json::Value::String(text) => Value::Str(text.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), Value::from(value)))
                    .collect(),
            ),
        }
    }
}

fn number_value(number: &serde_json::Number) -> Value {
    if let Some(signed) = number.as_i64() {
        Value::Int(signed)
    } else if let Some(unsigned) = number.as_u64() {
        Value::UInt(unsigned)
    } else {
        Value::Float(number.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(i64::try_from(value).map_or(Value::UInt(value), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Value::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::str(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some((key, value)) = access.next_entry::<String, Value>()? {
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Map {
        match serde_json::from_str::<Value>(text).expect("valid JSON") {
            Value::Object(map) => map,
            other => panic!("expected an object, got {other:?}"),
        }
    }

    fn render(map: &Map) -> String {
        let mut out = Vec::new();
        map.write_json(&mut out);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    #[test]
    fn parse_keeps_key_order() {
        let text = r#"{"z":1,"a":{"y":[true,null,"s"],"b":-2},"m":1.5,"u":18446744073709551615}"#;
        assert_eq!(render(&parse(text)), text);
    }

    #[test]
    fn deep_update_merges_objects() {
        let mut base = parse(r#"{"a":{"x":1,"y":2},"b":1}"#);
        base.deep_update(&parse(r#"{"a":{"y":3,"z":4},"b":{"c":1}}"#));
        assert_eq!(render(&base), r#"{"a":{"x":1,"y":3,"z":4},"b":{"c":1}}"#);
    }

    #[test]
    fn deep_update_no_overwrite_fills_gaps() {
        let mut base = parse(r#"{"host":{"name":"mine"},"agent":"x"}"#);
        base.deep_update_no_overwrite(&parse(
            r#"{"host":{"name":"builtin","id":"1"},"agent":{"type":"t"},"ecs":{"version":"1"}}"#,
        ));
        assert_eq!(
            render(&base),
            r#"{"host":{"name":"mine","id":"1"},"agent":"x","ecs":{"version":"1"}}"#
        );
    }

    #[test]
    fn remove_path_nested() {
        let mut base = parse(r#"{"host":{"os":{"name":"x","kernel":"k"},"ip":[]}}"#);
        assert!(base.remove_path("host.os.name"));
        assert!(!base.remove_path("host.os.name"));
        assert!(!base.remove_path("host.ip.x"));
        assert_eq!(render(&base), r#"{"host":{"os":{"kernel":"k"},"ip":[]}}"#);
        assert!(base.remove_path("host"));
        assert!(base.is_empty());
    }

    #[test]
    fn dotted_keys_expand() {
        let map = parse(r#"{"a.b":1,"a.c":{"d.e":2},"f":[{"g.h":3}]}"#).expand_dotted_keys();
        assert_eq!(
            render(&map),
            r#"{"a":{"b":1,"c":{"d":{"e":2}}},"f":[{"g":{"h":3}}]}"#
        );
        assert_eq!(map.get_path("a.c.d.e"), Some(&Value::Int(2)));
    }

    #[test]
    fn float_non_finite_is_null() {
        let mut out = Vec::new();
        Value::Float(f64::NAN).write_json(&mut out);
        assert_eq!(out, b"null");
    }
}
