use super::*;
use crate::tcp::boundary::may_start_message;
use crate::test_support::{at, Wire};

/// What a test stream reported.
#[derive(Debug, Default)]
struct Collected {
    messages: Vec<(Timestamp, Vec<u8>)>,
    incomplete: Vec<(Option<u16>, Option<bool>)>,
    zero_length: usize,
}

const LIMITS: StreamLimits = StreamLimits {
    max_stream_bytes: 262_144,
    max_out_of_order_segments: 4,
    total_available: usize::MAX,
};

/// A stream plus what it reported.
#[derive(Default)]
struct Harness {
    stream: Stream,
    stats: PairingStats,
    collected: Collected,
}

impl Harness {
    fn synced(initial_sequence: u32) -> Self {
        let mut harness = Harness::default();
        harness.push_at(0, initial_sequence, true, &[]);
        harness
    }

    fn push(&mut self, sequence: u32, payload: &[u8]) {
        self.push_at(0, sequence, false, payload);
    }

    fn push_at(&mut self, millis: i64, sequence: u32, syn: bool, payload: &[u8]) {
        self.push_limited(millis, sequence, syn, payload, LIMITS);
    }

    fn push_limited(
        &mut self,
        millis: i64,
        sequence: u32,
        syn: bool,
        payload: &[u8],
        limits: StreamLimits,
    ) {
        let collected = &mut self.collected;
        let mut sink = |event: StreamEvent<'_>| collect(collected, event);
        let mut data_sequence = sequence;
        if syn {
            self.stream.syn(sequence);
            data_sequence = sequence.wrapping_add(1);
        }
        self.stream.push(
            data_sequence,
            at(millis),
            payload,
            limits,
            &mut self.stats,
            &mut sink,
        );
    }

    fn close(&mut self) {
        let collected = &mut self.collected;
        let mut sink = |event: StreamEvent<'_>| collect(collected, event);
        self.stream.close(&mut self.stats, &mut sink);
    }

    fn message_ids(&self) -> Vec<u16> {
        self.collected
            .messages
            .iter()
            .map(|(_, bytes)| u16::from_be_bytes([bytes[2], bytes[3]]))
            .collect()
    }
}

fn collect(collected: &mut Collected, event: StreamEvent<'_>) -> Flow {
    match event {
        StreamEvent::Message { timestamp, bytes } => {
            collected.messages.push((timestamp, bytes.to_vec()));
        }
        StreamEvent::ZeroLength => collected.zero_length += 1,
        StreamEvent::Incomplete { id, is_response } => {
            collected.incomplete.push((id, is_response));
        }
    }
    Flow::Continue
}

fn framed(id: u16) -> Vec<u8> {
    Wire::query(id).framed()
}

#[test]
fn stream_two_messages_one_segment() {
    let mut harness = Harness::synced(999);
    let mut payload = framed(1);
    payload.extend(framed(2));
    harness.push(1000, &payload);
    assert_eq!(harness.message_ids(), [1, 2]);
    assert_eq!(harness.collected.messages[0].1, framed(1));
    assert_eq!(harness.stream.buffered(), 0);
}

#[test]
fn stream_byte_by_byte_segments() {
    let mut harness = Harness::synced(999);
    let message = framed(1);
    for (index, byte) in message.iter().enumerate() {
        harness.push_at(index as i64, 1000 + index as u32, false, &[*byte]);
    }
    assert_eq!(harness.message_ids(), [1]);
    // The message time is the time of the segment holding its first byte.
    assert_eq!(harness.collected.messages[0].0, at(0));
}

#[test]
fn stream_split_length_prefix() {
    let mut harness = Harness::synced(999);
    let mut payload = framed(1);
    payload.extend(framed(2));
    let cut = framed(1).len() + 1;
    harness.push_at(1, 1000, false, &payload[..cut]);
    harness.push_at(2, 1000 + cut as u32, false, &payload[cut..]);
    assert_eq!(harness.message_ids(), [1, 2]);
    assert_eq!(harness.collected.messages[1].0, at(1));
}

