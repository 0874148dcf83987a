//! RFC presentation format for record types Packetbeat 7.17 renders only as escaped raw
//! bytes, and RFC 3597 generic form (`\# <len> <hex>`) for types without a format here.
//!
//! Names in these renderings keep their trailing dot, as in zone files and `dig` output.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::anomaly::Anomaly;
use crate::name::with_trailing_dot;
use crate::rdata::Rdata;
use crate::reader::Reader;
use crate::render::{format_ipv6, txt_strings, type_bitmap, RdataInput};
use crate::text;
use crate::types::Rcode;

/// Renders RDATA in RFC presentation format, or RFC 3597 generic form for other types.
/// Empty RDATA of a type with a format here renders as an empty string (a dynamic update
/// delete), as for Packetbeat's own types.
pub(crate) fn render(input: &RdataInput<'_>) -> Result<Rdata, Anomaly> {
    let data = match formatter(input.rtype.0) {
        None => generic(input.bytes()),
        Some(_) if input.bytes().is_empty() => String::new(),
        Some(format) => format(input)?,
    };
    Ok(Rdata::plain(data))
}

type Formatter = fn(&RdataInput<'_>) -> Result<String, Anomaly>;

/// Returns the presentation formatter for a type number, or `None` for generic form.
fn formatter(rtype: u16) -> Option<Formatter> {
    let format: Formatter = match rtype {
        3 | 4 | 7 | 8 | 9 | 39 => |input| names(input, 1),
        14 | 17 => |input| names(input, 2),
        18 | 21 | 36 => preference_and_name,
        13 | 16 | 99 => |input| txt_strings(input, " ", true),
        35 => naptr,
        257 => caa,
        44 => |input| numbers_then_hex(input, 2),
        52 | 53 => |input| numbers_then_hex(input, 3),
        256 => uri,
        29 => loc,
        64 | 65 => svcb,
        25 | 48 | 60 => key,
        43 | 59 => delegation_signer,
        49 | 61 => |input| Ok(text::base64(input.bytes())),
        108 | 109 => eui,
        62 => csync,
        63 => zonemd,
        250 => tsig,
        _ => return None,
    };
    Some(format)
}

/// Returns RFC 3597 generic RDATA: `\# <length>` then lowercase hex when not empty.
pub(crate) fn generic(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "\\# 0".to_owned()
    } else {
        format!("\\# {} {}", bytes.len(), text::hex_lower(bytes))
    }
}

/// Renders `count` names, space-separated, each with its trailing dot.
fn names(input: &RdataInput<'_>, count: usize) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let mut out = String::new();
    for index in 0..count {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(&with_trailing_dot(&input.name(&mut reader)?));
    }
    input.finish(&reader)?;
    Ok(out)
}

/// Renders a 16-bit number then a name (AFSDB, RT, KX).
fn preference_and_name(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let preference = reader.u16().ok_or_else(|| input.short())?;
    let name = input.name(&mut reader)?;
    input.finish(&reader)?;
    Ok(format!("{preference} {}", with_trailing_dot(&name)))
}

fn push_quoted(bytes: &[u8], out: &mut String) {
    out.push('"');
    text::escape_character_string(bytes, out);
    out.push('"');
}

fn naptr(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let order = reader.u16().ok_or_else(|| input.short())?;
    let preference = reader.u16().ok_or_else(|| input.short())?;
    let mut out = format!("{order} {preference}");
    for _ in 0..3 {
        let field = reader.character_string().ok_or_else(|| input.short())?;
        out.push(' ');
        push_quoted(field, &mut out);
    }
    let replacement = input.name(&mut reader)?;
    input.finish(&reader)?;
    out.push(' ');
    out.push_str(&with_trailing_dot(&replacement));
    Ok(out)
}

fn caa(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let flags = reader.u8().ok_or_else(|| input.short())?;
    let tag = reader.character_string().ok_or_else(|| input.short())?;
    if tag.is_empty() {
        return Err(input.invalid("empty CAA tag"));
    }
    let mut out = format!("{flags} ");
    text::escape_character_string(tag, &mut out);
    out.push(' ');
    push_quoted(reader.rest(), &mut out);
    Ok(out)
}

/// Renders `count` leading one-byte numbers then the rest as uppercase hex (SSHFP, TLSA).
fn numbers_then_hex(input: &RdataInput<'_>, count: usize) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let mut out = String::new();
    for _ in 0..count {
        let number = reader.u8().ok_or_else(|| input.short())?;
        let _ = write!(out, "{number} ");
    }
    out.push_str(&text::hex_upper(reader.rest()));
    Ok(out)
}

fn uri(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let priority = reader.u16().ok_or_else(|| input.short())?;
    let weight = reader.u16().ok_or_else(|| input.short())?;
    let mut out = format!("{priority} {weight} ");
    push_quoted(reader.rest(), &mut out);
    Ok(out)
}

