//! `dnstel analyze` following a growing, rotating event file writes each alert once, also
//! across a restart.

mod support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::live::stop;

/// Appends events whose `dns.id` values are `ids`, built from the stock example event.
fn append_events(path: &Path, ids: std::ops::Range<u32>) {
    let example = fs::read_to_string(support::shared_dir().join("seed/event-example.json"))
        .expect("read the example event");
    let mut event: Value = serde_json::from_str(&example).expect("example event is JSON");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the event file");
    for id in ids {
        event["dns"]["id"] = Value::from(id);
        writeln!(file, "{event}").expect("append an event");
    }
}

/// Returns the command `dnstel analyze` with the configuration `config` and the rule file
/// `rules`.
fn analyze_command(config: &Path, data_dir: &Path, rules: &Path) -> std::process::Command {
    let mut command = support::dnstel();
    command
        .arg("analyze")
        .arg("-c")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--rules")
        .arg(rules);
    command
}

fn start_analyzer(config: &Path, data_dir: &Path) -> Child {
    let rule = support::shared_dir().join("seed/rule-200300.xml");
    analyze_command(config, data_dir, &rule)
        .spawn()
        .expect("start dnstel analyze")
}

/// Returns the `dns.id` of every alert, waiting until there are `expected` of them.
fn wait_for_alerts(alerts: &Path, expected: usize) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids: Vec<u64> = fs::read_to_string(alerts)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let alert: Value = serde_json::from_str(line).expect("alert line is JSON");
                assert_eq!(alert["rule"]["id"], "200300");
                alert["data"]["dns"]["id"]
                    .as_str()
                    .expect("data values are strings")
                    .parse()
                    .expect("dns.id is a number")
            })
            .collect();
        if ids.len() >= expected || Instant::now() > deadline {
            return ids;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn write_config(directory: &Path, events: &Path) -> PathBuf {
    let config = directory.join("localfile.xml");
    let text = format!(
        "<localfile>\n  <log_format>json</log_format>\n  <location>{}</location>\n  \
         <only-future-events>no</only-future-events>\n</localfile>\n",
        events.display()
    );
    fs::write(&config, text).expect("write the analyzer configuration");
    config
}

#[test]
fn analyze_follows_rotation_and_restart() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("packetbeat");
    let data_dir = directory.path().join("data");
    let alerts = data_dir.join("alerts.json");
    let config = write_config(directory.path(), &events);

    append_events(&events, 0..5);
    let analyzer = start_analyzer(&config, &data_dir);
    assert_eq!(wait_for_alerts(&alerts, 5).len(), 5);

    // Rotation as Packetbeat does it: rename, then a new active file.
    append_events(&events, 5..8);
    fs::rename(&events, directory.path().join("packetbeat.1")).expect("rotate");
    append_events(&events, 8..10);
    assert_eq!(wait_for_alerts(&alerts, 10).len(), 10);
    stop(analyzer);

    // Written while the analyzer is down: read after the restart, nothing repeated.
    append_events(&events, 10..13);
    let analyzer = start_analyzer(&config, &data_dir);
    let ids = wait_for_alerts(&alerts, 13);
    stop(analyzer);
    assert_eq!(ids, (0..13).collect::<Vec<u64>>());
}

/// Runs `dnstel analyze --once` with the configuration `config` and the rule file `rules`.
fn analyze_once(config: &Path, data_dir: &Path, rules: &Path) -> std::process::Output {
    analyze_command(config, data_dir, rules)
        .arg("--once")
        .output()
        .expect("run dnstel analyze --once")
}

#[test]
fn analyze_once_reads_to_end() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("packetbeat");
    let data_dir = directory.path().join("data");
    let config = write_config(directory.path(), &events);
    append_events(&events, 0..3);
    let rules = support::shared_dir().join("seed/rule-200300.xml");
    let output = analyze_once(&config, &data_dir, &rules);
    assert!(output.status.success());
    let ids = wait_for_alerts(&data_dir.join("alerts.json"), 3);
    assert_eq!(ids, vec![0, 1, 2]);
    let log = fs::read_to_string(data_dir.join("alerts.log")).expect("alerts.log");
    assert_eq!(log.matches("** Alert ").count(), 3);
}

