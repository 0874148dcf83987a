//! The capture workers of `capture --workers N` and `run --workers N` with N above one.
//!
//! Each worker thread owns one AF_PACKET socket of a fanout group (the kernel hashes each flow
//! to one socket, both directions alike, and reassembles fragments first) and runs its own
//! sensor and event encoder. Encoded events go through one bounded queue to the thread that
//! writes them. A worker never waits on that queue while capturing: when it is full, the batch
//! is dropped, counted in `dropped_events` and logged at most once per
//! [`DROP_WARNING_INTERVAL`], because waiting would only move the loss to the kernel ring.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use dnstel_capture::{CaptureStats, LiveCapture};
use dnstel_event::EventBuilder;
use dnstel_packet::DefragStats;
use dnstel_pairing::PairingStats;
use dnstel_sensor::{add_defrag_stats, add_pairing_stats, add_sensor_stats, Sensor, SensorStats};
use tracing::{info, warn};

use super::encoded::EncodedBatch;
use super::{EventCounts, QueueStats};

/// Event batches waiting for the writer, over all workers.
pub const WRITER_QUEUE_BATCHES: usize = 256;
/// Events after which a worker sends its batch.
pub const EVENTS_PER_BATCH: usize = 128;
/// Time after which a worker sends a batch that is not full, so light traffic is written
/// promptly.
pub const SEND_INTERVAL: Duration = Duration::from_millis(100);
/// How often a worker publishes its counters.
const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);
/// Minimum time between two warnings of one worker about dropped events.
pub const DROP_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// The counters one worker publishes.
#[derive(Debug, Clone, Default)]
pub struct WorkerCounters {
    /// Decoding and reassembly.
    pub sensor: SensorStats,
    /// Pairing.
    pub pairing: PairingStats,
    /// IP reassembly.
    pub defrag: DefragStats,
    /// Transactions the encoder skipped; `written` stays zero (the writer counts it).
    pub skipped: EventCounts,
    /// The worker's socket.
    pub capture: CaptureStats,
    /// Batches sent to the writer.
    pub batches: u64,
}

/// Settings every worker shares.
pub struct WorkerSettings<'a> {
    /// Set to stop: each worker then processes what is left in its ring, for at most
    /// `drain_limit`, closes its open transactions and sends their events.
    pub stop: &'a Arc<AtomicBool>,
    /// How long one wait for a packet lasts before timers and the stop flag are checked.
    pub poll_timeout: Duration,
    /// Maximum time spent at stop on frames already in the ring.
    pub drain_limit: Duration,
}

/// The running workers and the receiving end of their event queue.
pub struct WorkerSet {
    threads: Vec<JoinHandle<anyhow::Result<()>>>,
    events: Receiver<EncodedBatch>,
    slots: Arc<Vec<Mutex<WorkerCounters>>>,
    dropped: Arc<AtomicU64>,
}

impl WorkerSet {
    /// Starts one worker per capture socket, each with its own sensor from `sensors` and its
    /// own copy of `builder`.
    ///
    /// # Errors
    /// Returns an error when a thread cannot be started.
    pub fn start(
        captures: Vec<LiveCapture>,
        sensors: Vec<Sensor>,
        builder: &EventBuilder,
        settings: &WorkerSettings<'_>,
    ) -> anyhow::Result<WorkerSet> {
        let (sender, events) = sync_channel::<EncodedBatch>(WRITER_QUEUE_BATCHES);
        let slots: Arc<Vec<Mutex<WorkerCounters>>> = Arc::new(
            (0..captures.len())
                .map(|_| Mutex::new(WorkerCounters::default()))
                .collect(),
        );
        let dropped = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::with_capacity(captures.len());
        for (index, (capture, sensor)) in captures.into_iter().zip(sensors).enumerate() {
            let worker = Worker {
                index,
                capture,
                sensor,
                builder: builder.clone(),
                queue: sender.clone(),
                slots: Arc::clone(&slots),
                dropped: Arc::clone(&dropped),
                stop: Arc::clone(settings.stop),
                poll_timeout: settings.poll_timeout,
                drain_limit: settings.drain_limit,
                batch: EncodedBatch::default(),
                batches: 0,
                last_drop_warning: None,
            };
            let thread = std::thread::Builder::new()
                .name(format!("dnstel-capture-{index}"))
                .spawn(move || worker.run())
                .context("failed to start a capture worker thread")?;
            threads.push(thread);
        }
        Ok(WorkerSet {
            threads,
            events,
            slots,
            dropped,
        })
    }

