//! Packetbeat 7.17 DNS transaction events.
//!
//! This crate turns a paired DNS transaction into the JSON event Packetbeat writes, field for
//! field and in Packetbeat's key order, and owns everything that event carries besides the
//! DNS message itself: public suffix fields, Community ID, network direction, agent and host
//! metadata, `fields`/`tags` and the global processors.
//!
//! Start with [`EventOptions`] (filled from packetbeat.yml), build an [`EventBuilder`] once,
//! then call [`EventBuilder::encode`] for every [`dnstel_pairing::Transaction`].

pub mod agent;
mod builder;
pub mod community_id;
mod dns_fields;
pub mod domain;
mod encode;
pub mod error;
mod event;
#[doc(hidden)]
pub mod fuzz;
pub mod host;
pub mod json;
pub mod network;
mod options;
mod plan;
pub mod processors;
mod registry_names;
pub mod request_text;
pub mod time;
pub mod value;

pub use builder::EventBuilder;
pub use error::{ConfigError, MetaError};
pub use event::{DnsFields, DnsType, Endpoint, Event, EventTimes, NetworkFields, Skipped, Status};
pub use host::os_hostname;
pub use options::{AgentIdentity, EventOptions, BEAT_NAME, ECS_VERSION};
