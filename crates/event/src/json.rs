//! Low-level JSON output: strings escaped as Packetbeat's encoder escapes them, integers,
//! booleans and the punctuation of objects and arrays.
//!
//! Packetbeat's JSON codec (go-structform, `escape_html: false`) escapes `"` and `\`, writes
//! newline, carriage return and tab as `\n`, `\r`, `\t`, every other byte below 0x20 as
//! `\u00XX`, and U+2028 / U+2029 as `\u2028` / `\u2029`. `<`, `>` and `&` stay literal.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes that may need escaping: control bytes, `"`, `\`, and 0xe2 (the first byte of
/// U+2028 and U+2029).
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0xe2] = true;
    table
};

/// Appends `text` as a quoted JSON string.
#[inline]
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    write_str_content(out, text);
    out.push(b'"');
}

/// Reports whether `text` needs no escaping in a JSON string. May return false for some texts
/// that need none (those with a 0xe2 byte outside U+2028 and U+2029).
pub fn is_plain(text: &str) -> bool {
    plain_prefix_len(text.as_bytes()) == text.len()
}

/// Appends `text`, which [`is_plain`] accepted, as a quoted JSON string without checking it
/// again.
pub fn write_plain_str(out: &mut Vec<u8>, text: &str) {
    debug_assert!(is_plain(text));
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// Appends `text` escaped as the inside of a JSON string, without the quotes.
pub fn write_str_content(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let plain = plain_prefix_len(bytes);
    if plain == bytes.len() {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes, plain);
    }
}

/// Escapes `bytes` from `from` on, where `bytes[..from]` contains no byte that needs escaping.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8], from: usize) {
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate().skip(from) {
        if !SPECIAL[usize::from(byte)] || (byte == 0xe2 && !is_line_separator(&bytes[index..])) {
            continue;
        }
        out.extend_from_slice(&bytes[start..index]);
        start = index + 1;
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0xe2 => {
                // U+2028 or U+2029: the three UTF-8 bytes become one `\u` escape.
                let last = if bytes[index + 2] == 0xa8 { b'8' } else { b'9' };
                out.extend_from_slice(b"\\u202");
                out.push(last);
                start = index + 3;
            }
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xf)]);
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Returns the length of the leading run of `bytes` that contains no [`SPECIAL`] byte,
/// checking eight bytes at a time. A block with a candidate byte ends the run at the block
/// start, so the result may be short of the true run but never past it.
fn plain_prefix_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Sets the high bit of a byte lane when that lane is zero (exact for "any lane zero").
    let zero_lanes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut blocks = bytes.chunks_exact(8);
    let mut offset = 0;
    for block in &mut blocks {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(block);
        let word = u64::from_ne_bytes(lanes);
        // Lanes below 0x20: subtracting 0x20 borrows into the high bit of such a lane.
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = zero_lanes(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_lanes(word ^ (ONES * u64::from(b'\\')));
        let separator = zero_lanes(word ^ (ONES * 0xe2));
        if control | quote | backslash | separator != 0 {
            return offset;
        }
        offset += 8;
    }
    let tail = blocks.remainder();
    offset
        + tail
            .iter()
            .position(|&byte| SPECIAL[usize::from(byte)])
            .unwrap_or(tail.len())
}

/// Reports whether `rest` starts with the UTF-8 encoding of U+2028 or U+2029.
fn is_line_separator(rest: &[u8]) -> bool {
    rest.len() >= 3 && rest[1] == 0x80 && (rest[2] == 0xa8 || rest[2] == 0xa9)
}

/// The two-digit decimal text of each value below 100.
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut value = 0;
    while value < 100 {
        pairs[value] = [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8];
        value += 1;
    }
    pairs
};

