//! Guessing where a DNS message starts in a TCP stream that lost its place (after a hole, or
//! when the capture starts in the middle of a connection), and checking the guess.

/// Returns whether `payload` may begin at a message boundary. Every length prefix in it must be
/// at least a header long, and every header it contains must look like DNS (see
/// [`plausible_header`](crate::decode::plausible_header)). The payload must end exactly at a
/// message end or inside the last message, or one byte after a whole message, which is the
/// first byte of the next length prefix. A lone 2-byte prefix qualifies, because many clients
/// send the prefix in a segment of its own. The first message framed from such a guess must
/// still pass [`parses_cleanly`] before anything is reported.
pub(crate) fn may_start_message(payload: &[u8]) -> bool {
    let mut start = 0;
    loop {
        if start == payload.len() {
            return start > 0;
        }
        let Some(prefix) = payload.get(start..start + 2) else {
            // One byte is left: after a whole message it starts the next prefix, but a lone
            // byte says nothing about where a message starts.
            return start > 0;
        };
        let length = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
        if length < dnstel_dns::HEADER_LEN {
            return false;
        }
        let header_end = start + 2 + dnstel_dns::HEADER_LEN;
        if let Some(header) = payload.get(start + 2..header_end) {
            if !crate::decode::plausible_header(header) {
                return false;
            }
        }
        start += 2 + length;
        if start > payload.len() {
            return true;
        }
    }
}

/// Returns whether a message body parses with no anomaly at all.
pub(crate) fn parses_cleanly(body: &[u8]) -> bool {
    let options = dnstel_dns::ParseOptions::default();
    dnstel_dns::parse_boxed(body, &options).is_ok_and(|message| message.anomalies.is_empty())
}
