//! Builders of hand-written frames for the unit tests.

use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) const CLIENT_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
pub(crate) const SERVER_V4: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);
pub(crate) const CLIENT_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10);
pub(crate) const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53);

/// A UDP header and payload (checksum 0).
pub(crate) fn udp(source_port: u16, destination_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&source_port.to_be_bytes());
    bytes.extend_from_slice(&destination_port.to_be_bytes());
    bytes.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(payload);
    bytes
}

/// A TCP header without options, and a payload.
pub(crate) fn tcp(source_port: u16, destination_port: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&source_port.to_be_bytes());
    bytes.extend_from_slice(&destination_port.to_be_bytes());
    bytes.extend_from_slice(&1000u32.to_be_bytes());
    bytes.extend_from_slice(&2000u32.to_be_bytes());
    bytes.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    bytes.extend_from_slice(payload);
    bytes
}

/// An IPv4 packet with the given protocol, identification, flags/offset field and payload.
pub(crate) fn ipv4_with(
    protocol: u8,
    identification: u16,
    flags_offset: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut bytes = vec![0x45, 0];
    bytes.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&identification.to_be_bytes());
    bytes.extend_from_slice(&flags_offset.to_be_bytes());
    bytes.extend_from_slice(&[64, protocol, 0, 0]);
    bytes.extend_from_slice(&CLIENT_V4.octets());
    bytes.extend_from_slice(&SERVER_V4.octets());
    bytes.extend_from_slice(payload);
    bytes
}

/// An unfragmented IPv4 packet.
pub(crate) fn ipv4(protocol: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_with(protocol, 0x1234, 0x4000, payload)
}

/// An IPv6 packet whose first header is `next_header`.
pub(crate) fn ipv6(next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x60, 0, 0, 0];
    bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[next_header, 64]);
    bytes.extend_from_slice(&CLIENT_V6.octets());
    bytes.extend_from_slice(&SERVER_V6.octets());
    bytes.extend_from_slice(payload);
    bytes
}

/// An IPv6 options-style extension header (hop-by-hop, destination options, routing) of
/// `units` 8-byte units, followed by `rest`.
pub(crate) fn extension(next_header: u8, units: u8, rest: &[u8]) -> Vec<u8> {
    let mut bytes = vec![next_header, units - 1];
    bytes.resize(usize::from(units) * 8, 0);
    bytes.extend_from_slice(rest);
    bytes
}

/// An IPv6 fragment header followed by `rest`.
pub(crate) fn fragment_header(
    next_header: u8,
    offset: u16,
    more: bool,
    identification: u32,
    rest: &[u8],
) -> Vec<u8> {
    let field = (offset / 8) << 3 | u16::from(more);
    let mut bytes = vec![next_header, 0];
    bytes.extend_from_slice(&field.to_be_bytes());
    bytes.extend_from_slice(&identification.to_be_bytes());
    bytes.extend_from_slice(rest);
    bytes
}

/// An Ethernet II frame with the given VLAN tags (TPID, VID) in front of `ether_type`.
pub(crate) fn ethernet(tags: &[(u16, u16)], ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    for &(tpid, vid) in tags {
        bytes.extend_from_slice(&tpid.to_be_bytes());
        bytes.extend_from_slice(&vid.to_be_bytes());
    }
    bytes.extend_from_slice(&ether_type.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}
