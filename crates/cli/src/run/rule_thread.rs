//! The rule thread of `dnstel run`: takes events from the bounded queue, evaluates the rules
//! and writes alerts until the queue closes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use dnstel_analysis::{Analyzer, EventSource};
use dnstel_logcollector::LineText;

use crate::ops::alert_rotation::RotatingAlertWriter;
use crate::ops::metrics::Registry;
use crate::ops::rule_stage::{RebuildAnalyzer, RuleStage};
use crate::ops::stats::{Every, PUBLISH_INTERVAL};

/// How long the rule thread waits for an event before it flushes the alert files.
const ALERT_FLUSH_INTERVAL: Duration = Duration::from_millis(500);

/// Everything the rule thread owns.
pub struct RuleThread {
    /// The rules in use at start.
    pub analyzer: Analyzer,
    /// Builds new rules on SIGHUP.
    pub rebuild: RebuildAnalyzer,
    /// The alert files.
    pub writer: RotatingAlertWriter,
    /// `location` and agent of every event.
    pub source: EventSource,
    /// The queue the event tap fills.
    pub receiver: Receiver<LineText>,
    /// Set by the capture loop on SIGHUP.
    pub reload: Arc<AtomicBool>,
    /// Registry that receives the rule-side counters.
    pub registry: Arc<Registry>,
    /// Events the tap could not queue.
    pub queue_drops: Arc<AtomicU64>,
}

impl RuleThread {
    /// Starts the thread. It returns the number of alerts written once the queue is closed
    /// and every queued event is evaluated.
    pub fn spawn(self) -> anyhow::Result<JoinHandle<anyhow::Result<u64>>> {
        std::thread::Builder::new()
            .name("rules".to_owned())
            .spawn(move || self.run())
            .context("failed to start the rule thread")
    }

    fn run(self) -> anyhow::Result<u64> {
        let mut stage = RuleStage::new(self.analyzer, self.rebuild, self.writer);
        let publish_counters = |stage: &mut RuleStage| {
            stage.counters.queue_drops = self.queue_drops.load(Ordering::Relaxed);
            self.registry.publish_analysis(stage.counters.clone());
        };
        let result = evaluate_queue(
            &mut stage,
            &self.receiver,
            &self.source,
            &self.reload,
            &publish_counters,
        );
        if result.is_err() {
            // The queue closes with this thread, so the events still in it are never analysed.
            // NOTE: an event queued after this count and before the thread ends is lost
            // without a count; the capture stops at its next event.
            let unanalysed = self.receiver.try_iter().count() as u64;
            if unanalysed > 0 {
                self.queue_drops.fetch_add(unanalysed, Ordering::Relaxed);
                tracing::error!(
                    unanalysed,
                    "queued events not analysed because the rule thread failed"
                );
            }
        }
        publish_counters(&mut stage);
        result.map(|()| stage.counters.alerts_written)
    }
}

