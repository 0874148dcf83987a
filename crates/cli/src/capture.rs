//! The `dnstel capture` subcommand.

use clap::Args;

/// Options of `dnstel capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {}

/// Runs `dnstel capture`.
pub fn run(_args: CaptureArgs) -> anyhow::Result<()> {
    anyhow::bail!("dnstel capture is not built yet")
}
