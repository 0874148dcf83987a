//! Numeric DNS registries: record type, class, opcode and response code.
//!
//! Each is a newtype over the wire number so unknown values survive. `Display` prints the
//! mnemonic the way Packetbeat 7.17 prints it (miekg/dns v1.1.41 tables), or the decimal
//! number when the value has no mnemonic there.

use std::fmt;

/// Resource record type (RFC 1035 TYPE / QTYPE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rtype(pub u16);

/// Resource record class (RFC 1035 CLASS / QCLASS), with any mDNS top bit already removed
/// when the message was parsed with [`crate::ParseOptions::multicast_class_bit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class(pub u16);

/// Header OPCODE (4 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Opcode(pub u8);

/// Response code: the 4-bit header RCODE, or the 12-bit value after the EDNS extended bits
/// are merged in (see [`crate::Message::rcode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rcode(pub u16);

/// Type mnemonics known to miekg/dns v1.1.41, which Packetbeat 7.17 uses.
const RTYPE_NAMES: &[(u16, &str)] = &[
    (0, "None"),
    (1, "A"),
    (2, "NS"),
    (3, "MD"),
    (4, "MF"),
    (5, "CNAME"),
    (6, "SOA"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (10, "NULL"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (28, "AAAA"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (33, "SRV"),
    (34, "ATMA"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (39, "DNAME"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
    (258, "AVC"),
    (32768, "TA"),
    (32769, "DLV"),
    (65535, "Reserved"),
];

/// The mnemonics of the types below 256, indexed by number, so that the common types (A,
/// AAAA, CNAME, MX, ...) skip the binary search over [`RTYPE_NAMES`].
const LOW_RTYPE_NAMES: [Option<&str>; 256] = {
    let mut table = [None; 256];
    let mut index = 0;
    while index < RTYPE_NAMES.len() {
        let (number, name) = RTYPE_NAMES[index];
        if number < 256 {
            table[number as usize] = Some(name);
        }
        index += 1;
    }
    table
};

impl Rtype {
    /// IPv4 host address.
    pub const A: Rtype = Rtype(1);
    /// Authoritative name server.
    pub const NS: Rtype = Rtype(2);
    /// Canonical name.
    pub const CNAME: Rtype = Rtype(5);
    /// Start of authority.
    pub const SOA: Rtype = Rtype(6);
    /// Null record.
    pub const NULL: Rtype = Rtype(10);
    /// Domain name pointer.
    pub const PTR: Rtype = Rtype(12);
    /// Host information.
    pub const HINFO: Rtype = Rtype(13);
    /// Mailbox information.
    pub const MINFO: Rtype = Rtype(14);
    /// Mail exchange.
    pub const MX: Rtype = Rtype(15);
    /// Text strings.
    pub const TXT: Rtype = Rtype(16);
    /// Responsible person.
    pub const RP: Rtype = Rtype(17);
    /// AFS database location.
    pub const AFSDB: Rtype = Rtype(18);
    /// IPv6 host address.
    pub const AAAA: Rtype = Rtype(28);
    /// Location.
    pub const LOC: Rtype = Rtype(29);
    /// Service location.
    pub const SRV: Rtype = Rtype(33);
    /// Naming authority pointer.
    pub const NAPTR: Rtype = Rtype(35);
    /// Key exchanger.
    pub const KX: Rtype = Rtype(36);
    /// Delegation name.
    pub const DNAME: Rtype = Rtype(39);
    /// EDNS pseudo-record.
    pub const OPT: Rtype = Rtype(41);
    /// Delegation signer.
    pub const DS: Rtype = Rtype(43);
    /// SSH key fingerprint.
    pub const SSHFP: Rtype = Rtype(44);
    /// DNSSEC signature.
    pub const RRSIG: Rtype = Rtype(46);
    /// Next secure record.
    pub const NSEC: Rtype = Rtype(47);
    /// DNSSEC public key.
    pub const DNSKEY: Rtype = Rtype(48);
    /// Hashed next secure record.
    pub const NSEC3: Rtype = Rtype(50);
    /// NSEC3 parameters.
    pub const NSEC3PARAM: Rtype = Rtype(51);
    /// TLS certificate association.
    pub const TLSA: Rtype = Rtype(52);
    /// Child DS.
    pub const CDS: Rtype = Rtype(59);
    /// Child DNSKEY.
    pub const CDNSKEY: Rtype = Rtype(60);
    /// Service binding.
    pub const SVCB: Rtype = Rtype(64);
    /// HTTPS service binding.
    pub const HTTPS: Rtype = Rtype(65);
    /// Sender policy framework (text).
    pub const SPF: Rtype = Rtype(99);
    /// Transaction signature.
    pub const TSIG: Rtype = Rtype(250);
    /// Zone transfer.
    pub const AXFR: Rtype = Rtype(252);
    /// Any type (query only).
    pub const ANY: Rtype = Rtype(255);
    /// Uniform resource identifier.
    pub const URI: Rtype = Rtype(256);
    /// Certification authority authorization.
    pub const CAA: Rtype = Rtype(257);

    /// Returns the miekg/dns v1.1.41 mnemonic, or `None` for a number it does not list.
    pub fn mnemonic(self) -> Option<&'static str> {
        if let Some(&name) = LOW_RTYPE_NAMES.get(usize::from(self.0)) {
            return name;
        }
        RTYPE_NAMES
            .binary_search_by_key(&self.0, |&(number, _)| number)
            .ok()
            .and_then(|index| RTYPE_NAMES.get(index))
            .map(|&(_, name)| name)
    }

    /// Returns the type for a miekg/dns v1.1.41 mnemonic (exact case), such as `AAAA`.
    pub fn from_mnemonic(mnemonic: &str) -> Option<Rtype> {
        RTYPE_NAMES
            .iter()
            .find(|&&(_, name)| name == mnemonic)
            .map(|&(number, _)| Rtype(number))
    }

    /// Writes the type as miekg's `Type.String()` does inside record data (NSEC type
    /// bitmaps, RRSIG type covered): the mnemonic, or `TYPE<n>` for unlisted numbers.
    pub fn fmt_generic(self, out: &mut impl fmt::Write) -> fmt::Result {
        match self.mnemonic() {
            Some(name) => out.write_str(name),
            None => write!(out, "TYPE{}", self.0),
        }
    }
}

/// Prints the mnemonic, or the decimal number when it has none (as `dns.question.type`).
impl fmt::Display for Rtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Class {
    /// Internet.
    pub const IN: Class = Class(1);
    /// CSNET.
    pub const CS: Class = Class(2);
    /// Chaos.
    pub const CH: Class = Class(3);
    /// Hesiod.
    pub const HS: Class = Class(4);
    /// No class (RFC 2136 updates).
    pub const NONE: Class = Class(254);
    /// Any class (query only).
    pub const ANY: Class = Class(255);

    /// Returns the mnemonic Packetbeat prints, or `None` for other numbers.
    pub fn mnemonic(self) -> Option<&'static str> {
        match self.0 {
            1 => Some("IN"),
            2 => Some("CS"),
            3 => Some("CH"),
            4 => Some("HS"),
            254 => Some("NONE"),
            255 => Some("ANY"),
            _ => None,
        }
    }
}

/// Prints the mnemonic, or the decimal number (mDNS `32769` when the top bit is kept).
impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Opcode {
    /// Standard query.
    pub const QUERY: Opcode = Opcode(0);
    /// Zone change notification.
    pub const NOTIFY: Opcode = Opcode(4);
    /// Dynamic update.
    pub const UPDATE: Opcode = Opcode(5);

    /// Returns the mnemonic Packetbeat prints, or `None` for other numbers.
    pub fn mnemonic(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("QUERY"),
            1 => Some("IQUERY"),
            2 => Some("STATUS"),
            4 => Some("NOTIFY"),
            5 => Some("UPDATE"),
            _ => None,
        }
    }
}

/// Prints the mnemonic, or the decimal number (as `method` and `dns.op_code`).
impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Rcode {
    /// No error.
    pub const NOERROR: Rcode = Rcode(0);
    /// Format error.
    pub const FORMERR: Rcode = Rcode(1);
    /// Server failure.
    pub const SERVFAIL: Rcode = Rcode(2);
    /// Name does not exist.
    pub const NXDOMAIN: Rcode = Rcode(3);
    /// Not implemented.
    pub const NOTIMP: Rcode = Rcode(4);
    /// Query refused.
    pub const REFUSED: Rcode = Rcode(5);
    /// EDNS version not supported (RFC 6891); Packetbeat prints it as `BADSIG`.
    pub const BADVERS: Rcode = Rcode(16);
    /// Bad or missing server cookie (RFC 7873).
    pub const BADCOOKIE: Rcode = Rcode(23);

    /// Returns the IANA mnemonic, naming 16 `BADVERS` as an EDNS response does.
    pub fn mnemonic(self) -> Option<&'static str> {
        match self.0 {
            16 => Some("BADVERS"),
            other => packetbeat_rcode_name(other),
        }
    }

    /// Returns the name Packetbeat 7.17 prints in `dns.response_code` (16 is `BADSIG`), or
    /// `None` where it prints `Unknown <n>`. The `Display` output uses the same names.
    pub fn packetbeat_name(self) -> Option<&'static str> {
        packetbeat_rcode_name(self.0)
    }
}

