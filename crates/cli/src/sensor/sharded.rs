//! [`ShardedPipeline`]: `read --workers N` with N above one. The calling thread reads, decodes,
//! reassembles and routes packets by flow, N shard threads pair and encode, and the calling
//! thread merges their events into a deterministic order and writes them.

use anyhow::Context;
use dnstel_event::EventBuilder;
use dnstel_output::Output;
use dnstel_packet::Frame;
use dnstel_sensor::{Dispatcher, PacketBatch, SensorOptions};

use super::shards::{ShardPool, BATCH_PACKETS, MAX_BATCH_BYTES};
use super::{EventCounts, FramePipeline, PipelineCounters};

/// Frames in, events out, with pairing and encoding sharded by flow over several threads.
///
/// The events are those a single-threaded [`super::Pipeline`] writes, in the same order,
/// except in two cases. Transactions that complete at the same packet in different shards
/// (several queries timing out at once, or everything still open at the end of input) come out
/// grouped by shard, not oldest first. And the table caps are split between the shards (see
/// [`dnstel_sensor::shard_options`]), so a full table evicts other queries than one table
/// would. For a given input, configuration and shard count the output is always the same.
pub struct ShardedPipeline {
    dispatcher: Dispatcher,
    pool: ShardPool,
    batch: PacketBatch,
    output: Box<dyn Output>,
    written: u64,
}

impl ShardedPipeline {
    /// Starts `shards` shard threads.
    ///
    /// # Errors
    /// Returns an error when the options are invalid or a thread cannot start.
    pub fn start(
        options: &SensorOptions,
        shards: usize,
        builder: &EventBuilder,
        output: Box<dyn Output>,
    ) -> anyhow::Result<ShardedPipeline> {
        Ok(ShardedPipeline {
            dispatcher: Dispatcher::new(options, shards),
            pool: ShardPool::start(options, shards, builder)?,
            batch: PacketBatch::default(),
            output,
            written: 0,
        })
    }

    fn submit(&mut self) -> anyhow::Result<()> {
        let batch = std::mem::replace(&mut self.batch, self.pool.empty_batch());
        let output = &mut self.output;
        let written = &mut self.written;
        self.pool.submit(batch, &mut |event| {
            write_event(output.as_mut(), written, event)
        })
    }
}

fn write_event(output: &mut dyn Output, written: &mut u64, event: &[u8]) -> anyhow::Result<()> {
    output
        .write_event(event)
        .context("failed to write an event")?;
    *written += 1;
    Ok(())
}

impl FramePipeline for ShardedPipeline {
    fn process_frame(&mut self, frame: &Frame<'_>) -> anyhow::Result<()> {
        self.dispatcher.process_frame(frame, &mut self.batch);
        if self.batch.len() >= BATCH_PACKETS || self.batch.payload_bytes() >= MAX_BATCH_BYTES {
            self.submit()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.submit()?;
        self.dispatcher.finish();
        let output = &mut self.output;
        let written = &mut self.written;
        self.pool
            .finish(&mut |event| write_event(output.as_mut(), written, event))?;
        self.output
            .flush()
            .context("failed to flush the event output")
    }

    fn counters(&self) -> PipelineCounters {
        let skipped = self.pool.skipped();
        PipelineCounters {
            sensor: *self.dispatcher.stats(),
            pairing: self.pool.pairing_stats(),
            defrag: self.dispatcher.defrag_stats(),
            events: EventCounts {
                written: self.written,
                ..skipped
            },
            queues: Some(self.pool.stats()),
            output: self.output.stats(),
        }
    }
}
