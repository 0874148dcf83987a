//! `<srcip>`/`<dstip>` address lists: IPv4/IPv6 addresses and CIDR blocks.

/// One address or network, optionally negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPattern {
    /// Network address.
    pub addr: std::net::IpAddr,
    /// Prefix length (32 or 128 for a single address).
    pub prefix: u8,
    /// `!` prefix.
    pub negate: bool,
}

/// The addresses of every `<srcip>` (or `<dstip>`) element of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpList {
    /// Entries in rule order.
    pub entries: Vec<IpPattern>,
    /// `negate="yes"` on the element.
    pub negate: bool,
}
