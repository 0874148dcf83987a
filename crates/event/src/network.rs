//! `network.direction`, `network.type` and the network ranges of `internal_networks`.
//!
//! Packetbeat 7.17 decides the direction in two steps. The first takes the sensor host's view.
//! Traffic to a loopback, link-local unicast or link-local multicast address, or to one of
//! the host's own non-loopback addresses, is `ingress`. Otherwise traffic from such an
//! address is `egress`, so the destination is tested first. When that gives `unknown` and
//! `internal_networks` is set, the second step classifies by perimeter: both ends internal
//! is `internal`, only the source `outbound`, only the destination `inbound`, and neither
//! `external`.
//!
//! Address classes follow Go's `net.IP` methods, which treat an IPv4-mapped IPv6 address
//! (`::ffff:a.b.c.d`) as the IPv4 address it carries.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::ConfigError;

/// The value of `network.direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Towards this host.
    Ingress,
    /// From this host.
    Egress,
    /// From outside the internal networks into them.
    Inbound,
    /// From the internal networks out of them.
    Outbound,
    /// Both ends in the internal networks.
    Internal,
    /// Neither end in the internal networks.
    External,
    /// Not decided (no host address matched and no internal networks are configured).
    Unknown,
}

impl Direction {
    /// Returns the lowercase name written to `network.direction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
            Direction::External => "external",
            Direction::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Returns `"ipv4"` or `"ipv6"` for `network.type`, counting IPv4-mapped IPv6 as IPv4.
pub fn network_type(address: IpAddr) -> &'static str {
    match canonical(address) {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

/// Computes `network.direction` for a flow from `source` to `destination`.
///
/// `local_ips` are the sensor host's own addresses; loopback entries in it are ignored, as
/// Packetbeat drops them from its snapshot.
pub fn direction(
    source: IpAddr,
    destination: IpAddr,
    local_ips: &[IpAddr],
    internal_networks: &InternalNetworks,
) -> Direction {
    let host_based = host_based_direction(source, destination, local_ips);
    if host_based != Direction::Unknown || internal_networks.is_empty() {
        return host_based;
    }
    match (
        internal_networks.contains(source),
        internal_networks.contains(destination),
    ) {
        (true, true) => Direction::Internal,
        (true, false) => Direction::Outbound,
        (false, true) => Direction::Inbound,
        (false, false) => Direction::External,
    }
}

fn host_based_direction(source: IpAddr, destination: IpAddr, local_ips: &[IpAddr]) -> Direction {
    if is_host_address(destination, local_ips) {
        Direction::Ingress
    } else if is_host_address(source, local_ips) {
        Direction::Egress
    } else {
        Direction::Unknown
    }
}

/// Reports whether traffic to or from `address` stays on this host's links.
fn is_host_address(address: IpAddr, local_ips: &[IpAddr]) -> bool {
    let address = canonical(address);
    is_loopback(address)
        || is_link_local_unicast(address)
        || is_link_local_multicast(address)
        || local_ips
            .iter()
            .any(|&local| !is_loopback(canonical(local)) && canonical(local) == address)
}

/// A set of address ranges: the `internal_networks` option.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InternalNetworks {
    ranges: Vec<NetworkRange>,
}

impl InternalNetworks {
    /// Parses each entry as a named range (`private`, `loopback`, ...) or a CIDR block.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, ConfigError> {
        let ranges = entries
            .iter()
            .map(|entry| NetworkRange::parse(entry.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(InternalNetworks { ranges })
    }

    /// Reports whether no range is configured.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Reports whether `address` is in any of the ranges.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.ranges.iter().any(|range| range.contains(address))
    }
}

/// One entry of `internal_networks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkRange {
    /// A named range, as Beats' network condition defines it.
    Named(NamedNetwork),
    /// A CIDR block; the address is already masked to the prefix.
    Cidr {
        /// Network address.
        network: IpAddr,
        /// Prefix length in bits.
        prefix: u8,
    },
}

/// The named ranges Beats accepts in `internal_networks` and network conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedNetwork {
    /// 127.0.0.0/8 and ::1.
    Loopback,
    /// Any unicast address that is not unspecified, loopback, link-local or broadcast
    /// (`global_unicast` and `unicast` are the same range).
    GlobalUnicast,
    /// 169.254.0.0/16 and fe80::/10.
    LinkLocalUnicast,
    /// ff01::/16 (IPv6 only).
    InterfaceLocalMulticast,
    /// 224.0.0.0/24 and ff02::/16.
    LinkLocalMulticast,
    /// 224.0.0.0/4 and ff00::/8.
    Multicast,
    /// 0.0.0.0 and ::.
    Unspecified,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fd00::/8 (not all of fc00::/7).
    Private,
    /// Everything that is not private, loopback, unspecified, broadcast, link-local or
    /// interface-local multicast. Other multicast addresses count as public.
    Public,
}

