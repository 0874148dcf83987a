//! Replays the committed fuzz corpus through the codec, so `cargo test` covers it.

use std::fs;
use std::path::Path;

use dnstel_output::JsonCodec;

#[test]
fn json_codec_corpus_replays() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/json_codec");
    let mut replayed = 0;
    for entry in fs::read_dir(&directory).expect("corpus directory exists") {
        let path = entry.expect("corpus entry readable").path();
        let data = fs::read(&path).expect("corpus file readable");
        for (pretty, escape_html) in [(false, false), (false, true), (true, false), (true, true)] {
            let mut out = Vec::new();
            let codec = JsonCodec {
                pretty,
                escape_html,
            };
            if codec.encode_into(&data, &mut out).is_ok() {
                assert_eq!(out.last(), Some(&b'\n'), "{}", path.display());
                let lines = out.iter().filter(|b| **b == b'\n').count();
                if !pretty {
                    assert_eq!(lines, 1, "{}", path.display());
                }
            }
        }
        replayed += 1;
    }
    assert!(replayed >= 4, "only {replayed} corpus files");
}
