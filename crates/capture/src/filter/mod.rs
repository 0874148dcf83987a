//! The `bpf_filter` language: a documented subset of libpcap's filter syntax, parsed into an
//! [`Expr`] that [`crate::bpf::compile_filter`] turns into a kernel program.
//!
//! Supported, combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses:
//! `[src|dst] host ADDR`, `[src|dst] net ADDR/LEN`, `[src|dst] port N`,
//! `[src|dst] portrange A-B`, `udp`, `tcp` (each optionally followed by a port or portrange
//! test, as in `udp dst port 53`), `ip`, `ip6` and `vlan [ID]`. Addresses are IPv4 or IPv6
//! literals. Everything else, including host and port names, is rejected with the column of
//! the unsupported part.

mod ast;
mod lexer;
mod parser;

use std::fmt;

pub use ast::{Direction, Expr, Network, Primitive};
pub use parser::{parse, MAX_DEPTH, MAX_LENGTH};

/// A rejected `bpf_filter` string: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// 1-based character column of the offending part (one past the end for a missing part).
    pub column: usize,
    /// Description of the problem.
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> Self {
        FilterError {
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "invalid bpf_filter at column {}: {}",
            self.column, self.message
        )
    }
}

impl std::error::Error for FilterError {}
