//! Maps a loaded `packetbeat.yml` onto the option types of the sensor, event and output crates.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dnstel_config::{
    Condition as ConfigCondition, Config, FieldValue, LimitsConfig, LogLevel, OutputConfig,
    ProcessorConfig,
};
use dnstel_event::network::InternalNetworks;
use dnstel_event::processors::{Condition, Processor};
use dnstel_event::value::{Map, Value};
use dnstel_event::{AgentIdentity, EventOptions};
use dnstel_output::{ConsoleOutput, FileOutput, FileOutputOptions, JsonCodec, Output};
use dnstel_pairing::PairingConfig;
use dnstel_sensor::SensorOptions;
use tracing::{info, warn};

use crate::exit::config_error;

/// The data folder used when `path.data` is not set.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/dnstel";

/// The event destination that the command line sets in place of the configured output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// Standard output, one event per line.
    Stdout,
    /// This file, rotated with the configured `output.file` settings.
    File(PathBuf),
}

impl OutputTarget {
    /// Parses the `-o` argument: `-` is standard output, anything else a file path.
    pub fn parse(argument: &str) -> OutputTarget {
        if argument == "-" {
            OutputTarget::Stdout
        } else {
            OutputTarget::File(PathBuf::from(argument))
        }
    }
}

/// Loads `path`, or the built-in configuration when it is `None`.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => dnstel_config::Config::load(path).map_err(config_error),
        None => {
            let mut config = Config::builtin();
            // The stock options dnstel does not apply were not written by the user, so they are
            // not worth a log line on every start.
            config.not_applied.clear();
            Ok(config)
        }
    }
}

/// Returns the tracing level name for `logging.level`.
pub fn log_level(config: &Config) -> &'static str {
    match config.logging.level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warning => "warn",
        LogLevel::Error | LogLevel::Critical => "error",
    }
}

/// Logs, once, every option present in the file that dnstel accepts but does not apply.
pub fn report_not_applied(config: &Config) {
    if config.not_applied.is_empty() {
        return;
    }
    info!(
        options = %config.not_applied.join(", "),
        "configuration options accepted but not applied by dnstel"
    );
}

/// Builds the pairing and defragmentation options from the DNS protocol section.
pub fn sensor_options(config: &Config) -> anyhow::Result<SensorOptions> {
    let mut pairing = PairingConfig::default();
    match &config.dns {
        Some(dns) if dns.enabled => {
            pairing.ports = dns.ports.clone();
            pairing.transaction_timeout = dns.transaction_timeout;
        }
        _ => bail!(config_error(anyhow::anyhow!(
            "no enabled `type: dns` entry in packetbeat.protocols; add one with `ports: [53]`"
        ))),
    }
    let mut options = SensorOptions {
        pairing,
        ..SensorOptions::default()
    };
    apply_limits(&config.limits, &mut options);
    Ok(options)
}

/// Applies the `dnstel.limits` caps that are set; the others keep their crate defaults.
fn apply_limits(limits: &LimitsConfig, options: &mut SensorOptions) {
    let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    let pairing = &mut options.pairing;
    if let Some(value) = limits.max_transactions {
        pairing.max_transactions = count(value);
    }
    if let Some(value) = limits.tcp_max_connections {
        pairing.tcp.max_connections = count(value);
    }
    if let Some(value) = limits.tcp_max_stream_bytes {
        pairing.tcp.max_stream_bytes = count(value);
    }
    if let Some(value) = limits.tcp_max_total_bytes {
        pairing.tcp.max_total_bytes = count(value);
    }
    let defrag = &mut options.defrag;
    if let Some(value) = limits.defrag_max_datagrams {
        defrag.max_datagrams = count(value);
    }
    if let Some(value) = limits.defrag_max_fragments {
        defrag.max_fragments = u32::try_from(value).unwrap_or(u32::MAX);
    }
    if let Some(value) = limits.defrag_max_bytes {
        defrag.max_buffered_bytes = count(value);
    }
    if let Some(value) = limits.defrag_max_hold {
        defrag.max_hold = value;
    }
}

/// Returns the data folder: `path.data`, else `path.home`/data, else [`DEFAULT_DATA_DIR`].
pub fn data_dir(config: &Config) -> PathBuf {
    if let Some(data) = &config.paths.data {
        return data.clone();
    }
    if let Some(home) = &config.paths.home {
        return home.join("data");
    }
    PathBuf::from(DEFAULT_DATA_DIR)
}

