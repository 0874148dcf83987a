//! The documented exit codes: 0 success, 1 runtime error, 2 usage error, 3 configuration
//! error.

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;

fn analyzer_config(directory: &Path) -> std::path::PathBuf {
    let events = directory.join("events.json");
    fs::write(&events, "{\"method\":\"QUERY\"}\n").expect("write events");
    let config = directory.join("ossec.conf");
    fs::write(
        &config,
        format!(
            "<localfile>\n  <log_format>json</log_format>\n  <location>{}</location>\n</localfile>\n",
            events.display()
        ),
    )
    .expect("write configuration");
    config
}

fn analyze(config: &Path, data_dir: &Path, extra: &[&str]) -> Output {
    support::dnstel()
        .args(["analyze", "--once", "-c"])
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .output()
        .expect("run dnstel")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn success_exits_zero() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = analyzer_config(directory.path());
    let output = analyze(&config, &directory.path().join("data"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn runtime_error_exits_one() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = analyzer_config(directory.path());
    // A regular file where the data folder should be.
    let data = directory.path().join("not-a-folder");
    fs::write(&data, "").expect("write file");
    let output = analyze(&config, &data, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not-a-folder"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_error_exits_two() {
    let unknown = support::dnstel()
        .args(["run", "--no-such-option"])
        .output()
        .expect("run dnstel");
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    let remote = support::dnstel()
        .args(["capture", "--metrics-listen", "192.0.2.1:9100"])
        .output()
        .expect("run dnstel");
    assert_eq!(remote.status.code(), Some(2), "{}", stderr(&remote));
}

#[test]
fn config_error_exits_three() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = analyzer_config(directory.path());
    let rules = directory.path().join("broken_rules.xml");
    fs::write(&rules, "<group name=\"x,\">\n  <rule id=\"1\"").expect("write rules");
    let broken_rules = analyze(
        &config,
        &directory.path().join("data"),
        &["--rules", rules.to_str().expect("UTF-8 path")],
    );
    assert_eq!(
        broken_rules.status.code(),
        Some(3),
        "{}",
        stderr(&broken_rules)
    );
    assert!(stderr(&broken_rules).contains("broken_rules.xml"));

    let empty = directory.path().join("empty.conf");
    fs::write(&empty, "<ossec_config></ossec_config>\n").expect("write configuration");
    let no_inputs = analyze(&empty, &directory.path().join("data"), &[]);
    assert_eq!(no_inputs.status.code(), Some(3), "{}", stderr(&no_inputs));
}
