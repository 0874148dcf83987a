//! Re-encoding of a JSON line as the Wazuh agent sends it.
//!
//! The Wazuh agent (4.x) parses each line with cJSON and sends `cJSON_PrintUnformatted` of the
//! object, so the analyzer sees compact JSON with members in order, duplicate keys kept, and
//! numbers re-printed as cJSON prints doubles. `dnstel-cjson` models that library.

use dnstel_cjson::{write_compact_prefix, JsonValue};

/// The members of a JSON object, in document order.
pub type Members = Vec<(String, JsonValue)>;

/// Parses the first JSON value of `line` and, if it is an object, returns its members.
///
/// Text after the object is ignored, as cJSON ignores it. Returns `None` for arrays, scalars and
/// invalid JSON.
pub fn parse_object(line: &str) -> Option<Members> {
    match JsonValue::parse_prefix(line) {
        Ok(JsonValue::Object(members)) => Some(members),
        _ => None,
    }
}

/// Returns the compact rendering of `line` when it is an object that
/// [`write_compact_prefix`] handles. On `None` the caller uses [`parse_object`], which also
/// decides whether the line is an object at all.
pub fn compact_object(line: &str) -> Option<String> {
    if line
        .trim_start_matches(|c: char| c <= ' ')
        .as_bytes()
        .first()
        != Some(&b'{')
    {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    write_compact_prefix(line, &mut out)?;
    Some(out)
}

/// Adds `value` under a dotted `key`, creating nested objects, without replacing existing keys,
/// as the Wazuh agent adds `<label>` values.
pub fn add_label(members: &mut Members, key: &str, value: &str) {
    match key.split_once('.') {
        None => {
            if !members.iter().any(|(name, _)| name == key) {
                members.push((key.to_owned(), JsonValue::String(value.to_owned())));
            }
        }
        Some((head, rest)) => {
            let position = match members.iter().position(|(name, _)| name == head) {
                Some(position) => position,
                None => {
                    members.push((head.to_owned(), JsonValue::Object(Vec::new())));
                    members.len() - 1
                }
            };
            if let JsonValue::Object(child) = &mut members[position].1 {
                add_label(child, rest, value);
            }
        }
    }
}

/// Returns the compact cJSON rendering of an object's members.
pub fn write_object(members: Members) -> String {
    JsonValue::Object(members).to_compact()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Re-encodes through the full parser and checks that the fast path agrees when it applies.
    fn compact(line: &str) -> String {
        let full = write_object(parse_object(line).expect("test input is a JSON object"));
        if let Some(fast) = compact_object(line) {
            assert_eq!(fast, full, "fast path for {line:?}");
        }
        full
    }

    #[test]
    fn numbers_print_like_cjson() {
        let cases = [
            ("1.0", "1"),
            ("1e3", "1000"),
            ("1.5", "1.5"),
            ("-7.0", "-7"),
            ("0.1", "0.1"),
            ("3e9", "3000000000"),
            ("12345678901234567", "12345678901234568"),
            ("1e20", "1e+20"),
            ("1.25e-7", "1.25e-07"),
            ("2147483647", "2147483647"),
            ("-2147483648", "-2147483648"),
        ];
        for (input, expected) in cases {
            let line = format!("{{\"n\":{input}}}");
            assert_eq!(
                compact(&line),
                format!("{{\"n\":{expected}}}"),
                "input {input}"
            );
        }
    }

    #[test]
    fn compact_keeps_order_and_strips_space() {
        let line = r#"{ "b": 1.0, "a": [true, null, "x\/y"], "c": {"d": "é\u0001"} } trailing"#;
        assert_eq!(
            compact(line),
            r#"{"b":1,"a":[true,null,"x/y"],"c":{"d":"é\u0001"}}"#
        );
    }

    #[test]
    fn duplicate_keys_are_kept() {
        assert_eq!(compact(r#"{"a":1,"a":2}"#), r#"{"a":1,"a":2}"#);
    }

    #[test]
    fn fast_path_takes_plain_objects() {
        let line = r#"{ "a": [1, 2.50, "x\ty"], "b": {"c": null} } trailing"#;
        assert_eq!(
            compact_object(line).as_deref(),
            Some(r#"{"a":[1,2.5,"x\ty"],"b":{"c":null}}"#)
        );
        assert_eq!(compact_object(r#"{"a":"x\/y"}"#), None);
        assert_eq!(compact_object("[1]"), None);
        assert_eq!(compact_object("\u{feff}{}"), None);
    }

    #[test]
    fn non_objects_are_rejected() {
        assert!(parse_object("[1,2]").is_none());
        assert!(parse_object("42").is_none());
        assert!(parse_object("{broken").is_none());
        assert!(parse_object("").is_none());
    }

    #[test]
    fn labels_nest_and_never_overwrite() {
        let mut members = parse_object(r#"{"a":{"x":"1"},"b":"keep"}"#).expect("valid object");
        add_label(&mut members, "a.y", "2");
        add_label(&mut members, "b", "replaced");
        add_label(&mut members, "b.c", "ignored");
        add_label(&mut members, "new.deep.key", "3");
        assert_eq!(
            write_object(members),
            r#"{"a":{"x":"1","y":"2"},"b":"keep","new":{"deep":{"key":"3"}}}"#
        );
    }
}