/// Loads the persisted agent identity from the data folder.
///
/// When the folder cannot be written (for example a user without rights on
/// `/var/lib/dnstel`), the run goes on with a new identity that is not saved, and logs a warning.
pub fn agent_identity(data_dir: &Path) -> AgentIdentity {
    match AgentIdentity::load(data_dir) {
        Ok(identity) => identity,
        Err(error) => {
            let hostname = dnstel_event::os_hostname();
            let id = fallback_agent_id(&hostname);
            warn!(
                path = %data_dir.display(),
                %error,
                agent_id = %id,
                "failed to load or store the agent ID; using one derived from the host name \
                 (set path.data in packetbeat.yml to a folder this user can write)"
            );
            AgentIdentity {
                id,
                ephemeral_id: dnstel_event::agent::new_ephemeral_id(),
                hostname,
            }
        }
    }
}

/// Returns the agent ID used when `meta.json` cannot be loaded or stored: a name-based UUID of
/// the host name, so the same host gives the same events from run to run.
fn fallback_agent_id(hostname: &str) -> String {
    let name = format!("dnstel agent on {hostname}");
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string()
}

/// Builds the event options from the configuration.
pub fn event_options(
    config: &Config,
    agent: AgentIdentity,
    local_ips: Vec<IpAddr>,
) -> anyhow::Result<EventOptions> {
    let mut options = EventOptions::new(env!("CARGO_PKG_VERSION"), agent);
    let internal_networks = InternalNetworks::parse(&config.interfaces.internal_networks)
        .context("invalid packetbeat.interfaces.internal_networks")
        .map_err(config_error)?;
    options.internal_networks = internal_networks;
    options.local_ips = local_ips;
    options.ignore_outgoing = config.ignore_outgoing;
    options.name = config.general.name.clone();
    options.tags = config.general.tags.clone();
    options.fields = field_map(&config.general.fields);
    options.fields_under_root = config.general.fields_under_root;
    options.processors = processors(&config.processors)?;
    if let Some(dns) = &config.dns {
        options.send_request = dns.send_request;
        options.send_response = dns.send_response;
        options.include_authorities = dns.include_authorities;
        options.include_additionals = dns.include_additionals;
        options.tags.extend(dns.general.tags.iter().cloned());
        merge_fields(&mut options.fields, &dns.general.fields);
        options.processors.extend(processors(&dns.processors)?);
    }
    Ok(options)
}

fn field_map(fields: &[(String, FieldValue)]) -> Map {
    let mut map = Map::new();
    merge_fields(&mut map, fields);
    map
}

fn merge_fields(map: &mut Map, fields: &[(String, FieldValue)]) {
    for (key, value) in fields {
        map.insert(key.clone(), field_value(value));
    }
}

fn field_value(value: &FieldValue) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(flag) => Value::Bool(*flag),
        FieldValue::Int(number) => Value::Int(*number),
        FieldValue::Float(number) => Value::Float(*number),
        FieldValue::String(text) => Value::Str(text.clone()),
        FieldValue::List(items) => Value::Array(items.iter().map(field_value).collect()),
        FieldValue::Map(entries) => Value::Object(field_map(entries)),
    }
}

/// Maps configured processors onto the event crate's processors.
fn processors(list: &[ProcessorConfig]) -> anyhow::Result<Vec<Processor>> {
    list.iter().map(processor).collect()
}

fn processor(config: &ProcessorConfig) -> anyhow::Result<Processor> {
    Ok(match config {
        ProcessorConfig::AddHostMetadata(host) => Processor::AddHostMetadata {
            netinfo: host.netinfo_enabled,
            name: host.name.clone(),
            replace_fields: host.replace_fields,
            when: optional_condition(host.when.as_ref())?,
        },
        ProcessorConfig::AddCloudMetadata(_) => Processor::NoOp {
            name: "add_cloud_metadata".to_owned(),
        },
        ProcessorConfig::AddDockerMetadata(_) => Processor::NoOp {
            name: "add_docker_metadata".to_owned(),
        },
        ProcessorConfig::DropFields(drop) => Processor::DropFields {
            fields: drop.fields.clone(),
            ignore_missing: drop.ignore_missing,
            when: optional_condition(drop.when.as_ref())?,
        },
        ProcessorConfig::IfThenElse {
            condition: test,
            then,
            otherwise,
        } => Processor::If {
            condition: condition(test)?,
            then: processors(then)?,
            otherwise: processors(otherwise)?,
        },
    })
}

