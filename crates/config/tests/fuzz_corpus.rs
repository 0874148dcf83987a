//! Replays the committed fuzz corpus through the fuzz entry point, so `cargo test` covers it.

use std::fs;
use std::path::Path;

use dnstel_config::Config;

#[test]
fn load_config_corpus_replays() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/load_config");
    let mut replayed = 0;
    for entry in fs::read_dir(&directory).expect("corpus directory exists") {
        let path = entry.expect("corpus entry readable").path();
        let data = fs::read(&path).expect("corpus file readable");
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = Config::from_yaml_with_env(text, "fuzz.yml", &|name| {
                (name.len() < 8).then(|| name.to_owned())
            });
        }
        replayed += 1;
    }
    assert!(replayed >= 6, "only {replayed} corpus files");
}
