//! The loaded configuration and the loader that walks the top-level sections.

use std::path::Path;

use crate::reader::{Context, Section};
use crate::tree::TreeBuilder;
use crate::{
    general, interfaces, limits, output, processors, protocols, yaml, ConfigError,
    DnsProtocolConfig, GeneralConfig, InterfaceConfig, LimitsConfig, LogLevel, LoggingConfig,
    OutputConfig, PathConfig, ProcessorConfig,
};

/// The built-in configuration: the effective settings of Packetbeat 7.17's stock
/// packetbeat.yml with file output to `/var/log/packetbeat`.
const BUILTIN_YAML: &str = include_str!("builtin.yml");

/// Name used for the built-in configuration in error messages.
const BUILTIN_NAME: &str = "builtin packetbeat.yml";
/// Largest configuration file read, in bytes. Packetbeat configurations are a few kilobytes, so
/// anything near this size is a mistake, and the limit keeps it from being read into memory.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Top-level keys of Packetbeat 7.17 that dnstel does not implement.
const UNIMPLEMENTED_TOP: [&str; 13] = [
    "setup",
    "cloud",
    "monitoring",
    "xpack",
    "instrumentation",
    "migration",
    "queue",
    "max_procs",
    "http",
    "seccomp",
    "keystore",
    "timestamp",
    "features",
];

/// `packetbeat.*` keys that dnstel does not implement.
const UNIMPLEMENTED_PACKETBEAT: [&str; 5] = [
    "flows",
    "procs",
    "shutdown_timeout",
    "overwrite_pipelines",
    "npcap",
];

/// `logging.*` keys that dnstel does not implement.
const UNIMPLEMENTED_LOGGING: [&str; 6] = [
    "files",
    "metrics",
    "json",
    "ecs",
    "to_eventlog",
    "event_data",
];

/// A Packetbeat 7.17 configuration as dnstel applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `packetbeat.interfaces`.
    pub interfaces: InterfaceConfig,
    /// `packetbeat.ignore_outgoing`: drop events whose direction is `egress`. Default false.
    pub ignore_outgoing: bool,
    /// The `type: dns` entry of `packetbeat.protocols`; `None` when there is none.
    pub dns: Option<DnsProtocolConfig>,
    /// `name`, `tags`, `fields`, `fields_under_root`.
    pub general: GeneralConfig,
    /// Global `processors`, in order, without the ones listed in `not_applied`.
    pub processors: Vec<ProcessorConfig>,
    /// The enabled output.
    pub output: OutputConfig,
    /// `path.*`.
    pub paths: PathConfig,
    /// `logging.*`.
    pub logging: LoggingConfig,
    /// `dnstel.limits.*`: caps on the tables traffic can grow (dnstel's own keys).
    pub limits: LimitsConfig,
    /// Dotted paths of Packetbeat options present in the file that dnstel does not implement,
    /// in file order. The caller logs them once at startup. Entries of `packetbeat.protocols`
    /// read `packetbeat.protocols.<index> (type: <name>)`.
    pub not_applied: Vec<String>,
}

impl Config {
    /// Returns the built-in configuration, equal to loading Packetbeat's stock packetbeat.yml.
    pub fn builtin() -> Config {
        Config::from_yaml_with_env(BUILTIN_YAML, BUILTIN_NAME, &|_| None)
            .expect("the built-in configuration is valid, as its unit test checks")
    }

    /// Loads a packetbeat.yml file. `${NAME}` references read the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_text(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        let lookup = |name: &str| std::env::var(name).ok();
        Config::from_yaml_with_env(&text, &path.display().to_string(), &lookup)
    }

    /// Loads configuration text. `file` names the source in error messages.
    pub fn from_yaml(text: &str, file: &str) -> Result<Config, ConfigError> {
        let lookup = |name: &str| std::env::var(name).ok();
        Config::from_yaml_with_env(text, file, &lookup)
    }

    /// Loads configuration text, resolving `${NAME}` references with `lookup`.
    pub fn from_yaml_with_env(
        text: &str,
        file: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        // YAML permits a byte order mark at the start of the stream; the parser keeps it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let root = yaml::parse(text, file)?;
        let tree = TreeBuilder::new(file, lookup).build(root)?;
        let mut cx = Context {
            file,
            not_applied: Vec::new(),
        };
        let mut top = Section::new(&tree, "", &cx)?;
        let config = read_top(&mut top, &mut cx)?;
        top.finish(&UNIMPLEMENTED_TOP, &mut cx)?;
        Ok(Config {
            not_applied: cx.not_applied,
            ..config
        })
    }
}

