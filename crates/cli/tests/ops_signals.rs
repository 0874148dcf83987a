//! `dnstel run` signal handling beside a real resolver. SIGHUP reopens the event and alert
//! files and reloads the rules, and a broken rule file keeps the running rules. SIGTERM
//! analyses every queued event before exit. A root process without `--user` keeps no
//! capability.
//!
//! Needs root for the packet socket and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::live::{live_tests_enabled, read_json_lines};
use support::ops::{query_rule, serial, wait_for_lines, LoggedProcess};
use support::unbound::{dig, Unbound};

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(15);

fn query(name: &str) {
    let answer = dig(SERVER, name, "A", &["+tries=1", "+time=2"]);
    assert!(answer.status.success(), "dig {name} failed");
}

fn start_run(data_dir: &Path, extra: &[&str]) -> LoggedProcess {
    let data_dir = data_dir.to_str().expect("UTF-8 path");
    let mut arguments = vec!["run", "-i", "lo", "--data-dir", data_dir];
    arguments.extend_from_slice(extra);
    LoggedProcess::start(&arguments, "capture started")
}

fn rule_ids(alerts: &[Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|alert| alert["rule"]["id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn sighup_reopens_renamed_files() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let _server = Unbound::start(SERVER);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let process = start_run(&data, &[]);

    query("www.example.test");
    wait_for_lines(&data.join("packetbeat"), 1, WAIT);
    wait_for_lines(&data.join("alerts.json"), 1, WAIT);
    for name in ["packetbeat", "alerts.json", "alerts.log"] {
        std::fs::rename(data.join(name), data.join(format!("{name}.old"))).expect("rename");
    }
    process.signal("HUP");
    process.wait_for_log("event output reopened", WAIT);
    process.wait_for_log("alert files reopened", WAIT);

    query("alias.example.test");
    query("missing.example.test");
    let events = wait_for_lines(&data.join("packetbeat"), 2, WAIT);
    let alerts = wait_for_lines(&data.join("alerts.json"), 2, WAIT);
    let status = process.stop();
    assert!(status.success(), "dnstel exited with {status}");

    assert_eq!(
        events.lines().count(),
        2,
        "new event file has the new events"
    );
    assert_eq!(
        alerts.lines().count(),
        2,
        "new alert file has the new alerts"
    );
    let names: Vec<Value> = events
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("event is JSON"))
        .map(|event| event["dns"]["question"]["name"].clone())
        .collect();
    assert_eq!(names, ["alias.example.test", "missing.example.test"]);
    let old_events = std::fs::read_to_string(data.join("packetbeat.old")).expect("old events");
    assert_eq!(old_events.lines().count(), 1, "old event file unchanged");
    let old_alerts = read_json_lines(&data.join("alerts.json.old"));
    assert_eq!(old_alerts.len(), 1, "old alert file unchanged");
    let new_alerts = read_json_lines(&data.join("alerts.json"));
    let first_id = new_alerts[0]["id"].as_str().expect("alert id");
    assert!(first_id.ends_with(".0"), "id offset restarts: {first_id}");
}

#[test]
fn sighup_reloads_rules_keeps_on_error() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let _server = Unbound::start(SERVER);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let rules = directory.path().join("local_rules.xml");
    std::fs::write(&rules, query_rule(100100)).expect("write rules");
    let process = start_run(&data, &["--rules", rules.to_str().expect("UTF-8 path")]);

    query("www.example.test");
    wait_for_lines(&data.join("alerts.json"), 1, WAIT);

    std::fs::write(&rules, query_rule(100200)).expect("write new rules");
    process.signal("HUP");
    process.wait_for_log("rules reloaded", WAIT);
    query("www.example.test");
    wait_for_lines(&data.join("alerts.json"), 2, WAIT);

    std::fs::write(&rules, "<group name=\"broken,\">\n  <rule id=\"100300\"").expect("write");
    process.signal("HUP");
    let failure = process.wait_for_log("rule reload failed", WAIT);
    assert!(
        failure.contains("local_rules.xml"),
        "error names the file: {failure}"
    );
    query("www.example.test");
    wait_for_lines(&data.join("alerts.json"), 3, WAIT);
    let status = process.stop();
    assert!(status.success(), "dnstel exited with {status}");

    let alerts = read_json_lines(&data.join("alerts.json"));
    assert_eq!(rule_ids(&alerts), ["100100", "100200", "100200"]);
    assert_eq!(read_json_lines(&data.join("packetbeat")).len(), 3);
}

