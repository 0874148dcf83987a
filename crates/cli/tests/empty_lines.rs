//! Empty input lines (no bytes, or only the carriage return of a CRLF line) carry no event:
//! `analyze` skips them in files and on standard input without a warning or a skip count, and
//! `logtest` skips the same lines.

mod support;

use std::process::Output;

use support::run_with_input;

/// Two events, each after and before empty lines of both kinds.
const INPUT: &[u8] = b"\n{\"method\":\"QUERY\"}\n\n\r\n\r\r\n{\"method\":\"QUERY\"}\r\n\n";

fn assert_skipped_silently(output: &Output, summary: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains(summary), "{stderr}");
    assert!(stderr.contains("lines_skipped=0"), "{stderr}");
    assert!(stderr.contains("alerts_written=2"), "{stderr}");
}

#[test]
fn analyze_file_skips_empty_lines() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = support::ops::analyzer_config(directory.path());
    std::fs::write(directory.path().join("events.json"), INPUT).expect("write events");
    let data = directory.path().join("data");
    let output = run_with_input(
        [
            "analyze",
            "--once",
            "-c",
            config.to_str().expect("UTF-8 path"),
            "--data-dir",
            data.to_str().expect("UTF-8 path"),
        ],
        b"",
    );
    assert_skipped_silently(&output, "not_json_object=0");
}

#[test]
fn analyze_stdin_skips_empty_lines() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let output = run_with_input(
        [
            "analyze",
            "--stdin",
            "--data-dir",
            data.to_str().expect("UTF-8 path"),
        ],
        INPUT,
    );
    assert_skipped_silently(&output, "skipped=0");
}

#[test]
fn logtest_skips_same_lines() {
    let output = run_with_input(["logtest", "--json"], INPUT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for line in stdout.lines() {
        let result: serde_json::Value = serde_json::from_str(line).expect("JSON result");
        assert_eq!(result["alert"], true, "{line}");
    }
}
