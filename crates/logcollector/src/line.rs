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
    if raw.len() + 1 > MAX_LINE_BYTES {
        return Err(SkipReason::TooLong);
    }
    if memchr::memchr(0, raw).is_some() {
        return Err(SkipReason::NulByte);
    }
    // `from_utf8` checks valid text faster than the lossy conversion does.
    let text = match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(raw),
    };
    if labels.is_empty() {
        if let Some(compact) = cjson::compact_object(&text) {
            return Ok(compact);
        }
    }
    let mut members = cjson::parse_object(&text).ok_or(SkipReason::NotJsonObject)?;
    for (key, value) in labels {
        cjson::add_label(&mut members, key, value);
    }
    Ok(cjson::write_object(members))
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
    fn encode_line_rejects_bad_lines() {
        assert_eq!(encode_line(b"{\"a\":\0}", &[]), Err(SkipReason::NulByte));
        assert_eq!(encode_line(b"[1]", &[]), Err(SkipReason::NotJsonObject));
        let long = vec![b' '; MAX_LINE_BYTES];
        assert_eq!(encode_line(&long, &[]), Err(SkipReason::TooLong));
        let fits = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES - 9));
        assert_eq!(fits.len() + 1, MAX_LINE_BYTES);
        assert!(encode_line(fits.as_bytes(), &[]).is_ok());
    }
}