/// Appends an unsigned integer in decimal.
///
/// Values below 10^8 cover ports, IDs, counts, TTLs and durations up to 0.1 s in nanoseconds.
/// They take a path without a loop. Their digits are built zero-padded in one `u64` and
/// shifted past the padding, then appended in one copy of fixed length that is cut back to the
/// text's length.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, value: u64) {
    if value < 10 {
        out.push(b'0' + value as u8);
        return;
    }
    match u32::try_from(value) {
        Ok(small) if small < 100_000_000 => write_below_10_8(out, small),
        _ => write_u64_long(out, value),
    }
}

/// Appends `value`, which is at least 10 and below 10^8.
#[inline]
fn write_below_10_8(out: &mut Vec<u8>, value: u32) {
    let (high, low) = (value / 10_000, value % 10_000);
    let pairs = [high / 100, high % 100, low / 100, low % 100];
    let mut padded = [0u8; 8];
    for (slot, pair) in padded.chunks_exact_mut(2).zip(pairs) {
        slot.copy_from_slice(&DIGIT_PAIRS[pair as usize]);
    }
    // Byte 0 of the little-endian word is the first character. The leading '0' characters
    // become zero bytes at the low end when XORed with '0' in every byte, and a value of at
    // least 10 has at most 6 of them. Shifting right drops them.
    let word = u64::from_le_bytes(padded);
    let leading_zeros = ((word ^ 0x3030_3030_3030_3030).trailing_zeros() / 8) as usize;
    let digits = word >> (8 * leading_zeros);
    let start = out.len();
    out.extend_from_slice(&digits.to_le_bytes());
    out.truncate(start + 8 - leading_zeros);
}

/// Appends any `u64`. The output grows by 20 bytes, the longest `u64` text, in one copy of
/// fixed length. The digits are then written in place and the rest is cut off. Appending a
/// slice formatted elsewhere made a `memcpy` call of variable length for every number.
fn write_u64_long(out: &mut Vec<u8>, value: u64) {
    let len = value.checked_ilog10().map_or(1, |log| log as usize + 1);
    let start = out.len();
    out.extend_from_slice(&[0; 20]);
    let digits = &mut out[start..start + len];
    let mut rest = value;
    let mut end = len;
    // While `rest` has two or more digits, so do the places left before `end`.
    while rest >= 10 {
        digits[end - 2..end].copy_from_slice(&DIGIT_PAIRS[(rest % 100) as usize]);
        rest /= 100;
        end -= 2;
    }
    if end > 0 {
        digits[end - 1] = b'0' + rest as u8;
    }
    out.truncate(start + len);
}

/// Appends a signed integer in decimal.
pub fn write_i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    write_u64(out, value.unsigned_abs());
}

