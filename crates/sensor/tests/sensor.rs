//! The sensor end to end on hand-built raw IPv4 frames: pairing, decode errors, other
//! protocols, fragment reassembly, timeouts and the final flush.

use dnstel_packet::{Frame, LinkType, Timestamp};
use dnstel_sensor::{Sensor, SensorOptions};

const CLIENT: [u8; 4] = [192, 0, 2, 1];
const SERVER: [u8; 4] = [192, 0, 2, 53];
const SECOND: i64 = 1_000_000_000;

/// Builds a DNS message for `a.test` type A with `id`. A response sets QR and adds one A record.
fn dns_message(id: u16, response: bool) -> Vec<u8> {
    let mut message = id.to_be_bytes().to_vec();
    message.extend_from_slice(if response {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    let answers: u16 = if response { 1 } else { 0 };
    for count in [1, answers, 0, 0] {
        message.extend_from_slice(&count.to_be_bytes());
    }
    message.extend_from_slice(b"\x01a\x04test\x00\x00\x01\x00\x01");
    if response {
        message.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 80]);
    }
    message
}

/// Builds an IPv4 packet; `fragment` is the flags-and-offset field.
fn ipv4(
    source: [u8; 4],
    destination: [u8; 4],
    protocol: u8,
    fragment: u16,
    id: u16,
    payload: &[u8],
) -> Vec<u8> {
    let length = u16::try_from(20 + payload.len()).expect("test packets are small");
    let mut packet = vec![0x45, 0];
    packet.extend_from_slice(&length.to_be_bytes());
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&fragment.to_be_bytes());
    packet.extend_from_slice(&[64, protocol, 0, 0]);
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&destination);
    let mut sum = 0u32;
    for pair in packet.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !(sum as u16);
    packet[10..12].copy_from_slice(&checksum.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

fn udp(source_port: u16, destination_port: u16, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(8 + payload.len()).expect("test datagrams are small");
    let mut datagram = source_port.to_be_bytes().to_vec();
    datagram.extend_from_slice(&destination_port.to_be_bytes());
    datagram.extend_from_slice(&length.to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    datagram
}

fn query_packet(id: u16) -> Vec<u8> {
    ipv4(
        CLIENT,
        SERVER,
        17,
        0x4000,
        1,
        &udp(40000, 53, &dns_message(id, false)),
    )
}

fn response_packet(id: u16) -> Vec<u8> {
    ipv4(
        SERVER,
        CLIENT,
        17,
        0x4000,
        2,
        &udp(53, 40000, &dns_message(id, true)),
    )
}

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
