//! The rule stage shared by `dnstel run` and `dnstel analyze`: evaluate an event, write its
//! alert, count, and handle SIGHUP (reopen the alert files, reload the rules).

use anyhow::Context;
use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone, Utc};
use std::sync::Arc;

use dnstel_analysis::{Analyzer, EventBuffers, EventSource, Outcome, Session};
use dnstel_logcollector::{encode_text, LineText, SkipReason};
use tracing::{info, warn};

use super::alert_rotation::RotatingAlertWriter;
use super::metrics::AnalysisCounters;

/// Builds a fresh analyzer from the same ruleset request as the running one.
pub type RebuildAnalyzer = Box<dyn Fn() -> anyhow::Result<Analyzer> + Send>;

/// Rules, their correlation state, the alert files and the counters.
pub struct RuleStage {
    analyzer: Analyzer,
    session: Session,
    rebuild: RebuildAnalyzer,
    writer: RotatingAlertWriter,
    clock: LocalClock,
    /// Unchecked lines still to encode before decoding them, after a line that was not in
    /// cJSON's compact layout.
    lines_encoded_first: u32,
    /// The buffers of the last event's text and fields, when nothing else kept that event.
    spare: EventBuffers,
    /// Counters that this stage keeps; callers fill in the input-side fields.
    pub counters: AnalysisCounters,
}

/// Unchecked lines encoded before decoding after a line that was not in cJSON's compact
/// layout. After that many, a line is decoded as it is again.
const LINES_ENCODED_FIRST: u32 = 64;

/// The local time of events, which reads the zone's offset once per second instead of once
/// per event.
#[derive(Default)]
struct LocalClock {
    /// The last second read, as seconds since the epoch, and the zone's offset in it.
    second: Option<(i64, FixedOffset)>,
}

impl LocalClock {
    /// Returns the current time with the local zone's offset, as
    /// `Local::now().fixed_offset()` does. Zone offsets change only at whole seconds, so
    /// the offset of the same second applies.
    fn now(&mut self) -> DateTime<FixedOffset> {
        let now = Utc::now();
        let offset = match self.second {
            Some((second, offset)) if second == now.timestamp() => offset,
            _ => {
                let offset = Local.offset_from_utc_datetime(&now.naive_utc()).fix();
                self.second = Some((now.timestamp(), offset));
                offset
            }
        };
        now.with_timezone(&offset)
    }
}

impl RuleStage {
    /// Connects the rules to the alert files.
    pub fn new(
        analyzer: Analyzer,
        rebuild: RebuildAnalyzer,
        writer: RotatingAlertWriter,
    ) -> RuleStage {
        RuleStage {
            analyzer,
            session: Session::new(),
            rebuild,
            writer,
            clock: LocalClock::default(),
            lines_encoded_first: 0,
            spare: EventBuffers::default(),
            counters: AnalysisCounters::default(),
        }
    }

    /// Evaluates one event and writes its alert when the rule level reaches the alert level.
    /// The text becomes the event's full log without a copy.
    pub fn process_owned(&mut self, event: String, source: &EventSource) -> anyhow::Result<()> {
        let now = self.clock.now();
        let buffers = std::mem::take(&mut self.spare);
        let event = self.analyzer.decode_with(event, source, now, buffers);
        let outcome = self
            .analyzer
            .evaluate(&mut self.session, event, source, false);
        self.record(outcome)
    }

    /// Takes a string, empty, that the last event no longer uses, for the text of the next
    /// line.
    pub fn take_line_buffer(&mut self) -> String {
        self.spare.take_full_log()
    }

    /// Evaluates one line that [`prepare_line`] returned, like [`RuleStage::process_owned`].
    /// An unchecked line is encoded and decoded again only when the JSON decoder did not
    /// find it to be its own encoding. Returns the reason to skip the line when it turns out
    /// not to be a JSON object, without counting it.
    ///
    /// [`prepare_line`]: dnstel_logcollector::prepare_line
    pub fn process_line(
        &mut self,
        line: LineText,
        source: &EventSource,
    ) -> anyhow::Result<Option<SkipReason>> {
        let text = match line {
            LineText::Encoded(text) => text,
            LineText::Unchecked(text) if self.lines_encoded_first > 0 => {
                self.lines_encoded_first -= 1;
                match encode_text(&text) {
                    Ok(encoded) => encoded,
                    Err(reason) => return Ok(Some(reason)),
                }
            }
            LineText::Unchecked(text) => {
                return self.process_unchecked(text, source);
            }
        };
        self.process_owned(text, source).map(|()| None)
    }

