//! The shard threads of `read --workers N`: each pairs the flows of its shard and encodes their
//! events, and the calling thread merges the results into one deterministic order.
//!
//! The caller sends every [`PacketBatch`] to every shard behind an `Arc`. Each shard returns,
//! per batch, its events with the [`Completion`] key of each (the number of the packet that
//! completed the transaction, and whether that happened before or while pairing it). The
//! results of one batch are merged by (completion, shard), which depends only on the input,
//! the configuration and the shard count, never on thread timing.
//!
//! Every queue is a bounded channel. At most [`MAX_IN_FLIGHT`] batches are submitted and not
//! yet merged, so no channel contains more than that and no send blocks. When the limit is
//! reached, the caller waits for the oldest batch, so reading a file never drops an event.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{anyhow, Context};
use dnstel_event::EventBuilder;
use dnstel_pairing::PairingStats;
use dnstel_sensor::{
    add_pairing_stats, shard_options, Completion, PacketBatch, SensorOptions, ShardSensor,
};

use super::encoded::EncodedBatch;
use super::{EventCounts, QueueStats};

/// Batches submitted but not yet merged.
pub const MAX_IN_FLIGHT: usize = 8;

/// Packets per batch.
pub const BATCH_PACKETS: usize = 1024;

/// Payload bytes after which a batch is sent even when it has fewer than [`BATCH_PACKETS`].
pub const MAX_BATCH_BYTES: usize = 4 << 20;

/// Work for a shard thread.
enum Job {
    /// Pair and encode this batch.
    Batch(Arc<PacketBatch>),
    /// Close everything still open: the end of input.
    Finish,
}

/// The result of one job on one shard.
#[derive(Default)]
struct ShardOutput {
    events: EncodedBatch,
    /// The completion key of each event in `events`.
    completions: Vec<Completion>,
    /// The shard's pairing counters after the job.
    pairing: PairingStats,
}

struct ShardThread {
    input: Option<SyncSender<Job>>,
    output: Receiver<ShardOutput>,
    /// Merged results going back for reuse, so their buffers are not allocated per batch.
    spare: SyncSender<ShardOutput>,
    thread: Option<JoinHandle<()>>,
}

/// The channels of one shard thread.
struct ShardQueues {
    jobs: Receiver<Job>,
    results: SyncSender<ShardOutput>,
    spares: Receiver<ShardOutput>,
}

/// Shard threads fed through bounded queues.
pub struct ShardPool {
    shards: Vec<ShardThread>,
    /// Jobs sent and not yet merged, oldest first; `None` is the finish job.
    in_flight: VecDeque<Option<Arc<PacketBatch>>>,
    /// Each shard's result for the oldest job, once received.
    ready: Vec<Option<ShardOutput>>,
    /// Each shard's latest pairing counters.
    pairing: Vec<PairingStats>,
    spare: Vec<PacketBatch>,
    counts: EventCounts,
    stats: QueueStats,
}

impl ShardPool {
    /// Starts `shards` shard threads, each with its own pairing (with its share of the caps of
    /// `options`) and its own copy of `builder`.
    ///
    /// # Errors
    /// Returns an error when the pairing options are invalid or a thread cannot start.
    pub fn start(
        options: &SensorOptions,
        shards: usize,
        builder: &EventBuilder,
    ) -> anyhow::Result<ShardPool> {
        let per_shard = shard_options(options, shards);
        let mut started = Vec::with_capacity(shards);
        for index in 0..shards {
            let shard_index = u32::try_from(index).context("too many shards")?;
            let sensor = ShardSensor::new(per_shard.pairing.clone(), shard_index)
                .map_err(crate::exit::config_error)?;
            let (input, jobs) = sync_channel::<Job>(MAX_IN_FLIGHT + 1);
            let (results, output) = sync_channel::<ShardOutput>(MAX_IN_FLIGHT + 1);
            let (spare, spares) = sync_channel::<ShardOutput>(MAX_IN_FLIGHT + 1);
            let builder = builder.clone();
            let queues = ShardQueues {
                jobs,
                results,
                spares,
            };
            let thread = std::thread::Builder::new()
                .name(format!("dnstel-shard-{index}"))
                .spawn(move || shard_loop(sensor, &builder, &queues))
                .context("failed to start a shard thread")?;
            started.push(ShardThread {
                input: Some(input),
                output,
                spare,
                thread: Some(thread),
            });
        }
        Ok(ShardPool {
            ready: (0..shards).map(|_| None).collect(),
            pairing: vec![PairingStats::default(); shards],
            shards: started,
            in_flight: VecDeque::with_capacity(MAX_IN_FLIGHT),
            spare: Vec::new(),
            counts: EventCounts::default(),
            stats: QueueStats::default(),
        })
    }

