//! The rule stage shared by `dnstel run` and `dnstel analyze`: evaluate an event, write its
//! alert, count, and handle SIGHUP (reopen the alert files, reload the rules).

use anyhow::Context;
use chrono::Local;
use dnstel_analysis::{Analyzer, EventSource, Outcome, Session};
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
    /// Counters that this stage keeps; callers fill in the input-side fields.
    pub counters: AnalysisCounters,
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
            counters: AnalysisCounters::default(),
        }
    }

    /// Evaluates one event and writes its alert when the rule level reaches the alert level.
    /// The text becomes the event's full log without a copy.
    pub fn process_owned(&mut self, event: String, source: &EventSource) -> anyhow::Result<()> {
        let now = Local::now().fixed_offset();
        let outcome = self
            .analyzer
            .process_owned(&mut self.session, event, source, now, false);
        self.record(outcome)
    }

    /// Evaluates one line that [`prepare_line`] returned, like [`RuleStage::process_owned`].
    /// An unchecked line is encoded only when the JSON decoder did not find it to be its own
    /// encoding. Returns the reason to skip the line when it turns out not to be a JSON
    /// object, without counting it.
    ///
    /// [`prepare_line`]: dnstel_logcollector::prepare_line
    pub fn process_line(
        &mut self,
        line: LineText,
        source: &EventSource,
    ) -> anyhow::Result<Option<SkipReason>> {
        let text = match line {
            LineText::Encoded(text) => return self.process_owned(text, source).map(|()| None),
            LineText::Unchecked(text) => text,
        };
        let now = Local::now().fixed_offset();
        let mut event = self.analyzer.decode(text, source, now);
        if !event.is_compact_object() {
            match encode_text(&event.full_log) {
                Ok(encoded) if encoded == event.full_log => {}
                Ok(encoded) => event = self.analyzer.decode(encoded, source, now),
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
