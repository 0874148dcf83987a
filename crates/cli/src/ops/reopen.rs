//! An event output wrapper that reopens its file on request (SIGHUP) and publishes the output
//! counters, without changing the pipeline that owns the output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dnstel_output::{Output, OutputError, OutputStats};
use tracing::{info, warn};

/// State shared between the wrapper inside the pipeline and the loop that drives it.
#[derive(Debug, Default)]
pub struct OutputHandle {
    reopen: Arc<AtomicBool>,
    stats: Mutex<OutputStats>,
}

impl OutputHandle {
    /// Returns the flag that requests a reopen at the next write or flush.
    pub fn reopen_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.reopen)
    }

    /// Returns the output counters as of the last flush.
    pub fn stats(&self) -> OutputStats {
        *self
            .stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Wraps `inner`, returning the wrapper and the handle that controls it.
pub fn reopenable(inner: Box<dyn Output>) -> (Box<dyn Output>, Arc<OutputHandle>) {
    let handle = Arc::new(OutputHandle::default());
    let output = ReopenableOutput {
        inner,
        handle: Arc::clone(&handle),
    };
    (Box::new(output), handle)
}

struct ReopenableOutput {
    inner: Box<dyn Output>,
    handle: Arc<OutputHandle>,
}

impl ReopenableOutput {
    fn reopen_if_requested(&mut self) {
        if !self.handle.reopen.swap(false, Ordering::Relaxed) {
            return;
        }
        // A failed reopen is counted by the output, logged here, and retried by the output's
        // next write.
        match self.inner.reopen() {
            Ok(()) => info!("event output reopened"),
            Err(error) => warn!(%error, "failed to reopen the event output"),
        }
        self.publish();
    }

    fn publish(&self) {
        let mut stats = self
            .handle
            .stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *stats = self.inner.stats();
    }
}

impl Output for ReopenableOutput {
    fn write_event(&mut self, event: &[u8]) -> Result<(), OutputError> {
        self.reopen_if_requested();
        let result = self.inner.write_event(event);
        if result.is_err() {
            self.publish();
        }
        result
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        self.reopen_if_requested();
        let result = self.inner.flush();
        self.publish();
        result
    }

    fn reopen(&mut self) -> Result<(), OutputError> {
        let result = self.inner.reopen();
        self.publish();
        result
    }

    fn stats(&self) -> OutputStats {
        self.inner.stats()
    }
}
