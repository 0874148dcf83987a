//! Checks on one raw line before it becomes an event.

use std::borrow::Cow;

use crate::cjson;

/// The maximum bytes of one line, newline included, as the Wazuh agent reads it (a 65,280-byte
/// `fgets` buffer holds 65,279 bytes and the terminating NUL).
pub const MAX_LINE_BYTES: usize = 65_279;

/// The reason a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The line, newline included, was longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// The line contained a NUL byte.
    NulByte,
    /// The line was not a JSON object (invalid JSON, an array, a scalar or empty).
    NotJsonObject,
}

impl SkipReason {
    /// Returns a short description for logs.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::TooLong => "line longer than 65279 bytes including its newline",
            SkipReason::NulByte => "line contains a NUL byte",
            SkipReason::NotJsonObject => "line is not a JSON object",
        }
    }
}

/// Turns one line (without its newline) into the compact JSON text the analyzer reads, with the
/// labels added.
///
/// Invalid UTF-8 sequences are replaced with U+FFFD before parsing.
pub fn encode_line(raw: &[u8], labels: &[(String, String)]) -> Result<String, SkipReason> {
    match prepare_line(raw, labels)? {
        LineText::Encoded(text) => Ok(text),
        LineText::Unchecked(text) => encode_text(&text),
    }
}

/// One line as [`prepare_line`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineText {
    /// The compact JSON text of the line's object, labels added.
    Encoded(String),
    /// The line as read, which looks like the compact JSON text of an object without being
    /// checked yet. [`encode_text`] returns its encoding. A parse that finds the whole text to
    /// be one object exactly as cJSON's compact printer prints it shows that the text is its
    /// own encoding, so the check can ride on the analyzer's parse.
    Unchecked(String),
}

impl LineText {
    /// Returns the text, encoded or not.
    pub fn as_str(&self) -> &str {
        match self {
            LineText::Encoded(text) | LineText::Unchecked(text) => text,
        }
    }
}

/// Runs the checks of [`encode_line`] that do not need a parse, and encodes the line unless it
/// looks compact already and has no labels to add.
pub fn prepare_line(raw: &[u8], labels: &[(String, String)]) -> Result<LineText, SkipReason> {
    prepare_line_in(raw, labels, String::new())
}

/// Does what [`prepare_line`] does, copying a line it returns unchecked into `buffer`, whose
/// earlier content is dropped, instead of a new string.
pub fn prepare_line_in(
    raw: &[u8],
    labels: &[(String, String)],
    mut buffer: String,
) -> Result<LineText, SkipReason> {
    if raw.len() + 1 > MAX_LINE_BYTES {
        return Err(SkipReason::TooLong);
    }
    // One pass finds the first NUL or backslash. Only a line with a backslash needs a
    // second look for a NUL after it.
    let has_backslash = match memchr::memchr2(0, b'\\', raw) {
        None => false,
        Some(at) if raw[at] == 0 => return Err(SkipReason::NulByte),
        Some(at) if memchr::memchr(0, &raw[at..]).is_some() => return Err(SkipReason::NulByte),
        Some(_) => true,
    };
    // `from_utf8` checks valid text faster than the lossy conversion does.
    let text = match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(raw),
    };
    if labels.is_empty() {
        if !has_backslash && looks_compact(&text) {
            buffer.clear();
            buffer.push_str(&text);
            return Ok(LineText::Unchecked(buffer));
        }
        if let Some(compact) = cjson::compact_object(&text) {
            return Ok(LineText::Encoded(compact));
        }
    }
    let mut members = cjson::parse_object(&text).ok_or(SkipReason::NotJsonObject)?;
    for (key, value) in labels {
        cjson::add_label(&mut members, key, value);
    }
    Ok(LineText::Encoded(cjson::write_object(members)))
}

/// Returns the compact JSON text of the object that `text` starts with, as [`encode_line`]
/// does for a line without labels.
pub fn encode_text(text: &str) -> Result<String, SkipReason> {
    if let Some(compact) = cjson::compact_object(text) {
        return Ok(compact);
    }
    let members = cjson::parse_object(text).ok_or(SkipReason::NotJsonObject)?;
    Ok(cjson::write_object(members))
}

