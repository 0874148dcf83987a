//! Text encodings shared by record and EDNS rendering: string escaping, hex, base64,
//! DNSSEC algorithm names and timestamps.

use crate::civil::civil_from_days;
use crate::name::push_decimal_escape;

/// Appends a character-string with miekg's TXT escaping: `"` and `\` get a backslash, bytes
/// outside 0x20..=0x7e become `\DDD`. UTF-8 text therefore shows as `\DDD` sequences.
pub(crate) fn escape_character_string(bytes: &[u8], out: &mut String) {
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => push_decimal_escape(byte, out),
        }
    }
}

/// Returns lowercase hex.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Returns uppercase hex.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    data_encoding::HEXUPPER.encode(bytes)
}

/// Returns standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

/// Returns base32 with the extended hex alphabet, uppercase, padded (NSEC3 hashes).
pub(crate) fn base32hex(bytes: &[u8]) -> String {
    data_encoding::BASE32HEX.encode(bytes)
}

/// Returns the NSEC3 salt as Packetbeat prints it: uppercase hex, or `-` when empty.
pub(crate) fn salt(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "-".to_owned()
    } else {
        hex_upper(bytes)
    }
}

/// Returns the DNSSEC algorithm mnemonic (miekg/dns v1.1.41 table), or the decimal number.
pub(crate) fn algorithm_name(algorithm: u8) -> String {
    let name = match algorithm {
        1 => "RSAMD5",
        2 => "DH",
        3 => "DSA",
        5 => "RSASHA1",
        6 => "DSA-NSEC3-SHA1",
        7 => "RSASHA1-NSEC3-SHA1",
        8 => "RSASHA256",
        10 => "RSASHA512",
        12 => "ECC-GOST",
        13 => "ECDSAP256SHA256",
        14 => "ECDSAP384SHA384",
        15 => "ED25519",
        16 => "ED448",
        252 => "INDIRECT",
        253 => "PRIVATEDNS",
        254 => "PRIVATEOID",
        other => return other.to_string(),
    };
    name.to_owned()
}

/// Returns the digest or hash mnemonic (miekg/dns v1.1.41 table), or the decimal number.
pub(crate) fn hash_name(hash: u8) -> String {
    let name = match hash {
        1 => "SHA1",
        2 => "SHA256",
        3 => "GOST94",
        4 => "SHA384",
        5 => "SHA512",
        other => return other.to_string(),
    };
    name.to_owned()
}

/// Formats seconds since the Unix epoch as `YYYYMMDDHHMMSS` in UTC, as DNSSEC signature
/// times are printed. Values are read as plain 32-bit epoch seconds, which is what miekg's
/// serial-number arithmetic yields for any date until 2106.
pub(crate) fn signature_time(seconds: u32) -> String {
    let days = i64::from(seconds / 86_400);
    let in_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_string_escaping() {
        let mut out = String::new();
        escape_character_string(b"a\"b\\c \x00\xc3\xa9", &mut out);
        assert_eq!(out, "a\\\"b\\\\c \\000\\195\\169");
    }

    #[test]
    fn signature_time_known_dates() {
        assert_eq!(signature_time(0), "19700101000000");
        assert_eq!(signature_time(1_440_662_455), "20150827080055");
        assert_eq!(signature_time(951_782_400), "20000229000000");
        assert_eq!(signature_time(u32::MAX), "21060207062815");
    }

    #[test]
    fn algorithm_and_hash_names() {
        assert_eq!(algorithm_name(8), "RSASHA256");
        assert_eq!(algorithm_name(99), "99");
        assert_eq!(hash_name(2), "SHA256");
        assert_eq!(hash_name(9), "9");
    }

    #[test]
    fn salt_empty_is_dash() {
        assert_eq!(salt(&[]), "-");
        assert_eq!(salt(&[0xab, 0x01]), "AB01");
    }
}
