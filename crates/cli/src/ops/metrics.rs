//! The counter registry: the capture loop and the rule loop publish snapshots into it, and the
//! stats line, the Prometheus endpoint and the end-of-run summary read it.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use dnstel_capture::CaptureStats;
use dnstel_output::OutputStats;

use crate::sensor::PipelineCounters;

/// Counters of the capture side: packets, decoding, pairing and the event output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SensorCounters {
    /// Packets that passed the kernel filter, as the kernel counts them.
    pub packets: u64,
    /// Packets the kernel dropped because the capture ring was full.
    pub kernel_drops: u64,
    /// Frames that did not decode, by cause.
    pub decode_errors: [(&'static str, u64); 4],
    /// Transactions completed by pairing.
    pub transactions: u64,
    /// Queries emitted without a response (timed out, flushed at stop or evicted).
    pub unmatched_queries: u64,
    /// Responses without a pending query.
    pub unmatched_responses: u64,
    /// Events accepted by the event output.
    pub events_written: u64,
    /// Event writes or flushes that failed.
    pub output_write_errors: u64,
    /// Events dropped because the queue from the capture workers to the writer was full
    /// (`--workers` above one only).
    pub event_queue_drops: u64,
}

impl SensorCounters {
    /// Collects the counters of a pipeline, its capture and its output.
    pub fn collect(
        pipeline: &PipelineCounters,
        capture: &CaptureStats,
        output: &OutputStats,
    ) -> SensorCounters {
        let decode = &pipeline.sensor.decode_errors;
        let pairing = &pipeline.pairing;
        SensorCounters {
            packets: capture.packets,
            kernel_drops: capture.drops,
            decode_errors: [
                ("truncated", decode.truncated),
                ("unsupported_link_type", decode.unsupported_link_type),
                ("not_ip", decode.not_ip),
                ("invalid_header", decode.invalid_header),
            ],
            transactions: pairing.transactions,
            unmatched_queries: pairing.timeouts + pairing.flushed + pairing.evicted,
            unmatched_responses: pairing.orphans,
            events_written: output.events_written,
            output_write_errors: output.write_errors,
            event_queue_drops: pipeline.queues.map_or(0, |queues| queues.dropped_events),
        }
    }
}

/// Counters of the rule side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisCounters {
    /// Events handed to the rules.
    pub events_read: u64,
    /// Input lines skipped, by reason.
    pub lines_skipped: Vec<(&'static str, u64)>,
    /// Events that skipped the rules because the rule queue was full (`dnstel run` only).
    pub queue_drops: u64,
    /// Events that ended on a rule (any level).
    pub rule_matches: u64,
    /// Alerts written to alerts.json and alerts.log.
    pub alerts_written: u64,
    /// Rule reloads that succeeded.
    pub rule_reloads: u64,
    /// Rule reloads that failed and kept the previous rules.
    pub rule_reload_failures: u64,
    /// Alert file rotations (daily or by size).
    pub alert_rotations: u64,
}

/// A copy of every published counter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The capture side, when this process captures.
    pub sensor: Option<SensorCounters>,
    /// The rule side, when this process evaluates rules.
    pub analysis: Option<AnalysisCounters>,
}

/// The shared registry.
#[derive(Debug, Default)]
pub struct Registry {
    snapshot: Mutex<Snapshot>,
}

impl Registry {
    /// Creates an empty registry behind an `Arc`.
    pub fn shared() -> Arc<Registry> {
        Arc::new(Registry::default())
    }

    /// Replaces the capture-side counters.
    pub fn publish_sensor(&self, counters: SensorCounters) {
        self.lock().sensor = Some(counters);
    }

    /// Replaces the rule-side counters.
    pub fn publish_analysis(&self, counters: AnalysisCounters) {
        self.lock().analysis = Some(counters);
    }

    /// Returns a copy of the current counters.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding the lock leaves plain counters behind, which stay readable.
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Snapshot {
    /// Renders the counters in the Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let mut text = String::with_capacity(2048);
        if let Some(sensor) = &self.sensor {
            render_sensor(&mut text, sensor);
        }
        if let Some(analysis) = &self.analysis {
            render_analysis(&mut text, analysis);
        }
        text
    }
}

