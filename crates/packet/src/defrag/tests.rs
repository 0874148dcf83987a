//! Defragmenter tests on hand-built IPv4 and IPv6 fragments.

use super::*;
use crate::test_frames::{extension, fragment_header, ipv4_with, ipv6, udp};
use crate::{decode_data, LinkType};

const MILLISECOND: i64 = 1_000_000;

/// Splits `datagram` (a UDP header and payload) into raw IPv4 fragments of `chunk` bytes.
fn ipv4_fragments(identification: u16, datagram: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    datagram
        .chunks(chunk)
        .enumerate()
        .map(|(index, piece)| {
            let offset = index * chunk;
            let more = offset + piece.len() < datagram.len();
            let field = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
            ipv4_with(17, identification, field, piece)
        })
        .collect()
}

/// Splits `payload` (what follows the fragment header) into raw IPv6 fragments.
fn ipv6_fragments(
    identification: u32,
    next_header: u8,
    payload: &[u8],
    chunk: usize,
) -> Vec<Vec<u8>> {
    payload
        .chunks(chunk)
        .enumerate()
        .map(|(index, piece)| {
            let offset = index * chunk;
            let more = offset + piece.len() < payload.len();
            ipv6(
                44,
                &fragment_header(next_header, offset as u16, more, identification, piece),
            )
        })
        .collect()
}

fn dns_datagram(size: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..size).map(|index| index as u8).collect();
    udp(53, 40000, &payload)
}

/// Feeds raw IP packets at 1 ms intervals from `start`; returns the reassembled datagrams.
fn feed(defragmenter: &mut Defragmenter, packets: &[Vec<u8>], start: i64) -> Vec<Reassembled> {
    let mut done = Vec::new();
    for (index, packet) in packets.iter().enumerate() {
        let decoded = decode_data(LinkType::RAW, packet).expect("fragment decodes");
        let timestamp = Timestamp(start + index as i64 * MILLISECOND);
        if let Some(datagram) = defragmenter.insert_decoded(timestamp, &decoded) {
            done.push(datagram);
        }
    }
    done
}

fn assert_udp_payload(datagram: &Reassembled, expected: &[u8]) {
    let Ok(Transport::Udp(udp)) = datagram.transport() else {
        panic!("expected udp, got {:?}", datagram.transport());
    };
    assert_eq!(udp.source_port, 53);
    assert_eq!(udp.payload, &expected[8..]);
}

/// Checks that every received fragment is reassembled, pending, or counted as dropped.
fn assert_fragments_accounted(defragmenter: &Defragmenter, reassembled_fragments: u64) {
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

#[test]
fn ipv4_in_order() {
    let datagram = dns_datagram(3000);
    let mut defragmenter = Defragmenter::default();
    let done = feed(&mut defragmenter, &ipv4_fragments(7, &datagram, 1480), 0);
    assert_eq!(done.len(), 1);
    assert_udp_payload(&done[0], &datagram);
    assert_eq!(done[0].fragments, 3);
    assert_eq!(done[0].ip.total_length, 20 + 3008);
    assert_eq!(defragmenter.pending_datagrams(), 0);
    assert_eq!(defragmenter.buffered_bytes(), 0);
    assert_eq!(defragmenter.stats().datagrams_reassembled, 1);
    assert_fragments_accounted(&defragmenter, 3);
}

#[test]
fn pending_fragments_counted_at_end() {
    let mut defragmenter = Defragmenter::default();
    let first_two = &ipv4_fragments(8, &dns_datagram(3000), 1480)[..2];
    assert!(feed(&mut defragmenter, first_two, 0).is_empty());
    assert_eq!(defragmenter.pending_datagrams(), 1);

    defragmenter.discard_pending();
    assert_eq!(defragmenter.pending_datagrams(), 0);
    assert_eq!(defragmenter.buffered_bytes(), 0);
    assert_eq!(defragmenter.stats().incomplete_at_end, 1);
    assert_eq!(defragmenter.stats().fragments_discarded, 2);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn ipv4_out_of_order() {
    let datagram = dns_datagram(3000);
    let mut fragments = ipv4_fragments(8, &datagram, 1000);
    fragments.reverse();
    fragments.swap(0, 1);
    let mut defragmenter = Defragmenter::default();
    let done = feed(&mut defragmenter, &fragments, 0);
    assert_eq!(done.len(), 1);
    assert_udp_payload(&done[0], &datagram);
    assert_eq!(done[0].ip.protocol, 17);
}

#[test]
fn ipv6_with_destination_options() {
    // The first fragment starts with a destination options header, then UDP.
    let datagram = dns_datagram(2000);
    let payload = extension(17, 1, &datagram);
    let mut defragmenter = Defragmenter::default();
    let done = feed(
        &mut defragmenter,
        &ipv6_fragments(0x0102_0304, 60, &payload, 1232),
        0,
    );
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].ip.version, IpVersion::V6);
    assert_udp_payload(&done[0], &datagram);
}

