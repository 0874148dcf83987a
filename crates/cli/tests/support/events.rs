//! Runs `dnstel read` on capture files and looks up fields of the JSON events it writes.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// Runs `dnstel read` on `files` in order, with an optional packetbeat.yml, and returns every
/// event written to standard output. Panics unless the command exits with status 0.
pub fn read_events(files: &[&Path], config: Option<&Path>) -> Vec<Value> {
    let stdout = read_raw(files, config);
    parse_lines(&stdout)
}

/// Runs `dnstel read` like [`read_events`] and returns standard output unparsed.
pub fn read_raw(files: &[&Path], config: Option<&Path>) -> String {
    let mut command = crate::support::dnstel();
    command.arg("read");
    if let Some(config) = config {
        command.arg("-c").arg(config);
    }
    command.args(files).arg("-o").arg("-");
    let output = command.output().expect("run dnstel read");
    assert!(
        output.status.success(),
        "dnstel read {files:?} exited with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "dnstel read {files:?} panicked: {stderr}"
    );
    String::from_utf8(output.stdout).expect("dnstel writes UTF-8 events")
}

/// Parses one JSON event per line.
pub fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("invalid event {line}: {error}"))
        })
        .collect()
}

/// Returns the value at `path` (`dns.answers[2].data`), or `None` when any step is missing.
pub fn lookup<'a>(event: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = event;
    for segment in path.split('.') {
        let (key, indexes) = match segment.find('[') {
            Some(start) => (&segment[..start], &segment[start..]),
            None => (segment, ""),
        };
        value = value.get(key)?;
        for index in indexes.split('[').filter(|part| !part.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().expect("numeric index");
            value = value.get(index)?;
        }
    }
    Some(value)
}

/// Asserts each `(path, expected)` pair of `event` separately, naming `case` and the path.
pub fn assert_fields(case: &str, event: &Value, expected: &[(&str, Value)]) {
    for (path, value) in expected {
        assert_eq!(
            lookup(event, path),
            Some(value),
            "{case}: field {path} differs; event: {event}"
        );
    }
}

/// Asserts that none of `paths` is present in `event`.
pub fn assert_absent(case: &str, event: &Value, paths: &[&str]) {
    for path in paths {
        assert_eq!(
            lookup(event, path),
            None,
            "{case}: field {path} must be absent; event: {event}"
        );
    }
}