/// Renders KEY and CDNSKEY records: flags protocol algorithm base64-key.
fn key(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let (flags, protocol, algorithm, key) = input.u16_u8_u8_rest()?;
    Ok(format!(
        "{flags} {protocol} {algorithm} {}",
        text::base64(key)
    ))
}

/// Renders CDS records as DS: key-tag algorithm digest-type hex-digest.
fn delegation_signer(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let (key_tag, algorithm, digest_type, digest) = input.u16_u8_u8_rest()?;
    let digest = text::hex_upper(digest);
    Ok(format!("{key_tag} {algorithm} {digest_type} {digest}"))
}

fn eui(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let expected = if input.rtype.0 == 108 { 6 } else { 8 };
    let bytes = input.bytes();
    if bytes.len() != expected {
        return Err(input.invalid("EUI address has the wrong length"));
    }
    let parts: Vec<String> = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(parts.join("-"))
}

fn csync(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let serial = reader.u32().ok_or_else(|| input.short())?;
    let flags = reader.u16().ok_or_else(|| input.short())?;
    let types = type_bitmap(input, &mut reader, true)?;
    Ok(format!("{serial} {flags} {types}").trim_end().to_owned())
}

fn zonemd(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let serial = reader.u32().ok_or_else(|| input.short())?;
    let scheme = reader.u8().ok_or_else(|| input.short())?;
    let algorithm = reader.u8().ok_or_else(|| input.short())?;
    let digest = text::hex_upper(reader.rest());
    Ok(format!("{serial} {scheme} {algorithm} {digest}"))
}

fn tsig(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let algorithm = input.name(&mut reader)?;
    let short = || input.short();
    let time_signed = reader.u48().ok_or_else(short)?;
    let fudge = reader.u16().ok_or_else(short)?;
    let mac_len = reader.u16().ok_or_else(short)?;
    let mac = reader.take(usize::from(mac_len)).ok_or_else(short)?;
    let original_id = reader.u16().ok_or_else(short)?;
    let error = reader.u16().ok_or_else(short)?;
    let other_len = reader.u16().ok_or_else(short)?;
    let other = reader.take(usize::from(other_len)).ok_or_else(short)?;
    input.finish(&reader)?;
    let error_name = Rcode(error)
        .mnemonic()
        .map_or_else(|| error.to_string(), str::to_owned);
    let mut out = format!(
        "{} {time_signed} {fudge} {mac_len} {} {original_id} {error_name} {other_len}",
        with_trailing_dot(&algorithm),
        text::base64(mac),
    );
    if !other.is_empty() {
        out.push(' ');
        out.push_str(&text::base64(other));
    }
    Ok(out)
}

/// Renders a LOC record (RFC 1876 section 3). Versions other than 0 use generic form.
fn loc(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let short = || input.short();
    let version = reader.u8().ok_or_else(short)?;
    if version != 0 {
        return Ok(generic(input.bytes()));
    }
    let size = reader.u8().ok_or_else(short)?;
    let horizontal = reader.u8().ok_or_else(short)?;
    let vertical = reader.u8().ok_or_else(short)?;
    let latitude = reader.u32().ok_or_else(short)?;
    let longitude = reader.u32().ok_or_else(short)?;
    let altitude = reader.u32().ok_or_else(short)?;
    input.finish(&reader)?;
    // Altitude is in centimetres above a base 100,000 m below the WGS 84 ellipsoid.
    let altitude_cm = i64::from(altitude) - 10_000_000;
    let sign = if altitude_cm < 0 { "-" } else { "" };
    Ok(format!(
        "{} {} {sign}{}.{:02}m {} {} {}",
        loc_angle(latitude, 'N', 'S'),
        loc_angle(longitude, 'E', 'W'),
        altitude_cm.abs() / 100,
        altitude_cm.abs() % 100,
        loc_size(size),
        loc_size(horizontal),
        loc_size(vertical),
    ))
}

/// Formats a LOC angle in thousandths of an arc second offset by 2^31.
fn loc_angle(raw: u32, positive: char, negative: char) -> String {
    let offset = i64::from(raw) - (1i64 << 31);
    let hemisphere = if offset < 0 { negative } else { positive };
    let mut rest = offset.abs();
    let milliseconds = rest % 1000;
    rest /= 1000;
    let seconds = rest % 60;
    rest /= 60;
    let minutes = rest % 60;
    let degrees = rest / 60;
    format!("{degrees} {minutes} {seconds}.{milliseconds:03} {hemisphere}")
}

/// Formats a LOC size byte (mantissa and power of ten, in centimetres) as metres.
fn loc_size(raw: u8) -> String {
    let mantissa = u64::from(raw >> 4);
    let exponent = u32::from(raw & 0x0F).min(9);
    let centimetres = mantissa * 10u64.pow(exponent);
    format!("{}.{:02}m", centimetres / 100, centimetres % 100)
}

