//! Loads Packetbeat 7.17 `packetbeat.yml` files into plain option types.
//!
//! [`Config::builtin`] is the stock packetbeat.yml; [`Config::load`] reads a user's file, which
//! replaces the built-in one as packetbeat.yml does (missing options take Packetbeat's code
//! defaults, not the stock file's). Dotted keys (`output.file.path: x`) and nested maps are
//! equivalent and may be mixed. `${NAME}` and `${NAME:default}` read environment variables.
//!
//! Packetbeat options that dnstel does not implement (other protocols, flows, setup, other
//! outputs, other processors, ...) are accepted and listed in [`Config::not_applied`]. Any other
//! key is an error naming the key, file and line, and so is a value of the wrong type.
//!
//! This crate does no logging; the caller reports `not_applied`.
//!
//! ```
//! use dnstel_config::{Config, OutputConfig};
//!
//! let text = "output.file.path: /var/log/dnstel\npacketbeat.flows.timeout: 30s\n";
//! let config = Config::from_yaml_with_env(text, "packetbeat.yml", &|_| None)?;
//! let OutputConfig::File(file) = &config.output else { unreachable!() };
//! assert_eq!(file.filename, "packetbeat");
//! assert_eq!(config.not_applied, ["packetbeat.flows.timeout"]);
//! # Ok::<(), dnstel_config::ConfigError>(())
//! ```

mod condition;
mod config;
mod env;
mod error;
mod general;
mod interfaces;
mod limits;
mod model;
mod output;
mod processors;
mod protocols;
mod reader;
mod scalar;
mod tree;
mod yaml;

pub use config::Config;
pub use error::ConfigError;
pub use limits::LimitsConfig;
pub use model::{
    AddCloudMetadataConfig, AddDockerMetadataConfig, AddHostMetadataConfig, CaptureType, Condition,
    ConsoleOutputConfig, DnsProtocolConfig, DropFieldsConfig, FieldValue, FileOutputConfig,
    GeneralConfig, InterfaceConfig, JsonCodecConfig, LogLevel, LoggingConfig, OutputConfig,
    PathConfig, ProcessorConfig, RangeBounds,
};
