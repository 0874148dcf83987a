//! Conversion from a day count since the Unix epoch to a Gregorian calendar date, shared by
//! DNSSEC signature times here and event timestamps in dnstel-event.

/// Converts days since 1970-01-01 to a proleptic Gregorian `(year, month, day)`, with month
/// and day counted from 1.
///
/// Uses Howard Hinnant's `civil_from_days` algorithm, which is exact for every `days` from
/// `i64::MIN` up to `i64::MAX - 719_468` (larger values overflow the first addition).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both values are small by construction: month is 1..=12 and day is 1..=31.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_epoch_day() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn civil_leap_days() {
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(47_540), (2100, 2, 28));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
    }

    #[test]
    fn civil_before_epoch() {
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        assert_eq!(civil_from_days(-719_469), (0, 2, 29));
    }

    #[test]
    fn civil_year_ends() {
        assert_eq!(civil_from_days(16_435), (2014, 12, 31));
        assert_eq!(civil_from_days(16_436), (2015, 1, 1));
        assert_eq!(civil_from_days(49_710), (2106, 2, 7));
    }

    #[test]
    fn civil_extreme_inputs() {
        let (year, month, day) = civil_from_days(i64::MIN);
        assert!(year < 0);
        assert!((1..=12).contains(&month));
        assert!((1..=31).contains(&day));
        let (year, _, _) = civil_from_days(i64::MAX - 719_468);
        assert!(year > 0);
    }
}
