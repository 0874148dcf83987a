//! Byte scanning for the bytes that a JSON string cannot hold as they are: control characters
//! (below 0x20), `"` and `\`. Eight bytes are tested at once, because most strings contain
//! none of them and the scan decides the cost of printing and checking strings.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Returns the index of the first byte at or after `from` that is below 0x20, `"` or `\`.
pub(crate) fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    let mut index = from;
    while let Some(chunk) = bytes.get(index..index + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("the chunk has 8 bytes"));
        if has_special(word) {
            break;
        }
        index += 8;
    }
    bytes
        .get(index..)?
        .iter()
        .position(|&byte| is_special(byte))
        .map(|offset| index + offset)
}

fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Returns true when a byte of `word` may be special. Each test sets the high bit of a byte
/// that may match. A false positive only ends the fast loop early, because the byte loop
/// decides.
fn has_special(word: u64) -> bool {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let quote_zero = quote.wrapping_sub(ONES) & !quote;
    let backslash_zero = backslash.wrapping_sub(ONES) & !backslash;
    (below_space | quote_zero | backslash_zero) & HIGHS != 0
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
    fn find_special_skips_plain_bytes() {
        let plain: Vec<u8> = (0x20..=0xFFu8)
            .filter(|&byte| byte != b'"' && byte != b'\\')
            .collect();
        assert_eq!(find_special(&plain, 0), None);
        assert_eq!(find_special(b"ab\"cd\"", 3), Some(5));
        assert_eq!(find_special(b"ab", 5), None);
    }
}
