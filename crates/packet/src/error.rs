//! Errors from decoding a frame to an IP packet.

use crate::LinkType;
use std::fmt;

/// The header a [`DecodeError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Ethernet II header.
    Ethernet,
    /// 802.1Q / 802.1ad VLAN tag.
    Vlan,
    /// Linux cooked capture v1 header.
    LinuxSll,
    /// Linux cooked capture v2 header.
    LinuxSll2,
    /// BSD loopback (NULL or LOOP) address family.
    Loopback,
    /// IPv4 header.
    Ipv4,
    /// IPv6 fixed header.
    Ipv6,
    /// IPv6 extension header.
    Ipv6Extension,
    /// UDP header.
    Udp,
    /// TCP header.
    Tcp,
}

impl fmt::Display for Layer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Layer::Ethernet => "ethernet header",
            Layer::Vlan => "vlan tag",
            Layer::LinuxSll => "linux cooked (sll) header",
            Layer::LinuxSll2 => "linux cooked v2 (sll2) header",
            Layer::Loopback => "loopback header",
            Layer::Ipv4 => "ipv4 header",
            Layer::Ipv6 => "ipv6 header",
            Layer::Ipv6Extension => "ipv6 extension header",
            Layer::Udp => "udp header",
            Layer::Tcp => "tcp header",
        };
        formatter.write_str(name)
    }
}

/// The reason a frame did not decode to an IP packet.
///
/// `NotIp` and `UnsupportedLinkType` describe traffic this crate does not handle rather than
/// malformed input; callers usually count them apart from the others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame ended inside a header.
    #[error("{layer} at offset {offset} needs {needed} bytes, {available} captured")]
    Truncated {
        /// The header being read.
        layer: Layer,
        /// Offset of that header in the frame.
        offset: usize,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes left in the frame from `offset`.
        available: usize,
    },
    /// The link type has no decoder.
    #[error("unsupported {0}")]
    UnsupportedLinkType(LinkType),
    /// The link layer carries something other than IPv4 or IPv6 (ARP, LLDP, 802.3 LLC, ...).
    #[error("not an ip packet: ethertype 0x{ether_type:04x}")]
    NotIp {
        /// The EtherType (or 802.3 length) found.
        ether_type: u16,
    },
    /// A loopback header names an address family that is not IPv4 or IPv6.
    #[error("not an ip packet: loopback address family {family}")]
    UnknownAddressFamily {
        /// The address family value, already in the right byte order.
        family: u32,
    },
    /// More VLAN tags than [`crate::MAX_VLAN_TAGS`].
    #[error("more than {max} stacked vlan tags", max = crate::MAX_VLAN_TAGS)]
    TooManyVlanTags,
    /// The IP version nibble does not match the header type expected by the link layer.
    #[error("invalid ip version {found} at offset {offset}")]
    InvalidIpVersion {
        /// The version nibble found.
        found: u8,
        /// Offset of the IP header in the frame.
        offset: usize,
    },
    /// The IPv4 IHL field is below 5 (20 bytes).
    #[error("invalid ipv4 header length {header_length} bytes (ihl {ihl}), minimum 20")]
    InvalidIpv4HeaderLength {
        /// The IHL field.
        ihl: u8,
        /// IHL times 4.
        header_length: usize,
    },
    /// The IPv4 total length is shorter than the header.
    #[error("invalid ipv4 total length {total_length}, less than header length {header_length}")]
    InvalidIpv4TotalLength {
        /// The total length field.
        total_length: u16,
        /// The header length from IHL.
        header_length: usize,
    },
    /// IPv6 extension headers go on past [`crate::MAX_IPV6_EXTENSION_HEADERS`].
    #[error("more than {max} ipv6 extension headers", max = crate::MAX_IPV6_EXTENSION_HEADERS)]
    TooManyExtensionHeaders,
    /// An IPv6 packet has a second fragment header.
    #[error("ipv6 fragment header at offset {offset} follows another fragment header")]
    NestedFragmentHeader {
        /// Offset of the second fragment header.
        offset: usize,
    },
    /// The UDP length field is between 1 and 7.
    #[error("invalid udp length {length}, less than the 8-byte header")]
    InvalidUdpLength {
        /// The UDP length field.
        length: u16,
    },
    /// The TCP data offset is below 5 (20 bytes).
    #[error("invalid tcp data offset {data_offset} ({header_length} bytes), minimum 5")]
    InvalidTcpDataOffset {
        /// The data offset field.
        data_offset: u8,
        /// Data offset times 4.
        header_length: usize,
    },
}
