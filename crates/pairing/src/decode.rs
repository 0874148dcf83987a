//! Decides whether a payload is a DNS message, and parses it.

use dnstel_dns::{Message, ParseOptions, HEADER_LEN};

/// Parses one DNS message (without any TCP length prefix).
///
/// Returns `None` when the bytes are not DNS: shorter than a header, or with anomalies, nothing
/// readable after the header, and a header that no DNS implementation sends (see
/// [`plausible_header`]). A malformed message that is still recognisably DNS is returned with
/// its anomalies, so it pairs and carries notes.
///
/// The parser builds the message in a box, and it stays there through pairing and encoding.
/// Moving the 184-byte message (x86-64) by value from stage to stage took about 5% of the CPU
/// time of `dnstel read` in a perf profile (an estimate).
#[inline]
pub(crate) fn decode(bytes: &[u8], options: &ParseOptions) -> Option<Box<Message>> {
    let message = dnstel_dns::parse_boxed(bytes, options).ok()?;
    let nothing_read = message.questions.is_empty()
        && message.answers.is_empty()
        && message.authorities.is_empty()
        && message.additionals.is_empty()
        && message.opt.is_none();
    if !message.anomalies.is_empty() && nothing_read && !plausible_header(bytes) {
        return None;
    }
    Some(message)
}

/// Checks the header fields that are fixed in practice: opcode 0-2 or 4-6 and at most one
/// question. `bytes` starts at the DNS header; shorter input is not plausible.
pub(crate) fn plausible_header(bytes: &[u8]) -> bool {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return false;
    };
    let opcode = (header[2] >> 3) & 0x0f;
    let question_count = u16::from_be_bytes([header[4], header[5]]);
    matches!(opcode, 0..=2 | 4..=6) && question_count <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_header_accepts_query() {
        let header = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        assert!(plausible_header(&header));
    }

    #[test]
    fn plausible_header_rejects_http() {
        assert!(!plausible_header(b"GET / HTTP/1.1\r\n"));
    }

    #[test]
    fn plausible_header_rejects_short_input() {
        assert!(!plausible_header(&[0; 11]));
    }
}
