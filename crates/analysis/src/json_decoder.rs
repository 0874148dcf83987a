//! Wazuh's JSON decoder plugin: turns a JSON object into event fields.
//!
//! Nested objects become dot-joined names, scalars become strings (`true`, `false`, `null`,
//! `%i` for numbers equal to their saturated 32-bit `int`, else `%f`), arrays become their
//! cJSON formatted text (or a comma list in `csv` mode), and a fixed set of top-level keys fill
//! the static fields.

use crate::compact_decoder::decode_compact;
use crate::data_members::{DataMembersBuilder, DataValue, MemberPlace};
use crate::event::{Event, StaticField};
use crate::json::{
    format_decoder_number, is_plain_int, parse_compact_flat, parse_prefix_flat,
    push_decoder_number, write_pretty_array, FlatLeaf, FlatMember, FlatSummary, FlatVisitor,
    JsonValue,
};

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
    Decoded {
        /// Whether the whole text is one object exactly as cJSON's compact printer prints it.
        is_compact_object: bool,
    },
    /// The text is not JSON; no field was added (Wazuh still reports the decoder name).
    Malformed,
    /// The text is not in cJSON's compact layout, and the caller asked to stop there; no
    /// field was added.
    Stopped,
}

/// Parses `input` as JSON and adds its fields to `event`.
pub fn decode_json(event: &mut Event, input: &str, options: JsonOptions) -> JsonDecodeOutcome {
    decode_json_stopping(event, input, options, false)
}

/// Does what [`decode_json`] does, but when `stops_unless_compact` is set, stops with
/// [`JsonDecodeOutcome::Stopped`] at the first text outside cJSON's compact layout.
pub(crate) fn decode_json_stopping(
    event: &mut Event,
    input: &str,
    options: JsonOptions,
    stops_unless_compact: bool,
) -> JsonDecodeOutcome {
    // The one-pass decoder takes the usual Packetbeat event and declines anything else.
    let writes_data = event.fields().len() == 0;
    if writes_data && options == JsonOptions::default() && decode_compact(event, input) {
        return JsonDecodeOutcome::Decoded {
            is_compact_object: true,
        };
    }
    decode_json_general(event, input, options, stops_unless_compact)
}

/// Does what [`decode_json_stopping`] does for any text, without the one-pass decoder.
pub(crate) fn decode_json_general(
    event: &mut Event,
    input: &str,
    options: JsonOptions,
    stops_unless_compact: bool,
) -> JsonDecodeOutcome {
    // Text that turns out not to be JSON adds no field, so dynamic fields added during the
    // parse are removed again on an error, and static fields are set only after it.
    let mark = event.field_mark();
    // The `data` members are written along only when they cover every dynamic field.
    let writes_data = event.fields().len() == 0;
    // Names get longer when flattened and arrays get longer when formatted. The field count
    // is an estimate: Packetbeat DNS events take about 25 bytes of JSON per field.
    event.reserve_fields(input.len() + input.len() / 2, input.len() / 24);
    let data = match writes_data {
        true => DataMembersBuilder::new(input, event.take_spare_data()),
        false => None,
    };
    let mut decoder = Decoder {
        event,
        statics: Vec::new(),
        options,
        data,
    };
    let parsed = match parse_compact_flat(input, &mut decoder) {
        Some(end) => Ok(FlatSummary {
            is_object: true,
            end,
            is_compact: true,
        }),
        None if stops_unless_compact => {
            decoder.event.truncate_fields(mark);
            return JsonDecodeOutcome::Stopped;
        }
        None => {
            // Start again with the general parser, which takes any JSON.
            decoder.event.truncate_fields(mark);
            decoder.statics.clear();
            decoder.data = match decoder.data.take() {
                Some(data) => DataMembersBuilder::new(input, data.into_buffer()),
                None => None,
            };
            parse_prefix_flat(input, &mut decoder)
        }
    };
    let Decoder {
        event,
        statics,
        data,
        ..
    } = decoder;
    match parsed {
        Ok(summary) => {
            for (field, value) in statics {
                event.set_static(field, value);
            }
            // The builder copies the input, which is right only for compact text.
            if let (true, Some(data)) = (summary.is_compact, data) {
                if let Some(members) = data.finish(summary.end) {
                    event.set_data_members(members);
                }
            }
            JsonDecodeOutcome::Decoded {
                is_compact_object: summary.is_compact && summary.end == input.len(),
            }
        }
        Err(_) => {
            event.truncate_fields(mark);
            JsonDecodeOutcome::Malformed
        }
    }
}

/// Turns the members that the flat parser reports into fields of `event`.
struct Decoder<'e, 't> {
    event: &'e mut Event,
    /// Static fields, set in order once the whole text parsed.
    statics: Vec<(StaticField, String)>,
    options: JsonOptions,
    data: Option<DataMembersBuilder<'t>>,
}

