//! pcapng files: a sequence of blocks, grouped in sections that each start with a section header
//! block fixing the byte order and numbering their own interfaces.

use crate::error::BlockLengthProblem;
use crate::interface::Interface;
use crate::reader::Record;
use crate::source::{reserve, ByteOrder, Source};
use crate::{PcapError, MAX_BLOCK_LENGTH};
use dnstel_packet::{LinkType, Timestamp};
use std::io::Read;

/// Block type of a section header block; the same in both byte orders.
pub(crate) const SECTION_HEADER: u32 = 0x0a0d_0d0a;
const INTERFACE_DESCRIPTION: u32 = 1;
const OBSOLETE_PACKET: u32 = 2;
const SIMPLE_PACKET: u32 = 3;
const ENHANCED_PACKET: u32 = 6;

const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Type, length, byte-order magic, versions, section length and trailing length.
const SECTION_HEADER_MIN_LENGTH: u32 = 28;
/// Type, length and trailing length.
const BLOCK_MIN_LENGTH: u32 = 12;
/// Fixed fields of enhanced and obsolete packet blocks before the packet data.
const PACKET_FIELDS_LENGTH: usize = 20;

/// A pcapng file positioned after a complete block.
#[derive(Debug)]
pub(crate) struct PcapNgReader<R> {
    source: Source<R>,
    order: ByteOrder,
    interfaces: Vec<Interface>,
    buffer: Vec<u8>,
    /// Timestamp given to simple packet blocks, which carry none: the previous packet's.
    last_timestamp: Timestamp,
    skipped_blocks: u64,
}

impl<R: Read> PcapNgReader<R> {
    /// Reads the first section header; the source has consumed its four type bytes.
    pub(crate) fn new(source: Source<R>) -> Result<Self, PcapError> {
        let mut reader = PcapNgReader {
            source,
            order: ByteOrder::Little,
            interfaces: Vec::new(),
            buffer: Vec::new(),
            last_timestamp: Timestamp::default(),
            skipped_blocks: 0,
        };
        let mut length = [0u8; 4];
        reader
            .source
            .read_exact(&mut length, "pcapng section header", 0)?;
        reader.read_section_header(0, length)?;
        Ok(reader)
    }

    /// Offset of the next block.
    pub(crate) fn offset(&self) -> u64 {
        self.source.offset()
    }

    /// Blocks skipped because their type carries no packets.
    pub(crate) fn skipped_blocks(&self) -> u64 {
        self.skipped_blocks
    }

    /// Link types of the interfaces described so far in the current section, by interface id.
    pub(crate) fn interfaces(&self) -> impl Iterator<Item = LinkType> + '_ {
        self.interfaces.iter().map(|interface| interface.link_type)
    }

    /// Returns the buffer that [`Record`] ranges point into.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Reads blocks until the next packet, leaving it in the buffer; `None` at a clean end of
    /// file.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        loop {
            let start = self.source.offset();
            let mut header = [0u8; 8];
            let read = self.source.read_up_to(&mut header)?;
            if read == 0 {
                return Ok(None);
            }
            if read < header.len() {
                return Err(PcapError::Truncated {
                    what: "pcapng block header",
                    offset: start,
                    needed: header.len() as u64,
                    available: read as u64,
                });
            }
            let block_type = self.order.u32(&header, 0);
            if block_type == SECTION_HEADER {
                self.read_section_header(start, [header[4], header[5], header[6], header[7]])?;
                continue;
            }
            let length = self.order.u32(&header, 4);
            let buffered = matches!(
                block_type,
                INTERFACE_DESCRIPTION | ENHANCED_PACKET | SIMPLE_PACKET | OBSOLETE_PACKET
            );
            check_length(start, length, BLOCK_MIN_LENGTH, buffered)?;
            match block_type {
                INTERFACE_DESCRIPTION => {
                    if self.interfaces.len() >= crate::MAX_INTERFACES {
                        return Err(PcapError::TooManyInterfaces { offset: start });
                    }
                    let order = self.order;
                    let body = self.read_body(start, length)?;
                    let interface = Interface::parse(order, body, start)?;
                    self.interfaces.push(interface);
                }
                ENHANCED_PACKET | SIMPLE_PACKET | OBSOLETE_PACKET => {
                    self.read_body(start, length)?;
                    return self.packet(block_type, start, length).map(Some);
                }
                _ => {
                    self.source
                        .skip(u64::from(length) - 8, "pcapng block", start)?;
                    self.skipped_blocks += 1;
                }
            }
        }
    }

    /// Reads a section header block whose type bytes were read at `start`, followed by
    /// `raw_length`, and starts a new section.
    fn read_section_header(&mut self, start: u64, raw_length: [u8; 4]) -> Result<(), PcapError> {
        let mut magic = [0u8; 4];
        self.source
            .read_exact(&mut magic, "pcapng section header", start)?;
        self.order = match u32::from_le_bytes(magic) {
            BYTE_ORDER_MAGIC => ByteOrder::Little,
            _ if u32::from_be_bytes(magic) == BYTE_ORDER_MAGIC => ByteOrder::Big,
            _ => {
                return Err(PcapError::InvalidByteOrderMagic {
                    offset: start,
                    magic,
                })
            }
        };
        let length = self.order.u32(&raw_length, 0);
        check_length(start, length, SECTION_HEADER_MIN_LENGTH, true)?;
        // The byte-order magic is already consumed, so the body read starts 4 bytes later.
        let rest = reserve(&mut self.buffer, length as usize - 12);
        self.source
            .read_exact(rest, "pcapng section header", start)?;
        let trailer = self.order.u32(rest, rest.len() - 4);
        if trailer != length {
            return Err(PcapError::BlockTrailerMismatch {
                offset: start,
                length,
                trailer,
            });
        }
        let major = self.order.u16(rest, 0);
        let minor = self.order.u16(rest, 2);
        if major != 1 {
            return Err(PcapError::UnsupportedPcapNgVersion {
                offset: start,
                major,
                minor,
            });
        }
        self.interfaces.clear();
        Ok(())
    }

    /// Reads the rest of a block of `length` bytes into the buffer, checks its trailing length,
    /// and returns its body.
    fn read_body(&mut self, start: u64, length: u32) -> Result<&[u8], PcapError> {
        let rest = reserve(&mut self.buffer, length as usize - 8);
        self.source.read_exact(rest, "pcapng block", start)?;
        let trailer = self.order.u32(rest, rest.len() - 4);
        if trailer != length {
            return Err(PcapError::BlockTrailerMismatch {
                offset: start,
                length,
                trailer,
            });
        }
        Ok(&self.buffer[..length as usize - 12])
    }

    /// Builds the record of a packet block whose body is in the buffer.
    fn packet(&mut self, block_type: u32, start: u64, length: u32) -> Result<Record, PcapError> {
        let body = &self.buffer[..length as usize - 12];
        let order = self.order;
        let fields = match block_type {
            ENHANCED_PACKET => enhanced_fields(order, body, start)?,
            OBSOLETE_PACKET => obsolete_fields(order, body, start)?,
            _ => simple_fields(order, body, start, &self.interfaces)?,
        };
        let block = block_name(block_type);
        let interface =
            self.interfaces
                .get(fields.interface as usize)
                .ok_or(PcapError::UnknownInterface {
                    block,
                    offset: start,
                    interface: fields.interface,
                    count: self.interfaces.len(),
                })?;
        let data_end = fields.data_start + fields.captured_length as usize;
        if data_end > body.len() {
            return Err(PcapError::BlockBodyTooShort {
                block,
                offset: start,
                needed: data_end,
                available: body.len(),
            });
        }
        let timestamp = match fields.units {
            Some(units) => interface.timestamp(units),
            None => self.last_timestamp,
        };
        self.last_timestamp = timestamp;
        Ok(Record {
            timestamp,
            link_type: interface.link_type,
            data: fields.data_start..data_end,
            original_length: fields.original_length,
            interface: fields.interface,
        })
    }
}

