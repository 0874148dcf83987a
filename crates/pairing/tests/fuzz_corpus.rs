//! Replays every committed fuzz seed through the fuzz entry points.

use std::fs;
use std::path::PathBuf;

use dnstel_pairing::fuzzing::{fuzz_pairing, fuzz_tcp_reassembly};

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()))
        .map(|entry| entry.expect("directory entry is readable").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| fs::read(path).expect("seed is readable"))
        .collect()
}

#[test]
fn tcp_reassembly_seeds_replay() {
    let seeds = seeds("tcp_reassembly");
    assert!(seeds.len() >= 5, "seed corpus is missing files");
    for seed in seeds {
        fuzz_tcp_reassembly(&seed);
    }
}

#[test]
fn pairing_seeds_replay() {
    let seeds = seeds("pairing");
    assert!(seeds.len() >= 5, "seed corpus is missing files");
    for seed in seeds {
        fuzz_pairing(&seed);
    }
}
