//! OS_Match (also called sregex): Wazuh's simple, case-insensitive string
//! matcher used by `<match>` and most static-field options.
//!
//! A pattern is a `|`-separated list of alternatives; the pattern matches
//! when any alternative does. Per alternative: `^x$` is whole-string
//! equality, `^x` a prefix test, `x$` a suffix test, anything else a
//! substring search, and an empty alternative matches everything. A `!` as
//! the very first byte negates the whole pattern. Comparison folds ASCII
//! letters only, as Wazuh 4.14 does.

use super::{MatchSpan, Matcher, PatternError};

/// Maximum pattern length Wazuh accepts, in bytes.
pub const MAX_PATTERN_LEN: usize = 20_480;

/// A compiled OS_Match pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsMatch {
    source: String,
    negate: bool,
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Alternative {
    /// Empty alternative: always true.
    Any,
    /// `^x$`.
    Equal(Vec<u8>),
    /// `^x`.
    Prefix(Vec<u8>),
    /// `x$`.
    Suffix(Vec<u8>),
    /// `x`.
    Contains(Vec<u8>),
}

impl OsMatch {
    /// Compiles an OS_Match pattern.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        if source.len() > MAX_PATTERN_LEN {
            return Err(PatternError::new(format!(
                "pattern is {} bytes, more than the maximum of {MAX_PATTERN_LEN}",
                source.len()
            )));
        }
        let (negate, body) = match source.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, source),
        };
        let lowered = body.to_ascii_lowercase();
        let alternatives = lowered
            .as_bytes()
            .split(|&b| b == b'|')
            .map(compile_alternative)
            .collect();
        Ok(Self {
            source: source.to_owned(),
            negate,
            alternatives,
        })
    }

    /// Returns the pattern text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns true when the pattern starts with `!`.
    pub fn is_negated(&self) -> bool {
        self.negate
    }

    fn any_alternative_matches(&self, text: &[u8]) -> bool {
        self.alternatives.iter().any(|alt| alt.matches(text))
    }
}

/// Classifies one alternative. The order of the tests follows Wazuh: a
/// lone `^` is a zero-length prefix (matches everything) and a lone `$` a
/// zero-length suffix (matches everything), while `^$` matches only the
/// empty string.
fn compile_alternative(alt: &[u8]) -> Alternative {
    let begins = alt.first() == Some(&b'^');
    let ends = alt.last() == Some(&b'$') && !(begins && alt.len() == 1);
    if begins && ends {
        return Alternative::Equal(alt[1..alt.len() - 1].to_vec());
    }
    if alt.is_empty() {
        return Alternative::Any;
    }
    if ends {
        return Alternative::Suffix(alt[..alt.len() - 1].to_vec());
    }
    if begins {
        return Alternative::Prefix(alt[1..].to_vec());
    }
    Alternative::Contains(alt.to_vec())
}

impl Alternative {
    fn matches(&self, text: &[u8]) -> bool {
        match self {
            Self::Any => true,
            Self::Equal(p) => text.eq_ignore_ascii_case(p),
            Self::Prefix(p) => text.len() >= p.len() && text[..p.len()].eq_ignore_ascii_case(p),
            Self::Suffix(p) => {
                text.len() >= p.len() && text[text.len() - p.len()..].eq_ignore_ascii_case(p)
            }
            Self::Contains(p) => contains_ignore_case(text, p),
        }
    }
}

/// Case-insensitive substring search; `needle` is already lower case. Candidate starts are
/// found with `memchr2` on both cases of the needle's first byte, so most of the text is
/// skipped without comparing.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = haystack.len().checked_sub(needle.len()) else {
        return false;
    };
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while let Some(offset) = memchr::memchr2(first, upper, &haystack[from..=last_start]) {
        let start = from + offset;
        if haystack[start + 1..start + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = start + 1;
        if from > last_start {
            break;
        }
    }
    false
}

/// Cuts the text at its first NUL byte, because Wazuh's engines work on C
/// strings.
pub(crate) fn c_string(text: &str) -> &[u8] {
    let bytes = text.as_bytes();
    match memchr::memchr(0, bytes) {
        Some(nul) => &bytes[..nul],
        None => bytes,
    }
}

impl Matcher for OsMatch {
    fn is_match(&self, text: &str) -> bool {
        self.any_alternative_matches(c_string(text)) != self.negate
    }

    fn find(&self, text: &str) -> Option<MatchSpan> {
        self.is_match(text).then(|| MatchSpan {
            end: text.len(),
            groups: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        OsMatch::new(pattern)
            .expect("test patterns compile")
            .is_match(text)
    }

    #[test]
    fn substring_case_insensitive() {
        assert!(matches("QUERY", "a query here"));
        assert!(!matches("query", "a quer"));
    }

    #[test]
    fn anchors_prefix_suffix_equal() {
        assert!(matches("^abc", "ABCdef"));
        assert!(!matches("^abc", "xabc"));
        assert!(matches("def$", "abcDEF"));
        assert!(!matches("def$", "defx"));
        assert!(matches("^abc$", "ABC"));
        assert!(!matches("^abc$", "abcd"));
    }

    #[test]
    fn alternatives_and_empty_alternative() {
        assert!(matches("foo|bar", "xbarx"));
        assert!(!matches("foo|bar", "baz"));
        assert!(matches("foo||bar", "anything"));
        assert!(matches("foo|", "anything"));
    }

    #[test]
    fn lone_anchors_match_everything() {
        assert!(matches("^", "x"));
        assert!(matches("$", "x"));
        assert!(matches("^$", ""));
        assert!(!matches("^$", "x"));
    }

    #[test]
    fn negation_prefix() {
        assert!(!matches("!foo", "a foo"));
        assert!(matches("!foo", "bar"));
        assert!(!matches("!foo|bar", "bar"));
    }

    #[test]
    fn substring_search_matches_windows() {
        let haystack = b"xQuEry quer QUERYx q\xc3\xa9 Q";
        for needle in [
            "query", "q", "x", "yx", "q\u{e9}", "rx", "xq", " q", "querys",
        ] {
            let needle = needle.as_bytes();
            let expected = haystack
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
            assert_eq!(
                contains_ignore_case(haystack, needle),
                expected,
                "{needle:?}"
            );
        }
        assert!(!contains_ignore_case(b"ab", b"abc"));
        assert!(contains_ignore_case(b"abc", b"abc"));
    }

    #[test]
    fn text_cut_at_nul() {
        assert!(!matches("def", "abc\0def"));
        assert!(matches("c$", "abc\0def"));
    }
}
