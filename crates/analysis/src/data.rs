//! The alert's `data` object, rebuilt from the decoded fields the way Wazuh rebuilds it:
//! static fields first in a fixed order, then dynamic fields in decode order with dotted names
//! nested again, arrays parsed back into JSON, empty values left out and the first of two
//! names that differ only in case kept.

use crate::event::{DataField, Event, StaticField};
use crate::json::{find_byte, write_compact_prefix, write_string, JsonValue};

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

/// Appends the compact JSON text of `event`'s `data` object to `out` and returns true, or
/// returns false with `out` unchanged when the event has no field to show.
pub fn write_data(event: &Event, out: &mut String) -> bool {
    let start = out.len();
    if let Some(members) = event.data_members() {
        return write_data_with_members(event, members, out);
    }
    match write_data_in_order(event, out) {
        Some(has_members) => {
            if !has_members {
                out.truncate(start);
            }
            has_members
        }
        None => {
            out.truncate(start);
            let tree = DataTree::new(event);
            if tree.is_empty() {
                return false;
            }
            tree.write(out);
            true
        }
    }
}

/// Writes the `data` object from the static fields and `members`, the text of the dynamic
/// members that the JSON decoder wrote.
fn write_data_with_members(event: &Event, members: &str, out: &mut String) -> bool {
    let start = out.len();
    out.push('{');
    for field in STATIC_ORDER {
        if let Some(value) = event.static_field(field) {
            if out.len() > start + 1 {
                out.push(',');
            }
            write_plain_string(out, field.alert_name());
            out.push(':');
            write_string(out, value);
        }
    }
    if !members.is_empty() {
        if out.len() > start + 1 {
            out.push(',');
        }
        out.push_str(members);
    }
    if out.len() == start + 1 {
        out.truncate(start);
        return false;
    }
    out.push('}');
    true
}

/// Writes the `data` object straight from the fields in decode order, as long as that gives
/// what [`DataTree`] prints. That is the case while the members of each nested object come in one
/// run of fields and no object name repeats a name (ignoring ASCII case) of its parent.
/// Fields decoded from one JSON object without such repeats have that shape. Returns `None`
/// at the first field that breaks it, else whether `data` has a member.
fn write_data_in_order(event: &Event, out: &mut String) -> Option<bool> {
    let mut open = OpenObjects {
        names: Vec::with_capacity(64),
        ..OpenObjects::default()
    };
    out.push('{');
    for field in STATIC_ORDER {
        if let Some(value) = event.static_field(field) {
            let name = field.alert_name();
            open.member_key(name, name_bit(name), true, out);
            write_string(out, value);
        }
    }
    // The object part of the previous field name, with its final dot: the open objects.
    let mut open_prefix = "";
    for field in event.data_fields() {
        let key = field.name;
        if field.value.is_empty() {
            continue;
        }
        let common = common_prefix_len(key.as_bytes(), open_prefix.as_bytes());
        let mut name_start = open.close_unshared(common, out);
        while let Some(dot) = find_byte(key.as_bytes(), name_start, b'.') {
            let name = &key[name_start..dot];
            // A name taken by an earlier object, which the tree extends, or by a value, which
            // makes the tree drop the field, needs the tree.
            let bit = open.new_member_bit(name)?;
            open.member_key(name, bit, field.is_plain, out);
            open.open(dot, out);
            name_start = dot + 1;
        }
        open_prefix = &key[..name_start];
        let leaf = &key[name_start..];
        // A repeated leaf name is dropped, as the tree drops it.
        if let Some(bit) = open.new_member_bit(leaf) {
            open.member_key(leaf, bit, field.is_plain, out);
            write_field_value(&field, out);
        }
    }
    open.close_to(0, out);
    out.push('}');
    Some(!open.names.is_empty())
}

