//! `dnstel capture --workers 2` and `dnstel run --workers 2` against a real resolver: two
//! sockets in one AF_PACKET fanout group on lo, and still exactly one event per `dig` query.
//!
//! Needs root for the packet sockets and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::Value;
use support::live::{live_tests_enabled, read_json_lines};
use support::ops::{serial, LoggedProcess};
use support::unbound::{dig, Unbound};

/// Queries sent, each `ROUNDS` times; every `dig` uses a new source port, so a new flow.
const QUERIES: [(&str, &str, &str); 4] = [
    ("www.example.test", "A", "udp"),
    ("example.test", "MX", "udp"),
    ("missing.example.test", "A", "udp"),
    ("example.test", "TXT", "tcp"),
];
const ROUNDS: usize = 8;

/// Sends every query `ROUNDS` times and returns how many of each were sent.
fn send_queries(server: IpAddr) -> BTreeMap<(String, String, String), usize> {
    let mut sent = BTreeMap::new();
    for _ in 0..ROUNDS {
        for (name, record_type, transport) in QUERIES {
            let mut options = vec!["+tries=1", "+time=2"];
            if transport == "tcp" {
                options.push("+tcp");
            }
            let answer = dig(server, name, record_type, &options);
            assert!(answer.status.success(), "dig {name} {record_type} failed");
            let key = (
                name.to_owned(),
                record_type.to_owned(),
                transport.to_owned(),
            );
            *sent.entry(key).or_insert(0) += 1;
        }
    }
    sent
}

/// Counts events by question name, type and transport.
fn count_events(events: &[Value]) -> BTreeMap<(String, String, String), usize> {
    let mut counted = BTreeMap::new();
    for event in events {
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let key = (
            text(&event["dns"]["question"]["name"]),
            text(&event["dns"]["question"]["type"]),
            text(&event["network"]["transport"]),
        );
        *counted.entry(key).or_insert(0) += 1;
    }
    counted
}

/// Checks the log of a stopped two-worker process: both sockets joined one fanout group,
/// both workers captured frames, and the kernel dropped nothing.
fn assert_two_workers(log: &[String]) {
    let started = log
        .iter()
        .find(|line| line.contains("capture started"))
        .expect("capture started line");
    assert!(started.contains("sockets=2"), "{started}");
    assert!(started.contains("fanout_group="), "{started}");
    let stopped: Vec<&String> = log
        .iter()
        .filter(|line| line.contains("capture worker stopped"))
        .collect();
    assert_eq!(stopped.len(), 2, "one stop line per worker: {stopped:#?}");
    for line in &stopped {
        assert!(
            !line.contains(" frames=0 "),
            "a worker saw no frame: {line}"
        );
        assert!(line.contains("kernel_drops=0"), "{line}");
    }
}

#[test]
fn capture_two_workers_one_event_per_query() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let server = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _unbound = Unbound::start(server);
    let output = tempfile::tempdir().expect("temporary directory");
    let events_path = output.path().join("events");
    let config = support::shared_dir().join("seed/packetbeat.yml");
    let process = LoggedProcess::start(
        &[
            "capture",
            "--workers",
            "2",
            "-i",
            "lo",
            "-c",
            config.to_str().expect("UTF-8 path"),
            "-o",
            events_path.to_str().expect("UTF-8 path"),
        ],
        "capture started",
    );
    let sent = send_queries(server);
    // The ring hands over a partly filled block after its timeout; give it time to do so.
    std::thread::sleep(Duration::from_millis(500));
    let (status, lines) = stop_and_log(process);
    assert!(status.success(), "dnstel exited with {status}");
    assert_two_workers(&lines);

    let events = read_json_lines(&events_path);
    assert_eq!(count_events(&events), sent, "one event per query");
    for event in &events {
        assert_eq!(event["server"]["ip"], "127.0.0.1");
        assert_eq!(event["method"], "QUERY");
    }
}

#[test]
fn run_two_workers_one_alert_per_query() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let server = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _unbound = Unbound::start(server);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data_dir = directory.path().join("data");
    let process = LoggedProcess::start(
        &[
            "run",
            "--workers",
            "2",
            "-i",
            "lo",
            "--data-dir",
            data_dir.to_str().expect("UTF-8 path"),
        ],
        "capture started",
    );
    let sent = send_queries(server);
    std::thread::sleep(Duration::from_millis(500));
    let (status, lines) = stop_and_log(process);
    assert!(status.success(), "dnstel exited with {status}");
    assert_two_workers(&lines);

    let events = read_json_lines(&data_dir.join("packetbeat"));
    assert_eq!(count_events(&events), sent, "one event per query");
    let alerts = read_json_lines(&data_dir.join("alerts.json"));
    assert_eq!(alerts.len(), events.len(), "one alert per event");
    for alert in &alerts {
        assert_eq!(alert["rule"]["id"], "200300");
    }
}

/// Sends SIGTERM, waits for the exit and returns the status with every log line.
fn stop_and_log(mut process: LoggedProcess) -> (std::process::ExitStatus, Vec<String>) {
    support::ops::send_signal(&process.child, "TERM");
    let status = process.child.wait().expect("wait for dnstel");
    // The log reader thread may still be copying the last lines.
    std::thread::sleep(Duration::from_millis(200));
    (status, process.log())
}
