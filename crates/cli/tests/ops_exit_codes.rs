//! The documented exit codes: 0 success, 1 runtime error, 2 usage error, 3 configuration
//! error.

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;

use support::ops::analyzer_config;

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
        assert_eq!(
            entry_names(&data),
            vec!["packetbeat".to_owned()],
            "{extra:?}"
        );
        let events = fs::read_to_string(data.join("packetbeat")).expect("read event file");
        assert_eq!(events, "{\"old\":true}\n", "{extra:?}");
    }
}

/// Returns the sorted names of the entries in `folder`, or none when it does not exist.
fn entry_names(folder: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Writes a packetbeat.yml that keeps `meta.json` and the events inside `directory`.
fn sensor_config(directory: &Path) -> std::path::PathBuf {
    let config = directory.join("packetbeat.yml");
    fs::write(
        &config,
        format!(
            "packetbeat.protocols:\n- type: dns\n  ports: [53]\npath.data: {}\n\
             output.file:\n  path: {}\n  filename: packetbeat\n",
            directory.join("data").display(),
            directory.join("events").display()
        ),
    )
    .expect("write configuration");
    config
}

/// Runs `dnstel run` and `dnstel capture` on `interface` with a configuration in `directory`,
/// each through a command from `dnstel`, and returns their outputs by command name.
fn start_sensors(
    directory: &Path,
    interface: &str,
    dnstel: impl Fn() -> std::process::Command,
) -> [(&'static str, Output); 2] {
    let config = sensor_config(directory);
    let run = dnstel()
        .args(["run", "-i", interface, "-c"])
        .arg(&config)
        .arg("--data-dir")
        .arg(directory.join("data"))
        .output()
        .expect("run dnstel");
    // `capture` takes its folders from packetbeat.yml.
    let capture = dnstel()
        .args(["capture", "-i", interface, "-c"])
        .arg(&config)
        .output()
        .expect("run dnstel");
    [("run", run), ("capture", capture)]
}

/// Checks that each command exited with `code`, printed every text of `expected`, and wrote
/// nothing beside its configuration in `directory`.
fn assert_failed_cleanly(
    directory: &Path,
    outputs: &[(&str, Output)],
    code: i32,
    expected: &[&str],
) {
    for (command, output) in outputs {
        let message = stderr(output);
        assert_eq!(output.status.code(), Some(code), "{command}: {message}");
        for text in expected {
            assert!(message.contains(text), "{command}: {message}");
        }
        assert_eq!(
            entry_names(directory),
            vec!["packetbeat.yml".to_owned()],
            "{command} wrote files before it failed"
        );
    }
}

/// An unknown interface is a configuration error, reported before any file is written. Needs
/// root: without it the packet socket fails first.
#[test]
fn unknown_interface_exits_three() {
    if !support::live::live_tests_enabled() {
        return;
    }
    let directory = tempfile::tempdir().expect("temporary directory");
    let outputs = start_sensors(directory.path(), "nosuch0", support::dnstel);
    assert_failed_cleanly(
        directory.path(),
        &outputs,
        3,
        &["\"nosuch0\" not found", "ip link"],
    );
}

/// Returns a command that runs `dnstel` without any capability: as root, through `setpriv`
/// with empty bounding and inheritable sets, or else as the current user.
fn dnstel_without_capabilities() -> std::process::Command {
    if !support::is_root() {
        return support::dnstel();
    }
    let mut command = std::process::Command::new("setpriv");
    command
        .args(["--bounding-set=-all", "--inh-caps=-all", "--"])
        .arg(env!("CARGO_BIN_EXE_dnstel"));
    command
}

/// Without CAP_NET_RAW the packet socket fails: a runtime error that names the capability,
/// reported before any file is written.
#[test]
fn capture_without_capability_explains() {
    if support::is_root() && !has_setpriv() {
        eprintln!("not running: setpriv (util-linux) is missing");
        return;
    }
    let directory = tempfile::tempdir().expect("temporary directory");
    let outputs = start_sensors(directory.path(), "lo", dnstel_without_capabilities);
    assert_failed_cleanly(
        directory.path(),
        &outputs,
        1,
        &["Operation not permitted", "CAP_NET_RAW"],
    );
}

fn has_setpriv() -> bool {
    std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}
