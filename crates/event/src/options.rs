//! Options of the event stage. The CLI fills [`EventOptions`] from packetbeat.yml.

use std::net::IpAddr;
use std::path::Path;

use crate::agent::{load_or_create_agent_meta, new_ephemeral_id};
use crate::error::MetaError;
use crate::host::{os_hostname, HostInfo};
use crate::network::InternalNetworks;
use crate::processors::Processor;
use crate::value::Map;

/// `ecs.version` of Packetbeat 7.17.
pub const ECS_VERSION: &str = "1.12.0";

/// The beat name written to `agent.type` and `@metadata.beat`.
pub const BEAT_NAME: &str = "packetbeat";

/// The identity written under `agent.*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentIdentity {
    /// `agent.id`: persisted across restarts.
    pub id: String,
    /// `agent.ephemeral_id`: new for each process.
    pub ephemeral_id: String,
    /// `agent.hostname`: the OS hostname.
    pub hostname: String,
}

impl AgentIdentity {
    /// Loads (or creates) the persisted ID in `data_dir`, draws a new ephemeral ID and reads
    /// the OS hostname.
    pub fn load(data_dir: &Path) -> Result<Self, MetaError> {
        Ok(AgentIdentity {
            id: load_or_create_agent_meta(data_dir)?.id,
            ephemeral_id: new_ephemeral_id(),
            hostname: os_hostname(),
        })
    }
}

/// Everything that shapes an event besides the transaction itself.
#[derive(Clone, Debug)]
pub struct EventOptions {
    /// dnstel's version, written to `agent.version` and `@metadata.version`.
    pub version: String,
    /// DNS `send_request`: add the `request` text.
    pub send_request: bool,
    /// DNS `send_response`: add the `response` text.
    pub send_response: bool,
    /// DNS `include_authorities`: add `dns.authorities`.
    pub include_authorities: bool,
    /// DNS `include_additionals`: add `dns.additionals`.
    pub include_additionals: bool,
    /// `packetbeat.interfaces.internal_networks`.
    pub internal_networks: InternalNetworks,
    /// The sensor host's own addresses for the host-based direction rule, read once at
    /// startup (see [`crate::host::local_ips`]); loopback entries are ignored.
    pub local_ips: Vec<IpAddr>,
    /// `packetbeat.ignore_outgoing`: drop events whose direction is `egress`.
    pub ignore_outgoing: bool,
    /// `tags` (global tags followed by the DNS protocol's tags).
    pub tags: Vec<String>,
    /// `fields`.
    pub fields: Map,
    /// `fields_under_root`: merge `fields` into the event root instead of under `fields`.
    pub fields_under_root: bool,
    /// `name`: `agent.name` and `host.name`; the OS hostname when unset.
    pub name: Option<String>,
    /// The global `processors` list.
    pub processors: Vec<Processor>,
    /// `agent.*` identity.
    pub agent: AgentIdentity,
    /// Host metadata for `add_host_metadata`; read from the system when the encoder is built
    /// if this is `None` and the processor is configured.
    pub host: Option<HostInfo>,
}

impl EventOptions {
    /// Returns the options with Packetbeat's code defaults: no optional fields, no internal
    /// networks, no processors.
    pub fn new(version: impl Into<String>, agent: AgentIdentity) -> Self {
        EventOptions {
            version: version.into(),
            send_request: false,
            send_response: false,
            include_authorities: false,
            include_additionals: false,
            internal_networks: InternalNetworks::default(),
            local_ips: Vec::new(),
            ignore_outgoing: false,
            tags: Vec::new(),
            fields: Map::new(),
            fields_under_root: false,
            name: None,
            processors: Vec::new(),
            agent,
            host: None,
        }
    }

    /// Returns `agent.name` / `host.name`: the `name` option, or the OS hostname.
    pub fn beat_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.agent.hostname)
    }
}
