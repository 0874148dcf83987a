//! Signal flags: SIGINT and SIGTERM request a stop, SIGHUP requests a reload.
//!
//! The handlers only set atomic flags (signal-hook's `flag` module); the loops check the flags
//! between polls and do the work outside the handler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The flags that the signal handlers set.
#[derive(Debug, Clone)]
pub struct SignalFlags {
    /// Set by SIGINT or SIGTERM.
    pub stop: Arc<AtomicBool>,
    /// Set by SIGHUP; cleared by [`SignalFlags::take_reload`].
    pub reload: Arc<AtomicBool>,
}

impl SignalFlags {
    /// Installs the handlers of SIGINT, SIGTERM and SIGHUP.
    pub fn install() -> anyhow::Result<SignalFlags> {
        let flags = SignalFlags {
            stop: Arc::new(AtomicBool::new(false)),
            reload: Arc::new(AtomicBool::new(false)),
        };
        for signal in [SIGINT, SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&flags.stop))
                .with_context(|| format!("failed to install the handler of signal {signal}"))?;
        }
        signal_hook::flag::register(SIGHUP, Arc::clone(&flags.reload))
            .with_context(|| format!("failed to install the handler of signal {SIGHUP}"))?;
        Ok(flags)
    }

    /// Returns true when a stop was requested.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Returns true, once, for each SIGHUP received since the last call (several signals
    /// that arrive between two calls count as one).
    pub fn take_reload(&self) -> bool {
        self.reload.swap(false, Ordering::Relaxed)
    }
}
