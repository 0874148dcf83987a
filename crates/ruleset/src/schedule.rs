//! `<time>` and `<weekday>` rule options parsed into typed values.

/// A daily time window in minutes since midnight, manager local time.
///
/// A window whose start is after its end wraps midnight
/// (`6 pm - 8:30 am`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// First minute of the window (0..1440).
    pub start_minute: u16,
    /// Minute the window ends at (0..1440).
    pub end_minute: u16,
    /// `!` prefix: the rule matches outside the window.
    pub negate: bool,
}

/// A set of weekdays; bit 0 is Sunday, bit 6 Saturday (as C `tm_wday`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdaySet {
    /// Bit mask of the days.
    pub mask: u8,
    /// `!` prefix: the rule matches on the other days.
    pub negate: bool,
}

impl TimeRange {
    /// Parses `hh[:mm] [am|pm] - hh[:mm] [am|pm]`, optionally prefixed with
    /// `!`, e.g. `6 pm - 8:30 am`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negate, text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = text.split_once('-')?;
        Some(Self {
            start_minute: parse_clock(start)?,
            end_minute: parse_clock(end)?,
            negate,
        })
    }

    /// Tests a minute of the day (0..1440).
    pub fn contains(&self, minute: u16) -> bool {
        let inside = if self.start_minute <= self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute)
        } else {
            minute >= self.start_minute || minute < self.end_minute
        };
        inside != self.negate
    }
}

fn parse_clock(text: &str) -> Option<u16> {
    let lower = text.trim().to_ascii_lowercase();
    let (clock, meridiem) = if let Some(rest) = lower.strip_suffix("am") {
        (rest.trim(), Some(false))
    } else if let Some(rest) = lower.strip_suffix("pm") {
        (rest.trim(), Some(true))
    } else {
        (lower.as_str(), None)
    };
    let (hour_text, minute_text) = clock.split_once(':').unwrap_or((clock, "0"));
    let mut hour: u16 = hour_text.trim().parse().ok()?;
    let minute: u16 = minute_text.trim().parse().ok()?;
    if minute > 59 {
        return None;
    }
    match meridiem {
        Some(pm) => {
            if hour == 0 || hour > 12 {
                return None;
            }
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        None if hour > 23 => return None,
        None => {}
    }
    Some(hour * 60 + minute)
}

impl WeekdaySet {
    /// Parses day names (`monday`, `mon`...), `weekdays` and `weekends`,
    /// separated by commas or spaces, optionally prefixed with `!`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negate, text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut mask = 0u8;
        for word in text.split([',', ' ']).filter(|w| !w.is_empty()) {
            mask |= day_bits(&word.to_ascii_lowercase())?;
        }
        (mask != 0).then_some(Self { mask, negate })
    }

    /// Tests a weekday, 0 = Sunday.
    pub fn contains(&self, weekday: u8) -> bool {
        let inside = weekday < 7 && self.mask & (1 << weekday) != 0;
        inside != self.negate
    }
}

fn day_bits(word: &str) -> Option<u8> {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    match word {
        "weekdays" => return Some(0b0011_1110),
        "weekends" => return Some(0b0100_0001),
        _ => {}
    }
    DAYS.iter()
        .position(|day| *day == word || (word.len() == 3 && day.starts_with(word)))
        .map(|index| 1 << index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_range_wraps_midnight() {
        let range = TimeRange::parse("6 pm - 8:30 am").expect("parses");
        assert_eq!(range.start_minute, 18 * 60);
        assert_eq!(range.end_minute, 8 * 60 + 30);
        assert!(range.contains(23 * 60));
        assert!(!range.contains(12 * 60));
    }

    #[test]
    fn time_range_24h_and_negation() {
        let range = TimeRange::parse("!10:00-12:30").expect("parses");
        assert!(range.negate);
        assert!(!range.contains(11 * 60));
        assert!(TimeRange::parse("25-3").is_none());
        assert!(TimeRange::parse("13 pm-1 am").is_none());
    }

    #[test]
    fn weekday_sets() {
        let weekdays = WeekdaySet::parse("weekdays").expect("parses");
        assert!(weekdays.contains(1));
        assert!(!weekdays.contains(0));
        let named = WeekdaySet::parse("!sat, sunday").expect("parses");
        assert!(!named.contains(6));
        assert!(named.contains(3));
        assert!(WeekdaySet::parse("someday").is_none());
    }
}