/// Appends `true` or `false`.
pub fn write_bool(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// Expands a key name literal to its quoted form with the colon, `"name":`, as bytes.
macro_rules! quoted_key {
    ($name:literal) => {
        concat!("\"", $name, "\":").as_bytes()
    };
}
pub(crate) use quoted_key;

/// Writes the members of one JSON object, placing commas between them.
///
/// The writer opens the object on creation; [`ObjectWriter::end`] closes it.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Opens an object (`{`) in `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, empty: true }
    }

    /// Continues an object that `out` already opened and gave at least one member, so every
    /// member written next starts with a comma.
    pub fn continue_object(out: &'a mut Vec<u8>) -> Self {
        ObjectWriter { out, empty: false }
    }

    /// Writes `"key":` (after a comma when needed) and returns the buffer for the value.
    pub fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        write_str(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// Writes a key given already quoted and followed by the colon (`"key":`), and returns
    /// the buffer for the value. Skips the escaping of [`ObjectWriter::key`], so it suits keys
    /// fixed at compile time.
    #[inline]
    pub fn quoted_key(&mut self, quoted: &[u8]) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.extend_from_slice(quoted);
        self.out
    }

    /// Writes a member whose key and value are already encoded (`"key":value`).
    pub fn raw_member(&mut self, member: &[u8]) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.extend_from_slice(member);
    }

    /// Writes a string member.
    pub fn str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        write_str(out, value);
    }

    /// Writes an unsigned integer member.
    pub fn u64(&mut self, key: &str, value: u64) {
        let out = self.key(key);
        write_u64(out, value);
    }

    /// Writes a signed integer member.
    pub fn i64(&mut self, key: &str, value: i64) {
        let out = self.key(key);
        write_i64(out, value);
    }

    /// Writes a boolean member.
    pub fn bool(&mut self, key: &str, value: bool) {
        let out = self.key(key);
        write_bool(out, value);
    }

    /// Writes an array-of-strings member.
    pub fn str_array<S: AsRef<str>>(&mut self, key: &str, values: &[S]) {
        let out = self.key(key);
        write_str_array(out, values);
    }

    /// Opens a nested object member; close it with [`ObjectWriter::end`].
    pub fn object(&mut self, key: &str) -> ObjectWriter<'_> {
        let out = self.key(key);
        ObjectWriter::new(out)
    }

    /// Closes the object (`}`).
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// Appends a JSON array of strings (`[]` when `values` is empty).
pub fn write_str_array<S: AsRef<str>>(out: &mut Vec<u8>, values: &[S]) {
    out.push(b'[');
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_str(out, value.as_ref());
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("escaped JSON is UTF-8")
    }

    #[test]
    fn string_escapes_like_go() {
        assert_eq!(escaped("plain"), "\"plain\"");
        assert_eq!(escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(escaped("\n\r\t"), "\"\\n\\r\\t\"");
        assert_eq!(escaped("\u{0}\u{1f}"), "\"\\u0000\\u001f\"");
        assert_eq!(escaped("<a&b>"), "\"<a&b>\"");
        assert_eq!(escaped("x\u{2028}y\u{2029}"), "\"x\\u2028y\\u2029\"");
        assert_eq!(escaped("é€"), "\"é€\"");
    }

    #[test]
    fn string_escape_matches_serde_parse() {
        let text = "q\u{7}\u{2028}\"\\é\u{1b}";
        let parsed: String = serde_json::from_str(&escaped(text)).expect("valid JSON string");
        assert_eq!(parsed, text);
    }

    #[test]
    fn escape_any_block_position() {
        let specials = ["\"", "\\", "\n", "\u{1f}", "\u{2028}", "\u{e2}x", "é"];
        for length in 0..20 {
            for special in specials {
                for at in 0..=length {
                    let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(length - at));
                    let parsed: String =
                        serde_json::from_str(&escaped(&text)).expect("valid JSON string");
                    assert_eq!(parsed, text);
                    assert!(!escaped(&text).contains('\u{2028}'));
                }
            }
        }
    }

    #[test]
    fn integers_in_decimal() {
        let mut out = Vec::new();
        write_u64(&mut out, 0);
        out.push(b' ');
        write_u64(&mut out, u64::MAX);
        out.push(b' ');
        write_i64(&mut out, i64::MIN);
        assert_eq!(out, b"0 18446744073709551615 -9223372036854775808");
    }

    #[test]
    fn integers_match_display_at_every_length() {
        let mut values = vec![0u64, 1, 9, 42, 65_535, 99_999_999, 100_000_000, u64::MAX];
        values.extend(0..=1_000);
        values.extend((0..32).map(|bit| 1u64 << bit));
        values.extend([u64::from(u32::MAX), u64::from(u32::MAX) + 1]);
        for power in 1..20 {
            let round = 10u64.pow(power);
            values.extend([round - 1, round, round + 1, round + round / 2 + 7]);
        }
        for value in values {
            let mut out = b"x".to_vec();
            write_u64(&mut out, value);
            assert_eq!(out, format!("x{value}").as_bytes(), "{value}");
        }
    }

    #[test]
    fn object_writer_commas() {
        let mut out = Vec::new();
        let mut object = ObjectWriter::new(&mut out);
        object.str("a", "x");
        object.u64("b", 1);
        let mut inner = object.object("c");
        inner.bool("d", true);
        inner.end();
        object.str_array::<&str>("e", &[]);
        object.end();
        assert_eq!(out, br#"{"a":"x","b":1,"c":{"d":true},"e":[]}"#);
    }
}
