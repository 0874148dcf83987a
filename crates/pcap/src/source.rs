//! Byte-order aware reading from the underlying stream, tracking the file offset.

use crate::PcapError;
use std::io::{self, Read};
use std::ops::Range;

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

/// Bytes asked of the underlying stream in one read, unless a longer record needs more. At
/// 128 KiB a file takes a sixteenth of the `read` calls that the 8 KiB default of
/// [`std::io::BufReader`] needs.
pub(crate) const READ_CHUNK_LEN: usize = 128 * 1024;

/// The underlying stream, read ahead into a buffer, and the offset of the next byte not yet
/// consumed.
///
/// Records can be borrowed from the buffer in place ([`Source::take`]), which saves copying
/// every packet once more. The buffer contains at most one read chunk or the longest record
/// taken, plus the unconsumed rest of the chunk before it.
#[derive(Debug)]
pub(crate) struct Source<R> {
    reader: R,
    buffer: Vec<u8>,
    /// The unconsumed bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
    /// File offset of `buffer[start]`.
    offset: u64,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(reader: R, offset: u64) -> Self {
        Source {
            reader,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            offset,
        }
    }

    /// Offset of the next byte to be consumed.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Returns the buffer that the ranges from [`Source::take`] point into.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Reads ahead until at least `len` bytes are unconsumed or the stream ends, and returns
    /// how many are.
    fn fill(&mut self, len: usize) -> Result<usize, PcapError> {
        if self.end - self.start >= len {
            return Ok(self.end - self.start);
        }
        self.buffer.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        let capacity = len.max(READ_CHUNK_LEN);
        if self.buffer.len() < capacity {
            self.buffer.resize(capacity, 0);
        }
        while self.end < len {
            match self.reader.read(&mut self.buffer[self.end..]) {
                Ok(0) => break,
                Ok(count) => self.end += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(PcapError::Io {
                        offset: self.offset + self.end as u64,
                        source,
                    })
                }
            }
        }
        Ok(self.end)
    }

    /// Reads ahead as [`Source::fill`] does and returns up to `len` unconsumed bytes, without
    /// consuming them.
    pub(crate) fn peek(&mut self, len: usize) -> Result<&[u8], PcapError> {
        let count = self.fill(len)?.min(len);
        Ok(&self.buffer[self.start..self.start + count])
    }

    pub(crate) fn consume(&mut self, count: usize) {
        self.start += count;
        self.offset += count as u64;
    }

    /// Consumes up to `buffer.len()` bytes into `buffer` and returns how many: fewer than its
    /// length only at the end of the stream.
    pub(crate) fn read_up_to(&mut self, buffer: &mut [u8]) -> Result<usize, PcapError> {
        let count = self.fill(buffer.len())?.min(buffer.len());
        buffer[..count].copy_from_slice(&self.buffer[self.start..self.start + count]);
        self.consume(count);
        Ok(count)
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
        self.check_complete(read, buffer.len(), what, start)
    }

    /// Consumes `len` bytes and returns their range in [`Source::buffer`], valid until the next
    /// call that reads. Fails as [`Source::read_exact`] does when the stream ends first.
    pub(crate) fn take(
        &mut self,
        len: usize,
        what: &'static str,
        start: u64,
    ) -> Result<Range<usize>, PcapError> {
        let count = self.fill(len)?.min(len);
        let range = self.start..self.start + count;
        self.consume(count);
        self.check_complete(count, len, what, start)?;
        Ok(range)
    }

    /// Fails with [`PcapError::Truncated`] when only `read` of the `len` bytes just consumed
    /// were in the stream.
    fn check_complete(
        &self,
        read: usize,
        len: usize,
        what: &'static str,
        start: u64,
    ) -> Result<(), PcapError> {
        if read < len {
            let before = self.offset - read as u64 - start;
            return Err(PcapError::Truncated {
                what,
                offset: start,
                needed: before + len as u64,
                available: before + read as u64,
            });
        }
        Ok(())
    }

    /// Skips `count` bytes, reading what is not buffered without keeping it.
    pub(crate) fn skip(
        &mut self,
        count: u64,
        what: &'static str,
        start: u64,
    ) -> Result<(), PcapError> {
        let buffered = count.min((self.end - self.start) as u64);
        self.consume(buffered as usize);
        let rest = count - buffered;
        let offset = self.offset;
        let copied = io::copy(&mut (&mut self.reader).take(rest), &mut io::sink())
            .map_err(|source| PcapError::Io { offset, source })?;
        self.offset += copied;
        if copied < rest {
            let before = offset - buffered - start;
            return Err(PcapError::Truncated {
                what,
                offset: start,
                needed: before + count,
                available: before + buffered + copied,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that returns at most `step` bytes per read, after one interrupted read.
    struct Trickle {
        data: Vec<u8>,
        position: usize,
        step: usize,
        interrupted: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let count = self
                .step
                .min(buffer.len())
                .min(self.data.len() - self.position);
            buffer[..count].copy_from_slice(&self.data[self.position..self.position + count]);
            self.position += count;
            Ok(count)
        }
    }

    fn trickle(len: usize, step: usize) -> (Vec<u8>, Source<Trickle>) {
        let data: Vec<u8> = (0..len).map(|index| (index % 251) as u8).collect();
        let stream = Trickle {
            data: data.clone(),
            position: 0,
            step,
            interrupted: false,
        };
        (data, Source::new(stream, 0))
    }

    #[test]
    fn take_spans_short_reads() {
        let (data, mut source) = trickle(300, 7);
        for chunk in data.chunks(100) {
            let range = source.take(100, "record", 0).expect("bytes present");
            assert_eq!(&source.buffer()[range], chunk);
        }
        assert_eq!(source.offset(), 300);
        let error = source.take(1, "record", 300).expect_err("stream ended");
        assert!(matches!(
            error,
            PcapError::Truncated {
                needed: 1,
                available: 0,
                ..
            }
        ));
    }

    #[test]
    fn take_longer_than_read_chunk() {
        let len = 2 * READ_CHUNK_LEN + 5;
        let (data, mut source) = trickle(len, READ_CHUNK_LEN);
        assert_eq!(source.peek(10).expect("bytes present"), &data[..10]);
        let first = READ_CHUNK_LEN + 7;
        let range = source.take(first, "record", 0).expect("bytes present");
        assert_eq!(&source.buffer()[range], &data[..first]);
        let range = source
            .take(len - first, "record", 0)
            .expect("bytes present");
        assert_eq!(&source.buffer()[range], &data[first..]);
        assert_eq!(source.offset(), len as u64);
    }

    #[test]
    fn truncated_take_reports_lengths() {
        let (data, mut source) = trickle(50, 4);
        let mut header = [0u8; 8];
        source
            .read_exact(&mut header, "header", 0)
            .expect("bytes present");
        assert_eq!(header, data[..8]);
        let error = source.take(60, "record", 0).expect_err("stream ended");
        assert!(matches!(
            error,
            PcapError::Truncated {
                needed: 68,
                available: 50,
                ..
            }
        ));
        assert_eq!(source.offset(), 50);
    }

    #[test]
    fn skip_past_buffered_bytes() {
        let (data, mut source) = trickle(100, 4);
        assert_eq!(source.peek(10).expect("bytes present"), &data[..10]);
        source.skip(30, "block", 0).expect("bytes present");
        let range = source.take(5, "record", 30).expect("bytes present");
        assert_eq!(&source.buffer()[range], &data[30..35]);
        let error = source.skip(100, "block", 35).expect_err("stream ended");
        assert!(matches!(
            error,
            PcapError::Truncated {
                needed: 100,
                available: 65,
                ..
            }
        ));
    }
}
