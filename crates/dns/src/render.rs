//! RDATA rendering for the record types Packetbeat 7.17 has a case for, and dispatch to
//! RFC presentation format for the rest.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::anomaly::Anomaly;
use crate::message::Section;
use crate::name::{read_name, with_trailing_dot};
use crate::presentation;
use crate::rdata::{FieldValue, Rdata};
use crate::reader::Reader;
use crate::text;
use crate::types::Rtype;

/// The RDATA of one record, with the whole message at hand for compressed names.
pub(crate) struct RdataInput<'a> {
    /// The whole message.
    pub(crate) message: &'a [u8],
    /// Record type.
    pub(crate) rtype: Rtype,
    /// Offset of the first RDATA byte.
    pub(crate) start: usize,
    /// Offset just past the RDATA.
    pub(crate) end: usize,
    /// Section the record is in.
    pub(crate) section: Section,
}

impl<'a> RdataInput<'a> {
    /// Returns a reader bounded by the RDATA end.
    pub(crate) fn reader(&self) -> Reader<'a> {
        let bounded = self.message.get(..self.end).unwrap_or_default();
        Reader::new(bounded, self.start)
    }

    /// Returns the RDATA bytes.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.message.get(self.start..self.end).unwrap_or_default()
    }

    /// Returns the anomaly for malformed RDATA.
    pub(crate) fn invalid(&self, reason: &'static str) -> Anomaly {
        Anomaly::InvalidRdata {
            rtype: self.rtype,
            offset: self.start,
            reason,
        }
    }

    /// Reads a possibly compressed name at the reader's position, which must end inside the
    /// RDATA, and moves the reader past it.
    pub(crate) fn name(&self, reader: &mut Reader<'_>) -> Result<String, Anomaly> {
        let name = read_name(self.message, reader.position(), self.section)
            .map_err(|error| error.anomaly)?;
        if name.end > self.end {
            return Err(self.invalid("name runs past the record data"));
        }
        reader.set_position(name.end);
        Ok(name.text)
    }

    /// Returns `Ok` if the reader consumed the whole RDATA.
    pub(crate) fn finish(&self, reader: &Reader<'_>) -> Result<(), Anomaly> {
        if reader.is_empty() {
            Ok(())
        } else {
            Err(self.invalid("bytes left after the last field"))
        }
    }

    /// Reads the layout DNSKEY, KEY, DS and CDS share: a 16-bit field, two 8-bit fields, and
    /// the remaining bytes (flags, protocol, algorithm, key or key tag, algorithm, digest
    /// type, digest).
    pub(crate) fn u16_u8_u8_rest(&self) -> Result<(u16, u8, u8, &'a [u8]), Anomaly> {
        let mut reader = self.reader();
        let first = reader.u16().ok_or_else(|| self.short())?;
        let second = reader.u8().ok_or_else(|| self.short())?;
        let third = reader.u8().ok_or_else(|| self.short())?;
        Ok((first, second, third, reader.rest()))
    }

    /// Returns the anomaly for RDATA that ends before a fixed field.
    pub(crate) fn short(&self) -> Anomaly {
        self.invalid("record data too short")
    }
}

/// Renders one record's RDATA. `Ok(None)` means Packetbeat renders nothing for it (A or
/// AAAA with empty RDATA).
pub(crate) fn render(input: &RdataInput<'_>) -> Result<Option<Rdata>, Anomaly> {
    match input.rtype {
        Rtype::A => return address_v4(input),
        Rtype::AAAA => return address_v6(input),
        _ => {}
    }
    let Some(renderer) = packetbeat_renderer(input.rtype) else {
        return presentation::render(input).map(Some);
    };
    // Empty RDATA is legal in dynamic updates (RFC 2136 deletes). miekg then leaves every
    // field zero; dnstel renders an empty `data` and no extra keys.
    if input.bytes().is_empty() {
        return Ok(Some(Rdata::plain(String::new())));
    }
    renderer(input).map(Some)
}