impl FlatVisitor for Decoder<'_, '_> {
    fn leaf(&mut self, member: &FlatMember<'_>, value: FlatLeaf<'_>, value_end: usize) {
        let is_plain = member.name_is_plain
            && match value {
                FlatLeaf::String { is_plain, .. } => is_plain,
                FlatLeaf::Number { .. } | FlatLeaf::Bool(_) | FlatLeaf::Null => true,
                // In `csv` mode the value joins the strings of the array.
                FlatLeaf::Array { .. } => false,
            };
        // Only top-level names can be static, because static names have no dot.
        let is_top_level = member.name.len() == member.key.len();
        let may_be_static = is_top_level && StaticField::from_decoder_name(member.name).is_some();
        // Members whose field text is at hand, which are most, skip the general way.
        let text = match value {
            _ if may_be_static => None,
            FlatLeaf::String { text, .. } => Some(text),
            FlatLeaf::Number { text, .. } if is_plain_int(text) => Some(text),
            FlatLeaf::Bool(flag) => Some(if flag { "true" } else { "false" }),
            FlatLeaf::Null if self.options.null_mode == NullMode::String => Some("null"),
            FlatLeaf::Number { .. } | FlatLeaf::Null | FlatLeaf::Array { .. } => None,
        };
        let added = match text {
            Some(text) => self.event.push_text_field(member.name, text, is_plain),
            None => fill(
                self.event,
                &mut self.statics,
                Member {
                    name: member.name,
                    is_top_level,
                    is_plain,
                },
                value,
                FillOptions {
                    decoder: self.options,
                    keeps_json: self.data.is_none(),
                },
            ),
        };
        let Some(data) = &mut self.data else {
            return;
        };
        let place = MemberPlace::of(member);
        // Static fields and empty values are not members of `data`.
        if !added || matches!(value, FlatLeaf::String { text: "", .. }) {
            data.leave_out(place, value_end);
            return;
        }
        let data_value = match value {
            // A string that starts with `[` can read as an array in `data`.
            FlatLeaf::String { text, is_plain } if is_plain && !text.starts_with('[') => {
                DataValue::AsWritten
            }
            FlatLeaf::String { text, .. } => DataValue::Dynamic(text),
            FlatLeaf::Number { text, value } => DataValue::Number { text, value },
            FlatLeaf::Bool(flag) => DataValue::Quoted(if flag { "true" } else { "false" }),
            FlatLeaf::Null => DataValue::Quoted("null"),
            FlatLeaf::Array { is_compact, .. } => {
                if is_compact && self.options.array_mode == ArrayMode::Array {
                    DataValue::AsWritten
                } else {
                    // In `csv` mode the field is the list of the array's strings.
                    let field = self.event.last_data_field();
                    DataValue::Dynamic(field.map_or("", |field| field.value))
                }
            }
        };
        data.leaf(place, data.key_of(member), data_value, value_end);
    }

    fn enter_object(&mut self, member: &FlatMember<'_>) {
        if let Some(data) = &mut self.data {
            data.enter_object(MemberPlace::of(member), data.key_of(member));
        }
    }

    fn leave_object(&mut self, end: usize) {
        if let Some(data) = &mut self.data {
            data.leave_object(end);
        }
    }
}

/// The name of a member that [`fill`] stores.
struct Member<'n> {
    name: &'n str,
    is_top_level: bool,
    /// True when the name and the value need no JSON escapes, with the meaning of
    /// [`DataField::is_plain`].
    ///
    /// [`DataField::is_plain`]: crate::event::DataField
    is_plain: bool,
}

/// The options that decide how [`fill`] stores a member.
struct FillOptions {
    decoder: JsonOptions,
    /// Whether a compact array keeps its text for the field-based `data` writers. The data
    /// builder has no need of it, and those writers print the array from its field value
    /// to the same text without it.
    keeps_json: bool,
}

/// Stores one decoded member: exact static names of top-level members go to `statics` (set
/// in order once the whole text parsed), everything else is a dynamic field of `event`.
/// Returns whether a dynamic field was added.
fn fill(
    event: &mut Event,
    statics: &mut Vec<(StaticField, String)>,
    member: Member<'_>,
    value: FlatLeaf<'_>,
    fill_options: FillOptions,
) -> bool {
    let Member {
        name,
        is_top_level,
        is_plain,
    } = member;
    let options = fill_options.decoder;
    let static_field = if is_top_level {
        StaticField::from_decoder_name(name)
    } else {
        None
    };
    if let Some(field) = static_field {
        let user_taken = name == "user"
            && (event.static_field(StaticField::DstUser).is_some()
                || statics.iter().any(|(set, _)| *set == StaticField::DstUser));
        if !user_taken && name != "system_name" {
            let mut text = String::new();
            if render_leaf(value, options, &mut text) {
                statics.push((field, text));
            }
            return false;
        }
    }
    // An array already in compact layout is what the alert's `data` shows for the field.
    let json = match value {
        FlatLeaf::Array {
            text,
            is_compact: true,
            ..
        } if options.array_mode == ArrayMode::Array && fill_options.keeps_json => text,
        _ => "",
    };
    event.push_field_with(name, json, is_plain, |text| {
        render_leaf(value, options, text)
    })
}

