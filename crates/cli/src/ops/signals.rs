//! Signal flags: SIGINT and SIGTERM request a stop, SIGHUP requests a reload.
//!
//! The handlers only set atomic flags (signal-hook's `flag` module); the loops check the flags
//! between polls and do the work outside the handler. A stop that blocks, for example on a
//! write to a named pipe whose reader stopped reading, still ends the process: a second stop
//! signal exits at once, and a watchdog exits [`STOP_GRACE`] after the first one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use tracing::{error, warn};

use crate::exit::ExitStatus;
use crate::ops::privileges::{clear_thread_capabilities, limit_thread_capabilities};

/// Time that a requested stop may take before the watchdog ends the process without writing
/// what is still pending. A normal stop takes a few seconds at most.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// Interval at which the watchdog checks for a requested stop.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

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
            // Registered first, so the first signal finds the flag still clear and only the
            // next one exits.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                ExitStatus::Runtime as i32,
                Arc::clone(&flags.stop),
            )
            .with_context(|| format!("failed to install the handler of signal {signal}"))?;
            signal_hook::flag::register(signal, Arc::clone(&flags.stop))
                .with_context(|| format!("failed to install the handler of signal {signal}"))?;
        }
        signal_hook::flag::register(SIGHUP, Arc::clone(&flags.reload))
            .with_context(|| format!("failed to install the handler of signal {SIGHUP}"))?;
        Ok(flags)
    }

    /// Starts the watchdog that ends the process when a stop takes longer than
    /// [`STOP_GRACE`]. Commands start it right after installing the handlers, so a stop also
    /// ends while startup is blocked, for example opening a named pipe without a reader.
    ///
    /// The thread starts before the process drops its privileges. It clears its bounding,
    /// ambient and inheritable sets at once but keeps its effective and permitted sets until
    /// then, because a switch of user ids applies to every thread and needs them in each.
    /// Call [`Watchdog::clear_capabilities`] right after the drop.
    pub fn start_watchdog(&self) -> anyhow::Result<Watchdog> {
        watch_stop(Arc::clone(&self.stop), STOP_GRACE, || {
            error!(
                grace_seconds = STOP_GRACE.as_secs(),
                "the stop did not finish in time, so dnstel exits without writing what is \
                 still pending; an output may be blocked, for example a named pipe whose \
                 reader stopped reading"
            );
            std::process::exit(ExitStatus::Runtime as i32);
        })
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

/// The stop watchdog thread, which takes requests to clear its capabilities.
pub struct Watchdog {
    requests: mpsc::Sender<mpsc::Sender<anyhow::Result<()>>>,
}

impl Watchdog {
    /// Clears every capability set of the watchdog thread and waits until it did.
    pub fn clear_capabilities(&self) -> anyhow::Result<()> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send(reply)
            .context("the stop watchdog thread ended")?;
        answer
            .recv()
            .context("the stop watchdog thread ended")?
            .context("failed to clear the capabilities of the stop watchdog thread")
    }
}

/// Starts a thread that waits until `stop` is set, then waits `grace` more and calls
/// `overrun`. The process normally exits before that. While it waits for the stop, the
/// thread also clears its capabilities on each request from
/// [`Watchdog::clear_capabilities`].
fn watch_stop(
    stop: Arc<AtomicBool>,
    grace: Duration,
    overrun: impl FnOnce() + Send + 'static,
) -> anyhow::Result<Watchdog> {
    let (sender, requests) = mpsc::channel::<mpsc::Sender<anyhow::Result<()>>>();
    std::thread::Builder::new()
        .name("stop-watchdog".to_string())
        .spawn(move || {
            // The capabilities a later switch of user ids needs stay until the request.
            if let Err(error) = limit_thread_capabilities() {
                warn!(%error, "failed to limit the capabilities of the stop watchdog thread");
            }
            // Requests stop once the handle is dropped; the thread then only sleeps.
            let mut requests = Some(requests);
            while !stop.load(Ordering::Relaxed) {
                let Some(open) = &requests else {
                    std::thread::sleep(WATCH_INTERVAL);
                    continue;
                };
                match open.recv_timeout(WATCH_INTERVAL) {
                    Ok(reply) => {
                        let _ = reply.send(clear_thread_capabilities());
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => requests = None,
                }
            }
            std::thread::sleep(grace);
            overrun();
        })
        .context("failed to start the stop watchdog thread")?;
    Ok(Watchdog { requests: sender })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_fires_after_stop_and_grace() {
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let watchdog = watch_stop(Arc::clone(&stop), Duration::from_millis(50), move || {
            sender.send(()).expect("the test waits");
        })
        .expect("thread starts");
        watchdog
            .clear_capabilities()
            .expect("the watchdog clears its capabilities");
        let before_stop = receiver.recv_timeout(3 * WATCH_INTERVAL);
        assert!(before_stop.is_err(), "no overrun before a stop");
        stop.store(true, Ordering::Relaxed);
        let after_stop = receiver.recv_timeout(Duration::from_secs(30));
        assert!(after_stop.is_ok(), "overrun after the stop and the grace");
    }
}