/// Extra answer-map keys, in Packetbeat's order.
type ExtraKeys = Vec<(&'static str, FieldValue)>;

type Renderer = fn(&RdataInput<'_>) -> Result<Rdata, Anomaly>;

/// Returns the renderer for a type Packetbeat has a case for, other than A and AAAA.
fn packetbeat_renderer(rtype: Rtype) -> Option<Renderer> {
    let renderer: Renderer = match rtype {
        Rtype::CNAME | Rtype::NS | Rtype::PTR => single_name,
        Rtype::MX => mx,
        Rtype::SOA => soa,
        Rtype::SRV => srv,
        Rtype::TXT => |input| Ok(Rdata::plain(txt_strings(input, " ", false)?)),
        Rtype::DNSKEY => dnskey,
        Rtype::DS => ds,
        Rtype::RRSIG => rrsig,
        Rtype::NSEC => nsec,
        Rtype::NSEC3 => nsec3,
        Rtype::NSEC3PARAM => nsec3param,
        _ => return None,
    };
    Some(renderer)
}

fn address_v4(input: &RdataInput<'_>) -> Result<Option<Rdata>, Anomaly> {
    match <[u8; 4]>::try_from(input.bytes()) {
        Ok(octets) => Ok(Some(Rdata::plain(format_ipv4(Ipv4Addr::from(octets))))),
        Err(_) if input.bytes().is_empty() => Ok(None),
        Err(_) => Err(input.invalid("address is not 4 bytes")),
    }
}

fn address_v6(input: &RdataInput<'_>) -> Result<Option<Rdata>, Anomaly> {
    match <[u8; 16]>::try_from(input.bytes()) {
        Ok(octets) => Ok(Some(Rdata::plain(format_ipv6(Ipv6Addr::from(octets))))),
        Err(_) if input.bytes().is_empty() => Ok(None),
        Err(_) => Err(input.invalid("address is not 16 bytes")),
    }
}

/// Formats an IPv6 address as Go's `net.IP.String()`: RFC 5952, except that an
/// IPv4-mapped address prints as plain dotted IPv4.
pub(crate) fn format_ipv6(address: Ipv6Addr) -> String {
    match address.to_ipv4_mapped() {
        Some(v4) => format_ipv4(v4),
        None => address.to_string(),
    }
}

/// Formats dotted-decimal IPv4 as `Ipv4Addr`'s `Display` does, without going through
/// `core::fmt`, which took about 5% of the instructions of `dnstel read` on A records.
pub(crate) fn format_ipv4(address: Ipv4Addr) -> String {
    let mut text = String::with_capacity(15);
    for (index, octet) in address.octets().into_iter().enumerate() {
        if index > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// Returns a name as Packetbeat prints names in record data: without the trailing dot.
fn single_name(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let target = input.name(&mut reader)?;
    input.finish(&reader)?;
    Ok(Rdata::plain(target))
}

fn mx(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let preference = reader.u16().ok_or_else(|| input.short())?;
    let exchange = input.name(&mut reader)?;
    input.finish(&reader)?;
    Ok(Rdata {
        data: exchange,
        extra: vec![("preference", FieldValue::Int(u64::from(preference)))],
    })
}

fn soa(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let mname = input.name(&mut reader)?;
    let rname = input.name(&mut reader)?;
    let mut extra = Vec::with_capacity(6);
    extra.push(("rname", FieldValue::Str(rname)));
    for key in ["serial", "refresh", "retry", "expire", "minimum"] {
        let value = reader.u32().ok_or_else(|| input.short())?;
        extra.push((key, FieldValue::Int(u64::from(value))));
    }
    input.finish(&reader)?;
    Ok(Rdata { data: mname, extra })
}

fn srv(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let mut extra = Vec::with_capacity(3);
    for key in ["priority", "weight", "port"] {
        let value = reader.u16().ok_or_else(|| input.short())?;
        extra.push((key, FieldValue::Int(u64::from(value))));
    }
    let target = input.name(&mut reader)?;
    input.finish(&reader)?;
    Ok(Rdata {
        data: target,
        extra,
    })
}

/// Renders a sequence of character-strings joined by `separator`, each escaped, quoted when
/// `quoted` is set (RFC presentation) and bare otherwise (Packetbeat's TXT `data`).
pub(crate) fn txt_strings(
    input: &RdataInput<'_>,
    separator: &str,
    quoted: bool,
) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let mut out = String::with_capacity(input.bytes().len());
    let mut first = true;
    while !reader.is_empty() {
        let string = reader
            .character_string()
            .ok_or_else(|| input.invalid("character-string runs past the record data"))?;
        if !first {
            out.push_str(separator);
        }
        first = false;
        if quoted {
            out.push('"');
        }
        text::escape_character_string(string, &mut out);
        if quoted {
            out.push('"');
        }
    }
    Ok(out)
}

fn dnskey(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let (flags, protocol, algorithm, key) = input.u16_u8_u8_rest()?;
    Ok(Rdata {
        data: text::base64(key),
        extra: vec![
            ("flags", FieldValue::Str(flags.to_string())),
            ("protocol", FieldValue::Str(protocol.to_string())),
            (
                "algorithm",
                FieldValue::Str(text::algorithm_name(algorithm)),
            ),
        ],
    })
}

fn ds(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let (key_tag, algorithm, digest_type, digest) = input.u16_u8_u8_rest()?;
    Ok(Rdata {
        data: text::hex_upper(digest),
        extra: vec![
            ("key_tag", FieldValue::Str(key_tag.to_string())),
            (
                "algorithm",
                FieldValue::Str(text::algorithm_name(algorithm)),
            ),
            ("digest_type", FieldValue::Str(text::hash_name(digest_type))),
        ],
    })
}

fn rrsig(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let short = || input.short();
    let type_covered = Rtype(reader.u16().ok_or_else(short)?);
    let algorithm = reader.u8().ok_or_else(short)?;
    let labels = reader.u8().ok_or_else(short)?;
    let original_ttl = reader.u32().ok_or_else(short)?;
    let expiration = reader.u32().ok_or_else(short)?;
    let inception = reader.u32().ok_or_else(short)?;
    let key_tag = reader.u16().ok_or_else(short)?;
    let signer_name = input.name(&mut reader)?;

    let extra = vec![
        ("type_covered", FieldValue::Str(type_covered.to_string())),
        (
            "algorithm",
            FieldValue::Str(text::algorithm_name(algorithm)),
        ),
        ("labels", FieldValue::Str(labels.to_string())),
        ("original_ttl", FieldValue::Str(original_ttl.to_string())),
        (
            "expiration",
            FieldValue::Str(text::signature_time(expiration)),
        ),
        (
            "inception",
            FieldValue::Str(text::signature_time(inception)),
        ),
        ("key_tag", FieldValue::Str(key_tag.to_string())),
        ("signer_name", FieldValue::Str(signer_name)),
    ];
    Ok(Rdata {
        data: text::base64(reader.rest()),
        extra,
    })
}

fn nsec(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let next_domain = input.name(&mut reader)?;
    let type_bits = type_bitmap(input, &mut reader, false)?;
    Ok(Rdata {
        data: with_trailing_dot(&next_domain),
        extra: vec![("type_bits", FieldValue::Str(type_bits))],
    })
}

fn nsec3(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let (mut extra, salt) = nsec3_parameters(input, &mut reader)?;
    let next_hashed = reader.character_string().ok_or_else(|| input.short())?;
    let type_bits = type_bitmap(input, &mut reader, false)?;
    extra.push(("salt", FieldValue::Str(salt)));
    extra.push(("type_bits", FieldValue::Str(type_bits)));
    Ok(Rdata {
        data: text::base32hex(next_hashed),
        extra,
    })
}

fn nsec3param(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let mut reader = input.reader();
    let (extra, salt) = nsec3_parameters(input, &mut reader)?;
    input.finish(&reader)?;
    Ok(Rdata { data: salt, extra })
}

/// Reads the hash algorithm, flags, iterations and salt that NSEC3 and NSEC3PARAM share.
/// Returns Packetbeat's `hash`, `flags` and `iterations` keys, and the salt text.
fn nsec3_parameters(
    input: &RdataInput<'_>,
    reader: &mut Reader<'_>,
) -> Result<(ExtraKeys, String), Anomaly> {
    let hash = reader.u8().ok_or_else(|| input.short())?;
    let flags = reader.u8().ok_or_else(|| input.short())?;
    let iterations = reader.u16().ok_or_else(|| input.short())?;
    let salt = reader.character_string().ok_or_else(|| input.short())?;
    let extra = vec![
        ("hash", FieldValue::Str(text::hash_name(hash))),
        ("flags", FieldValue::Str(flags.to_string())),
        ("iterations", FieldValue::Str(iterations.to_string())),
    ];
    Ok((extra, text::salt(salt)))
}

/// Renders an NSEC-style type bitmap (RFC 4034 section 4.1.2) as space-separated types:
/// Packetbeat's form (decimal for unlisted types) or, with `generic`, `TYPE<n>`.
pub(crate) fn type_bitmap(
    input: &RdataInput<'_>,
    reader: &mut Reader<'_>,
    generic: bool,
) -> Result<String, Anomaly> {
    let mut out = String::new();
    while !reader.is_empty() {
        let window = reader.u8().ok_or_else(|| input.short())?;
        let length = reader.u8().ok_or_else(|| input.short())?;
        if length == 0 || length > 32 {
            return Err(input.invalid("type bitmap block length not in 1..=32"));
        }
        let bitmap = reader
            .take(usize::from(length))
            .ok_or_else(|| input.invalid("type bitmap runs past the record data"))?;
        for (index, &byte) in bitmap.iter().enumerate() {
            for bit in 0..8u16 {
                if byte & (0x80 >> bit) == 0 {
                    continue;
                }
                let rtype = Rtype(u16::from(window) << 8 | (index as u16) << 3 | bit);
                if !out.is_empty() {
                    out.push(' ');
                }
                if generic {
                    let _ = rtype.fmt_generic(&mut out);
                } else {
                    let _ = write!(out, "{rtype}");
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_text_matches_display() {
        for first in [0u8, 1, 9, 10, 99, 100, 199, 255] {
            for last in [0u8, 7, 42, 127, 250] {
                let address = Ipv4Addr::new(first, last, 255 - first, last);
                assert_eq!(format_ipv4(address), address.to_string());
            }
        }
    }
}
