//! The `dnstel logtest` subcommand.

use clap::Args;

/// Options of `dnstel logtest`.
#[derive(Debug, Args)]
pub struct LogtestArgs {}

/// Runs `dnstel logtest`.
pub fn run(_args: LogtestArgs) -> anyhow::Result<()> {
    anyhow::bail!("dnstel logtest is not built yet")
}
