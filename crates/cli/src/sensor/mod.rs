//! The sensor side of the command line: setup from `packetbeat.yml` and the loops that turn
//! frames into written events, on one thread ([`Pipeline`]) or sharded by flow over several
//! ([`ShardedPipeline`]).

pub mod encoded;
pub mod live_workers;
mod pipeline;
pub mod setup;
mod sharded;
mod shards;

use dnstel_output::OutputStats;
use dnstel_packet::{DefragStats, Frame};
use dnstel_pairing::PairingStats;
use dnstel_sensor::SensorStats;
use tracing::info;

pub use pipeline::Pipeline;
pub use sharded::ShardedPipeline;

/// Counters of what the event stage did with completed transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Events handed to the output.
    pub written: u64,
    /// Transactions dropped by `ignore_outgoing`.
    pub ignored_outgoing: u64,
    /// Transactions with neither a query nor a response.
    pub empty: u64,
}

/// Counters of the bounded queues between threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Batches handed to another thread.
    pub batches: u64,
    /// Times a sender waited because every queue slot was taken (reading files waits, it
    /// never drops).
    pub full_waits: u64,
    /// Highest number of batches in flight seen.
    pub max_in_flight: u64,
    /// Events dropped because the queue to the writer was full (live capture only).
    pub dropped_events: u64,
}

/// A consumer of every written event, called with the same compact JSON bytes the output got.
pub type EventTap = Box<dyn FnMut(&[u8])>;

/// Every counter of a pipeline, summed over its threads.
#[derive(Debug, Clone, Default)]
pub struct PipelineCounters {
    /// Decoding and reassembly.
    pub sensor: SensorStats,
    /// Pairing, summed over shards or workers.
    pub pairing: PairingStats,
    /// IP reassembly.
    pub defrag: DefragStats,
    /// The event stage.
    pub events: EventCounts,
    /// The queues between threads; `None` when everything runs on one thread.
    pub queues: Option<QueueStats>,
    /// The event output.
    pub output: OutputStats,
}

impl PipelineCounters {
    /// Logs one summary line per stage.
    pub fn log_summary(&self) {
        let stats = &self.sensor;
        info!(
            frames = stats.frames,
            decode_errors = stats.decode_errors.total(),
            truncated = stats.decode_errors.truncated,
            unsupported_link_type = stats.decode_errors.unsupported_link_type,
            not_ip = stats.decode_errors.not_ip,
            invalid_header = stats.decode_errors.invalid_header,
            other_protocols = stats.other_protocols,
            fragments = stats.fragments,
            reassembled = stats.reassembled,
            "packets"
        );
        info!("ip reassembly {}", key_values(&self.defrag));
        info!("transactions {}", key_values(&self.pairing));
        info!(
            encoded = self.events.written,
            ignored_outgoing = self.events.ignored_outgoing,
            empty = self.events.empty,
            "events {}",
            key_values(&self.output)
        );
        if let Some(queues) = &self.queues {
            info!("queues {}", key_values(queues));
        }
    }
}

/// A loop from frames to written events.
pub trait FramePipeline {
    /// Processes one frame and writes the events it completed (or hands them to other threads).
    ///
    /// # Errors
    /// Returns the output's write error.
    fn process_frame(&mut self, frame: &Frame<'_>) -> anyhow::Result<()>;

    /// Closes open streams and unanswered queries at the end of input, writes every remaining
    /// event and flushes the output.
    ///
    /// # Errors
    /// Returns the output's write or flush error.
    fn finish(&mut self) -> anyhow::Result<()>;

    /// Returns every counter so far.
    fn counters(&self) -> PipelineCounters;
}

/// Renders a flat counter struct as `name=value` pairs, the form of every other log field, so
/// summaries stay easy to search. Relies on the derived `Debug` layout `Name { a: 1, b: 2 }`.
fn key_values(counters: &impl std::fmt::Debug) -> String {
    let text = format!("{counters:?}");
    let inner = match (text.find('{'), text.rfind('}')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => return text,
    };
    inner.trim().replace(": ", "=").replace(", ", " ")
}
