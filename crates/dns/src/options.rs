//! Decoding of the OPT pseudo-record's RDATA into [`EdnsOption`] values.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::anomaly::{Anomaly, MAX_ANOMALIES};
use crate::edns::{EdnsOption, ExtendedError, OptionValue};
use crate::reader::Reader;
use crate::render::format_ipv6;
use crate::text;

/// Reads every option of an OPT RDATA that starts at `base` in the message. Malformed
/// options are kept as `local` values and reported, up to one past the anomaly limit (the
/// parser then cuts the list and stops).
pub(crate) fn read_options(
    rdata: &[u8],
    base: usize,
    anomalies: &mut Vec<Anomaly>,
) -> Vec<EdnsOption> {
    let mut reader = Reader::new(rdata, 0);
    let mut options = Vec::new();
    while !reader.is_empty() {
        let offset = base + reader.position();
        let (Some(code), Some(length)) = (reader.u16(), reader.u16()) else {
            anomalies.push(Anomaly::InvalidEdnsOption {
                code: 0,
                offset,
                reason: "option header runs past the OPT record",
            });
            break;
        };
        let Some(body) = reader.take(usize::from(length)) else {
            anomalies.push(Anomaly::InvalidEdnsOption {
                code,
                offset,
                reason: "option length runs past the OPT record",
            });
            break;
        };
        let value = decode_option(code, body).unwrap_or_else(|reason| {
            if anomalies.len() <= MAX_ANOMALIES {
                anomalies.push(Anomaly::InvalidEdnsOption {
                    code,
                    offset,
                    reason,
                });
            }
            OptionValue::Local(local(code, body))
        });
        options.push(EdnsOption { code, value });
    }
    options
}

/// Renders an option Packetbeat does not know as `<code>:0x<hex>`.
fn local(code: u16, body: &[u8]) -> String {
    format!("{code}:0x{}", text::hex_lower(body))
}

fn decode_option(code: u16, body: &[u8]) -> Result<OptionValue, &'static str> {
    let value = match code {
        1 => OptionValue::Llq(llq(body)?),
        2 => OptionValue::UpdateLease(update_lease(body)?),
        3 => OptionValue::Nsid(text::hex_lower(body)),
        5 => OptionValue::Dau(algorithm_list(body, text::algorithm_name)),
        6 => OptionValue::Dhu(algorithm_list(body, text::hash_name)),
        7 => OptionValue::N3u(algorithm_list(body, text::hash_name)),
        8 => OptionValue::Subnet(client_subnet(body)?),
        9 => OptionValue::Expire(optional_u32(body)?),
        10 => cookie(body)?,
        11 => OptionValue::TcpKeepalive(optional_u16(body)?),
        12 => OptionValue::Padding(u16::try_from(body.len()).unwrap_or(u16::MAX)),
        15 => OptionValue::ExtendedError(extended_error(body)?),
        _ => OptionValue::Local(local(code, body)),
    };
    Ok(value)
}

fn llq(body: &[u8]) -> Result<String, &'static str> {
    let mut reader = Reader::new(body, 0);
    let fields = (
        reader.u16(),
        reader.u16(),
        reader.u16(),
        reader.take(8),
        reader.u32(),
    );
    match fields {
        (Some(version), Some(opcode), Some(error), Some(id), Some(lease)) if reader.is_empty() => {
            let id = id.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            Ok(format!("{version} {opcode} {error} {id} {lease}"))
        }
        _ => Err("LLQ option is not 18 bytes"),
    }
}

fn update_lease(body: &[u8]) -> Result<String, &'static str> {
    let mut reader = Reader::new(body, 0);
    match body.len() {
        4 => Ok(format!("{} 0", reader.u32().unwrap_or_default())),
        8 => {
            let lease = reader.u32().unwrap_or_default();
            let key_lease = reader.u32().unwrap_or_default();
            Ok(format!("{lease} {key_lease}"))
        }
        _ => Err("update lease option is not 4 or 8 bytes"),
    }
}

/// Renders DAU/DHU/N3U lists as Packetbeat does: each name preceded by a space.
fn algorithm_list(body: &[u8], name: fn(u8) -> String) -> String {
    let mut out = String::new();
    for &algorithm in body {
        out.push(' ');
        out.push_str(&name(algorithm));
    }
    out
}

