//! Runs Wazuh's OS_Regex test vectors (from Wazuh 4.14's unit tests) through
//! [`OsRegex`] compiled with capture recording, as those tests do.

use std::path::PathBuf;

use dnstel_ruleset::matcher::OsRegex;
use dnstel_ruleset::Matcher;
use serde_json::Value;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/wazuh/testdata/os_regex_execute_vectors.json")
}

/// One vector and what the engine produced for it.
struct Outcome {
    description: String,
    pattern: String,
    log: String,
    ignored: bool,
    expected: (Option<String>, Vec<String>),
    actual: (Option<String>, Vec<String>),
}

impl Outcome {
    /// Compares as Wazuh's harness does: groups are only checked when a
    /// match is expected and found.
    fn agrees(&self) -> bool {
        match (&self.expected.0, &self.actual.0) {
            (Some(_), Some(_)) => self.expected == self.actual,
            (expected, actual) => expected == actual,
        }
    }
}

fn run_vectors() -> Vec<Outcome> {
    let text = std::fs::read_to_string(vectors_path()).expect("vector file is readable");
    let suites: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let mut outcomes = Vec::new();
    for suite in suites.as_array().expect("top level is an array") {
        for case in suite["batch_test"]
            .as_array()
            .expect("batch_test is an array")
        {
            if case["skip_test"].as_bool() == Some(true) {
                continue;
            }
            outcomes.push(run_case(case));
        }
    }
    outcomes
}

fn run_case(case: &Value) -> Outcome {
    let pattern = case["pattern"].as_str().expect("pattern is a string");
    let log = case["log"].as_str().expect("log is a string");
    let expected_end = case["end_match"].as_str().map(str::to_owned);
    let expected_groups = case["captured_groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| g.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let actual = match OsRegex::with_captures(pattern) {
        Ok(regex) => match regex.find(log) {
            Some(span) => {
                let groups = (0..span.groups.len())
                    .map(|i| span.group(log, i).unwrap_or_default().into_owned())
                    .collect();
                (Some(log[span.end..].to_owned()), groups)
            }
            None => (None, Vec::new()),
        },
        Err(_) => (None, Vec::new()),
    };
    Outcome {
        description: case["description"].as_str().unwrap_or_default().to_owned(),
        pattern: pattern.to_owned(),
        log: log.to_owned(),
        ignored: case["ignore_result"].as_bool() == Some(true),
        expected: (expected_end, expected_groups),
        actual,
    }
}

#[test]
fn vectors_match_wazuh() {
    let outcomes = run_vectors();
    assert!(outcomes.len() > 400, "only {} vectors ran", outcomes.len());
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.ignored && !o.agrees())
        .map(|o| {
            format!(
                "pattern {:?} log {:?}: expected {:?}, got {:?}",
                o.pattern, o.log, o.expected, o.actual
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}

/// Prints the outcome of every vector Wazuh marks `ignore_result` (known
/// wrong in Wazuh); run with `--nocapture` to see the table.
#[test]
fn ignored_vectors_report() {
    for outcome in run_vectors().iter().filter(|o| o.ignored) {
        let verdict = if outcome.agrees() {
            "as expected"
        } else {
            "differs"
        };
        println!(
            "{verdict}: {} | pattern {:?} log {:?} expected {:?} got {:?}",
            outcome.description, outcome.pattern, outcome.log, outcome.expected, outcome.actual
        );
    }
}