    /// Returns the queue counters.
    pub fn stats(&self) -> QueueStats {
        self.stats
    }

    /// Transactions the shards skipped (`ignore_outgoing`, empty); `written` stays zero.
    pub fn skipped(&self) -> EventCounts {
        self.counts
    }

    /// Returns the pairing counters summed over the shards, as of the last merged batch.
    pub fn pairing_stats(&self) -> PairingStats {
        let mut total = PairingStats::default();
        for shard in &self.pairing {
            add_pairing_stats(&mut total, shard);
        }
        total
    }

    /// Returns an empty batch, reusing the buffers of a merged one when there is one.
    pub fn empty_batch(&mut self) -> PacketBatch {
        self.spare.pop().unwrap_or_default()
    }

    /// Sends `batch` to every shard, first waiting for the oldest batch when
    /// [`MAX_IN_FLIGHT`] are pending, and passes the events of every batch already finished,
    /// in order, to `sink`.
    ///
    /// # Errors
    /// Returns the first error of `sink`, or an error when a shard thread stopped.
    pub fn submit(
        &mut self,
        batch: PacketBatch,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if batch.is_empty() {
            self.spare.push(batch);
            return Ok(());
        }
        self.send(Some(Arc::new(batch)), sink)?;
        self.collect_ready(sink)
    }

    /// Sends the end of input to every shard and passes every remaining event, in order, to
    /// `sink`.
    ///
    /// # Errors
    /// Returns the first error of `sink`, or an error when a shard thread stopped.
    pub fn finish(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.send(None, sink)?;
        while !self.in_flight.is_empty() {
            self.collect_oldest(sink)?;
        }
        Ok(())
    }

    fn send(
        &mut self,
        batch: Option<Arc<PacketBatch>>,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            self.stats.full_waits += 1;
            self.collect_oldest(sink)?;
        }
        for (index, shard) in self.shards.iter().enumerate() {
            let job = match &batch {
                Some(batch) => Job::Batch(Arc::clone(batch)),
                None => Job::Finish,
            };
            let sent = shard
                .input
                .as_ref()
                .is_some_and(|input| input.send(job).is_ok());
            if !sent {
                return Err(anyhow!("shard thread {index} stopped"));
            }
        }
        self.in_flight.push_back(batch);
        self.stats.batches += 1;
        self.stats.max_in_flight = self.stats.max_in_flight.max(self.in_flight.len() as u64);
        Ok(())
    }

    /// Merges every job for which all shards have returned a result, without waiting.
    fn collect_ready(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        while !self.in_flight.is_empty() {
            for (index, shard) in self.shards.iter().enumerate() {
                if self.ready[index].is_some() {
                    continue;
                }
                match shard.output.try_recv() {
                    Ok(output) => self.ready[index] = Some(output),
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        return Err(anyhow!("shard thread {index} stopped"));
                    }
                }
            }
            if self.ready.iter().any(Option::is_none) {
                return Ok(());
            }
            self.merge_oldest(sink)?;
        }
        Ok(())
    }

    /// Waits for every shard's result of the oldest job and merges it.
    fn collect_oldest(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        for (index, shard) in self.shards.iter().enumerate() {
            if self.ready[index].is_none() {
                let output = shard
                    .output
                    .recv()
                    .map_err(|_| anyhow!("shard thread {index} stopped"))?;
                self.ready[index] = Some(output);
            }
        }
        self.merge_oldest(sink)
    }

    /// Writes the oldest job's events in (completion, shard) order and recycles its batch.
    fn merge_oldest(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let outputs: Vec<ShardOutput> = self.ready.iter_mut().filter_map(Option::take).collect();
        if let Some(Some(batch)) = self.in_flight.pop_front() {
            // Shards drop their references before they send a result, so this is the last one.
            if let Ok(mut batch) = Arc::try_unwrap(batch) {
                batch.clear();
                self.spare.push(batch);
            }
        }
        for (index, output) in outputs.iter().enumerate() {
            self.pairing[index] = output.pairing.clone();
            self.counts.ignored_outgoing += output.events.ignored_outgoing;
            self.counts.empty += output.events.empty;
        }
        let merged = merge(&outputs, sink);
        for (shard, output) in self.shards.iter().zip(outputs) {
            // A full or closed queue drops the buffers, which only costs an allocation.
            let _ = shard.spare.try_send(output);
        }
        merged
    }
}

