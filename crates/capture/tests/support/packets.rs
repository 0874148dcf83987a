//! Hand-made packets for filter tests: a small packet model, its byte encoding on each link
//! layer, and a reference evaluation of filter expressions on the model.

#![allow(dead_code)]

use std::net::IpAddr;

use dnstel_capture::bpf::{LinkLayer, PacketMeta};
use dnstel_capture::filter::{Direction, Expr, Network, Primitive};

pub const UDP: u8 = 17;
pub const TCP: u8 = 6;
pub const ICMPV6: u8 = 58;
pub const IPV6_FRAGMENT: u8 = 44;
pub const IPV6_HOP_BY_HOP: u8 = 0;

/// How a VLAN tag travels with the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    None,
    /// In the packet bytes after the MAC addresses (or SLL header).
    InPacket(u16),
    /// Stripped by the driver and only in metadata.
    Stripped(u16),
}

/// An IP packet with a UDP or TCP header (or no transport header for fragments and other
/// protocols), or a non-IP packet when `source` is `None`.
#[derive(Debug, Clone)]
pub struct Model {
    pub addresses: Option<(IpAddr, IpAddr)>,
    pub protocol: u8,
    pub ports: (u16, u16),
    /// IPv4 fragment offset in 8-byte units.
    pub fragment_offset: u16,
    pub more_fragments: bool,
    pub tagging: Tagging,
    pub packet_type: u8,
    pub ifindex: u32,
}

impl Model {
    pub fn udp(source: &str, destination: &str, ports: (u16, u16)) -> Model {
        Model {
            addresses: Some((
                source.parse().expect("source address"),
                destination.parse().expect("destination address"),
            )),
            protocol: UDP,
            ports,
            fragment_offset: 0,
            more_fragments: false,
            tagging: Tagging::None,
            packet_type: 0,
            ifindex: 2,
        }
    }

    pub fn arp() -> Model {
        Model {
            addresses: None,
            ..Model::udp("0.0.0.0", "0.0.0.0", (0, 0))
        }
    }

    pub fn with_protocol(mut self, protocol: u8) -> Model {
        self.protocol = protocol;
        self
    }

    pub fn with_fragment(mut self, offset: u16, more: bool) -> Model {
        self.fragment_offset = offset;
        self.more_fragments = more;
        self
    }

    pub fn with_tagging(mut self, tagging: Tagging) -> Model {
        self.tagging = tagging;
        self
    }

    fn has_ports(&self) -> bool {
        (self.protocol == UDP || self.protocol == TCP) && self.fragment_offset == 0
    }

    fn ethertype(&self) -> u16 {
        match self.addresses {
            Some((IpAddr::V4(_), _)) => 0x0800,
            Some((IpAddr::V6(_), _)) => 0x86dd,
            None => 0x0806,
        }
    }

    /// Encodes the network layer: IP header, transport header when present, a small payload.
    pub fn network_bytes(&self) -> Vec<u8> {
        let mut transport = Vec::new();
        if self.has_ports() {
            transport.extend_from_slice(&self.ports.0.to_be_bytes());
            transport.extend_from_slice(&self.ports.1.to_be_bytes());
            let header_rest = if self.protocol == UDP { 4 } else { 16 };
            transport.extend(std::iter::repeat_n(0, header_rest));
        }
        transport.extend_from_slice(b"payload!");
        match self.addresses {
            Some((IpAddr::V4(source), IpAddr::V4(destination))) => {
                let mut header = vec![0x45, 0];
                let total = u16::try_from(20 + transport.len()).expect("small packet");
                header.extend_from_slice(&total.to_be_bytes());
                header.extend_from_slice(&[0x12, 0x34]);
                let flags = (u16::from(self.more_fragments) << 13) | self.fragment_offset;
                header.extend_from_slice(&flags.to_be_bytes());
                header.extend_from_slice(&[64, self.protocol, 0, 0]);
                header.extend_from_slice(&source.octets());
                header.extend_from_slice(&destination.octets());
                header.extend_from_slice(&transport);
                header
            }
            Some((IpAddr::V6(source), IpAddr::V6(destination))) => {
                let mut header = vec![0x60, 0, 0, 0];
                let length = u16::try_from(transport.len()).expect("small packet");
                header.extend_from_slice(&length.to_be_bytes());
                header.extend_from_slice(&[self.protocol, 64]);
                header.extend_from_slice(&source.octets());
                header.extend_from_slice(&destination.octets());
                header.extend_from_slice(&transport);
                header
            }
            Some(_) => panic!("mixed address families in a test packet"),
            None => vec![0, 1, 8, 0, 6, 4, 0, 1],
        }
    }