/// The fields of a packet block that locate its data.
struct PacketFields {
    interface: u32,
    /// Timestamp in interface units; `None` for simple packet blocks.
    units: Option<u64>,
    captured_length: u32,
    original_length: u32,
    data_start: usize,
}

fn enhanced_fields(order: ByteOrder, body: &[u8], start: u64) -> Result<PacketFields, PcapError> {
    require(body, PACKET_FIELDS_LENGTH, ENHANCED_PACKET, start)?;
    Ok(PacketFields {
        interface: order.u32(body, 0),
        units: Some(timestamp_units(order, body, 4)),
        captured_length: order.u32(body, 12),
        original_length: order.u32(body, 16),
        data_start: PACKET_FIELDS_LENGTH,
    })
}

fn obsolete_fields(order: ByteOrder, body: &[u8], start: u64) -> Result<PacketFields, PcapError> {
    require(body, PACKET_FIELDS_LENGTH, OBSOLETE_PACKET, start)?;
    Ok(PacketFields {
        interface: u32::from(order.u16(body, 0)),
        units: Some(timestamp_units(order, body, 4)),
        captured_length: order.u32(body, 12),
        original_length: order.u32(body, 16),
        data_start: PACKET_FIELDS_LENGTH,
    })
}

/// Reads a simple packet block, which stores only the original length. The captured length is
/// that length cut to the block body and to interface 0's snapshot length.
fn simple_fields(
    order: ByteOrder,
    body: &[u8],
    start: u64,
    interfaces: &[Interface],
) -> Result<PacketFields, PcapError> {
    require(body, 4, SIMPLE_PACKET, start)?;
    let original_length = order.u32(body, 0);
    let mut captured_length = original_length.min((body.len() - 4) as u32);
    if let Some(interface) = interfaces.first() {
        if interface.snap_length != 0 {
            captured_length = captured_length.min(interface.snap_length);
        }
    }
    Ok(PacketFields {
        interface: 0,
        units: None,
        captured_length,
        original_length,
        data_start: 4,
    })
}

/// Reads the high and low 32-bit halves of a packet timestamp.
fn timestamp_units(order: ByteOrder, body: &[u8], index: usize) -> u64 {
    (u64::from(order.u32(body, index)) << 32) | u64::from(order.u32(body, index + 4))
}

fn require(body: &[u8], needed: usize, block_type: u32, start: u64) -> Result<(), PcapError> {
    if body.len() < needed {
        return Err(PcapError::BlockBodyTooShort {
            block: block_name(block_type),
            offset: start,
            needed,
            available: body.len(),
        });
    }
    Ok(())
}

fn block_name(block_type: u32) -> &'static str {
    match block_type {
        ENHANCED_PACKET => "enhanced packet block",
        OBSOLETE_PACKET => "packet block",
        SIMPLE_PACKET => "simple packet block",
        _ => "block",
    }
}

/// Checks a block length; `buffered` blocks must also fit in [`MAX_BLOCK_LENGTH`].
fn check_length(offset: u64, length: u32, minimum: u32, buffered: bool) -> Result<(), PcapError> {
    let problem = if length < minimum {
        BlockLengthProblem::TooShort { minimum }
    } else if length % 4 != 0 {
        BlockLengthProblem::Unaligned
    } else if buffered && length > MAX_BLOCK_LENGTH {
        BlockLengthProblem::TooLong
    } else {
        return Ok(());
    };
    Err(PcapError::InvalidBlockLength {
        offset,
        length,
        problem,
    })
}
