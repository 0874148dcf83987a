//! Link-layer decoding: finds where the IP header starts and collects VLAN tags.

use crate::bytes::{be_u16, header};
use crate::{DecodeError, Layer, LinkType, VlanTags};

const ETHER_TYPE_IPV4: u16 = 0x0800;
const ETHER_TYPE_IPV6: u16 = 0x86dd;
/// 802.1Q customer tag.
const ETHER_TYPE_VLAN: u16 = 0x8100;
/// 802.1ad service tag.
const ETHER_TYPE_QINQ: u16 = 0x88a8;
/// Pre-standard QinQ service tag used by some switches.
const ETHER_TYPE_QINQ_LEGACY: u16 = 0x9100;

const ETHERNET_HEADER_LENGTH: usize = 14;
const SLL_HEADER_LENGTH: usize = 16;
const SLL2_HEADER_LENGTH: usize = 20;
const LOOPBACK_HEADER_LENGTH: usize = 4;
const VLAN_TAG_LENGTH: usize = 4;

/// BSD `AF_INET`.
const AF_INET: u32 = 2;
/// `AF_INET6` on Linux (10), NetBSD/OpenBSD (24), FreeBSD (28) and macOS (30).
const AF_INET6_VALUES: [u32; 4] = [10, 24, 28, 30];

/// The IP version named by the link layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetworkHint {
    /// The link layer names IPv4.
    Ipv4,
    /// The link layer names IPv6.
    Ipv6,
    /// Raw IP: the version nibble decides.
    VersionNibble,
}

/// The position of the network layer in a frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkLayer {
    /// Offset of the IP header.
    pub(crate) offset: usize,
    /// VLAN tags passed on the way.
    pub(crate) vlans: VlanTags,
    /// The IP version the link layer names.
    pub(crate) hint: NetworkHint,
}

/// Decodes the link-layer header of `data` according to `link_type`.
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
pub(crate) fn decode_link(link_type: LinkType, data: &[u8]) -> Result<LinkLayer, DecodeError> {
    match link_type {
        LinkType::ETHERNET => {
            let bytes = header(data, 0, ETHERNET_HEADER_LENGTH, Layer::Ethernet)?;
            follow_ether_type(data, be_u16(bytes, 12), ETHERNET_HEADER_LENGTH)
        }
        LinkType::LINUX_SLL => {
            let bytes = header(data, 0, SLL_HEADER_LENGTH, Layer::LinuxSll)?;
            follow_ether_type(data, be_u16(bytes, 14), SLL_HEADER_LENGTH)
        }
        LinkType::LINUX_SLL2 => {
            let bytes = header(data, 0, SLL2_HEADER_LENGTH, Layer::LinuxSll2)?;
            follow_ether_type(data, be_u16(bytes, 0), SLL2_HEADER_LENGTH)
        }
        LinkType::NULL => {
            let bytes = header(data, 0, LOOPBACK_HEADER_LENGTH, Layer::Loopback)?;
            let family = null_address_family([bytes[0], bytes[1], bytes[2], bytes[3]]);
            loopback(family)
        }
        LinkType::LOOP => {
            let bytes = header(data, 0, LOOPBACK_HEADER_LENGTH, Layer::Loopback)?;
            loopback(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        }
        LinkType::RAW => Ok(raw(NetworkHint::VersionNibble)),
        LinkType::IPV4 => Ok(raw(NetworkHint::Ipv4)),
        LinkType::IPV6 => Ok(raw(NetworkHint::Ipv6)),
        other => Err(DecodeError::UnsupportedLinkType(other)),
    }
}

fn raw(hint: NetworkHint) -> LinkLayer {
    LinkLayer {
        offset: 0,
        vlans: VlanTags::default(),
        hint,
    }
}

/// Reads a NULL (DLT_NULL) address family written in the capturing host's byte order.
///
/// Every known family value is below 256, so a value with bits in its upper half can only be
/// the other byte order.
fn null_address_family(bytes: [u8; 4]) -> u32 {
    let little = u32::from_le_bytes(bytes);
    if little > 0xffff {
        u32::from_be_bytes(bytes)
    } else {
        little
    }
}

fn loopback(family: u32) -> Result<LinkLayer, DecodeError> {
    let hint = if family == AF_INET {
        NetworkHint::Ipv4
    } else if AF_INET6_VALUES.contains(&family) {
        NetworkHint::Ipv6
    } else {
        return Err(DecodeError::UnknownAddressFamily { family });
    };
    Ok(LinkLayer {
        offset: LOOPBACK_HEADER_LENGTH,
        vlans: VlanTags::default(),
        hint,
    })
}

/// Walks VLAN tags starting at `offset` until an IP EtherType.
fn follow_ether_type(
    data: &[u8],
    mut ether_type: u16,
    mut offset: usize,
) -> Result<LinkLayer, DecodeError> {
    let mut vlans = VlanTags::default();
    loop {
        match ether_type {
            ETHER_TYPE_IPV4 => return Ok(ether_link(offset, vlans, NetworkHint::Ipv4)),
            ETHER_TYPE_IPV6 => return Ok(ether_link(offset, vlans, NetworkHint::Ipv6)),
            ETHER_TYPE_VLAN | ETHER_TYPE_QINQ | ETHER_TYPE_QINQ_LEGACY => {
                let tag = header(data, offset, VLAN_TAG_LENGTH, Layer::Vlan)?;
                if !vlans.push(be_u16(tag, 0) & 0x0fff) {
                    return Err(DecodeError::TooManyVlanTags);
                }
                ether_type = be_u16(tag, 2);
                offset += VLAN_TAG_LENGTH;
            }
            other => return Err(DecodeError::NotIp { ether_type: other }),
        }
    }
}

fn ether_link(offset: usize, vlans: VlanTags, hint: NetworkHint) -> LinkLayer {
    LinkLayer {
        offset,
        vlans,
        hint,
    }
}
