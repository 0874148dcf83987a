//! The result of decoding one frame: VLAN tags, the IP header fields events need, and the
//! transport layer borrowed from the frame.

use std::net::IpAddr;

/// The maximum number of stacked VLAN tags decoded in front of the IP header.
///
/// Two covers 802.1ad / QinQ; a few more tolerate odd provider stacks.
pub const MAX_VLAN_TAGS: usize = 4;

/// The VLAN ids (12-bit VID) found in front of the IP header, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanTags {
    ids: [u16; MAX_VLAN_TAGS],
    len: u8,
}

impl VlanTags {
    /// Appends a tag; returns `false` when [`MAX_VLAN_TAGS`] tags are already stored.
    pub fn push(&mut self, id: u16) -> bool {
        let index = usize::from(self.len);
        if index >= MAX_VLAN_TAGS {
            return false;
        }
        self.ids[index] = id;
        self.len += 1;
        true
    }

    /// Returns the VLAN ids, outermost first.
    pub fn as_slice(&self) -> &[u16] {
        &self.ids[..usize::from(self.len)]
    }

    /// Returns the outermost VLAN id, if the frame was tagged.
    pub fn outer(&self) -> Option<u16> {
        self.as_slice().first().copied()
    }

    /// Returns whether the frame had no VLAN tag.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The IP version of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl IpVersion {
    /// Returns the ECS `network.type` value: `"ipv4"` or `"ipv6"`.
    pub fn network_type(self) -> &'static str {
        match self {
            IpVersion::V4 => "ipv4",
            IpVersion::V6 => "ipv6",
        }
    }
}

/// The IP header fields that transaction pairing and events need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    /// IPv4 or IPv6.
    pub version: IpVersion,
    /// Source address.
    pub source: IpAddr,
    /// Destination address.
    pub destination: IpAddr,
    /// The upper-layer protocol number after any IPv6 extension headers (for a fragment, the
    /// protocol of the fragmented payload as far as it is known).
    pub protocol: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// Length of the IP header in bytes, IPv6 extension headers included.
    pub header_length: u32,
    /// Length of the IP packet (header and payload) in bytes: the IPv4 total length or 40 plus the
    /// IPv6 payload length. When that field is 0 (TCP segmentation offload, jumbograms) it is the
    /// captured length instead.
    pub total_length: u32,
    /// Whether fewer bytes were captured than `total_length` (snap length cut the packet).
    pub truncated: bool,
}

/// A decoded frame: link-layer tags, the IP header, and the transport layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// VLAN tags in front of the IP header (empty for untagged or non-Ethernet frames).
    pub vlans: VlanTags,
    /// The (outermost) IP header.
    pub ip: IpHeader,
    /// The payload of the IP packet.
    pub transport: Transport<'a>,
}

/// The payload of an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// A UDP datagram.
    Udp(UdpDatagram<'a>),
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A fragment of a larger IP datagram, to be fed to a [`crate::Defragmenter`].
    Fragment(IpFragment<'a>),
    /// Another protocol (ICMP, ESP, IPv6 no-next-header, ...), left undecoded.
    Other {
        /// The IP protocol number (IPv6 next header value).
        protocol: u8,
        /// The bytes after the IP header (and after any walked IPv6 extension headers).
        payload: &'a [u8],
    },
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// The UDP length field (header and payload); 0 for IPv6 jumbograms.
    pub length: u16,
    /// The payload, cut to the UDP length and to what was captured.
    pub payload: &'a [u8],
    /// Whether fewer payload bytes were captured than the UDP length field gives.
    pub truncated: bool,
}

/// A TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// Sequence number.
    pub sequence: u32,
    /// Acknowledgment number (meaningful when the ACK flag is set).
    pub acknowledgment: u32,
    /// Control flags.
    pub flags: TcpFlags,
    /// Header length in bytes (data offset times 4), options included.
    pub header_length: u8,
    /// Receive window (unscaled).
    pub window: u16,
    /// The segment's data.
    pub payload: &'a [u8],
}

/// TCP control flags (the low 8 bits of the flags field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: u8 = 0x01;
    /// Synchronize sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field is significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer field is significant.
    pub const URG: u8 = 0x20;

    /// Returns whether every bit of `mask` is set.
    pub fn contains(self, mask: u8) -> bool {
        self.0 & mask == mask
    }

    /// Returns whether FIN is set.
    pub fn fin(self) -> bool {
        self.contains(Self::FIN)
    }

    /// Returns whether SYN is set.
    pub fn syn(self) -> bool {
        self.contains(Self::SYN)
    }

    /// Returns whether RST is set.
    pub fn rst(self) -> bool {
        self.contains(Self::RST)
    }

    /// Returns whether ACK is set.
    pub fn ack(self) -> bool {
        self.contains(Self::ACK)
    }
}

/// One fragment of an IPv4 or IPv6 datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpFragment<'a> {
    /// The datagram identification: the 16-bit IPv4 field or the 32-bit IPv6 one.
    pub identification: u32,
    /// Offset of this fragment's data in the datagram, in bytes.
    pub offset: u32,
    /// Whether more fragments follow (the MF / M flag).
    pub more_fragments: bool,
    /// The fragment's data (everything after the IPv4 header or the IPv6 fragment header).
    pub payload: &'a [u8],
}