fn read_top(top: &mut Section<'_>, cx: &mut Context) -> Result<Config, ConfigError> {
    let mut packetbeat = top.section("packetbeat", cx)?;
    if let Some(value) = packetbeat.take_raw("interfaces") {
        if matches!(value.kind, crate::tree::ValueKind::Seq(_)) {
            let expected = "a map for one interface (lists of interfaces are Packetbeat 8.x)";
            return Err(cx.invalid("packetbeat.interfaces", value, expected));
        }
    }
    let interfaces = interfaces::read(packetbeat.section("interfaces", cx)?, cx)?;
    let dns = match packetbeat.take_raw("protocols") {
        Some(value) => protocols::read(value, &packetbeat.key_path("protocols"), cx)?,
        None => None,
    };
    let ignore_outgoing = packetbeat.bool("ignore_outgoing", cx)?.unwrap_or(false);
    packetbeat.finish(&UNIMPLEMENTED_PACKETBEAT, cx)?;

    let general = general::read(top, true, cx)?;
    let processors = match top.take_raw("processors") {
        Some(value) => processors::read_list(value, "processors", cx)?,
        None => Vec::new(),
    };
    let output = output::read(top.section("output", cx)?, cx)?;
    let paths = read_paths(top.section("path", cx)?, cx)?;
    let logging = read_logging(top.section("logging", cx)?, cx)?;
    let limits = limits::read(top.section("dnstel", cx)?, cx)?;
    Ok(Config {
        interfaces,
        ignore_outgoing,
        dns,
        general,
        processors,
        output,
        paths,
        logging,
        limits,
        not_applied: Vec::new(),
    })
}

fn read_paths(mut section: Section<'_>, cx: &mut Context) -> Result<PathConfig, ConfigError> {
    let config = PathConfig {
        home: section.path_buf("home", cx)?,
        config: section.path_buf("config", cx)?,
        data: section.path_buf("data", cx)?,
        logs: section.path_buf("logs", cx)?,
    };
    section.finish(&[], cx)?;
    Ok(config)
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: LogLevel::Info,
            to_stderr: false,
            to_files: true,
            to_syslog: false,
            selectors: Vec::new(),
        }
    }
}

fn read_logging(mut section: Section<'_>, cx: &mut Context) -> Result<LoggingConfig, ConfigError> {
    let defaults = LoggingConfig::default();
    let level = match section.take("level") {
        None => defaults.level,
        Some(value) => match crate::reader::describe(value).as_str() {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warning" => LogLevel::Warning,
            "error" => LogLevel::Error,
            "critical" => LogLevel::Critical,
            _ => {
                let expected = "debug, info, warning, error or critical";
                return Err(cx.invalid(&section.key_path("level"), value, expected));
            }
        },
    };
    let config = LoggingConfig {
        level,
        to_stderr: section.bool("to_stderr", cx)?.unwrap_or(defaults.to_stderr),
        to_files: section.bool("to_files", cx)?.unwrap_or(defaults.to_files),
        to_syslog: section.bool("to_syslog", cx)?.unwrap_or(defaults.to_syslog),
        selectors: section.strings("selectors", cx)?.unwrap_or_default(),
    };
    section.finish(&UNIMPLEMENTED_LOGGING, cx)?;
    Ok(config)
}

/// Reads a configuration file of at most [`MAX_CONFIG_BYTES`] as UTF-8, naming the line of
/// the first invalid byte.
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};

    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("file is larger than the maximum of {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "invalid UTF-8 on line {line} at byte offset {}",
                valid.len()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads() {
        let result = Config::from_yaml_with_env(BUILTIN_YAML, BUILTIN_NAME, &|_| None);
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn empty_file_gives_code_defaults() {
        let config = Config::from_yaml_with_env("", "empty.yml", &|_| None).expect("valid");
        assert_eq!(config.interfaces, InterfaceConfig::default());
        assert_eq!(config.dns, None);
        assert_eq!(config.output, OutputConfig::None);
        assert_eq!(config.logging, LoggingConfig::default());
        assert!(config.not_applied.is_empty());
    }

    /// A file path in the temporary folder that no other test process uses.
    fn scratch_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("dnstel-config-{}-{name}", std::process::id()))
    }

    #[test]
    fn load_rejects_oversized_file() {
        let path = scratch_path("oversized.yml");
        let mut text = String::from("packetbeat.interfaces.device: any\n");
        text.push_str(&"#".repeat(MAX_CONFIG_BYTES as usize));
        std::fs::write(&path, text).expect("write config");
        let error = Config::load(&path).expect_err("oversized file rejected");
        let _ = std::fs::remove_file(&path);
        assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
        assert!(
            error.to_string().contains("larger than the maximum"),
            "{error}"
        );
    }

    #[test]
    fn load_names_invalid_utf8_line() {
        let path = scratch_path("invalid-utf8.yml");
        std::fs::write(
            &path,
            b"logging.level: info\npacketbeat.interfaces.device: \xff\n",
        )
        .expect("write config");
        let error = Config::load(&path).expect_err("invalid UTF-8 rejected");
        let _ = std::fs::remove_file(&path);
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
