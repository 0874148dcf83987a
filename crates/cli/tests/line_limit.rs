//! The line limit of `analyze` and `logtest`: a line of 65,279 bytes with its newline is read,
//! a longer one is skipped, and both commands describe the limit in the same words.

mod support;

use support::run_with_input;

const MESSAGE: &str = "line longer than 65279 bytes including its newline";

/// Returns a JSON event line of exactly `length` bytes, newline included.
fn event_line(length: usize) -> Vec<u8> {
    let frame = "{\"method\":\"QUERY\",\"a\":\"\"}\n".len();
    let line = format!(
        "{{\"method\":\"QUERY\",\"a\":\"{}\"}}\n",
        "x".repeat(length - frame)
    );
    assert_eq!(line.len(), length);
    line.into_bytes()
}

fn input() -> Vec<u8> {
    let mut input = event_line(65_279);
    input.extend(event_line(65_280));
    input
}

#[test]
fn analyze_reports_limit() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    let data = data.to_str().expect("UTF-8 path");
    let output = run_with_input(["analyze", "--stdin", "--data-dir", data], &input());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(MESSAGE), "{stderr}");
    assert!(stderr.contains("alerts_written=1"), "{stderr}");
    assert!(stderr.contains("lines_skipped=1"), "{stderr}");
}

#[test]
fn logtest_reports_same_limit() {
    let output = run_with_input(["logtest", "--json"], &input());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(MESSAGE), "{stderr}");
    assert!(!stderr.contains("65278"), "{stderr}");
    assert!(
        stderr.contains("skipped 1 line(s) longer than 65279 bytes including the newline"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "the line at the limit is read");
}
