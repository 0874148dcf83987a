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
    fn nesting_limit_matches_scanner() {
        let deepest = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(compact_value_end(&deepest, 0), Some(deepest.len()));
        let too_deep = format!("{}1{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(compact_value_end(&too_deep, 0), None);
    }
}
