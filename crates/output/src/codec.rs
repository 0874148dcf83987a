//! The `codec.json` options of Beats outputs applied to an already encoded event.
//!
//! Pretty printing re-indents the compact bytes the way Go's `encoding/json.Indent` does with a
//! two-space indent (which Beats 7.17 uses), so key order and number spelling are unchanged.
//! HTML escaping rewrites `<`, `>` and `&` as `\u003c`, `\u003e` and `\u0026`. In valid JSON
//! these bytes occur only inside strings, so rewriting them in the encoded text is safe.

use crate::OutputError;

/// JSON codec options (`codec.json.pretty`, `codec.json.escape_html`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonCodec {
    /// Multi-line output with two-space indentation. Beats default: false.
    pub pretty: bool,
    /// Escape `<`, `>` and `&`. Beats default: false.
    pub escape_html: bool,
}

impl JsonCodec {
    /// Appends the encoded form of `event` and a terminating `\n` to `out`.
    ///
    /// Rejects an empty event and, in compact mode, an event containing a newline, because either
    /// would break the one-event-per-line framing that readers of the file rely on.
    pub fn encode_into(&self, event: &[u8], out: &mut Vec<u8>) -> Result<(), OutputError> {
        if let Line::Unchanged(line) = self.line(event, out)? {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        Ok(())
    }

    /// Encodes `event` with the checks of [`JsonCodec::encode_into`]. Compact output without
    /// HTML escaping is the trimmed event itself, returned without a copy. Other settings
    /// append the encoded line (newline included) to `out`.
    pub(crate) fn line<'e>(
        &self,
        event: &'e [u8],
        out: &mut Vec<u8>,
    ) -> Result<Line<'e>, OutputError> {
        if self.pretty {
            let event = trim_ascii_end(event);
            if event.is_empty() {
                return Err(OutputError::InvalidEvent("event is empty"));
            }
            indent(event, self.escape_html, out);
        } else {
            let event = check_compact(event)?;
            if !self.escape_html {
                return Ok(Line::Unchanged(event));
            }
            escape_html(event, out);
        }
        out.push(b'\n');
        Ok(Line::Appended)
    }
}

/// The location of an event encoded by [`JsonCodec::line`].
pub(crate) enum Line<'e> {
    /// The event needs no change: these bytes, without the terminating newline.
    Unchanged(&'e [u8]),
    /// The encoded line, newline included, was appended to the caller's buffer.
    Appended,
}

/// Returns `event` without trailing whitespace after checking that it is not empty and has
/// no newline byte, which would break the one-event-per-line framing.
pub(crate) fn check_compact(event: &[u8]) -> Result<&[u8], OutputError> {
    let event = trim_ascii_end(event);
    if event.is_empty() {
        return Err(OutputError::InvalidEvent("event is empty"));
    }
    if memchr::memchr(b'\n', event).is_some() {
        return Err(OutputError::InvalidEvent(
            "compact event contains a newline byte",
        ));
    }
    Ok(event)
}

fn trim_ascii_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

fn escape_html(event: &[u8], out: &mut Vec<u8>) {
    for &byte in event {
        push_escaped(byte, true, out);
    }
}

fn push_escaped(byte: u8, escape_html: bool, out: &mut Vec<u8>) {
    match byte {
        b'<' if escape_html => out.extend_from_slice(b"\\u003c"),
        b'>' if escape_html => out.extend_from_slice(b"\\u003e"),
        b'&' if escape_html => out.extend_from_slice(b"\\u0026"),
        _ => out.push(byte),
    }
}

/// Re-indents JSON text with two spaces per level. Whitespace outside strings is dropped, and
/// empty objects and arrays stay `{}` and `[]`, matching Go's `json.Indent`.
fn indent(event: &[u8], escape: bool, out: &mut Vec<u8>) {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut after_backslash = false;
    let mut pending_open = false;
    for &byte in event {
        if in_string {
            push_escaped(byte, escape, out);
            if after_backslash {
                after_backslash = false;
            } else if byte == b'\\' {
                after_backslash = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        if byte.is_ascii_whitespace() {
            continue;
        }
        if pending_open {
            pending_open = false;
            if byte == b'}' || byte == b']' {
                depth = depth.saturating_sub(1);
                out.push(byte);
                continue;
            }
            newline(depth, out);
        }
        match byte {
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                depth += 1;
                pending_open = true;
                out.push(byte);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(depth, out);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(depth, out);
            }
            b':' => out.extend_from_slice(b": "),
            _ => push_escaped(byte, escape, out),
        }
    }
}

fn newline(depth: usize, out: &mut Vec<u8>) {
    out.push(b'\n');
    out.resize(out.len() + 2 * depth, b' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(codec: JsonCodec, event: &str) -> String {
        let mut out = Vec::new();
        codec
            .encode_into(event.as_bytes(), &mut out)
            .expect("test event is valid");
        String::from_utf8(out).expect("codec keeps UTF-8")
    }

    #[test]
    fn compact_appends_newline() {
        assert_eq!(encode(JsonCodec::default(), r#"{"a":1}"#), "{\"a\":1}\n");
    }

    #[test]
    fn compact_trims_trailing_newline() {
        assert_eq!(encode(JsonCodec::default(), "{\"a\":1}\n"), "{\"a\":1}\n");
    }

    #[test]
    fn compact_rejects_inner_newline() {
        let mut out = Vec::new();
        let result = JsonCodec::default().encode_into(b"{\"a\":\n1}", &mut out);
        assert!(matches!(result, Err(OutputError::InvalidEvent(_))));
    }

    #[test]
    fn empty_event_rejected() {
        let mut out = Vec::new();
        let result = JsonCodec::default().encode_into(b"  \n", &mut out);
        assert!(matches!(result, Err(OutputError::InvalidEvent(_))));
    }

    #[test]
    fn escape_html_rewrites_three_bytes() {
        let codec = JsonCodec {
            pretty: false,
            escape_html: true,
        };
        assert_eq!(
            encode(codec, r#"{"q":"<a&b>"}"#),
            "{\"q\":\"\\u003ca\\u0026b\\u003e\"}\n"
        );
    }

    #[test]
    fn pretty_matches_go_indent() {
        let codec = JsonCodec {
            pretty: true,
            escape_html: false,
        };
        let input = r#"{"b":1,"a":{"x":[1,2],"e":{},"l":[]},"s":"p,{:}\"q"}"#;
        let expected = "{\n  \"b\": 1,\n  \"a\": {\n    \"x\": [\n      1,\n      2\n    ],\n    \
                        \"e\": {},\n    \"l\": []\n  },\n  \"s\": \"p,{:}\\\"q\"\n}\n";
        assert_eq!(encode(codec, input), expected);
    }

    #[test]
    fn pretty_with_escape_html() {
        let codec = JsonCodec {
            pretty: true,
            escape_html: true,
        };
        assert_eq!(
            encode(codec, r#"{"q":"a>b"}"#),
            "{\n  \"q\": \"a\\u003eb\"\n}\n"
        );
    }
}