#[test]
fn sigterm_analyses_queued_events() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let _server = Unbound::start(SERVER);
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let batch = directory.path().join("queries.txt");
    let queries = 300;
    std::fs::write(&batch, "www.example.test A\n".repeat(queries)).expect("write batch");
    let process = start_run(&data, &[]);

    let output = std::process::Command::new("dig")
        .arg(format!("@{SERVER}"))
        .args(["+tries=1", "+time=2", "-f"])
        .arg(&batch)
        .output()
        .expect("dig is installed");
    assert!(output.status.success(), "dig -f failed");
    // Stop at once, while events may still wait in the rule queue.
    let status = process_stop_and_log(process);
    assert!(status.0.success(), "dnstel exited with {}", status.0);

    let events = read_json_lines(&data.join("packetbeat"));
    let alerts = read_json_lines(&data.join("alerts.json"));
    assert_eq!(events.len(), queries, "one event per query");
    assert_eq!(alerts.len(), events.len(), "every written event analysed");
    let summary = status
        .1
        .iter()
        .find(|line| line.contains("summary "))
        .cloned()
        .expect("summary line logged");
    assert!(summary.contains("queue_drops=0"), "{summary}");
    assert!(
        summary.contains(&format!("alerts_written={queries}")),
        "{summary}"
    );
}

/// Stops the process and returns its status with its whole log.
fn process_stop_and_log(mut process: LoggedProcess) -> (std::process::ExitStatus, Vec<String>) {
    support::ops::send_signal(&process.child, "TERM");
    let status = process.child.wait().expect("wait for dnstel");
    // The log reader thread may still hold the last lines for a moment.
    std::thread::sleep(Duration::from_millis(200));
    (status, process.log())
}

#[test]
fn root_without_user_keeps_no_capabilities() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let process = start_run(&data, &[]);
    process.wait_for_log("cleared all capabilities", WAIT);
    // Wait for the rule thread to exist, so every thread is checked.
    std::thread::sleep(Duration::from_millis(300));

    let threads = check_threads_unprivileged(&process, "0");
    assert!(
        threads >= 3,
        "main, watchdog and rule threads checked, found {threads}"
    );
    let status = process.stop();
    assert!(status.success(), "dnstel exited with {status}");
}

/// Checks that every thread of `process` has no capability, has `no_new_privs` set and runs
/// as user id `uid`, and returns the number of threads.
fn check_threads_unprivileged(process: &LoggedProcess, uid: &str) -> usize {
    let tasks = Path::new("/proc")
        .join(process.child.id().to_string())
        .join("task");
    let mut threads = 0;
    for task in std::fs::read_dir(&tasks).expect("read task list").flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).expect("task status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_else(|| panic!("missing {name} line in {:?}", task.path()))
                .to_owned()
        };
        for set in ["CapEff:", "CapPrm:", "CapInh:", "CapBnd:", "CapAmb:"] {
            assert_eq!(field(set), "0000000000000000", "{set} of {:?}", task.path());
        }
        assert_eq!(
            field("NoNewPrivs:"),
            "1",
            "no_new_privs of {:?}",
            task.path()
        );
        for id in field("Uid:").split_whitespace() {
            assert_eq!(id, uid, "user ids of {:?}", task.path());
        }
        threads += 1;
    }
    threads
}

#[test]
fn user_option_switches_user() {
    if !live_tests_enabled() {
        return;
    }
    let _serial = serial();
    let ids = std::process::Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .expect("run id");
    if !ids.status.success() {
        eprintln!("not running: no user named nobody");
        return;
    }
    let uid = String::from_utf8_lossy(&ids.stdout).trim().to_owned();
    let _server = Unbound::start(SERVER);
    let directory = tempfile::tempdir().expect("temporary directory");
    // The folder does not exist yet: dnstel creates it as root and gives it to the user.
    let data = directory.path().join("data");
    let numeric_uid: u32 = uid.parse().expect("numeric uid");
    let process = start_run(&data, &["--user", "nobody"]);
    process.wait_for_log("dropped privileges", WAIT);

    query("www.example.test");
    wait_for_lines(&data.join("alerts.json"), 1, WAIT);
    let status_path = Path::new("/proc")
        .join(process.child.id().to_string())
        .join("status");
    let status = std::fs::read_to_string(status_path).expect("process status");
    let uids = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .expect("Uid line");
    for field in uids.split_whitespace() {
        assert_eq!(field, uid, "real, effective, saved and file uid: {uids}");
    }
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .map(str::trim);
    assert_eq!(effective, Some("0000000000000000"));
    // The stop watchdog starts before the switch and ends up as unprivileged as the rest.
    let threads = check_threads_unprivileged(&process, &uid);
    assert!(
        threads >= 3,
        "main, watchdog and rule threads, found {threads}"
    );
    for name in ["packetbeat", "alerts.json", "alerts.log", "meta.json"] {
        let owner = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata(data.join(name)).expect("data file"),
        );
        assert_eq!(owner, numeric_uid, "{name} belongs to the switched user");
    }
    let exit = process.stop();
    assert!(exit.success(), "dnstel exited with {exit}");
    assert_eq!(read_json_lines(&data.join("packetbeat")).len(), 1);
}
