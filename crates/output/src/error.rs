//! The error type shared by every output.

use std::io;
use std::path::PathBuf;

/// Failures of an output. Each one is also counted in the output's `write_errors` counter,
/// except option errors, which happen before any write.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// An option is out of its valid range.
    #[error("invalid output option {option}: {message}")]
    InvalidOption {
        /// Option name as written in packetbeat.yml, e.g. `number_of_files`.
        option: &'static str,
        /// The problem and the accepted range.
        message: String,
    },
    /// The event is not a single line of compact JSON.
    #[error("invalid event: {0}")]
    InvalidEvent(&'static str),
    /// A file-system operation failed.
    #[error("{operation} {path}: {source}")]
    Io {
        /// The failed operation, e.g. "failed to rename".
        operation: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// Writing to the console (standard output) failed.
    #[error("failed to write to the console: {0}")]
    Console(#[source] io::Error),
}

impl OutputError {
    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        OutputError::Io {
            operation,
            path: path.into(),
            source,
        }
    }
}
