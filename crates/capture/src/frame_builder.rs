//! Turns a packet in the ring into a [`Frame`] with the link header its link type promises.
//!
//! Two cases need bytes the kernel did not store in front of the packet. SOCK_DGRAM sockets
//! deliver the network header only, so a Linux cooked (SLL v1) header is built from the
//! packet's `sockaddr_ll`, as libpcap does for `any`. Drivers that strip the VLAN tag leave it
//! in the ring header, so the tag is put back between the MAC addresses and the EtherType (or
//! after the SLL header). Both are written into the free space in front of the packet inside
//! the ring slot when it is large enough, else into a reused scratch buffer.

use dnstel_packet::{Frame, LinkType, Timestamp};

use crate::sys::packet::{TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID};
use crate::sys::ring::{PacketInfo, PACKET_HEADERS_END};

/// Length of a Linux cooked v1 header.
pub const SLL_HEADER_LENGTH: usize = 16;
const ETHERTYPE_VLAN: u16 = 0x8100;
const MAC_ADDRESSES_LENGTH: usize = 12;

/// The shape of the frames from one socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameShape {
    /// Data starts with the link header of `LinkType`; a stripped VLAN tag is reinserted for
    /// Ethernet.
    Raw(LinkType),
    /// Data starts at the network header; an SLL v1 header is prepended.
    Cooked,
}

impl FrameShape {
    /// Returns the link type of the frames produced.
    pub fn link_type(self) -> LinkType {
        match self {
            FrameShape::Raw(link_type) => link_type,
            FrameShape::Cooked => LinkType::LINUX_SLL,
        }
    }
}

/// Builds the frame for the packet described by `info` whose ring slot is `slot`.
pub fn build_frame<'a>(
    shape: FrameShape,
    info: &PacketInfo,
    slot: &'a mut [u8],
    scratch: &'a mut Vec<u8>,
) -> Frame<'a> {
    let vlan = vlan_tag(info);
    let mut header = [0u8; SLL_HEADER_LENGTH + 4];
    let (replaced, inserted) = match shape {
        FrameShape::Cooked => (0, cooked_header(info, vlan, &mut header)),
        FrameShape::Raw(LinkType::ETHERNET) if vlan.is_some() => {
            let data = slot.get(info.data_offset..).unwrap_or_default();
            (
                MAC_ADDRESSES_LENGTH,
                ethernet_prefix(data, vlan, &mut header),
            )
        }
        FrameShape::Raw(_) => (0, 0),
    };
    let grown = inserted.saturating_sub(replaced);
    let data = splice(
        slot,
        info.data_offset,
        replaced,
        &header[..inserted],
        scratch,
    );
    Frame {
        timestamp: Timestamp::from_parts(i64::from(info.seconds), info.nanoseconds),
        link_type: shape.link_type(),
        data,
        original_length: info.length.saturating_add(grown as u32),
        interface: info.ifindex,
    }
}

/// Returns the (TPID, TCI) of a tag the driver stripped.
fn vlan_tag(info: &PacketInfo) -> Option<(u16, u16)> {
    if info.status & TP_STATUS_VLAN_VALID == 0 {
        return None;
    }
    let tpid = if info.status & TP_STATUS_VLAN_TPID_VALID != 0 && info.vlan_tpid != 0 {
        info.vlan_tpid
    } else {
        ETHERTYPE_VLAN
    };
    Some((tpid, info.vlan_tci))
}

/// Writes an SLL v1 header (plus the VLAN tag, if any) into `header` and returns its length.
fn cooked_header(info: &PacketInfo, vlan: Option<(u16, u16)>, header: &mut [u8; 20]) -> usize {
    header[0..2].copy_from_slice(&u16::from(info.packet_type).to_be_bytes());
    header[2..4].copy_from_slice(&info.hardware_type.to_be_bytes());
    header[4..6].copy_from_slice(&u16::from(info.address_length).to_be_bytes());
    let length = usize::from(info.address_length).min(8);
    header[6..6 + length].copy_from_slice(&info.address[..length]);
    match vlan {
        None => {
            header[14..16].copy_from_slice(&info.protocol.to_be_bytes());
            SLL_HEADER_LENGTH
        }
        Some((tpid, tci)) => {
            header[14..16].copy_from_slice(&tpid.to_be_bytes());
            header[16..18].copy_from_slice(&tci.to_be_bytes());
            header[18..20].copy_from_slice(&info.protocol.to_be_bytes());
            SLL_HEADER_LENGTH + 4
        }
    }
}

