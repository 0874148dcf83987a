//! DNS transactions from decoded UDP datagrams and TCP segments.
//!
//! A [`Pairing`] matches each query with its response on Packetbeat 7.17's key: client address
//! and port, server address and port, DNS ID and transport. It reassembles DNS over TCP from its
//! 2-byte length framing, and hands out completed [`Transaction`]s with Packetbeat's note texts
//! ([`notes`]). Timeouts run on packet time, every table and buffer is bounded by
//! [`PairingConfig`], and every drop is counted in [`PairingStats`].
//!
//! The crate does no I/O and no logging.
//!
//! ```
//! use dnstel_packet::Timestamp;
//! use dnstel_pairing::{notes, DnsDatagram, Pairing, PairingConfig};
//!
//! let mut pairing = Pairing::new(PairingConfig::default())?;
//! // A query for `a.` (type A, class IN) with ID 1.
//! let query = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];
//! pairing.process_udp(&DnsDatagram {
//!     timestamp: Timestamp(0),
//!     source: "192.0.2.10:40000".parse()?,
//!     destination: "192.0.2.53:53".parse()?,
//!     payload: &query,
//! });
//! // End of input: the query is emitted as unanswered.
//! pairing.flush_all();
//! let transactions: Vec<_> = pairing.drain().collect();
//! assert_eq!(transactions[0].notes, [notes::NO_RESPONSE]);
//! assert_eq!(pairing.stats().flushed, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod decode;
mod drain;
#[doc(hidden)]
pub mod fuzzing;
mod input;
pub mod notes;
mod pairing;
mod pending;
mod slab;
mod stats;
mod table;
mod tcp;
mod tcp_pairing;
mod transaction;

#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod test_support;

pub use config::{ConfigError, PairingConfig, TcpLimits, MAX_TCP_MESSAGE_LEN};
pub use drain::Drain;
pub use input::{DnsDatagram, DnsSegment, TcpFlags, Transport};
pub use pairing::Pairing;
pub use stats::PairingStats;
pub use transaction::{Side, Transaction};
