//! Command-line options shared by the long-running commands.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::alert_rotation::{RotatingAlertWriter, RotationPolicy, DEFAULT_KEEP_DAYS};
use super::metrics::Registry;
use super::metrics_server::MetricsServer;
use super::stats::DEFAULT_STATS_INTERVAL_SECS;

/// Stats line and metrics endpoint options.
#[derive(Debug, Clone, Args)]
pub struct ObservabilityArgs {
    /// Seconds between two stats lines in the log; 0 turns the line off.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_STATS_INTERVAL_SECS)]
    pub stats_interval: u64,

    /// Serve Prometheus metrics at http://ADDR:PORT/metrics (off by default). Only loopback
    /// addresses are accepted unless --metrics-allow-remote is given.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<SocketAddr>,

    /// Accept a non-loopback --metrics-listen address. The endpoint has no authentication.
    #[arg(long, requires = "metrics_listen")]
    pub metrics_allow_remote: bool,
}

impl ObservabilityArgs {
    /// Returns the stats line interval.
    pub fn stats_interval(&self) -> Duration {
        Duration::from_secs(self.stats_interval)
    }

    /// Binds the metrics listener when one is requested. Call before dropping privileges and
    /// start it with [`start_metrics`] after.
    pub fn bind_metrics(&self) -> anyhow::Result<Option<MetricsServer>> {
        self.metrics_listen
            .map(|address| MetricsServer::bind(address, self.metrics_allow_remote))
            .transpose()
    }
}

/// Starts the metrics thread of a bound listener, if any.
pub fn start_metrics(
    server: Option<MetricsServer>,
    registry: &Arc<Registry>,
) -> anyhow::Result<()> {
    match server {
        Some(server) => server.spawn(Arc::clone(registry)),
        None => Ok(()),
    }
}

/// Alert file rotation options.
#[derive(Debug, Clone, Args)]
pub struct AlertRotationArgs {
    /// Also rotate alerts.json and alerts.log when either reaches this size, in MiB (off by
    /// default; they always rotate daily).
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub alerts_max_size: Option<u64>,

    /// Days of rotated alert files kept under DIR/logs/alerts; 0 keeps them forever.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_KEEP_DAYS)]
    pub alerts_keep_days: u32,

    /// Keep rotated alert files uncompressed. By default they are compressed with gzip
    /// (ossec-alerts-DD.json.gz), as Wazuh compresses them.
    #[arg(long)]
    pub alerts_no_compress: bool,
}

impl AlertRotationArgs {
    /// Returns the rotation policy these options select.
    pub fn policy(&self) -> RotationPolicy {
        RotationPolicy {
            max_size: self
                .alerts_max_size
                .map(|mebibytes| mebibytes.saturating_mul(1024 * 1024)),
            keep_days: self.alerts_keep_days,
            compress: !self.alerts_no_compress,
        }
    }

    /// Opens the alert files in `directory` with this policy.
    pub fn open_writer(&self, directory: &Path) -> anyhow::Result<RotatingAlertWriter> {
        use anyhow::Context;
        let writer = RotatingAlertWriter::open(directory, self.policy())
            .with_context(|| format!("cannot open the alert files in {}", directory.display()))?;
        tracing::info!(
            alerts_json = %directory.join("alerts.json").display(),
            alerts_log = %directory.join("alerts.log").display(),
            "writing alerts"
        );
        Ok(writer)
    }
}

/// Largest `--workers` value: the kernel's limit of sockets in one AF_PACKET fanout group,
/// applied to `read` as well, where more threads than that only cost memory.
pub const MAX_WORKERS: usize = 256;

/// Parses a `--workers` value between 1 and [`MAX_WORKERS`].
pub fn parse_workers(text: &str) -> Result<std::num::NonZeroUsize, String> {
    let workers: usize = text
        .parse()
        .map_err(|_| format!("invalid number of workers {text:?}"))?;
    match std::num::NonZeroUsize::new(workers) {
        Some(workers) if workers.get() <= MAX_WORKERS => Ok(workers),
        _ => Err(format!(
            "{workers} workers is out of range; use 1 to {MAX_WORKERS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_range_enforced() {
        assert_eq!(parse_workers("1").map(|n| n.get()), Ok(1));
        assert_eq!(parse_workers("256").map(|n| n.get()), Ok(MAX_WORKERS));
        assert!(parse_workers("0").is_err());
        assert!(parse_workers("257").is_err());
        assert!(parse_workers("many").is_err());
    }
}
