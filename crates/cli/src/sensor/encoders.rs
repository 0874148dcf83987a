//! Event encoding on worker threads, with bounded queues and results in submission order.
//!
//! The caller submits batches of completed transactions. Batch number `n` goes to worker
//! `n % workers`, and the caller collects results from the workers in the same rotation. The
//! events therefore come back in the order the sensor completed them, so output with N workers
//! is byte-identical to output with one.
//!
//! Every queue is a bounded channel. At most [`MAX_IN_FLIGHT`] batches are submitted and not
//! yet collected, so no channel can hold more than that and no send ever blocks. When the limit
//! is reached, [`QueuePolicy::Block`] waits for the oldest batch (reading a file never loses an
//! event) and [`QueuePolicy::Drop`] drops the new batch unless the oldest is already done, and
//! counts the dropped transactions.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

use dnstel_event::{EventBuilder, Skipped};
use dnstel_pairing::Transaction;

/// Batches submitted but not yet collected, over all workers.
pub const MAX_IN_FLIGHT: usize = 64;

/// Transactions per batch; a partial batch is submitted on `flush`, `advance` and `finish`.
pub const BATCH_TRANSACTIONS: usize = 256;

/// Behaviour of [`EncoderPool::submit`] when [`MAX_IN_FLIGHT`] batches are waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueuePolicy {
    /// Wait for the oldest batch (back-pressure to the packet source). Right for files.
    #[default]
    Block,
    /// Drop the new batch and count it. For live capture, where waiting only moves the loss to
    /// the kernel ring.
    // NOTE: no command selects this yet because live capture encodes on its capture thread.
    #[cfg_attr(not(test), allow(dead_code))]
    Drop,
}

/// Counters of the encoding queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Batches handed to the workers.
    pub batches: u64,
    /// Transactions dropped because every queue slot was taken (policy [`QueuePolicy::Drop`]).
    pub dropped_transactions: u64,
    /// Times the caller waited for a worker because every queue slot was taken.
    pub full_waits: u64,
    /// Highest number of batches in flight seen.
    pub max_in_flight: u64,
}

/// The encoded events of one batch.
#[derive(Debug, Default)]
pub struct EncodedBatch {
    /// Events as compact JSON, one after the other.
    pub bytes: Vec<u8>,
    /// End offset in `bytes` of each event.
    pub ends: Vec<usize>,
    /// Transactions skipped by `ignore_outgoing`.
    pub ignored_outgoing: u64,
    /// Transactions with neither a query nor a response.
    pub empty: u64,
}

impl EncodedBatch {
    /// Empties the batch and keeps its buffers.
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.ignored_outgoing = 0;
        self.empty = 0;
    }

    /// Iterates over the events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.bytes[start..end])
    }
}

struct Worker {
    input: Option<SyncSender<Vec<Transaction>>>,
    output: Receiver<EncodedBatch>,
    /// Written batches going back for reuse, so their buffers are not allocated per batch.
    spare: SyncSender<EncodedBatch>,
    thread: Option<JoinHandle<()>>,
}

/// Encoder threads fed through bounded queues.
pub struct EncoderPool {
    workers: Vec<Worker>,
    /// Emptied transaction batches coming back from the workers for reuse.
    empty_batches: Receiver<Vec<Transaction>>,
    /// Worker index of each batch in flight, oldest first.
    in_flight: VecDeque<usize>,
    next_worker: usize,
    policy: QueuePolicy,
    stats: QueueStats,
}

