//! The memory-mapped TPACKET_V3 receive ring.
//!
//! The kernel fills fixed-size blocks with packets and flips each block's status word to
//! "user" when the block is full or its timeout expires. User space reads every packet in the
//! block, then flips the status back to "kernel". The ring walks blocks in order. A block is
//! released only when the reader asks for the packet after its last one, so a returned packet
//! stays valid until the next call.

use std::ops::Range;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use super::packet::{TP_STATUS_KERNEL, TP_STATUS_USER};
use super::socket::{system_error, PacketSocket};
use crate::error::Result;
use std::os::fd::AsRawFd;

/// Offset of `block_status` in `struct tpacket_block_desc`.
const BLOCK_STATUS: usize = 8;
const BLOCK_PACKET_COUNT: usize = 12;
const BLOCK_FIRST_PACKET: usize = 16;
/// Size of `struct tpacket3_hdr` rounded to TPACKET_ALIGNMENT; the `sockaddr_ll` follows.
const PACKET_HEADER_SIZE: usize = 48;
const SOCKADDR_LL_SIZE: usize = 20;
/// `TPACKET3_HDRLEN`: bytes from a packet header to the end of its `sockaddr_ll`.
pub const PACKET_HEADERS_END: usize = PACKET_HEADER_SIZE + SOCKADDR_LL_SIZE;

/// Metadata the kernel recorded for one packet in the ring.
#[derive(Debug, Clone, Copy)]
pub struct PacketInfo {
    /// Capture time, seconds.
    pub seconds: u32,
    /// Capture time, nanoseconds.
    pub nanoseconds: u32,
    /// Length on the wire.
    pub length: u32,
    /// `tp_status` flags.
    pub status: u32,
    /// Offset of the first captured byte (link header, or network header for SOCK_DGRAM) in
    /// the packet's slot.
    pub data_offset: usize,
    /// VLAN TCI stripped by the driver.
    pub vlan_tci: u16,
    /// VLAN TPID stripped by the driver.
    pub vlan_tpid: u16,
    /// EtherType in host byte order.
    pub protocol: u16,
    /// Interface index.
    pub ifindex: u32,
    /// `ARPHRD_*` type of the interface.
    pub hardware_type: u16,
    /// Linux packet type (host, broadcast, multicast, other host, outgoing).
    pub packet_type: u8,
    /// Link-layer source address length.
    pub address_length: u8,
    /// Link-layer source address bytes.
    pub address: [u8; 8],
}

/// A mapped ring and the reader's position in it.
#[derive(Debug)]
pub struct Ring {
    base: NonNull<u8>,
    block_size: usize,
    block_count: usize,
    block: usize,
    holding: bool,
    remaining: u32,
    next_offset: usize,
    current: Range<usize>,
    malformed: u64,
}

