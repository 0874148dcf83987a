//! The alert's `data` object, rebuilt from the decoded fields the way Wazuh rebuilds it:
//! static fields first in a fixed order, then dynamic fields in decode order with dotted names
//! nested again, arrays parsed back into JSON, empty values left out and the first of two
//! names that differ only in case kept.

use crate::event::{Event, StaticField};
use crate::json::{write_compact_prefix, write_string, JsonValue};

/// Static fields in the order they open `data`.
const STATIC_ORDER: [StaticField; 14] = [
    StaticField::Protocol,
    StaticField::Action,
    StaticField::SrcIp,
    StaticField::SrcPort,
    StaticField::SrcUser,
    StaticField::DstIp,
    StaticField::DstPort,
    StaticField::DstUser,
    StaticField::Id,
    StaticField::Status,
    StaticField::Url,
    StaticField::Data,
    StaticField::ExtraData,
    StaticField::SystemName,
];

/// The `data` object of one event as a tree that borrows names and values from the event,
/// so it can be printed without copying them.
#[derive(Debug, Default)]
pub struct DataTree<'a> {
    members: Vec<(&'a str, DataNode<'a>)>,
}

#[derive(Debug)]
enum DataNode<'a> {
    /// A static field value, always a JSON string.
    Static(&'a str),
    /// A dynamic field value: JSON when it starts with `[` and is valid JSON as a whole, else
    /// a string.
    Dynamic(&'a str),
    Object(Vec<(&'a str, DataNode<'a>)>),
}

impl<'a> DataTree<'a> {
    /// Builds the tree for `event`; empty when the event has no field.
    pub fn new(event: &'a Event) -> DataTree<'a> {
        let mut members = Vec::new();
        for field in STATIC_ORDER {
            if let Some(value) = event.static_field(field) {
                members.push((field.alert_name(), DataNode::Static(value)));
            }
        }
        let mut last_path = Vec::new();
        for (key, value) in event.fields() {
            if !value.is_empty() {
                add_node(&mut members, key, value, &mut last_path);
            }
        }
        DataTree { members }
    }

    /// Returns true when `data` has no member, so the alert leaves it out.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Appends the compact JSON text of the object to `out`.
    pub fn write(&self, out: &mut String) {
        write_members(&self.members, out);
    }

    /// Converts the tree to owned JSON members.
    pub fn to_members(&self) -> Vec<(String, JsonValue)> {
        members_to_json(&self.members)
    }
}

/// Builds the members of `data` for `event`; empty when the event has no field.
pub fn build_data(event: &Event) -> Vec<(String, JsonValue)> {
    DataTree::new(event).to_members()
}

/// Adds `key` = `value` to an object: the key is split at its first `.` into nested objects,
/// an existing key (compared ignoring ASCII case) is kept, a value that starts with `[` and is
/// entirely valid JSON is stored as JSON, and a path through an existing non-object is dropped.
pub fn add_field(object: &mut Vec<(String, JsonValue)>, key: &str, value: &str) {
    let mut members = Vec::new();
    add_node(&mut members, key, value, &mut Vec::new());
    let Some((name, node)) = members.pop() else {
        return;
    };
    if let Some((_, existing)) = object
        .iter_mut()
        .find(|(existing, _)| existing.eq_ignore_ascii_case(name))
    {
        if let (JsonValue::Object(child), Some((_, rest))) = (existing, key.split_once('.')) {
            add_field(child, rest, value);
        }
        return;
    }
    object.push((name.to_string(), node_to_json(&node)));
}

/// Adds `key` = `value` to `object` like [`add_field`] does. `last_path` carries the objects
/// the previous key went through (name and index at each depth). Decoded fields come in
/// document order, so consecutive keys usually share their first names, and a name equal to
/// the cached one at the same depth reuses its index instead of searching the members again.
/// The cache stays valid because members are only ever appended.
fn add_node<'a>(
    object: &mut Vec<(&'a str, DataNode<'a>)>,
    key: &'a str,
    value: &'a str,
    last_path: &mut Vec<(&'a str, usize)>,
) {
    let mut object = object;
    let mut rest = key;
    let mut depth = 0;
    while let Some(dot) = rest.bytes().position(|byte| byte == b'.') {
        let head = &rest[..dot];
        let index = match last_path.get(depth) {
            Some(&(name, index)) if name == head => index,
            _ => {
                last_path.truncate(depth);
                let index = find_or_add_object(object, head);
                last_path.push((head, index));
                index
            }
        };
        object = match &mut object[index].1 {
            DataNode::Object(child) => child,
            // A path through an existing value that is not an object is dropped.
            _ => return,
        };
        rest = &rest[dot + 1..];
        depth += 1;
    }
    if !object
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(rest))
    {
        object.push((rest, DataNode::Dynamic(value)));
    }
}

/// Returns the index of the first member named `name` ignoring ASCII case, adding an empty
/// object under that name when there is none.
fn find_or_add_object<'a>(object: &mut Vec<(&'a str, DataNode<'a>)>, name: &'a str) -> usize {
    match object
        .iter()
        .position(|(existing, _)| existing.eq_ignore_ascii_case(name))
    {
        Some(index) => index,
        None => {
            object.push((name, DataNode::Object(Vec::new())));
            object.len() - 1
        }
    }
}

