//! A stop that blocks on its output still ends the process. `dnstel capture` writes its events
//! into a named pipe whose reader never reads, so the writes block once the pipe and the write
//! buffer are full. A second stop signal then exits at once, and without it the watchdog exits
//! after its grace time. Both exits use the runtime error code, 1. The watchdog also ends a
//! `dnstel run` whose startup waits to open an event file that is a pipe without a reader.
//!
//! Needs root for the packet socket and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::fs::{File, OpenOptions};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use support::live::live_tests_enabled;
use support::ops::{serial, LoggedProcess};
use support::unbound::Unbound;

/// Queries sent to fill the pipe: their events take several times the 64 KiB of the write
/// buffer and the 64 KiB of a pipe.
const QUERIES: usize = 400;

/// Creates a named pipe at `path` and opens it for reading and writing, which on Linux does
/// not wait for a writer. The returned handle keeps the pipe open and is never read.
fn stalled_pipe(path: &Path) -> File {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open the named pipe")
}

/// Starts `dnstel capture` on lo with its events going into `pipe`.
fn start_capture(pipe: &Path, data: &Path) -> LoggedProcess {
    let config = support::shared_dir().join("seed/packetbeat.yml");
    LoggedProcess::start(
        &[
            "capture",
            "-i",
            "lo",
            "-c",
            config.to_str().expect("UTF-8 path"),
            "-o",
            pipe.to_str().expect("UTF-8 path"),
            "--data-dir",
            data.to_str().expect("UTF-8 path"),
        ],
        "capture started",
    )
}

/// Sends [`QUERIES`] queries through one `dig` process.
fn send_queries(server: IpAddr) {
    let names: Vec<String> = (0..QUERIES)
        .map(|index| format!("host{index}.example.test"))
        .collect();
    let output = Command::new("dig")
        .arg(format!("@{server}"))
        .args(["+tries=1", "+time=1"])
        .args(&names)
        .output()
        .expect("dig is installed (Debian package bind9-dnsutils)");
    assert!(output.status.success(), "dig failed");
}

/// Waits up to `timeout` for `process` to exit and returns its status, or `None`.
fn wait_exit(process: &mut LoggedProcess, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = process.child.try_wait().expect("poll dnstel") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Starts unbound and a capture into a stalled pipe, fills the pipe and sends one SIGTERM.
/// Returns the capture, which is then stuck in its stop.
fn blocked_stop(directory: &Path) -> (Unbound, File, LoggedProcess) {
    let server = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let unbound = Unbound::start(server);
    let pipe = directory.join("events");
    let reader = stalled_pipe(&pipe);
    let mut capture = start_capture(&pipe, directory);
    send_queries(server);
    capture.signal("TERM");
    let early = wait_exit(&mut capture, Duration::from_secs(3));
    assert_eq!(early, None, "the stop blocks on the full pipe");
    (unbound, reader, capture)
}

#[test]
fn second_stop_signal_exits_at_once() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let directory = tempfile::tempdir().expect("temporary directory");
    let (_unbound, _reader, mut capture) = blocked_stop(directory.path());

    capture.signal("TERM");
    let status = wait_exit(&mut capture, Duration::from_secs(10));
    assert_eq!(status.and_then(|status| status.code()), Some(1));
    assert_eq!(capture.count_log("a second stop signal arrived"), 1);
}

#[test]
fn watchdog_ends_a_blocked_stop() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let directory = tempfile::tempdir().expect("temporary directory");
    let (_unbound, _reader, mut capture) = blocked_stop(directory.path());

    // The grace time is 20 s, and the bound leaves room for a slow machine.
    let status = wait_exit(&mut capture, Duration::from_secs(60));
    assert_eq!(status.and_then(|status| status.code()), Some(1));
    assert_eq!(capture.count_log("the stop did not finish in time"), 1);
}

#[test]
fn watchdog_ends_a_startup_blocked_on_a_pipe() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let directory = tempfile::tempdir().expect("temporary directory");
    let status = Command::new("mkfifo")
        .arg(directory.path().join("packetbeat"))
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    let config = support::shared_dir().join("seed/packetbeat.yml");
    // Opening the pipe for writing waits for a reader, which never comes.
    let mut run = LoggedProcess::start(
        &[
            "run",
            "-i",
            "lo",
            "-c",
            config.to_str().expect("UTF-8 path"),
            "--data-dir",
            directory.path().to_str().expect("UTF-8 path"),
        ],
        "rules loaded",
    );
    std::thread::sleep(Duration::from_secs(1));
    run.signal("TERM");

    // The grace time is 20 s, and the bound leaves room for a slow machine.
    let status = wait_exit(&mut run, Duration::from_secs(60));
    assert_eq!(status.and_then(|status| status.code()), Some(1));
    assert_eq!(run.count_log("the stop did not finish in time"), 1);
}