impl NetworkRange {
    /// Parses a range name or a CIDR block such as `192.0.2.0/24` or `2001:db8::/32`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        if let Some(named) = NamedNetwork::from_name(text) {
            return Ok(NetworkRange::Named(named));
        }
        let invalid = || ConfigError::InvalidNetwork {
            value: text.to_owned(),
        };
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let max_prefix = if address.is_ipv4() { 32 } else { 128 };
        if prefix > max_prefix {
            return Err(invalid());
        }
        Ok(NetworkRange::Cidr {
            network: mask(address, prefix),
            prefix,
        })
    }

    /// Reports whether `address` is in this range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match *self {
            NetworkRange::Named(named) => named.contains(address),
            NetworkRange::Cidr { network, prefix } => {
                // As in Go, an IPv4-mapped address matches IPv4 blocks and no IPv6 block.
                let address = canonical(address);
                address.is_ipv4() == network.is_ipv4() && mask(address, prefix) == network
            }
        }
    }
}

impl NamedNetwork {
    /// Looks up a range by its Beats name.
    pub fn from_name(name: &str) -> Option<Self> {
        let named = match name {
            "loopback" => NamedNetwork::Loopback,
            "global_unicast" | "unicast" => NamedNetwork::GlobalUnicast,
            "link_local_unicast" => NamedNetwork::LinkLocalUnicast,
            "interface_local_multicast" => NamedNetwork::InterfaceLocalMulticast,
            "link_local_multicast" => NamedNetwork::LinkLocalMulticast,
            "multicast" => NamedNetwork::Multicast,
            "unspecified" => NamedNetwork::Unspecified,
            "private" => NamedNetwork::Private,
            "public" => NamedNetwork::Public,
            _ => return None,
        };
        Some(named)
    }

    /// Reports whether `address` is in this range.
    pub fn contains(self, address: IpAddr) -> bool {
        let address = canonical(address);
        match self {
            NamedNetwork::Loopback => is_loopback(address),
            NamedNetwork::GlobalUnicast => is_global_unicast(address),
            NamedNetwork::LinkLocalUnicast => is_link_local_unicast(address),
            NamedNetwork::InterfaceLocalMulticast => is_interface_local_multicast(address),
            NamedNetwork::LinkLocalMulticast => is_link_local_multicast(address),
            NamedNetwork::Multicast => address.is_multicast(),
            NamedNetwork::Unspecified => address.is_unspecified(),
            NamedNetwork::Private => is_private(address),
            NamedNetwork::Public => !is_local_or_private(address),
        }
    }
}

/// Turns an IPv4-mapped IPv6 address into its IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & kept))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & kept))
        }
    }
}

fn is_loopback(address: IpAddr) -> bool {
    address.is_loopback()
}

fn is_link_local_unicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

fn is_link_local_multicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => v6.octets()[0] == 0xff && v6.octets()[1] & 0x0f == 0x02,
    }
}

fn is_interface_local_multicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => v6.octets()[0] == 0xff && v6.octets()[1] & 0x0f == 0x01,
    }
}

fn is_broadcast(address: IpAddr) -> bool {
    matches!(address, IpAddr::V4(v4) if v4.is_broadcast())
}

fn is_global_unicast(address: IpAddr) -> bool {
    !is_broadcast(address)
        && !address.is_unspecified()
        && !address.is_loopback()
        && !address.is_multicast()
        && !is_link_local_unicast(address)
}

fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => v6.octets()[0] == 0xfd,
    }
}

