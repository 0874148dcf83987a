//! The sensor side of the command line: setup from `packetbeat.yml` and the loop that turns
//! frames into written events.

pub mod setup;

use anyhow::Context;
use dnstel_event::{EventBuilder, Skipped};
use dnstel_output::Output;
use dnstel_packet::{Frame, Timestamp};
use dnstel_sensor::Sensor;
use tracing::info;

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

/// A consumer of every written event, called with the same compact JSON bytes the output got.
pub type EventTap = Box<dyn FnMut(&[u8])>;

/// Frames in, events out: the sensor, the event encoder and one output.
pub struct Pipeline {
    sensor: Sensor,
    builder: EventBuilder,
    output: Box<dyn Output>,
    tap: Option<EventTap>,
    line: Vec<u8>,
    counts: EventCounts,
}

impl Pipeline {
    /// Connects the stages.
    pub fn new(sensor: Sensor, builder: EventBuilder, output: Box<dyn Output>) -> Pipeline {
        Pipeline {
            sensor,
            builder,
            output,
            tap: None,
            line: Vec::with_capacity(4096),
            counts: EventCounts::default(),
        }
    }

    /// The sensor, for reading its counters.
    pub fn sensor(&self) -> &Sensor {
        &self.sensor
    }

    /// What the event stage did with completed transactions so far.
    pub fn event_counts(&self) -> EventCounts {
        self.counts
    }

    /// Hands every event written from now on to `tap` as well.
    pub fn set_tap(&mut self, tap: EventTap) {
        self.tap = Some(tap);
    }

    /// Processes one frame and writes the transactions it completed.
    ///
    /// # Errors
    /// Returns the output's write error.
    pub fn process_frame(&mut self, frame: &Frame<'_>) -> anyhow::Result<()> {
        self.sensor.process_frame(frame);
        self.write_completed()
    }

    /// Moves time forward without a packet and writes what timed out.
    ///
    /// # Errors
    /// Returns the output's write error.
    pub fn advance(&mut self, now: Timestamp) -> anyhow::Result<()> {
        self.sensor.advance(now);
        self.write_completed()
    }

    /// Closes open streams and unanswered queries, writes them, and flushes the output.
    ///
    /// # Errors
    /// Returns the output's write or flush error.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        self.sensor.finish();
        self.write_completed()?;
        self.output
            .flush()
            .context("failed to flush the event output")
    }

    /// Flushes buffered events to the operating system.
    ///
    /// # Errors
    /// Returns the output's flush error.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.output
            .flush()
            .context("failed to flush the event output")
    }

    fn write_completed(&mut self) -> anyhow::Result<()> {
        for transaction in self.sensor.drain() {
            self.line.clear();
            match self.builder.encode(&transaction, &mut self.line) {
                Ok(()) => {
                    let event = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
                    self.output
                        .write_event(event)
                        .context("failed to write an event")?;
                    self.counts.written += 1;
                    if let Some(tap) = &mut self.tap {
                        tap(event);
                    }
                }
                Err(Skipped::IgnoredOutgoing) => self.counts.ignored_outgoing += 1,
                Err(Skipped::NoMessage) => self.counts.empty += 1,
            }
        }
        Ok(())
    }

    /// Logs one summary line per stage.
    pub fn log_summary(&self) {
        let stats = self.sensor.stats();
        let pairing = self.sensor.pairing_stats();
        let defrag = self.sensor.defrag_stats();
        let output = self.output.stats();
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
        info!(?defrag, "ip reassembly");
        info!(?pairing, "transactions");
        info!(
            written = self.counts.written,
            ignored_outgoing = self.counts.ignored_outgoing,
            empty = self.counts.empty,
            ?output,
            "events"
        );
    }
}
