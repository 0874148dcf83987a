//! The summary `dnstel read` prints to standard error when it is done.

use std::fmt::Write as _;
use std::time::Duration;

use crate::sensor::PipelineCounters;

/// Counters of the capture file readers: records that could not be read, and records read
/// although their captured length is over their file's snapshot length.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadCounts {
    pub read_errors: u64,
    pub over_snap_length: u64,
}

/// Formats what the run read, built, wrote and dropped, with its speed.
pub fn render(counters: &PipelineCounters, read: ReadCounts, elapsed: Duration) -> String {
    let stats = &counters.sensor;
    let pairing = &counters.pairing;
    let defrag = &counters.defrag;
    let events = &counters.events;
    let queues = counters.queues.unwrap_or_default();
    let output = &counters.output;
    let seconds = elapsed.as_secs_f64().max(1e-6);
    let rate = stats.frames as f64 / seconds;

    let mut text = String::new();
    let _ = writeln!(
        text,
        "read {} frames in {seconds:.2} s ({rate:.0} packets/s): {} transactions, {} events written",
        stats.frames,
        pairing.transactions,
        // The output counts the events a failed write lost among those it accepted.
        events.written.saturating_sub(output.lost_events)
    );
    let drops = [
        ("unreadable capture records", read.read_errors),
        ("undecodable frames", stats.decode_errors.total()),
        ("non-UDP/TCP packets", stats.other_protocols),
        (
            "packets without DNS (other ports, empty UDP, bare TCP)",
            pairing.ignored_packets,
        ),
        ("undecodable DNS messages", pairing.undecodable),
        ("fragments discarded", defrag.fragments_discarded),
        ("TCP bytes over limits", pairing.tcp_limit_dropped_bytes),
        ("incomplete TCP messages", pairing.tcp_incomplete_messages),
        ("TCP bytes skipped (gaps, junk)", pairing.tcp_skipped_bytes),
        ("zero-length TCP messages", pairing.tcp_zero_length_messages),
        ("TCP connections evicted", pairing.tcp_connections_evicted),
        ("non-DNS TCP connections", pairing.tcp_non_dns_connections),
        ("queries evicted (table full)", pairing.evicted),
        ("skipped by ignore_outgoing", events.ignored_outgoing),
        ("empty transactions", events.empty),
        ("dropped at full queues", queues.dropped_events),
        ("events lost by the output", output.lost_events),
    ];
    let listed: Vec<String> = drops
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(what, count)| format!("{what}: {count}"))
        .collect();
    if listed.is_empty() {
        text.push_str("nothing dropped\n");
    } else {
        let _ = writeln!(text, "dropped or skipped: {}", listed.join(", "));
    }
    if read.over_snap_length > 0 {
        let _ = writeln!(
            text,
            "read anyway: capture records longer than the snapshot length: {}",
            read.over_snap_length
        );
    }
    text
}