#[test]
fn duplicate_fragment_is_ignored() {
    let datagram = dns_datagram(2000);
    let fragments = ipv4_fragments(9, &datagram, 1000);
    let packets = vec![
        fragments[0].clone(),
        fragments[0].clone(),
        fragments[1].clone(),
        fragments[2].clone(),
    ];
    let mut defragmenter = Defragmenter::default();
    let done = feed(&mut defragmenter, &packets, 0);
    assert_eq!(done.len(), 1);
    assert_udp_payload(&done[0], &datagram);
    assert_eq!(defragmenter.stats().duplicate_fragments, 1);
    assert_fragments_accounted(&defragmenter, 3);
}

#[test]
fn consistent_overlap_reassembles() {
    let datagram = dns_datagram(1992);
    let first = ipv4_with(17, 10, 0x2000, &datagram[..1200]);
    let second = ipv4_with(17, 10, (800 / 8) as u16, &datagram[800..]);
    let mut defragmenter = Defragmenter::default();
    let done = feed(&mut defragmenter, &[first, second], 0);
    assert_eq!(done.len(), 1);
    assert_udp_payload(&done[0], &datagram);
}

#[test]
fn inconsistent_overlap_drops_datagram() {
    let datagram = dns_datagram(1992);
    let first = ipv4_with(17, 11, 0x2000, &datagram[..1200]);
    let mut altered = datagram[800..].to_vec();
    altered[10] ^= 0xff;
    let second = ipv4_with(17, 11, (800 / 8) as u16, &altered);
    let mut defragmenter = Defragmenter::default();
    let done = feed(&mut defragmenter, &[first, second], 0);
    assert!(done.is_empty());
    let stats = defragmenter.stats();
    assert_eq!(stats.inconsistent_datagrams, 1);
    assert_eq!(stats.fragments_discarded, 2);
    assert_eq!(defragmenter.pending_datagrams(), 0);
    assert_eq!(defragmenter.buffered_bytes(), 0);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn too_many_fragments_drops_datagram() {
    let datagram = dns_datagram(1000);
    let config = DefragConfig {
        max_fragments: 4,
        ..DefragConfig::default()
    };
    let mut defragmenter = Defragmenter::new(config);
    let done = feed(&mut defragmenter, &ipv4_fragments(12, &datagram, 64), 0);
    assert!(done.is_empty());
    // 16 fragments with a limit of 4: fragments 5, 10 and 15 each overflow a datagram, and the
    // fragments after a drop start a new one, so fragment 16 is left pending.
    assert_eq!(defragmenter.stats().too_many_fragments_datagrams, 3);
    assert_eq!(defragmenter.pending_fragments(), 1);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn incomplete_datagram_expires() {
    let datagram = dns_datagram(2000);
    let fragments = ipv4_fragments(13, &datagram, 1000);
    let mut defragmenter = Defragmenter::default();
    assert!(feed(&mut defragmenter, &fragments[..1], 0).is_empty());
    assert_eq!(defragmenter.pending_datagrams(), 1);
    // The rest arrives 1.5 s later: the first fragment has expired, so no datagram completes.
    let done = feed(&mut defragmenter, &fragments[1..], 1_500 * MILLISECOND);
    assert!(done.is_empty());
    assert_eq!(defragmenter.stats().expired_datagrams, 1);
    defragmenter.expire(Timestamp(10_000 * MILLISECOND));
    assert_eq!(defragmenter.stats().expired_datagrams, 2);
    assert_eq!(defragmenter.pending_datagrams(), 0);
    assert_eq!(defragmenter.buffered_bytes(), 0);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn datagram_within_hold_completes() {
    let datagram = dns_datagram(2000);
    let fragments = ipv4_fragments(14, &datagram, 1000);
    let mut defragmenter = Defragmenter::default();
    assert!(feed(&mut defragmenter, &fragments[..1], 0).is_empty());
    let done = feed(&mut defragmenter, &fragments[1..], 900 * MILLISECOND);
    assert_eq!(done.len(), 1);
}

#[test]
fn datagram_limit_evicts_oldest() {
    let config = DefragConfig {
        max_datagrams: 2,
        ..DefragConfig::default()
    };
    let mut defragmenter = Defragmenter::new(config);
    let datagram = dns_datagram(2000);
    for identification in 0..3u16 {
        let fragments = ipv4_fragments(identification, &datagram, 1000);
        feed(
            &mut defragmenter,
            &fragments[..1],
            i64::from(identification) * MILLISECOND,
        );
    }
    assert_eq!(defragmenter.pending_datagrams(), 2);
    assert_eq!(defragmenter.stats().evicted_for_count, 1);
    // Datagram 0 was evicted, datagram 2 still completes.
    let late = ipv4_fragments(0, &datagram, 1000);
    assert!(feed(&mut defragmenter, &late[1..], 10 * MILLISECOND).is_empty());
    let newest = ipv4_fragments(2, &datagram, 1000);
    assert_eq!(
        feed(&mut defragmenter, &newest[1..], 20 * MILLISECOND).len(),
        1
    );
    assert_fragments_accounted(&defragmenter, 3);
}

#[test]
fn byte_limit_evicts_oldest() {
    let config = DefragConfig {
        max_buffered_bytes: 2500,
        ..DefragConfig::default()
    };
    let mut defragmenter = Defragmenter::new(config);
    let datagram = dns_datagram(4000);
    let first = ipv4_fragments(1, &datagram, 2000);
    let second = ipv4_fragments(2, &datagram, 1000);
    feed(&mut defragmenter, &first[..1], 0);
    assert_eq!(defragmenter.buffered_bytes(), 2000);
    feed(&mut defragmenter, &second[..1], MILLISECOND);
    assert_eq!(defragmenter.stats().evicted_for_bytes, 1);
    assert_eq!(defragmenter.buffered_bytes(), 1000);
    // A fragment reaching past the limit on its own cannot be held at all.
    feed(&mut defragmenter, &second[3..4], 2 * MILLISECOND);
    assert_eq!(defragmenter.stats().evicted_for_bytes, 2);
    assert!(defragmenter.buffered_bytes() <= 2500);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn oversized_fragment_rejected() {
    let piece = vec![0u8; 800];
    let packet = ipv4_with(17, 15, 0x2000 | (65_000 / 8), &piece);
    let mut defragmenter = Defragmenter::default();
    assert!(feed(&mut defragmenter, &[packet], 0).is_empty());
    assert_eq!(defragmenter.stats().oversized_fragments, 1);
    assert_eq!(defragmenter.pending_datagrams(), 0);
}

#[test]
fn misaligned_and_empty_rejected() {
    let misaligned = ipv4_with(17, 16, 0x2000, &[0; 13]);
    let empty = ipv4_with(17, 16, 0x2001, &[]);
    let mut defragmenter = Defragmenter::default();
    assert!(feed(&mut defragmenter, &[misaligned, empty], 0).is_empty());
    assert_eq!(defragmenter.stats().invalid_fragments, 2);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn truncated_capture_rejected() {
    let datagram = dns_datagram(2000);
    let fragments = ipv4_fragments(17, &datagram, 1000);
    let cut = &fragments[0][..200];
    let decoded = decode_data(LinkType::RAW, cut).expect("decodes");
    let mut defragmenter = Defragmenter::default();
    assert!(defragmenter
        .insert_decoded(Timestamp(0), &decoded)
        .is_none());
    assert_eq!(defragmenter.stats().truncated_fragments, 1);
}

#[test]
fn non_fragment_is_ignored() {
    let packet = crate::test_frames::ipv4(17, &udp(1, 53, b"x"));
    let decoded = decode_data(LinkType::RAW, &packet).expect("decodes");
    let mut defragmenter = Defragmenter::default();
    assert!(defragmenter
        .insert_decoded(Timestamp(0), &decoded)
        .is_none());
    assert_eq!(defragmenter.stats().fragments_received, 0);
}

#[test]
fn same_id_different_protocol_kept_apart() {
    let datagram = dns_datagram(1000);
    let udp_first = ipv4_with(17, 20, 0x2000, &datagram[..504]);
    let tcp_last = ipv4_with(6, 20, 504 / 8, &datagram[504..]);
    let mut defragmenter = Defragmenter::default();
    assert!(feed(&mut defragmenter, &[udp_first, tcp_last], 0).is_empty());
    assert_eq!(defragmenter.pending_datagrams(), 2);
}

#[test]
fn first_fragment_flood_stays_bounded() {
    let mut defragmenter = Defragmenter::new(DefragConfig::default());
    let datagram = dns_datagram(2000);
    // A burst of 1000 first fragments at one instant overflows the 512-datagram limit, then
    // one every 3 ms stays under it, so those datagrams expire after a second instead.
    for identification in 0..3000u16 {
        let fragments = ipv4_fragments(identification, &datagram, 1000);
        let start = i64::from(identification.saturating_sub(1000)) * 3 * MILLISECOND;
        feed(&mut defragmenter, &fragments[..1], start);
        assert!(defragmenter.pending_datagrams() <= 512);
    }
    let stats = defragmenter.stats();
    assert!(stats.evicted_for_count > 0);
    assert!(stats.expired_datagrams > 0);
    assert_fragments_accounted(&defragmenter, 0);
    defragmenter.expire(Timestamp(10_000 * MILLISECOND));
    assert_eq!(defragmenter.pending_datagrams(), 0);
    assert_eq!(defragmenter.buffered_bytes(), 0);
    assert_fragments_accounted(&defragmenter, 0);
}

#[test]
fn eviction_order_ties_by_arrival() {
    let config = DefragConfig {
        max_datagrams: 2,
        ..DefragConfig::default()
    };
    let mut defragmenter = Defragmenter::new(config);
    let datagram = dns_datagram(2000);
    // Three datagrams started at the same instant: the first one started is evicted.
    for identification in [7u16, 3, 5] {
        let fragments = ipv4_fragments(identification, &datagram, 1000);
        feed(&mut defragmenter, &fragments[..1], 0);
    }
    assert_eq!(defragmenter.stats().evicted_for_count, 1);
    for identification in [3u16, 5] {
        let rest = ipv4_fragments(identification, &datagram, 1000);
        assert_eq!(feed(&mut defragmenter, &rest[1..], MILLISECOND).len(), 1);
    }
    let evicted = ipv4_fragments(7, &datagram, 1000);
    assert!(feed(&mut defragmenter, &evicted[1..], MILLISECOND).is_empty());
}
