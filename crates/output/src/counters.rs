//! Counters every output keeps, readable from other threads.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one output. Share it with a metrics reader through `Arc`.
#[derive(Debug, Default)]
pub struct OutputCounters {
    events_written: AtomicU64,
    bytes_written: AtomicU64,
    rotations: AtomicU64,
    write_errors: AtomicU64,
    oversize_events: AtomicU64,
    lost_events: AtomicU64,
}

/// A point-in-time copy of [`OutputCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputStats {
    /// Events accepted by the output (buffered or written).
    pub events_written: u64,
    /// Bytes accepted, newline included, after the codec.
    pub bytes_written: u64,
    /// File rotations, the startup rotation included.
    pub rotations: u64,
    /// Events or flushes that failed with an error.
    pub write_errors: u64,
    /// Events larger than the rotation size, written to a file of their own.
    pub oversize_events: u64,
    /// Events accepted into the write buffer that a later failed write lost. They are also
    /// counted in `events_written`.
    pub lost_events: u64,
}

impl OutputCounters {
    /// Returns the current values.
    pub fn snapshot(&self) -> OutputStats {
        OutputStats {
            events_written: self.events_written.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            rotations: self.rotations.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
            oversize_events: self.oversize_events.load(Ordering::Relaxed),
            lost_events: self.lost_events.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add_event(&self, bytes: usize) {
        self.events_written.fetch_add(1, Ordering::Relaxed);
        self.bytes_written
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_rotation(&self) {
        self.rotations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_write_error(&self) {
        self.write_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_oversize_event(&self) {
        self.oversize_events.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_lost_events(&self, events: u64) {
        self.lost_events.fetch_add(events, Ordering::Relaxed);
    }
}
