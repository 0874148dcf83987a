//! pcapng interface descriptions: link type and timestamp units.

use crate::source::ByteOrder;
use crate::PcapError;
use dnstel_packet::{LinkType, Timestamp};

const OPTION_END: u16 = 0;
const OPTION_TSRESOL: u16 = 9;
const OPTION_TSOFFSET: u16 = 14;

/// Largest decimal exponent accepted in `if_tsresol` (10^-19 s units still fit in u64 math).
const MAX_DECIMAL_EXPONENT: u8 = 19;
/// Largest binary exponent accepted in `if_tsresol`.
const MAX_BINARY_EXPONENT: u8 = 63;

/// The length of a timestamp unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// 10^-n seconds.
    Decimal(u8),
    /// 2^-n seconds.
    Binary(u8),
}

/// One interface description block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interface {
    pub(crate) link_type: LinkType,
    pub(crate) snap_length: u32,
    pub(crate) resolution: Resolution,
    /// `if_tsoffset`: seconds added to every timestamp.
    pub(crate) offset_seconds: i64,
}

impl Interface {
    /// Parses an interface description block body (without type, lengths and trailer).
    pub(crate) fn parse(order: ByteOrder, body: &[u8], offset: u64) -> Result<Self, PcapError> {
        if body.len() < 8 {
            return Err(PcapError::BlockBodyTooShort {
                block: "interface description block",
                offset,
                needed: 8,
                available: body.len(),
            });
        }
        let mut interface = Interface {
            link_type: LinkType(u32::from(order.u16(body, 0))),
            snap_length: order.u32(body, 4),
            resolution: Resolution::Decimal(6),
            offset_seconds: 0,
        };
        let mut options = &body[8..];
        // Options are type-length-value with values padded to 4 bytes. A cut-off option ends the
        // list rather than the file, because the link type is already known.
        while options.len() >= 4 {
            let code = order.u16(options, 0);
            let length = usize::from(order.u16(options, 2));
            let padded = length.div_ceil(4) * 4;
            if code == OPTION_END || options.len() < 4 + padded {
                break;
            }
            let value = &options[4..4 + length];
            match (code, length) {
                (OPTION_TSRESOL, 1) => interface.resolution = parse_resolution(value[0], offset)?,
                (OPTION_TSOFFSET, 8) => interface.offset_seconds = order.u64(value, 0) as i64,
                _ => {}
            }
            options = &options[4 + padded..];
        }
        Ok(interface)
    }

    /// Converts a 64-bit timestamp in this interface's units to a [`Timestamp`].
    pub(crate) fn timestamp(&self, units: u64) -> Timestamp {
        let divisor: u128 = match self.resolution {
            Resolution::Decimal(exponent) => 10u128.pow(u32::from(exponent)),
            Resolution::Binary(exponent) => 1u128 << exponent,
        };
        let units = u128::from(units);
        let seconds = i64::try_from(units / divisor).unwrap_or(i64::MAX);
        let nanoseconds = (units % divisor) * 1_000_000_000 / divisor;
        Timestamp::from_parts(
            seconds.saturating_add(self.offset_seconds),
            nanoseconds as u32,
        )
    }
}

/// Decodes an `if_tsresol` byte: the high bit selects a power of 2, else a power of 10.
fn parse_resolution(value: u8, offset: u64) -> Result<Resolution, PcapError> {
    let exponent = value & 0x7f;
    let resolution = if value & 0x80 == 0 {
        Resolution::Decimal(exponent)
    } else {
        Resolution::Binary(exponent)
    };
    let valid = match resolution {
        Resolution::Decimal(exponent) => exponent <= MAX_DECIMAL_EXPONENT,
        Resolution::Binary(exponent) => exponent <= MAX_BINARY_EXPONENT,
    };
    if !valid {
        return Err(PcapError::InvalidTimestampResolution { offset, value });
    }
    Ok(resolution)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(resolution: Resolution, offset_seconds: i64) -> Interface {
        Interface {
            link_type: LinkType::ETHERNET,
            snap_length: 0,
            resolution,
            offset_seconds,
        }
    }

    #[test]
    fn microsecond_default_units() {
        let stamp = interface(Resolution::Decimal(6), 0).timestamp(1_500_000_250);
        assert_eq!(stamp, Timestamp::from_parts(1500, 250_000));
    }

    #[test]
    fn nanosecond_decimal_units() {
        let stamp = interface(Resolution::Decimal(9), 0).timestamp(2_000_000_007);
        assert_eq!(stamp, Timestamp::from_parts(2, 7));
    }

    #[test]
    fn binary_units_and_offset() {
        // 2^-10 second units: 3.5 seconds is 3584 units.
        let stamp = interface(Resolution::Binary(10), 100).timestamp(3584);
        assert_eq!(stamp, Timestamp::from_parts(103, 500_000_000));
    }

    #[test]
    fn tsresol_high_bit_is_binary() {
        assert_eq!(parse_resolution(0x8a, 0).ok(), Some(Resolution::Binary(10)));
        assert_eq!(parse_resolution(0x09, 0).ok(), Some(Resolution::Decimal(9)));
        assert!(parse_resolution(0x7f, 0).is_err());
        assert!(parse_resolution(0xff, 0).is_err());
    }

    #[test]
    fn options_set_resolution_and_offset() {
        let mut body = vec![1, 0, 0, 0, 0xff, 0xff, 0, 0];
        body.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
        body.extend_from_slice(&[14, 0, 8, 0]);
        body.extend_from_slice(&(-5i64).to_le_bytes());
        body.extend_from_slice(&[0, 0, 0, 0]);
        let parsed = Interface::parse(ByteOrder::Little, &body, 0).expect("valid options");
        assert_eq!(parsed.link_type, LinkType::ETHERNET);
        assert_eq!(parsed.snap_length, 0xffff);
        assert_eq!(parsed.resolution, Resolution::Decimal(9));
        assert_eq!(parsed.offset_seconds, -5);
    }
}
