//! The sensor pipeline from captured frames to completed DNS transactions.
//!
//! [`Sensor`] decodes each frame, reassembles IP fragments, and feeds UDP datagrams and TCP
//! segments to the pairing stage. Time advances only with packet timestamps (and explicit
//! [`Sensor::advance`] calls for idle live capture), so the same input always gives the same
//! transactions in the same order.
//!
//! For several threads, the work splits in two: one [`Dispatcher`] decodes, reassembles and
//! routes packets by flow into [`PacketBatch`]es, and one [`ShardSensor`] per thread pairs the
//! flows of its shard. Every shard reads every batch and moves its clock on the packets of other
//! shards, so each transaction completes at the same packet as in a single [`Sensor`] and
//! carries that packet's number as its [`Completion`] key.

mod dispatcher;
mod flow;
mod route;
mod sensor;
mod shard;
mod stats;

pub use dispatcher::Dispatcher;
pub use flow::{flow_hash, FlowPacket, PacketBatch, Route, TcpHeader};
pub use route::{route_frame, PairingInput};
pub use sensor::{shard_options, Sensor, SensorOptions};
pub use shard::{Completion, Phase, ShardSensor};
pub use stats::{
    add_defrag_stats, add_pairing_stats, add_sensor_stats, DecodeErrorCounts, SensorStats,
};