/// Appends the field text of a member that is not an object to `out`. Returns false when
/// the member adds no field.
fn render_leaf(value: FlatLeaf<'_>, options: JsonOptions, out: &mut String) -> bool {
    match value {
        FlatLeaf::String { text, .. } => out.push_str(text),
        FlatLeaf::Number { text, value } => push_decoder_number(out, text, value),
        FlatLeaf::Bool(flag) => out.push_str(if flag { "true" } else { "false" }),
        FlatLeaf::Null => {
            if options.null_mode == NullMode::Discard {
                return false;
            }
            out.push_str("null");
        }
        FlatLeaf::Array {
            pretty: Some(pretty),
            ..
        } if options.array_mode == ArrayMode::Array => out.push_str(pretty),
        FlatLeaf::Array {
            text, is_compact, ..
        } => return render_array(text, is_compact, options.array_mode, out),
    }
    true
}

/// Appends the field text of the array written as `text` to `out`, given whether the flat
/// parser found it compact. Returns false when it adds no field.
fn render_array(text: &str, is_compact: bool, mode: ArrayMode, out: &mut String) -> bool {
    if mode == ArrayMode::Array && write_pretty_array(text, is_compact, out) {
        return true;
    }
    // The flat parser reports only arrays it parsed, so this parse succeeds.
    let Ok(whole) = JsonValue::parse_prefix(text) else {
        return false;
    };
    match (mode, &whole) {
        (ArrayMode::Array, _) => {
            out.push_str(&whole.to_pretty());
            true
        }
        (ArrayMode::Csv, JsonValue::Array(items)) => match csv_text(items) {
            Some(csv) => {
                out.push_str(&csv);
                true
            }
            None => false,
        },
        (ArrayMode::Csv, _) => false,
    }
}

/// Joins the scalars of an array with `,` and a trailing comma, or returns `None` when there
/// is none or the text reaches [`MAX_CSV_ARRAY_LEN`].
fn csv_text(items: &[JsonValue]) -> Option<String> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::DateTime;

    /// Decodes `line` into a new event.
    pub(crate) fn decode(line: &str, options: JsonOptions) -> Event {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new(line.into(), "stdin".into(), time);
        decode_json(&mut event, line, options);
        event
    }

    fn fields(event: &Event) -> Vec<(&str, &str)> {
        event.fields().collect()
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
    fn stops_outside_compact_layout() {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        for line in [
            r#"{"a":"x","b":1.0}"#,
            r#"{"a":"x","b": 1}"#,
            r#"{"a":"x"} tail"#,
        ] {
            let mut event = Event::new(line.into(), "stdin".into(), time);
            let outcome = decode_json_stopping(&mut event, line, JsonOptions::default(), true);
            let expected = match line.ends_with("tail") {
                true => JsonDecodeOutcome::Decoded {
                    is_compact_object: false,
                },
                false => JsonDecodeOutcome::Stopped,
            };
            assert_eq!(outcome, expected, "{line}");
            if outcome == JsonDecodeOutcome::Stopped {
                assert_eq!(event.fields().len(), 0, "{line}");
            }
        }
        let line = r#"{"a":"x","b":{"c":1}}"#;
        let mut event = Event::new(line.into(), "stdin".into(), time);
        let outcome = decode_json_stopping(&mut event, line, JsonOptions::default(), true);
        assert_eq!(
            outcome,
            JsonDecodeOutcome::Decoded {
                is_compact_object: true
            }
        );
        assert_eq!(fields(&event), vec![("a", "x"), ("b.c", "1")]);
    }

    #[test]
    fn malformed_json_adds_nothing() {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new("{\"a\":".into(), "stdin".into(), time);
        let outcome = decode_json(&mut event, "{\"a\":", JsonOptions::default());
        assert_eq!(outcome, JsonDecodeOutcome::Malformed);
        assert_eq!(event.fields().len(), 0);
    }

    #[test]
    fn malformed_json_keeps_earlier_fields() {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new("{}".into(), "stdin".into(), time);
        event.push_field("before", "1");
        let line = r#"{"a":"x","srcip":"1.2.3.4","b":[1,2],"c":"#;
        let outcome = decode_json(&mut event, line, JsonOptions::default());
        assert_eq!(outcome, JsonDecodeOutcome::Malformed);
        assert_eq!(fields(&event), vec![("before", "1")]);
        assert_eq!(event.static_field(StaticField::SrcIp), None);
        assert_eq!(event.dropped_fields(), 0);
    }

    #[test]
    fn escaped_strings_and_odd_arrays() {
        let event = decode(
            r#"{"s":"a\u00e9\/b","a":["x\/y", 1.50],"n":-0,"f":1.0e1}"#,
            JsonOptions::default(),
        );
        assert_eq!(
            fields(&event),
            vec![
                ("s", "aé/b"),
                ("a", r#"["x/y", 1.5]"#),
                ("n", "0"),
                ("f", "10")
            ]
        );
    }
}
