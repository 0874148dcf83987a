//! Classic libpcap files: a 24-byte global header, then 16-byte record headers each followed by
//! the captured bytes.

use crate::reader::Record;
use crate::source::{ByteOrder, Source};
use crate::{PcapError, MAX_RECORD_LENGTH};
use dnstel_packet::{LinkType, Timestamp};
use std::io::Read;

/// Magic number of microsecond-resolution files, as read in the file's byte order.
pub(crate) const MAGIC_MICROSECONDS: u32 = 0xa1b2_c3d4;
/// Magic number of nanosecond-resolution files.
pub(crate) const MAGIC_NANOSECONDS: u32 = 0xa1b2_3c4d;

const GLOBAL_HEADER_LENGTH: usize = 24;
const RECORD_HEADER_LENGTH: usize = 16;

/// A classic pcap file positioned after its global header.
#[derive(Debug)]
pub(crate) struct ClassicReader<R> {
    source: Source<R>,
    order: ByteOrder,
    nanoseconds: bool,
    link_type: LinkType,
    snap_length: u32,
    /// Records whose captured length exceeds `snap_length`; see
    /// [`crate::ReaderStats::records_over_snap_length`].
    over_snap_length: u64,
}

impl<R: Read> ClassicReader<R> {
    /// Reads the rest of the global header; `magic` contains its first four bytes.
    pub(crate) fn new(mut source: Source<R>, magic: [u8; 4]) -> Result<Self, PcapError> {
        let (order, nanoseconds) = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
            (MAGIC_MICROSECONDS, _) => (ByteOrder::Little, false),
            (MAGIC_NANOSECONDS, _) => (ByteOrder::Little, true),
            (_, MAGIC_MICROSECONDS) => (ByteOrder::Big, false),
            (_, MAGIC_NANOSECONDS) => (ByteOrder::Big, true),
            _ => return Err(PcapError::UnknownMagic { magic }),
        };
        let mut header = [0u8; GLOBAL_HEADER_LENGTH];
        header[..4].copy_from_slice(&magic);
        source.read_exact(&mut header[4..], "pcap global header", 0)?;
        let major = order.u16(&header, 4);
        let minor = order.u16(&header, 6);
        if major != 2 {
            return Err(PcapError::UnsupportedPcapVersion { major, minor });
        }
        // The upper bits of the link type field carry FCS information; the type is the low 16.
        let link_type = LinkType(order.u32(&header, 20) & 0xffff);
        Ok(ClassicReader {
            source,
            order,
            nanoseconds,
            link_type,
            snap_length: order.u32(&header, 16),
            over_snap_length: 0,
        })
    }

    /// Returns the link type from the global header.
    pub(crate) fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// Returns the snapshot length from the global header.
    pub(crate) fn snap_length(&self) -> u32 {
        self.snap_length
    }

    /// Returns how many records so far had a captured length over the snapshot length.
    pub(crate) fn over_snap_length(&self) -> u64 {
        self.over_snap_length
    }

    /// Offset of the next record.
    pub(crate) fn offset(&self) -> u64 {
        self.source.offset()
    }

    /// Returns the buffer that [`Record`] ranges point into.
    pub(crate) fn buffer(&self) -> &[u8] {
        self.source.buffer()
    }

    /// Reads the next record into the buffer; `None` at a clean end of file.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        let start = self.source.offset();
        let available = self.source.peek(RECORD_HEADER_LENGTH)?;
        let read = available.len();
        if read == 0 {
            return Ok(None);
        }
        if read < RECORD_HEADER_LENGTH {
            self.source.consume(read);
            return Err(PcapError::Truncated {
                what: "pcap record header",
                offset: start,
                needed: RECORD_HEADER_LENGTH as u64,
                available: read as u64,
            });
        }
        let mut header = [0u8; RECORD_HEADER_LENGTH];
        header.copy_from_slice(&available[..RECORD_HEADER_LENGTH]);
        self.source.consume(RECORD_HEADER_LENGTH);
        let seconds = self.order.u32(&header, 0);
        let fraction = self.order.u32(&header, 4);
        let captured_length = self.order.u32(&header, 8);
        let original_length = self.order.u32(&header, 12);
        if captured_length > MAX_RECORD_LENGTH {
            return Err(PcapError::RecordTooLong {
                offset: start,
                length: captured_length,
                max: MAX_RECORD_LENGTH,
            });
        }
        let data = self
            .source
            .take(captured_length as usize, "pcap record", start)?;
        // Counted once the record is whole, so a record cut short is only a damaged one. A
        // snapshot length of 0 is taken as "no limit", as some writers mean it.
        if self.snap_length != 0 && captured_length > self.snap_length {
            self.over_snap_length += 1;
        }
        let nanoseconds = if self.nanoseconds {
            fraction
        } else {
            fraction.saturating_mul(1000)
        };
        Ok(Some(Record {
            timestamp: Timestamp::from_parts(i64::from(seconds), nanoseconds),
            link_type: self.link_type,
            data,
            original_length,
            interface: 0,
        }))
    }
}
