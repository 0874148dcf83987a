//! Link-layer, IP and transport decoding for captured frames.
//!
//! Sources (capture files and live sockets) produce [`Frame`]s; [`decode`] turns each into a
//! [`Decoded`] packet: VLAN tags, the IP header fields events need, and a UDP datagram, TCP
//! segment or IP fragment borrowed from the frame. Fragments go to a [`Defragmenter`], whose
//! whole datagrams decode with [`decode_transport`].
//!
//! Supported link types: Ethernet (with 802.1Q, 802.1ad and QinQ tags), Linux cooked v1 and v2,
//! raw IP (101, 228, 229), BSD loopback NULL and LOOP. The crate does no I/O and no logging:
//! every anomaly comes back as a typed error or flag that the caller counts.

mod bytes;
mod decode;
mod decoded;
mod defrag;
mod error;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod ip;
mod ipv4;
mod ipv6;
mod link;
#[cfg(test)]
mod test_frames;
mod transport;

pub use decode::{decode, decode_data};
pub use decoded::{
    Decoded, IpFragment, IpHeader, IpVersion, TcpFlags, TcpSegment, Transport, UdpDatagram,
    VlanTags, MAX_VLAN_TAGS,
};
pub use defrag::{DefragConfig, DefragStats, Defragmenter, Reassembled};
pub use error::{DecodeError, Layer};
pub use frame::{Frame, LinkType, Timestamp};
pub use ipv6::MAX_IPV6_EXTENSION_HEADERS;
pub use transport::{decode_transport, PROTOCOL_TCP, PROTOCOL_UDP};
