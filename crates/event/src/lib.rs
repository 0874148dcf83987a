//! Packetbeat 7.17 DNS transaction events.
//!
//! This crate turns a paired DNS transaction into the JSON event Packetbeat writes, field for
//! field and in Packetbeat's key order, and owns everything that event carries besides the
//! DNS message itself: public suffix fields, Community ID, network direction, agent and host
//! metadata, `fields`/`tags` and the global processors.

pub mod agent;
pub mod community_id;
pub mod domain;
pub mod error;
pub mod host;
pub mod json;
pub mod network;
pub mod processors;
pub mod time;
pub mod value;
