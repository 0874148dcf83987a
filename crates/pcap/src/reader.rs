//! Format detection and the reader over either capture format.

use crate::classic::ClassicReader;
use crate::pcapng::{PcapNgReader, SECTION_HEADER};
use crate::source::Source;
use crate::PcapError;
use dnstel_packet::{Frame, LinkType, Timestamp};
use std::io::Read;
use std::ops::Range;

/// The format of a capture file, from its magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap, microsecond or nanosecond timestamps, either byte order.
    Pcap,
    /// pcapng.
    PcapNg,
}

/// A packet read into a format reader's buffer.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) timestamp: Timestamp,
    pub(crate) link_type: LinkType,
    /// Range of the captured bytes in the buffer.
    pub(crate) data: Range<usize>,
    pub(crate) original_length: u32,
    pub(crate) interface: u32,
}

#[derive(Debug)]
enum Inner<R> {
    Pcap(ClassicReader<R>),
    PcapNg(PcapNgReader<R>),
}

/// Counters of a [`CaptureReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReaderStats {
    /// Frames returned.
    pub frames: u64,
    /// Records skipped after a recoverable error.
    pub skipped_records: u64,
    /// pcapng blocks of types that carry no packets (statistics, name resolution, custom, ...).
    pub skipped_blocks: u64,
    /// Classic pcap records whose captured length is larger than the file's snapshot length.
    /// They are read and returned like any other record. A snapshot length of 0 counts as no
    /// limit.
    pub records_over_snap_length: u64,
    /// Whether reading stopped at an error rather than at the end of the file.
    pub stopped_by_error: bool,
}

impl ReaderStats {
    /// Adds the counters of `other`, another file read in the same stream.
    pub fn add(&mut self, other: &ReaderStats) {
        self.frames += other.frames;
        self.skipped_records += other.skipped_records;
        self.skipped_blocks += other.skipped_blocks;
        self.records_over_snap_length += other.records_over_snap_length;
        self.stopped_by_error |= other.stopped_by_error;
    }
}

/// A streaming reader of classic pcap or pcapng captures over any [`Read`].
///
/// It reads ahead into a buffer of 128 KiB, which grows only to fit the largest record (at
/// most [`crate::MAX_BLOCK_LENGTH`]), so memory stays bounded. A [`std::io::BufReader`] around
/// the reader is not needed.
#[derive(Debug)]
pub struct CaptureReader<R> {
    inner: Inner<R>,
    stats: ReaderStats,
    finished: bool,
}

impl<R: Read> CaptureReader<R> {
    /// Reads the magic number and file header of `reader` and detects the format.
    pub fn new(reader: R) -> Result<Self, PcapError> {
        let mut source = Source::new(reader, 0);
        let mut magic = [0u8; 4];
        let read = source.read_up_to(&mut magic)?;
        if read == 0 {
            return Err(PcapError::Empty);
        }
        if read < magic.len() {
            return Err(PcapError::Truncated {
                what: "magic number",
                offset: 0,
                needed: magic.len() as u64,
                available: read as u64,
            });
        }
        let inner = if u32::from_le_bytes(magic) == SECTION_HEADER {
            Inner::PcapNg(PcapNgReader::new(source)?)
        } else {
            Inner::Pcap(ClassicReader::new(source, magic)?)
        };
        Ok(CaptureReader {
            inner,
            stats: ReaderStats::default(),
            finished: false,
        })
    }

    /// Returns the detected format.
    pub fn format(&self) -> CaptureFormat {
        match self.inner {
            Inner::Pcap(_) => CaptureFormat::Pcap,
            Inner::PcapNg(_) => CaptureFormat::PcapNg,
        }
    }

    /// Returns the link types known so far: the global header's for pcap, the current section's
    /// interfaces (by interface id) for pcapng.
    pub fn link_types(&self) -> Vec<LinkType> {
        match &self.inner {
            Inner::Pcap(reader) => vec![reader.link_type()],
            Inner::PcapNg(reader) => reader.interfaces().collect(),
        }
    }

    /// Returns the classic pcap snapshot length, or `None` for pcapng.
    pub fn snap_length(&self) -> Option<u32> {
        match &self.inner {
            Inner::Pcap(reader) => Some(reader.snap_length()),
            Inner::PcapNg(_) => None,
        }
    }

    /// Offset in the file of the next record or block.
    pub fn offset(&self) -> u64 {
        match &self.inner {
            Inner::Pcap(reader) => reader.offset(),
            Inner::PcapNg(reader) => reader.offset(),
        }
    }

    /// Returns the counters so far.
    pub fn stats(&self) -> ReaderStats {
        let mut stats = self.stats;
        match &self.inner {
            Inner::Pcap(reader) => stats.records_over_snap_length = reader.over_snap_length(),
            Inner::PcapNg(reader) => stats.skipped_blocks = reader.skipped_blocks(),
        }
        stats
    }

    /// Reads the next frame; `Ok(None)` at the end of the file.
    ///
    /// After an error for which [`PcapError::is_recoverable`] is true, the bad record has been
    /// skipped and the next call goes on. After any other error, every later call returns
    /// `Ok(None)`, so the frames before a truncated record are still delivered first.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, PcapError> {
        let record = self.advance()?;
        Ok(record.map(|record| self.frame(&record)))
    }

    /// Reads the next record into the buffer, keeping the counters and the finished state.
    pub(crate) fn advance(&mut self) -> Result<Option<Record>, PcapError> {
        if self.finished {
            return Ok(None);
        }
        let result = match &mut self.inner {
            Inner::Pcap(reader) => reader.next_record(),
            Inner::PcapNg(reader) => reader.next_record(),
        };
        match result {
            Ok(Some(record)) => {
                self.stats.frames += 1;
                Ok(Some(record))
            }
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(error) => {
                if error.is_recoverable() {
                    self.stats.skipped_records += 1;
                } else {
                    self.finished = true;
                    self.stats.stopped_by_error = true;
                }
                Err(error)
            }
        }
    }

    /// Returns the frame of a record returned by the last [`CaptureReader::advance`].
    pub(crate) fn frame(&self, record: &Record) -> Frame<'_> {
        let buffer = match &self.inner {
            Inner::Pcap(reader) => reader.buffer(),
            Inner::PcapNg(reader) => reader.buffer(),
        };
        Frame {
            timestamp: record.timestamp,
            link_type: record.link_type,
            data: &buffer[record.data.clone()],
            original_length: record.original_length,
            interface: record.interface,
        }
    }
}
