//! `<srcip>`/`<dstip>` address lists: IPv4/IPv6 addresses and networks in
//! CIDR (`10.0.0.0/8`) or netmask (`10.0.0.0/255.0.0.0`) form, each
//! optionally negated with `!`.

use std::net::IpAddr;

/// One address or network, optionally negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPattern {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length (32 or 128 for a single address).
    pub prefix: u8,
    /// `!` prefix.
    pub negate: bool,
}

impl IpPattern {
    /// Parses `addr`, `addr/prefix`, `addr/netmask`, each with optional `!`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negate, text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, text),
        };
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => parse_prefix(p, max)?,
        };
        Some(Self {
            addr,
            prefix,
            negate,
        })
    }

    /// Returns true when `ip` is inside this network (ignoring `negate`).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn parse_prefix(text: &str, max: u8) -> Option<u8> {
    if let Ok(bits) = text.parse::<u8>() {
        return (bits <= max).then_some(bits);
    }
    let mask: std::net::Ipv4Addr = text.parse().ok()?;
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0 && max == 32).then_some(ones as u8)
}

/// The addresses of every `<srcip>` (or `<dstip>`) element of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpList {
    /// Entries in rule order.
    pub entries: Vec<IpPattern>,
    /// `negate="yes"` on the element.
    pub negate: bool,
}

impl IpList {
    /// Tests an event address the way Wazuh 4.14 does (`OS_IPFoundList`):
    /// entries are tried in order and the first one containing the address
    /// decides. It yields true until a `!` entry has been passed and false
    /// from then on. When no entry contains the address the result is the
    /// opposite of that current value. A value that is not an IP address
    /// fails. `negate` inverts the result.
    pub fn matches(&self, value: &str) -> bool {
        let Ok(ip) = value.trim().parse::<IpAddr>() else {
            return self.negate;
        };
        let mut found_result = true;
        for entry in &self.entries {
            if entry.negate {
                found_result = false;
            }
            if entry.contains(ip) {
                return found_result != self.negate;
            }
        }
        // No entry contains the address: the result is `!found_result`,
        // then inverted by `negate`.
        found_result == self.negate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_netmask() {
        let net = IpPattern::parse("10.1.0.0/16").expect("parses");
        assert!(net.contains("10.1.200.3".parse().expect("ip")));
        assert!(!net.contains("10.2.0.1".parse().expect("ip")));
        let mask = IpPattern::parse("10.1.0.0/255.255.0.0").expect("parses");
        assert_eq!(mask.prefix, 16);
        assert!(IpPattern::parse("10.1.0.0/33").is_none());
        assert!(IpPattern::parse("bogus").is_none());
    }

    #[test]
    fn list_with_negation() {
        let list = IpList {
            entries: vec![IpPattern::parse("!192.168.0.0/16").expect("parses")],
            negate: false,
        };
        assert!(list.matches("8.8.8.8"));
        assert!(!list.matches("192.168.1.1"));
        assert!(!list.matches("not an address"));
    }

    #[test]
    fn list_negation_is_sticky() {
        let list = IpList {
            entries: vec![
                IpPattern::parse("10.0.0.0/8").expect("parses"),
                IpPattern::parse("!192.168.0.0/16").expect("parses"),
                IpPattern::parse("172.16.0.0/12").expect("parses"),
            ],
            negate: false,
        };
        assert!(list.matches("10.1.1.1"));
        assert!(!list.matches("192.168.1.1"));
        assert!(!list.matches("172.16.0.1"));
        assert!(list.matches("8.8.8.8"));
    }

    #[test]
    fn positive_list_and_negate_attribute() {
        let mut list = IpList {
            entries: vec![IpPattern::parse("10.0.0.0/8").expect("parses")],
            negate: false,
        };
        assert!(list.matches("10.1.1.1"));
        assert!(!list.matches("8.8.8.8"));
        list.negate = true;
        assert!(!list.matches("10.1.1.1"));
        assert!(list.matches("8.8.8.8"));
    }

    #[test]
    fn ipv6_prefix() {
        let net = IpPattern::parse("2001:db8::/32").expect("parses");
        assert!(net.contains("2001:db8::1".parse().expect("ip")));
        assert!(!net.contains("2001:db9::1".parse().expect("ip")));
    }
}