    /// Encodes the packet as it appears to the filter on `link`, with its metadata.
    pub fn encode(&self, link: LinkLayer) -> (Vec<u8>, PacketMeta) {
        let mut meta = PacketMeta {
            protocol: self.ethertype(),
            packet_type: self.packet_type,
            ifindex: self.ifindex,
            vlan_tci: None,
        };
        let network = self.network_bytes();
        let mut link_header = match link {
            LinkLayer::Ethernet => vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1],
            LinkLayer::LinuxSll => vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0],
            LinkLayer::Cooked | LinkLayer::RawIp => Vec::new(),
        };
        let has_ethertype = matches!(link, LinkLayer::Ethernet | LinkLayer::LinuxSll);
        match self.tagging {
            Tagging::InPacket(id) if has_ethertype => {
                link_header.extend_from_slice(&[0x81, 0x00]);
                link_header.extend_from_slice(&id.to_be_bytes());
            }
            Tagging::InPacket(id) | Tagging::Stripped(id) => meta.vlan_tci = Some(id),
            Tagging::None => {}
        }
        if has_ethertype {
            link_header.extend_from_slice(&self.ethertype().to_be_bytes());
        }
        link_header.extend_from_slice(&network);
        (link_header, meta)
    }

    /// What a correct filter returns for `expr` on this packet.
    pub fn evaluate(&self, expr: &Expr) -> bool {
        match expr {
            Expr::And(left, right) => self.evaluate(left) && self.evaluate(right),
            Expr::Or(left, right) => self.evaluate(left) || self.evaluate(right),
            Expr::Not(operand) => !self.evaluate(operand),
            Expr::Primitive(primitive) => self.evaluate_primitive(primitive),
        }
    }

    fn evaluate_primitive(&self, primitive: &Primitive) -> bool {
        let is_v4 = matches!(self.addresses, Some((IpAddr::V4(_), _)));
        let is_v6 = matches!(self.addresses, Some((IpAddr::V6(_), _)));
        let vlan = match self.tagging {
            Tagging::None => None,
            Tagging::InPacket(id) | Tagging::Stripped(id) => Some(id & 0x0fff),
        };
        match *primitive {
            Primitive::Ip => is_v4,
            Primitive::Ip6 => is_v6,
            Primitive::Udp => self.addresses.is_some() && self.protocol == UDP,
            Primitive::Tcp => self.addresses.is_some() && self.protocol == TCP,
            Primitive::Vlan(None) => vlan.is_some(),
            Primitive::Vlan(Some(id)) => vlan == Some(id),
            Primitive::Ipv4Fragment => is_v4 && (self.more_fragments || self.fragment_offset != 0),
            Primitive::Ipv6ExtensionHeader => {
                is_v6 && [0, 43, 44, 60, 51, 135, 139, 140].contains(&self.protocol)
            }
            Primitive::Port(direction, port) => {
                self.addresses.is_some()
                    && self.has_ports()
                    && either(direction, self.ports, |value| value == port)
            }
            Primitive::PortRange(direction, first, last) => {
                self.addresses.is_some()
                    && self.has_ports()
                    && either(direction, self.ports, |value| {
                        (first..=last).contains(&value)
                    })
            }
            Primitive::Host(direction, address) => match self.addresses {
                Some(pair) => either(direction, pair, |value| value == address),
                None => false,
            },
            Primitive::Net(direction, network) => match self.addresses {
                Some(pair) => either(direction, pair, |value| contains(network, value)),
                None => false,
            },
        }
    }
}

fn either<T: Copy>(direction: Direction, pair: (T, T), test: impl Fn(T) -> bool) -> bool {
    match direction {
        Direction::Source => test(pair.0),
        Direction::Destination => test(pair.1),
        Direction::Either => test(pair.0) || test(pair.1),
    }
}

fn contains(network: Network, address: IpAddr) -> bool {
    match (network.address, address) {
        (IpAddr::V4(net), IpAddr::V4(address)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(network.prefix))
                .unwrap_or(0);
            u32::from(address) & mask == u32::from(net)
        }
        (IpAddr::V6(net), IpAddr::V6(address)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(network.prefix))
                .unwrap_or(0);
            u128::from(address) & mask == u128::from(net)
        }
        _ => false,
    }
}
