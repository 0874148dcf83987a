//! The sensor's events take the analyzer's one-pass JSON decoder. That decoder declines
//! shapes it does not handle and leaves them to the general decoder, which gives the same
//! alerts more slowly, so a change of event layout could slow the analyzer without failing
//! any output test. Every event of the ordinary captures must therefore be accepted, and the
//! events of the crafted captures must decode the same either way.

mod support;

use std::path::PathBuf;

use dnstel_analysis::fuzzing::check_one_pass_decoder;

/// Returns the path of `name` in the test data folder.
fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Returns the event lines that `dnstel read` writes for `capture`.
fn event_lines(capture: &str) -> Vec<String> {
    let output = support::dnstel()
        .arg("read")
        .arg(data(capture))
        .output()
        .expect("run dnstel read");
    assert!(output.status.success(), "dnstel read {capture} failed");
    String::from_utf8(output.stdout)
        .expect("events are UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn ordinary_events_take_one_pass() {
    for capture in ["live-lo.pcap", "live-any-sll2.pcap", "crafted-vlan.pcap"] {
        let lines = event_lines(capture);
        assert!(!lines.is_empty(), "{capture} has events");
        for line in &lines {
            assert!(check_one_pass_decoder(line), "{capture}: {line}");
        }
    }
}

#[test]
fn crafted_events_decode_alike() {
    let mut accepted = 0;
    let mut lines_seen = 0;
    for entry in std::fs::read_dir(data("")).expect("read test data") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if !name.starts_with("crafted-") || !name.ends_with(".pcap") {
            continue;
        }
        for line in event_lines(&name) {
            lines_seen += 1;
            if check_one_pass_decoder(&line) {
                accepted += 1;
            }
        }
    }
    assert!(lines_seen > 0, "crafted captures have events");
    assert!(accepted > 0, "{accepted} of {lines_seen} accepted");
}
