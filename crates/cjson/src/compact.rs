//! Re-printing of JSON text in cJSON's compact or formatted layout without building a
//! [`JsonValue`](crate::JsonValue) tree, for the common case where printing the parsed value
//! keeps every string as it is written.
//!
//! Strings are copied as they are when their escapes are the ones cJSON prints itself, and
//! numbers are printed the way cJSON prints them. Any other input (an escape such as `\/` or
//! `\u00e9`, a control character inside a string, a byte order mark, deep nesting, invalid
//! JSON) makes the scanner give up, so the caller falls back to the full parser.
//!
//! Input that is already in the requested layout is copied with one `push_str` at the end:
//! the scanner only flushes the text read so far when the output has to differ from it.

use crate::canonical::{compact_value_end, string_end, write_pretty_canonical};
use crate::format_cjson_number;

/// Nesting depth past which the scanner gives up and leaves the text to the full parser.
pub(crate) const MAX_FAST_DEPTH: usize = 128;

/// Appends to `out` what `JsonValue::parse_prefix_with_end(text)` followed by `to_compact`
/// prints, and returns the offset just after the value, like `parse_prefix_with_end` does.
/// Returns `None`, with `out` unchanged, when the text needs the full parser: either it is
/// not valid JSON or a string in it is not written the way cJSON prints strings.
pub fn write_compact_prefix(text: &str, out: &mut String) -> Option<usize> {
    scan_prefix(text, Layout::Compact, Some(out), 0).map(|(end, _)| end)
}

/// Appends to `out` what `JsonValue::parse_prefix_with_end(text)` followed by `to_pretty`
/// prints, and returns the offset just after the value. Returns `None`, with `out` unchanged,
/// in the cases [`write_compact_prefix`] returns `None`.
pub fn write_pretty_prefix(text: &str, out: &mut String) -> Option<usize> {
    scan_prefix(text, Layout::Pretty, Some(out), 0).map(|(end, _)| end)
}

/// Returns the offset just after the first JSON value of `text` when [`write_compact_prefix`]
/// would print it, without printing it, and whether `text` up to that offset is exactly what
/// it would print.
pub fn compact_prefix_end(text: &str) -> Option<(usize, bool)> {
    compact_prefix_end_at(text, 0)
}

/// Does what [`compact_prefix_end`] does for a value nested `depth` levels deep in the text
/// being scanned, so the nesting limit counts the levels around it.
pub(crate) fn compact_prefix_end_at(text: &str, depth: usize) -> Option<(usize, bool)> {
    scan_prefix(text, Layout::Compact, None, depth)
}

/// Scans the first value of `text`, appending it in `layout` to `out` when given, with the
/// value `depth` levels deep. Returns the offset after the value and whether the output is
/// the input unchanged.
fn scan_prefix(
    text: &str,
    layout: Layout,
    out: Option<&mut String>,
    depth: usize,
) -> Option<(usize, bool)> {
    if let Some(end) = compact_value_end(text, depth) {
        let value = &text[..end];
        match (layout, out) {
            (Layout::Compact, Some(out)) => out.push_str(value),
            (Layout::Compact, None) => {}
            (Layout::Pretty, Some(out)) => {
                let start_len = out.len();
                if write_pretty_canonical(value, out) {
                    return Some((end, out.len() - start_len == end));
                }
                return scan_prefix_slowly(text, layout, Some(out), depth);
            }
            (Layout::Pretty, None) => return scan_prefix_slowly(text, layout, None, depth),
        }
        return Some((end, true));
    }
    scan_prefix_slowly(text, layout, out, depth)
}

/// Does what [`scan_prefix`] does with a scanner that handles any JSON, not only text in the
/// compact layout.
fn scan_prefix_slowly(
    text: &str,
    layout: Layout,
    out: Option<&mut String>,
    depth: usize,
) -> Option<(usize, bool)> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        layout,
        copied: 0,
        out,
        start_len: 0,
        changed: false,
    };
    if let Some(out) = scanner.out.as_deref() {
        scanner.start_len = out.len();
    }
    scanner.skip_whitespace();
    if scanner.value(depth).is_some() {
        scanner.flush(scanner.pos);
        return Some((scanner.pos, !scanner.changed));
    }
    let start_len = scanner.start_len;
    if let Some(out) = scanner.out {
        out.truncate(start_len);
    }
    None
}

