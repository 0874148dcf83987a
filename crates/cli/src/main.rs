//! The `dnstel` command: DNS capture into Packetbeat-compatible events, and Wazuh-compatible
//! rule analysis of those events.

mod analyze;
mod analyzer_setup;
mod capture;
mod exit;
mod labels;
mod logging;
mod logtest;
mod ops;
mod read;
mod run;
mod sensor;

use clap::{Parser, Subcommand};

/// Allocator of the whole process. mimalloc replaces the system allocator because analysis
/// allocates many short strings per event.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// DNS telemetry and detection for Linux.
#[derive(Debug, Parser)]
#[command(name = "dnstel", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reads pcap or pcapng files and writes one Packetbeat DNS event per transaction.
    Read(read::ReadArgs),
    /// Sniffs DNS on a live interface and writes Packetbeat DNS events.
    Capture(capture::CaptureArgs),
    /// Evaluates Wazuh rules over JSON events read from standard input.
    Logtest(Box<logtest::LogtestArgs>),
    /// Follows event files and writes Wazuh-style alerts.
    Analyze(analyze::AnalyzeArgs),
    /// Captures DNS and raises alerts in one process.
    Run(run::RunArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let (result, writes_standard_output) = match cli.command {
        Command::Read(args) => (read::run(args), true),
        Command::Capture(args) => (capture::run(args), true),
        Command::Logtest(args) => (logtest::run(*args), true),
        Command::Analyze(args) => (analyze::run(args), false),
        Command::Run(args) => (run::run(args), false),
    };
    exit::report(result, writes_standard_output)
}