/// Renders SVCB and HTTPS records (RFC 9460): priority, target, then `key=value` params.
fn svcb(input: &RdataInput<'_>) -> Result<String, Anomaly> {
    let mut reader = input.reader();
    let priority = reader.u16().ok_or_else(|| input.short())?;
    let target = input.name(&mut reader)?;
    let mut out = format!("{priority} {}", with_trailing_dot(&target));
    while !reader.is_empty() {
        let key = reader.u16().ok_or_else(|| input.short())?;
        let length = reader.u16().ok_or_else(|| input.short())?;
        let value = reader
            .take(usize::from(length))
            .ok_or_else(|| input.invalid("service parameter runs past the record data"))?;
        out.push(' ');
        push_service_parameter(key, value, &mut out);
    }
    Ok(out)
}

fn push_service_parameter(key: u16, value: &[u8], out: &mut String) {
    let name = match key {
        0 => "mandatory",
        1 => "alpn",
        2 => "no-default-alpn",
        3 => "port",
        4 => "ipv4hint",
        5 => "ech",
        6 => "ipv6hint",
        7 => "dohpath",
        _ => "",
    };
    if name.is_empty() {
        let _ = write!(out, "key{key}");
    } else {
        out.push_str(name);
    }
    if value.is_empty() {
        return;
    }
    out.push('=');
    let rendered = match key {
        0 => u16_list(value).map(|keys| {
            let names: Vec<String> = keys.iter().map(|key| parameter_name(*key)).collect();
            names.join(",")
        }),
        1 => alpn_list(value),
        3 => u16_list(value)
            .filter(|ports| ports.len() == 1)
            .and_then(|ports| ports.first().map(u16::to_string)),
        4 if value.len() % 4 == 0 => Some(join_addresses(value.chunks_exact(4).map(|chunk| {
            let octets: [u8; 4] = chunk.try_into().unwrap_or_default();
            Ipv4Addr::from(octets).to_string()
        }))),
        5 => Some(text::base64(value)),
        6 if value.len() % 16 == 0 => Some(join_addresses(value.chunks_exact(16).map(|chunk| {
            let octets: [u8; 16] = chunk.try_into().unwrap_or_default();
            format_ipv6(Ipv6Addr::from(octets))
        }))),
        _ => None,
    };
    match rendered {
        Some(text) => {
            out.push('"');
            out.push_str(&text);
            out.push('"');
        }
        None => push_quoted(value, out),
    }
}

fn parameter_name(key: u16) -> String {
    match key {
        0 => "mandatory".to_owned(),
        1 => "alpn".to_owned(),
        2 => "no-default-alpn".to_owned(),
        3 => "port".to_owned(),
        4 => "ipv4hint".to_owned(),
        5 => "ech".to_owned(),
        6 => "ipv6hint".to_owned(),
        7 => "dohpath".to_owned(),
        other => format!("key{other}"),
    }
}

fn u16_list(value: &[u8]) -> Option<Vec<u16>> {
    if value.len() % 2 != 0 {
        return None;
    }
    Some(
        value
            .chunks_exact(2)
            .filter_map(|pair| pair.try_into().ok().map(u16::from_be_bytes))
            .collect(),
    )
}

/// Renders an ALPN id list as comma-separated escaped ids, commas inside ids escaped.
fn alpn_list(value: &[u8]) -> Option<String> {
    let mut reader = Reader::new(value, 0);
    let mut ids = Vec::new();
    while !reader.is_empty() {
        let id = reader.character_string()?;
        let mut rendered = String::new();
        for &byte in id {
            if byte == b',' {
                rendered.push_str("\\\\,");
            } else {
                text::escape_character_string(&[byte], &mut rendered);
            }
        }
        ids.push(rendered);
    }
    Some(ids.join(","))
}

fn join_addresses(addresses: impl Iterator<Item = String>) -> String {
    addresses.collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_form() {
        assert_eq!(generic(&[]), "\\# 0");
        assert_eq!(generic(&[0xab, 0x01]), "\\# 2 ab01");
    }

    #[test]
    fn loc_size_values() {
        assert_eq!(loc_size(0x12), "1.00m");
        assert_eq!(loc_size(0x16), "10000.00m");
        assert_eq!(loc_size(0x13), "10.00m");
    }

    #[test]
    fn loc_angle_values() {
        let north = (1u32 << 31) + ((52 * 3600 + 22 * 60 + 23) * 1000);
        assert_eq!(loc_angle(north, 'N', 'S'), "52 22 23.000 N");
        let west = (1u32 << 31) - 1500;
        assert_eq!(loc_angle(west, 'E', 'W'), "0 0 1.500 W");
    }
}