/// Renders EDNS Client Subnet (RFC 7871) as `address/source/scope`, IPv6 in brackets.
fn client_subnet(body: &[u8]) -> Result<String, &'static str> {
    let mut reader = Reader::new(body, 0);
    let (Some(family), Some(source), Some(scope)) = (reader.u16(), reader.u8(), reader.u8()) else {
        return Err("client subnet option shorter than 4 bytes");
    };
    let address = reader.rest();
    let mut out = String::new();
    match family {
        1 => {
            let octets = subnet_address::<4>(address, source, scope)?;
            let _ = write!(out, "{}", Ipv4Addr::from(octets));
        }
        2 => {
            let address = Ipv6Addr::from(subnet_address::<16>(address, source, scope)?);
            if address.to_ipv4_mapped().is_some() {
                out.push_str(&format_ipv6(address));
            } else {
                let _ = write!(out, "[{}]", format_ipv6(address));
            }
        }
        _ => return Err("client subnet family is not 1 or 2"),
    }
    let _ = write!(out, "/{source}/{scope}");
    Ok(out)
}

/// Pads a client subnet address prefix to `N` bytes after checking the prefix lengths.
fn subnet_address<const N: usize>(
    address: &[u8],
    source: u8,
    scope: u8,
) -> Result<[u8; N], &'static str> {
    let max_prefix = N * 8;
    if usize::from(source) > max_prefix || usize::from(scope) > max_prefix {
        return Err("client subnet prefix longer than the address");
    }
    let mut octets = [0u8; N];
    octets
        .get_mut(..address.len())
        .ok_or("client subnet address longer than the family allows")?
        .copy_from_slice(address);
    Ok(octets)
}

fn cookie(body: &[u8]) -> Result<OptionValue, &'static str> {
    // RFC 7873: an 8-byte client cookie, optionally followed by an 8 to 32-byte server cookie.
    match body.len() {
        8 | 16..=40 => Ok(OptionValue::Cookie(text::hex_lower(body))),
        _ => Err("cookie length is not 8 or 16 to 40 bytes"),
    }
}

fn optional_u32(body: &[u8]) -> Result<Option<u32>, &'static str> {
    match <[u8; 4]>::try_from(body) {
        Ok(bytes) => Ok(Some(u32::from_be_bytes(bytes))),
        Err(_) if body.is_empty() => Ok(None),
        Err(_) => Err("option is not 0 or 4 bytes"),
    }
}

fn optional_u16(body: &[u8]) -> Result<Option<u16>, &'static str> {
    match <[u8; 2]>::try_from(body) {
        Ok(bytes) => Ok(Some(u16::from_be_bytes(bytes))),
        Err(_) if body.is_empty() => Ok(None),
        Err(_) => Err("option is not 0 or 2 bytes"),
    }
}

fn extended_error(body: &[u8]) -> Result<ExtendedError, &'static str> {
    let mut reader = Reader::new(body, 0);
    let code = reader.u16().ok_or("extended error shorter than 2 bytes")?;
    let mut text = String::new();
    text::escape_character_string(reader.rest(), &mut text);
    Ok(ExtendedError {
        code,
        purpose: extended_error_purpose(code),
        text,
    })
}

