//! A minimal classic-pcap reader that yields DNS payloads, for tests over real captures.
//!
//! It reads Ethernet (with VLAN tags), Linux SLL, BSD loopback and raw IP links, unfragmented
//! IPv4 and IPv6 without extension headers. pcapng files yield nothing.

/// IP protocol number of UDP.
const UDP: u8 = 17;
/// IP protocol number of TCP.
const TCP: u8 = 6;

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

/// Returns every frame as (1-based number, link type, captured bytes).
pub fn frames(bytes: &[u8]) -> Vec<(usize, u32, Vec<u8>)> {
    let big_endian = match bytes.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]) => false,
        Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]) => true,
        _ => return Vec::new(),
    };
    let read_u32 = |at: usize| -> Option<u32> {
        let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        })
    };
    let Some(link_type) = read_u32(20) else {
        return Vec::new();
    };
    let mut frames = Vec::new();
    let mut position = 24;
    while let Some(captured) = read_u32(position + 8) {
        let start = position + 16;
        let end = start + captured as usize;
        let Some(data) = bytes.get(start..end) else {
            break;
        };
        frames.push((frames.len() + 1, link_type & 0x0fff_ffff, data.to_vec()));
        position = end;
    }
    frames
}

/// Returns the network-layer packet of a frame.
fn network(link_type: u32, data: &[u8]) -> Option<&[u8]> {
    match link_type {
        1 => {
            let mut offset = 12;
            let mut ether_type = be16(data, offset)?;
            while ether_type == 0x8100 || ether_type == 0x88a8 {
                offset += 4;
                ether_type = be16(data, offset)?;
            }
            data.get(offset + 2..)
        }
        113 => data.get(16..),
        0 | 108 => data.get(4..),
        101 | 228 | 229 | 12 | 14 => Some(data),
        _ => None,
    }
}

/// Returns the transport segment of a frame when it carries `protocol`.
fn transport(link_type: u32, data: &[u8], protocol: u8) -> Option<&[u8]> {
    let packet = network(link_type, data)?;
    match packet.first()? >> 4 {
        4 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let fragment = be16(packet, 6)?;
            if fragment & 0x3fff != 0 || *packet.get(9)? != protocol {
                return None;
            }
            let total = usize::from(be16(packet, 2)?);
            packet.get(header_len..total.min(packet.len()))
        }
        6 if *packet.get(6)? == protocol => packet.get(40..),
        _ => None,
    }
}

/// Returns the UDP payloads on ports 53, 5353 and 5355, keyed by frame number.
pub fn udp_dns_payloads(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    frames(bytes)
        .into_iter()
        .filter_map(|(frame, link_type, data)| {
            let udp = transport(link_type, &data, UDP)?;
            let is_dns = |port| matches!(port, 53 | 5353 | 5355);
            if !is_dns(be16(udp, 0)?) && !is_dns(be16(udp, 2)?) {
                return None;
            }
            let length = usize::from(be16(udp, 4)?);
            Some((frame, udp.get(8..length.min(udp.len()))?.to_vec()))
        })
        .collect()
}

/// Returns the DNS messages carried whole in one TCP segment on port 53 (length prefix
/// removed), keyed by frame number.
pub fn tcp_dns_messages(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    frames(bytes)
        .into_iter()
        .filter_map(|(frame, link_type, data)| {
            let tcp = transport(link_type, &data, TCP)?;
            if be16(tcp, 0)? != 53 && be16(tcp, 2)? != 53 {
                return None;
            }
            let payload = tcp.get(usize::from(tcp.get(12)? >> 4) * 4..)?;
            let length = usize::from(be16(payload, 0)?);
            Some((frame, payload.get(2..2 + length)?.to_vec()))
        })
        .collect()
}
