//! Alert timestamp texts, formatted with chrono once per second instead of once per alert.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Timelike};

/// `strftime` layout of the `timestamp` member of `alerts.json`, without the milliseconds
/// and the zone (`2022-01-08T10:27:41`).
const JSON_SECONDS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
/// `strftime` layout of the time on the second line of an `alerts.log` record.
pub(crate) const LOG_FORMAT: &str = "%Y %b %d %H:%M:%S";

/// The timestamp texts of one alert, reusing the formatted second of the previous alert.
#[derive(Debug, Default)]
pub(crate) struct AlertTimestamps {
    /// Seconds since the epoch, zone offset and leap-second flag of the formatted second.
    second: Option<(i64, i32, bool)>,
    /// `2022-01-08T10:27:41`, then the milliseconds and zone of the last alert.
    json: String,
    json_seconds_len: usize,
    /// `+0000`.
    zone: String,
    /// `2022 Jan 08 10:27:41`.
    log: String,
}

impl AlertTimestamps {
    /// Formats `time` and returns the `alerts.json` text (`2022-01-08T10:27:41.666+0000`, as
    /// `%Y-%m-%dT%H:%M:%S%.3f%z` prints it) and the `alerts.log` text.
    pub(crate) fn format(&mut self, time: DateTime<FixedOffset>) -> (&str, &str) {
        let nanosecond = time.nanosecond();
        // chrono prints a leap second as second 60, so it is a second of its own here.
        let key = (
            time.timestamp(),
            time.offset().local_minus_utc(),
            nanosecond >= 1_000_000_000,
        );
        if self.second != Some(key) {
            self.json.clear();
            let _ = write!(self.json, "{}", time.format(JSON_SECONDS_FORMAT));
            self.json_seconds_len = self.json.len();
            self.zone.clear();
            let _ = write!(self.zone, "{}", time.format("%z"));
            self.log.clear();
            let _ = write!(self.log, "{}", time.format(LOG_FORMAT));
            self.second = Some(key);
        }
        self.json.truncate(self.json_seconds_len);
        let millis = nanosecond / 1_000_000 % 1000;
        self.json.push('.');
        for digit in [millis / 100, millis / 10 % 10, millis % 10] {
            self.json.push(char::from(b'0' + digit as u8));
        }
        self.json.push_str(&self.zone);
        (&self.json, &self.log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_texts_match_chrono() {
        let mut timestamps = AlertTimestamps::default();
        let times = [
            "2022-01-08T10:27:41.666+00:00",
            "2022-01-08T10:27:41.007+00:00",
            "2022-01-08T10:27:41.999999999+00:00",
            "2022-01-08T10:27:42+00:00",
            "2022-01-08T10:27:42+05:30",
            "1969-12-31T23:59:59.5-08:00",
        ];
        for text in times {
            let time = DateTime::parse_from_rfc3339(text).unwrap();
            let (json, log) = timestamps.format(time);
            let expected_json = time.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
            assert_eq!(json, expected_json, "{text}");
            assert_eq!(log, time.format(LOG_FORMAT).to_string(), "{text}");
        }
    }

    #[test]
    fn leap_second_formatted_apart() {
        let mut timestamps = AlertTimestamps::default();
        let offset = FixedOffset::east_opt(0).unwrap();
        let before = DateTime::parse_from_rfc3339("2016-12-31T23:59:59.250+00:00").unwrap();
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|date| date.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap()
            .and_local_timezone(offset)
            .unwrap();
        timestamps.format(before);
        let (json, log) = timestamps.format(leap);
        let expected_json = leap.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
        assert_eq!(json, expected_json);
        assert_eq!(log, leap.format(LOG_FORMAT).to_string());
    }
}