/// Writes the MAC addresses followed by the VLAN tag into `header` and returns its length, or
/// 0 when the frame is too short to hold MAC addresses.
fn ethernet_prefix(data: &[u8], vlan: Option<(u16, u16)>, header: &mut [u8; 20]) -> usize {
    let (Some(addresses), Some((tpid, tci))) = (data.get(..MAC_ADDRESSES_LENGTH), vlan) else {
        return 0;
    };
    header[..12].copy_from_slice(addresses);
    header[12..14].copy_from_slice(&tpid.to_be_bytes());
    header[14..16].copy_from_slice(&tci.to_be_bytes());
    16
}

/// Returns the captured bytes with the first `replaced` bytes swapped for `prefix`, in place
/// when the slot has room in front of the data, else in `scratch`.
fn splice<'a>(
    slot: &'a mut [u8],
    data_offset: usize,
    replaced: usize,
    prefix: &[u8],
    scratch: &'a mut Vec<u8>,
) -> &'a [u8] {
    let data_end = slot.len();
    if prefix.is_empty() || data_offset + replaced > data_end {
        return slot.get(data_offset..).unwrap_or_default();
    }
    let keep_from = data_offset + replaced;
    match keep_from.checked_sub(prefix.len()) {
        Some(start) if start >= PACKET_HEADERS_END => {
            slot[start..keep_from].copy_from_slice(prefix);
            &slot[start..]
        }
        _ => {
            scratch.clear();
            scratch.extend_from_slice(prefix);
            scratch.extend_from_slice(&slot[keep_from..]);
            scratch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(data_offset: usize) -> PacketInfo {
        PacketInfo {
            seconds: 10,
            nanoseconds: 5,
            length: 4,
            status: 0,
            data_offset,
            vlan_tci: 0,
            vlan_tpid: 0,
            protocol: 0x0800,
            ifindex: 3,
            hardware_type: 1,
            packet_type: 4,
            address_length: 6,
            address: [1, 2, 3, 4, 5, 6, 0, 0],
        }
    }

    #[test]
    fn cooked_frame_gets_sll_header() {
        let mut slot = vec![0u8; 96 + 4];
        slot[96..].copy_from_slice(&[0x45, 0, 0, 4]);
        let mut scratch = Vec::new();
        let frame = build_frame(FrameShape::Cooked, &info(96), &mut slot, &mut scratch);
        assert_eq!(frame.link_type, LinkType::LINUX_SLL);
        assert_eq!(
            frame.data,
            &[0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00, 0x45, 0, 0, 4]
        );
        assert_eq!(frame.original_length, 20);
        assert!(scratch.is_empty(), "the header fits in front of the data");
    }

    #[test]
    fn cooked_frame_without_room_uses_scratch() {
        let mut slot = vec![0u8; 70 + 4];
        slot[70..].copy_from_slice(&[0x45, 0, 0, 4]);
        let mut scratch = Vec::new();
        let frame = build_frame(FrameShape::Cooked, &info(70), &mut slot, &mut scratch);
        assert_eq!(frame.data.len(), 20);
        assert_eq!(&frame.data[16..], &[0x45, 0, 0, 4]);
    }

    #[test]
    fn ethernet_frame_gets_vlan_tag_back() {
        let mut slot = vec![0u8; 82 + 18];
        let ethernet: Vec<u8> = (1..=12).chain([0x08, 0x00, 0x45, 0, 0, 4]).collect();
        slot[82..].copy_from_slice(&ethernet);
        let mut packet = info(82);
        packet.status = TP_STATUS_VLAN_VALID;
        packet.vlan_tci = 0x0064;
        packet.length = 18;
        let mut scratch = Vec::new();
        let shape = FrameShape::Raw(LinkType::ETHERNET);
        let frame = build_frame(shape, &packet, &mut slot, &mut scratch);
        let expected: Vec<u8> = (1..=12)
            .chain([0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45, 0, 0, 4])
            .collect();
        assert_eq!(frame.data, expected.as_slice());
        assert_eq!(frame.original_length, 22);
    }

    #[test]
    fn raw_frame_is_unchanged() {
        let mut slot = vec![0u8; 80 + 2];
        slot[80..].copy_from_slice(&[0x60, 0]);
        let mut scratch = Vec::new();
        let shape = FrameShape::Raw(LinkType::RAW);
        let frame = build_frame(shape, &info(80), &mut slot, &mut scratch);
        assert_eq!(frame.data, &[0x60, 0]);
        assert_eq!(frame.timestamp, Timestamp::from_parts(10, 5));
        assert_eq!(frame.interface, 3);
    }
}