#[test]
fn stream_out_of_order_segments() {
    let mut harness = Harness::synced(999);
    let message = framed(1);
    let (first, rest) = message.split_at(10);
    let (second, third) = rest.split_at(5);
    harness.push(1015, third);
    harness.push(1010, second);
    assert!(harness.collected.messages.is_empty());
    harness.push(1000, first);
    assert_eq!(harness.message_ids(), [1]);
    assert_eq!(harness.stats.tcp_out_of_order, 2);
    assert_eq!(harness.stream.buffered(), 0);
}

#[test]
fn stream_drops_retransmission() {
    let mut harness = Harness::synced(999);
    let message = framed(1);
    harness.push(1000, &message);
    harness.push(1000, &message);
    assert_eq!(harness.message_ids(), [1]);
    assert_eq!(harness.stats.tcp_retransmissions, 1);
}

#[test]
fn stream_trims_overlap() {
    let mut harness = Harness::synced(999);
    let message = framed(1);
    harness.push(1000, &message[..10]);
    harness.push(1005, &message[5..]);
    assert_eq!(harness.message_ids(), [1]);
    assert_eq!(harness.collected.messages[0].1, message);
    assert_eq!(harness.stats.tcp_overlaps, 1);
}

#[test]
fn stream_sequence_wraps_around() {
    let mut harness = Harness::synced(u32::MAX - 5);
    let message = framed(1);
    harness.push(u32::MAX - 4, &message[..8]);
    harness.push((u32::MAX - 4).wrapping_add(8), &message[8..]);
    assert_eq!(harness.message_ids(), [1]);
}

#[test]
fn stream_midstream_start_syncs() {
    let mut harness = Harness::default();
    harness.push(5000, &framed(4));
    assert_eq!(harness.message_ids(), [4]);
    assert_eq!(harness.stats.tcp_resyncs, 1);
}

#[test]
fn stream_midstream_skips_partial_message() {
    let mut harness = Harness::default();
    let message = framed(4);
    harness.push(5000, &message[9..]);
    assert!(harness.collected.messages.is_empty());
    let next = 5000 + message.len() as u32 - 9;
    harness.push(next, &framed(5));
    assert_eq!(harness.message_ids(), [5]);
    assert_eq!(harness.stats.tcp_skipped_bytes, (message.len() - 9) as u64);
}

#[test]
fn stream_gap_resynchronises() {
    let mut harness = Harness::synced(999);
    let lost = framed(1);
    harness.push(1000, &lost[..6]);
    // The rest of message 1 never arrives; later segments fill the out-of-order buffer.
    let mut sequence = 1000 + lost.len() as u32;
    for id in 2..=6 {
        let message = framed(id);
        harness.push(sequence, &message);
        sequence += message.len() as u32;
    }
    assert_eq!(harness.collected.incomplete, [(Some(1), Some(false))]);
    assert_eq!(harness.message_ids(), [2, 3, 4, 5, 6]);
    assert_eq!(harness.stats.tcp_gaps, 1);
    assert_eq!(harness.stream.buffered(), 0);
}

#[test]
fn stream_close_reports_partial_response() {
    let mut harness = Harness::synced(999);
    let response = Wire::response(9).framed();
    harness.push(1000, &response[..8]);
    harness.close();
    assert_eq!(harness.collected.incomplete, [(Some(9), Some(true))]);
    assert_eq!(harness.stats.tcp_incomplete_messages, 1);
    harness.push(1008, &response[8..]);
    assert!(harness.collected.messages.is_empty());
}

#[test]
fn stream_close_resolves_held_segments() {
    let mut harness = Harness::synced(999);
    let first = framed(1);
    let second = framed(2);
    harness.push(1000, &first[..5]);
    harness.push(1000 + first.len() as u32, &second);
    harness.close();
    assert_eq!(harness.collected.incomplete, [(Some(1), Some(false))]);
    assert_eq!(harness.message_ids(), [2]);
}

#[test]
fn stream_zero_length_stops() {
    let mut harness = Harness::synced(999);
    let mut payload = vec![0, 0];
    payload.extend(framed(1));
    harness.push(1000, &payload);
    assert_eq!(harness.collected.zero_length, 1);
    assert!(harness.collected.messages.is_empty());
    harness.push(1000 + payload.len() as u32, &framed(2));
    assert!(harness.collected.messages.is_empty());
}

