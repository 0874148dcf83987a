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

/// The end point of an extension header walk.
pub(crate) struct ExtensionWalk<'a> {
    /// The upper-layer protocol, or the fragment header's next header.
    pub(crate) protocol: u8,
    /// Offset in the packet where `payload` starts.
    pub(crate) offset: usize,
    /// The payload after the extension headers.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::{extension, fragment_header, ipv6, udp};

    const UDP: u8 = 17;

    #[test]
    fn extension_headers_are_walked() {
        let datagram = udp(40000, 53, b"query");
        let chain = extension(
            ROUTING,
            1,
            &extension(DESTINATION_OPTIONS, 2, &extension(UDP, 1, &datagram)),
        );
        let packet = ipv6(HOP_BY_HOP, &chain);
        let decoded = decode_ipv6(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.protocol, UDP);
        assert_eq!(decoded.ip.header_length, 40 + 8 + 16 + 8);
        let Payload::Upper(bytes) = decoded.payload else {
            panic!("expected upper layer");
        };
        assert_eq!(bytes, datagram.as_slice());
    }

    #[test]
    fn authentication_header_length() {
        // AH length is in 4-byte units minus 2: 1 means 12 bytes.
        let datagram = udp(40000, 53, b"q");
        let mut chain = vec![UDP, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
        chain.extend_from_slice(&datagram);
        let packet = ipv6(AUTHENTICATION, &chain);
        let decoded = decode_ipv6(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.protocol, UDP);
        assert_eq!(decoded.ip.header_length, 52);
    }

    #[test]
    fn esp_and_no_next_header_stop() {
        for stop in [50u8, 59] {
            let packet = ipv6(HOP_BY_HOP, &extension(stop, 1, &[9; 12]));
            let decoded = decode_ipv6(&packet, 0).expect("decodes");
            assert_eq!(decoded.ip.protocol, stop);
            assert!(matches!(decoded.payload, Payload::Upper(bytes) if bytes == [9; 12]));
        }
    }

    #[test]
    fn fragment_header_gives_fragment() {
        let packet = ipv6(
            HOP_BY_HOP,
            &extension(
                FRAGMENT,
                1,
                &fragment_header(UDP, 1448, true, 0xdead_beef, &[3; 16]),
            ),
        );
        let decoded = decode_ipv6(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.protocol, UDP);
        let Payload::Fragment(fragment) = decoded.payload else {
            panic!("expected fragment");
        };
        assert_eq!(fragment.identification, 0xdead_beef);
        assert_eq!(fragment.offset, 1448);
        assert!(fragment.more_fragments);
        assert_eq!(fragment.payload, &[3; 16]);
    }

    #[test]
    fn atomic_fragment_decodes_whole() {
        let datagram = udp(40000, 53, b"query");
        let packet = ipv6(FRAGMENT, &fragment_header(UDP, 0, false, 5, &datagram));
        let decoded = decode_ipv6(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.protocol, UDP);
        assert!(matches!(decoded.payload, Payload::Upper(bytes) if bytes == datagram.as_slice()));
    }

    #[test]
    fn second_fragment_header_rejected() {
        let inner = fragment_header(UDP, 8, true, 6, &[0; 8]);
        let packet = ipv6(FRAGMENT, &fragment_header(FRAGMENT, 0, false, 5, &inner));
        let error = decode_ipv6(&packet, 0).expect_err("nested");
        assert_eq!(error, DecodeError::NestedFragmentHeader { offset: 48 });
    }

    #[test]
    fn truncated_extension_header() {
        let packet = ipv6(HOP_BY_HOP, &[UDP, 3, 0, 0, 0, 0, 0, 0]);
        let error = decode_ipv6(&packet, 0).expect_err("claims 32 bytes");
        assert_eq!(
            error,
            DecodeError::Truncated {
                layer: Layer::Ipv6Extension,
                offset: 40,
                needed: 32,
                available: 8
            }
        );
    }

    #[test]
    fn extension_header_loop_is_bounded() {
        let mut chain = vec![UDP, 0, 0, 0, 0, 0, 0, 0];
        for _ in 0..MAX_IPV6_EXTENSION_HEADERS + 1 {
            chain = extension(DESTINATION_OPTIONS, 1, &chain);
        }
        let packet = ipv6(DESTINATION_OPTIONS, &chain[8..]);
        let error = decode_ipv6(&packet, 0).expect_err("too many");
        assert_eq!(error, DecodeError::TooManyExtensionHeaders);
    }

    #[test]
    fn payload_length_trims_padding() {
        let mut packet = ipv6(UDP, &udp(1, 53, b"abc"));
        packet.extend_from_slice(&[0; 6]);
        let decoded = decode_ipv6(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.total_length, 51);
        assert!(matches!(decoded.payload, Payload::Upper(bytes) if bytes.len() == 11));
    }

    #[test]
    fn truncated_fixed_header() {
        let error = decode_ipv6(&[0x60; 39], 0).expect_err("39 bytes");
        assert!(matches!(
            error,
            DecodeError::Truncated {
                layer: Layer::Ipv6,
                needed: 40,
                ..
            }
        ));
    }
}
