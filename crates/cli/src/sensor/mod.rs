//! The sensor side of the command line: setup from `packetbeat.yml` and the loop that turns
//! frames into written events.

pub mod encoders;
pub mod setup;

use std::time::{Duration, Instant};

use anyhow::Context;
use dnstel_event::{EventBuilder, Skipped};
use dnstel_output::Output;
use dnstel_packet::{Frame, Timestamp};
use dnstel_pairing::Transaction;
use dnstel_sensor::Sensor;
use tracing::{info, warn};

use encoders::{EncodedBatch, EncoderPool, BATCH_TRANSACTIONS};
pub use encoders::{QueuePolicy, QueueStats};

/// Minimum time between two warnings about dropped batches.
const DROP_WARNING_INTERVAL: Duration = Duration::from_secs(10);

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
///
/// With one worker everything runs on the calling thread. With [`Pipeline::set_workers`] above
/// one, decoding, reassembly, pairing and writing stay on the calling thread and event encoding
/// moves to the other worker threads behind bounded queues. The events come out in the same
/// order, so the output is byte-identical.
pub struct Pipeline {
    sensor: Sensor,
    builder: EventBuilder,
    output: Box<dyn Output>,
    tap: Option<EventTap>,
    line: Vec<u8>,
    counts: EventCounts,
    encoders: Option<EncoderPool>,
    batch: Vec<Transaction>,
    reported_drops: u64,
    last_drop_warning: Option<Instant>,
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
            encoders: None,
            batch: Vec::new(),
            reported_drops: 0,
            last_drop_warning: None,
        }
    }

    /// Spreads the work over `workers` threads: 1, the default, keeps everything on the calling
    /// thread, and N > 1 adds N - 1 threads that encode events while the calling thread
    /// decodes, pairs and writes. `policy` sets what happens when the bounded queues to the
    /// encoders are full. Call before the first frame.
    ///
    /// # Errors
    /// Returns an error when a worker thread cannot be started.
    pub fn set_workers(&mut self, workers: usize, policy: QueuePolicy) -> anyhow::Result<()> {
        self.encoders = if workers > 1 {
            let pool = EncoderPool::start(workers - 1, &self.builder, policy)
                .context("failed to start the event encoder threads")?;
            self.batch = Vec::with_capacity(BATCH_TRANSACTIONS);
            Some(pool)
        } else {
            None
        };
        Ok(())
    }

    /// The output's counters.
    pub fn output_stats(&self) -> dnstel_output::OutputStats {
        self.output.stats()
    }

    /// Counters of the queues to the encoder threads (all zero with one worker).
    pub fn queue_stats(&self) -> QueueStats {
        self.encoders
            .as_ref()
            .map(EncoderPool::stats)
            .unwrap_or_default()
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
        if self.encoders.is_some() {
            self.batch.extend(self.sensor.drain());
            if self.batch.len() >= BATCH_TRANSACTIONS {
                self.submit_batch()?;
            }
            return Ok(());
        }
        self.write_completed()
    }

    /// Moves time forward without a packet and writes what timed out.
    ///
    /// # Errors
    /// Returns the output's write error.
    pub fn advance(&mut self, now: Timestamp) -> anyhow::Result<()> {
        self.sensor.advance(now);
        if self.encoders.is_some() {
            self.batch.extend(self.sensor.drain());
            return self.submit_batch();
        }
        self.write_completed()
    }

    /// Closes open streams and unanswered queries, writes them, and flushes the output.
    ///
    /// # Errors
    /// Returns the output's write or flush error.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        self.sensor.finish();
        if self.encoders.is_some() {
            self.batch.extend(self.sensor.drain());
            self.submit_batch()?;
        } else {
            self.write_completed()?;
        }
        self.flush()
    }

    /// Flushes buffered events to the operating system.
    ///
    /// # Errors
    /// Returns the output's flush error.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(mut encoders) = self.encoders.take() {
            let batch = std::mem::take(&mut self.batch);
            let result = encoders
                .submit(batch, &mut |encoded| self.write_batch(encoded))
                .and_then(|()| encoders.collect_all(&mut |encoded| self.write_batch(encoded)));
            self.encoders = Some(encoders);
            result?;
        }
        self.output
            .flush()
            .context("failed to flush the event output")
    }

    /// Hands the pending batch to the encoder threads and writes what they finished.
    fn submit_batch(&mut self) -> anyhow::Result<()> {
        let Some(mut encoders) = self.encoders.take() else {
            return Ok(());
        };
        let batch = std::mem::replace(&mut self.batch, encoders.empty_batch());
        let result = encoders
            .submit(batch, &mut |encoded| self.write_batch(encoded))
            .and_then(|()| encoders.collect_ready(&mut |encoded| self.write_batch(encoded)));
        let dropped = encoders.stats().dropped_transactions;
        self.encoders = Some(encoders);
        self.warn_about_drops(dropped);
        result
    }

    fn write_batch(&mut self, encoded: &EncodedBatch) -> anyhow::Result<()> {
        self.counts.ignored_outgoing += encoded.ignored_outgoing;
        self.counts.empty += encoded.empty;
        for event in encoded.events() {
            self.output
                .write_event(event)
                .context("failed to write an event")?;
            self.counts.written += 1;
            if let Some(tap) = &mut self.tap {
                tap(event);
            }
        }
        Ok(())
    }

    /// Logs queue drops at most once per [`DROP_WARNING_INTERVAL`].
    fn warn_about_drops(&mut self, dropped: u64) {
        if dropped == self.reported_drops {
            return;
        }
        let due = self
            .last_drop_warning
            .is_none_or(|last| last.elapsed() >= DROP_WARNING_INTERVAL);
        if due {
            warn!(
                dropped_transactions = dropped,
                new = dropped - self.reported_drops,
                "the event encoders fell behind; transactions were dropped"
            );
            self.reported_drops = dropped;
            self.last_drop_warning = Some(Instant::now());
        }
    }

    fn write_completed(&mut self) -> anyhow::Result<()> {
        for transaction in self.sensor.drain() {
            if self.tap.is_none() {
                // The output may let the encoder write straight into its buffer.
                let builder = &self.builder;
                let mut encoded = Ok(());
                let written = self
                    .output
                    .write_event_with(&mut self.line, &mut |line| {
                        encoded = builder.encode(&transaction, line);
                        encoded.is_ok()
                    })
                    .context("failed to write an event")?;
                match encoded {
                    Ok(()) => self.counts.written += u64::from(written),
                    Err(Skipped::IgnoredOutgoing) => self.counts.ignored_outgoing += 1,
                    Err(Skipped::NoMessage) => self.counts.empty += 1,
                }
                continue;
            }
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
        info!("ip reassembly {}", key_values(&defrag));
        info!("transactions {}", key_values(pairing));
        info!(
            written = self.counts.written,
            ignored_outgoing = self.counts.ignored_outgoing,
            empty = self.counts.empty,
            "events {}",
            key_values(&output)
        );
        if self.encoders.is_some() {
            info!("encoder queues {}", key_values(&self.queue_stats()));
        }
    }
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