#[test]
fn stream_syn_restarts_stopped_stream() {
    let mut harness = Harness::synced(999);
    harness.push(1000, &[0, 0]);
    harness.push_at(0, 5000, true, &[]);
    harness.push(5001, &framed(3));
    assert_eq!(harness.message_ids(), [3]);
}

#[test]
fn stream_total_limit_drops_bytes() {
    let mut harness = Harness::synced(999);
    let message = framed(1);
    let limits = StreamLimits {
        total_available: 4,
        ..LIMITS
    };
    harness.push_limited(0, 1000, false, &message, limits);
    assert!(harness.collected.messages.is_empty());
    assert_eq!(harness.stats.tcp_limit_dropped_bytes, message.len() as u64);
    harness.push(1000 + message.len() as u32, &framed(2));
    assert_eq!(harness.message_ids(), [2]);
}

#[test]
fn stream_out_of_order_byte_limit() {
    let mut harness = Harness::synced(999);
    let limits = StreamLimits {
        max_stream_bytes: 70_000,
        ..LIMITS
    };
    harness.push_limited(0, 1000, false, &[0x40, 0x00, 1, 2], limits);
    let filler = vec![0u8; 40_000];
    harness.push_limited(0, 2000, false, &filler, limits);
    harness.push_limited(0, 50_000, false, &filler, limits);
    assert!(harness.stream.buffered() <= 70_000);
    assert_eq!(harness.collected.incomplete.len(), 1);
}

#[test]
fn may_start_message_cases() {
    let mut two = framed(1);
    two.extend(framed(2));
    assert!(may_start_message(&framed(1)));
    assert!(may_start_message(&two));
    assert!(may_start_message(&framed(1)[..20]));
    assert!(may_start_message(&framed(1)[..2]));
    assert!(!may_start_message(&framed(1)[..1]));
    assert!(!may_start_message(&framed(1)[1..]));
    let mut split_prefix = framed(1);
    split_prefix.push(framed(2)[0]);
    assert!(may_start_message(&split_prefix));
    assert!(!may_start_message(b"GET / HTTP/1.1\r\n\r\n"));
    assert!(!may_start_message(&[]));
    assert!(!may_start_message(&[0, 5, 1, 2, 3, 4, 5]));
}

#[test]
fn stream_resync_on_lone_prefix() {
    let mut harness = Harness::default();
    let message = framed(8);
    harness.push(700, &message[..2]);
    harness.push(702, &message[2..]);
    assert_eq!(harness.message_ids(), [8]);
    assert_eq!(harness.stats.tcp_resyncs, 1);
}

#[test]
fn stream_wrong_guess_is_dropped() {
    let mut harness = Harness::default();
    // A plausible prefix and header whose message turns out malformed.
    let bad = Wire::query(3).missing_answers(1).framed();
    harness.push(700, &bad);
    assert!(harness.collected.messages.is_empty());
    assert_eq!(harness.stats.tcp_resyncs, 0);
    harness.push(700 + bad.len() as u32, &framed(4));
    assert_eq!(harness.message_ids(), [4]);
}

#[test]
fn stream_acknowledged_hole_breaks() {
    let mut harness = Harness::synced(999);
    let lost = framed(1);
    let later = framed(2);
    let later_sequence = 1000 + lost.len() as u32;
    harness.push(later_sequence, &later);
    assert!(harness.collected.messages.is_empty());
    let collected = &mut harness.collected;
    let mut sink = |event: StreamEvent<'_>| collect(collected, event);
    harness
        .stream
        .acknowledged(later_sequence, &mut harness.stats, &mut sink);
    assert_eq!(harness.message_ids(), [2]);
    assert_eq!(harness.stats.tcp_gaps, 1);
}

#[test]
fn stream_guess_moves_to_lone_prefix() {
    let mut harness = Harness::default();
    // A body whose first bytes read as a long length prefix, then a real prefix and body.
    let lost_prefix = framed(0x0500);
    let body_only = &lost_prefix[2..];
    assert!(may_start_message(body_only));
    harness.push(500, body_only);
    let message = framed(2);
    let next = 500 + body_only.len() as u32;
    harness.push(next, &message[..2]);
    harness.push(next + 2, &message[2..]);
    assert_eq!(harness.message_ids(), [2]);
    assert_eq!(harness.stats.tcp_skipped_bytes, body_only.len() as u64);
}