/// Evaluates events from `receiver` until it is closed and empty, then flushes the alerts.
fn evaluate_queue(
    stage: &mut RuleStage,
    receiver: &Receiver<LineText>,
    source: &EventSource,
    reload: &AtomicBool,
    publish_counters: &dyn Fn(&mut RuleStage),
) -> anyhow::Result<()> {
    let mut publish = Every::new(PUBLISH_INTERVAL);
    publish_counters(stage);
    loop {
        if reload.swap(false, Ordering::Relaxed) {
            stage.reload();
        }
        match receiver.recv_timeout(ALERT_FLUSH_INTERVAL) {
            Ok(line) => {
                if let Some(reason) = stage.process_line(line, source)? {
                    tracing::warn!(reason = reason.describe(), "event not analysed");
                }
            }
            Err(RecvTimeoutError::Timeout) => stage.flush()?,
            // Every queued event was received before the queue reports the disconnect.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if publish.due() {
            stage.flush()?;
            publish_counters(stage);
        }
    }
    stage.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer_setup::{analyzer_from_args, FileSettings, RulesetArgs};
    use crate::ops::alert_rotation::RotationPolicy;
    use dnstel_analysis::AgentInfo;

    fn builtin_analyzer() -> anyhow::Result<Analyzer> {
        let args = RulesetArgs {
            ruleset: None,
            rules: Vec::new(),
            decoders: Vec::new(),
            manager_name: Some("manager".into()),
            mitre_version: dnstel_analysis::mitre::DEFAULT_VERSION.into(),
        };
        analyzer_from_args(&args, Some(3), &FileSettings::default())
    }

    /// Returns a rule thread with the built-in rules that writes alerts to `directory`.
    fn rule_thread(
        directory: &std::path::Path,
        receiver: Receiver<LineText>,
        registry: &Arc<Registry>,
        queue_drops: &Arc<AtomicU64>,
    ) -> RuleThread {
        let policy = RotationPolicy {
            max_size: None,
            keep_days: 0,
            compress: false,
        };
        RuleThread {
            analyzer: builtin_analyzer().expect("built-in rules"),
            rebuild: Box::new(builtin_analyzer),
            writer: RotatingAlertWriter::open(directory, policy).expect("open writer"),
            source: EventSource {
                location: "test".into(),
                agent: AgentInfo {
                    id: "000".into(),
                    ..AgentInfo::default()
                },
            },
            receiver,
            reload: Arc::new(AtomicBool::new(false)),
            registry: Arc::clone(registry),
            queue_drops: Arc::clone(queue_drops),
        }
    }

    /// Lines that the tap did not check are encoded when they are not compact, and skipped
    /// without a count when they are not JSON objects.
    #[test]
    fn unchecked_lines_alert_like_encoded_ones() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let (sender, receiver) = std::sync::mpsc::sync_channel(10);
        let spaced = r#"{"method": "QUERY", "dns": {"id": 7, "ttl": 1.50}}"#;
        let encoded = dnstel_logcollector::encode_line(spaced.as_bytes(), &[]).expect("encode");
        let lines = [
            LineText::Unchecked(spaced.to_string()),
            LineText::Unchecked(r#"{"method":"QUERY","dns":"#.to_string()),
            LineText::Encoded(encoded),
        ];
        for line in lines {
            sender.send(line).expect("queue a line");
        }
        drop(sender);
        let registry = Registry::shared();
        let queue_drops = Arc::new(AtomicU64::new(0));
        let thread = rule_thread(directory.path(), receiver, &registry, &queue_drops);
        assert_eq!(thread.run().expect("rule thread"), 2);

        let alerts = std::fs::read_to_string(directory.path().join("alerts.json")).expect("read");
        let data: Vec<&str> = alerts
            .lines()
            .map(|line| &line[line.find(r#""decoder""#).expect("decoder member")..])
            .collect();
        assert_eq!(data.len(), 2, "{alerts}");
        assert_eq!(data[0], data[1]);
        assert!(data[0].contains(r#""ttl":"1.500000""#), "{}", data[0]);
        let counters = registry
            .snapshot()
            .analysis
            .expect("rule counters published");
        assert_eq!(counters.events_read, 2);
    }

    /// Alerts that cannot be written stop the thread; the events still queued count as
    /// queue drops instead of vanishing with the queue.
    #[test]
    fn failed_write_counts_queued_events() {
        let directory = tempfile::tempdir().expect("temporary directory");
        for name in ["alerts.json", "alerts.log"] {
            std::os::unix::fs::symlink("/dev/full", directory.path().join(name))
                .expect("link /dev/full");
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel(2000);
        let total = 1000u64;
        for id in 0..total {
            let event = format!("{{\"method\":\"QUERY\",\"dns\":{{\"id\":{id}}}}}");
            sender
                .send(LineText::Unchecked(event))
                .expect("queue an event");
        }
        drop(sender);
        let registry = Registry::shared();
        let queue_drops = Arc::new(AtomicU64::new(0));
        let thread = rule_thread(directory.path(), receiver, &registry, &queue_drops);

        let error = thread.run().expect_err("/dev/full fails every write");
        assert!(error.to_string().contains("alert"), "{error:#}");
        let dropped = queue_drops.load(Ordering::Relaxed);
        assert!(dropped > 0, "queued events are counted");
        let analysed = registry
            .snapshot()
            .analysis
            .expect("rule counters published")
            .events_read;
        assert_eq!(analysed + dropped, total);
    }
}
