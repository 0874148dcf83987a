//! Wazuh-compatible analysis of JSON events: the JSON decoder, rule evaluation with
//! correlation, and alert output in Wazuh's `alerts.json` and `alerts.log` formats.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod alert;
mod alert_json;
pub mod alerts_log;
mod compact_decoder;
pub mod correlation;
pub mod data;
mod data_members;
pub mod decoding;
pub mod description;
pub mod engine;
pub mod event;
pub use dnstel_cjson as json;
pub mod json_decoder;
pub mod matching;
pub mod mitre;
pub mod predecode;
mod reconcile;
mod shapes;
pub mod tree;
pub mod writer;

pub use alert::{AgentInfo, Alert, AlertRule};
pub use engine::{AnalysisConfig, Analyzer, EventSource, Outcome, Session};
pub use event::{Event, EventBuffers, StaticField};
pub use mitre::MitreTable;
pub use writer::AlertWriter;
pub mod fuzzing;
pub mod loading;
pub mod testini;
mod timestamps;
