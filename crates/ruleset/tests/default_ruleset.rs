//! Loads Wazuh 4.14's whole default ruleset (rules, decoders and lists).

use std::path::PathBuf;

use dnstel_ruleset::{LoadOptions, Ruleset};

fn ruleset_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wazuh/ruleset")
}

#[test]
fn default_ruleset_loads_cleanly() {
    let set = Ruleset::load(&ruleset_dir(), &LoadOptions::default());
    let messages: Vec<String> = set.errors.iter().map(ToString::to_string).collect();
    assert!(
        messages.is_empty(),
        "{} errors:\n{}",
        messages.len(),
        messages.join("\n")
    );
    assert_eq!(set.rules.len(), 4512);
    assert_eq!(set.decoders.len(), 1575);
    assert_eq!(set.lists.len(), 7);
    assert!(set.warnings.is_empty(), "warnings: {:?}", set.warnings);
}
