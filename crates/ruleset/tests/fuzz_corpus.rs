//! Replays every committed fuzz corpus file through the fuzz entry points.

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus folder exists")
        .map(|entry| entry.expect("readable entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read(path).expect("readable corpus file"))
        .collect()
}

#[test]
fn rule_xml_corpus_replays() {
    let inputs = corpus("rule_xml");
    assert!(!inputs.is_empty());
    for input in inputs {
        dnstel_ruleset::fuzzing::rule_xml(&input);
    }
}

#[test]
fn os_regex_corpus_replays() {
    let inputs = corpus("os_regex");
    assert!(!inputs.is_empty());
    for input in inputs {
        dnstel_ruleset::fuzzing::os_regex(&input);
    }
}
