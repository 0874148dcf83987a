//! Starting and stopping `dnstel` processes for the live tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Returns true when live tests can run (as root). Without root they are not run, unless
/// `DNSTEL_REQUIRE_LIVE=1` is set (CI sets it), in which case this fails.
pub fn live_tests_enabled() -> bool {
    if super::is_root() {
        return true;
    }
    assert!(
        std::env::var("DNSTEL_REQUIRE_LIVE").as_deref() != Ok("1"),
        "live capture tests need root, and DNSTEL_REQUIRE_LIVE=1 requires them to run"
    );
    eprintln!("not running live capture tests: they need root");
    false
}

/// Starts `dnstel` with `arguments` and waits until its log says the capture started.
pub fn start_capture(arguments: &[&str]) -> Child {
    let mut child = super::dnstel()
        .args(arguments)
        .env("DNSTEL_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dnstel");
    let stderr = child.stderr.take().expect("piped stderr");
    let (started_sender, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("dnstel: {line}");
            if line.contains("capture started") {
                let _ = started_sender.send(());
            }
        }
    });
    started
        .recv_timeout(Duration::from_secs(30))
        .expect("dnstel capture did not start within 30 s");
    child
}

/// Sends SIGTERM, waits for a successful exit and returns how long the stop took.
pub fn stop(mut child: Child) -> Duration {
    let begin = Instant::now();
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
    let exit = child.wait().expect("wait for dnstel");
    assert!(exit.success(), "dnstel exited with {exit}");
    begin.elapsed()
}

/// Reads a file of JSON lines.
pub fn read_json_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("line is JSON"))
        .collect()
}
