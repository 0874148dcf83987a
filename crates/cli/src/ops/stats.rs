//! The periodic stats line in dnstel's log, and the timers that decide when the loops publish
//! counters and log it.

use std::time::{Duration, Instant};

use tracing::info;

use super::metrics::Snapshot;

/// How often the loops publish their counters into the registry.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);
/// The default interval of the stats line, in seconds.
pub const DEFAULT_STATS_INTERVAL_SECS: u64 = 60;

/// A repeating deadline checked from a loop.
#[derive(Debug)]
pub struct Every {
    interval: Duration,
    last: Instant,
}

impl Every {
    /// Starts a timer that first fires `interval` from now; a zero interval never fires.
    pub fn new(interval: Duration) -> Every {
        Every {
            interval,
            last: Instant::now(),
        }
    }

    /// Returns true, and restarts the timer, when the interval has passed.
    pub fn due(&mut self) -> bool {
        if self.interval.is_zero() || self.last.elapsed() < self.interval {
            return false;
        }
        self.last = Instant::now();
        true
    }
}

/// Logs one line with every published counter, as `key=value` pairs after `message`
/// (`stats` for the periodic line, `summary` at the end of a run).
pub fn log_stats(snapshot: &Snapshot, message: &str) {
    info!("{message} {}", format_fields(snapshot));
}

/// Formats the published counters as `key=value` pairs separated by spaces.
pub fn format_fields(snapshot: &Snapshot) -> String {
    let mut fields: Vec<(&str, u64)> = Vec::with_capacity(16);
    if let Some(sensor) = &snapshot.sensor {
        let decode_errors = sensor.decode_errors.iter().map(|(_, value)| value).sum();
        fields.extend([
            ("packets", sensor.packets),
            ("kernel_drops", sensor.kernel_drops),
            ("decode_errors", decode_errors),
            ("transactions", sensor.transactions),
            ("unmatched_queries", sensor.unmatched_queries),
            ("unmatched_responses", sensor.unmatched_responses),
            ("events_written", sensor.events_written),
            ("output_write_errors", sensor.output_write_errors),
            ("event_queue_drops", sensor.event_queue_drops),
        ]);
    }
    if let Some(analysis) = &snapshot.analysis {
        let skipped = analysis.lines_skipped.iter().map(|(_, value)| value).sum();
        fields.extend([
            ("analysis_events", analysis.events_read),
            ("lines_skipped", skipped),
            ("queue_drops", analysis.queue_drops),
            ("rule_matches", analysis.rule_matches),
            ("alerts_written", analysis.alerts_written),
            ("alert_rotations", analysis.alert_rotations),
        ]);
    }
    fields
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_cover_published_sides() {
        let mut snapshot = Snapshot::default();
        assert_eq!(format_fields(&snapshot), "");
        snapshot.analysis = Some(super::super::metrics::AnalysisCounters {
            alerts_written: 4,
            ..Default::default()
        });
        let fields = format_fields(&snapshot);
        assert!(fields.contains("alerts_written=4"), "{fields}");
        assert!(!fields.contains("packets="), "{fields}");
    }

    #[test]
    fn zero_interval_never_due() {
        let mut timer = Every::new(Duration::ZERO);
        assert!(!timer.due());
    }

    #[test]
    fn elapsed_interval_is_due_once() {
        let mut timer = Every::new(Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(1));
        assert!(timer.due());
        assert!(!Every::new(Duration::from_secs(3600)).due());
    }
}