fn render_sensor(text: &mut String, sensor: &SensorCounters) {
    counter(
        text,
        "packets",
        "Packets that passed the kernel filter.",
        sensor.packets,
    );
    counter(
        text,
        "kernel_drops",
        "Packets the kernel dropped because the capture ring was full.",
        sensor.kernel_drops,
    );
    labelled(
        text,
        "decode_errors",
        "Frames that did not decode, by cause.",
        "kind",
        &sensor.decode_errors,
    );
    counter(
        text,
        "transactions",
        "DNS transactions completed by pairing.",
        sensor.transactions,
    );
    counter(
        text,
        "unmatched_queries",
        "Queries emitted without a response.",
        sensor.unmatched_queries,
    );
    counter(
        text,
        "unmatched_responses",
        "Responses without a pending query.",
        sensor.unmatched_responses,
    );
    counter(
        text,
        "events_written",
        "Events accepted by the event output.",
        sensor.events_written,
    );
    counter(
        text,
        "output_write_errors",
        "Event writes or flushes that failed.",
        sensor.output_write_errors,
    );
    counter(
        text,
        "event_queue_drops",
        "Events dropped because the queue from the capture workers to the writer was full.",
        sensor.event_queue_drops,
    );
}

fn render_analysis(text: &mut String, analysis: &AnalysisCounters) {
    counter(
        text,
        "analysis_events",
        "Events handed to the rules.",
        analysis.events_read,
    );
    labelled(
        text,
        "analysis_lines_skipped",
        "Input lines skipped before the rules, by reason.",
        "reason",
        &analysis.lines_skipped,
    );
    counter(
        text,
        "analysis_queue_drops",
        "Events written but not analysed because the rule queue was full.",
        analysis.queue_drops,
    );
    counter(
        text,
        "rule_matches",
        "Events that ended on a rule, at any level.",
        analysis.rule_matches,
    );
    counter(
        text,
        "alerts_written",
        "Alerts written to alerts.json and alerts.log.",
        analysis.alerts_written,
    );
    labelled(
        text,
        "rule_reloads",
        "Rule reloads on SIGHUP, by result.",
        "result",
        &[
            ("ok", analysis.rule_reloads),
            ("failed", analysis.rule_reload_failures),
        ],
    );
    counter(
        text,
        "alert_rotations",
        "Alert file rotations, daily or by size.",
        analysis.alert_rotations,
    );
}

fn header(text: &mut String, name: &str, help: &str) {
    let _ = writeln!(text, "# HELP dnstel_{name}_total {help}");
    let _ = writeln!(text, "# TYPE dnstel_{name}_total counter");
}

fn counter(text: &mut String, name: &str, help: &str, value: u64) {
    header(text, name, help);
    let _ = writeln!(text, "dnstel_{name}_total {value}");
}

fn labelled(text: &mut String, name: &str, help: &str, label: &str, values: &[(&str, u64)]) {
    header(text, name, help);
    for (label_value, value) in values {
        let _ = writeln!(
            text,
            "dnstel_{name}_total{{{label}=\"{label_value}\"}} {value}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_help_and_type() {
        let registry = Registry::shared();
        registry.publish_sensor(SensorCounters {
            packets: 7,
            ..SensorCounters::default()
        });
        registry.publish_analysis(AnalysisCounters {
            lines_skipped: vec![("too_long", 2)],
            alerts_written: 3,
            ..AnalysisCounters::default()
        });
        let text = registry.snapshot().to_prometheus();
        assert!(text.contains("# HELP dnstel_packets_total "), "{text}");
        assert!(
            text.contains("# TYPE dnstel_packets_total counter\n"),
            "{text}"
        );
        assert!(text.contains("\ndnstel_packets_total 7\n"), "{text}");
        assert!(text.contains("dnstel_alerts_written_total 3\n"), "{text}");
        assert!(
            text.contains("dnstel_analysis_lines_skipped_total{reason=\"too_long\"} 2\n"),
            "{text}"
        );
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            assert!(line.starts_with("dnstel_"), "{line}");
            assert!(line.split_whitespace().count() == 2, "{line}");
        }
    }

    #[test]
    fn empty_registry_renders_nothing() {
        assert_eq!(Registry::shared().snapshot().to_prometheus(), "");
    }
}
