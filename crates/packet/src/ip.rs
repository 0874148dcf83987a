//! Network-layer dispatch: picks the IPv4 or IPv6 decoder and unwraps IP-in-IP tunnels.

use crate::ipv4::decode_ipv4;
use crate::ipv6::decode_ipv6;
use crate::link::NetworkHint;
use crate::{DecodeError, IpFragment, IpHeader, Layer};

/// IP protocol number of IPv4-in-IP encapsulation.
const PROTOCOL_IPV4_IN_IP: u8 = 4;
/// IP protocol number of IPv6-in-IP encapsulation.
const PROTOCOL_IPV6_IN_IP: u8 = 41;
/// The maximum number of IP-in-IP layers unwrapped before the packet is left as `Other`.
const MAX_TUNNEL_DEPTH: usize = 2;

/// What an IP header is followed by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// The upper-layer payload of a whole packet.
    Upper(&'a [u8]),
    /// A fragment of a larger datagram.
    Fragment(IpFragment<'a>),
}

/// A decoded IP header and what follows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpPacket<'a> {
    pub(crate) ip: IpHeader,
    pub(crate) payload: Payload<'a>,
}

/// Decodes the IP header at `offset`, using the link layer's `hint` for the version.
///
/// IP-in-IP packets (protocol 4 and 41) are unwrapped: the inner header replaces the outer one,
/// as Packetbeat does, up to [`MAX_TUNNEL_DEPTH`] layers.
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
pub(crate) fn decode_ip(
    data: &[u8],
    offset: usize,
    hint: NetworkHint,
) -> Result<IpPacket<'_>, DecodeError> {
    let mut packet = decode_one(data, offset, hint)?;
    for _ in 0..MAX_TUNNEL_DEPTH {
        let inner_hint = match (packet.ip.protocol, packet.payload) {
            (PROTOCOL_IPV4_IN_IP, Payload::Upper(_)) => NetworkHint::Ipv4,
            (PROTOCOL_IPV6_IN_IP, Payload::Upper(_)) => NetworkHint::Ipv6,
            _ => break,
        };
        let Payload::Upper(inner) = packet.payload else {
            break;
        };
        packet = decode_one(inner, 0, inner_hint)?;
    }
    Ok(packet)
}

// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
fn decode_one(data: &[u8], offset: usize, hint: NetworkHint) -> Result<IpPacket<'_>, DecodeError> {
    match hint {
        NetworkHint::Ipv4 => decode_ipv4(data, offset),
        NetworkHint::Ipv6 => decode_ipv6(data, offset),
        NetworkHint::VersionNibble => {
            let first = crate::bytes::header(data, offset, 1, Layer::Ipv4)?;
            match first[0] >> 4 {
                4 => decode_ipv4(data, offset),
                6 => decode_ipv6(data, offset),
                found => Err(DecodeError::InvalidIpVersion { found, offset }),
            }
        }
    }
}
