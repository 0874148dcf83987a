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
