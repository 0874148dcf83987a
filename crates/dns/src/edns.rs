//! The EDNS(0) OPT pseudo-record (RFC 6891) and its options, rendered under the
//! `dns.opt.*` keys Packetbeat uses plus a few of dnstel's own.

/// The OPT pseudo-record, taken out of the additional section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opt {
    /// EDNS version (`dns.opt.version`, printed as a decimal string).
    pub version: u8,
    /// DO bit: the sender accepts DNSSEC records (`dns.opt.do`).
    pub do_bit: bool,
    /// Requestor's UDP payload size, the OPT CLASS field (`dns.opt.udp_size`).
    pub udp_size: u16,
    /// Upper 8 bits of the 12-bit extended rcode, as on the wire. `dns.opt.ext_rcode` is
    /// [`Opt::ext_rcode_value`].
    pub ext_rcode: u8,
    /// The 15 flag bits after DO (reserved, normally zero).
    pub z: u16,
    /// Every option in wire order, duplicates kept.
    pub options: Vec<EdnsOption>,
}

impl Opt {
    /// Returns the extended rcode alone, `ext_rcode << 4`, which Packetbeat prints as
    /// `dns.opt.ext_rcode` (so `NOERROR` when the upper bits are zero).
    pub fn ext_rcode_value(&self) -> crate::Rcode {
        crate::Rcode(u16::from(self.ext_rcode) << 4)
    }
}

/// One EDNS option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdnsOption {
    /// Option code.
    pub code: u16,
    /// The `dns.opt.<key>` this option is rendered under (see [`EdnsOption::key`]).
    pub value: OptionValue,
}

/// A rendered EDNS option value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    /// Client subnet (code 8) as `addr/source/scope`, IPv6 in brackets: key `subnet`.
    Subnet(String),
    /// Cookie (code 10), lowercase hex of client and server cookie: key `cookie`.
    Cookie(String),
    /// NSID (code 3), lowercase hex: key `nsid`.
    Nsid(String),
    /// DNSSEC algorithm understood (code 5): key `dau`, names each preceded by a space.
    Dau(String),
    /// DS hash understood (code 6): key `dhu`.
    Dhu(String),
    /// NSEC3 hash understood (code 7): key `n3u`.
    N3u(String),
    /// Long-lived query (code 1), `"version opcode error id lease"`: key `llq`.
    Llq(String),
    /// Update lease (code 2), `"lease keylease"` or `"lease"`: key `ul`.
    UpdateLease(String),
    /// Zone expire (code 9) in seconds, `None` when the option is empty (a query): key
    /// `expire`. Packetbeat puts it under `local`.
    Expire(Option<u32>),
    /// Padding (code 12) length in bytes: key `padding`. Packetbeat drops it.
    Padding(u16),
    /// TCP keepalive (code 11) timeout in units of 100 ms, `None` when empty: key
    /// `tcp_keepalive`. Packetbeat puts it under `local`.
    TcpKeepalive(Option<u16>),
    /// Extended DNS Error (code 15, RFC 8914): key `ede`, an array of objects.
    ExtendedError(ExtendedError),
    /// Any other option, or a known one whose body is malformed, as `"<code>:0x<hex>"`:
    /// key `local`. Packetbeat keeps only the last one; dnstel keeps all.
    Local(String),
}

/// One RFC 8914 Extended DNS Error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendedError {
    /// INFO-CODE.
    pub code: u16,
    /// The RFC 8914 / IANA name of the code (`"Stale Answer"`), or `"Unknown"`.
    pub purpose: &'static str,
    /// EXTRA-TEXT, escaped like a TXT string (UTF-8 bytes become `\DDD`).
    pub text: String,
}

impl EdnsOption {
    /// Returns the `dns.opt.*` key this option is rendered under.
    pub fn key(&self) -> &'static str {
        match self.value {
            OptionValue::Subnet(_) => "subnet",
            OptionValue::Cookie(_) => "cookie",
            OptionValue::Nsid(_) => "nsid",
            OptionValue::Dau(_) => "dau",
            OptionValue::Dhu(_) => "dhu",
            OptionValue::N3u(_) => "n3u",
            OptionValue::Llq(_) => "llq",
            OptionValue::UpdateLease(_) => "ul",
            OptionValue::Expire(_) => "expire",
            OptionValue::Padding(_) => "padding",
            OptionValue::TcpKeepalive(_) => "tcp_keepalive",
            OptionValue::ExtendedError(_) => "ede",
            OptionValue::Local(_) => "local",
        }
    }
}
