//! The filter expression tree shared by the `bpf_filter` parser and the program generator.

use std::fmt;
use std::net::IpAddr;

/// The address or port of a packet that a primitive tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Source or destination.
    Either,
    /// Source only.
    Source,
    /// Destination only.
    Destination,
}

/// An IP network: an address with its prefix length, host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// Network address.
    pub address: IpAddr,
    /// Prefix length in bits (at most 32 for IPv4, 128 for IPv6).
    pub prefix: u8,
}

/// One test on a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Primitive {
    /// `[src|dst] host ADDR`: an IPv4 or IPv6 address.
    Host(Direction, IpAddr),
    /// `[src|dst] net CIDR`.
    Net(Direction, Network),
    /// `[src|dst] port N`: UDP or TCP, first fragment only.
    Port(Direction, u16),
    /// `[src|dst] portrange A-B`, inclusive.
    PortRange(Direction, u16, u16),
    /// `udp`: IP protocol (or IPv6 next header) 17.
    Udp,
    /// `tcp`: IP protocol (or IPv6 next header) 6.
    Tcp,
    /// `ip`: IPv4.
    Ip,
    /// `ip6`: IPv6.
    Ip6,
    /// `vlan [ID]`: the packet carries an 802.1Q/802.1ad tag, optionally with this VLAN id.
    Vlan(Option<u16>),
    /// Any IPv4 fragment: more-fragments set or a non-zero offset. Not part of the filter syntax.
    Ipv4Fragment,
    /// An IPv6 packet whose first next header is an extension header. Not part of the filter
    /// syntax.
    Ipv6ExtensionHeader,
}

/// A boolean combination of primitives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Both sides match.
    And(Box<Expr>, Box<Expr>),
    /// Either side matches.
    Or(Box<Expr>, Box<Expr>),
    /// The operand does not match.
    Not(Box<Expr>),
    /// A single test.
    Primitive(Primitive),
}

impl Expr {
    /// Combines two expressions with `and`.
    pub fn and(self, other: Expr) -> Expr {
        Expr::And(Box::new(self), Box::new(other))
    }

    /// Combines two expressions with `or`.
    pub fn or(self, other: Expr) -> Expr {
        Expr::Or(Box::new(self), Box::new(other))
    }

    /// Builds the filter that passes DNS traffic on `ports` plus every packet that IP reassembly
    /// may need: all IPv4 fragments and IPv6 packets that start with an extension header.
    /// Returns `None` when `ports` is empty.
    pub fn dns_ports(ports: &[u16]) -> Option<Expr> {
        let (first, rest) = ports.split_first()?;
        let ports = rest
            .iter()
            .fold(port_expr(*first), |expr, port| expr.or(port_expr(*port)));
        Some(
            ports
                .or(Expr::Primitive(Primitive::Ipv4Fragment))
                .or(Expr::Primitive(Primitive::Ipv6ExtensionHeader)),
        )
    }
}

fn port_expr(port: u16) -> Expr {
    Expr::Primitive(Primitive::Port(Direction::Either, port))
}

impl fmt::Display for Direction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Direction::Either => Ok(()),
            Direction::Source => formatter.write_str("src "),
            Direction::Destination => formatter.write_str("dst "),
        }
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Primitive::Host(direction, address) => write!(formatter, "{direction}host {address}"),
            Primitive::Net(direction, network) => write!(
                formatter,
                "{direction}net {}/{}",
                network.address, network.prefix
            ),
            Primitive::Port(direction, port) => write!(formatter, "{direction}port {port}"),
            Primitive::PortRange(direction, first, last) => {
                write!(formatter, "{direction}portrange {first}-{last}")
            }
            Primitive::Udp => formatter.write_str("udp"),
            Primitive::Tcp => formatter.write_str("tcp"),
            Primitive::Ip => formatter.write_str("ip"),
            Primitive::Ip6 => formatter.write_str("ip6"),
            Primitive::Vlan(None) => formatter.write_str("vlan"),
            Primitive::Vlan(Some(id)) => write!(formatter, "vlan {id}"),
            Primitive::Ipv4Fragment => formatter.write_str("(ipv4 fragment)"),
            Primitive::Ipv6ExtensionHeader => formatter.write_str("(ipv6 extension header)"),
        }
    }
}

/// Prints the expression fully parenthesized, in the filter syntax where one exists.
impl fmt::Display for Expr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(left, right) => write!(formatter, "({left} and {right})"),
            Expr::Or(left, right) => write!(formatter, "({left} or {right})"),
            Expr::Not(operand) => write!(formatter, "not {operand}"),
            Expr::Primitive(primitive) => write!(formatter, "{primitive}"),
        }
    }
}
