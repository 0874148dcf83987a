//! A check that JSON text is already in the layout cJSON's compact printer writes, so the
//! text can be copied as it is instead of printed again. The same loop can print the value
//! in cJSON's formatted layout while it checks it. Every other text is left to the scanner
//! in [`crate::compact`].

use crate::compact::{escape_len, is_plain_int, MAX_FAST_DEPTH};
use crate::scan::find_special;

/// Returns the offset just after the first JSON value of `text` when the text up to there is
/// exactly what `cJSON_PrintUnformatted` prints for that value. That needs no whitespace,
/// strings with only the escapes cJSON writes, and integers of up to nine digits. Returns
/// `None` for any other text, valid JSON or not, and for a value that nests deeper than
/// [`MAX_FAST_DEPTH`] when it is itself `depth` levels deep.
pub(crate) fn compact_value_end(text: &str, depth: usize) -> Option<usize> {
    scan_compact_value(text, depth, &mut CheckOnly)
}

/// Appends `text`, one value exactly as `cJSON_PrintUnformatted` prints it (see
/// [`compact_value_end`]), in the layout `cJSON_Print` gives the same value. Only whitespace
/// is added: a newline and tabs around object members, a tab after each `:` and a space
/// after each `,` between array items. Returns false, with `out` unchanged, when the value
/// nests [`MAX_FAST_DEPTH`] levels or deeper.
pub(crate) fn write_pretty_canonical(text: &str, out: &mut String) -> bool {
    let bytes = text.as_bytes();
    let start_len = out.len();
    // Bit `level` is set when the container open at that nesting level is an object.
    let mut objects: u128 = 0;
    let mut open = 0usize;
    let mut copied = 0;
    let mut pos = 0;
    while let Some(&byte) = bytes.get(pos) {
        match byte {
            b'"' => {
                pos = string_end(bytes, pos).unwrap_or(bytes.len());
                continue;
            }
            b'[' | b'{' => {
                if open + 1 >= MAX_FAST_DEPTH {
                    out.truncate(start_len);
                    return false;
                }
                pos += 1;
                if byte == b'[' {
                    objects &= !(1 << open);
                    open += 1;
                    continue;
                }
                out.push_str(&text[copied..pos]);
                copied = pos;
                out.push('\n');
                if bytes.get(pos) == Some(&b'}') {
                    // An empty object prints as `{`, a newline, its own indent and `}`.
                    push_tabs(out, open);
                    pos += 1;
                } else {
                    objects |= 1 << open;
                    open += 1;
                    push_tabs(out, open);
                }
                continue;
            }
            b']' => open = open.saturating_sub(1),
            b'}' => {
                open = open.saturating_sub(1);
                out.push_str(&text[copied..pos]);
                copied = pos;
                out.push('\n');
                push_tabs(out, open);
            }
            b':' => {
                out.push_str(&text[copied..=pos]);
                copied = pos + 1;
                out.push('\t');
            }
            b',' => {
                out.push_str(&text[copied..=pos]);
                copied = pos + 1;
                let in_object = open > 0 && objects & (1 << (open - 1)) != 0;
                if in_object {
                    out.push('\n');
                    push_tabs(out, open);
                } else {
                    out.push(' ');
                }
            }
            _ => {}
        }
        pos += 1;
    }
    out.push_str(&text[copied..]);
    true
}

/// Appends the value at the start of `text` as [`write_pretty_canonical`] prints it and
/// returns the offset after the value, in one pass instead of [`compact_value_end`] and
/// then [`write_pretty_canonical`]. Returns `None`, with `out` unchanged, when either of
/// them would reject the value: when it is not in the compact layout, or nests too deep
/// when it is itself `depth` levels deep.
pub fn write_pretty_compact_value(text: &str, depth: usize, out: &mut String) -> Option<usize> {
    let start_len = out.len();
    let end = scan_compact_value(text, depth, out);
    if end.is_none() {
        out.truncate(start_len);
    }
    end
}

