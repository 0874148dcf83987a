//! IPv4 header decoding.

use crate::bytes::{be_u16, header};
use crate::ip::{IpPacket, Payload};
use crate::{DecodeError, IpFragment, IpHeader, IpVersion, Layer};
use std::net::{IpAddr, Ipv4Addr};

const MIN_HEADER_LENGTH: usize = 20;
const MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

/// Decodes the IPv4 header at `offset`. Options are skipped and bytes past the total length
/// (Ethernet padding) are cut off.
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
pub(crate) fn decode_ipv4(data: &[u8], offset: usize) -> Result<IpPacket<'_>, DecodeError> {
    let fixed = header(data, offset, MIN_HEADER_LENGTH, Layer::Ipv4)?;
    let version = fixed[0] >> 4;
    if version != 4 {
        return Err(DecodeError::InvalidIpVersion {
            found: version,
            offset,
        });
    }
    let ihl = fixed[0] & 0x0f;
    let header_length = usize::from(ihl) * 4;
    if header_length < MIN_HEADER_LENGTH {
        return Err(DecodeError::InvalidIpv4HeaderLength { ihl, header_length });
    }
    header(data, offset, header_length, Layer::Ipv4)?;

    let available = data.len() - offset;
    let declared = usize::from(be_u16(fixed, 2));
    // A zero total length comes from TCP segmentation offload: the captured length is all there is.
    let total_length = if declared == 0 { available } else { declared };
    if total_length < header_length {
        return Err(DecodeError::InvalidIpv4TotalLength {
            total_length: be_u16(fixed, 2),
            header_length,
        });
    }
    let end = offset + total_length.min(available);
    let body = &data[offset + header_length..end];

    let source = Ipv4Addr::new(fixed[12], fixed[13], fixed[14], fixed[15]);
    let destination = Ipv4Addr::new(fixed[16], fixed[17], fixed[18], fixed[19]);
    let ip = IpHeader {
        version: IpVersion::V4,
        source: IpAddr::V4(source),
        destination: IpAddr::V4(destination),
        protocol: fixed[9],
        ttl: fixed[8],
        header_length: header_length as u32,
        total_length: total_length as u32,
        truncated: total_length > available,
    };

    let flags_offset = be_u16(fixed, 6);
    let fragment_offset = u32::from(flags_offset & FRAGMENT_OFFSET_MASK) * 8;
    let more_fragments = flags_offset & MORE_FRAGMENTS != 0;
    let payload = if more_fragments || fragment_offset != 0 {
        Payload::Fragment(IpFragment {
            identification: u32::from(be_u16(fixed, 4)),
            offset: fragment_offset,
            more_fragments,
            payload: body,
        })
    } else {
        Payload::Upper(body)
    };
    Ok(IpPacket { ip, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::{ipv4, ipv4_with, udp};

    fn upper<'a>(packet: &IpPacket<'a>) -> &'a [u8] {
        match packet.payload {
            Payload::Upper(bytes) => bytes,
            Payload::Fragment(_) => panic!("unexpected fragment"),
        }
    }

    #[test]
    fn options_are_skipped() {
        let mut packet = ipv4(17, &udp(1, 53, b"x"));
        packet[0] = 0x46;
        packet.splice(20..20, [1, 1, 1, 0]);
        packet[3] += 4;
        let decoded = decode_ipv4(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.header_length, 24);
        assert_eq!(upper(&decoded), udp(1, 53, b"x").as_slice());
    }

    #[test]
    fn header_length_below_20() {
        let mut packet = ipv4(17, &[]);
        packet[0] = 0x44;
        let error = decode_ipv4(&packet, 0).expect_err("ihl 4");
        assert_eq!(
            error,
            DecodeError::InvalidIpv4HeaderLength {
                ihl: 4,
                header_length: 16
            }
        );
    }

    #[test]
    fn total_length_below_header() {
        let mut packet = ipv4(17, &[]);
        packet[3] = 10;
        let error = decode_ipv4(&packet, 0).expect_err("total 10");
        assert_eq!(
            error,
            DecodeError::InvalidIpv4TotalLength {
                total_length: 10,
                header_length: 20
            }
        );
    }

    #[test]
    fn zero_total_length_uses_capture() {
        let mut packet = ipv4(17, &udp(1, 53, b"abc"));
        packet[2] = 0;
        packet[3] = 0;
        let decoded = decode_ipv4(&packet, 0).expect("decodes");
        assert_eq!(decoded.ip.total_length, packet.len() as u32);
        assert_eq!(upper(&decoded).len(), 11);
    }

    #[test]
    fn snap_length_cut_is_flagged() {
        let packet = ipv4(17, &udp(1, 53, &[0; 100]));
        let decoded = decode_ipv4(&packet[..60], 0).expect("decodes");
        assert!(decoded.ip.truncated);
        assert_eq!(decoded.ip.total_length, 128);
        assert_eq!(upper(&decoded).len(), 40);
    }

    #[test]
    fn truncated_header() {
        let packet = ipv4(17, &[]);
        let error = decode_ipv4(&packet[..19], 0).expect_err("19 bytes");
        assert!(matches!(
            error,
            DecodeError::Truncated {
                layer: Layer::Ipv4,
                needed: 20,
                ..
            }
        ));
    }

    #[test]
    fn fragment_offset_in_bytes() {
        let packet = ipv4_with(17, 9, 0x0003, &[0; 8]);
        let decoded = decode_ipv4(&packet, 0).expect("decodes");
        let Payload::Fragment(fragment) = decoded.payload else {
            panic!("expected fragment");
        };
        assert_eq!(fragment.offset, 24);
        assert!(!fragment.more_fragments);
    }
}
