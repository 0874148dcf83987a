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

#[test]
fn default_ruleset_options_resolved() {
    let set = Ruleset::load(&ruleset_dir(), &LoadOptions::default());
    let list_lookups: usize = set.rules.iter().map(|r| r.lists.len()).sum();
    assert_eq!(list_lookups, 25);
    let json_rules = set
        .rules
        .iter()
        .filter(|r| r.decoded_as.as_deref() == Some("json"))
        .count();
    assert_eq!(json_rules, 40);
    let with_mitre = set.rules.iter().filter(|r| !r.mitre.is_empty()).count();
    assert!(with_mitre > 1000, "only {with_mitre} rules with MITRE ids");
    let roots: Vec<u32> = set
        .rules
        .iter()
        .filter(|r| r.is_root())
        .map(|r| r.id)
        .collect();
    assert_eq!(roots, [1, 2, 3, 4, 5, 6, 7]);
    let json_decoder = set
        .decoders
        .iter()
        .find(|d| d.name == "json")
        .expect("json decoder loaded");
    assert!(json_decoder.plugin.is_some());
    assert_eq!(json_decoder.source.file, "decoders/0006-json_decoders.xml");
}
