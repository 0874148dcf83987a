//! `dnstel run` beside a real resolver: one event and one rule 200300 alert per `dig` query,
//! a clean stop on SIGTERM, and the same alerts `dnstel analyze` writes from the event file.
//!
//! Needs root for the packet socket and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::Value;
use support::live::{live_tests_enabled, read_json_lines, start_capture, stop};
use support::unbound::{dig, Unbound};

/// Removes the fields that differ between two runs of the same analysis.
fn comparable(mut alert: Value) -> Value {
    let object = alert.as_object_mut().expect("alert is an object");
    object.remove("timestamp");
    object.remove("id");
    alert
}

#[test]
fn run_writes_events_and_alerts() {
    if !live_tests_enabled() {
        return;
    }
    let server_address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _server = Unbound::start(server_address);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data_dir = directory.path().join("data");
    let child = start_capture(&[
        "run",
        "-i",
        "lo",
        "--data-dir",
        data_dir.to_str().expect("UTF-8 path"),
    ]);

    let names = [
        "www.example.test",
        "alias.example.test",
        "missing.example.test",
    ];
    for name in names {
        let answer = dig(server_address, name, "A", &["+tries=1", "+time=2"]);
        assert!(answer.status.success(), "dig {name} failed");
    }
    std::thread::sleep(Duration::from_millis(500));
    let stop_time = stop(child);
    assert!(
        stop_time < Duration::from_secs(10),
        "stop took {stop_time:?}"
    );

    let events = read_json_lines(&data_dir.join("packetbeat"));
    assert_eq!(events.len(), names.len(), "one event per query");
    for (event, name) in events.iter().zip(names) {
        assert_eq!(event["dns"]["question"]["name"], name);
    }
    let alerts = read_json_lines(&data_dir.join("alerts.json"));
    assert_eq!(alerts.len(), names.len(), "one alert per query");
    let location = data_dir.join("packetbeat").display().to_string();
    for (alert, name) in alerts.iter().zip(names) {
        assert_eq!(alert["rule"]["id"], "200300");
        assert_eq!(alert["rule"]["mitre"]["id"][0], "T1071");
        assert_eq!(alert["location"], location.as_str());
        assert_eq!(alert["agent"]["id"], "000");
        assert_eq!(alert["data"]["dns"]["question"]["name"], name);
    }

    // The separate analyzer reading the event file must raise the same alerts.
    let config = directory.path().join("localfile.xml");
    std::fs::write(
        &config,
        format!(
            "<localfile>\n  <log_format>json</log_format>\n  <location>{location}</location>\n</localfile>\n"
        ),
    )
    .expect("write analyzer configuration");
    let analyze_dir = directory.path().join("analyze");
    let status = support::dnstel()
        .args(["analyze", "--once", "-c"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&analyze_dir)
        .status()
        .expect("run dnstel analyze");
    assert!(status.success());
    let analyzed = read_json_lines(&analyze_dir.join("alerts.json"));
    assert_eq!(analyzed.len(), alerts.len());
    for (from_run, from_file) in alerts.into_iter().zip(analyzed) {
        assert_eq!(comparable(from_run), comparable(from_file));
    }
}
