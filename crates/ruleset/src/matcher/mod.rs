//! The [`Matcher`] abstraction and [`Pattern`], the compiled form of every
//! pattern a rule or decoder carries, in one of Wazuh's engines.

pub mod os_match;
pub mod os_regex;
pub mod pcre2;

use std::borrow::Cow;
use std::ops::Range;

pub use self::os_match::OsMatch;
pub use self::os_regex::OsRegex;
pub use self::pcre2::Pcre2Pattern;

/// Something that tests text against a compiled pattern.
pub trait Matcher {
    /// Returns true when the pattern matches somewhere in `text`.
    fn is_match(&self, text: &str) -> bool;

    /// Runs the pattern and returns the match end and capture groups.
    ///
    /// Engines without captures return a span with no groups.
    fn find(&self, text: &str) -> Option<MatchSpan>;
}

/// A successful match: where it ended and the byte ranges of its groups.
///
/// `end` is the offset of the pointer Wazuh returns as the match end: for
/// OS_Regex and PCRE2 that is normally the last matched byte, not one past
/// it. OS_Match and exact-string matches report the text length.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatchSpan {
    /// Byte offset of Wazuh's match end pointer, used by decoder offsets
    /// (`after_prematch`, `after_regex`).
    pub end: usize,
    /// Byte ranges of the capture groups, in pattern order.
    pub groups: Vec<Range<usize>>,
}

impl MatchSpan {
    /// Returns capture group `index` as text.
    ///
    /// OS_Regex matches bytes, so a group may cut a UTF-8 sequence; such
    /// bytes are replaced with U+FFFD.
    pub fn group<'t>(&self, text: &'t str, index: usize) -> Option<Cow<'t, str>> {
        let range = self.groups.get(index)?.clone();
        let bytes = text.as_bytes().get(range)?;
        Some(String::from_utf8_lossy(bytes))
    }
}

/// The engine a pattern is compiled with (`type=` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// Wazuh's regex dialect (`type="osregex"`).
    OsRegex,
    /// Wazuh's simple match dialect (`type="osmatch"`, a.k.a. sregex).
    OsMatch,
    /// Perl-compatible regex via libpcre2 (`type="pcre2"`).
    Pcre2,
    /// Exact, case-sensitive string comparison (default of `<action>`).
    String,
}

impl MatchKind {
    /// Parses a `type=` attribute value (case-insensitive).
    pub fn from_attr(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "osregex" => Some(Self::OsRegex),
            "osmatch" => Some(Self::OsMatch),
            "pcre2" => Some(Self::Pcre2),
            "string" => Some(Self::String),
            _ => None,
        }
    }

    /// Returns the name used in `type=` attributes and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::OsRegex => "osregex",
            Self::OsMatch => "osmatch",
            Self::Pcre2 => "pcre2",
            Self::String => "string",
        }
    }
}

/// A compiled pattern in one of the engines.
#[derive(Debug)]
pub enum Pattern {
    /// OS_Regex.
    OsRegex(OsRegex),
    /// OS_Match.
    OsMatch(OsMatch),
    /// PCRE2.
    Pcre2(Pcre2Pattern),
    /// Exact string equality.
    String(String),
}

impl Pattern {
    /// Compiles `source` with the given engine.
    pub fn compile(kind: MatchKind, source: &str) -> Result<Self, PatternError> {
        match kind {
            MatchKind::OsRegex => OsRegex::new(source).map(Self::OsRegex),
            MatchKind::OsMatch => OsMatch::new(source).map(Self::OsMatch),
            MatchKind::Pcre2 => Pcre2Pattern::new(source).map(Self::Pcre2),
            MatchKind::String => Ok(Self::String(source.to_owned())),
        }
    }

    /// Compiles `source` the way decoder `<regex>` elements are compiled.
    /// OS_Regex then records capture groups, which changes one end-of-text
    /// rule of that engine. Other engines behave as in [`Pattern::compile`].
    pub fn compile_capturing(kind: MatchKind, source: &str) -> Result<Self, PatternError> {
        match kind {
            MatchKind::OsRegex => OsRegex::with_captures(source).map(Self::OsRegex),
            _ => Self::compile(kind, source),
        }
    }

    /// Returns the engine of this pattern.
    pub fn kind(&self) -> MatchKind {
        match self {
            Self::OsRegex(_) => MatchKind::OsRegex,
            Self::OsMatch(_) => MatchKind::OsMatch,
            Self::Pcre2(_) => MatchKind::Pcre2,
            Self::String(_) => MatchKind::String,
        }
    }

    /// Returns the pattern text as written in the rule (after variable
    /// substitution).
    pub fn source(&self) -> &str {
        match self {
            Self::OsRegex(p) => p.source(),
            Self::OsMatch(p) => p.source(),
            Self::Pcre2(p) => p.source(),
            Self::String(s) => s,
        }
    }

    /// Returns how many matches were abandoned because they hit the
    /// engine's step, match or depth limit (counted as no match).
    pub fn limit_hits(&self) -> u64 {
        match self {
            Self::OsRegex(p) => p.limit_hits(),
            Self::Pcre2(p) => p.limit_hits(),
            Self::OsMatch(_) | Self::String(_) => 0,
        }
    }
}

impl Matcher for Pattern {
    fn is_match(&self, text: &str) -> bool {
        match self {
            Self::OsRegex(p) => p.is_match(text),
            Self::OsMatch(p) => p.is_match(text),
            Self::Pcre2(p) => p.is_match(text),
            Self::String(s) => s == text,
        }
    }

    fn find(&self, text: &str) -> Option<MatchSpan> {
        match self {
            Self::OsRegex(p) => p.find(text),
            Self::OsMatch(p) => p.find(text),
            Self::Pcre2(p) => p.find(text),
            Self::String(s) => (s == text).then(|| MatchSpan {
                end: text.len(),
                groups: Vec::new(),
            }),
        }
    }
}

/// A pattern with its `negate` flag, as rule options carry it.
#[derive(Debug)]
pub struct FieldMatch {
    /// The compiled pattern.
    pub pattern: Pattern,
    /// `negate="yes"`: the comparison result is inverted. A missing field
    /// still fails the rule; the evaluator applies that.
    pub negate: bool,
}

impl FieldMatch {
    /// Tests a present field value, applying `negate`.
    pub fn test(&self, value: &str) -> bool {
        self.pattern.is_match(value) != self.negate
    }
}

/// A pattern that failed to compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PatternError {
    /// Compiler message naming the problem.
    pub reason: String,
}

impl PatternError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}