/// The layouts of cJSON's printer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `cJSON_PrintUnformatted`: no whitespace.
    Compact,
    /// `cJSON_Print`: a tab-indented line per object member, `", "` between array items and
    /// a tab after each `:`.
    Pretty,
}

const TABS: &str = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

struct Scanner<'t, 'o> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    layout: Layout,
    /// Input before this offset is in the output already (or was replaced there).
    copied: usize,
    /// `None` when the scan only checks the text.
    out: Option<&'o mut String>,
    start_len: usize,
    /// Whether any of the input was replaced.
    changed: bool,
}

impl Scanner<'_, '_> {
    /// Copies the input from the last flush up to `to` into the output.
    fn flush(&mut self, to: usize) {
        if let Some(out) = self.out.as_deref_mut() {
            out.push_str(&self.text[self.copied..to]);
        }
        self.copied = to;
    }

    /// Writes `replacement` in place of the input from `from` to `to`.
    fn replace(&mut self, from: usize, to: usize, replacement: &str) {
        self.flush(from);
        if let Some(out) = self.out.as_deref_mut() {
            out.push_str(replacement);
        }
        self.copied = to;
        self.changed = true;
    }

    /// Inserts `text` at the current position.
    fn insert(&mut self, text: &str) {
        self.replace(self.pos, self.pos, text);
    }

    /// Inserts a newline and `level` tabs at the current position.
    fn insert_line_break(&mut self, level: usize) {
        self.insert("\n");
        self.insert_tabs(level);
    }

    fn insert_tabs(&mut self, level: usize) {
        let mut left = level;
        while left > 0 {
            let count = left.min(TABS.len());
            self.insert(&TABS[..count]);
            left -= count;
        }
    }

    fn skip_whitespace(&mut self) {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(|byte| *byte <= b' ') {
            self.pos += 1;
        }
        if self.pos > start {
            self.replace(start, self.pos, "");
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_FAST_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'n' => self.literal("null"),
            b'f' => self.literal("false"),
            b't' => self.literal("true"),
            _ => None,
        }
    }

    fn literal(&mut self, literal: &str) -> Option<()> {
        if !self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            return None;
        }
        self.pos += literal.len();
        Some(())
    }

    /// Passes over a string that cJSON prints back unchanged. Its escapes must be `\"`,
    /// `\\`, `\b`, `\f`, `\n`, `\r`, `\t` or a lowercase `\u00XX` for another control
    /// character.
    fn string(&mut self) -> Option<()> {
        self.pos = string_end(self.bytes, self.pos)?;
        Some(())
    }

    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        let length = self.bytes[start..]
            .iter()
            .take_while(|byte| matches!(byte, b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.'))
            .count();
        let candidate = &self.text[start..start + length];
        self.pos = start + length;
        if is_plain_int(candidate) {
            return Some(());
        }
        // The full parser takes the longest prefix that reads as a number. Only a candidate
        // that reads whole is handled here, so both take the same text.
        let number: f64 = candidate.parse().ok()?;
        if !candidate.bytes().any(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let printed = format_cjson_number(number);
        if printed != candidate {
            self.replace(start, self.pos, &printed);
        }
        Some(())
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    if self.layout == Layout::Pretty {
                        self.insert(" ");
                    }
                }
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        let pretty = self.layout == Layout::Pretty;
        self.pos += 1;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            if pretty {
                self.insert_line_break(depth);
            }
            self.pos += 1;
            return Some(());
        }
        if pretty {
            self.insert("\n");
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return None;
            }
            if pretty {
                self.insert_tabs(depth + 1);
            }
            self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return None;
            }
            self.pos += 1;
            if pretty {
                self.insert("\t");
            }
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    if pretty {
                        self.insert("\n");
                    }
                }
                b'}' => {
                    if pretty {
                        self.insert_line_break(depth);
                    }
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Returns the length of the escape sequence at the start of `bytes` when cJSON prints that
/// sequence for its character, else `None`.
pub(crate) fn escape_len(bytes: &[u8]) -> Option<usize> {
    match bytes.get(1)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let digits = bytes.get(2..6)?;
            let lower_hex = |byte: &u8| matches!(byte, b'0'..=b'9' | b'a'..=b'f');
            if digits[..2] != *b"00" || !digits.iter().all(lower_hex) {
                return None;
            }
            let high = if digits[2] == b'1' { 0x10 } else { 0 };
            if !matches!(digits[2], b'0' | b'1') {
                return None;
            }
            let low = char::from(digits[3]).to_digit(16)?;
            let code = high + low;
            // These five have short escapes, which cJSON prints instead.
            if matches!(code, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D) {
                return None;
            }
            Some(6)
        }
        _ => None,
    }
}

