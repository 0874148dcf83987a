//! The writer side of a capture with several workers: the calling thread takes encoded events
//! from the workers' bounded queue and writes them, and handles SIGHUP, flushing, counters and
//! the stats line while the workers capture.

use std::time::Instant;

use anyhow::Context;
use dnstel_output::Output;
use dnstel_sensor::Sensor;
use tracing::info;

use super::{
    log_capture_stats, publish_counters, KernelDropWarning, LiveSensor, LoopOps, DRAIN_LIMIT,
    FLUSH_INTERVAL, POLL_TIMEOUT,
};
use crate::exit::config_error;
use crate::ops::stats::{self, Every, PUBLISH_INTERVAL};
use crate::sensor::encoded::EncodedBatch;
use crate::sensor::live_workers::{WorkerSet, WorkerSettings};
use crate::sensor::{EventCounts, EventTap, PipelineCounters};

/// Writes the workers' events to the output and the tap.
struct Writer {
    output: Box<dyn Output>,
    tap: Option<EventTap>,
    written: u64,
}

impl Writer {
    fn write(&mut self, batch: &EncodedBatch) -> anyhow::Result<()> {
        for event in batch.events() {
            self.output
                .write_event(event)
                .context("failed to write an event")?;
            self.written += 1;
            if let Some(tap) = &mut self.tap {
                tap(event);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.output
            .flush()
            .context("failed to flush the event output")
    }
}

/// Runs the workers of `live` until a stop is requested and every worker has sent its last
/// events, writing them as they come.
///
/// # Errors
/// Returns the first write error, or the first capture error of a worker.
pub fn run(live: LiveSensor, ops: &LoopOps<'_>) -> anyhow::Result<()> {
    let LiveSensor {
        captures,
        options,
        builder,
        output,
        tap,
    } = live;
    let sensors = captures
        .iter()
        .map(|_| Sensor::new(options.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(config_error)?;
    let settings = WorkerSettings {
        stop: &ops.signals.stop,
        poll_timeout: POLL_TIMEOUT,
        drain_limit: DRAIN_LIMIT,
    };
    let workers = WorkerSet::start(captures, sensors, &builder, &settings)?;
    let mut writer = Writer {
        output,
        tap,
        written: 0,
    };
    let written = write_until_done(&workers, &mut writer, ops);
    if written.is_err() {
        // Stop the workers and empty the queue, so none waits forever on its last send.
        ops.signals
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        while workers.next_batch(POLL_TIMEOUT).is_ok() {}
    }
    let flushed = writer.flush();
    let counters = counters(&workers, &writer);
    let capture_stats = workers.counters().0.capture;
    let joined = workers.join();
    counters.log_summary();
    log_capture_stats(&capture_stats);
    publish_counters(ops.registry, &counters, &capture_stats, ops.output);
    written?;
    joined?;
    flushed
}

/// Writes batches until every worker has ended (they end after a stop request).
fn write_until_done(
    workers: &WorkerSet,
    writer: &mut Writer,
    ops: &LoopOps<'_>,
) -> anyhow::Result<()> {
    let mut last_flush = Instant::now();
    let mut kernel_drops = KernelDropWarning::new();
    let mut publish = Every::new(PUBLISH_INTERVAL);
    let mut stats_line = Every::new(ops.stats_interval);
    let mut stopping = false;
    loop {
        if !stopping && ops.signals.stop_requested() {
            stopping = true;
            info!("stop requested, the workers read the frames already captured");
        }
        if ops.take_reload() {
            writer.flush()?;
        }
        match workers.next_batch(POLL_TIMEOUT) {
            Ok(Some(batch)) => writer.write(&batch)?,
            Ok(None) => {
                writer.flush()?;
                last_flush = Instant::now();
            }
            Err(()) => break,
        }
        if last_flush.elapsed() >= FLUSH_INTERVAL {
            writer.flush()?;
            last_flush = Instant::now();
        }
        kernel_drops.check(|| workers.counters().0.capture.drops);
        if publish.due() {
            let (worker_counters, _) = workers.counters();
            publish_counters(
                ops.registry,
                &counters(workers, writer),
                &worker_counters.capture,
                ops.output,
            );
        }
        if stats_line.due() {
            stats::log_stats(&ops.registry.snapshot(), "stats");
        }
    }
    info!("every capture worker has stopped");
    Ok(())
}

/// Collects the counters of the workers and the writer.
fn counters(workers: &WorkerSet, writer: &Writer) -> PipelineCounters {
    let (total, queues) = workers.counters();
    PipelineCounters {
        sensor: total.sensor,
        pairing: total.pairing,
        defrag: total.defrag,
        events: EventCounts {
            written: writer.written,
            ..total.skipped
        },
        queues: Some(queues),
        output: writer.output.stats(),
    }
}
