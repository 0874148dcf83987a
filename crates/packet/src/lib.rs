//! Link-layer, IP and transport decoding for captured frames.
//!
//! Sources (capture files and live sockets) produce [`Frame`]s; this crate turns them into
//! UDP datagrams and TCP segments. It does no I/O and no logging: every anomaly comes back as a
//! typed error that the caller counts.

mod frame;

pub use frame::{Frame, LinkType, Timestamp};
