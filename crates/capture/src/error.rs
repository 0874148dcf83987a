//! The capture crate's error type.

use std::io;

use crate::filter::FilterError;

/// An error from opening, configuring or reading a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The `bpf_filter` string is outside the supported subset or malformed.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The generated filter program exceeds the kernel's limit.
    #[error(
        "filter program has {instructions} instructions, the kernel allows at most {max}; \
         simplify bpf_filter or configure fewer ports"
    )]
    FilterTooLarge {
        /// Instructions generated.
        instructions: usize,
        /// The kernel limit.
        max: usize,
    },
    /// The program generator produced an inconsistent program (a bug in this crate).
    #[error("internal filter program error: {0}")]
    Program(String),
    /// A configuration value is out of range.
    #[error("invalid capture configuration: {0}")]
    Config(String),
    /// The named interface does not exist.
    #[error("network interface {name:?} not found")]
    InterfaceNotFound {
        /// The configured device name.
        name: String,
    },
    /// The captured interface was deleted while the capture was running.
    #[error("network interface {name:?} was removed during the capture")]
    InterfaceRemoved {
        /// The configured device name.
        name: String,
    },
    /// A system call failed.
    #[error("{operation} failed on {device:?}: {source}")]
    System {
        /// The operation, such as `setsockopt(PACKET_RX_RING)`.
        operation: &'static str,
        /// The capture device.
        device: String,
        /// The OS error.
        source: io::Error,
    },
    /// A user or group for the privilege drop could not be resolved or switched to.
    #[error("cannot drop privileges to {target}: {reason}")]
    Privileges {
        /// The configured user or group.
        target: String,
        /// What failed.
        reason: String,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = CaptureError> = std::result::Result<T, E>;
