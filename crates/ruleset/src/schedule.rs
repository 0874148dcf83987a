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
