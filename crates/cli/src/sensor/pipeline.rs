//! [`Pipeline`]: the single-threaded sensor loop, frames in and events out on the calling
//! thread.

use anyhow::Context;
use dnstel_event::{EventBuilder, Skipped};
use dnstel_output::Output;
use dnstel_packet::{Frame, Timestamp};
use dnstel_sensor::Sensor;

use super::{EventCounts, EventTap, FramePipeline, PipelineCounters};

/// Frames in, events out: the sensor, the event encoder and one output, all on the calling
/// thread.
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

    /// Hands every event written from now on to `tap` as well.
    pub fn set_tap(&mut self, tap: EventTap) {
        self.tap = Some(tap);
    }

    /// Moves time forward without a packet and writes what timed out.
    ///
    /// # Errors
    /// Returns the output's write error.
    pub fn advance(&mut self, now: Timestamp) -> anyhow::Result<()> {
        self.sensor.advance(now);
        self.write_completed()
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
        let mut drain = self.sensor.drain();
        while let Some(transaction) = drain.next_boxed() {
            if self.tap.is_none() {
                // The output may let the encoder write straight into its buffer. The encoder
                // writes one compact JSON object per event, so the output need not check it.
                let builder = &self.builder;
                let mut encoded = Ok(());
                let written = self
                    .output
                    .write_compact_event_with(&mut self.line, &mut |line| {
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
}

impl FramePipeline for Pipeline {
    fn process_frame(&mut self, frame: &Frame<'_>) -> anyhow::Result<()> {
        self.sensor.process_frame(frame);
        self.write_completed()
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.sensor.finish();
        self.write_completed()?;
        self.flush()
    }

    fn counters(&self) -> PipelineCounters {
        PipelineCounters {
            sensor: *self.sensor.stats(),
            pairing: self.sensor.pairing_stats().clone(),
            defrag: self.sensor.defrag_stats(),
            events: self.counts,
            queues: None,
            output: self.output.stats(),
        }
    }
}