fn packetbeat_rcode_name(rcode: u16) -> Option<&'static str> {
    let name = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADSIG",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return None,
    };
    Some(name)
}

/// Prints the rcode as Packetbeat 7.17 does in `dns.response_code`: 16 is `BADSIG` (miekg
/// maps BADSIG and BADVERS to one string), and unlisted values are `Unknown <n>`.
impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match packetbeat_rcode_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "Unknown {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtype_table_is_sorted() {
        assert!(RTYPE_NAMES.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn rtype_mnemonic_matches_table() {
        for number in 0..=u16::MAX {
            let listed = RTYPE_NAMES
                .iter()
                .find(|&&(listed, _)| listed == number)
                .map(|&(_, name)| name);
            assert_eq!(Rtype(number).mnemonic(), listed, "type {number}");
        }
    }

    #[test]
    fn rtype_display_known_and_unknown() {
        assert_eq!(Rtype::AAAA.to_string(), "AAAA");
        assert_eq!(Rtype(11).to_string(), "11");
        assert_eq!(Rtype(45).to_string(), "45");
        assert_eq!(Rtype(23).to_string(), "NSAP-PTR");
        let mut generic = String::new();
        Rtype(11)
            .fmt_generic(&mut generic)
            .expect("writing to a String cannot fail");
        assert_eq!(generic, "TYPE11");
    }

    #[test]
    fn rtype_from_mnemonic_round_trip() {
        assert_eq!(Rtype::from_mnemonic("HTTPS"), Some(Rtype::HTTPS));
        assert_eq!(Rtype::from_mnemonic("NSAP-PTR"), Some(Rtype(23)));
        assert_eq!(Rtype::from_mnemonic("https"), None);
        assert_eq!(Rtype::from_mnemonic("11"), None);
    }

    #[test]
    fn class_display_mdns_bit() {
        assert_eq!(Class::IN.to_string(), "IN");
        assert_eq!(Class(32769).to_string(), "32769");
    }

    #[test]
    fn opcode_display_unknown_decimal() {
        assert_eq!(Opcode(0).to_string(), "QUERY");
        assert_eq!(Opcode(3).to_string(), "3");
    }

    #[test]
    fn rcode_display_packetbeat_names() {
        assert_eq!(Rcode(3).to_string(), "NXDOMAIN");
        assert_eq!(Rcode::BADVERS.to_string(), "BADSIG");
        assert_eq!(Rcode::BADVERS.mnemonic(), Some("BADVERS"));
        assert_eq!(Rcode(11).to_string(), "Unknown 11");
    }
}
