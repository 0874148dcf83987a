//! One process per data folder: `run` and `analyze` lock `DIR/dnstel.lock` for their whole
//! life, so a second process on the same folder exits with the runtime error code (1), naming
//! the folder and the holder's pid, before it writes anything.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use support::ops::{analyzer_config, LoggedProcess};

const WAIT: Duration = Duration::from_secs(15);

fn analyze_once(config: &Path, data: &Path) -> Output {
    support::dnstel()
        .args(["analyze", "--once", "-c"])
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("run dnstel")
}

fn text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

/// Checks that `output` is the refusal of a second process on `data`, held by `holder`.
fn assert_locked_out(output: &Output, data: &Path, holder: u32) {
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains(&text(data)), "{message}");
    assert!(
        message.contains("in use by another dnstel process"),
        "{message}"
    );
    assert!(message.contains(&format!("(pid {holder})")), "{message}");
}

/// Runs `command` to its end and returns its output, or kills it and fails after `timeout`: a
/// second `run` that is not locked out would capture until stopped.
fn output_within(mut command: std::process::Command, timeout: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dnstel");
    let deadline = Instant::now() + timeout;
    while child.try_wait().expect("poll dnstel").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dnstel was still running after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("collect output")
}

#[test]
fn second_analyzer_locked_out() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = analyzer_config(directory.path());
    let data = directory.path().join("data");
    let first = LoggedProcess::start(
        &["analyze", "-c", &text(&config), "--data-dir", &text(&data)],
        "analyzer started",
    );
    let alerts = support::ops::wait_for_lines(&data.join("alerts.json"), 1, WAIT);

    let follow = analyze_once(&config, &data);
    assert_locked_out(&follow, &data, first.child.id());
    let stdin = support::dnstel()
        .args(["analyze", "--stdin", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run dnstel");
    assert_locked_out(&stdin, &data, first.child.id());
    let after = fs::read_to_string(data.join("alerts.json")).expect("read alerts");
    assert_eq!(after, alerts, "the refused processes wrote no alert");

    let status = first.stop();
    assert!(status.success(), "dnstel exited with {status}");
    // The lock file stays, but the lock ended with its holder.
    assert!(data.join("dnstel.lock").is_file());
    let again = analyze_once(&config, &data);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// `run --user` switches user after it takes the lock, and keeps holding it. Needs root.
#[test]
fn run_keeps_lock_after_user_switch() {
    if !support::live::live_tests_enabled() {
        return;
    }
    let known = std::process::Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !known {
        eprintln!("not running: no user named nobody");
        return;
    }
    let directory = tempfile::tempdir().expect("temporary directory");
    let config = analyzer_config(directory.path());
    let data = directory.path().join("data");
    let data_text = text(&data);
    let first = LoggedProcess::start(
        &[
            "run",
            "-i",
            "lo",
            "--data-dir",
            &data_text,
            "--user",
            "nobody",
        ],
        "capture started",
    );
    first.wait_for_log("dropped privileges", WAIT);

    let analyze = analyze_once(&config, &data);
    assert_locked_out(&analyze, &data, first.child.id());
    let mut second = support::dnstel();
    second.args(["run", "-i", "lo", "--data-dir", &data_text]);
    let run = output_within(second, WAIT);
    assert_locked_out(&run, &data, first.child.id());
    let rotated: Vec<_> = fs::read_dir(&data)
        .expect("list data folder")
        .map(|entry| entry.expect("entry").file_name())
        .filter(|name| name.to_string_lossy().starts_with("packetbeat."))
        .collect();
    assert!(
        rotated.is_empty(),
        "the event file was rotated: {rotated:?}"
    );

    let status = first.stop();
    assert!(status.success(), "dnstel exited with {status}");
}