/// The output of [`scan_compact_value`].
trait ScanOutput {
    /// Whether the output is printed, so the scan also stops where
    /// [`write_pretty_canonical`] gives up.
    const PRINTS: bool;

    /// Appends `text[from..to]`.
    fn copy(&mut self, text: &str, from: usize, to: usize);

    /// Appends a newline and `tabs` tabs.
    fn new_line(&mut self, tabs: usize);

    /// Appends one ASCII character.
    fn push(&mut self, character: char);
}

/// No output: the scan only checks the layout.
struct CheckOnly;

impl ScanOutput for CheckOnly {
    const PRINTS: bool = false;

    #[inline(always)]
    fn copy(&mut self, _text: &str, _from: usize, _to: usize) {}

    #[inline(always)]
    fn new_line(&mut self, _tabs: usize) {}

    #[inline(always)]
    fn push(&mut self, _character: char) {}
}

/// The layout that `cJSON_Print` gives the scanned value.
impl ScanOutput for String {
    const PRINTS: bool = true;

    #[inline(always)]
    fn copy(&mut self, text: &str, from: usize, to: usize) {
        self.push_str(&text[from..to]);
    }

    #[inline(always)]
    fn new_line(&mut self, tabs: usize) {
        self.push('\n');
        push_tabs(self, tabs);
    }

    #[inline(always)]
    fn push(&mut self, character: char) {
        String::push(self, character);
    }
}

/// Returns the offset after the value at the start of `text` when it is in the compact
/// layout, as [`compact_value_end`] describes, writing its pretty layout to `out` as it
/// goes. Leaves partial output when it returns `None`.
fn scan_compact_value<O: ScanOutput>(text: &str, depth: usize, out: &mut O) -> Option<usize> {
    if depth >= MAX_FAST_DEPTH {
        return None;
    }
    let bytes = text.as_bytes();
    // Bit `level` is set when the container open at that nesting level is an object.
    let mut objects: u128 = 0;
    let mut open = 0usize;
    let mut pos = 0usize;
    // Input before this offset is in `out` already.
    let mut copied = 0usize;
    loop {
        // A value starts at `pos`.
        match *bytes.get(pos)? {
            b'"' => pos = string_end(bytes, pos)?,
            opening @ (b'{' | b'[') => {
                // The pretty printer gives up at this nesting even for an empty container.
                if O::PRINTS && open + 1 >= MAX_FAST_DEPTH {
                    return None;
                }
                let is_object = opening == b'{';
                let closing = if is_object { b'}' } else { b']' };
                pos += 1;
                if bytes.get(pos) == Some(&closing) {
                    // An empty object prints as `{`, a newline, its own indent and `}`.
                    if is_object {
                        out.copy(text, copied, pos);
                        copied = pos;
                        out.new_line(open);
                    }
                    pos += 1;
                } else {
                    // The members of this container are one level deeper.
                    if depth + open + 1 >= MAX_FAST_DEPTH {
                        return None;
                    }
                    if is_object {
                        objects |= 1 << open;
                        open += 1;
                        pos = print_key_line(out, text, &mut copied, pos, open)?;
                    } else {
                        objects &= !(1 << open);
                        open += 1;
                    }
                    continue;
                }
            }
            b'-' | b'0'..=b'9' => {
                let length = bytes[pos..]
                    .iter()
                    .take_while(|byte| {
                        matches!(byte, b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.')
                    })
                    .count();
                if !is_plain_int(&text[pos..pos + length]) {
                    return None;
                }
                pos += length;
            }
            b'n' => pos = literal_end(bytes, pos, b"null")?,
            b't' => pos = literal_end(bytes, pos, b"true")?,
            b'f' => pos = literal_end(bytes, pos, b"false")?,
            _ => return None,
        }
        // After a value: close containers until a comma starts the next value.
        loop {
            if open == 0 {
                out.copy(text, copied, pos);
                return Some(pos);
            }
            let is_object = objects & (1 << (open - 1)) != 0;
            match *bytes.get(pos)? {
                b',' => {
                    pos += 1;
                    if is_object {
                        pos = print_key_line(out, text, &mut copied, pos, open)?;
                    } else {
                        out.copy(text, copied, pos);
                        copied = pos;
                        out.push(' ');
                    }
                    break;
                }
                b'}' if is_object => {
                    open -= 1;
                    out.copy(text, copied, pos);
                    copied = pos;
                    out.new_line(open);
                    pos += 1;
                }
                b']' if !is_object => {
                    pos += 1;
                    open -= 1;
                }
                _ => return None,
            }
        }
    }
}

/// Appends the input up to `pos`, a newline, `tabs` tabs, and the `"key":` at `pos` followed
/// by a tab. Returns the offset after the colon, or `None` when no key is at `pos`.
#[inline(always)]
fn print_key_line<O: ScanOutput>(
    out: &mut O,
    text: &str,
    copied: &mut usize,
    pos: usize,
    tabs: usize,
) -> Option<usize> {
    out.copy(text, *copied, pos);
    out.new_line(tabs);
    let end = key_end(text.as_bytes(), pos)?;
    out.copy(text, pos, end);
    *copied = end;
    out.push('\t');
    Some(end)
}

fn push_tabs(out: &mut String, count: usize) {
    const TABS: &str = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    let mut left = count;
    while left > 0 {
        let step = left.min(TABS.len());
        out.push_str(&TABS[..step]);
        left -= step;
    }
}

/// Returns the offset after the string that starts with the `"` at `pos`, when cJSON prints
/// that string back unchanged. Its escapes must be `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` or
/// a lowercase `\u00XX` for another control character.
pub(crate) fn string_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut pos = pos + 1;
    loop {
        pos = find_special(bytes, pos)?;
        match bytes[pos] {
            b'"' => return Some(pos + 1),
            b'\\' => pos += escape_len(&bytes[pos..])?,
            _ => return None,
        }
    }
}

