//! The sensor end to end on hand-built raw IPv4 frames: pairing, decode errors, other
//! protocols, fragment reassembly, timeouts and the final flush.

mod frames;

use dnstel_packet::{Frame, LinkType, Timestamp};
use dnstel_sensor::{Sensor, SensorOptions};
use frames::{dns_message, ipv4, query_packet, response_packet, udp, CLIENT, SECOND, SERVER};

fn feed(sensor: &mut Sensor, nanos: i64, data: &[u8]) {
    let frame = Frame {
        timestamp: Timestamp(nanos),
        link_type: LinkType::RAW,
        data,
        original_length: u32::try_from(data.len()).expect("test frames are small"),
        interface: 0,
    };
    sensor.process_frame(&frame);
}

fn sensor() -> Sensor {
    Sensor::new(SensorOptions::default()).expect("default options are valid")
}

#[test]
fn query_and_response_pair() {
    let mut sensor = sensor();
    feed(&mut sensor, SECOND, &query_packet(7));
    feed(&mut sensor, SECOND + 1_000_000, &response_packet(7));
    let transactions: Vec<_> = sensor.drain().collect();
    assert_eq!(transactions.len(), 1);
    assert!(transactions[0].request.is_some());
    assert!(transactions[0].response.is_some());
    assert_eq!(sensor.stats().frames, 2);
    assert_eq!(sensor.pairing_stats().paired, 1);
    assert_eq!(sensor.pending_transactions(), 0);
}

#[test]
fn short_frame_counts_truncated() {
    let mut sensor = sensor();
    feed(&mut sensor, SECOND, &[0x45, 0, 0]);
    assert_eq!(sensor.stats().decode_errors.truncated, 1);
    assert_eq!(sensor.stats().decode_errors.total(), 1);
    assert_eq!(sensor.drain().count(), 0);
}

#[test]
fn icmp_counts_other_protocol() {
    let mut sensor = sensor();
    feed(
        &mut sensor,
        SECOND,
        &ipv4(CLIENT, SERVER, 1, 0x4000, 3, &[8, 0, 0, 0, 0, 0, 0, 0]),
    );
    assert_eq!(sensor.stats().other_protocols, 1);
    assert_eq!(sensor.stats().decode_errors.total(), 0);
}

#[test]
fn fragments_reassemble_into_query() {
    let datagram = udp(40000, 53, &dns_message(9, false));
    let (first, rest) = datagram.split_at(16);
    let mut sensor = sensor();
    // More-fragments set at offset 0, then the rest at offset 16 bytes (2 units of 8).
    feed(
        &mut sensor,
        SECOND,
        &ipv4(CLIENT, SERVER, 17, 0x2000, 77, first),
    );
    feed(
        &mut sensor,
        SECOND + 1,
        &ipv4(CLIENT, SERVER, 17, 2, 77, rest),
    );
    assert_eq!(sensor.stats().fragments, 2);
    assert_eq!(sensor.stats().reassembled, 1);
    assert_eq!(sensor.pending_transactions(), 1);
}

#[test]
fn advance_expires_unanswered_query() {
    let mut sensor = sensor();
    feed(&mut sensor, SECOND, &query_packet(11));
    sensor.advance(Timestamp(5 * SECOND));
    assert_eq!(sensor.drain().count(), 0, "expired before the 10 s timeout");
    sensor.advance(Timestamp(12 * SECOND));
    let transactions: Vec<_> = sensor.drain().collect();
    assert_eq!(transactions.len(), 1);
    assert!(transactions[0].response.is_none());
    assert_eq!(sensor.pairing_stats().timeouts, 1);
}

#[test]
fn finish_flushes_pending_query() {
    let mut sensor = sensor();
    feed(&mut sensor, SECOND, &query_packet(12));
    sensor.finish();
    assert_eq!(sensor.drain().count(), 1);
    assert_eq!(sensor.pairing_stats().flushed, 1);
    assert_eq!(sensor.pending_transactions(), 0);
}