/// Returns whether `text` starts the way compact JSON of an object does (`{"`, the first
/// key, then `":` and no whitespace). The caller checks that it has no `\`. Lines with
/// spaces after the colons or with escapes, many of which cJSON prints otherwise, are
/// encoded at once instead of read twice.
fn looks_compact(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.starts_with(b"{\"") {
        return false;
    }
    let Some(key_end) = memchr::memchr(b'"', &bytes[2..]).map(|offset| offset + 2) else {
        return false;
    };
    bytes.get(key_end + 1) == Some(&b':') && bytes.get(key_end + 2).is_some_and(|byte| *byte > b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_line_adds_labels() {
        let labels = vec![("env".to_owned(), "prod".to_owned())];
        let encoded = encode_line(br#"{"a": 1}"#, &labels);
        assert_eq!(encoded.as_deref(), Ok(r#"{"a":1,"env":"prod"}"#));
    }

    #[test]
    fn nul_found_before_or_after_backslash() {
        let lines: [&[u8]; 3] = [
            b"{\"a\":\"\0\\n\"}",
            b"{\"a\":\"\\n\0\"}",
            b"{\"a\":\"\0\"}",
        ];
        for line in lines {
            assert_eq!(
                prepare_line(line, &[]),
                Err(SkipReason::NulByte),
                "{line:?}"
            );
        }
    }

    #[test]
    fn prepare_line_defers_compact_lines() {
        let compact = br#"{"a":1,"b":"x"}"#;
        assert_eq!(
            prepare_line(compact, &[]),
            Ok(LineText::Unchecked(r#"{"a":1,"b":"x"}"#.to_owned()))
        );
        let lines: [&[u8]; 4] = [
            br#"{"a": 1}"#,
            br#" {"a":1}"#,
            br#"{ "a":1}"#,
            br#"{"a" :1}"#,
        ];
        for line in lines {
            let prepared = prepare_line(line, &[]);
            assert_eq!(
                prepared,
                Ok(LineText::Encoded(r#"{"a":1}"#.to_owned())),
                "{line:?}"
            );
        }
        let escaped = prepare_line(br#"{"a":1,"b":"\/"}"#, &[]);
        assert_eq!(
            escaped,
            Ok(LineText::Encoded(r#"{"a":1,"b":"/"}"#.to_owned()))
        );
        let labels = vec![("env".to_owned(), "prod".to_owned())];
        assert_eq!(
            prepare_line(compact, &labels),
            Ok(LineText::Encoded(
                r#"{"a":1,"b":"x","env":"prod"}"#.to_owned()
            ))
        );
    }

    #[test]
    fn encode_text_matches_encode_line() {
        let lines = [
            r#"{"a":1}"#,
            r#"{"a":1.0,"b":"\/"}"#,
            r#"{"a":1} tail"#,
            r#"{"a":[1, 2]}"#,
            r#"{"a":"#,
            r#"{"\u0041":1}"#,
            "[1]",
        ];
        for line in lines {
            assert_eq!(
                encode_text(line),
                encode_line(line.as_bytes(), &[]),
                "{line}"
            );
        }
    }

    #[test]
    fn encode_line_rejects_bad_lines() {
        assert_eq!(encode_line(b"{\"a\":\0}", &[]), Err(SkipReason::NulByte));
        assert_eq!(encode_line(b"[1]", &[]), Err(SkipReason::NotJsonObject));
        let long = vec![b' '; MAX_LINE_BYTES];
        assert_eq!(encode_line(&long, &[]), Err(SkipReason::TooLong));
        let fits = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES - 9));
        assert_eq!(fits.len() + 1, MAX_LINE_BYTES);
        assert!(encode_line(fits.as_bytes(), &[]).is_ok());
    }

    #[test]
    fn prepare_line_in_replaces_buffer_text() {
        let buffer = String::from("earlier text");
        let prepared = prepare_line_in(br#"{"a":"x"}"#, &[], buffer);
        assert_eq!(
            prepared,
            Ok(LineText::Unchecked(r#"{"a":"x"}"#.to_string()))
        );
        let buffer = String::from("earlier text");
        let prepared = prepare_line_in(br#"{"a": "x"}"#, &[], buffer);
        assert_eq!(prepared, Ok(LineText::Encoded(r#"{"a":"x"}"#.to_string())));
    }
}
