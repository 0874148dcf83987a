//! PCRE2 patterns (`type="pcre2"`), run by libpcre2 through the `pcre2`
//! crate.
//!
//! Wazuh compiles these with no options: case-sensitive, byte (non-UTF)
//! mode, unanchored search. dnstel does the same and also caps every match
//! with PCRE2's own match, depth and heap limits, so a catastrophic pattern
//! ends with an error (counted, reported as no match) instead of running for
//! minutes or allocating gigabytes. The limits are set with PCRE2's
//! start-of-pattern items, which can only lower the library defaults. When
//! the same item appears twice PCRE2 keeps the last, so limit items that a
//! rule puts at the start of its own pattern are lowered to dnstel's.

use std::sync::atomic::{AtomicU64, Ordering};

use pcre2::bytes::{Regex, RegexBuilder};

use super::os_match::c_string;
use super::{MatchSpan, Matcher, PatternError};

/// Maximum number of internal match calls per match attempt
/// (`(*LIMIT_MATCH=...)`). The PCRE2 default is 10,000,000.
pub const MATCH_LIMIT: u32 = 1_000_000;
/// Maximum backtracking depth per match attempt (`(*LIMIT_DEPTH=...)`).
pub const DEPTH_LIMIT: u32 = 10_000;
/// Maximum heap for backtracking frames per match attempt, in KiB
/// (`(*LIMIT_HEAP=...)`). The PCRE2 default is 20,000,000 KiB. A frame grows
/// by 16 bytes per capture group, so without this cap a pattern with
/// thousands of groups needs over a gigabyte even within [`DEPTH_LIMIT`].
pub const HEAP_LIMIT_KIB: u32 = 64 * 1024;

/// PCRE2's start-of-pattern limit items and dnstel's maximum for each.
/// `LIMIT_RECURSION` is PCRE2's older name for `LIMIT_DEPTH`.
const LIMIT_ITEMS: [(&str, u32); 4] = [
    ("LIMIT_MATCH=", MATCH_LIMIT),
    ("LIMIT_DEPTH=", DEPTH_LIMIT),
    ("LIMIT_RECURSION=", DEPTH_LIMIT),
    ("LIMIT_HEAP=", HEAP_LIMIT_KIB),
];

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
        let prefix = format!(
            "(*LIMIT_MATCH={MATCH_LIMIT})(*LIMIT_DEPTH={DEPTH_LIMIT})(*LIMIT_HEAP={HEAP_LIMIT_KIB})"
        );
        let limited = format!("{prefix}{}", clamp_leading_limits(source));
        let regex = RegexBuilder::new()
            .jit_if_available(cfg!(feature = "pcre2-jit"))
            .build(&limited)
            .map_err(|err| compile_error(&err, limited.len(), source.len()))?;
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

/// Returns `source` with the numbers of the limit items among its leading
/// `(*...)` items lowered to dnstel's limits. Numbers that do not fit in a
/// `u32` are left for PCRE2 to reject, and everything else is kept as written.
fn clamp_leading_limits(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(item) = rest
        .strip_prefix("(*")
        .and_then(|after| after.find(')').map(|end| &after[..end]))
    {
        rest = &rest[item.len() + 3..];
        let clamped = LIMIT_ITEMS.iter().find_map(|(name, max)| {
            let value: u32 = item.strip_prefix(name)?.parse().ok()?;
            Some(format!("(*{name}{})", value.min(*max)))
        });
        match clamped {
            Some(text) => out.push_str(&text),
            None => {
                out.push_str("(*");
                out.push_str(item);
                out.push(')');
            }
        }
    }
    out.push_str(rest);
    out
}

/// Describes a compile error with its offset in the pattern as written, not counting the
/// limit items placed before it. Offsets after the leading items map back exactly, because
/// the compiled pattern differs from the source only before them.
fn compile_error(
    error: &pcre2::Error,
    compiled_length: usize,
    source_length: usize,
) -> PatternError {
    let message = error.to_string();
    let Some(offset) = error.offset() else {
        return PatternError::new(message);
    };
    let in_source = (offset + source_length).saturating_sub(compiled_length);
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
    fn pattern_cannot_raise_match_limit() {
        let pattern = Pcre2Pattern::new(r"(*LIMIT_MATCH=10000000)^(x+x+)+$").expect("compiles");
        // Between one and ten million match calls: within the pattern's own limit, over dnstel's.
        let text = format!("{}!", "x".repeat(21));
        assert!(!pattern.is_match(&text));
        assert_eq!(pattern.limit_hits(), 1);
    }

    #[test]
    fn many_groups_hit_heap_limit() {
        // Each of the 4,000 empty groups takes a 64 KB frame (16 bytes per group), so even a
        // short match needs about 260 MB: within the depth limit but over the heap limit.
        let source = format!("^{}(?:(x)|(y))*$", "()".repeat(4_000));
        let pattern = Pcre2Pattern::new(&source).expect("compiles");
        assert!(!pattern.is_match(&"x".repeat(100)));
        assert_eq!(pattern.limit_hits(), 1);
    }

    #[test]
    fn leading_limits_clamped() {
        let cases = [
            ("(*LIMIT_HEAP=4000000000)a", "(*LIMIT_HEAP=65536)a"),
            ("(*LIMIT_MATCH=5)a", "(*LIMIT_MATCH=5)a"),
            ("(*LIMIT_RECURSION=99999)a", "(*LIMIT_RECURSION=10000)a"),
            ("(*UTF)(*LIMIT_DEPTH=20000)a", "(*UTF)(*LIMIT_DEPTH=10000)a"),
            ("(*LIMIT_MATCH=99999999999)a", "(*LIMIT_MATCH=99999999999)a"),
            ("a(*LIMIT_MATCH=99999999)", "a(*LIMIT_MATCH=99999999)"),
            ("(*FAIL", "(*FAIL"),
        ];
        for (source, expected) in cases {
            assert_eq!(clamp_leading_limits(source), expected, "{source}");
        }
    }

    #[test]
    fn compile_error_offset_after_clamped_limit() {
        let error =
            Pcre2Pattern::new("(*LIMIT_MATCH=99999999)ab(unclosed[").expect_err("invalid pattern");
        assert!(
            error.reason.contains("at offset 35:"),
            "unexpected message: {}",
            error.reason
        );
    }

    #[test]
    fn many_shortened_limits_map_offsets() {
        let source = format!("{}(a", "(*LIMIT_MATCH=0000000000001)".repeat(100));
        let error = Pcre2Pattern::new(&source).expect_err("invalid pattern");
        assert!(error.reason.contains("at offset 2802:"), "{}", error.reason);
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
