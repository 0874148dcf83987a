//! Plain option types produced by loading a packetbeat.yml. They carry no behaviour, so the
//! crates that implement each option map them onto their own types.

use std::path::PathBuf;
use std::time::Duration;

/// A value of `fields` or of an `equals` condition, typed as YAML 1.1 types it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// `~`, `null` or an empty value.
    Null,
    /// `true`, `false`, `yes`, `no`, `on`, `off`.
    Bool(bool),
    /// An integer, including YAML 1.1 octal such as `0600`.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// Any other scalar, and every quoted scalar.
    String(String),
    /// A YAML list.
    List(Vec<FieldValue>),
    /// A YAML map in file order, dotted keys already split into nested maps.
    Map(Vec<(String, FieldValue)>),
}

/// `packetbeat.interfaces`: the capture device and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Device name, or `any` for every interface. Default `any`.
    pub device: String,
    /// Capture method. Default `pcap`.
    pub capture_type: CaptureType,
    /// Bytes captured per packet. Default 65535.
    pub snaplen: u32,
    /// Kernel ring size in MiB for `af_packet`. Default 24 (Packetbeat's code default).
    pub buffer_size_mb: u32,
    /// A BPF filter replacing the generated one.
    pub bpf_filter: Option<String>,
    /// Named networks (`private`, `loopback`, ...) and CIDRs that count as internal for
    /// `network.direction`. Default empty.
    pub internal_networks: Vec<String>,
}

/// `packetbeat.interfaces.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureType {
    /// `pcap`, also chosen by an empty value or `autodetect`.
    Pcap,
    /// `af_packet`.
    AfPacket,
}

/// One `type: dns` entry of `packetbeat.protocols`.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsProtocolConfig {
    /// Default true.
    pub enabled: bool,
    /// UDP and TCP ports decoded as DNS. Packetbeat's code default is empty (nothing decoded).
    pub ports: Vec<u16>,
    /// Add `dns.authorities`. Default false.
    pub include_authorities: bool,
    /// Add `dns.additionals`. Default false.
    pub include_additionals: bool,
    /// Add the request text as `request`. Default false.
    pub send_request: bool,
    /// Add the response text as `response`. Default false.
    pub send_response: bool,
    /// Time to wait for a response, also the TCP stream idle timeout. Default 10 s.
    pub transaction_timeout: Duration,
    /// Tags, fields and processors applied to DNS events only.
    pub general: GeneralConfig,
    /// Processors applied to DNS events only, before the global ones.
    pub processors: Vec<ProcessorConfig>,
}

/// Event metadata options: global (`name`, `tags`, `fields`, `fields_under_root`) or per protocol.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeneralConfig {
    /// `name`: sets `agent.name` and `host.name`. Global only.
    pub name: Option<String>,
    /// `tags`: appended to the event's `tags`.
    pub tags: Vec<String>,
    /// `fields`: added under `fields`, or at the top level with `fields_under_root`.
    pub fields: Vec<(String, FieldValue)>,
    /// Default false.
    pub fields_under_root: bool,
}

/// One entry of a `processors` list.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcessorConfig {
    /// `add_host_metadata`.
    AddHostMetadata(AddHostMetadataConfig),
    /// `add_cloud_metadata`.
    AddCloudMetadata(AddCloudMetadataConfig),
    /// `add_docker_metadata`.
    AddDockerMetadata(AddDockerMetadataConfig),
    /// `drop_fields`.
    DropFields(DropFieldsConfig),
    /// `if` / `then` / `else`: runs `then` when the condition holds, else `otherwise`.
    IfThenElse {
        /// The `if` condition.
        condition: Condition,
        /// The `then` list.
        then: Vec<ProcessorConfig>,
        /// The `else` list, empty when absent.
        otherwise: Vec<ProcessorConfig>,
    },
}

/// `add_host_metadata` options with Beats 7.17 defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AddHostMetadataConfig {
    /// `netinfo.enabled`: add `host.ip` and `host.mac`. Default true.
    pub netinfo_enabled: bool,
    /// `cache.ttl`: how long collected host data is reused. Default 5 minutes.
    pub cache_ttl: Duration,
    /// `replace_fields`: overwrite an existing `host` object. Default true.
    pub replace_fields: bool,
    /// `name`: value for `host.name`.
    pub name: Option<String>,
    /// `when`: apply only to matching events.
    pub when: Option<Condition>,
}

/// `add_cloud_metadata` options with Beats 7.17 defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCloudMetadataConfig {
    /// `timeout` of the metadata requests. Default 3 s.
    pub timeout: Duration,
    /// `providers` to probe; empty means all.
    pub providers: Vec<String>,
    /// `overwrite` an existing `cloud` object. Default false.
    pub overwrite: bool,
    /// `when`: apply only to matching events.
    pub when: Option<Condition>,
}

