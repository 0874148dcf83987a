//! `dnstel read` on inputs that can be read only once, such as a named pipe.

mod support;

use std::io::Write;

#[test]
fn read_from_named_pipe() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let pipe = directory.path().join("capture.pcap");
    let status = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    let capture = std::fs::read(support::shared_dir().join("packetbeat-pcaps/dns_google_com.pcap"))
        .expect("read the capture");
    let writer_path = pipe.clone();
    let writer = std::thread::spawn(move || {
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .expect("open the pipe for writing");
        fifo.write_all(&capture)
            .expect("write the capture into the pipe");
    });
    let output = support::dnstel()
        .arg("read")
        .arg(&pipe)
        .output()
        .expect("run dnstel read");
    writer.join().expect("writer thread");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = String::from_utf8_lossy(&output.stdout);
    assert_eq!(events.lines().count(), 1, "one transaction in the capture");
    assert!(events.contains("\"name\":\"google.com\""), "{events}");
}

/// Returns each event of `output` without `agent.ephemeral_id`, which is derived from the
/// input file names and so differs between a path and `-`.
fn events_without_ephemeral_id(output: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|line| {
            let mut event: serde_json::Value = serde_json::from_str(line).expect("event JSON");
            event["agent"]
                .as_object_mut()
                .expect("agent object")
                .remove("ephemeral_id");
            event
        })
        .collect()
}

#[test]
fn dash_reads_standard_input() {
    let path = support::shared_dir().join("packetbeat-pcaps/dns_google_com.pcap");
    let capture = std::fs::read(&path).expect("read the capture");
    let from_file = support::dnstel()
        .arg("read")
        .arg(&path)
        .output()
        .expect("run dnstel read FILE");
    assert!(from_file.status.success());

    let mut child = support::dnstel()
        .args(["read", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dnstel read -");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&capture).expect("write the capture"));
    let from_stdin = child.wait_with_output().expect("wait for dnstel");
    writer.join().expect("writer thread");
    assert!(
        from_stdin.status.success(),
        "{}",
        String::from_utf8_lossy(&from_stdin.stderr)
    );
    let events = events_without_ephemeral_id(&from_stdin.stdout);
    assert_eq!(events.len(), 1);
    assert_eq!(events, events_without_ephemeral_id(&from_file.stdout));
}

#[test]
fn full_disk_still_prints_summary() {
    let path = support::shared_dir().join("packetbeat-pcaps/dns_google_com.pcap");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let output = support::dnstel()
        .arg("read")
        .arg(&path)
        .stdout(full)
        .output()
        .expect("run dnstel read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("1 transactions, 0 events written"),
        "summary line: {stderr}"
    );
    assert!(stderr.contains("events lost by the output: 1"), "{stderr}");
}
