//! A check that JSON text is already in the layout cJSON's compact printer writes, so the
//! text can be copied as it is instead of printed again. It is one loop without output, and
//! leaves every other text to the scanner in [`crate::compact`].

use crate::compact::{escape_len, is_plain_int, MAX_FAST_DEPTH};
use crate::scan::find_special;

/// Returns the offset just after the first JSON value of `text` when the text up to there is
/// exactly what `cJSON_PrintUnformatted` prints for that value. That needs no whitespace,
/// strings with only the escapes cJSON writes, and integers of up to nine digits. Returns
/// `None` for any other text, valid JSON or not, and for a value that nests deeper than
/// [`MAX_FAST_DEPTH`] when it is itself `depth` levels deep.
pub(crate) fn compact_value_end(text: &str, depth: usize) -> Option<usize> {
    if depth >= MAX_FAST_DEPTH {
        return None;
    }
    let bytes = text.as_bytes();
    // Bit `level` is set when the container open at that nesting level is an object.
    let mut objects: u128 = 0;
    let mut open = 0usize;
    let mut pos = 0usize;
    loop {
        // A value starts at `pos`.
        match *bytes.get(pos)? {
            b'"' => pos = string_end(bytes, pos)?,
            opening @ (b'{' | b'[') => {
                let is_object = opening == b'{';
                let closing = if is_object { b'}' } else { b']' };
                pos += 1;
                if bytes.get(pos) == Some(&closing) {
                    pos += 1;
                } else {
                    // The members of this container are one level deeper.
                    if depth + open + 1 >= MAX_FAST_DEPTH {
                        return None;
                    }
                    if is_object {
                        objects |= 1 << open;
                        pos = key_end(bytes, pos)?;
                    } else {
                        objects &= !(1 << open);
                    }
                    open += 1;
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
                return Some(pos);
            }
            let is_object = objects & (1 << (open - 1)) != 0;
            match *bytes.get(pos)? {
                b',' => {
                    pos += 1;
                    if is_object {
                        pos = key_end(bytes, pos)?;
                    }
                    break;
                }
                b'}' if is_object => {
                    pos += 1;
                    open -= 1;
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

    #[test]
    fn canonical_text_accepted() {
        let cases = [
            r#"{"a":[1,-2,0,"x\ty\u0001",true,false,null,{},[]],"b":{"c":{"d":"\"\\"}}}"#,
            r#"[[],[[1]],{"":""}]"#,
            r#""plain""#,
            "123456789",
            "{}",
        ];
        for text in cases {
            let with_tail = format!("{text} tail");
            assert_eq!(compact_value_end(&with_tail, 0), Some(text.len()), "{text}");
            let value = JsonValue::parse_prefix(text).unwrap();
            assert_eq!(value.to_compact(), text, "{text} is canonical");
        }
    }

    #[test]
    fn other_text_rejected() {
        let cases = [
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
        for text in cases {
            assert_eq!(compact_value_end(text, 0), None, "{text:?}");
        }
    }

    #[test]
    fn pretty_canonical_matches_printer() {
        let cases = [
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

    #[test]
    fn nesting_limit_matches_scanner() {
        let deepest = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(compact_value_end(&deepest, 0), Some(deepest.len()));
        let too_deep = format!("{}1{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(compact_value_end(&too_deep, 0), None);
    }
}