/// Passes the events of `outputs` to `sink` in (completion, shard index) order. Each shard's
/// events are already in completion order.
fn merge(
    outputs: &[ShardOutput],
    sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut cursors = vec![0usize; outputs.len()];
    loop {
        let mut next: Option<(Completion, usize)> = None;
        for (shard, output) in outputs.iter().enumerate() {
            if let Some(&completion) = output.completions.get(cursors[shard]) {
                if next.is_none_or(|(best, _)| completion < best) {
                    next = Some((completion, shard));
                }
            }
        }
        let Some((_, shard)) = next else {
            return Ok(());
        };
        sink(outputs[shard].events.event(cursors[shard]))?;
        cursors[shard] += 1;
    }
}

impl Drop for ShardPool {
    fn drop(&mut self) {
        for shard in &mut self.shards {
            shard.input = None;
        }
        for shard in &mut self.shards {
            if let Some(thread) = shard.thread.take() {
                if thread.join().is_err() {
                    tracing::error!("a shard thread panicked; its events were lost");
                }
            }
        }
    }
}

fn shard_loop(mut sensor: ShardSensor, builder: &EventBuilder, queues: &ShardQueues) {
    while let Ok(job) = queues.jobs.recv() {
        let mut output = queues.spares.try_recv().unwrap_or_default();
        output.events.clear();
        output.completions.clear();
        let mut sink = |completion, transaction| {
            if output.events.encode(builder, &transaction) {
                output.completions.push(completion);
            }
        };
        match job {
            Job::Batch(batch) => sensor.process_batch(&batch, &mut sink),
            Job::Finish => sensor.finish(&mut sink),
        }
        output.pairing = sensor.pairing_stats().clone();
        if queues.results.send(output).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use dnstel_packet::Timestamp;
    use dnstel_sensor::Phase;

    use super::*;

    /// Builds a shard result whose events are their own labels.
    fn output(events: &[(u64, Phase, &str)]) -> ShardOutput {
        let mut result = ShardOutput::default();
        for &(packet, phase, label) in events {
            result.events.bytes.extend_from_slice(label.as_bytes());
            result.events.ends.push(result.events.bytes.len());
            result.completions.push(Completion {
                packet,
                phase,
                age: Timestamp::default(),
            });
        }
        result
    }

    #[test]
    fn merge_orders_by_completion_then_shard() {
        let outputs = [
            output(&[
                (1, Phase::Paired, "a1"),
                (3, Phase::Expired, "a3-expired"),
                (9, Phase::Paired, "a9"),
            ]),
            output(&[
                (2, Phase::Paired, "b2"),
                (3, Phase::Expired, "b3-expired"),
                (3, Phase::Paired, "b3"),
            ]),
        ];
        let mut written = Vec::new();
        merge(&outputs, &mut |event| {
            written.push(String::from_utf8_lossy(event).into_owned());
            Ok(())
        })
        .expect("sink never fails");
        assert_eq!(
            written,
            ["a1", "b2", "a3-expired", "b3-expired", "b3", "a9"]
        );
    }
}
