//! Helpers for the operation tests: a `dnstel` process whose log lines are kept, signals, and
//! waiting for files and log lines.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `dnstel` whose standard error lines are collected.
pub struct LoggedProcess {
    /// The process.
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl LoggedProcess {
    /// Starts `dnstel` with `arguments` and waits until a log line contains `ready`.
    pub fn start(arguments: &[&str], ready: &str) -> LoggedProcess {
        let mut child = super::dnstel()
            .args(arguments)
            .env("DNSTEL_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dnstel");
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("dnstel: {line}");
                collected.lock().expect("log lock").push(line);
            }
        });
        let process = LoggedProcess { child, lines };
        process.wait_for_log(ready, Duration::from_secs(30));
        process
    }

    /// Returns every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().expect("log lock").clone()
    }

    /// Waits until a log line contains `text`, and returns it.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log().into_iter().find(|line| line.contains(text)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line contains {text:?} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Counts the log lines that contain `text`.
    pub fn count_log(&self, text: &str) -> usize {
        self.log().iter().filter(|line| line.contains(text)).count()
    }

    /// Sends `signal` (a `kill` name such as `HUP`).
    pub fn signal(&self, signal: &str) {
        send_signal(&self.child, signal);
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn stop(mut self) -> ExitStatus {
        send_signal(&self.child, "TERM");
        self.child.wait().expect("wait for dnstel")
    }
}

impl Drop for LoggedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` to `child` with `kill`.
pub fn send_signal(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits until `path` has at least `lines` lines, and returns its text.
pub fn wait_for_lines(path: &Path, lines: usize, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= lines {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} has {} lines, expected {lines}, after {timeout:?}",
            path.display(),
            text.lines().count()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Returns a rule file with one rule, `id`, that matches every DNS query event.
pub fn query_rule(id: u32) -> String {
    format!(
        "<group name=\"test,\">\n  <rule id=\"{id}\" level=\"5\">\n    \
         <decoded_as>json</decoded_as>\n    <field name=\"method\">QUERY</field>\n    \
         <description>Test rule {id}</description>\n  </rule>\n</group>\n"
    )
}

/// Serializes the live tests of one test binary: they share port 53 on the loopback address
/// and each captures all of its traffic.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LIVE: Mutex<()> = Mutex::new(());
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `events.json` with one DNS query event and `ossec.conf`, an analyzer configuration
/// that reads it from its start, into `directory`, and returns the configuration's path.
pub fn analyzer_config(directory: &Path) -> std::path::PathBuf {
    let events = directory.join("events.json");
    std::fs::write(&events, "{\"method\":\"QUERY\"}\n").expect("write events");
    let config = directory.join("ossec.conf");
    std::fs::write(
        &config,
        format!(
            "<localfile>\n  <log_format>json</log_format>\n  <location>{}</location>\n  \
             <only-future-events>no</only-future-events>\n</localfile>\n",
            events.display()
        ),
    )
    .expect("write configuration");
    config
}
