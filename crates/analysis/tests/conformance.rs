//! Conformance with Wazuh's own ruleset tests: every `decoder = json` case of the default
//! ruleset's `.ini` files, run against the default rules and decoders plus the test-only rule
//! and decoder files, with rule 60000 switched to `decoded_as json` as Wazuh's test runner does.
//!
//! Individual failures do not fail the build; the pass count must not fall below
//! [`PASS_FLOOR`]. Failing cases are listed in CONFORMANCE.md.

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use chrono::DateTime;
use dnstel_analysis::loading::{self, LoadedRuleset, RulesetRequest};
use dnstel_analysis::testini::{parse_ini, run_sections, TestSection};
use dnstel_analysis::{AnalysisConfig, Analyzer, MitreTable};

/// Lowest accepted number of passing cases (out of the JSON entries counted below).
const PASS_FLOOR: usize = 831;

/// Lowest accepted number of passing non-JSON cases (syslog-style events).
const OTHER_PASS_FLOOR: usize = 720;

fn wazuh_ruleset() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wazuh/ruleset")
}

fn load(root: &Path) -> Result<LoadedRuleset, loading::LoadFailure> {
    let testing = root.join("testing/ruleset");
    let mut test_files = loading::sorted_xml_files(&testing)?;
    test_files.retain(|file| {
        file.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("test_"))
    });
    let (extra_rules, extra_decoders) = test_files
        .into_iter()
        .partition(|file| file.to_string_lossy().ends_with("_rules.xml"));
    let request = RulesetRequest {
        dir: Some(root.to_path_buf()),
        extra_rules,
        extra_decoders,
        extra_lists: Vec::new(),
    };
    let mut loaded = loading::load(&request)?;
    for error in &loaded.errors {
        println!("load error: {error}");
    }
    for rule in loaded.rules.iter_mut().filter(|rule| rule.id == 60000) {
        rule.decoded_as = Some("json".to_string());
        rule.category = None;
    }
    Ok(loaded)
}

fn test_sections(root: &Path, json_only: bool) -> Vec<(String, Vec<TestSection>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("testing/tests"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            let name = file.file_name()?.to_string_lossy().to_string();
            let custom = name.starts_with("test_");
            if !name.ends_with(".ini") || custom || name.ends_with("geoip.ini") {
                return None;
            }
            let text = std::fs::read_to_string(&file).ok()?;
            let sections: Vec<TestSection> = parse_ini(&text)
                .into_iter()
                .filter(|section| !json_only || section.decoder == "json")
                .collect();
            (!sections.is_empty()).then_some((name, sections))
        })
        .collect()
}

#[test]
fn wazuh_json_ruleset_tests() {
    let root = wazuh_ruleset();
    if !root.exists() {
        eprintln!("Wazuh ruleset not present at {}; skipping", root.display());
        return;
    }
    let sections = test_sections(&root, true);
    let total: usize = sections
        .iter()
        .flat_map(|(_, sections)| sections)
        .map(|section| section.cases.len())
        .sum();
    let loaded = match load(&root) {
        Ok(loaded) => loaded,
        Err(error) => panic!("Wazuh ruleset failed to load: {error}"),
    };
    let config = AnalysisConfig {
        log_alert_level: 3,
        email_alert_level: 12,
        manager_name: "wazuh-manager".to_string(),
        mitre: MitreTable::bundled("13.1").expect("13.1 is bundled"),
    };
    let analyzer = Analyzer::new(loaded.rules, loaded.decoders, config);
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").expect("valid timestamp");
    let mut passed = 0;
    for (file, sections) in &sections {
        for result in run_sections(&analyzer, sections, time) {
            let status = if result.passed { "pass" } else { "FAIL" };
            println!(
                "{status} {file} [{}] {}: expected {:?} got {:?}",
                result.section, result.case, result.expected, result.actual
            );
            passed += usize::from(result.passed);
        }
    }
    println!("conformance: {passed} of {total} JSON cases pass");
    assert!(
        passed >= PASS_FLOOR,
        "{passed} passing cases, floor {PASS_FLOOR}"
    );

    let mut other_passed = 0;
    let mut other_total = 0;
    for (file, sections) in test_sections(&root, false) {
        let others: Vec<TestSection> = sections
            .into_iter()
            .filter(|section| section.decoder != "json")
            .collect();
        for result in run_sections(&analyzer, &others, time) {
            let status = if result.passed { "pass" } else { "FAIL" };
            println!(
                "{status} (non-JSON) {file} [{}] {}: expected {:?} got {:?}",
                result.section, result.case, result.expected, result.actual
            );
            other_total += 1;
            other_passed += usize::from(result.passed);
        }
    }
    println!("conformance: {other_passed} of {other_total} non-JSON cases pass");
    assert!(
        other_passed >= OTHER_PASS_FLOOR,
        "{other_passed} passing non-JSON cases, floor {OTHER_PASS_FLOOR}"
    );
}
