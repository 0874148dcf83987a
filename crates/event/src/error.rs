//! Errors of the event stage: invalid options and failures to read or write agent state.

use std::path::PathBuf;

/// An option value the event stage cannot use. The CLI adds the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An `internal_networks` entry that is neither a range name nor a CIDR block.
    #[error(
        "invalid network {value:?}: expected a CIDR block such as 192.0.2.0/24 or a range name \
         (loopback, global_unicast, unicast, link_local_unicast, interface_local_multicast, \
         link_local_multicast, multicast, unspecified, private, public)"
    )]
    InvalidNetwork {
        /// The entry as written.
        value: String,
    },
    /// A processor type dnstel does not implement.
    #[error("unsupported processor {name:?} in processors[{index}]")]
    UnsupportedProcessor {
        /// Processor name.
        name: String,
        /// Position in its list.
        index: usize,
    },
    /// A condition type other than `contains` on `tags`.
    #[error("unsupported condition {condition}: only `contains` on `tags` is implemented")]
    UnsupportedCondition {
        /// The condition as written, e.g. `equals.type`.
        condition: String,
    },
    /// A processor entry whose shape is wrong.
    #[error("invalid processor in processors[{index}]: {reason}")]
    InvalidProcessor {
        /// Position in its list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A failure to load or store the persisted agent ID.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        /// Directory path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// `meta.json` exists but could not be read (permissions, say); it is left as it is.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// `meta.json` could not be written or renamed into place.
    #[error("cannot write {path}: {source}")]
    Write {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}