/// Returns the offset after `"key":` at `pos`.
fn key_end(bytes: &[u8], pos: usize) -> Option<usize> {
    if bytes.get(pos) != Some(&b'"') {
        return None;
    }
    let end = string_end(bytes, pos)?;
    (bytes.get(end) == Some(&b':')).then_some(end + 1)
}

fn literal_end(bytes: &[u8], pos: usize, literal: &[u8]) -> Option<usize> {
    bytes[pos..]
        .starts_with(literal)
        .then_some(pos + literal.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonValue;

    /// Values that cJSON's compact printer prints as they are written.
    const ACCEPTED: [&str; 5] = [
        r#"{"a":[1,-2,0,"x\ty\u0001",true,false,null,{},[]],"b":{"c":{"d":"\"\\"}}}"#,
        r#"[[],[[1]],{"":""}]"#,
        r#""plain""#,
        "123456789",
        "{}",
    ];

    /// Texts that are not a value in the compact layout.
    const REJECTED: [&str; 21] = [
        " {}",
        "{ }",
        r#"{"a" :1}"#,
        r#"{"a":1 }"#,
        "[1, 2]",
        "[1.0]",
        "[1e3]",
        "[-0]",
        "[007]",
        "[1234567890]",
        r#"["\/"]"#,
        r#"["\u00e9"]"#,
        r#"["\u000a"]"#,
        "[\"raw\u{1}\"]",
        r#"{"a":1"#,
        r#"{"a":1]"#,
        "[1}",
        "{1:2}",
        "[nul]",
        "[,]",
        "",
    ];

    /// Compact values with their pretty layouts to check.
    const PRETTY: [&str; 11] = [
        r#"[{"a":{},"b":[1.5,{"c":[]}]},{},"s"]"#,
        r#"{"a":[1,2],"b":{"c":{"d":"x,y:z{}[]"}},"e":"q\"\\"}"#,
        r#"["network_traffic","network"]"#,
        r#"[{"class":"IN","ttl":"300","data":"192.0.2.1","name":"a.b","type":"A"}]"#,
        "[[],[[]],{}]",
        "[]",
        "{}",
        r#""s""#,
        "-7",
        "null",
        r#"[true,false,null,0.5,1e+20]"#,
    ];

    #[test]
    fn canonical_text_accepted() {
        let cases = ACCEPTED;
        for text in cases {
            let with_tail = format!("{text} tail");
            assert_eq!(compact_value_end(&with_tail, 0), Some(text.len()), "{text}");
            let value = JsonValue::parse_prefix(text).unwrap();
            assert_eq!(value.to_compact(), text, "{text} is canonical");
        }
    }

    #[test]
    fn other_text_rejected() {
        let cases = REJECTED;
        for text in cases {
            assert_eq!(compact_value_end(text, 0), None, "{text:?}");
        }
    }

    #[test]
    fn pretty_canonical_matches_printer() {
        let cases = PRETTY;
        for text in cases {
            let value = JsonValue::parse_prefix(text).unwrap();
            assert_eq!(value.to_compact(), text, "{text} is canonical");
            let mut out = String::from("prefix");
            assert!(write_pretty_canonical(text, &mut out), "{text}");
            assert_eq!(out, format!("prefix{}", value.to_pretty()), "{text}");
        }
        let deep = format!("{}1{}", "[".repeat(128), "]".repeat(128));
        let mut out = String::from("prefix");
        assert!(!write_pretty_canonical(&deep, &mut out));
        assert_eq!(out, "prefix");
    }

    /// Checks that the one-pass printer agrees with the check and the printer it replaces,
    /// for `text` followed by other text.
    fn check_one_pass(text: &str, depth: usize) {
        let with_tail = format!("{text},\"tail\"]");
        let end = compact_value_end(&with_tail, depth);
        let mut expected = String::from("prefix");
        let printed =
            end.is_some_and(|end| write_pretty_canonical(&with_tail[..end], &mut expected));
        let mut out = String::from("prefix");
        let one_pass = write_pretty_compact_value(&with_tail, depth, &mut out);
        if printed {
            assert_eq!(one_pass, end, "{text:?} at depth {depth}");
            assert_eq!(out, expected, "{text:?} at depth {depth}");
        } else {
            assert_eq!(one_pass, None, "{text:?} at depth {depth}");
            assert_eq!(out, "prefix", "{text:?} at depth {depth}");
        }
    }

    #[test]
    fn one_pass_pretty_matches_two_passes() {
        let more = [
            r#"[{"a":{},"b":[1,{"c":[]}]},{},"s"]"#,
            r#"{"a":[1,2],"b":{"c":{"d":{}}},"e":[{"f":[{}]}]}"#,
            "[true,false,null]",
        ];
        let cases = PRETTY.iter().chain(&ACCEPTED).chain(&REJECTED).chain(&more);
        for &text in cases {
            for depth in [0, 1, 5, MAX_FAST_DEPTH - 1, MAX_FAST_DEPTH] {
                check_one_pass(text, depth);
            }
        }
        for levels in [120, 126, 127, 128, 129] {
            for inner in ["1", "[]", "{}", r#"{"k":[]}"#] {
                let nested = format!("{}{inner}{}", "[".repeat(levels), "]".repeat(levels));
                for depth in [0, 1, 2] {
                    check_one_pass(&nested, depth);
                }
            }
        }
    }

    #[test]
    fn nesting_limit_matches_scanner() {
        let deepest = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(compact_value_end(&deepest, 0), Some(deepest.len()));
        let too_deep = format!("{}1{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(compact_value_end(&too_deep, 0), None);
    }
}