fn is_local_or_private(address: IpAddr) -> bool {
    is_private(address)
        || address.is_loopback()
        || address.is_unspecified()
        || is_broadcast(address)
        || is_link_local_unicast(address)
        || is_link_local_multicast(address)
        || is_interface_local_multicast(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn private() -> InternalNetworks {
        InternalNetworks::parse(&["private"]).expect("named range")
    }

    #[test]
    fn direction_loopback_destination_is_ingress() {
        let got = direction(ip("127.0.0.1"), ip("127.0.0.53"), &[], &private());
        assert_eq!(got, Direction::Ingress);
    }

    #[test]
    fn direction_local_destination_first() {
        let local = [ip("192.168.1.10")];
        let got = direction(ip("192.168.1.20"), ip("192.168.1.10"), &local, &private());
        assert_eq!(got, Direction::Ingress);
        let got = direction(ip("192.168.1.10"), ip("8.8.8.8"), &local, &private());
        assert_eq!(got, Direction::Egress);
        let both = direction(ip("192.168.1.10"), ip("192.168.1.10"), &local, &private());
        assert_eq!(both, Direction::Ingress);
    }

    #[test]
    fn direction_link_local_and_multicast() {
        let none = InternalNetworks::default();
        let mdns = direction(ip("192.168.1.5"), ip("224.0.0.251"), &[], &none);
        assert_eq!(mdns, Direction::Ingress);
        let v6 = direction(ip("fe80::1"), ip("2001:db8::1"), &[], &none);
        assert_eq!(v6, Direction::Egress);
        let ff02 = direction(ip("2001:db8::1"), ip("ff02::fb"), &[], &none);
        assert_eq!(ff02, Direction::Ingress);
        let apipa = direction(ip("8.8.8.8"), ip("169.254.1.1"), &[], &none);
        assert_eq!(apipa, Direction::Ingress);
    }

    #[test]
    fn direction_local_loopback_ignored() {
        // A loopback entry in the local list adds nothing, since loopback already matches.
        let local = [ip("127.0.0.1")];
        let got = direction(
            ip("10.0.0.1"),
            ip("10.0.0.2"),
            &local,
            &InternalNetworks::default(),
        );
        assert_eq!(got, Direction::Unknown);
    }

    #[test]
    fn direction_perimeter_cases() {
        let nets = private();
        assert_eq!(
            direction(ip("192.168.238.68"), ip("192.168.238.1"), &[], &nets),
            Direction::Internal
        );
        assert_eq!(
            direction(ip("192.168.238.68"), ip("8.8.8.8"), &[], &nets),
            Direction::Outbound
        );
        assert_eq!(
            direction(ip("8.8.8.8"), ip("10.1.2.3"), &[], &nets),
            Direction::Inbound
        );
        assert_eq!(
            direction(ip("8.8.8.8"), ip("1.1.1.1"), &[], &nets),
            Direction::External
        );
    }

    #[test]
    fn direction_unknown_without_networks() {
        let got = direction(
            ip("10.0.0.1"),
            ip("8.8.8.8"),
            &[],
            &InternalNetworks::default(),
        );
        assert_eq!(got, Direction::Unknown);
        assert_eq!(got.as_str(), "unknown");
    }

    #[test]
    fn private_range_is_fd00_not_fc00() {
        let nets = private();
        assert!(nets.contains(ip("fd12::1")));
        assert!(!nets.contains(ip("fc00::1")));
        assert!(nets.contains(ip("172.31.255.255")));
        assert!(!nets.contains(ip("172.32.0.0")));
        assert!(nets.contains(ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn named_ranges_match_go() {
        let check = |name: &str, address: &str| {
            NamedNetwork::from_name(name)
                .expect("known name")
                .contains(ip(address))
        };
        assert!(check("loopback", "127.5.5.5"));
        assert!(check("loopback", "::1"));
        assert!(check("unicast", "10.0.0.1"));
        assert!(check("global_unicast", "2001:db8::1"));
        assert!(!check("global_unicast", "255.255.255.255"));
        assert!(!check("global_unicast", "fe80::1"));
        assert!(check("link_local_unicast", "169.254.3.4"));
        assert!(check("interface_local_multicast", "ff01::1"));
        assert!(!check("interface_local_multicast", "224.0.0.1"));
        assert!(check("link_local_multicast", "224.0.0.251"));
        assert!(!check("link_local_multicast", "224.0.1.1"));
        assert!(check("multicast", "239.1.1.1"));
        assert!(check("multicast", "ff05::2"));
        assert!(check("unspecified", "0.0.0.0"));
        assert!(check("unspecified", "::"));
        assert!(check("public", "8.8.8.8"));
        assert!(check("public", "239.1.1.1"));
        assert!(!check("public", "192.168.0.1"));
        assert!(!check("public", "255.255.255.255"));
    }

    #[test]
    fn cidr_parse_and_match() {
        let nets = InternalNetworks::parse(&["192.0.2.7/24", "2001:db8::/32"]).expect("valid");
        assert!(nets.contains(ip("192.0.2.200")));
        assert!(!nets.contains(ip("192.0.3.1")));
        assert!(nets.contains(ip("2001:db8:ffff::1")));
        assert!(nets.contains(ip("::ffff:192.0.2.1")));
        let all = InternalNetworks::parse(&["0.0.0.0/0"]).expect("valid");
        assert!(all.contains(ip("8.8.8.8")));
        assert!(!all.contains(ip("::2")));
    }

    #[test]
    fn cidr_invalid_entries_rejected() {
        for bad in [
            "privat",
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "x/8",
            "10.0.0.0/-1",
        ] {
            let error = InternalNetworks::parse(&[bad]).expect_err("invalid entry");
            assert!(error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn network_type_by_family() {
        assert_eq!(network_type(ip("10.0.0.1")), "ipv4");
        assert_eq!(network_type(ip("::ffff:10.0.0.1")), "ipv4");
        assert_eq!(network_type(ip("::1")), "ipv6");
    }
}
