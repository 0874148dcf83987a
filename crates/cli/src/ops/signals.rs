//! Signal flags: SIGINT and SIGTERM request a stop, SIGHUP requests a reload.
//!
//! The handlers only set atomic flags (signal-hook's `flag` module); the loops check the flags
//! between polls and do the work outside the handler. A stop that blocks, for example on a
//! write to a named pipe whose reader stopped reading, still ends the process: a watchdog
//! thread exits on a second stop signal, or [`STOP_GRACE`] after the first one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::{error, warn};

use crate::exit::ExitStatus;
use crate::ops::privileges::{clear_thread_capabilities, limit_thread_capabilities};

/// Time that a requested stop may take before the watchdog ends the process without writing
/// what is still pending. A normal stop takes a few seconds at most.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// Interval at which the watchdog checks for a requested stop and for stop signals.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The signals that request a stop.
const STOP_SIGNALS: [i32; 2] = [SIGINT, SIGTERM];

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
        for signal in STOP_SIGNALS {
            signal_hook::flag::register(signal, Arc::clone(&flags.stop))
                .with_context(|| format!("failed to install the handler of signal {signal}"))?;
        }
        signal_hook::flag::register(SIGHUP, Arc::clone(&flags.reload))
            .with_context(|| format!("failed to install the handler of signal {SIGHUP}"))?;
        Ok(flags)
    }

    /// Starts the watchdog that ends the process on a second stop signal, or when a stop
    /// takes longer than [`STOP_GRACE`]. Commands start it right after installing the
    /// handlers, so a stop also ends while startup is blocked, for example opening a named
    /// pipe without a reader.
    ///
    /// The thread starts before the process drops its privileges. It clears its bounding,
    /// ambient and inheritable sets at once but keeps its effective and permitted sets until
    /// then, because a switch of user ids applies to every thread and needs them in each.
    /// Call [`Watchdog::clear_capabilities`] right after the drop.
    pub fn start_watchdog(&self) -> anyhow::Result<Watchdog> {
        let signals = Signals::new(STOP_SIGNALS)
            .context("failed to install the stop watchdog's signal handlers")?;
        watch_stop(Arc::clone(&self.stop), signals, STOP_GRACE, |ending| {
            match ending {
                Ending::SecondSignal => error!(
                    "a second stop signal arrived, so dnstel exits without writing what is \
                     still pending"
                ),
                Ending::Overrun => error!(
                    grace_seconds = STOP_GRACE.as_secs(),
                    "the stop did not finish in time, so dnstel exits without writing what \
                     is still pending; an output may be blocked, for example a named pipe \
                     whose reader stopped reading"
                ),
            }
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

/// The reason the watchdog ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// A stop signal arrived while a stop was already requested.
    SecondSignal,
    /// The stop took longer than the grace time.
    Overrun,
}

/// Starts a thread that watches the stop: it calls `end` when `signals` delivers a second
/// signal, or `grace` after `stop` was set. The process normally exits before that. The
/// thread also clears its capabilities on each request from
/// [`Watchdog::clear_capabilities`].
fn watch_stop(
    stop: Arc<AtomicBool>,
    mut signals: Signals,
    grace: Duration,
    end: impl FnOnce(Ending) + Send + 'static,
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
            let mut stop_signals = 0;
            let mut stopped_at = None;
            loop {
                match &requests {
                    Some(open) => match open.recv_timeout(WATCH_INTERVAL) {
                        Ok(reply) => {
                            let _ = reply.send(clear_thread_capabilities());
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => requests = None,
                    },
                    None => std::thread::sleep(WATCH_INTERVAL),
                }
                stop_signals += signals.pending().count();
                if stop_signals >= 2 {
                    return end(Ending::SecondSignal);
                }
                if stop.load(Ordering::Relaxed) {
                    let since = *stopped_at.get_or_insert_with(Instant::now);
                    if since.elapsed() >= grace {
                        return end(Ending::Overrun);
                    }
                }
            }
        })
        .context("failed to start the stop watchdog thread")?;
    Ok(Watchdog { requests: sender })
}

#[cfg(test)]
mod tests {
    use super::*;

    use signal_hook::consts::{SIGUSR1, SIGUSR2};

    /// Starts a watchdog on `signal` with a short grace, and returns it with the flag it
    /// watches and the receiver of its ending. Each test takes its own signal, because the
    /// tests share the process.
    fn watchdog(signal: i32) -> (Watchdog, Arc<AtomicBool>, mpsc::Receiver<Ending>) {
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let signals = Signals::new([signal]).expect("handler installs");
        let watchdog = watch_stop(
            Arc::clone(&stop),
            signals,
            Duration::from_millis(50),
            move |ending| sender.send(ending).expect("the test waits"),
        )
        .expect("thread starts");
        (watchdog, stop, receiver)
    }

    #[test]
    fn watchdog_ends_after_stop_and_grace() {
        let (watchdog, stop, receiver) = watchdog(SIGUSR2);
        watchdog
            .clear_capabilities()
            .expect("the watchdog clears its capabilities");
        let before_stop = receiver.recv_timeout(3 * WATCH_INTERVAL);
        assert!(before_stop.is_err(), "no ending before a stop");
        stop.store(true, Ordering::Relaxed);
        let after_stop = receiver.recv_timeout(Duration::from_secs(30));
        assert_eq!(after_stop.ok(), Some(Ending::Overrun));
    }

    #[test]
    fn watchdog_ends_on_second_signal() {
        let (_watchdog, _stop, receiver) = watchdog(SIGUSR1);
        signal_hook::low_level::raise(SIGUSR1).expect("raise");
        let after_one = receiver.recv_timeout(3 * WATCH_INTERVAL);
        assert!(after_one.is_err(), "no ending after one signal");
        signal_hook::low_level::raise(SIGUSR1).expect("raise");
        let after_two = receiver.recv_timeout(Duration::from_secs(30));
        assert_eq!(after_two.ok(), Some(Ending::SecondSignal));
    }
}
