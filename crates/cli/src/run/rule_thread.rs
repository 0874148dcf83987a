//! The rule thread of `dnstel run`: takes events from the bounded queue, evaluates the rules
//! and writes alerts until the queue closes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use dnstel_analysis::{Analyzer, EventSource};

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
    pub receiver: Receiver<String>,
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
        let mut publish = Every::new(PUBLISH_INTERVAL);
        let publish_counters = |stage: &mut RuleStage| {
            stage.counters.queue_drops = self.queue_drops.load(Ordering::Relaxed);
            self.registry.publish_analysis(stage.counters.clone());
        };
        publish_counters(&mut stage);
        loop {
            if self.reload.swap(false, Ordering::Relaxed) {
                stage.reload();
            }
            match self.receiver.recv_timeout(ALERT_FLUSH_INTERVAL) {
                Ok(event) => stage.process_owned(event, &self.source)?,
                Err(RecvTimeoutError::Timeout) => stage.flush()?,
                // Every queued event was received before the queue reports the disconnect.
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if publish.due() {
                stage.flush()?;
                publish_counters(&mut stage);
            }
        }
        stage.flush()?;
        publish_counters(&mut stage);
        Ok(stage.counters.alerts_written)
    }
}
