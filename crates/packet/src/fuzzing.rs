//! Entry points shared by the fuzz targets and the tests that replay their corpora.
//!
//! Each function takes arbitrary bytes and asserts the invariants that hold for any input, so a
//! panic in one of them is a bug.

use crate::{decode_data, DefragConfig, Defragmenter, LinkType, Timestamp, Transport};

/// Link types a `decode_frame` input can select with its first byte.
const LINK_TYPES: [LinkType; 8] = [
    LinkType::ETHERNET,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::RAW,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NULL,
    LinkType::LOOP,
];

/// Decodes `data[1..]` as a frame of the link type selected by `data[0]`.
pub fn decode_frame(data: &[u8]) {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let link_type = LINK_TYPES[usize::from(selector) % LINK_TYPES.len()];
    if let Ok(decoded) = decode_data(link_type, frame) {
        let start = frame.as_ptr() as usize;
        let end = start + frame.len();
        let payload = match decoded.transport {
            Transport::Udp(udp) => udp.payload,
            Transport::Tcp(tcp) => tcp.payload,
            Transport::Fragment(fragment) => fragment.payload,
            Transport::Other { payload, .. } => payload,
        };
        let payload_start = payload.as_ptr() as usize;
        assert!(
            payload.is_empty() || (payload_start >= start && payload_start + payload.len() <= end)
        );
    }
}

/// Feeds a sequence of raw IP packets to a [`Defragmenter`] with small limits.
///
/// The input is a list of records: a 2-byte big-endian length, a 1-byte time step in
/// milliseconds, then that many bytes of raw IP packet.
pub fn defragment(data: &[u8]) {
    let config = DefragConfig {
        max_hold: std::time::Duration::from_millis(200),
        max_fragments: 16,
        max_datagrams: 8,
        max_buffered_bytes: 32 * 1024,
    };
    let mut defragmenter = Defragmenter::new(config);
    let mut reassembled_fragments = 0u64;
    let mut now = 0i64;
    let mut rest = data;
    while rest.len() >= 3 {
        let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        now += i64::from(rest[2]) * 1_000_000;
        let body = &rest[3..];
        let packet = &body[..length.min(body.len())];
        rest = &body[packet.len()..];
        let Ok(decoded) = decode_data(LinkType::RAW, packet) else {
            continue;
        };
        if let Some(datagram) = defragmenter.insert_decoded(Timestamp(now), &decoded) {
            reassembled_fragments += u64::from(datagram.fragments);
            assert!(datagram.payload.len() <= 65_535);
            let _ = datagram.transport();
        }
        assert!(defragmenter.buffered_bytes() <= config.max_buffered_bytes);
        assert!(defragmenter.pending_datagrams() <= config.max_datagrams);
    }
    let stats = defragmenter.stats();
    let accounted = reassembled_fragments
        + stats.duplicate_fragments
        + stats.truncated_fragments
        + stats.invalid_fragments
        + stats.oversized_fragments
        + stats.fragments_discarded
        + defragmenter.pending_fragments();
    assert_eq!(stats.fragments_received, accounted, "{stats:?}");
}
