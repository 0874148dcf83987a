//! Alert file rotation by size in `dnstel analyze`: Wazuh's archive layout, restarted alert id
//! offsets, mode 0600 and retention of old archives.

mod support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes `count` query events, each padded to about 8 KiB so that a few hundred fill 1 MiB.
fn write_events(path: &Path, count: usize) {
    let padding = "p".repeat(8000);
    let mut file = fs::File::create(path).expect("create the event file");
    for index in 0..count {
        let event = serde_json::json!({
            "method": "QUERY",
            "dns": {"id": index, "question": {"name": format!("n{index}.example.test")}},
            "padding": padding,
        });
        writeln!(file, "{event}").expect("write an event");
    }
}

/// Returns every file under `root`, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).expect("read folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Returns the text of an alert file, decompressing a `.gz` archive.
fn read_alert_file(path: &Path) -> String {
    let mut text = String::new();
    let file = fs::File::open(path).expect("open alert file");
    if path.extension() == Some("gz".as_ref()) {
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text)
            .expect("decompress archive");
    } else {
        std::io::Read::read_to_string(&mut { file }, &mut text).expect("read alert file");
    }
    text
}

/// Checks that each alert id in an alerts.log is `<seconds>.<offset of its record>`.
fn check_log_offsets(path: &Path) -> usize {
    let text = read_alert_file(path);
    let mut records = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("** Alert ") {
            let id = rest.split(':').next().expect("alert id");
            let recorded: usize = id
                .split('.')
                .nth(1)
                .and_then(|value| value.parse().ok())
                .expect("offset in alert id");
            assert_eq!(recorded, offset, "id {id} in {}", path.display());
            records += 1;
        }
        offset += line.len();
    }
    records
}

#[test]
fn size_rotation_uses_wazuh_layout() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("events.json");
    let count = 300;
    write_events(&events, count);
    let config = directory.path().join("ossec.conf");
    fs::write(
        &config,
        format!(
            "<localfile>\n  <log_format>json</log_format>\n  <location>{}</location>\n</localfile>\n",
            events.display()
        ),
    )
    .expect("write configuration");
    let data = directory.path().join("data");
    let stale = data.join("logs/alerts/2000/Jan");
    fs::create_dir_all(&stale).expect("create a stale archive folder");
    fs::write(stale.join("ossec-alerts-01.json"), "{}\n").expect("write a stale archive");

    let output = support::dnstel()
        .args(["analyze", "--once", "--alerts-max-size", "1", "-c"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .arg("--rules")
        .arg(support::shared_dir().join("seed/rule-200300.xml"))
        .output()
        .expect("run dnstel analyze");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert!(!stale.exists(), "archives past the retention are deleted");
    let archives = files_under(&data.join("logs/alerts"));
    assert!(archives.len() >= 4, "at least two rotations: {archives:?}");
    let mut json_alerts = 0;
    let mut log_alerts = 0;
    for path in &archives {
        let relative = path
            .strip_prefix(data.join("logs/alerts"))
            .expect("under root");
        let parts: Vec<&str> = relative
            .iter()
            .map(|part| part.to_str().expect("UTF-8 name"))
            .collect();
        assert_eq!(parts.len(), 3, "YYYY/Mon/file: {relative:?}");
        assert_eq!(parts[0].len(), 4, "year folder: {relative:?}");
        assert!(MONTHS.contains(&parts[1]), "month folder: {relative:?}");
        let name = parts[2]
            .strip_suffix(".gz")
            .expect("archives are compressed");
        let stem = name
            .strip_suffix(".json")
            .or_else(|| name.strip_suffix(".log"))
            .unwrap_or_else(|| panic!("json or log file: {relative:?}"));
        let day_and_counter = stem.strip_prefix("ossec-alerts-").expect("prefix");
        let (day, counter) = day_and_counter
            .split_once('-')
            .unwrap_or((day_and_counter, ""));
        assert_eq!(day.len(), 2, "two-digit day: {relative:?}");
        assert!(
            counter.is_empty() || counter.len() == 3,
            "counter: {relative:?}"
        );
        let mode = fs::metadata(path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode of {relative:?}");
        if name.ends_with(".log") {
            log_alerts += check_log_offsets(path);
        } else {
            json_alerts += read_alert_file(path).lines().count();
        }
    }
    let day_file = |path: &PathBuf| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        name.len() == "ossec-alerts-DD.json.gz".len() && name.ends_with(".json.gz")
    };
    assert!(
        archives.iter().any(day_file),
        "first rotation of the day has no counter: {archives:?}"
    );
    assert!(
        archives
            .iter()
            .any(|path| path.to_string_lossy().ends_with("-001.json.gz")),
        "second rotation of the day is -001: {archives:?}"
    );
    json_alerts += fs::read_to_string(data.join("alerts.json"))
        .expect("read")
        .lines()
        .count();
    log_alerts += check_log_offsets(&data.join("alerts.log"));
    assert_eq!(json_alerts, count, "every alert in one alerts.json");
    assert_eq!(log_alerts, count, "every alert in one alerts.log");
    for path in archives
        .iter()
        .filter(|path| path.to_string_lossy().ends_with(".json.gz"))
    {
        let first = read_alert_file(path);
        let alert: Value =
            serde_json::from_str(first.lines().next().expect("alert")).expect("alert is JSON");
        let id = alert["id"].as_str().expect("alert id");
        assert!(
            id.ends_with(".0"),
            "first id of {path:?} restarts at 0: {id}"
        );
    }
}