/// `add_docker_metadata` options with Beats 7.17 defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AddDockerMetadataConfig {
    /// `host`: Docker endpoint. Default `unix:///var/run/docker.sock`.
    pub host: String,
    /// `match_fields`: fields holding a container ID.
    pub match_fields: Vec<String>,
    /// `match_pids`: fields holding a process ID. Default `process.pid`, `process.ppid`.
    pub match_pids: Vec<String>,
    /// `match_source`: match the `log.file.path` container ID. Default true.
    pub match_source: bool,
    /// `when`: apply only to matching events.
    pub when: Option<Condition>,
}

/// `drop_fields` options.
#[derive(Debug, Clone, PartialEq)]
pub struct DropFieldsConfig {
    /// `fields` to remove (required). A name removes the whole object below it.
    pub fields: Vec<String>,
    /// `ignore_missing`: no error for absent fields. Default false.
    pub ignore_missing: bool,
    /// `when`: apply only to matching events.
    pub when: Option<Condition>,
}

/// A Beats processor condition. Field names are dotted paths such as `dns.question.name`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `equals`: every field equals the value.
    Equals(Vec<(String, FieldValue)>),
    /// `contains`: every field contains the substring (for lists: any element does).
    Contains(Vec<(String, String)>),
    /// `regexp`: every field matches the regular expression.
    Regexp(Vec<(String, String)>),
    /// `range`: every field is within the bounds.
    Range(Vec<(String, RangeBounds)>),
    /// `network`: every field is an IP in one of the named networks or CIDRs.
    Network(Vec<(String, Vec<String>)>),
    /// `has_fields`: every field exists.
    HasFields(Vec<String>),
    /// `or`: any sub-condition holds.
    Or(Vec<Condition>),
    /// `and`: every sub-condition holds.
    And(Vec<Condition>),
    /// `not`: the sub-condition does not hold.
    Not(Box<Condition>),
}

/// Bounds of one `range` field.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RangeBounds {
    /// `gte`.
    pub gte: Option<f64>,
    /// `gt`.
    pub gt: Option<f64>,
    /// `lte`.
    pub lte: Option<f64>,
    /// `lt`.
    pub lt: Option<f64>,
}

/// The enabled output. Packetbeat allows one output at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputConfig {
    /// `output.file`.
    File(FileOutputConfig),
    /// `output.console`.
    Console(ConsoleOutputConfig),
    /// No implemented output is enabled (another output may be configured; see `not_applied`).
    None,
}

/// `output.file` options with Beats 7.17 defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutputConfig {
    /// `path`: the directory of the files (required).
    pub path: PathBuf,
    /// `filename`: the active file's name. Default `packetbeat`.
    pub filename: String,
    /// `rotate_every_kb`: rotation size in KiB, at least 1. Default 10240.
    pub rotate_every_kb: u64,
    /// `number_of_files`: backups kept besides the active file, 2 to 1024. Default 7.
    pub number_of_files: u32,
    /// `permissions` of created files, at most 0o777. Default 0o600.
    pub permissions: u32,
    /// `rotate_on_startup`. Default true.
    pub rotate_on_startup: bool,
    /// `codec.json`.
    pub codec: JsonCodecConfig,
}

/// `output.console` options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleOutputConfig {
    /// `codec.json`.
    pub codec: JsonCodecConfig,
}

/// `codec.json` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonCodecConfig {
    /// `pretty`. Default false.
    pub pretty: bool,
    /// `escape_html`. Default false.
    pub escape_html: bool,
}

/// `path.*` directories. Absent options stay `None` so the caller applies Beats' layout
/// (`data`, `logs` below `home`, `home` = the binary's directory).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathConfig {
    /// `path.home`.
    pub home: Option<PathBuf>,
    /// `path.config`.
    pub config: Option<PathBuf>,
    /// `path.data`: the directory of `meta.json`, which stores the agent ID.
    pub data: Option<PathBuf>,
    /// `path.logs`.
    pub logs: Option<PathBuf>,
}

/// `logging.*` options dnstel applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingConfig {
    /// `logging.level`. Default `info`.
    pub level: LogLevel,
    /// `logging.to_stderr`. Default false (Beats logs to files unless run with `-e`).
    pub to_stderr: bool,
    /// `logging.to_files`. Default true.
    pub to_files: bool,
    /// `logging.to_syslog`. Default false.
    pub to_syslog: bool,
    /// `logging.selectors`: components logged at debug level; `*` means all.
    pub selectors: Vec<String>,
}

/// `logging.level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `warning`.
    Warning,
    /// `error`.
    Error,
    /// `critical`.
    Critical,
}
