//! Entry points shared by the fuzz targets and the corpus replay test.

use crate::matcher::{MatchKind, Matcher, OsRegex, Pattern};
use crate::Ruleset;

/// Loads `data` as a decoder file and as a rule file.
pub fn rule_xml(data: &[u8]) {
    let mut set = Ruleset::default();
    set.add_decoder_text("decoders/fuzz.xml", data);
    set.add_rule_text("rules/fuzz.xml", data);
    for error in &set.errors {
        let _ = error.to_string();
    }
}

/// Splits `data` at its first newline into a pattern and a text, then
/// runs the pattern through OS_Regex (with and without captures) and
/// OS_Match.
pub fn os_regex(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, subject) = text.split_once('\n').unwrap_or((&text, ""));
    for regex in [OsRegex::new(pattern), OsRegex::with_captures(pattern)]
        .into_iter()
        .flatten()
    {
        if let Some(span) = regex.find(subject) {
            assert!(span.end <= subject.len(), "match end past the text");
            for index in 0..span.groups.len() {
                let _ = span.group(subject, index);
            }
        }
    }
    if let Ok(pattern) = Pattern::compile(MatchKind::OsMatch, pattern) {
        let _ = pattern.is_match(subject);
    }
}
