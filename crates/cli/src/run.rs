//! The `dnstel run` subcommand.

use clap::Args;

/// Options of `dnstel run`.
#[derive(Debug, Args)]
pub struct RunArgs {}

/// Runs `dnstel run`.
pub fn run(_args: RunArgs) -> anyhow::Result<()> {
    anyhow::bail!("dnstel run is not built yet")
}
