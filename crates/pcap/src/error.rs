//! Errors of the capture file readers.

use std::io;
use std::path::PathBuf;

/// An error that stops reading a capture file or skips one record.
///
/// Offsets are byte offsets from the start of the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcapError {
    /// Opening the file failed.
    #[error("open failed: {source}")]
    Open {
        /// The I/O error.
        source: io::Error,
    },
    /// Reading the underlying file failed.
    #[error("read failed at offset {offset}: {source}")]
    Io {
        /// Offset of the failed read.
        offset: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// The file has no bytes at all.
    #[error("file is empty")]
    Empty,
    /// The first four bytes are neither a pcap nor a pcapng magic number.
    #[error(
        "not a pcap or pcapng file: magic bytes {:02x} {:02x} {:02x} {:02x}",
        magic[0], magic[1], magic[2], magic[3]
    )]
    UnknownMagic {
        /// The bytes found.
        magic: [u8; 4],
    },
    /// The file ends inside a header or record.
    #[error("file truncated: {what} at offset {offset} needs {needed} bytes, {available} present")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Offset where that structure starts.
        offset: u64,
        /// Its length.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// The classic pcap version is not 2.x.
    #[error("unsupported pcap version {major}.{minor}, expected 2.x")]
    UnsupportedPcapVersion {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A classic pcap record is longer than this reader buffers.
    #[error(
        "pcap record at offset {offset} has captured length {length}, more than the {max} supported"
    )]
    RecordTooLong {
        /// Record header offset.
        offset: u64,
        /// The captured length field.
        length: u32,
        /// [`crate::MAX_RECORD_LENGTH`].
        max: u32,
    },
    /// The pcapng section header's byte-order magic is not 0x1A2B3C4D in either order.
    #[error(
        "pcapng section header at offset {offset} has invalid byte-order magic \
         {:02x} {:02x} {:02x} {:02x}",
        magic[0], magic[1], magic[2], magic[3]
    )]
    InvalidByteOrderMagic {
        /// Section header offset.
        offset: u64,
        /// The bytes found.
        magic: [u8; 4],
    },
    /// The pcapng section version is not 1.x.
    #[error(
        "pcapng section at offset {offset} has unsupported version {major}.{minor}, expected 1.x"
    )]
    UnsupportedPcapNgVersion {
        /// Section header offset.
        offset: u64,
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A pcapng block length is too small, not a multiple of 4, or too large.
    #[error("pcapng block at offset {offset} has length {length}, {problem}")]
    InvalidBlockLength {
        /// Block offset.
        offset: u64,
        /// The block total length field.
        length: u32,
        /// The problem with the length.
        problem: BlockLengthProblem,
    },
    /// The length at the end of a pcapng block differs from the one at its start.
    #[error("pcapng block at offset {offset} has length {length} but trailing length {trailer}")]
    BlockTrailerMismatch {
        /// Block offset.
        offset: u64,
        /// The leading block total length.
        length: u32,
        /// The trailing copy.
        trailer: u32,
    },
    /// A pcapng block body is shorter than its fixed fields or its captured data.
    #[error("pcapng {block} at offset {offset} needs {needed} body bytes, block has {available}")]
    BlockBodyTooShort {
        /// Block name.
        block: &'static str,
        /// Block offset.
        offset: u64,
        /// Bytes its fields need.
        needed: usize,
        /// Bytes in the body.
        available: usize,
    },
    /// A packet block names an interface with no interface description block in its section.
    #[error(
        "pcapng {block} at offset {offset} names interface {interface}, but the section has {count}"
    )]
    UnknownInterface {
        /// Block name.
        block: &'static str,
        /// Block offset.
        offset: u64,
        /// The interface id.
        interface: u32,
        /// Interfaces described so far in the section.
        count: usize,
    },
    /// A section describes more interfaces than [`crate::MAX_INTERFACES`].
    #[error(
        "pcapng interface description at offset {offset} is one more than the {} interfaces \
         supported per section",
        crate::MAX_INTERFACES
    )]
    TooManyInterfaces {
        /// Interface description block offset.
        offset: u64,
    },
    /// An `if_tsresol` option value cannot be represented.
    #[error(
        "pcapng interface description at offset {offset} has invalid if_tsresol 0x{value:02x}"
    )]
    InvalidTimestampResolution {
        /// Interface description block offset.
        offset: u64,
        /// The option byte.
        value: u8,
    },
}

/// The problem with a pcapng block length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlockLengthProblem {
    /// Below the minimum for the block type (12 bytes of type, length and trailing length; 28
    /// for a section header).
    #[error("less than {minimum}")]
    TooShort {
        /// The minimum length.
        minimum: u32,
    },
    /// Not a multiple of 4.
    #[error("not a multiple of 4")]
    Unaligned,
    /// Above [`crate::MAX_BLOCK_LENGTH`] for a block that must be buffered.
    #[error("more than the {} supported", crate::MAX_BLOCK_LENGTH)]
    TooLong,
}

impl PcapError {
    /// Returns whether the reader can go on after this error. It can when the faulty record was
    /// skipped and the file structure is intact, so the next call reads the next record. Other
    /// errors end the file.
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            PcapError::BlockBodyTooShort { .. } | PcapError::UnknownInterface { .. }
        )
    }
}

/// A [`PcapError`] with the file it happened in.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", path.display())]
pub struct FileError {
    /// The capture file.
    pub path: PathBuf,
    /// The error.
    pub error: PcapError,
}