/// Returns true when `text` is an integer that cJSON prints back the same: no leading zero,
/// no `-0`, and at most nine digits, so it fits a 32-bit `int`. Wazuh's JSON decoder prints
/// such a number as written too.
pub fn is_plain_int(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let bytes = digits.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if bytes.len() > 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if first == b'0' {
        return text == "0";
    }
    true
}

/// Returns the length and value of the number at the start of `bytes` when it is an integer
/// that [`is_plain_int`] accepts and no other character of a number follows it. Returns
/// `None` for every other text, which the full number parse then reads.
pub fn plain_int_prefix(bytes: &[u8]) -> Option<(usize, f64)> {
    let negative = bytes.first() == Some(&b'-');
    let start = usize::from(negative);
    let mut magnitude: u32 = 0;
    let mut end = start;
    while let Some(&byte) = bytes.get(end) {
        if !byte.is_ascii_digit() {
            break;
        }
        if end - start == 9 {
            return None;
        }
        magnitude = magnitude * 10 + u32::from(byte - b'0');
        end += 1;
    }
    let digits = end - start;
    if digits == 0 || (bytes[start] == b'0' && (digits > 1 || negative)) {
        return None;
    }
    if matches!(bytes.get(end), Some(b'+' | b'-' | b'e' | b'E' | b'.')) {
        return None;
    }
    let value = f64::from(magnitude);
    Some((end, if negative { -value } else { value }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonValue;

    #[test]
    fn plain_int_prefix_matches_number_parse() {
        let cases = [
            "0",
            "7",
            "-7",
            "53",
            "45961",
            "123456789",
            "-123456789",
            "1234567890",
            "-0",
            "00",
            "01",
            "-",
            "",
            "1.5",
            "1e3",
            "1E3",
            "12-3",
            "12+3",
            "0.5",
            "7,",
            "7}",
            "7]",
            "-x",
            "999999999",
            "1000000000",
        ];
        for text in cases {
            let fast = plain_int_prefix(text.as_bytes());
            let mut parser = crate::Parser {
                bytes: text.as_bytes(),
                text,
                pos: 0,
            };
            let full = parser.number_value().ok().and_then(|value| {
                let number = &text[..parser.pos];
                let follows = text.as_bytes().get(parser.pos);
                let is_number_char = matches!(
                    follows,
                    Some(b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.')
                );
                (is_plain_int(number) && !is_number_char).then_some((parser.pos, value))
            });
            assert_eq!(fast, full, "{text:?}");
            if let Some((_, value)) = fast {
                assert_eq!(value.is_sign_negative(), text.starts_with('-'), "{text:?}");
            }
        }
    }

    /// Checks that the fast path either gives up or prints what the full parser prints, in
    /// both layouts, and returns the compact text.
    fn check(text: &str) -> Option<String> {
        let mut out = String::from("prefix");
        let fast = write_compact_prefix(text, &mut out);
        let mut pretty = String::from("prefix");
        let fast_pretty = write_pretty_prefix(text, &mut pretty);
        assert_eq!(fast, fast_pretty, "both layouts accept {text:?}");
        let checked = compact_prefix_end(text);
        assert_eq!(
            fast,
            checked.map(|(end, _)| end),
            "checking accepts {text:?}"
        );
        if let Some((end, true)) = checked {
            assert_eq!(
                out,
                format!("prefix{}", &text[..end]),
                "{text:?} is compact"
            );
        }
        let full = JsonValue::parse_prefix_with_end(text);
        match fast {
            Some(end) => {
                let (value, full_end) = full.expect("the fast path accepts only valid JSON");
                assert_eq!(end, full_end, "end of {text:?}");
                assert_eq!(out, format!("prefix{}", value.to_compact()), "{text:?}");
                assert_eq!(pretty, format!("prefix{}", value.to_pretty()), "{text:?}");
                Some(out["prefix".len()..].to_string())
            }
            None => {
                assert_eq!(out, "prefix", "output restored for {text:?}");
                assert_eq!(pretty, "prefix", "pretty output restored for {text:?}");
                None
            }
        }
    }

    #[test]
    fn compact_strips_whitespace() {
        let text = " { \"a\" : [ 1 , true , null ] ,\n\"b\":{ } , \"c\" : [ ] } tail";
        assert_eq!(
            check(text).as_deref(),
            Some(r#"{"a":[1,true,null],"b":{},"c":[]}"#)
        );
    }

    #[test]
    fn compact_numbers_print_like_cjson() {
        let cases = [
            ("0", "0"),
            ("-7", "-7"),
            ("1.0", "1"),
            ("-0", "0"),
            ("007", "7"),
            ("1e3", "1000"),
            ("0.1", "0.1"),
            ("2147483648", "2147483648"),
            ("12345678901234567", "12345678901234568"),
            ("1e400", "null"),
            ("-.5", "-0.5"),
        ];
        for (input, expected) in cases {
            assert_eq!(check(input).as_deref(), Some(expected), "{input}");
        }
        for broken in ["-", "1e", "1.2.3", "1-2", "+1", "--1"] {
            check(broken);
        }
    }

    #[test]
    fn compact_keeps_printable_escapes() {
        let text = r#"["a\"b\\c\n\t\r\b\f", "\u0001\u001f", "é€😀"]"#;
        assert_eq!(
            check(text).as_deref(),
            Some(r#"["a\"b\\c\n\t\r\b\f","\u0001\u001f","é€😀"]"#)
        );
    }

    #[test]
    fn pretty_nested_layout() {
        let text = r#"[{"a":{},"b":[1.50,{"c":[]}]},{} ,"s"]"#;
        let mut out = String::new();
        assert_eq!(write_pretty_prefix(text, &mut out), Some(text.len()));
        assert_eq!(
            out,
            "[{\n\t\t\"a\":\t{\n\t\t},\n\t\t\"b\":\t[1.5, {\n\t\t\t\t\"c\":\t[]\n\t\t\t}]\n\t}, {\n\t}, \"s\"]"
        );
        check(text);
        let deep = format!("{}{}", "{\"k\":".repeat(40), "}".repeat(40));
        check(&format!("{deep}1"));
        check(&format!("{}1{}", "{\"k\":".repeat(40), "}".repeat(40)));
    }

    #[test]
    fn canonical_input_copied_whole() {
        let text = r#"{"a":[1,"x\ty",{"b":null}],"c":-2} tail"#;
        let mut out = String::from("prefix");
        assert_eq!(write_compact_prefix(text, &mut out), Some(text.len() - 5));
        assert_eq!(out, format!("prefix{}", &text[..text.len() - 5]));
        assert_eq!(compact_prefix_end(text), Some((text.len() - 5, true)));
        assert_eq!(compact_prefix_end("[1.0]"), Some((5, false)));
        assert_eq!(compact_prefix_end("[1, 2]"), Some((6, false)));
    }

    #[test]
    fn compact_gives_up_on_rewritten_strings() {
        for text in [
            r#""a\/b""#,
            r#""\u00e9""#,
            r#""\u000a""#,
            r#""\u001F""#,
            r#""\ud83d\ude00""#,
            "\"raw\u{1}control\"",
            "\u{feff}{}",
            r#""\x""#,
            r#""unterminated"#,
        ] {
            assert_eq!(check(text), None, "{text:?}");
        }
    }

    #[test]
    fn compact_gives_up_on_invalid_json() {
        for text in [
            "",
            "{",
            "{\"a\"}",
            "{\"a\":1,}",
            "[1 2]",
            "{1:2}",
            "nul",
            "x",
        ] {
            assert_eq!(check(text), None, "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(check(&deep), None);
    }
}
