//! Replays the committed fuzz corpus through the fuzz entry point.

use std::fs;
use std::path::Path;

#[test]
fn read_capture_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/read_capture");
    let mut count = 0;
    for entry in fs::read_dir(&dir).expect("corpus directory exists") {
        let path = entry.expect("corpus entry").path();
        let data = fs::read(&path).expect("corpus file readable");
        dnstel_pcap::fuzzing::read_capture(&data);
        count += 1;
    }
    assert!(count > 0, "no corpus files in {}", dir.display());
}