#[test]
fn analyze_rejects_bad_config() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = directory.path().join("bad.xml");
    fs::write(
        &config,
        "<localfile>\n<log_format>json</log_format>\n<locatoin>x</locatoin>\n</localfile>\n",
    )
    .expect("write config");
    let output = support::dnstel()
        .arg("analyze")
        .arg("-c")
        .arg(&config)
        .arg("--data-dir")
        .arg(directory.path().join("data"))
        .output()
        .expect("run dnstel analyze");
    assert_eq!(
        output.status.code(),
        Some(3),
        "configuration errors exit with 3"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.xml:3: unknown option <locatoin>"),
        "{stderr}"
    );
}

#[test]
fn analyze_reads_standard_input() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events");
    append_events(&events, 0..4);
    let mut input = fs::read(&events).expect("read events");
    input.extend_from_slice(b"not json\n");
    let data_dir = directory.path().join("data");
    let rules = support::shared_dir().join("seed/rule-200300.xml");
    let summary = analyze_stdin(&data_dir, &rules, &input);
    assert!(summary.contains("lines_skipped=1"), "{summary}");
    let locations = alert_members(&data_dir, "location");
    assert_eq!(locations, vec![Value::from("stdin"); 4]);
}

/// Runs `dnstel analyze --stdin` with the rule file `rules` on `input` and returns its
/// summary log line.
fn analyze_stdin(data_dir: &Path, rules: &Path, input: &[u8]) -> String {
    let mut child = support::dnstel()
        .args(["analyze", "--stdin", "--data-dir"])
        .arg(data_dir)
        .arg("--rules")
        .arg(rules)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start dnstel analyze --stdin");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("write events");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    stderr
        .lines()
        .find(|line| line.contains("summary"))
        .expect("summary line")
        .to_owned()
}

/// Returns the member `name` of each alert in `data_dir`'s alerts.json.
fn alert_members(data_dir: &Path, name: &str) -> Vec<Value> {
    let alerts = fs::read_to_string(data_dir.join("alerts.json")).expect("alerts.json");
    alerts
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("alert JSON")[name].clone())
        .collect()
}

