//! Wazuh's JSON decoder plugin: turns a JSON object into event fields.
//!
//! Nested objects become dot-joined names, scalars become strings (`true`, `false`, `null`,
//! `%i` for numbers equal to their saturated 32-bit `int`, else `%f`), arrays become their
//! cJSON formatted text (or a comma list in `csv` mode), and a fixed set of top-level keys fill
//! the static fields.

use crate::event::{Event, StaticField};
use crate::json::{format_decoder_number, JsonValue};

/// Longest array text kept in `csv` mode (Wazuh's `OS_MAXSTR`); longer arrays are dropped.
pub const MAX_CSV_ARRAY_LEN: usize = 65_536;

/// What the decoder does with JSON `null` (`<json_null_field>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NullMode {
    /// The field gets the text `null` (`string`, the default; the deprecated `empty` acts the same).
    #[default]
    String,
    /// The field is not created (`discard`).
    Discard,
}

/// How the decoder renders arrays (`<json_array_structure>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArrayMode {
    /// cJSON's formatted text of the whole array (`array`, the default).
    #[default]
    Array,
    /// Scalars joined by `,` with a trailing comma (`csv`).
    Csv,
}

/// Options of one JSON decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonOptions {
    /// Treatment of `null`.
    pub null_mode: NullMode,
    /// Treatment of arrays.
    pub array_mode: ArrayMode,
}

/// Result of running the JSON decoder on a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonDecodeOutcome {
    /// The text parsed; fields were added.
    Decoded,
    /// The text is not JSON; no field was added (Wazuh still reports the decoder name).
    Malformed,
}

/// Parses `input` as JSON and adds its fields to `event`.
pub fn decode_json(event: &mut Event, input: &str, options: JsonOptions) -> JsonDecodeOutcome {
    // Fields are collected first, because text that turns out not to be JSON adds none.
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut collect = |name: &str, value: JsonValue| {
        if let Some(text) = render_leaf(value, options) {
            fields.push((name.to_string(), text));
        }
    };
    match JsonValue::parse_prefix_flat(input, &mut collect) {
        Ok(_) => {
            for (key, value) in fields {
                fill(event, key, value);
            }
            JsonDecodeOutcome::Decoded
        }
        Err(_) => JsonDecodeOutcome::Malformed,
    }
}

/// Renders a member that is not an object as the field text, or `None` when it adds no field.
fn render_leaf(value: JsonValue, options: JsonOptions) -> Option<String> {
    match value {
        JsonValue::String(text) => Some(text),
        JsonValue::Number(number) => Some(format_decoder_number(number)),
        JsonValue::Bool(flag) => Some(flag.to_string()),
        JsonValue::Null => (options.null_mode == NullMode::String).then(|| "null".to_string()),
        JsonValue::Array(ref items) => render_array(items, &value, options.array_mode),
        // Objects are flattened by the parser and never reach here.
        JsonValue::Object(_) => None,
    }
}

fn render_array(items: &[JsonValue], whole: &JsonValue, mode: ArrayMode) -> Option<String> {
    match mode {
        ArrayMode::Array => Some(whole.to_pretty()),
        ArrayMode::Csv => {
            let mut text = String::new();
            for item in items {
                match item {
                    JsonValue::String(value) => text.push_str(value),
                    JsonValue::Number(number) => text.push_str(&format_decoder_number(*number)),
                    JsonValue::Null => text.push_str("null"),
                    JsonValue::Bool(flag) => text.push_str(if *flag { "true" } else { "false" }),
                    JsonValue::Array(_) | JsonValue::Object(_) => continue,
                }
                text.push(',');
                if text.len() >= MAX_CSV_ARRAY_LEN {
                    return None;
                }
            }
            (!text.is_empty()).then_some(text)
        }
    }
}

