//! Wazuh's ruleset test files (`.ini`) and their runner.
//!
//! A section names the expected `rule`, `alert` (level) and `decoder`; each `log N pass` or
//! `log N fail` entry is one case. Repeated entries with the same name are joined with newlines
//! and run as one session, which is how frequency rules are tested. A case passes when the
//! triple (rule id, level, decoder name) of its last event equals the expected one with no
//! empty part (`pass`), or when it does not (`fail`), as with `wazuh-logtest -U`.

use chrono::{DateTime, FixedOffset};

use crate::engine::{Analyzer, EventSource, Session};

/// One section of a test file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestSection {
    /// Section name.
    pub name: String,
    /// Expected rule id.
    pub rule: String,
    /// Expected level.
    pub alert: String,
    /// Expected decoder name.
    pub decoder: String,
    /// Cases in file order.
    pub cases: Vec<TestCase>,
}

/// One `log N pass|fail` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// Entry name, such as `log 1 pass`.
    pub name: String,
    /// Event lines fed to one session.
    pub lines: Vec<String>,
    /// `false` for `fail` entries, which expect a mismatch.
    pub expect_match: bool,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Section name.
    pub section: String,
    /// Entry name.
    pub case: String,
    /// Whether the case passed.
    pub passed: bool,
    /// Observed (rule, level, decoder).
    pub actual: (String, String, String),
    /// Expected (rule, level, decoder).
    pub expected: (String, String, String),
}

/// Parses a test file the way Python's `RawConfigParser` with a multi-value dictionary does:
/// keys are lower-cased and split at the first `=` or `:`, values trimmed, an inline comment
/// starting with whitespace and `;` cut, repeated keys joined with newlines.
pub fn parse_ini(text: &str) -> Vec<TestSection> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let Some((_, options)) = sections.last_mut() {
                if let Some((_, value)) = options.last_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
            }
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
            sections.push((name.0.to_string(), Vec::new()));
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..split].trim().to_ascii_lowercase();
        let value = strip_inline_comment(line[split + 1..].trim());
        if let Some((_, options)) = sections.last_mut() {
            match options.iter_mut().find(|(existing, _)| *existing == key) {
                Some((_, existing)) => {
                    existing.push('\n');
                    existing.push_str(&value);
                }
                None => options.push((key, value)),
            }
        }
    }
    sections.into_iter().map(into_section).collect()
}

fn strip_inline_comment(value: &str) -> String {
    let mut cut = value.len();
    if let Some(position) = value.find(';') {
        if position > 0 && value.as_bytes()[position - 1].is_ascii_whitespace() {
            cut = position;
        }
    }
    let value = value[..cut].trim();
    if value == "\"\"" {
        String::new()
    } else {
        value.to_string()
    }
}

fn into_section((name, options): (String, Vec<(String, String)>)) -> TestSection {
    let get = |key: &str| {
        options
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let cases = options
        .iter()
        .filter(|(key, _)| key.starts_with("log "))
        .map(|(key, value)| TestCase {
            name: key.clone(),
            lines: value.split('\n').map(str::to_string).collect(),
            expect_match: !key.ends_with("fail"),
        })
        .collect();
    TestSection {
        rule: get("rule"),
        alert: get("alert"),
        decoder: get("decoder"),
        name,
        cases,
    }
}

/// Runs every case of `sections`, each in a new session with location `stdin` and agent `000`.
pub fn run_sections(
    analyzer: &Analyzer,
    sections: &[TestSection],
    time: DateTime<FixedOffset>,
) -> Vec<CaseResult> {
    let source = EventSource {
        location: "stdin".into(),
        agent: crate::alert::AgentInfo {
            id: "000".to_string(),
            ..Default::default()
        },
    };
    let mut results = Vec::new();
    for section in sections {
        let expected = (
            section.rule.clone(),
            section.alert.clone(),
            section.decoder.clone(),
        );
        for case in &section.cases {
            let actual = run_case(analyzer, &source, case, time);
            let equal = actual == expected;
            let empty_parts = [&expected.0, &expected.1, &expected.2]
                .iter()
                .filter(|part| part.is_empty())
                .count();
            let exit_ok = equal && empty_parts == 0;
            results.push(CaseResult {
                section: section.name.clone(),
                case: case.name.clone(),
                passed: exit_ok == case.expect_match,
                actual,
                expected: expected.clone(),
            });
        }
    }
    results
}

fn run_case(
    analyzer: &Analyzer,
    source: &EventSource,
    case: &TestCase,
    time: DateTime<FixedOffset>,
) -> (String, String, String) {
    let mut session = Session::new();
    let mut last = (String::new(), String::new(), String::new());
    for line in &case.lines {
        let outcome = analyzer.process(&mut session, line, source, time, false);
        let decoder = outcome
            .event
            .decoder
            .as_ref()
            .map(|decoder| decoder.name.clone())
            .unwrap_or_default();
        last = match &outcome.alert {
            Some(alert) => (
                alert.rule.id.to_string(),
                alert.rule.level.to_string(),
                decoder,
            ),
            None => (String::new(), String::new(), decoder),
        };
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_and_repeats() {
        let text = "[Sec one]\nlog 1 pass = {\"a\": 1}\nlog 1 pass = {\"a\": 2}\nlog 2 fail = x ; note\nrule = 10\nalert = 3\ndecoder = json\n\n# comment\n[Two]\nlog 1 pass = y\nrule = \nalert = \ndecoder = json\n";
        let sections = parse_ini(text);
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "Sec one");
        assert_eq!(sections[0].cases.len(), 2);
        assert_eq!(
            sections[0].cases[0].lines,
            vec!["{\"a\": 1}".to_string(), "{\"a\": 2}".to_string()]
        );
        assert_eq!(sections[0].cases[1].lines, vec!["x".to_string()]);
        assert!(!sections[0].cases[1].expect_match);
        assert_eq!(sections[0].rule, "10");
        assert_eq!(sections[1].rule, "");
        assert_eq!(sections[1].decoder, "json");
    }
}