/// Lines as read, each with the `full_log` of its alert as the Wazuh agent sends it, in
/// compact JSON, or `None` when the line is skipped because it is not a JSON object.
const COMPACTED_LINES: [(&str, Option<&str>); 9] = [
    (r#"{"a":1,"b":"x"}"#, Some(r#"{"a":1,"b":"x"}"#)),
    (r#"{"a": 1.0, "b": "\/"}"#, Some(r#"{"a":1,"b":"/"}"#)),
    (r#"{"a":"\/","b":[1, 2]}"#, Some(r#"{"a":"/","b":[1,2]}"#)),
    (r#"{"a":1} tail"#, Some(r#"{"a":1}"#)),
    (r#"{"a":1e3,"b":-0}"#, Some(r#"{"a":1000,"b":0}"#)),
    (r#"{"a":"é\u00e9"}"#, Some(r#"{"a":"éé"}"#)),
    (r#"{"a":}"#, None),
    (r#"{"a":1"#, None),
    ("not json", None),
];

/// Writes a rule file with one rule that raises an alert for any JSON event, and returns
/// its path.
fn any_json_rule(directory: &Path) -> PathBuf {
    let rules = directory.join("any_json.xml");
    fs::write(
        &rules,
        "<group name=\"test,\">\n  <rule id=\"100001\" level=\"3\">\n    \
         <decoded_as>json</decoded_as>\n    <description>Any JSON</description>\n  \
         </rule>\n</group>\n",
    )
    .expect("write the rule file");
    rules
}

/// Returns the `full_log` of each alert that [`COMPACTED_LINES`] expects.
fn compacted_full_logs() -> Vec<Value> {
    COMPACTED_LINES
        .iter()
        .filter_map(|(_, encoded)| encoded.map(Value::from))
        .collect()
}

/// Lines from standard input reach the rules as the Wazuh agent sends them: compact JSON,
/// whether or not they were compact already, and lines that only start like compact JSON
/// are still skipped when they are not objects.
#[test]
fn analyze_stdin_compacts_lines() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let rules = any_json_rule(directory.path());
    let lines = COMPACTED_LINES;
    let mut input = String::new();
    for (line, _) in &lines {
        input.push_str(line);
        input.push('\n');
    }
    let data_dir = directory.path().join("data");
    let summary = analyze_stdin(&data_dir, &rules, input.as_bytes());
    assert!(summary.contains("lines_skipped=3"), "{summary}");

    let full_logs = alert_members(&data_dir, "full_log");
    assert_eq!(full_logs, compacted_full_logs());
}

/// Lines of a followed file reach the rules compacted like lines of standard input, and
/// lines that only start like compact JSON count as skipped, not as events.
#[test]
fn analyze_file_compacts_lines() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let rules = any_json_rule(directory.path());
    let events = directory.path().join("events");
    let mut input = String::new();
    for (line, _) in &COMPACTED_LINES {
        input.push_str(line);
        input.push('\n');
    }
    fs::write(&events, input).expect("write events");
    let config = write_config(directory.path(), &events);
    let data_dir = directory.path().join("data");
    let output = analyze_once(&config, &data_dir, &rules);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stopped = stderr
        .lines()
        .find(|line| line.contains("analyzer stopped"))
        .expect("stop line");
    assert!(stopped.contains("events=6"), "{stopped}");
    assert!(stopped.contains("not_json_object=3"), "{stopped}");
    assert_eq!(stderr.matches("skipped a line").count(), 3, "{stderr}");

    let full_logs = alert_members(&data_dir, "full_log");
    assert_eq!(full_logs, compacted_full_logs());
}

#[test]
fn ruleset_folder_without_rules_is_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let output = support::dnstel()
        .args(["logtest", "--ruleset"])
        .arg(directory.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run dnstel logtest");
    assert_eq!(
        output.status.code(),
        Some(3),
        "a useless ruleset folder is a configuration error"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no rules/ subfolder"), "{stderr}");
}

/// A stock Wazuh layout: `etc/ossec.conf` naming its rule folder and a CDB list by paths
/// relative to the installation folder, and a rule that looks the query name up in the list.
#[test]
fn wazuh_layout_config_loads_list() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let root = directory.path().join("ossec");
    fs::create_dir_all(root.join("etc/rules")).expect("create rules folder");
    fs::create_dir_all(root.join("etc/lists")).expect("create lists folder");
    fs::write(
        root.join("etc/ossec.conf"),
        "<ossec_config>\n  <ruleset>\n    <rule_dir>etc/rules</rule_dir>\n    \
         <list>etc/lists/bad-domains</list>\n  </ruleset>\n</ossec_config>\n",
    )
    .expect("write ossec.conf");
    fs::write(
        root.join("etc/rules/local_rules.xml"),
        "<group name=\"local,\">\n  <rule id=\"100100\" level=\"10\">\n    \
         <decoded_as>json</decoded_as>\n    \
         <list field=\"dns.question.name\" lookup=\"match_key\">etc/lists/bad-domains</list>\n    \
         <description>Listed domain $(dns.question.name)</description>\n  </rule>\n</group>\n",
    )
    .expect("write rule file");
    fs::write(root.join("etc/lists/bad-domains"), "evil.example:\n").expect("write list");

    let data_dir = directory.path().join("data");
    let mut child = support::dnstel()
        .args(["analyze", "--stdin", "-c"])
        .arg(root.join("etc/ossec.conf"))
        .arg("--data-dir")
        .arg(&data_dir)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start dnstel analyze");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(
            b"{\"dns\":{\"question\":{\"name\":\"evil.example\"}}}\n\
              {\"dns\":{\"question\":{\"name\":\"good.example\"}}}\n",
        )
        .expect("write events");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let alerts = fs::read_to_string(data_dir.join("alerts.json")).expect("alerts.json");
    let descriptions: Vec<Value> = alerts
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("alert JSON")["rule"]["description"].clone()
        })
        .collect();
    assert_eq!(
        descriptions,
        vec![Value::from("Listed domain evil.example")]
    );
}

/// `alerts.log` linked to `/dev/null` discards that file while `alerts.json` gets every alert;
/// a named pipe is rejected at the start, because a pipe without a reader would block every stop.
#[test]
fn alerts_log_to_dev_null_and_pipe_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events");
    append_events(&events, 0..50);
    let data_dir = directory.path().join("data");
    fs::create_dir(&data_dir).expect("create data folder");
    std::os::unix::fs::symlink("/dev/null", data_dir.join("alerts.log")).expect("link /dev/null");
    let analyze = || {
        support::dnstel()
            .args(["analyze", "--stdin", "--once", "--data-dir"])
            .arg(&data_dir)
            .arg("--rules")
            .arg(support::shared_dir().join("seed/rule-200300.xml"))
            .stdin(fs::File::open(&events).expect("open events"))
            .output()
            .expect("run dnstel analyze")
    };

    let output = analyze();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let alerts = fs::read_to_string(data_dir.join("alerts.json")).expect("read alerts.json");
    assert_eq!(alerts.lines().count(), 50);
    assert!(data_dir.join("alerts.log").is_symlink());

    fs::remove_file(data_dir.join("alerts.json")).expect("remove alerts.json");
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(data_dir.join("alerts.json"))
        .status()
        .expect("run mkfifo");
    assert!(mkfifo.success());
    let output = analyze();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("alerts.json: is not a regular file or a character device"),
        "{stderr}"
    );
}

/// With standard input open but idle, the analyzer writes out its buffered alerts and still
/// stops on SIGTERM, without waiting for the input to end.
#[test]
fn idle_standard_input_flushes_and_stops() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events");
    append_events(&events, 0..3);
    let data_dir = directory.path().join("data");
    let mut analyzer = support::dnstel()
        .args(["analyze", "--stdin", "--data-dir"])
        .arg(&data_dir)
        .arg("--rules")
        .arg(support::shared_dir().join("seed/rule-200300.xml"))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dnstel analyze --stdin");
    // Kept open, and so not ended, until the test returns.
    let mut input = analyzer.stdin.take().expect("piped stdin");
    input
        .write_all(&fs::read(&events).expect("read events"))
        .expect("write events");
    input.flush().expect("flush events");

    let ids = wait_for_alerts(&data_dir.join("alerts.json"), 3);
    assert_eq!(
        ids,
        vec![0, 1, 2],
        "alerts are written while the input is idle"
    );
    stop(analyzer);
    drop(input);
}