/// Appends the value of a dynamic field as `data` shows it.
pub(crate) fn write_field_value(field: &DataField<'_>, out: &mut String) {
    if !field.json.is_empty() {
        out.push_str(field.json);
    } else if field.is_plain && !field.value.starts_with('[') {
        write_plain_string(out, field.value);
    } else {
        write_dynamic(field.value, out);
    }
}

/// Returns the length of the longest common prefix of `left` and `right`.
fn common_prefix_len(left: &[u8], right: &[u8]) -> usize {
    let len = left.len().min(right.len());
    let mut index = 0;
    while index + 8 <= len {
        let left_word = u64::from_le_bytes(word_at(left, index));
        let right_word = u64::from_le_bytes(word_at(right, index));
        let differing = left_word ^ right_word;
        if differing != 0 {
            return index + (differing.trailing_zeros() / 8) as usize;
        }
        index += 8;
    }
    while index < len && left[index] == right[index] {
        index += 1;
    }
    index
}

fn word_at(bytes: &[u8], index: usize) -> [u8; 8] {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[index..index + 8]);
    word
}

/// The objects that [`write_data_in_order`] has open (the root first), and the member names
/// written so far in each of them.
#[derive(Default)]
struct OpenObjects<'a> {
    /// Member names of the open objects, outermost first.
    names: Vec<&'a str>,
    /// The open nested objects, outermost first.
    nested: Vec<NestedObject>,
    /// The [`name_bit`] set of the root.
    root_bits: u128,
}

/// One open nested object of [`OpenObjects`].
struct NestedObject {
    /// Where its member names start in [`OpenObjects::names`].
    names_start: usize,
    /// The [`name_bit`] set of its member names.
    bits: u128,
    /// The offset of the dot after its name in the field names that contain it.
    dot: usize,
}

impl<'a> OpenObjects<'a> {
    fn innermost(&mut self) -> (usize, &mut u128) {
        match self.nested.last_mut() {
            Some(object) => (object.names_start, &mut object.bits),
            None => (0, &mut self.root_bits),
        }
    }

    /// Returns the [`name_bit`] of `name`, or `None` when the innermost open object has a
    /// member named `name`, ignoring ASCII case.
    fn new_member_bit(&mut self, name: &str) -> Option<u128> {
        let (start, bits) = self.innermost();
        let bit = name_bit(name);
        if *bits & bit == 0 {
            return Some(bit);
        }
        let taken = self.names[start..]
            .iter()
            .any(|existing| existing.eq_ignore_ascii_case(name));
        (!taken).then_some(bit)
    }

    /// Writes the key of a new member of the innermost open object. `bit` is the name's
    /// [`name_bit`], and `is_plain` means that the name needs no escaping.
    fn member_key(&mut self, name: &'a str, bit: u128, is_plain: bool, out: &mut String) {
        let (start, bits) = self.innermost();
        *bits |= bit;
        if self.names.len() > start {
            out.push(',');
        }
        self.names.push(name);
        if is_plain {
            write_plain_string(out, name);
        } else {
            write_string(out, name);
        }
        out.push(':');
    }

    /// Opens an object as the value of the member just written. `dot` is the offset of the
    /// dot after its name in the field name.
    fn open(&mut self, dot: usize, out: &mut String) {
        out.push('{');
        self.nested.push(NestedObject {
            names_start: self.names.len(),
            bits: 0,
            dot,
        });
    }

    /// Closes the objects whose names are not within the first `common` bytes, which the
    /// next field name shares with the previous one. Returns where the next field name's
    /// first name in no open object starts.
    fn close_unshared(&mut self, common: usize, out: &mut String) -> usize {
        let shared = self
            .nested
            .iter()
            .take_while(|object| object.dot < common)
            .count();
        self.close_to(shared, out);
        self.nested.last().map_or(0, |object| object.dot + 1)
    }

    /// Closes nested objects until `depth` remain open.
    fn close_to(&mut self, depth: usize, out: &mut String) {
        while self.nested.len() > depth {
            out.push('}');
            if let Some(object) = self.nested.pop() {
                self.names.truncate(object.names_start);
            }
        }
    }
}

