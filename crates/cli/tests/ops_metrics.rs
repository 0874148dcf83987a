//! The Prometheus endpoint and the stats line of `dnstel run` beside a real resolver: a
//! scrape over 127.0.0.1 after a few queries returns every counter with plausible values.
//!
//! Needs root for the packet socket and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use support::live::live_tests_enabled;
use support::ops::{serial, wait_for_lines, LoggedProcess};
use support::unbound::{dig, Unbound};

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Returns a loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Fetches `/metrics` and returns the status line and the body.
fn scrape(address: SocketAddr) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("connect to the metrics endpoint");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("response has a head");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// Parses sample lines into `name{labels}` -> value.
fn samples(body: &str) -> HashMap<String, u64> {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("sample has a value");
            (name.to_owned(), value.parse().expect("integer sample"))
        })
        .collect()
}

#[test]
fn metrics_scrape_counts_queries() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let _server = Unbound::start(SERVER);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
    let listen = address.to_string();
    let process = LoggedProcess::start(
        &[
            "run",
            "-i",
            "lo",
            "--data-dir",
            data.to_str().expect("UTF-8 path"),
            "--metrics-listen",
            &listen,
            "--stats-interval",
            "1",
        ],
        "capture started",
    );
    process.wait_for_log("metrics endpoint listening", Duration::from_secs(10));

    let names = [
        "www.example.test",
        "alias.example.test",
        "missing.example.test",
    ];
    for name in names {
        let answer = dig(SERVER, name, "A", &["+tries=1", "+time=2"]);
        assert!(answer.status.success(), "dig {name} failed");
    }
    wait_for_lines(
        &data.join("alerts.json"),
        names.len(),
        Duration::from_secs(15),
    );
    // Counters are published once a second.
    std::thread::sleep(Duration::from_millis(2500));

    let (status, body) = scrape(address);
    assert_eq!(status, "HTTP/1.1 200 OK");
    let values = samples(&body);
    let queries = names.len() as u64;
    assert!(values["dnstel_packets_total"] >= 2 * queries, "{body}");
    assert_eq!(values["dnstel_kernel_drops_total"], 0, "{body}");
    assert_eq!(values["dnstel_transactions_total"], queries, "{body}");
    assert_eq!(values["dnstel_unmatched_queries_total"], 0, "{body}");
    assert_eq!(values["dnstel_unmatched_responses_total"], 0, "{body}");
    assert_eq!(values["dnstel_events_written_total"], queries, "{body}");
    assert_eq!(values["dnstel_output_write_errors_total"], 0, "{body}");
    assert_eq!(values["dnstel_analysis_events_total"], queries, "{body}");
    assert_eq!(values["dnstel_analysis_queue_drops_total"], 0, "{body}");
    assert_eq!(values["dnstel_rule_matches_total"], queries, "{body}");
    assert_eq!(values["dnstel_alerts_written_total"], queries, "{body}");
    for kind in [
        "truncated",
        "unsupported_link_type",
        "not_ip",
        "invalid_header",
    ] {
        let name = format!("dnstel_decode_errors_total{{kind=\"{kind}\"}}");
        assert_eq!(values.get(&name), Some(&0), "{name} in {body}");
    }
    for name in values.keys() {
        let base = name.split('{').next().unwrap_or(name);
        assert!(base.ends_with("_total"), "{name}");
        assert!(body.contains(&format!("# HELP {base} ")), "HELP of {base}");
        assert!(
            body.contains(&format!("# TYPE {base} counter\n")),
            "TYPE of {base}"
        );
    }

    let stats = process.wait_for_log("stats packets=", Duration::from_secs(5));
    assert!(stats.contains(" events_written="), "{stats}");
    assert!(stats.contains(" alerts_written="), "{stats}");
    let status = process.stop();
    assert!(status.success(), "dnstel exited with {status}");
}

#[test]
fn metrics_rejects_remote_address() {
    let output = support::dnstel()
        .args(["capture", "-i", "lo", "--metrics-listen", "0.0.0.0:9"])
        .output()
        .expect("run dnstel");
    assert_eq!(output.status.code(), Some(2), "usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--metrics-allow-remote"), "{stderr}");
}
