//! Load errors: every problem found while reading rule, decoder and list
//! files, with the file, line and rule id it belongs to.

use std::fmt;

/// Place in a ruleset file: the path as given to the loader and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SourceLocation {
    /// Path of the file, relative to the ruleset folder when loaded from one.
    pub file: String,
    /// 1-based line number of the element's opening tag (0 when unknown).
    pub line: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 means the problem concerns the whole file.
        match self.line {
            0 => f.write_str(&self.file),
            line => write!(f, "{}:{line}", self.file),
        }
    }
}

/// One problem found while loading, with where it was found.
///
/// Displays as `rules/0100-x.xml:42: rule 1234: unknown option <foo>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File and line of the offending element.
    pub location: SourceLocation,
    /// Id of the rule being read, when the error is inside a `<rule>`.
    pub rule_id: Option<u32>,
    /// Name of the decoder being read, when the error is inside a `<decoder>`.
    pub decoder: Option<String>,
    /// The kind of problem.
    pub kind: LoadErrorKind,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        if let Some(id) = self.rule_id {
            write!(f, "rule {id}: ")?;
        }
        if let Some(name) = &self.decoder {
            write!(f, "decoder {name}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for LoadError {}

/// The kinds of load errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file could not be read.
    #[error("failed to read file: {0}")]
    Io(String),
    /// The XML text is malformed.
    #[error("invalid xml: {0}")]
    Xml(String),
    /// A `$NAME` reference names no `<var>` of the file.
    #[error("unknown variable ${0}")]
    UnknownVariable(String),
    /// An element is not allowed where it appears.
    #[error("unknown option <{0}>")]
    UnknownOption(String),
    /// A required attribute or element is absent.
    #[error("missing {0}")]
    Missing(String),
    /// An attribute or element value is out of range or malformed.
    #[error("invalid value {value:?} for {what}: {reason}")]
    InvalidValue {
        /// The attribute or element name.
        what: String,
        /// The offending value (truncated to 200 bytes).
        value: String,
        /// Reason for rejecting the value.
        reason: String,
    },
    /// A pattern failed to compile.
    #[error("invalid {engine} pattern {pattern:?}: {reason}")]
    Pattern {
        /// `osregex`, `osmatch` or `pcre2`.
        engine: &'static str,
        /// The pattern text (truncated to 200 bytes).
        pattern: String,
        /// Compiler message.
        reason: String,
    },
    /// A rule refers to a CDB list that was not loaded.
    #[error("list {0:?} not found")]
    ListNotFound(String),
    /// A rule refers to a decoder name that no decoder has.
    #[error("decoder {0:?} not found")]
    DecoderNotFound(String),
    /// A decoder's `<parent>` names no decoder without a parent of its own loaded before it.
    #[error("parent decoder {0:?} not found; a parent must be a decoder without <parent>, loaded earlier")]
    ParentNotFound(String),
    /// A rule file that parsed without errors but contains no `<rule>` element, as an empty or
    /// truncated file does; a warning only, because Wazuh accepts such files silently.
    #[error("file defines no rules")]
    NoRules,
    /// A rule id appears twice without `overwrite="yes"`; the later rule is skipped.
    #[error("duplicate rule id {0}, later definition skipped")]
    DuplicateRule(u32),
    /// `overwrite="yes"` on a rule id that does not exist yet.
    #[error("rule {0} marked overwrite but no rule with that id exists")]
    OverwriteMissing(u32),
    /// A CDB list line is malformed.
    #[error("invalid list entry: {0}")]
    ListEntry(String),
}

/// Shortens a value for inclusion in an error message.
pub(crate) fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 200;
    if value.len() <= MAX {
        return value.to_owned();
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &value[..end])
}