/// Appends `text`, which contains no character JSON escapes, as a JSON string.
pub(crate) fn write_plain_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    out.push_str(text);
    out.push('"');
}

/// Returns a bit of a 128-bit set that names equal ignoring ASCII case share, so most names
/// that differ are distinguished without comparing them. The bit depends on the length and
/// the first two and last bytes.
fn name_bit(name: &str) -> u128 {
    let bytes = name.as_bytes();
    let byte_at = |index: usize| u64::from(bytes.get(index).map_or(0, u8::to_ascii_lowercase));
    let last = bytes.len().saturating_sub(1);
    let key = (bytes.len() as u64) | byte_at(0) << 32 | byte_at(1) << 40 | byte_at(last) << 48;
    // Fibonacci hashing: the top seven bits of the product pick the bit.
    let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    1 << (hash >> 57)
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
pub(crate) fn write_dynamic(value: &str, out: &mut String) {
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

    /// Writes `data` for the fields of `line` both ways, checks they agree, and returns the
    /// text and whether the in-order writer handled it.
    fn write_both(line: &str) -> (String, bool) {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new(line.into(), "stdin".into(), time);
        decode_json(&mut event, line, JsonOptions::default());
        let mut tree_text = String::new();
        let tree = DataTree::new(&event);
        if !tree.is_empty() {
            tree.write(&mut tree_text);
        }
        let mut text = String::new();
        assert_eq!(write_data(&event, &mut text), !tree.is_empty(), "{line}");
        assert_eq!(text, tree_text, "{line}");
        let in_order = write_data_in_order(&event, &mut String::new()).is_some();
        (text, in_order)
    }

    #[test]
    fn in_order_writer_matches_tree() {
        let plain = [
            r#"{"a":{"b":{"c":"x"},"d":"y"},"e":[1,{"f":2}],"status":"OK","srcip":"1.1.1.1"}"#,
            r#"{"a":[1.0, {"b" : "\/"}],"c":[1e400],"d":["\u0001"],"e":[]}"#,
            r#"{"k\u0041":{"v":"x\"y","w":"z"},"c":"a\u0001b","d":"[1,2]","e":"tab\there"}"#,
            "{\"raw\u{1}\":{\"v\":\"a\u{1f}b\"},\"q\":\"\u{7f}\"}",
            r#"{"Status":"x","status":"OK","x":{"y":""},"z":"1"}"#,
            r#"{"a":{"b":"1"},"a.c":"2","q":{"":{"h":"3"}},".":"4"}"#,
            r#"{"system_name":"s","systemname":"t","user":"u","dstuser":"v","user":"w"}"#,
            r#"{"e":"","f":{"g":""}}"#,
            r#"{"a":"1","A":"2","b":{"c":"3","C":"4"}}"#,
            "{}",
        ];
        for line in plain {
            let (_, in_order) = write_both(line);
            assert!(in_order, "in order: {line}");
        }
        let reordered = [
            r#"{"a":{"b":"1"},"x":"2","a":{"c":"3"}}"#,
            r#"{"a":{"b":"1"},"A":{"c":"3"}}"#,
            r#"{"user":{"email":"a@b"},"user.email.domain":"b"}"#,
            r#"{"data":"d","Data":{"x":"1"}}"#,
            r#"{"a":{"b":"1"},"a":"2","a.c":"3"}"#,
        ];
        for line in reordered {
            let (_, in_order) = write_both(line);
            assert!(!in_order, "tree needed: {line}");
        }
    }

    #[test]
    fn common_prefix_each_position() {
        for position in 0..20 {
            let name = vec![b'a'; 21];
            let mut other = name.clone();
            other[position] = b'b';
            assert_eq!(common_prefix_len(&name, &other), position, "{position}");
            assert_eq!(common_prefix_len(&other[..position], &other), position);
        }
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
