//! Operation of the long-running commands: signals, privileges, counters, the stats line, the
//! Prometheus endpoint, alert file rotation and the data folder lock.

pub mod alert_rotation;
pub mod args;
pub mod data_lock;
pub mod metrics;
pub mod metrics_server;
pub mod privileges;
pub mod reopen;
pub mod rule_stage;
pub mod signals;
pub mod stats;
