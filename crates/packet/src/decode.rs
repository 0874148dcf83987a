//! Frame decoding entry point: link layer, then IP, then UDP or TCP.

use crate::ip::{decode_ip, Payload};
use crate::link::decode_link;
use crate::transport::decode_upper;
use crate::{DecodeError, Decoded, Frame, LinkType, Transport};

/// Decodes a captured frame down to its UDP datagram, TCP segment or IP fragment.
///
/// Checksums are not verified. The returned slices borrow from `frame.data`.
pub fn decode<'a>(frame: &Frame<'a>) -> Result<Decoded<'a>, DecodeError> {
    decode_data(frame.link_type, frame.data)
}

/// Decodes `data` captured on a link of type `link_type`; see [`decode`].
//
// The link, IP and transport decoders are always inlined here, so the result is built in place.
// As calls, their results moved through stack copies of odd-sized fields (an `IpAddr` is 17
// bytes), and the loads that read them back waited on overlapping stores. That took about 3%
// of `dnstel read` in a perf profile of a loopback capture.
pub fn decode_data(link_type: LinkType, data: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let link = decode_link(link_type, data)?;
    let packet = decode_ip(data, link.offset, link.hint)?;
    let transport = match packet.payload {
        Payload::Upper(payload) => decode_upper(packet.ip.protocol, payload)?,
        Payload::Fragment(fragment) => Transport::Fragment(fragment),
    };
    Ok(Decoded {
        vlans: link.vlans,
        ip: packet.ip,
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::*;
    use crate::{IpVersion, Layer};
    use std::net::IpAddr;

    fn dns_udp_v4() -> Vec<u8> {
        ipv4(17, &udp(40000, 53, b"query"))
    }

    fn assert_dns_udp(decoded: &Decoded<'_>) {
        let Transport::Udp(datagram) = decoded.transport else {
            panic!("expected udp, got {:?}", decoded.transport);
        };
        assert_eq!(datagram.source_port, 40000);
        assert_eq!(datagram.destination_port, 53);
        assert_eq!(datagram.payload, b"query");
    }

    #[test]
    fn ethernet_ipv4_udp() {
        let frame = ethernet(&[], 0x0800, &dns_udp_v4());
        let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
        assert_dns_udp(&decoded);
        assert_eq!(decoded.ip.version, IpVersion::V4);
        assert_eq!(decoded.ip.source, IpAddr::V4(CLIENT_V4));
        assert_eq!(decoded.ip.destination, IpAddr::V4(SERVER_V4));
        assert_eq!(decoded.ip.total_length, 20 + 8 + 5);
        assert!(decoded.vlans.is_empty());
    }

    #[test]
    fn ethernet_padding_is_trimmed() {
        let mut frame = ethernet(&[], 0x0800, &dns_udp_v4());
        frame.extend_from_slice(&[0; 12]);
        let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
        assert_dns_udp(&decoded);
        assert!(!decoded.ip.truncated);
    }

    #[test]
    fn vlan_tag_802_1q() {
        let frame = ethernet(&[(0x8100, 0x2064)], 0x0800, &dns_udp_v4());
        let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
        assert_dns_udp(&decoded);
        assert_eq!(decoded.vlans.as_slice(), &[100]);
    }

    #[test]
    fn qinq_tags_in_order() {
        for outer in [0x88a8, 0x9100, 0x8100] {
            let frame = ethernet(
                &[(outer, 10), (0x8100, 20)],
                0x86dd,
                &ipv6(17, &udp(40000, 53, b"query")),
            );
            let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
            assert_dns_udp(&decoded);
            assert_eq!(decoded.vlans.as_slice(), &[10, 20]);
            assert_eq!(decoded.vlans.outer(), Some(10));
        }
    }

    #[test]
    fn too_many_vlan_tags() {
        let tags = [(0x8100, 1); 5];
        let frame = ethernet(&tags, 0x0800, &dns_udp_v4());
        let error = decode_data(LinkType::ETHERNET, &frame).expect_err("five tags");
        assert_eq!(error, DecodeError::TooManyVlanTags);
    }

    #[test]
    fn ethernet_non_ip() {
        let frame = ethernet(&[], 0x0806, &[0; 28]);
        let error = decode_data(LinkType::ETHERNET, &frame).expect_err("arp");
        assert_eq!(error, DecodeError::NotIp { ether_type: 0x0806 });
    }

    #[test]
    fn ethernet_truncated_header() {
        let error = decode_data(LinkType::ETHERNET, &[0; 10]).expect_err("short");
        assert_eq!(
            error,
            DecodeError::Truncated {
                layer: Layer::Ethernet,
                offset: 0,
                needed: 14,
                available: 10
            }
        );
        assert_eq!(
            error.to_string(),
            "ethernet header at offset 0 needs 14 bytes, 10 captured"
        );
    }

    #[test]
    fn truncated_vlan_tag() {
        let frame = ethernet(&[], 0x8100, &[0, 1]);
        let error = decode_data(LinkType::ETHERNET, &frame).expect_err("short tag");
        assert!(matches!(
            error,
            DecodeError::Truncated {
                layer: Layer::Vlan,
                offset: 14,
                ..
            }
        ));
    }

    #[test]
    fn linux_sll_v1() {
        let mut frame = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        frame.extend_from_slice(&dns_udp_v4());
        let decoded = decode_data(LinkType::LINUX_SLL, &frame).expect("decodes");
        assert_dns_udp(&decoded);
    }

    #[test]
    fn linux_sll_v1_with_vlan() {
        let mut frame = vec![
            0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00,
        ];
        frame.extend_from_slice(&dns_udp_v4());
        let decoded = decode_data(LinkType::LINUX_SLL, &frame).expect("decodes");
        assert_dns_udp(&decoded);
        assert_eq!(decoded.vlans.as_slice(), &[7]);
    }

    #[test]
    fn linux_sll_v2() {
        let mut frame = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        frame.extend_from_slice(&ipv6(17, &udp(40000, 53, b"query")));
        let decoded = decode_data(LinkType::LINUX_SLL2, &frame).expect("decodes");
        assert_dns_udp(&decoded);
        assert_eq!(decoded.ip.version, IpVersion::V6);
        assert_eq!(decoded.ip.source, IpAddr::V6(CLIENT_V6));
    }

    #[test]
    fn raw_ip_uses_version_nibble() {
        let v4 = dns_udp_v4();
        let decoded = decode_data(LinkType::RAW, &v4).expect("v4");
        assert_eq!(decoded.ip.version, IpVersion::V4);
        let v6 = ipv6(17, &udp(40000, 53, b"query"));
        let decoded = decode_data(LinkType::RAW, &v6).expect("v6");
        assert_eq!(decoded.ip.version, IpVersion::V6);
        assert_dns_udp(&decoded);
        let error = decode_data(LinkType::RAW, &[0x55, 0, 0]).expect_err("version 5");
        assert_eq!(
            error,
            DecodeError::InvalidIpVersion {
                found: 5,
                offset: 0
            }
        );
    }

    #[test]
    fn raw_ipv4_and_ipv6_link_types() {
        assert_dns_udp(&decode_data(LinkType::IPV4, &dns_udp_v4()).expect("v4"));
        let v6 = ipv6(17, &udp(40000, 53, b"query"));
        assert_dns_udp(&decode_data(LinkType::IPV6, &v6).expect("v6"));
        let error = decode_data(LinkType::IPV4, &v6).expect_err("v6 on ipv4 link");
        assert!(matches!(
            error,
            DecodeError::InvalidIpVersion { found: 6, .. }
        ));
    }

    #[test]
    fn null_loopback_either_byte_order() {
        for header in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let mut frame = header.to_vec();
            frame.extend_from_slice(&dns_udp_v4());
            assert_dns_udp(&decode_data(LinkType::NULL, &frame).expect("af_inet"));
        }
        for family in [24u32, 28, 30] {
            for header in [family.to_le_bytes(), family.to_be_bytes()] {
                let mut frame = header.to_vec();
                frame.extend_from_slice(&ipv6(17, &udp(40000, 53, b"query")));
                let decoded = decode_data(LinkType::NULL, &frame).expect("af_inet6");
                assert_eq!(decoded.ip.version, IpVersion::V6);
            }
        }
    }

    #[test]
    fn loop_is_network_order() {
        let mut frame = vec![0, 0, 0, 2];
        frame.extend_from_slice(&dns_udp_v4());
        assert_dns_udp(&decode_data(LinkType::LOOP, &frame).expect("af_inet"));
        let mut frame = vec![0, 0, 0, 7];
        frame.extend_from_slice(&dns_udp_v4());
        let error = decode_data(LinkType::LOOP, &frame).expect_err("family 7");
        assert_eq!(error, DecodeError::UnknownAddressFamily { family: 7 });
    }

    #[test]
    fn unsupported_link_type() {
        let error = decode_data(LinkType(105), &[0; 64]).expect_err("802.11");
        assert_eq!(error, DecodeError::UnsupportedLinkType(LinkType(105)));
    }

    #[test]
    fn tcp_segment_fields() {
        let frame = ethernet(
            &[],
            0x0800,
            &ipv4(6, &tcp(53, 40000, 0x18, b"\x00\x05reply")),
        );
        let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
        let Transport::Tcp(segment) = decoded.transport else {
            panic!("expected tcp, got {:?}", decoded.transport);
        };
        assert_eq!(segment.source_port, 53);
        assert_eq!(segment.destination_port, 40000);
        assert_eq!(segment.sequence, 1000);
        assert_eq!(segment.acknowledgment, 2000);
        assert!(segment.flags.ack());
        assert!(!segment.flags.syn());
        assert_eq!(segment.header_length, 20);
        assert_eq!(segment.payload, b"\x00\x05reply");
    }

    #[test]
    fn ipv4_fragment_is_reported() {
        let packet = ipv4_with(17, 77, 0x2000, &[1; 16]);
        let decoded = decode_data(LinkType::RAW, &packet).expect("decodes");
        let Transport::Fragment(fragment) = decoded.transport else {
            panic!("expected fragment, got {:?}", decoded.transport);
        };
        assert_eq!(fragment.identification, 77);
        assert_eq!(fragment.offset, 0);
        assert!(fragment.more_fragments);
        assert_eq!(fragment.payload.len(), 16);
    }

    #[test]
    fn ip_in_ip_uses_inner_header() {
        let inner = ipv6(17, &udp(40000, 53, b"query"));
        let frame = ethernet(&[], 0x0800, &ipv4(41, &inner));
        let decoded = decode_data(LinkType::ETHERNET, &frame).expect("decodes");
        assert_eq!(decoded.ip.version, IpVersion::V6);
        assert_dns_udp(&decoded);
    }

    #[test]
    fn icmp_is_other() {
        let packet = ipv4(1, &[8, 0, 0, 0]);
        let decoded = decode_data(LinkType::RAW, &packet).expect("decodes");
        assert_eq!(
            decoded.transport,
            Transport::Other {
                protocol: 1,
                payload: &[8, 0, 0, 0]
            }
        );
    }
}