// SAFETY: the mapping is owned by this value alone; moving it to another thread moves the only
// handle to it.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps the ring that PACKET_RX_RING created on `socket`.
    pub fn map(socket: &PacketSocket, block_size: u32, block_count: u32) -> Result<Ring> {
        let block_size = block_size as usize;
        let block_count = block_count as usize;
        let length = block_size * block_count;
        // SAFETY: a shared read-write mapping of the socket's ring with the length configured
        // by PACKET_RX_RING; the result is checked against MAP_FAILED.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                length,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                socket.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(system_error("mmap(packet ring)", socket.device()));
        }
        let base = NonNull::new(address.cast::<u8>())
            .expect("mmap returns a non-null address unless it fails");
        Ok(Ring {
            base,
            block_size,
            block_count,
            block: 0,
            holding: false,
            remaining: 0,
            next_offset: 0,
            current: 0..0,
            malformed: 0,
        })
    }

    /// Number of packet headers that pointed outside their block; their blocks were skipped.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    fn status_word(&self, block: usize) -> &AtomicU32 {
        // SAFETY: the status word lies inside the mapping (block < block_count), is 4-byte
        // aligned because blocks are page aligned, and is only accessed atomically here.
        unsafe {
            AtomicU32::from_ptr(
                self.base
                    .as_ptr()
                    .add(block * self.block_size + BLOCK_STATUS)
                    .cast(),
            )
        }
    }

    fn release_block(&mut self) {
        self.status_word(self.block)
            .store(TP_STATUS_KERNEL, Ordering::Release);
        self.holding = false;
        self.block = (self.block + 1) % self.block_count;
    }

    /// Returns true when the current block belongs to user space.
    pub fn ready(&self) -> bool {
        self.holding || self.status_word(self.block).load(Ordering::Acquire) & TP_STATUS_USER != 0
    }

    /// Moves to the next packet and returns its metadata, or `None` when the kernel has not
    /// handed over another block. [`Ring::slot`] then returns the packet's bytes.
    pub fn next_packet(&mut self) -> Option<PacketInfo> {
        if self.holding && self.remaining == 0 {
            self.release_block();
        }
        if !self.holding {
            if self.status_word(self.block).load(Ordering::Acquire) & TP_STATUS_USER == 0 {
                return None;
            }
            self.holding = true;
            let block = self.block_bytes();
            let count = read_u32(block, BLOCK_PACKET_COUNT).unwrap_or(0);
            let first = read_u32(block, BLOCK_FIRST_PACKET).unwrap_or(0) as usize;
            self.remaining = count;
            self.next_offset = first;
            if self.remaining == 0 {
                return None;
            }
        }
        let offset = self.next_offset;
        self.remaining -= 1;
        let Some((next, info, slot)) = parse_header(self.block_bytes(), offset) else {
            self.malformed += 1;
            self.remaining = 0;
            return None;
        };
        self.next_offset = offset + next;
        if next == 0 || self.next_offset >= self.block_size {
            self.remaining = 0;
        }
        self.current = slot;
        Some(info)
    }

    /// Returns the slot of the packet last returned by [`Ring::next_packet`]: ring headers,
    /// free space, then the captured bytes at `data_offset`.
    pub fn slot(&mut self) -> &mut [u8] {
        if !self.holding {
            return &mut [];
        }
        let range = self.current.clone();
        self.block_bytes()
            .get_mut(range)
            .expect("parse_header checked the slot lies inside the block")
    }

    fn block_bytes(&mut self) -> &mut [u8] {
        // SAFETY: the block lies inside the mapping, its status is "user" (checked by the
        // caller before `holding` was set), so the kernel does not write it until
        // `release_block`, and `&mut self` makes this the only reference into it.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.base.as_ptr().add(self.block * self.block_size),
                self.block_size,
            )
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: base and length are those returned by the successful mmap, and no reference
        // into the mapping outlives `self`.
        unsafe {
            libc::munmap(
                self.base.as_ptr().cast(),
                self.block_size * self.block_count,
            );
        }
    }
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let raw = bytes.get(offset..offset + 4)?;
    Some(u32::from_ne_bytes(raw.try_into().ok()?))
}

fn read_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    let raw = bytes.get(offset..offset + 2)?;
    Some(u16::from_ne_bytes(raw.try_into().ok()?))
}

/// Parses the `tpacket3_hdr` and `sockaddr_ll` at `offset`. Returns the distance to the next
/// packet, the metadata and the slot's byte range in the block, or `None` if any part lies
/// outside the block.
fn parse_header(block: &[u8], offset: usize) -> Option<(usize, PacketInfo, Range<usize>)> {
    let header = block.get(offset..offset.checked_add(PACKET_HEADERS_END)?)?;
    let next = read_u32(header, 0)? as usize;
    let snaplen = read_u32(header, 12)? as usize;
    let data_offset = usize::from(read_u16(header, 24)?);
    if data_offset < PACKET_HEADERS_END {
        return None;
    }
    let address = header.get(PACKET_HEADER_SIZE..PACKET_HEADERS_END)?;
    let end = offset.checked_add(data_offset)?.checked_add(snaplen)?;
    if end > block.len() {
        return None;
    }
    let info = PacketInfo {
        seconds: read_u32(header, 4)?,
        nanoseconds: read_u32(header, 8)?,
        length: read_u32(header, 16)?,
        status: read_u32(header, 20)?,
        data_offset,
        vlan_tci: read_u32(header, 32)? as u16,
        vlan_tpid: read_u16(header, 36)?,
        protocol: u16::from_be(read_u16(address, 2)?),
        ifindex: read_u32(address, 4)?,
        hardware_type: read_u16(address, 8)?,
        packet_type: *address.get(10)?,
        address_length: *address.get(11)?,
        address: address.get(12..20)?.try_into().ok()?,
    };
    Some((next, info, offset..end))
}
