//! UDP and TCP header decoding.

use crate::bytes::{be_u16, be_u32, header};
use crate::ip::Payload;
use crate::ipv6::walk_extensions;
use crate::{DecodeError, IpVersion, Layer, TcpFlags, TcpSegment, Transport, UdpDatagram};

/// IP protocol number of TCP.
pub const PROTOCOL_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const PROTOCOL_UDP: u8 = 17;

const UDP_HEADER_LENGTH: usize = 8;
const TCP_MIN_HEADER_LENGTH: usize = 20;

/// Decodes the transport layer of an IP payload (for example a reassembled datagram).
///
/// For IPv6, `protocol` may name an extension header: those are walked first. A fragment
/// header inside the payload gives [`DecodeError::NestedFragmentHeader`].
pub fn decode_transport(
    version: IpVersion,
    protocol: u8,
    payload: &[u8],
) -> Result<Transport<'_>, DecodeError> {
    match version {
        IpVersion::V4 => decode_upper(protocol, payload),
        IpVersion::V6 => {
            let walk = walk_extensions(payload, protocol, 0)?;
            match walk.payload {
                Payload::Upper(upper) => decode_upper(walk.protocol, upper),
                Payload::Fragment(_) => Err(DecodeError::NestedFragmentHeader { offset: 0 }),
            }
        }
    }
}

/// Decodes the payload of protocol `protocol` (after any IPv6 extension headers).
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
pub(crate) fn decode_upper(protocol: u8, payload: &[u8]) -> Result<Transport<'_>, DecodeError> {
    match protocol {
        PROTOCOL_UDP => decode_udp(payload).map(Transport::Udp),
        PROTOCOL_TCP => decode_tcp(payload).map(Transport::Tcp),
        other => Ok(Transport::Other {
            protocol: other,
            payload,
        }),
    }
}

/// Decodes a UDP header. The payload is cut to the UDP length; a length of 0 (IPv6 jumbogram)
/// keeps everything captured.
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
fn decode_udp(data: &[u8]) -> Result<UdpDatagram<'_>, DecodeError> {
    let bytes = header(data, 0, UDP_HEADER_LENGTH, Layer::Udp)?;
    let length = be_u16(bytes, 4);
    let declared = usize::from(length);
    let end = match declared {
        0 => data.len(),
        1..UDP_HEADER_LENGTH => return Err(DecodeError::InvalidUdpLength { length }),
        _ => declared.min(data.len()),
    };
    Ok(UdpDatagram {
        source_port: be_u16(bytes, 0),
        destination_port: be_u16(bytes, 2),
        length,
        payload: &data[UDP_HEADER_LENGTH..end],
        truncated: declared > data.len(),
    })
}

/// Decodes a TCP header; options are skipped.
// Always inlined, for the reason given at `decode_data`.
#[inline(always)]
fn decode_tcp(data: &[u8]) -> Result<TcpSegment<'_>, DecodeError> {
    let bytes = header(data, 0, TCP_MIN_HEADER_LENGTH, Layer::Tcp)?;
    let data_offset = bytes[12] >> 4;
    let header_length = usize::from(data_offset) * 4;
    if header_length < TCP_MIN_HEADER_LENGTH {
        return Err(DecodeError::InvalidTcpDataOffset {
            data_offset,
            header_length,
        });
    }
    header(data, 0, header_length, Layer::Tcp)?;
    Ok(TcpSegment {
        source_port: be_u16(bytes, 0),
        destination_port: be_u16(bytes, 2),
        sequence: be_u32(bytes, 4),
        acknowledgment: be_u32(bytes, 8),
        flags: TcpFlags(bytes[13]),
        header_length: header_length as u8,
        window: be_u16(bytes, 14),
        payload: &data[header_length..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::{extension, tcp, udp};

    #[test]
    fn udp_length_cuts_payload() {
        let mut bytes = udp(1, 53, b"abc");
        bytes.extend_from_slice(b"trailing");
        let datagram = decode_udp(&bytes).expect("decodes");
        assert_eq!(datagram.payload, b"abc");
        assert!(!datagram.truncated);
    }

    #[test]
    fn udp_length_past_capture() {
        let bytes = udp(1, 53, b"abcdef");
        let datagram = decode_udp(&bytes[..10]).expect("decodes");
        assert_eq!(datagram.payload, b"ab");
        assert!(datagram.truncated);
    }

    #[test]
    fn udp_length_zero_keeps_all() {
        let mut bytes = udp(1, 53, b"abc");
        bytes[4] = 0;
        bytes[5] = 0;
        assert_eq!(decode_udp(&bytes).expect("decodes").payload, b"abc");
    }

    #[test]
    fn udp_length_below_header() {
        let mut bytes = udp(1, 53, b"abc");
        bytes[5] = 7;
        assert_eq!(
            decode_udp(&bytes),
            Err(DecodeError::InvalidUdpLength { length: 7 })
        );
    }

    #[test]
    fn udp_truncated_header() {
        let error = decode_udp(&[0; 7]).expect_err("7 bytes");
        assert!(matches!(
            error,
            DecodeError::Truncated {
                layer: Layer::Udp,
                needed: 8,
                ..
            }
        ));
    }

    #[test]
    fn tcp_options_are_skipped() {
        let mut bytes = tcp(53, 1, TcpFlags::SYN, b"");
        bytes[12] = 0x60;
        bytes.extend_from_slice(&[2, 4, 5, 0xb4]);
        bytes.extend_from_slice(b"data");
        let segment = decode_tcp(&bytes).expect("decodes");
        assert_eq!(segment.header_length, 24);
        assert_eq!(segment.payload, b"data");
        assert!(segment.flags.syn());
    }

    #[test]
    fn tcp_data_offset_below_five() {
        let mut bytes = tcp(53, 1, 0, b"");
        bytes[12] = 0x40;
        let error = decode_tcp(&bytes).expect_err("offset 4");
        assert_eq!(
            error,
            DecodeError::InvalidTcpDataOffset {
                data_offset: 4,
                header_length: 16
            }
        );
    }

    #[test]
    fn tcp_options_past_capture() {
        let mut bytes = tcp(53, 1, 0, b"");
        bytes[12] = 0xf0;
        let error = decode_tcp(&bytes).expect_err("60-byte header");
        assert!(matches!(
            error,
            DecodeError::Truncated {
                layer: Layer::Tcp,
                needed: 60,
                ..
            }
        ));
    }

    #[test]
    fn transport_walks_ipv6_extensions() {
        let datagram = udp(40000, 53, b"q");
        let payload = extension(PROTOCOL_UDP, 1, &datagram);
        let transport = decode_transport(IpVersion::V6, 60, &payload).expect("decodes");
        assert!(matches!(transport, Transport::Udp(udp) if udp.payload == b"q"));
        let transport = decode_transport(IpVersion::V4, PROTOCOL_UDP, &datagram).expect("decodes");
        assert!(matches!(transport, Transport::Udp(_)));
    }
}