impl EncoderPool {
    /// Starts `workers` encoder threads, each with its own copy of `builder`.
    ///
    /// # Errors
    /// Returns the error of a thread that could not be started.
    pub fn start(
        workers: usize,
        builder: &EventBuilder,
        policy: QueuePolicy,
    ) -> std::io::Result<EncoderPool> {
        let mut started = Vec::with_capacity(workers);
        let (empty_sender, empty_batches) = sync_channel::<Vec<Transaction>>(MAX_IN_FLIGHT);
        for index in 0..workers.max(1) {
            let (input, batches) = sync_channel::<Vec<Transaction>>(MAX_IN_FLIGHT);
            let (results, output) = sync_channel::<EncodedBatch>(MAX_IN_FLIGHT);
            let (spare, spares) = sync_channel::<EncodedBatch>(MAX_IN_FLIGHT);
            let builder = builder.clone();
            let queues = WorkerQueues {
                batches,
                results,
                spares,
                empty_batches: empty_sender.clone(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("dnstel-encode-{index}"))
                .spawn(move || encode_loop(&builder, &queues))?;
            started.push(Worker {
                input: Some(input),
                output,
                spare,
                thread: Some(thread),
            });
        }
        Ok(EncoderPool {
            workers: started,
            empty_batches,
            in_flight: VecDeque::with_capacity(MAX_IN_FLIGHT),
            next_worker: 0,
            policy,
            stats: QueueStats::default(),
        })
    }

    /// The queue counters.
    pub fn stats(&self) -> QueueStats {
        self.stats
    }

    /// Returns an empty transaction batch, reusing one a worker finished with when there is one.
    pub fn empty_batch(&self) -> Vec<Transaction> {
        self.empty_batches
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH_TRANSACTIONS))
    }

    /// Hands a batch to the next worker. When the queues are full it first waits for the oldest
    /// batch (or drops this one, per policy); finished batches go to `sink` in order.
    ///
    /// # Errors
    /// Returns the first error of `sink`.
    pub fn submit<E>(
        &mut self,
        batch: Vec<Transaction>,
        sink: &mut impl FnMut(&EncodedBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            self.collect_ready(sink)?;
        }
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            match self.policy {
                QueuePolicy::Block => {
                    self.stats.full_waits += 1;
                    self.collect_oldest(sink)?;
                }
                QueuePolicy::Drop => {
                    self.stats.dropped_transactions += batch.len() as u64;
                    return Ok(());
                }
            }
        }
        let index = self.next_worker;
        self.next_worker = (self.next_worker + 1) % self.workers.len();
        let sent = self.workers[index]
            .input
            .as_ref()
            .is_some_and(|input| input.send(batch).is_ok());
        if sent {
            self.in_flight.push_back(index);
            self.stats.batches += 1;
            self.stats.max_in_flight = self.stats.max_in_flight.max(self.in_flight.len() as u64);
        }
        Ok(())
    }

    /// Passes every batch that is already encoded, in order, to `sink` without waiting.
    ///
    /// # Errors
    /// Returns the first error of `sink`.
    pub fn collect_ready<E>(
        &mut self,
        sink: &mut impl FnMut(&EncodedBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(&index) = self.in_flight.front() {
            match self.workers[index].output.try_recv() {
                Ok(batch) => {
                    self.in_flight.pop_front();
                    let result = sink(&batch);
                    self.recycle(index, batch);
                    result?;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.in_flight.pop_front();
                }
            }
        }
        Ok(())
    }

    /// Waits for every batch in flight and passes them, in order, to `sink`.
    ///
    /// # Errors
    /// Returns the first error of `sink`.
    pub fn collect_all<E>(
        &mut self,
        sink: &mut impl FnMut(&EncodedBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        while !self.in_flight.is_empty() {
            self.collect_oldest(sink)?;
        }
        Ok(())
    }

    fn collect_oldest<E>(
        &mut self,
        sink: &mut impl FnMut(&EncodedBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(index) = self.in_flight.pop_front() else {
            return Ok(());
        };
        // A closed channel means the worker thread panicked; its batch is lost and the panic
        // is reported when the pool is dropped.
        match self.workers[index].output.recv() {
            Ok(batch) => {
                let result = sink(&batch);
                self.recycle(index, batch);
                result
            }
            Err(_) => Ok(()),
        }
    }

    /// Hands a written batch back to its worker for reuse; a full or closed queue drops it.
    fn recycle(&self, index: usize, batch: EncodedBatch) {
        let _ = self.workers[index].spare.try_send(batch);
    }
}

impl Drop for EncoderPool {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            worker.input = None;
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                if thread.join().is_err() {
                    tracing::error!("an event encoder thread panicked; its events were lost");
                }
            }
        }
    }
}

/// The channels of one encoder thread.
struct WorkerQueues {
    batches: Receiver<Vec<Transaction>>,
    results: SyncSender<EncodedBatch>,
    spares: Receiver<EncodedBatch>,
    empty_batches: SyncSender<Vec<Transaction>>,
}

