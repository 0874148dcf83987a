//! Compact re-printing of JSON text without building a [`JsonValue`](crate::JsonValue) tree,
//! for the common case where printing the parsed value gives back the input with its
//! whitespace removed.
//!
//! Strings are copied as they are when their escapes are the ones cJSON prints itself, and
//! numbers are printed the way cJSON prints them. Any other input (an escape such as `\/` or
//! `\u00e9`, a control character inside a string, a byte order mark, deep nesting, invalid
//! JSON) makes [`write_compact_prefix`] give up, so the caller falls back to the full parser.

use crate::format_cjson_number;
use crate::scan::find_special;

/// Nesting depth past which the scanner gives up and leaves the text to the full parser.
const MAX_FAST_DEPTH: usize = 128;

/// Appends to `out` what `JsonValue::parse_prefix_with_end(text)` followed by `to_compact`
/// prints, and returns the offset just after the value, like `parse_prefix_with_end` does.
/// Returns `None`, with `out` unchanged, when the text needs the full parser: either it is
/// not valid JSON or a string in it is not written the way cJSON prints strings.
pub fn write_compact_prefix(text: &str, out: &mut String) -> Option<usize> {
    let start_len = out.len();
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        out,
    };
    scanner.skip_whitespace();
    if scanner.value(0).is_some() {
        return Some(scanner.pos);
    }
    out.truncate(start_len);
    None
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: &'a mut String,
}

impl Scanner<'_> {
    fn skip_whitespace(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|byte| *byte <= b' ') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_FAST_DEPTH {
            return None;
        }
        let rest = &self.bytes[self.pos..];
        for literal in ["null", "false", "true"] {
            if rest.starts_with(literal.as_bytes()) {
                self.pos += literal.len();
                self.out.push_str(literal);
                return Some(());
            }
        }
        match rest.first()? {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            _ => None,
        }
    }

    /// Copies a string that cJSON prints back unchanged. Its escapes must be `\"`, `\\`,
    /// `\b`, `\f`, `\n`, `\r`, `\t` or a lowercase `\u00XX` for another control character.
    fn string(&mut self) -> Option<()> {
        let start = self.pos;
        let mut pos = start + 1;
        loop {
            pos = find_special(self.bytes, pos)?;
            match self.bytes[pos] {
                b'"' => break,
                b'\\' => pos += escape_len(&self.bytes[pos..])?,
                _ => return None,
            }
        }
        self.pos = pos + 1;
        self.out.push_str(&self.text[start..self.pos]);
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
            self.out.push_str(candidate);
            return Some(());
        }
        // The full parser takes the longest prefix that reads as a number. Only a candidate
        // that reads whole is handled here, so both take the same text.
        let number: f64 = candidate.parse().ok()?;
        if !candidate.bytes().any(|byte| byte.is_ascii_digit()) {
            return None;
        }
        self.out.push_str(&format_cjson_number(number));
        Some(())
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.out.push('[');
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.out.push(']');
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.out.push(',');
                }
                b']' => {
                    self.pos += 1;
                    self.out.push(']');
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.out.push('{');
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.out.push('}');
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return None;
            }
            self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return None;
            }
            self.pos += 1;
            self.out.push(':');
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.out.push(',');
                }
                b'}' => {
                    self.pos += 1;
                    self.out.push('}');
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Returns the length of the escape sequence at the start of `bytes` when cJSON prints that
/// sequence for its character, else `None`.
fn escape_len(bytes: &[u8]) -> Option<usize> {
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
/// no `-0`, and at most nine digits, so it fits a 32-bit `int`.
fn is_plain_int(text: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonValue;

    /// Checks that the fast path either gives up or prints what the full parser prints.
    fn check(text: &str) -> Option<String> {
        let mut out = String::from("prefix");
        let fast = write_compact_prefix(text, &mut out);
        let full = JsonValue::parse_prefix_with_end(text);
        match fast {
            Some(end) => {
                let (value, full_end) = full.expect("the fast path accepts only valid JSON");
                assert_eq!(end, full_end, "end of {text:?}");
                assert_eq!(out, format!("prefix{}", value.to_compact()), "{text:?}");
                Some(out["prefix".len()..].to_string())
            }
            None => {
                assert_eq!(out, "prefix", "output restored for {text:?}");
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
