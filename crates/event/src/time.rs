//! Timestamp formatting for `@timestamp`, `event.start` and `event.end`.
//!
//! Packetbeat writes dates as RFC 3339 UTC with exactly three fraction digits, truncated
//! (not rounded) to the millisecond: `2015-08-27T08:00:55.638Z`. The formatter works on
//! nanoseconds since the Unix epoch and writes straight into the output buffer.

use std::cell::Cell;

use dnstel_dns::civil_from_days;

/// Length in bytes of a formatted timestamp (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
pub const TIMESTAMP_LEN: usize = 24;

const NANOS_PER_MILLI: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Length of the part of a timestamp that is the same for a whole second,
/// `YYYY-MM-DDTHH:MM:SS.`.
const SECOND_PREFIX_LEN: usize = 20;

thread_local! {
    /// The second most recently formatted on this thread and its text prefix. Events come
    /// roughly in time order, so most timestamps fall in the same second as the one before,
    /// and the calendar arithmetic runs about once per second of traffic.
    static LAST_SECOND: Cell<(i64, [u8; SECOND_PREFIX_LEN])> =
        const { Cell::new((i64::MIN, [0; SECOND_PREFIX_LEN])) };
}

/// Appends `nanos` (nanoseconds since 1970-01-01T00:00:00Z) as a millisecond RFC 3339 UTC
/// timestamp. Every `i64` falls between the years 1677 and 2262, so the year always has four
/// digits.
pub fn write_timestamp(out: &mut Vec<u8>, nanos: i64) {
    out.extend_from_slice(&timestamp_text(nanos));
}

/// Returns `nanos` formatted as [`write_timestamp`] writes it.
pub fn timestamp_text(nanos: i64) -> [u8; TIMESTAMP_LEN] {
    let millis = nanos.div_euclid(NANOS_PER_MILLI);
    let second = millis.div_euclid(1000);
    let milli = millis.rem_euclid(1000);
    let (cached_second, cached_prefix) = LAST_SECOND.get();
    let prefix = if cached_second == second {
        cached_prefix
    } else {
        let prefix = second_prefix(second);
        LAST_SECOND.set((second, prefix));
        prefix
    };
    let mut text = [0u8; TIMESTAMP_LEN];
    text[..SECOND_PREFIX_LEN].copy_from_slice(&prefix);
    put_digits(&mut text[20..23], milli);
    text[23] = b'Z';
    text
}

/// Formats `YYYY-MM-DDTHH:MM:SS.` for `second` seconds since the epoch.
fn second_prefix(second: i64) -> [u8; SECOND_PREFIX_LEN] {
    let days = second.div_euclid(SECONDS_PER_DAY);
    let second_of_day = second.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );

    let mut text = [0u8; SECOND_PREFIX_LEN];
    put_digits(&mut text[0..4], year);
    text[4] = b'-';
    put_digits(&mut text[5..7], i64::from(month));
    text[7] = b'-';
    put_digits(&mut text[8..10], i64::from(day));
    text[10] = b'T';
    put_digits(&mut text[11..13], hour);
    text[13] = b':';
    put_digits(&mut text[14..16], minute);
    text[16] = b':';
    put_digits(&mut text[17..19], second);
    text[19] = b'.';
    text
}

/// Appends the timestamp as a quoted JSON string.
pub fn write_timestamp_json(out: &mut Vec<u8>, nanos: i64) {
    write_timestamp_text_json(out, &timestamp_text(nanos));
}

/// Appends a timestamp text from [`timestamp_text`] as a quoted JSON string.
pub fn write_timestamp_text_json(out: &mut Vec<u8>, text: &[u8; TIMESTAMP_LEN]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// Returns the timestamp as an owned string (tests and diagnostics).
pub fn format_timestamp(nanos: i64) -> String {
    let mut out = Vec::with_capacity(TIMESTAMP_LEN);
    write_timestamp(&mut out, nanos);
    String::from_utf8(out).expect("timestamp text is ASCII")
}

/// Writes `value` as zero-padded decimal filling `slot`.
fn put_digits(slot: &mut [u8], mut value: i64) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_truncates_to_millis() {
        assert_eq!(
            format_timestamp(1_440_662_455_638_957_000),
            "2015-08-27T08:00:55.638Z"
        );
        assert_eq!(
            format_timestamp(1_440_662_455_638_999_999),
            "2015-08-27T08:00:55.638Z"
        );
    }

    #[test]
    fn timestamp_epoch_and_leap_day() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            format_timestamp(1_641_637_657_987_000_000),
            "2022-01-08T10:27:37.987Z"
        );
    }

    #[test]
    fn timestamp_before_epoch() {
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            format_timestamp(-86_400_000_000_000),
            "1969-12-31T00:00:00.000Z"
        );
    }

    #[test]
    fn timestamp_cache_changes_second() {
        let second = 1_641_637_657_000_000_000;
        assert_eq!(format_timestamp(second + 5), "2022-01-08T10:27:37.000Z");
        assert_eq!(
            format_timestamp(second + 999_000_000),
            "2022-01-08T10:27:37.999Z"
        );
        assert_eq!(
            format_timestamp(second + 1_000_000_000),
            "2022-01-08T10:27:38.000Z"
        );
        assert_eq!(format_timestamp(second - 1), "2022-01-08T10:27:36.999Z");
        assert_eq!(format_timestamp(second), "2022-01-08T10:27:37.000Z");
    }

    #[test]
    fn timestamp_i64_extremes() {
        assert_eq!(format_timestamp(i64::MAX), "2262-04-11T23:47:16.854Z");
        assert_eq!(format_timestamp(i64::MIN), "1677-09-21T00:12:43.145Z");
    }
}
