//! IPv6 header and extension header decoding.

use crate::bytes::{be_u16, be_u32, header};
use crate::ip::{IpPacket, Payload};
use crate::{DecodeError, IpFragment, IpHeader, IpVersion, Layer};
use std::net::{IpAddr, Ipv6Addr};

/// The maximum number of IPv6 extension headers walked before giving up.
pub const MAX_IPV6_EXTENSION_HEADERS: usize = 16;

const FIXED_HEADER_LENGTH: usize = 40;
const FRAGMENT_HEADER_LENGTH: usize = 8;

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTHENTICATION: u8 = 51;
const DESTINATION_OPTIONS: u8 = 60;
const MOBILITY: u8 = 135;
const HOST_IDENTITY: u8 = 139;
const SHIM6: u8 = 140;

/// Decodes the IPv6 header at `offset` and walks its extension headers.
pub(crate) fn decode_ipv6(data: &[u8], offset: usize) -> Result<IpPacket<'_>, DecodeError> {
    let fixed = header(data, offset, FIXED_HEADER_LENGTH, Layer::Ipv6)?;
    let version = fixed[0] >> 4;
    if version != 6 {
        return Err(DecodeError::InvalidIpVersion {
            found: version,
            offset,
        });
    }
    let available = data.len() - offset;
    let declared = usize::from(be_u16(fixed, 4));
    // A zero payload length means a jumbogram (or offload): use what was captured.
    let total_length = if declared == 0 {
        available
    } else {
        FIXED_HEADER_LENGTH + declared
    };
    let end = offset + total_length.min(available);
    let packet = &data[offset..end];

    let walk = walk_extensions(packet, fixed[6], FIXED_HEADER_LENGTH)?;
    let ip = IpHeader {
        version: IpVersion::V6,
        source: IpAddr::V6(address(&fixed[8..24])),
        destination: IpAddr::V6(address(&fixed[24..40])),
        protocol: walk.protocol,
        ttl: fixed[7],
        header_length: walk.offset as u32,
        total_length: total_length as u32,
        truncated: total_length > available,
    };
    Ok(IpPacket {
        ip,
        payload: walk.payload,
    })
}

/// Where an extension header walk ended.
pub(crate) struct ExtensionWalk<'a> {
    /// The upper-layer protocol, or the fragment header's next header.
    pub(crate) protocol: u8,
    /// Offset in the packet where `payload` starts.
    pub(crate) offset: usize,
    /// What follows the extension headers.
    pub(crate) payload: Payload<'a>,
}

/// Walks extension headers in `packet` from `offset`, where a header of type `next` starts.
///
/// Stops at the first header that is not an extension header (ESP and no-next-header included),
/// or at a fragment header of a real fragment. Atomic fragments (offset 0, no more fragments) are
/// stepped over, so their payload decodes as a whole packet.
pub(crate) fn walk_extensions(
    packet: &[u8],
    mut next: u8,
    mut offset: usize,
) -> Result<ExtensionWalk<'_>, DecodeError> {
    let mut seen_fragment_header = false;
    for _ in 0..=MAX_IPV6_EXTENSION_HEADERS {
        let length = match next {
            HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS | MOBILITY | HOST_IDENTITY | SHIM6 => {
                let start = header(packet, offset, 2, Layer::Ipv6Extension)?;
                (usize::from(start[1]) + 1) * 8
            }
            AUTHENTICATION => {
                let start = header(packet, offset, 2, Layer::Ipv6Extension)?;
                (usize::from(start[1]) + 2) * 4
            }
            FRAGMENT => {
                if seen_fragment_header {
                    return Err(DecodeError::NestedFragmentHeader { offset });
                }
                seen_fragment_header = true;
                let bytes = header(packet, offset, FRAGMENT_HEADER_LENGTH, Layer::Ipv6Extension)?;
                let field = be_u16(bytes, 2);
                let fragment_offset = u32::from(field >> 3) * 8;
                let more_fragments = field & 1 != 0;
                if fragment_offset != 0 || more_fragments {
                    let payload = &packet[offset + FRAGMENT_HEADER_LENGTH..];
                    return Ok(ExtensionWalk {
                        protocol: bytes[0],
                        offset: offset + FRAGMENT_HEADER_LENGTH,
                        payload: Payload::Fragment(IpFragment {
                            identification: be_u32(bytes, 4),
                            offset: fragment_offset,
                            more_fragments,
                            payload,
                        }),
                    });
                }
                FRAGMENT_HEADER_LENGTH
            }
            upper => {
                return Ok(ExtensionWalk {
                    protocol: upper,
                    offset,
                    payload: Payload::Upper(&packet[offset..]),
                });
            }
        };
        let bytes = header(packet, offset, length, Layer::Ipv6Extension)?;
        next = bytes[0];
        offset += length;
    }
    Err(DecodeError::TooManyExtensionHeaders)
}

fn address(bytes: &[u8]) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(bytes);
    Ipv6Addr::from(octets)
}
