//! The sensor pipeline from captured frames to completed DNS transactions.
//!
//! [`Sensor`] decodes each frame, reassembles IP fragments, and feeds UDP datagrams and TCP
//! segments to the pairing stage. Time advances only with packet timestamps (and explicit
//! [`Sensor::advance`] calls for idle live capture), so the same input always gives the same
//! transactions in the same order.

mod sensor;
mod stats;

pub use sensor::{Sensor, SensorOptions};
pub use stats::{DecodeErrorCounts, SensorStats};
