//! PCRE2 patterns (`type="pcre2"`), run by libpcre2 through the `pcre2`
//! crate.
//!
//! Wazuh compiles these with no options: case-sensitive, byte (non-UTF)
//! mode, unanchored search. dnstel does the same and also caps every match
//! with PCRE2's own match and depth limits, so a catastrophic pattern ends
//! with an error (counted, reported as no match) instead of running for
//! minutes. The limits are set with PCRE2's start-of-pattern items, which
//! can only lower the library defaults.

use std::sync::atomic::{AtomicU64, Ordering};

use pcre2::bytes::{Regex, RegexBuilder};

use super::os_match::c_string;
use super::{MatchSpan, Matcher, PatternError};

/// Maximum number of internal match calls per match attempt
/// (`(*LIMIT_MATCH=...)`). The PCRE2 default is 10,000,000.
pub const MATCH_LIMIT: u32 = 1_000_000;
/// Maximum backtracking depth per match attempt (`(*LIMIT_DEPTH=...)`).
pub const DEPTH_LIMIT: u32 = 10_000;

/// A compiled PCRE2 pattern with its limit counter.
#[derive(Debug)]
pub struct Pcre2Pattern {
    source: String,
    regex: Regex,
    limit_hits: AtomicU64,
}

impl Pcre2Pattern {
    /// Compiles `source` as Wazuh does, with dnstel's match limits.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        let prefix = format!("(*LIMIT_MATCH={MATCH_LIMIT})(*LIMIT_DEPTH={DEPTH_LIMIT})");
        let limited = format!("{prefix}{source}");
        let regex = RegexBuilder::new()
            .jit_if_available(cfg!(feature = "pcre2-jit"))
            .build(&limited)
            .map_err(|err| compile_error(&err, prefix.len()))?;
        Ok(Self {
            source: source.to_owned(),
            regex,
            limit_hits: AtomicU64::new(0),
        })
    }

    /// Returns the pattern text as written in the rule.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns how many matches failed with a PCRE2 error (match or depth
    /// limit reached).
    pub fn limit_hits(&self) -> u64 {
        self.limit_hits.load(Ordering::Relaxed)
    }

    fn count_error(&self) {
        self.limit_hits.fetch_add(1, Ordering::Relaxed);
    }
}

impl Matcher for Pcre2Pattern {
    fn is_match(&self, text: &str) -> bool {
        match self.regex.is_match(c_string(text)) {
            Ok(found) => found,
            Err(_) => {
                self.count_error();
                false
            }
        }
    }

    /// Returns the match with `end` set to the last matched byte, which is
    /// the end pointer Wazuh hands to decoders (0 for an empty match at
    /// offset 0). Each capture group gets a range, and unset groups get the
    /// empty range at 0.
    fn find(&self, text: &str) -> Option<MatchSpan> {
        let subject = c_string(text);
        let captures = match self.regex.captures(subject) {
            Ok(found) => found?,
            Err(_) => {
                self.count_error();
                return None;
            }
        };
        let whole = captures.get(0)?;
        let groups = (1..captures.len())
            .map(|i| captures.get(i).map_or(0..0, |m| m.start()..m.end()))
            .collect();
        Some(MatchSpan {
            end: whole.end().saturating_sub(1),
            groups,
        })
    }
}

/// Describes a compile error with its offset in the pattern as written, not counting the
/// limit items placed before it.
fn compile_error(error: &pcre2::Error, prefix_length: usize) -> PatternError {
    let message = error.to_string();
    let Some(offset) = error.offset() else {
        return PatternError::new(message);
    };
    let in_source = offset.saturating_sub(prefix_length);
    PatternError::new(message.replace(
        &format!("at offset {offset}"),
        &format!("at offset {in_source}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_sensitive_search() {
        let pattern = Pcre2Pattern::new("Query").expect("compiles");
        assert!(pattern.is_match("a Query"));
        assert!(!pattern.is_match("a query"));
    }

    #[test]
    fn captures_and_end() {
        let pattern = Pcre2Pattern::new(r"user=(\w+)").expect("compiles");
        let text = "x user=bob y";
        let span = pattern.find(text).expect("matches");
        assert_eq!(span.group(text, 0).as_deref(), Some("bob"));
        assert_eq!(&text[span.end..], "b y");
    }

    #[test]
    fn catastrophic_pattern_hits_limit() {
        let pattern = Pcre2Pattern::new(r"^(a+)+$").expect("compiles");
        let text = format!("{}b", "a".repeat(64));
        assert!(!pattern.is_match(&text));
        assert_eq!(pattern.limit_hits(), 1);
    }

    #[test]
    fn invalid_pattern_rejected() {
        assert!(Pcre2Pattern::new("(unclosed").is_err());
    }

    #[test]
    fn compile_error_offset_in_source() {
        let error = Pcre2Pattern::new("ab(unclosed[").expect_err("invalid pattern");
        assert!(
            error.reason.contains("at offset 12:"),
            "unexpected message: {}",
            error.reason
        );
    }
}
