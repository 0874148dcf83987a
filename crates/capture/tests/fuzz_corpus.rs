//! Replays the committed fuzz corpus through the fuzz entry point.

use std::fs;
use std::path::Path;

#[test]
fn filter_parse_corpus_replays() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/filter_parse");
    let mut count = 0;
    for entry in fs::read_dir(&directory).expect("corpus directory exists") {
        let path = entry.expect("directory entry").path();
        let data = fs::read(&path).expect("corpus file readable");
        dnstel_capture::fuzzing::filter_parse(&data);
        count += 1;
    }
    assert!(
        count >= 5,
        "only {count} corpus files in {}",
        directory.display()
    );
}