    /// Waits up to `timeout` for a batch of events. Returns `Ok(None)` on timeout and
    /// `Err(())` once every worker has ended and the queue is empty.
    pub fn next_batch(&self, timeout: Duration) -> Result<Option<EncodedBatch>, ()> {
        match self.events.recv_timeout(timeout) {
            Ok(batch) => Ok(Some(batch)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(()),
        }
    }

    /// Returns the counters of every worker, summed, and the queue counters.
    pub fn counters(&self) -> (WorkerCounters, QueueStats) {
        let mut total = WorkerCounters::default();
        for slot in self.slots.iter() {
            let worker = slot.lock().unwrap_or_else(PoisonError::into_inner);
            add_sensor_stats(&mut total.sensor, &worker.sensor);
            add_pairing_stats(&mut total.pairing, &worker.pairing);
            add_defrag_stats(&mut total.defrag, &worker.defrag);
            total.skipped.ignored_outgoing += worker.skipped.ignored_outgoing;
            total.skipped.empty += worker.skipped.empty;
            add_capture_stats(&mut total.capture, &worker.capture);
            total.batches += worker.batches;
        }
        let queues = QueueStats {
            batches: total.batches,
            dropped_events: self.dropped.load(Ordering::Relaxed),
            ..QueueStats::default()
        };
        (total, queues)
    }

    /// Waits for every worker to end and returns the first error one of them hit.
    ///
    /// # Errors
    /// Returns a worker's capture error, or an error when a worker panicked.
    pub fn join(self) -> anyhow::Result<()> {
        let mut first_error = None;
        for (index, thread) in self.threads.into_iter().enumerate() {
            let result = thread
                .join()
                .unwrap_or_else(|_| Err(anyhow!("capture worker {index} panicked")));
            if let Err(error) = result {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// One capture worker: its socket, sensor and encoder.
struct Worker {
    index: usize,
    capture: LiveCapture,
    sensor: Sensor,
    builder: EventBuilder,
    queue: SyncSender<EncodedBatch>,
    slots: Arc<Vec<Mutex<WorkerCounters>>>,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    poll_timeout: Duration,
    drain_limit: Duration,
    batch: EncodedBatch,
    batches: u64,
    last_drop_warning: Option<Instant>,
}

impl Worker {
    fn run(mut self) -> anyhow::Result<()> {
        self.capture.set_stop_flag(Arc::clone(&self.stop));
        let result = self.capture_until_stop();
        if result.is_err() {
            // One failed socket ends the whole capture, as with a single worker.
            self.stop.store(true, Ordering::Relaxed);
        }
        // Even after a capture error, what is already paired is closed and sent.
        self.sensor.finish();
        self.encode_completed();
        self.send_final();
        self.publish();
        let capture = self.capture.stats();
        info!(
            worker = self.index,
            frames = self.sensor.stats().frames,
            packets = capture.packets,
            kernel_drops = capture.drops,
            "capture worker stopped"
        );
        result
    }

    fn capture_until_stop(&mut self) -> anyhow::Result<()> {
        let mut last_send = Instant::now();
        let mut last_publish = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            let frame = self
                .capture
                .next_frame(self.poll_timeout)
                .context("live capture failed")?;
            match frame {
                Some(frame) => self.sensor.process_frame(&frame),
                None => self.sensor.advance(crate::capture::wall_clock()),
            }
            self.encode_completed();
            let due = last_send.elapsed() >= SEND_INTERVAL;
            if self.batch.len() >= EVENTS_PER_BATCH || (due && !self.batch.is_empty()) {
                self.try_send();
                last_send = Instant::now();
            }
            if last_publish.elapsed() >= PUBLISH_INTERVAL {
                self.publish();
                last_publish = Instant::now();
            }
        }
        let sensor = &mut self.sensor;
        crate::capture::drain_ring(&mut self.capture, self.drain_limit, &mut |frame| {
            sensor.process_frame(frame);
            Ok(())
        })?;
        Ok(())
    }

    fn encode_completed(&mut self) {
        let mut drain = self.sensor.drain();
        while let Some(transaction) = drain.next_boxed() {
            self.batch.encode(&self.builder, &transaction);
        }
    }

    /// Hands the batch to the writer, or drops and counts it when the queue is full.
    fn try_send(&mut self) {
        let batch = self.take_batch();
        match self.queue.try_send(batch) {
            Ok(()) => self.batches += 1,
            Err(TrySendError::Full(batch)) => self.count_drop(&batch),
            Err(TrySendError::Disconnected(batch)) => self.count_drop(&batch),
        }
    }

    /// Sends the last batch at stop, waiting for room: nothing is captured any more, so
    /// waiting loses nothing.
    fn send_final(&mut self) {
        let batch = self.take_batch();
        if !batch.is_empty() {
            match self.queue.send(batch) {
                Ok(()) => self.batches += 1,
                Err(error) => self.count_drop(&error.0),
            }
        }
    }

    /// Takes the batch to send and adds its skipped transactions to the published counters,
    /// which count them whether or not the batch reaches the writer.
    fn take_batch(&mut self) -> EncodedBatch {
        let batch = std::mem::take(&mut self.batch);
        let mut slot = self.slots[self.index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slot.skipped.ignored_outgoing += batch.ignored_outgoing;
        slot.skipped.empty += batch.empty;
        batch
    }

    fn count_drop(&mut self, batch: &EncodedBatch) {
        let events = batch.len() as u64;
        let total = self.dropped.fetch_add(events, Ordering::Relaxed) + events;
        let due = self
            .last_drop_warning
            .is_none_or(|last| last.elapsed() >= DROP_WARNING_INTERVAL);
        if due && events > 0 {
            warn!(
                worker = self.index,
                dropped_events = total,
                "the event writer fell behind; events were dropped"
            );
            self.last_drop_warning = Some(Instant::now());
        }
    }

    /// Copies this worker's counters into its slot.
    fn publish(&self) {
        let capture = self.capture.stats();
        let mut slot = self.slots[self.index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slot.sensor = *self.sensor.stats();
        slot.pairing = self.sensor.pairing_stats().clone();
        slot.defrag = self.sensor.defrag_stats();
        slot.capture = capture;
        slot.batches = self.batches;
    }
}

/// Adds the capture counters of one socket to `total`.
fn add_capture_stats(total: &mut CaptureStats, other: &CaptureStats) {
    total.packets += other.packets;
    total.drops += other.drops;
    total.freeze_queue_count += other.freeze_queue_count;
    total.loopback_duplicates += other.loopback_duplicates;
    total.malformed_ring_entries += other.malformed_ring_entries;
}
