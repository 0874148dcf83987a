//! Problems found while parsing a message that did not stop it from being parsed.
//!
//! Each anomaly's `Display` is the "what was wrong" text of a Packetbeat-style note; the
//! caller adds the `Request: ` or `Response: ` prefix.

use std::fmt;

use crate::message::Section;
use crate::types::Rtype;

/// Maximum anomalies recorded for one message. A message that goes past it is garbage (a
/// fuzzed packet can otherwise yield one anomaly per 6 bytes), so parsing stops there.
pub const MAX_ANOMALIES: usize = 16;

/// One thing wrong with a message. Offsets are byte offsets from the start of the DNS
/// message (after any TCP length prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// A compression pointer chain revisits a place or exceeds the hop limit.
    NamePointerLoop {
        /// Offset of the pointer that closed the loop.
        offset: usize,
    },
    /// A compression pointer targets a byte at or past the message end.
    NamePointerOutOfRange {
        /// Offset of the pointer.
        offset: usize,
        /// Offset it points to.
        target: usize,
    },
    /// A name is longer than 255 bytes in wire form. The name is dropped with its entry.
    NameTooLong {
        /// Offset where the name starts.
        offset: usize,
    },
    /// A label length byte with a reserved top-bit pattern (01 or 10), which would mean a
    /// label over 63 bytes or an obsolete extended label type.
    InvalidLabelLength {
        /// The length byte.
        length: u8,
        /// Its offset.
        offset: usize,
    },
    /// The message ends before the section counts are satisfied.
    Truncated {
        /// Section being read.
        section: Section,
        /// Offset where the missing data should start.
        offset: usize,
    },
    /// A record's RDLENGTH runs past the message end.
    RdataOverrun {
        /// Offset of the RDATA.
        offset: usize,
        /// RDLENGTH as sent.
        rdlength: u16,
        /// Bytes actually left.
        remaining: usize,
    },
    /// A record's RDATA does not match its type's format. The record is skipped.
    InvalidRdata {
        /// Record type.
        rtype: Rtype,
        /// Offset of the RDATA.
        offset: usize,
        /// Description of the problem.
        reason: &'static str,
    },
    /// A second OPT record in the additional section. Only the first is used.
    DuplicateOpt {
        /// Offset of the extra record.
        offset: usize,
    },
    /// An OPT record outside the additional section. It is skipped.
    MisplacedOpt {
        /// Section it was found in.
        section: Section,
        /// Offset of the record.
        offset: usize,
    },
    /// An OPT record whose owner name is not the root.
    OptNotRoot {
        /// Offset of the record.
        offset: usize,
    },
    /// An EDNS option whose length or body is invalid. It is kept as a `local` value when
    /// its bytes are inside the OPT record.
    InvalidEdnsOption {
        /// Option code.
        code: u16,
        /// Offset of the option.
        offset: usize,
        /// Description of the problem.
        reason: &'static str,
    },
    /// The message produced more anomalies than [`MAX_ANOMALIES`], so parsing stopped.
    TooManyAnomalies {
        /// Offset where parsing stopped.
        offset: usize,
    },
    /// Bytes left after the last record the counts announce.
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// Number of extra bytes.
        count: usize,
    },
}

impl Anomaly {
    /// Returns whether the anomaly leaves every parsed field intact, so a Packetbeat-compatible
    /// event can leave it out of its notes. Only trailing bytes qualify: some clients
    /// (Windows AXFR over TCP, for one) append bytes after the message, and miekg ignores them.
    pub fn is_informational(&self) -> bool {
        matches!(self, Anomaly::TrailingBytes { .. })
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::NamePointerLoop { offset } => {
                write!(f, "name pointer loop at offset {offset}")
            }
            Anomaly::NamePointerOutOfRange { offset, target } => write!(
                f,
                "name pointer at offset {offset} points past the message end to {target}"
            ),
            Anomaly::NameTooLong { offset } => {
                write!(f, "name longer than 255 bytes at offset {offset}")
            }
            Anomaly::InvalidLabelLength { length, offset } => {
                write!(f, "invalid label length {length} at offset {offset}")
            }
            Anomaly::Truncated { section, offset } => write!(
                f,
                "message truncated in {} section at offset {offset}",
                section.name()
            ),
            Anomaly::RdataOverrun {
                offset,
                rdlength,
                remaining,
            } => write!(
                f,
                "record data length {rdlength} at offset {offset} exceeds the {remaining} bytes left"
            ),
            Anomaly::InvalidRdata {
                rtype,
                offset,
                reason,
            } => {
                f.write_str("invalid ")?;
                rtype.fmt_generic(f)?;
                write!(f, " record data at offset {offset}: {reason}")
            }
            Anomaly::DuplicateOpt { offset } => {
                write!(f, "extra OPT record at offset {offset}")
            }
            Anomaly::MisplacedOpt { section, offset } => write!(
                f,
                "OPT record in {} section at offset {offset}",
                section.name()
            ),
            Anomaly::OptNotRoot { offset } => {
                write!(f, "OPT record with a non-root owner name at offset {offset}")
            }
            Anomaly::InvalidEdnsOption {
                code,
                offset,
                reason,
            } => write!(f, "invalid EDNS option {code} at offset {offset}: {reason}"),
            Anomaly::TooManyAnomalies { offset } => write!(
                f,
                "more than {MAX_ANOMALIES} anomalies, parsing stopped at offset {offset}"
            ),
            Anomaly::TrailingBytes { offset, count } => {
                write!(f, "{count} trailing bytes after the last record at offset {offset}")
            }
        }
    }
}
