//! The alert's `data` object, rebuilt from the decoded fields the way Wazuh rebuilds it:
//! static fields first in a fixed order, then dynamic fields in decode order with dotted names
//! nested again, arrays parsed back into JSON, empty values left out and the first of two
//! names that differ only in case kept.

use crate::event::{Event, StaticField};
use crate::json::JsonValue;

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

/// Builds the members of `data` for `event`; empty when the event has no field.
pub fn build_data(event: &Event) -> Vec<(String, JsonValue)> {
    let mut data = Vec::new();
    for field in STATIC_ORDER {
        if let Some(value) = event.static_field(field) {
            data.push((
                field.alert_name().to_string(),
                JsonValue::String(value.to_string()),
            ));
        }
    }
    for (key, value) in event.fields() {
        if !value.is_empty() {
            add_field(&mut data, key, value);
        }
    }
    data
}

/// Adds `key` = `value` to an object: the key is split at its first `.` into nested objects,
/// an existing key (compared ignoring ASCII case) is kept, a value that starts with `[` and is
/// entirely valid JSON is stored as JSON, and a path through an existing non-object is dropped.
pub fn add_field(object: &mut Vec<(String, JsonValue)>, key: &str, value: &str) {
    if let Some((head, rest)) = key.split_once('.') {
        let position = object
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(head));
        let index = match position {
            Some(index) => index,
            None => {
                object.push((head.to_string(), JsonValue::Object(Vec::new())));
                object.len() - 1
            }
        };
        if let JsonValue::Object(child) = &mut object[index].1 {
            add_field(child, rest, value);
        }
        return;
    }
    if object
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(key))
    {
        return;
    }
    object.push((key.to_string(), parse_value(value)));
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
