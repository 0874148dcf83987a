//! Replays the committed fuzz corpora through the fuzz entry points.

use std::fs;
use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry_path in fs::read_dir(&dir).expect("corpus directory exists") {
        let path = entry_path.expect("corpus entry").path();
        let data = fs::read(&path).expect("corpus file readable");
        entry(&data);
        count += 1;
    }
    assert!(count > 0, "no corpus files in {}", dir.display());
}

#[test]
fn decode_frame_corpus_replays() {
    replay("decode_frame", dnstel_packet::fuzzing::decode_frame);
}

#[test]
fn defragment_corpus_replays() {
    replay("defragment", dnstel_packet::fuzzing::defragment);
}