/// Returns the RFC 8914 / IANA registry name of an Extended DNS Error code.
pub fn extended_error_purpose(code: u16) -> &'static str {
    match code {
        0 => "Other Error",
        1 => "Unsupported DNSKEY Algorithm",
        2 => "Unsupported DS Digest Type",
        3 => "Stale Answer",
        4 => "Forged Answer",
        5 => "DNSSEC Indeterminate",
        6 => "DNSSEC Bogus",
        7 => "Signature Expired",
        8 => "Signature Not Yet Valid",
        9 => "DNSKEY Missing",
        10 => "RRSIGs Missing",
        11 => "No Zone Key Bit Set",
        12 => "NSEC Missing",
        13 => "Cached Error",
        14 => "Not Ready",
        15 => "Blocked",
        16 => "Censored",
        17 => "Filtered",
        18 => "Prohibited",
        19 => "Stale NXDOMAIN Answer",
        20 => "Not Authoritative",
        21 => "Not Supported",
        22 => "No Reachable Authority",
        23 => "Network Error",
        24 => "Invalid Data",
        25 => "Signature Expired before Valid",
        26 => "Too Early",
        27 => "Unsupported NSEC3 Iterations Value",
        28 => "Unable to conform to policy",
        29 => "Synthesized",
        30 => "Invalid Query Type",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(code: u16, body: &[u8]) -> (OptionValue, Vec<Anomaly>) {
        let mut rdata = code.to_be_bytes().to_vec();
        rdata.extend_from_slice(&(body.len() as u16).to_be_bytes());
        rdata.extend_from_slice(body);
        let mut anomalies = Vec::new();
        let mut options = read_options(&rdata, 100, &mut anomalies);
        assert_eq!(options.len(), 1);
        (options.remove(0).value, anomalies)
    }

    #[test]
    fn subnet_ipv4_and_ipv6() {
        let (value, _) = one(8, &[0, 1, 24, 0, 192, 0, 2]);
        assert_eq!(value, OptionValue::Subnet("192.0.2.0/24/0".into()));
        let (value, _) = one(8, &[0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0]);
        assert_eq!(value, OptionValue::Subnet("[2001:db8::]/56/0".into()));
    }

    #[test]
    fn subnet_bad_family_is_local() {
        let (value, anomalies) = one(8, &[0, 9, 0, 0]);
        assert_eq!(value, OptionValue::Local("8:0x00090000".into()));
        assert_eq!(
            anomalies[0].to_string(),
            "invalid EDNS option 8 at offset 100: client subnet family is not 1 or 2"
        );
    }

    #[test]
    fn cookie_nsid_hex() {
        let (value, _) = one(10, &[1, 2, 3, 4, 5, 6, 7, 0xab]);
        assert_eq!(value, OptionValue::Cookie("01020304050607ab".into()));
        let (value, _) = one(3, b"ns1");
        assert_eq!(value, OptionValue::Nsid("6e7331".into()));
    }

    #[test]
    fn dau_names_with_spaces() {
        let (value, _) = one(5, &[8, 13, 99]);
        assert_eq!(
            value,
            OptionValue::Dau(" RSASHA256 ECDSAP256SHA256 99".into())
        );
    }

    #[test]
    fn llq_and_ul_text() {
        let mut body = vec![0, 1, 0, 2, 0, 0];
        body.extend_from_slice(&5u64.to_be_bytes());
        body.extend_from_slice(&3600u32.to_be_bytes());
        let (value, _) = one(1, &body);
        assert_eq!(value, OptionValue::Llq("1 2 0 5 3600".into()));
        let (value, _) = one(2, &[0, 0, 0, 60, 0, 0, 0, 120]);
        assert_eq!(value, OptionValue::UpdateLease("60 120".into()));
    }

    #[test]
    fn own_keys_expire_padding_keepalive() {
        assert_eq!(one(9, &[0, 0, 1, 0]).0, OptionValue::Expire(Some(256)));
        assert_eq!(one(9, &[]).0, OptionValue::Expire(None));
        assert_eq!(one(12, &[0; 7]).0, OptionValue::Padding(7));
        assert_eq!(one(11, &[0, 50]).0, OptionValue::TcpKeepalive(Some(50)));
    }

    #[test]
    fn extended_error_fields() {
        let (value, _) = one(15, b"\x00\x12blocked \xc3\xa9");
        let OptionValue::ExtendedError(error) = value else {
            panic!("expected an extended error, got {value:?}");
        };
        assert_eq!(error.code, 18);
        assert_eq!(error.purpose, "Prohibited");
        assert_eq!(error.text, "blocked \\195\\169");
    }

    #[test]
    fn unknown_option_local_form() {
        let (value, anomalies) = one(65001, &[0xde, 0xad]);
        assert_eq!(value, OptionValue::Local("65001:0xdead".into()));
        assert!(anomalies.is_empty());
    }

    #[test]
    fn option_length_overrun_reported() {
        let mut anomalies = Vec::new();
        let options = read_options(&[0, 3, 0, 9, 1], 40, &mut anomalies);
        assert!(options.is_empty());
        assert_eq!(
            anomalies[0].to_string(),
            "invalid EDNS option 3 at offset 40: option length runs past the OPT record"
        );
    }
}
