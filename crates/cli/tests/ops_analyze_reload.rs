//! SIGHUP in `dnstel analyze`: the alert files are reopened after an external rename, the rules
//! reload from the same files, a broken rule file keeps the running rules, and the stats line
//! appears in the log.

mod support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use support::live::read_json_lines;
use support::ops::{query_rule, wait_for_lines, LoggedProcess};

const WAIT: Duration = Duration::from_secs(15);

fn append_query_event(path: &Path, name: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the event file");
    let event = serde_json::json!({"method": "QUERY", "dns": {"question": {"name": name}}});
    writeln!(file, "{event}").expect("append an event");
}

fn rule_ids(path: &Path) -> Vec<String> {
    read_json_lines(path)
        .iter()
        .map(|alert| alert["rule"]["id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn analyze_sighup_reloads_and_reopens() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events.json");
    fs::write(&events, "").expect("create the event file");
    let config = directory.path().join("ossec.conf");
    fs::write(
        &config,
        format!(
            "<localfile>\n  <log_format>json</log_format>\n  <location>{}</location>\n</localfile>\n",
            events.display()
        ),
    )
    .expect("write configuration");
    let rules = directory.path().join("local_rules.xml");
    fs::write(&rules, query_rule(100100)).expect("write rules");
    let data = directory.path().join("data");
    let process = LoggedProcess::start(
        &[
            "analyze",
            "-c",
            config.to_str().expect("UTF-8 path"),
            "--data-dir",
            data.to_str().expect("UTF-8 path"),
            "--rules",
            rules.to_str().expect("UTF-8 path"),
            "--stats-interval",
            "1",
        ],
        "analyzer started",
    );
    let alerts = data.join("alerts.json");

    append_query_event(&events, "one.example.test");
    wait_for_lines(&alerts, 1, WAIT);
    fs::rename(&alerts, data.join("alerts.json.old")).expect("rename alerts.json");
    fs::rename(data.join("alerts.log"), data.join("alerts.log.old")).expect("rename");
    fs::write(&rules, query_rule(100200)).expect("write new rules");
    process.signal("HUP");
    process.wait_for_log("rules reloaded", WAIT);
    assert_eq!(process.count_log("alert files reopened"), 1);

    append_query_event(&events, "two.example.test");
    wait_for_lines(&alerts, 1, WAIT);
    fs::write(&rules, "<group name=\"broken,\">\n  <rule id=\"100300\"").expect("write");
    process.signal("HUP");
    let failure = process.wait_for_log("rule reload failed", WAIT);
    assert!(failure.contains("local_rules.xml"), "{failure}");
    append_query_event(&events, "three.example.test");
    wait_for_lines(&alerts, 2, WAIT);

    let stats = process.wait_for_log("stats analysis_events=", WAIT);
    assert!(stats.contains(" alerts_written="), "{stats}");
    assert!(!stats.contains("packets="), "{stats}");
    let status = process.stop();
    assert!(status.success(), "dnstel analyze exited with {status}");

    assert_eq!(rule_ids(&data.join("alerts.json.old")), ["100100"]);
    assert_eq!(rule_ids(&alerts), ["100200", "100200"]);
    let log = fs::read_to_string(data.join("alerts.log")).expect("read alerts.log");
    assert!(log.starts_with("** Alert "), "{log}");
    let first_id = log["** Alert ".len()..].split(':').next().unwrap_or("");
    assert!(
        first_id.ends_with(".0"),
        "new alerts.log restarts ids: {first_id}"
    );
}
