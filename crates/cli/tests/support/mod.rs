//! Shared helpers for the end-to-end tests of the `dnstel` binary.

#![allow(dead_code)]

pub mod live;
pub mod ops;
pub mod unbound;

use std::path::PathBuf;
use std::process::Command;

/// Returns a command that runs the `dnstel` binary built for these tests.
pub fn dnstel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dnstel"))
}

/// Runs `dnstel` with `arguments` and `input` on standard input, logging at level info, and
/// returns its output. The input is written from another thread, so a large input and a large
/// output cannot block each other in full pipes.
pub fn run_with_input<I, S>(arguments: I, input: &[u8]) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::Write;
    use std::process::Stdio;
    let mut child = dnstel()
        .args(arguments)
        .env("DNSTEL_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dnstel");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("wait for dnstel");
    writer
        .join()
        .expect("writer thread")
        .expect("write standard input");
    output
}

/// Returns the shared reference folder that CI places beside the checkout.
pub fn shared_dir() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        path.is_dir(),
        "shared reference folder not found at {}; clone the repository beside it",
        path.display()
    );
    path
}

/// Returns true when the tests run as root, which live capture needs.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