fn write_members(members: &[(&str, DataNode<'_>)], out: &mut String) {
    out.push('{');
    for (index, (name, node)) in members.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        match node {
            DataNode::Static(value) => write_string(out, value),
            DataNode::Dynamic(value) => write_dynamic(value, out),
            DataNode::Object(children) => write_members(children, out),
        }
    }
    out.push('}');
}

/// Writes a dynamic value as JSON when it starts with `[` and parses whole, else as a string.
fn write_dynamic(value: &str, out: &mut String) {
    if value.starts_with('[') {
        let mark = out.len();
        match write_compact_prefix(value, out) {
            Some(end) if end == value.len() => return,
            Some(_) => out.truncate(mark),
            None => {
                if let Ok((parsed, end)) = JsonValue::parse_prefix_with_end(value) {
                    if end == value.len() {
                        parsed.write(out, None);
                        return;
                    }
                }
            }
        }
    }
    write_string(out, value);
}

fn members_to_json(members: &[(&str, DataNode<'_>)]) -> Vec<(String, JsonValue)> {
    members
        .iter()
        .map(|(name, node)| (name.to_string(), node_to_json(node)))
        .collect()
}

fn node_to_json(node: &DataNode<'_>) -> JsonValue {
    match node {
        DataNode::Static(value) => JsonValue::String(value.to_string()),
        DataNode::Dynamic(value) => parse_value(value),
        DataNode::Object(children) => JsonValue::Object(members_to_json(children)),
    }
}

fn parse_value(value: &str) -> JsonValue {
    if value.starts_with('[') {
        if let Ok((parsed, end)) = JsonValue::parse_prefix_with_end(value) {
            if end == value.len() {
                return parsed;
            }
        }
    }
    JsonValue::String(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_decoder::{decode_json, JsonOptions};
    use chrono::DateTime;

    fn data_of(line: &str) -> String {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new(line.into(), "stdin".into(), time);
        decode_json(&mut event, line, JsonOptions::default());
        JsonValue::Object(build_data(&event)).to_compact()
    }

    #[test]
    fn statics_first_then_nested() {
        assert_eq!(
            data_of(r#"{"a":{"b":1},"status":"OK","srcip":"1.1.1.1","protocol":"udp"}"#),
            r#"{"protocol":"udp","srcip":"1.1.1.1","status":"OK","a":{"b":"1"}}"#
        );
    }

    #[test]
    fn arrays_come_back_typed() {
        assert_eq!(
            data_of(r#"{"TTLs":[60.0,0.5],"o":[{"k":true}],"s":"[1,2]","t":"[x"}"#),
            r#"{"TTLs":[60,0.5],"o":[{"k":true}],"s":[1,2],"t":"[x"}"#
        );
    }

    #[test]
    fn empty_values_and_case_collisions() {
        assert_eq!(
            data_of(r#"{"e":"","Name":"a","name":"b","x":{"y":"1"},"x.y":"2"}"#),
            r#"{"Name":"a","x":{"y":"1"}}"#
        );
    }

    #[test]
    fn cached_paths_keep_first_names() {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new("{}".into(), "stdin".into(), time);
        let fields = [
            ("a.b", "1"),
            ("A.c", "2"),
            ("a.b.d", "3"),
            ("x.y", "4"),
            ("a.e", "5"),
            ("a.B", "6"),
        ];
        for (key, value) in fields {
            event.push_field(key, value);
        }
        let mut text = String::new();
        DataTree::new(&event).write(&mut text);
        assert_eq!(text, r#"{"a":{"b":"1","c":"2","e":"5"},"x":{"y":"4"}}"#);
    }

    #[test]
    fn scalar_prefix_drops_nested() {
        let mut object = Vec::new();
        add_field(&mut object, "user.email", "a@b");
        add_field(&mut object, "user.email.domain", "b");
        assert_eq!(
            JsonValue::Object(object).to_compact(),
            r#"{"user":{"email":"a@b"}}"#
        );
    }
}
