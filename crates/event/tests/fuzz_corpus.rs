//! Replays the committed fuzz corpus through the fuzz entry point.

use std::path::PathBuf;

#[test]
fn fuzz_corpus_replays() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/encode_event");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory exists") {
        let path = entry.expect("corpus entry").path();
        let bytes = std::fs::read(&path).expect("corpus file reads");
        dnstel_event::fuzz::fuzz_encode(&bytes);
        replayed += 1;
    }
    assert!(replayed > 0, "no corpus files in {}", dir.display());
}