/// Stores one decoded key: exact static names fill their slot, everything else is dynamic.
fn fill(event: &mut Event, key: String, value: String) {
    if let Some(field) = StaticField::from_decoder_name(&key) {
        let user_taken = key == "user" && event.static_field(StaticField::DstUser).is_some();
        if !user_taken && key != "system_name" {
            event.set_static(field, value);
            return;
        }
    }
    event.push_field(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn decode(line: &str, options: JsonOptions) -> Event {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new(line.into(), "stdin".into(), time);
        decode_json(&mut event, line, options);
        event
    }

    fn fields(event: &Event) -> Vec<(&str, &str)> {
        event
            .fields()
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    #[test]
    fn nested_objects_join_with_dots() {
        let event = decode(
            r#"{"a":{"b":{"c":"x"},"d":{}},"id.orig_h":"y"}"#,
            JsonOptions::default(),
        );
        assert_eq!(fields(&event), vec![("a.b.c", "x"), ("id.orig_h", "y")]);
    }

    #[test]
    fn scalars_become_strings() {
        let event = decode(
            r#"{"t":true,"f":false,"n":null,"i":53,"big":2147483648,"r":0.5,"e":3e3}"#,
            JsonOptions::default(),
        );
        assert_eq!(
            fields(&event),
            vec![
                ("t", "true"),
                ("f", "false"),
                ("n", "null"),
                ("i", "53"),
                ("big", "2147483648.000000"),
                ("r", "0.500000"),
                ("e", "3000"),
            ]
        );
    }

    #[test]
    fn null_discard_skips_field() {
        let options = JsonOptions {
            null_mode: NullMode::Discard,
            ..JsonOptions::default()
        };
        let event = decode(r#"{"n":null,"x":"1"}"#, options);
        assert_eq!(fields(&event), vec![("x", "1")]);
    }

    #[test]
    fn arrays_use_cjson_layout() {
        let event = decode(
            r#"{"a":["x","y"],"t":[60.0,0.5],"o":[{"k":1}],"e":[]}"#,
            JsonOptions::default(),
        );
        assert_eq!(
            fields(&event),
            vec![
                ("a", r#"["x", "y"]"#),
                ("t", "[60, 0.5]"),
                ("o", "[{\n\t\t\"k\":\t1\n\t}]"),
                ("e", "[]"),
            ]
        );
    }

    #[test]
    fn arrays_csv_mode() {
        let options = JsonOptions {
            array_mode: ArrayMode::Csv,
            ..JsonOptions::default()
        };
        let event = decode(r#"{"a":["x",1,[2],null],"e":[]}"#, options);
        assert_eq!(fields(&event), vec![("a", "x,1,null,")]);
    }

    #[test]
    fn static_keys_fill_slots() {
        let event = decode(
            r#"{"status":"OK","srcip":"1.2.3.4","user":"bob","id":7,"url":"/x","dns":{"id":1}}"#,
            JsonOptions::default(),
        );
        assert_eq!(event.static_field(StaticField::Status), Some("OK"));
        assert_eq!(event.static_field(StaticField::SrcIp), Some("1.2.3.4"));
        assert_eq!(event.static_field(StaticField::DstUser), Some("bob"));
        assert_eq!(event.static_field(StaticField::Id), Some("7"));
        assert_eq!(event.static_field(StaticField::Url), Some("/x"));
        assert_eq!(fields(&event), vec![("dns.id", "1")]);
    }

    #[test]
    fn user_stays_dynamic_after_dstuser() {
        let event = decode(r#"{"dstuser":"a","user":"b"}"#, JsonOptions::default());
        assert_eq!(event.static_field(StaticField::DstUser), Some("a"));
        assert_eq!(fields(&event), vec![("user", "b")]);
    }

    #[test]
    fn malformed_json_adds_nothing() {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new("{\"a\":".into(), "stdin".into(), time);
        let outcome = decode_json(&mut event, "{\"a\":", JsonOptions::default());
        assert_eq!(outcome, JsonDecodeOutcome::Malformed);
        assert!(event.fields().is_empty());
    }
}
