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
//! yet merged. When the limit is reached, the caller waits for the oldest batch, so reading a
//! file never drops an event. A shard sends a job's events in parts of at most [`PART_EVENTS`],
//! and the caller merges the parts as they arrive, so one job that closes many transactions
//! at once (the end of input, a clock reset) never holds all their events in memory. A shard
//! whose result queue is full waits until the caller has merged a part.

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

/// Events per part of a shard's result.
pub const PART_EVENTS: usize = 256;

/// Packets per batch.
pub const BATCH_PACKETS: usize = 1024;

/// Payload bytes after which a batch is sent even when it has fewer than [`BATCH_PACKETS`].
pub const MAX_BATCH_BYTES: usize = 1 << 20;

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
    /// The shard's pairing counters after the job; set in the last part only.
    pairing: PairingStats,
    /// Whether this is the job's last part.
    last: bool,
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

    /// Writes the oldest job's events in (completion, shard) order, receiving further parts of
    /// each shard's result as the earlier ones run out, and recycles the batch and the parts.
    fn merge_oldest(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut outputs: Vec<ShardOutput> =
            self.ready.iter_mut().filter_map(Option::take).collect();
        let shards = &self.shards;
        // A full or closed queue drops the buffers, which only costs an allocation.
        let mut recycle = |index: usize, output: ShardOutput| {
            let _ = shards[index].spare.try_send(output);
        };
        let mut next_part = |index: usize| {
            shards[index]
                .output
                .recv()
                .map_err(|_| anyhow!("shard thread {index} stopped"))
        };
        let mut account = |output: &ShardOutput, index: usize| {
            self.counts.ignored_outgoing += output.events.ignored_outgoing;
            self.counts.empty += output.events.empty;
            if output.last {
                self.pairing[index] = output.pairing.clone();
            }
        };
        for (index, output) in outputs.iter().enumerate() {
            account(output, index);
        }
        let merged = merge(
            &mut outputs,
            &mut next_part,
            &mut |output, index| account(output, index),
            &mut recycle,
            sink,
        );
        for (index, output) in outputs.into_iter().enumerate() {
            recycle(index, output);
        }
        if let Some(Some(batch)) = self.in_flight.pop_front() {
            // Shards drop their references before they send their last part, so after a
            // complete merge this is the last one.
            if let Ok(mut batch) = Arc::try_unwrap(batch) {
                batch.clear();
                self.spare.push(batch);
            }
        }
        merged
    }
}

/// Passes the events of `outputs` to `sink` in (completion, shard index) order. Each shard's
/// events are in completion order across its parts. When a part that is not its job's last
/// runs out, the next one comes from `next_part` and goes through `received`, and the spent
/// part goes to `recycle` with its shard index, so at most one part per shard is held.
fn merge(
    outputs: &mut [ShardOutput],
    next_part: &mut impl FnMut(usize) -> anyhow::Result<ShardOutput>,
    received: &mut impl FnMut(&ShardOutput, usize),
    recycle: &mut impl FnMut(usize, ShardOutput),
    sink: &mut impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut cursors = vec![0usize; outputs.len()];
    loop {
        for shard in 0..outputs.len() {
            while cursors[shard] >= outputs[shard].completions.len() && !outputs[shard].last {
                let part = next_part(shard)?;
                received(&part, shard);
                recycle(shard, std::mem::replace(&mut outputs[shard], part));
                cursors[shard] = 0;
            }
        }
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
    let fresh_part = || {
        let mut output = queues.spares.try_recv().unwrap_or_default();
        output.events.clear();
        output.completions.clear();
        output.last = false;
        output
    };
    while let Ok(job) = queues.jobs.recv() {
        let mut output = fresh_part();
        let mut stopped = false;
        let mut sink = |completion, transaction| {
            if stopped {
                return;
            }
            if output.events.encode(builder, &transaction) {
                output.completions.push(completion);
            }
            if output.completions.len() >= PART_EVENTS {
                let full = std::mem::replace(&mut output, fresh_part());
                stopped = queues.results.send(full).is_err();
            }
        };
        match job {
            Job::Batch(batch) => sensor.process_batch(&batch, &mut sink),
            Job::Finish => sensor.finish(&mut sink),
        }
        if stopped {
            return;
        }
        output.pairing = sensor.pairing_stats().clone();
        output.last = true;
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

    /// Builds the last part of a shard result whose events are their own labels.
    fn output(events: &[(u64, Phase, &str)]) -> ShardOutput {
        let mut result = ShardOutput {
            last: true,
            ..ShardOutput::default()
        };
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
        let mut outputs = [
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
        let written = merge_all(&mut outputs, Vec::new());
        assert_eq!(
            written,
            ["a1", "b2", "a3-expired", "b3-expired", "b3", "a9"]
        );
    }

    /// Merges `outputs`, taking further parts from `parts` (shard index, part) in order, and
    /// returns the events written.
    fn merge_all(outputs: &mut [ShardOutput], parts: Vec<(usize, ShardOutput)>) -> Vec<String> {
        let mut parts = std::collections::VecDeque::from(parts);
        let mut written = Vec::new();
        let mut next_part = |shard: usize| {
            let (expected, part) = parts.pop_front().expect("a further part is available");
            assert_eq!(expected, shard, "parts are requested in the order given");
            Ok(part)
        };
        merge(
            outputs,
            &mut next_part,
            &mut |_, _| {},
            &mut |_, _| {},
            &mut |event| {
                written.push(String::from_utf8_lossy(event).into_owned());
                Ok(())
            },
        )
        .expect("sink never fails");
        written
    }

    #[test]
    fn merge_streams_parts() {
        let mut first = output(&[(1, Phase::Paired, "a1"), (4, Phase::Paired, "a4")]);
        first.last = false;
        let mut outputs = [
            first,
            output(&[(2, Phase::Paired, "b2"), (6, Phase::Paired, "b6")]),
        ];
        let parts = vec![(
            0,
            output(&[(5, Phase::Paired, "a5"), (7, Phase::Paired, "a7")]),
        )];
        let written = merge_all(&mut outputs, parts);
        assert_eq!(written, ["a1", "b2", "a4", "a5", "b6", "a7"]);
    }
}
