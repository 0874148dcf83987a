//! Re-encoding of a JSON line as the Wazuh agent sends it.
//!
//! The Wazuh agent (4.x) parses each line with cJSON and sends `cJSON_PrintUnformatted` of the
//! object, so the analyzer sees compact JSON with numbers re-printed: every number is held as a
//! double, printed as an integer when it equals its value truncated to a 32-bit int, otherwise with
//! `%1.15g`, or `%1.17g` when fifteen digits do not read back as the same double.

use serde_json::{Map, Value};

/// Parses the first JSON value of `line` and, if it is an object, returns it.
///
/// Text after the object is ignored, as cJSON ignores it. Returns `None` for arrays, scalars and
/// invalid JSON.
pub fn parse_object(line: &str) -> Option<Map<String, Value>> {
    let mut values = serde_json::Deserializer::from_str(line).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(object))) => Some(object),
        _ => None,
    }
}

/// Adds `value` under a dotted `key`, creating nested objects, without replacing existing keys.
pub fn add_label(object: &mut Map<String, Value>, key: &str, value: &str) {
    match key.split_once('.') {
        None => {
            if !object.contains_key(key) {
                object.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        Some((head, rest)) => {
            let child = object
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                add_label(child, rest, value);
            }
        }
    }
}

/// Appends the compact cJSON rendering of `value` to `out`.
pub fn write_compact(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            let double = number.as_f64().unwrap_or(f64::NAN);
            out.push_str(&format_number(double));
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Value::Object(object) => write_object(object, out),
    }
}

/// Appends the compact cJSON rendering of `object` to `out`.
pub fn write_object(object: &Map<String, Value>, out: &mut String) {
    out.push('{');
    for (index, (key, item)) in object.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_compact(item, out);
    }
    out.push('}');
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// Formats a number as cJSON 1.7 prints it.
pub fn format_number(double: f64) -> String {
    if !double.is_finite() {
        return "null".to_owned();
    }
    let saturated = if double >= f64::from(i32::MAX) {
        i32::MAX
    } else if double <= f64::from(i32::MIN) {
        i32::MIN
    } else {
        double as i32
    };
    if double == f64::from(saturated) {
        return saturated.to_string();
    }
    let short = format_general(double, 15);
    let reads_back = short.parse::<f64>().is_ok_and(|parsed| {
        (parsed - double).abs() <= parsed.abs().max(double.abs()) * f64::EPSILON
    });
    if reads_back {
        short
    } else {
        format_general(double, 17)
    }
}

/// Formats like C's `%1.<precision>g`.
fn format_general(double: f64, precision: usize) -> String {
    if double == 0.0 {
        return if double.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let scientific = format!("{:.*e}", precision - 1, double);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("Rust's {:e} output always contains an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("Rust's {:e} exponent is a decimal integer");
    let precision = precision as i32;
    if exponent < -4 || exponent >= precision {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (precision - 1 - exponent).max(0) as usize;
    strip_fraction_zeros(&format!("{double:.decimals$}")).to_owned()
}

fn strip_fraction_zeros(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(line: &str) -> String {
        let object = parse_object(line).expect("test input is a JSON object");
        let mut out = String::new();
        write_object(&object, &mut out);
        out
    }

    #[test]
    fn numbers_print_like_cjson() {
        let cases = [
            (1.0, "1"),
            (1e3, "1000"),
            (1.5, "1.5"),
            (-7.0, "-7"),
            (0.1, "0.1"),
            (3e9, "3000000000"),
            (12345678901234567.0, "12345678901234568"),
            (1e20, "1e+20"),
            (1.25e-7, "1.25e-07"),
            (2147483647.0, "2147483647"),
            (-2147483648.0, "-2147483648"),
        ];
        for (input, expected) in cases {
            assert_eq!(format_number(input), expected, "input {input}");
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
    fn non_objects_are_rejected() {
        assert!(parse_object("[1,2]").is_none());
        assert!(parse_object("42").is_none());
        assert!(parse_object("{broken").is_none());
        assert!(parse_object("").is_none());
    }

    #[test]
    fn labels_nest_and_never_overwrite() {
        let mut object = parse_object(r#"{"a":{"x":"1"},"b":"keep"}"#).expect("valid object");
        add_label(&mut object, "a.y", "2");
        add_label(&mut object, "b", "replaced");
        add_label(&mut object, "b.c", "ignored");
        add_label(&mut object, "new.deep.key", "3");
        let mut out = String::new();
        write_object(&object, &mut out);
        assert_eq!(
            out,
            r#"{"a":{"x":"1","y":"2"},"b":"keep","new":{"deep":{"key":"3"}}}"#
        );
    }
}