    /// Evaluates a line that may not be in cJSON's compact layout yet, like
    /// [`RuleStage::process_line`].
    fn process_unchecked(
        &mut self,
        text: String,
        source: &EventSource,
    ) -> anyhow::Result<Option<SkipReason>> {
        let now = self.clock.now();
        let buffers = std::mem::take(&mut self.spare);
        let mut event = self.analyzer.decode_unchecked(text, source, now, buffers);
        if !event.is_compact_object() {
            // Lines of one source tend to be alike, so the next ones are encoded before they
            // are decoded, which costs less than decoding them twice.
            self.lines_encoded_first = LINES_ENCODED_FIRST;
            match encode_text(&event.full_log) {
                Ok(encoded) => {
                    let buffers = event.into_buffers();
                    event = self.analyzer.decode_with(encoded, source, now, buffers);
                }
                Err(reason) => return Ok(Some(reason)),
            }
        }
        let outcome = self
            .analyzer
            .evaluate(&mut self.session, event, source, false);
        self.record(outcome)?;
        Ok(None)
    }

    /// Counts an evaluated event and writes its alert when it has one to log.
    fn record(&mut self, outcome: Outcome) -> anyhow::Result<()> {
        self.counters.events_read += 1;
        if outcome.alert.is_some() {
            self.counters.rule_matches += 1;
        }
        if let (true, Some(alert)) = (outcome.logged, &outcome.alert) {
            self.writer
                .write(alert)
                .context("failed to write an alert")?;
            self.counters.alerts_written = self.writer.written();
            self.counters.alert_rotations = self.writer.rotations();
        }
        let Outcome { event, alert, .. } = outcome;
        drop(alert);
        // Correlation state may keep the event, and then its buffers stay with it.
        if let Ok(event) = Arc::try_unwrap(event) {
            self.spare = event.into_buffers();
        }
        Ok(())
    }

    /// Flushes the alert files and rotates them when the day changed.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.writer
            .flush()
            .context("failed to flush the alert files")?;
        self.writer
            .tick()
            .context("failed to rotate the alert files")?;
        self.counters.alerts_written = self.writer.written();
        self.counters.alert_rotations = self.writer.rotations();
        Ok(())
    }

    /// Handles SIGHUP: reopens the alert files and reloads the rules. A ruleset that fails to
    /// load keeps the running rules. A new ruleset starts with empty correlation state
    /// (frequency counters and `if_matched_*` history).
    pub fn reload(&mut self) {
        if let Err(error) = self.writer.flush().and_then(|()| self.writer.reopen()) {
            warn!(%error, "failed to reopen the alert files; still writing to the open ones");
        } else {
            info!("alert files reopened");
        }
        match (self.rebuild)() {
            Ok(analyzer) => {
                self.analyzer = analyzer;
                self.session = Session::new();
                self.counters.rule_reloads += 1;
                info!("rules reloaded");
            }
            Err(error) => {
                self.counters.rule_reload_failures += 1;
                // Load errors list one problem per line; the log keeps one line per record.
                let reason = format!("{error:#}")
                    .replace(":\n", ": ")
                    .replace('\n', "; ");
                warn!("rule reload failed, keeping the running rules: {reason}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_clock_matches_chrono() {
        let mut clock = LocalClock::default();
        for _ in 0..3 {
            let before = Local::now().fixed_offset();
            let now = clock.now();
            let after = Local::now().fixed_offset();
            assert!(before <= now, "{before} {now}");
            assert!(now <= after, "{now} {after}");
            let offset = Local.offset_from_utc_datetime(&now.naive_utc()).fix();
            assert_eq!(*now.offset(), offset);
        }
    }
}
