//! Decoded transport payloads that the pairing consumes.
//!
//! The packet decoder produces these from captured frames. They borrow the payload, so feeding
//! the pairing copies nothing until a TCP segment has to wait in a reassembly buffer.

use std::fmt;
use std::net::SocketAddr;

use dnstel_packet::Timestamp;

/// The transport a DNS message travelled over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// One message per datagram.
    Udp,
    /// Messages framed by a 2-byte length prefix (RFC 1035 section 4.2.2).
    Tcp,
}

impl Transport {
    /// Returns the lowercase name Packetbeat writes to `network.transport`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One UDP datagram: its payload is one DNS message.
#[derive(Clone, Copy, Debug)]
pub struct DnsDatagram<'a> {
    /// Capture time.
    pub timestamp: Timestamp,
    /// Sender address and port.
    pub source: SocketAddr,
    /// Receiver address and port.
    pub destination: SocketAddr,
    /// UDP payload.
    pub payload: &'a [u8],
}

/// The TCP control flags the reassembly uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN: the sequence number is the initial one and the data starts one byte later.
    pub syn: bool,
    /// FIN: the sender has no more data.
    pub fin: bool,
    /// RST: the connection is aborted in both directions.
    pub rst: bool,
}

/// One TCP segment.
#[derive(Clone, Copy, Debug)]
pub struct DnsSegment<'a> {
    /// Capture time.
    pub timestamp: Timestamp,
    /// Sender address and port.
    pub source: SocketAddr,
    /// Receiver address and port.
    pub destination: SocketAddr,
    /// Sequence number of the segment (of the SYN itself when `flags.syn` is set).
    pub sequence: u32,
    /// Control flags.
    pub flags: TcpFlags,
    /// Acknowledgment number, when the ACK flag is set. An acknowledgment past a hole in the
    /// other direction means the capture missed those bytes, so the reassembly stops waiting.
    pub acknowledgment: Option<u32>,
    /// TCP payload.
    pub payload: &'a [u8],
}

impl<'a> DnsDatagram<'a> {
    /// Builds the pairing input from a datagram decoded by `dnstel-packet`.
    pub fn from_packet(
        timestamp: Timestamp,
        ip: &dnstel_packet::IpHeader,
        udp: &dnstel_packet::UdpDatagram<'a>,
    ) -> Self {
        DnsDatagram {
            timestamp,
            source: SocketAddr::new(ip.source, udp.source_port),
            destination: SocketAddr::new(ip.destination, udp.destination_port),
            payload: udp.payload,
        }
    }
}

impl<'a> DnsSegment<'a> {
    /// Builds the pairing input from a segment decoded by `dnstel-packet`.
    pub fn from_packet(
        timestamp: Timestamp,
        ip: &dnstel_packet::IpHeader,
        tcp: &dnstel_packet::TcpSegment<'a>,
    ) -> Self {
        DnsSegment {
            timestamp,
            source: SocketAddr::new(ip.source, tcp.source_port),
            destination: SocketAddr::new(ip.destination, tcp.destination_port),
            sequence: tcp.sequence,
            flags: TcpFlags {
                syn: tcp.flags.syn(),
                fin: tcp.flags.fin(),
                rst: tcp.flags.rst(),
            },
            acknowledgment: tcp.flags.ack().then_some(tcp.acknowledgment),
            payload: tcp.payload,
        }
    }
}
