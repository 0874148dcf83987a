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

/// `dnstel run` with an invalid option must fail before it touches its data folder: an
/// existing event file stays where it is, unrotated, and no new file appears.
#[test]
fn run_usage_error_keeps_data_folder() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let data = directory.path().join("data");
    fs::create_dir(&data).expect("create data folder");
    fs::write(data.join("packetbeat"), "{\"old\":true}\n").expect("write event file");
    let missing_ruleset = directory.path().join("missing-ruleset");
    let cases: [(&[&str], i32); 3] = [
        (&["--label", "no-equals-sign"], 2),
        (&["--user", "dnstel-no-such-user"], 2),
        (
            &["--ruleset", missing_ruleset.to_str().expect("UTF-8 path")],
            3,
        ),
    ];
    for (extra, code) in cases {
        let output = support::dnstel()
            .args(["run", "-i", "lo", "--data-dir"])
            .arg(&data)
            .args(extra)
            .output()
            .expect("run dnstel");
        assert_eq!(
            output.status.code(),
            Some(code),
            "{extra:?}: {}",
            stderr(&output)
        );
        let mut names: Vec<String> = fs::read_dir(&data)
            .expect("list data folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        assert_eq!(names, vec!["packetbeat".to_owned()], "{extra:?}");
        let events = fs::read_to_string(data.join("packetbeat")).expect("read event file");
        assert_eq!(events, "{\"old\":true}\n", "{extra:?}");
    }
}
