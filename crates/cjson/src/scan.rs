//! Byte scanning for the bytes that a JSON string cannot hold as they are: control characters
//! (below 0x20), `"` and `\`. Eight bytes are tested at once, because most strings contain
//! none of them and the scan decides the cost of printing and checking strings.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Returns the index of the first byte at or after `from` that is below 0x20, `"` or `\`.
pub fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    find_flagged(bytes, from, special_mask, is_special)
}

/// Returns the index of the first byte at or after `from` that [`find_special`] finds, and
/// whether a `.` comes before it.
#[inline]
pub fn find_special_after_dots(bytes: &[u8], from: usize) -> Option<(usize, bool)> {
    // Most object keys end within their first eight bytes.
    let Some(chunk) = bytes.get(from..from + 8) else {
        return find_special_after_dots_slowly(bytes, from, false);
    };
    let word = u64::from_le_bytes(chunk.try_into().expect("the chunk has 8 bytes"));
    let special = special_mask(word);
    if special != 0 {
        return Some(special_after_dots(from, word, special));
    }
    find_special_after_dots_slowly(bytes, from + 8, dot_mask(word) != 0)
}

/// Returns what [`find_special_after_dots`] returns when the word at `index` has the flagged
/// `special` bytes.
#[inline]
fn special_after_dots(index: usize, word: u64, special: u64) -> (usize, bool) {
    // The lowest flagged byte of each mask is a match, so a dot flagged before the first
    // special byte is a dot.
    let before_special = (special & special.wrapping_neg()) - 1;
    let has_dot = dot_mask(word) & before_special != 0;
    (index + (special.trailing_zeros() / 8) as usize, has_dot)
}

/// Does what [`find_special_after_dots`] does, given whether a `.` comes before `from`.
#[inline(never)]
fn find_special_after_dots_slowly(
    bytes: &[u8],
    from: usize,
    dot_before: bool,
) -> Option<(usize, bool)> {
    let mut index = from;
    let mut has_dot = dot_before;
    while let Some(chunk) = bytes.get(index..index + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("the chunk has 8 bytes"));
        let special = special_mask(word);
        if special != 0 {
            let (found, dot_in_word) = special_after_dots(index, word, special);
            return Some((found, has_dot || dot_in_word));
        }
        has_dot |= dot_mask(word) != 0;
        index += 8;
    }
    let rest = bytes.get(index..)?;
    let stop = rest.iter().position(|&byte| is_special(byte))?;
    has_dot |= rest[..stop].contains(&b'.');
    Some((index + stop, has_dot))
}

/// Sets the high bit of each `.` byte of `word`, and possibly of bytes above a `.`.
fn dot_mask(word: u64) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(b'.')))
}

/// Returns the index of the first `"` or `\` at or after `from`.
pub(crate) fn find_quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    find_flagged(bytes, from, quote_or_backslash_mask, |byte| {
        byte == b'"' || byte == b'\\'
    })
}

/// Returns the index of the first `needle` at or after `from`.
pub fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    find_flagged(
        bytes,
        from,
        |word| zero_bytes(word ^ (ONES * u64::from(needle))),
        |byte| byte == needle,
    )
}

/// Returns the index of the first byte at or after `from` that `matches`, testing eight
/// bytes at a time with `mask`, which flags the high bit of matching bytes.
fn find_flagged(
    bytes: &[u8],
    from: usize,
    mask: impl Fn(u64) -> u64,
    matches: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut index = from;
    while let Some(chunk) = bytes.get(index..index + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("the chunk has 8 bytes"));
        let flagged = mask(word);
        if flagged != 0 {
            // The lowest flagged byte is always a match. The tests can flag a byte that
            // does not match only above a matching byte, whose borrow reaches it.
            return Some(index + (flagged.trailing_zeros() / 8) as usize);
        }
        index += 8;
    }
    bytes
        .get(index..)?
        .iter()
        .position(|&byte| matches(byte))
        .map(|offset| index + offset)
}

fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Sets the high bit of each byte of `word` that is below 0x20, `"` or `\`, and possibly of
/// bytes above such a byte.
fn special_mask(word: u64) -> u64 {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    (below_space & HIGHS) | quote_or_backslash_mask(word)
}

/// Sets the high bit of each byte of `word` that is `"` or `\`, and possibly of bytes above
/// such a byte.
fn quote_or_backslash_mask(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    zero_bytes(quote) | zero_bytes(backslash)
}

/// Sets the high bit of each zero byte of `word`, and possibly of bytes above a zero byte.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_special_each_byte_position() {
        for special in [0u8, 0x1F, b'"', b'\\', b'\n'] {
            for position in 0..20 {
                let mut bytes = vec![b'a'; 20];
                bytes[position] = special;
                assert_eq!(find_special(&bytes, 0), Some(position), "byte {special}");
            }
        }
    }

    #[test]
    fn find_special_ignores_borrowed_bytes() {
        // Each match is followed by the byte that a borrow from it would flag.
        for (special, next) in [(0x1Fu8, 0x20u8), (b'"', b'#'), (b'\\', b']'), (0, 0x20)] {
            for position in 0..16 {
                let mut bytes = vec![b'a'; 24];
                bytes[position] = special;
                bytes[position + 1] = next;
                assert_eq!(find_special(&bytes, 0), Some(position), "byte {special}");
                assert_eq!(find_special(&bytes, position + 1), None, "after {special}");
            }
        }
    }

    #[test]
    fn find_quote_or_backslash_positions() {
        for special in [b'"', b'\\'] {
            for position in 0..20 {
                let mut bytes = vec![0x1Fu8; 20];
                bytes[position] = special;
                let found = find_quote_or_backslash(&bytes, 0);
                assert_eq!(found, Some(position), "byte {special}");
            }
        }
        assert_eq!(find_quote_or_backslash(b"a\x01\x80\xff!#[]", 0), None);
        assert_eq!(find_quote_or_backslash(b"\"ab\\", 1), Some(3));
    }

    #[test]
    fn find_byte_each_position() {
        for position in 0..20 {
            let mut bytes = vec![b'a'; 21];
            bytes[position] = b'.';
            bytes[position + 1] = b'/';
            assert_eq!(find_byte(&bytes, 0, b'.'), Some(position), "at {position}");
            assert_eq!(
                find_byte(&bytes, position + 1, b'.'),
                None,
                "after {position}"
            );
        }
    }

    #[test]
    fn find_special_skips_plain_bytes() {
        let plain: Vec<u8> = (0x20..=0xFFu8)
            .filter(|&byte| byte != b'"' && byte != b'\\')
            .collect();
        assert_eq!(find_special(&plain, 0), None);
        assert_eq!(find_special(b"ab\"cd\"", 3), Some(5));
        assert_eq!(find_special(b"ab", 5), None);
    }
}
