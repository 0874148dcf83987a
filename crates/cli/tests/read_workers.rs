//! `dnstel read --workers N` shards pairing and encoding by flow. Its output must be the same
//! on every run with the same N, hold the same events as one worker, and report the same
//! counters. The order may differ only between events that complete at the same packet in
//! different shards.

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

/// Reads `files` as one stream with `--workers workers` and returns standard output and the
/// summary from standard error with its timing removed.
fn read_all(files: &[PathBuf], workers: usize) -> (Vec<u8>, String) {
    let output = support::dnstel()
        .arg("read")
        .arg("--workers")
        .arg(workers.to_string())
        .args(files)
        .env("DNSTEL_LOG", "warn")
        .output()
        .expect("dnstel runs");
    assert!(
        output.status.success(),
        "dnstel read --workers {workers} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary: Vec<String> = stderr
        .lines()
        .filter(|line| line.starts_with("read ") || line.starts_with("dropped or skipped"))
        .map(|line| match (line.find(" in "), line.find("):")) {
            (Some(start), Some(end)) if line.starts_with("read ") => {
                format!("{}{}", &line[..start], &line[end + 1..])
            }
            _ => line.to_owned(),
        })
        .collect();
    (output.stdout, summary.join("\n"))
}

fn sorted_lines(output: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = output.split(|&byte| byte == b'\n').collect();
    lines.sort_unstable();
    lines
}

fn assert_same_events(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no captures found");
    let (single, single_summary) = read_all(files, 1);
    assert!(!single.is_empty(), "one worker wrote no events");
    assert!(
        single_summary.contains(" transactions, "),
        "{single_summary}"
    );
    for workers in [2, 4] {
        let (parallel, summary) = read_all(files, workers);
        let (again, _) = read_all(files, workers);
        assert!(
            parallel == again,
            "--workers {workers} differs between runs"
        );
        assert_eq!(
            single.len(),
            parallel.len(),
            "--workers {workers} wrote a different number of bytes"
        );
        assert!(
            sorted_lines(&single) == sorted_lines(&parallel),
            "--workers {workers} wrote different events"
        );
        assert_eq!(
            summary, single_summary,
            "--workers {workers} counters differ"
        );
    }
}

#[test]
fn workers_match_on_corpus() {
    assert_same_events(&captures_under(&support::shared_dir().join("corpus/pcaps")));
}

#[test]
fn workers_match_on_packetbeat_captures() {
    assert_same_events(&captures_under(
        &support::shared_dir().join("packetbeat-pcaps"),
    ));
}

#[test]
fn workers_match_on_crafted_fixtures() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    assert_same_events(&captures_under(&data));
}
