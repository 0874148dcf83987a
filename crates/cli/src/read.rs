//! The `dnstel read` subcommand.

use clap::Args;

/// Options of `dnstel read`.
#[derive(Debug, Args)]
pub struct ReadArgs {}

/// Runs `dnstel read`.
pub fn run(_args: ReadArgs) -> anyhow::Result<()> {
    anyhow::bail!("dnstel read is not built yet")
}