/// With --once a missing event file is skipped, and the log does not promise to wait for it.
#[test]
fn once_skips_missing_file() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = write_config(directory.path(), &directory.path().join("missing.json"));
    let output = support::dnstel()
        .args(["analyze", "--once", "-c"])
        .arg(&config)
        .arg("--data-dir")
        .arg(directory.path().join("data"))
        .output()
        .expect("run dnstel analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("file not found; skipped"), "{stderr}");
    assert!(!stderr.contains("waiting for it to appear"), "{stderr}");
}

/// `--label` adds to the configuration's `<labels>`, and replaces one with the same key.
#[test]
fn command_line_labels_override_configured() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events");
    append_events(&events, 0..1);
    let config = directory.path().join("ossec.conf");
    fs::write(
        &config,
        "<ossec_config>\n  <labels>\n    <label key=\"env\">dev</label>\n    \
         <label key=\"site\">lab</label>\n  </labels>\n</ossec_config>\n",
    )
    .expect("write configuration");

    let data_dir = directory.path().join("data");
    let output = support::dnstel()
        .args([
            "analyze", "--stdin", "--once", "--label", "env=prod", "--label", "team=dns",
        ])
        .arg("-c")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--rules")
        .arg(support::shared_dir().join("seed/rule-200300.xml"))
        .stdin(fs::File::open(&events).expect("open events"))
        .output()
        .expect("run dnstel analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let alerts = fs::read_to_string(data_dir.join("alerts.json")).expect("read alerts.json");
    let alert: Value =
        serde_json::from_str(alerts.lines().next().expect("one alert")).expect("alert JSON");
    assert_eq!(
        alert["agent"]["labels"],
        serde_json::json!({"env": "prod", "site": "lab", "team": "dns"}),
        "{alert}"
    );
}
