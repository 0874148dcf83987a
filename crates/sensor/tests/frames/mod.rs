//! Hand-built raw IPv4 frames carrying DNS over UDP, shared by the sensor tests.

#![allow(dead_code)]

pub const CLIENT: [u8; 4] = [192, 0, 2, 1];
pub const SERVER: [u8; 4] = [192, 0, 2, 53];
pub const SECOND: i64 = 1_000_000_000;

/// Builds a DNS message for `a.test` type A with `id`. A response sets QR and adds one A record.
pub fn dns_message(id: u16, response: bool) -> Vec<u8> {
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
pub fn ipv4(
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

pub fn udp(source_port: u16, destination_port: u16, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(8 + payload.len()).expect("test datagrams are small");
    let mut datagram = source_port.to_be_bytes().to_vec();
    datagram.extend_from_slice(&destination_port.to_be_bytes());
    datagram.extend_from_slice(&length.to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    datagram
}

pub fn query_packet(id: u16) -> Vec<u8> {
    ipv4(
        CLIENT,
        SERVER,
        17,
        0x4000,
        1,
        &udp(40000, 53, &dns_message(id, false)),
    )
}

pub fn response_packet(id: u16) -> Vec<u8> {
    ipv4(
        SERVER,
        CLIENT,
        17,
        0x4000,
        2,
        &udp(53, 40000, &dns_message(id, true)),
    )
}
