//! Captured frames and their link types.

use std::fmt;

/// A capture timestamp: nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from whole seconds and a nanosecond fraction.
    pub fn from_parts(seconds: i64, nanoseconds: u32) -> Self {
        Timestamp(
            seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanoseconds)),
        )
    }

    /// Nanoseconds since the Unix epoch.
    pub fn as_nanos(self) -> i64 {
        self.0
    }
}

/// A link-layer header type, as numbered by the tcpdump.org LINKTYPE registry.
///
/// The registry is open, so unknown values keep their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in host byte order of the capturing machine.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, possibly with 802.1Q / 802.1ad tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP with no link header (IPv4 or IPv6 from the version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

impl fmt::Display for LinkType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "link type {}", self.0)
    }
}

/// One captured frame, borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// When the frame was captured.
    pub timestamp: Timestamp,
    /// How to decode the first bytes of `data`.
    pub link_type: LinkType,
    /// The captured bytes, possibly shorter than the frame on the wire.
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub original_length: u32,
    /// The capture interface: pcapng interface id, or Linux ifindex for live capture. pcapng
    /// numbers interfaces per section, so ids repeat across sections; classic pcap uses 0.
    pub interface: u32,
}
