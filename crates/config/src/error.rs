//! The error type of configuration loading.

use std::io;
use std::path::PathBuf;

/// A failure to load a configuration. Every variant after `Read` names the file and the
/// 1-based line of the offending key or value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    // The I/O error is part of the message and deliberately not a `#[source]`, so an error
    // chain printed with its causes does not show it twice.
    #[error("failed to read {path}: {error}")]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// The operating-system error.
        error: io::Error,
    },
    /// The text is not valid YAML, or uses YAML that a configuration cannot contain.
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Syntax {
        /// The configuration file name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A key that is not a Packetbeat 7.17 option.
    #[error("{file}:{line}: unknown key {key}{}", hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    UnknownKey {
        /// The full dotted key path, e.g. `output.file.rotate_evry_kb`.
        key: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// A suggestion, such as the option the key resembles.
        hint: Option<String>,
    },
    /// A value of the wrong type or outside the accepted range.
    #[error("{file}:{line}: invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The full dotted key path.
        key: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the value.
        line: usize,
        /// The value as written (a short description for lists and maps).
        value: String,
        /// The accepted values.
        expected: String,
    },
    /// The same key is set twice, for example once nested and once dotted.
    #[error("{file}:{line}: duplicate key {key} (first set on line {first_line})")]
    DuplicateKey {
        /// The full dotted key path.
        key: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the second setting.
        line: usize,
        /// 1-based line of the first setting.
        first_line: usize,
    },
    /// A required option is absent.
    #[error("{file}:{line}: missing required key {key}")]
    MissingKey {
        /// The full dotted key path of the missing option.
        key: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the section that lacks it.
        line: usize,
    },
    /// `${NAME}` refers to an unset environment variable and gives no default.
    #[error("{file}:{line}: environment variable {name} is not set, used by {key}; set it or write ${{{name}:default}}")]
    MissingEnvironmentVariable {
        /// The variable name.
        name: String,
        /// The full dotted key path.
        key: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the value.
        line: usize,
    },
    /// Options that contradict each other, such as two enabled outputs.
    #[error("{file}:{line}: {message}")]
    Conflict {
        /// The conflict and how to resolve it.
        message: String,
        /// The configuration file name.
        file: String,
        /// 1-based line of the later option.
        line: usize,
    },
}
