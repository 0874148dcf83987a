//! The `dnstel analyze` subcommand.

use clap::Args;

/// Options of `dnstel analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {}

/// Runs `dnstel analyze`.
pub fn run(_args: AnalyzeArgs) -> anyhow::Result<()> {
    anyhow::bail!("dnstel analyze is not built yet")
}
