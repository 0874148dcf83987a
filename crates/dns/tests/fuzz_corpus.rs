//! Replays every committed fuzz seed through the fuzz entry point.

use std::fs;
use std::path::PathBuf;

use dnstel_dns::{fuzz_parse, parse, ParseOptions};

fn corpus_files() -> Vec<PathBuf> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_message");
    let mut files: Vec<PathBuf> = fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()))
        .map(|entry| entry.expect("directory entry is readable").path())
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_replays_without_panic() {
    let files = corpus_files();
    assert!(files.len() >= 8, "seed corpus is missing files");
    for path in files {
        let bytes = fs::read(&path).expect("seed is readable");
        fuzz_parse(&bytes);
    }
}

#[test]
fn clean_seeds_have_no_anomalies() {
    let options = ParseOptions {
        multicast_class_bit: true,
    };
    for path in corpus_files() {
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if file_name == "pointer_loop" {
            continue;
        }
        let bytes = fs::read(&path).expect("seed is readable");
        let message = parse(&bytes, &options).expect("seed has a header");
        assert!(
            message.anomalies.is_empty(),
            "{file_name}: {:?}",
            message.anomalies
        );
    }
}