fn encode_loop(builder: &EventBuilder, queues: &WorkerQueues) {
    while let Ok(mut batch) = queues.batches.recv() {
        let mut encoded = match queues.spares.try_recv() {
            Ok(mut spare) => {
                spare.clear();
                spare
            }
            Err(_) => EncodedBatch {
                bytes: Vec::with_capacity(batch.len() * 2048),
                ends: Vec::with_capacity(batch.len()),
                ..EncodedBatch::default()
            },
        };
        for transaction in &batch {
            // `encode` appends a whole line or nothing; the newline is cut so `bytes` holds
            // the events back to back.
            match builder.encode(transaction, &mut encoded.bytes) {
                Ok(()) => {
                    if encoded.bytes.last() == Some(&b'\n') {
                        encoded.bytes.pop();
                    }
                    encoded.ends.push(encoded.bytes.len());
                }
                Err(Skipped::IgnoredOutgoing) => encoded.ignored_outgoing += 1,
                Err(Skipped::NoMessage) => encoded.empty += 1,
            }
        }
        batch.clear();
        let _ = queues.empty_batches.try_send(batch);
        if queues.results.send(encoded).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use dnstel_event::{AgentIdentity, EventOptions};
    use dnstel_sensor::{Sensor, SensorOptions};

    use super::*;

    /// Transactions of a small fixture capture, repeated to fill many batches.
    fn transactions(copies: usize) -> Vec<Transaction> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/live-lo.pcap");
        let mut reader = dnstel_pcap::open(&path).expect("fixture capture opens");
        let mut sensor = Sensor::new(SensorOptions::default()).expect("default options are valid");
        while let Some(frame) = reader.next_frame().expect("fixture capture reads") {
            sensor.process_frame(&frame);
        }
        sensor.finish();
        let once: Vec<Transaction> = sensor.drain().collect();
        assert!(!once.is_empty(), "the fixture has transactions");
        once.iter()
            .cycle()
            .take(once.len() * copies)
            .cloned()
            .collect()
    }

    fn builder() -> EventBuilder {
        let agent = AgentIdentity {
            id: "agent".to_owned(),
            ephemeral_id: "ephemeral".to_owned(),
            hostname: "host".to_owned(),
        };
        EventBuilder::new(&EventOptions::new("0.1.0", agent)).expect("default options are valid")
    }

    fn sequential(builder: &EventBuilder, all: &[Transaction]) -> Vec<u8> {
        let mut out = Vec::new();
        for transaction in all {
            let _ = builder.encode(transaction, &mut out);
        }
        out
    }

    fn pooled(pool: &mut EncoderPool, all: &[Transaction]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut sink = |batch: &EncodedBatch| -> Result<(), ()> {
            for event in batch.events() {
                out.extend_from_slice(event);
                out.push(b'\n');
            }
            Ok(())
        };
        for chunk in all.chunks(7) {
            pool.submit(chunk.to_vec(), &mut sink)
                .expect("sink never fails");
        }
        pool.collect_all(&mut sink).expect("sink never fails");
        out
    }

    #[test]
    fn pool_keeps_submission_order() {
        let all = transactions(200);
        let builder = builder();
        let mut pool = EncoderPool::start(3, &builder, QueuePolicy::Block).expect("threads start");
        let encoded = pooled(&mut pool, &all);
        assert!(encoded == sequential(&builder, &all), "pool output differs");
        assert_eq!(pool.stats().dropped_transactions, 0);
        assert!(pool.stats().max_in_flight <= MAX_IN_FLIGHT as u64);
    }

    #[test]
    fn drop_policy_counts_every_loss() {
        let all = transactions(400);
        let builder = builder();
        let mut pool = EncoderPool::start(2, &builder, QueuePolicy::Drop).expect("threads start");
        let encoded = pooled(&mut pool, &all);
        let lines = encoded.iter().filter(|&&byte| byte == b'\n').count() as u64;
        let stats = pool.stats();
        assert!(stats.max_in_flight <= MAX_IN_FLIGHT as u64);
        assert_eq!(lines + stats.dropped_transactions, all.len() as u64);
    }
}
