//! Duplicate rule ids: a user's rule file may define the built-in category root rules 1-7
//! again without a warning, but two definitions in the user's own files still warn, and
//! Wazuh's rule of keeping the first applies.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

fn logtest(rules: &Path) -> Output {
    let arguments = [
        OsStr::new("logtest"),
        OsStr::new("--rules"),
        rules.as_os_str(),
    ];
    support::run_with_input(arguments, b"{\"method\":\"QUERY\"}\n")
}

fn repository_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

#[test]
fn repository_rules_load_without_warning() {
    let output = logtest(&repository_rules());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("duplicate rule id"), "{stderr}");
    assert!(stdout.contains("id: '200300'"), "{stdout}");
}

#[test]
fn user_duplicates_still_warn() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let roots = repository_rules().join("0010-category-roots.xml");
    std::fs::copy(&roots, directory.path().join("0010-roots.xml")).expect("copy roots");
    let rule = |description: &str| {
        format!(
            "<group name=\"test,\">\n  <rule id=\"100\" level=\"5\">\n    \
             <decoded_as>json</decoded_as>\n    <field name=\"method\">QUERY</field>\n    \
             <description>{description}</description>\n  </rule>\n</group>\n"
        )
    };
    std::fs::write(directory.path().join("0100-first.xml"), rule("first")).expect("write");
    std::fs::write(directory.path().join("0200-second.xml"), rule("second")).expect("write");
    std::fs::copy(&roots, directory.path().join("0300-roots-again.xml")).expect("copy roots");

    let output = logtest(directory.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("duplicate rule id"))
        .collect();
    assert_eq!(warnings.len(), 8, "{stderr}");
    assert!(warnings[0].contains("0200-second.xml"), "{stderr}");
    assert!(warnings[0].contains("duplicate rule id 100"), "{stderr}");
    for (root, warning) in (1..=7).zip(&warnings[1..]) {
        assert!(warning.contains("0300-roots-again.xml"), "{warning}");
        assert!(
            warning.contains(&format!("duplicate rule id {root},")),
            "{warning}"
        );
    }
    assert!(stdout.contains("description: 'first'"), "{stdout}");
}
