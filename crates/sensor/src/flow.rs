//! Packets after decoding and reassembly, copied into batches for the shard threads, and the
//! symmetric flow hash that picks each packet's shard.

use std::net::{IpAddr, SocketAddr};

use dnstel_packet::Timestamp;
use dnstel_pairing::{DnsDatagram, DnsSegment, TcpFlags};

use crate::route::PairingInput;

/// The TCP fields of a [`FlowPacket`] besides addresses and payload.
#[derive(Debug, Clone, Copy)]
pub struct TcpHeader {
    /// Sequence number.
    pub sequence: u32,
    /// SYN, FIN and RST.
    pub flags: TcpFlags,
    /// Acknowledgment number when the ACK flag is set.
    pub acknowledgment: Option<u32>,
}

/// One UDP datagram or TCP segment in a [`PacketBatch`], its payload stored in the batch.
#[derive(Debug, Clone, Copy)]
pub struct FlowPacket {
    /// Position of the frame in the input, counted from 0 over every frame read.
    pub number: u64,
    /// Capture time.
    pub timestamp: Timestamp,
    /// Sender address and port.
    pub source: SocketAddr,
    /// Receiver address and port.
    pub destination: SocketAddr,
    /// `None` for UDP.
    pub tcp: Option<TcpHeader>,
    /// Index of the shard that pairs this packet.
    pub shard: u32,
    /// Whether pairing moves its clock on this packet (a DNS port, and for UDP a payload). The
    /// other shards move their clocks too, so every shard expires queries at the same packet.
    pub advances_clock: bool,
    payload_start: usize,
    payload_end: usize,
}

/// A run of consecutive packets sent to every shard thread. Each shard pairs its own packets
/// and moves its clock on the others.
#[derive(Debug, Default)]
pub struct PacketBatch {
    /// The packets in input order.
    pub packets: Vec<FlowPacket>,
    /// The payloads, back to back.
    bytes: Vec<u8>,
}

impl PacketBatch {
    /// Number of packets.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Returns true when the batch contains no packet.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Payload bytes stored.
    pub fn payload_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Empties the batch and keeps its buffers.
    pub fn clear(&mut self) {
        self.packets.clear();
        self.bytes.clear();
    }

    /// Copies `input` into the batch. `keep_payload` false stores an empty payload, for packets
    /// pairing ignores by port anyway.
    pub fn push(
        &mut self,
        number: u64,
        input: &PairingInput<'_>,
        route: Route,
        keep_payload: bool,
    ) {
        let (timestamp, source, destination, tcp, payload) = match input {
            PairingInput::Udp(datagram) => (
                datagram.timestamp,
                datagram.source,
                datagram.destination,
                None,
                datagram.payload,
            ),
            PairingInput::Tcp(segment) => (
                segment.timestamp,
                segment.source,
                segment.destination,
                Some(TcpHeader {
                    sequence: segment.sequence,
                    flags: segment.flags,
                    acknowledgment: segment.acknowledgment,
                }),
                segment.payload,
            ),
        };
        let payload_start = self.bytes.len();
        if keep_payload {
            self.bytes.extend_from_slice(payload);
        }
        self.packets.push(FlowPacket {
            number,
            timestamp,
            source,
            destination,
            tcp,
            shard: route.shard,
            advances_clock: route.advances_clock,
            payload_start,
            payload_end: self.bytes.len(),
        });
    }

    /// Rebuilds the pairing input of `packet`, which must belong to this batch.
    pub fn input(&self, packet: &FlowPacket) -> PairingInput<'_> {
        let payload = self
            .bytes
            .get(packet.payload_start..packet.payload_end)
            .unwrap_or_default();
        match packet.tcp {
            None => PairingInput::Udp(DnsDatagram {
                timestamp: packet.timestamp,
                source: packet.source,
                destination: packet.destination,
                payload,
            }),
            Some(tcp) => PairingInput::Tcp(DnsSegment {
                timestamp: packet.timestamp,
                source: packet.source,
                destination: packet.destination,
                sequence: tcp.sequence,
                flags: tcp.flags,
                acknowledgment: tcp.acknowledgment,
                payload,
            }),
        }
    }
}

/// The destination shard of a packet and whether it moves the pairing clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Shard index.
    pub shard: u32,
    /// See [`FlowPacket::advances_clock`].
    pub advances_clock: bool,
}

/// Returns a hash of the flow of a packet that is the same for both directions: the two
/// endpoints are put in a fixed order before hashing, and the transport is mixed in. The hash is
/// FNV-1a, fixed across runs and platforms, so the shard of a flow is reproducible.
pub fn flow_hash(tcp: bool, source: SocketAddr, destination: SocketAddr) -> u64 {
    let (low, high) = if endpoint_key(source) <= endpoint_key(destination) {
        (source, destination)
    } else {
        (destination, source)
    };
    let mut hash = Fnv1a::new();
    hash.write(&[u8::from(tcp)]);
    for endpoint in [low, high] {
        match endpoint.ip() {
            IpAddr::V4(address) => hash.write(&address.octets()),
            IpAddr::V6(address) => hash.write(&address.octets()),
        }
        hash.write(&endpoint.port().to_be_bytes());
    }
    hash.finish()
}

/// Returns the ordering key of an endpoint: IPv4 sorts before IPv6, then by address and port.
fn endpoint_key(endpoint: SocketAddr) -> (u8, u128, u16) {
    match endpoint.ip() {
        IpAddr::V4(address) => (4, u128::from(u32::from(address)), endpoint.port()),
        IpAddr::V6(address) => (6, u128::from(address), endpoint.port()),
    }
}

/// The 64-bit FNV-1a hash.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Fnv1a {
        Fnv1a(Self::OFFSET)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(text: &str) -> SocketAddr {
        text.parse().expect("valid socket address")
    }

    #[test]
    fn flow_hash_is_symmetric() {
        let pairs = [
            ("10.0.0.1:40000", "10.0.0.2:53"),
            ("192.0.2.7:53", "198.51.100.1:53"),
            ("[2001:db8::1]:5353", "[2001:db8::2]:53"),
            ("10.0.0.1:53", "[::1]:53"),
        ];
        for (a, b) in pairs {
            for tcp in [false, true] {
                assert_eq!(
                    flow_hash(tcp, endpoint(a), endpoint(b)),
                    flow_hash(tcp, endpoint(b), endpoint(a)),
                    "{a} <-> {b} tcp={tcp}"
                );
            }
        }
    }

    #[test]
    fn flow_hash_separates_flows() {
        let server = endpoint("10.0.0.53:53");
        let first = flow_hash(false, endpoint("10.0.0.1:40000"), server);
        let other_port = flow_hash(false, endpoint("10.0.0.1:40001"), server);
        let other_transport = flow_hash(true, endpoint("10.0.0.1:40000"), server);
        assert_ne!(first, other_port);
        assert_ne!(first, other_transport);
    }

    #[test]
    fn flow_hash_is_fixed() {
        // A changed value would move flows between shards and change `read --workers N`
        // output order from one version to the next.
        let hash = flow_hash(false, endpoint("10.0.0.1:40000"), endpoint("10.0.0.2:53"));
        assert_eq!(hash, 0x7a0e_53c2_e839_5801);
    }
}
