//! Streaming readers for classic pcap and pcapng capture files, without libpcap.
//!
//! [`CaptureReader`] detects the format from the magic number and yields
//! [`dnstel_packet::Frame`]s one at a time from a single reused buffer, so a file of any size is
//! read in bounded memory. [`open`] opens one file and [`MultiReader`] reads several in a row.
//!
//! Classic pcap is read in both byte orders, with microsecond or nanosecond timestamps. pcapng is
//! read with several sections, each in its own byte order, and several interfaces per section.
//! Each interface has its own link type, `if_tsresol` (decimal or binary) and `if_tsoffset`.
//! Enhanced, simple and obsolete packet blocks yield frames; other blocks are skipped and counted.
//!
//! ```no_run
//! use dnstel_packet::{decode, Defragmenter, Transport};
//!
//! let mut reader = dnstel_pcap::open("capture.pcapng")?;
//! let mut defragmenter = Defragmenter::default();
//! loop {
//!     let frame = match reader.next_frame() {
//!         Ok(Some(frame)) => frame,
//!         Ok(None) => break,
//!         Err(error) if error.is_recoverable() => continue,
//!         Err(error) => return Err(error.into()),
//!     };
//!     let Ok(decoded) = decode(&frame) else { continue };
//!     if let Transport::Udp(udp) = decoded.transport {
//!         let (source, destination) = (decoded.ip.source, decoded.ip.destination);
//!         println!("{source} -> {destination}: {} bytes", udp.payload.len());
//!     } else if let Some(datagram) = defragmenter.insert_decoded(frame.timestamp, &decoded) {
//!         println!("reassembled {} bytes", datagram.payload.len());
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classic;
mod error;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod interface;
mod pcapng;
mod reader;
mod source;

pub use error::{BlockLengthProblem, FileError, PcapError};
pub use files::{open, FileReader, MultiReader};
pub use reader::{CaptureFormat, CaptureReader, ReaderStats};

/// The largest classic pcap record accepted, in captured bytes (16 MiB). libpcap itself caps
/// records at 256 KiB for most link types, so this only stops absurd lengths in corrupt files.
pub const MAX_RECORD_LENGTH: u32 = 16 * 1024 * 1024;

/// The most interface description blocks accepted in one pcapng section. Real captures
/// describe a handful; past this a file is taken as damaged, so a hostile file cannot grow the
/// interface table without bound.
pub const MAX_INTERFACES: usize = 65_536;

/// The largest pcapng interface description or packet block accepted, in bytes (16 MiB).
/// Blocks of other types are skipped without buffering, whatever their length.
pub const MAX_BLOCK_LENGTH: u32 = 16 * 1024 * 1024;