fn optional_condition(when: Option<&ConfigCondition>) -> anyhow::Result<Option<Condition>> {
    when.map(condition).transpose()
}

/// Maps a processor condition; dnstel evaluates `contains`, `and`, `or` and `not`.
fn condition(config: &ConfigCondition) -> anyhow::Result<Condition> {
    Ok(match config {
        ConfigCondition::Contains(pairs) => Condition::Contains(pairs.clone()),
        ConfigCondition::And(items) => Condition::And(conditions(items)?),
        ConfigCondition::Or(items) => Condition::Or(conditions(items)?),
        ConfigCondition::Not(inner) => Condition::Not(Box::new(condition(inner)?)),
        other => bail!(config_error(anyhow::anyhow!(
            "unsupported processor condition {}: dnstel evaluates contains, and, or and not",
            condition_name(other)
        ))),
    })
}

fn conditions(items: &[ConfigCondition]) -> anyhow::Result<Vec<Condition>> {
    items.iter().map(condition).collect()
}

fn condition_name(condition: &ConfigCondition) -> &'static str {
    match condition {
        ConfigCondition::Equals(_) => "equals",
        ConfigCondition::Contains(_) => "contains",
        ConfigCondition::Regexp(_) => "regexp",
        ConfigCondition::Range(_) => "range",
        ConfigCondition::Network(_) => "network",
        ConfigCondition::HasFields(_) => "has_fields",
        ConfigCondition::Or(_) => "or",
        ConfigCondition::And(_) => "and",
        ConfigCondition::Not(_) => "not",
    }
}

/// Opens the output the configuration names, or the one `target` forces.
pub fn open_output(
    config: &Config,
    target: Option<&OutputTarget>,
) -> anyhow::Result<Box<dyn Output>> {
    let configured_file = match &config.output {
        OutputConfig::File(file) => Some(file),
        _ => None,
    };
    let file_options = |path: PathBuf| {
        let mut options = FileOutputOptions::new(path);
        if let Some(file) = configured_file {
            options.filename = file.filename.clone();
            options.rotate_every_kb = file.rotate_every_kb;
            options.number_of_files = file.number_of_files;
            options.permissions = file.permissions;
            options.rotate_on_startup = file.rotate_on_startup;
            options.codec = codec(file.codec);
        }
        options
    };
    match (target, &config.output) {
        (Some(OutputTarget::Stdout), output) => {
            let codec = match output {
                OutputConfig::Console(console) => codec(console.codec),
                _ => JsonCodec::default(),
            };
            Ok(Box::new(ConsoleOutput::stdout(codec)))
        }
        (Some(OutputTarget::File(path)), _) => {
            let folder = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty());
            let mut options = file_options(folder.unwrap_or(Path::new(".")).to_owned());
            options.filename = path
                .file_name()
                .with_context(|| format!("output path {} has no file name", path.display()))
                .map_err(crate::exit::usage_error)?
                .to_string_lossy()
                .into_owned();
            open_file(options)
        }
        (None, OutputConfig::File(file)) => open_file(file_options(file.path.clone())),
        (None, OutputConfig::Console(console)) => {
            Ok(Box::new(ConsoleOutput::stdout(codec(console.codec))))
        }
        (None, OutputConfig::None) => bail!(config_error(anyhow::anyhow!(
            "no output is enabled; enable output.file or output.console, or pass -o"
        ))),
    }
}

fn open_file(options: FileOutputOptions) -> anyhow::Result<Box<dyn Output>> {
    let folder = options.path.clone();
    let output = FileOutput::open(options)
        .with_context(|| format!("failed to open the file output in {}", folder.display()))?;
    info!(path = %output.active_path().display(), "writing events");
    Ok(Box::new(output))
}

fn codec(config: dnstel_config::JsonCodecConfig) -> JsonCodec {
    JsonCodec {
        pretty: config.pretty,
        escape_html: config.escape_html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_agent_id_stable() {
        let first = fallback_agent_id("host-a");
        assert_eq!(first, fallback_agent_id("host-a"));
        assert_ne!(first, fallback_agent_id("host-b"));
        let parsed = uuid::Uuid::parse_str(&first).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 5);
    }
}
