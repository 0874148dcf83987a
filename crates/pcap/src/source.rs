//! Byte-order aware reading from the underlying stream, tracking the file offset.

use crate::PcapError;
use std::io::{self, Read};

/// The byte order of a capture file or pcapng section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// Reads a u16 at `index` of a slice already checked to be long enough.
    pub(crate) fn u16(self, bytes: &[u8], index: usize) -> u16 {
        let raw = [bytes[index], bytes[index + 1]];
        match self {
            ByteOrder::Little => u16::from_le_bytes(raw),
            ByteOrder::Big => u16::from_be_bytes(raw),
        }
    }

    /// Reads a u32 at `index` of a slice already checked to be long enough.
    pub(crate) fn u32(self, bytes: &[u8], index: usize) -> u32 {
        let raw = [
            bytes[index],
            bytes[index + 1],
            bytes[index + 2],
            bytes[index + 3],
        ];
        match self {
            ByteOrder::Little => u32::from_le_bytes(raw),
            ByteOrder::Big => u32::from_be_bytes(raw),
        }
    }

    /// Reads a u64 at `index` of a slice already checked to be long enough.
    pub(crate) fn u64(self, bytes: &[u8], index: usize) -> u64 {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes[index..index + 8]);
        match self {
            ByteOrder::Little => u64::from_le_bytes(raw),
            ByteOrder::Big => u64::from_be_bytes(raw),
        }
    }
}

/// The underlying stream and the offset of the next byte it yields.
#[derive(Debug)]
pub(crate) struct Source<R> {
    reader: R,
    offset: u64,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(reader: R, offset: u64) -> Self {
        Source { reader, offset }
    }

    /// Offset of the next byte to be read.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Fills `buffer`, returning how many bytes were read: fewer than its length only at the end
    /// of the stream.
    pub(crate) fn read_up_to(&mut self, buffer: &mut [u8]) -> Result<usize, PcapError> {
        let mut filled = 0;
        while filled < buffer.len() {
            match self.reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(count) => {
                    filled += count;
                    self.offset += count as u64;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(PcapError::Io {
                        offset: self.offset,
                        source,
                    })
                }
            }
        }
        Ok(filled)
    }

    /// Fills `buffer` completely, or fails with [`PcapError::Truncated`] naming `what`, which
    /// started at `start`.
    pub(crate) fn read_exact(
        &mut self,
        buffer: &mut [u8],
        what: &'static str,
        start: u64,
    ) -> Result<(), PcapError> {
        let read = self.read_up_to(buffer)?;
        if read < buffer.len() {
            let before = self.offset - read as u64 - start;
            return Err(PcapError::Truncated {
                what,
                offset: start,
                needed: before + buffer.len() as u64,
                available: before + read as u64,
            });
        }
        Ok(())
    }

    /// Skips `count` bytes without buffering them.
    pub(crate) fn skip(
        &mut self,
        count: u64,
        what: &'static str,
        start: u64,
    ) -> Result<(), PcapError> {
        let offset = self.offset;
        let copied = io::copy(&mut (&mut self.reader).take(count), &mut io::sink())
            .map_err(|source| PcapError::Io { offset, source })?;
        self.offset += copied;
        if copied < count {
            let before = offset - start;
            return Err(PcapError::Truncated {
                what,
                offset: start,
                needed: before + count,
                available: before + copied,
            });
        }
        Ok(())
    }
}

/// Grows `buffer` to at least `length` bytes (never shrinks it) and returns its first `length`.
pub(crate) fn reserve(buffer: &mut Vec<u8>, length: usize) -> &mut [u8] {
    if buffer.len() < length {
        buffer.resize(length, 0);
    }
    &mut buffer[..length]
}
