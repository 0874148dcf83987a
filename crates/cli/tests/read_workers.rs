//! `dnstel read --workers N` must write the same bytes as one worker: encoding moves to other
//! threads but the events keep the order the single-threaded sensor completed them in.

mod support;

use std::path::{Path, PathBuf};

/// Capture files directly in `dir` and its subfolders, sorted so runs read the same stream.
fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|ext| ext.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Reads `files` as one stream with `--workers workers` and returns standard output.
fn read_all(files: &[PathBuf], workers: usize) -> Vec<u8> {
    let output = support::dnstel()
        .arg("read")
        .arg("--workers")
        .arg(workers.to_string())
        .args(files)
        .output()
        .expect("dnstel runs");
    assert!(
        output.status.success(),
        "dnstel read --workers {workers} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn assert_same_output(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no captures found");
    let single = read_all(files, 1);
    assert!(!single.is_empty(), "one worker wrote no events");
    for workers in [2, 4] {
        let parallel = read_all(files, workers);
        assert_eq!(
            single.len(),
            parallel.len(),
            "--workers {workers} wrote a different number of bytes"
        );
        assert!(
            single == parallel,
            "--workers {workers} wrote different bytes"
        );
    }
}

#[test]
fn workers_match_on_corpus() {
    assert_same_output(&captures_under(&support::shared_dir().join("corpus/pcaps")));
}

#[test]
fn workers_match_on_packetbeat_captures() {
    assert_same_output(&captures_under(
        &support::shared_dir().join("packetbeat-pcaps"),
    ));
}

#[test]
fn workers_match_on_crafted_fixtures() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    assert_same_output(&captures_under(&data));
}
