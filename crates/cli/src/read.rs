//! The `dnstel read` subcommand: capture files in, Packetbeat events out.

mod progress;
mod summary;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use dnstel_event::EventBuilder;
use dnstel_pcap::MultiReader;
use dnstel_sensor::{Sensor, SensorOptions};
use tracing::warn;

use crate::exit::config_error;
use crate::logging;
use crate::sensor::setup::{self, OutputTarget};
use crate::sensor::{FramePipeline, Pipeline, ShardedPipeline};
use progress::Progress;

/// Options of `dnstel read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// pcap or pcapng files, read in order as one stream; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// A packetbeat.yml; events go to its configured output. Without it, the built-in
    /// defaults apply and events go to standard output.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Where events go: `-` for standard output, or a file rotated with the configured
    /// `output.file` settings.
    #[arg(short = 'o', long = "output", value_name = "FILE|-")]
    output: Option<String>,

    /// Threads that pair and encode. 1 keeps everything on one thread. With N > 1, the main
    /// thread reads, decodes, reassembles fragments and writes, and N threads each pair and
    /// encode the flows of one shard. The output is the same for every run with the same N,
    /// and contains the same events as with 1. Only the order of events that complete at the
    /// same packet in different shards, and evictions at the table caps (divided between
    /// shards), can differ.
    #[arg(long, value_name = "N", default_value = "1", value_parser = crate::ops::args::parse_workers)]
    workers: NonZeroUsize,
}

/// The path that `-` stands for: standard input, read as a file or pipe like any other.
const STANDARD_INPUT: &str = "/dev/stdin";

/// Runs `dnstel read`.
pub fn run(mut args: ReadArgs) -> anyhow::Result<()> {
    for file in &mut args.files {
        if file.as_os_str() == "-" {
            *file = PathBuf::from(STANDARD_INPUT);
        }
    }
    let config = setup::load_config(args.config.as_deref())?;
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);

    let target = match (&args.output, &args.config) {
        (Some(argument), _) => Some(OutputTarget::parse(argument)),
        (None, None) => Some(OutputTarget::Stdout),
        (None, Some(_)) => None,
    };
    let sensor_options = setup::sensor_options(&config)?;
    let mut agent = setup::agent_identity(&setup::data_dir(&config));
    agent.ephemeral_id = reproducible_ephemeral_id(&agent.id, &args.files);
    let local_ips = dnstel_event::host::local_ips();
    let options = setup::event_options(&config, agent, local_ips)?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;
    let output = setup::open_output(&config, target.as_ref())?;

    // Check every input up front, so a typo in the last name fails before any output. A named
    // pipe can be read only once, so it is left to the reader below.
    for file in &args.files {
        let is_pipe = std::fs::metadata(file)
            .is_ok_and(|metadata| std::os::unix::fs::FileTypeExt::is_fifo(&metadata.file_type()));
        if !is_pipe {
            dnstel_pcap::open(file).context("cannot read a capture file")?;
        }
    }
    let started = Instant::now();
    let mut pipeline = build_pipeline(&sensor_options, args.workers.get(), builder, output)?;
    let mut progress = Progress::new(&args.files);
    let mut reader = MultiReader::new(args.files.iter().cloned());
    let mut read_errors = 0u64;
    // An output error ends the reading, but the counters and the summary are still printed,
    // so a full disk shows how far the run got.
    let mut outcome = Ok(());
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                if let Err(error) = pipeline.process_frame(&frame) {
                    outcome = Err(error);
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                read_errors += 1;
                if error.error.is_recoverable() {
                    warn!(%error, "capture file damaged; skipping the damaged record");
                } else {
                    warn!(%error, "capture file damaged; skipping the rest of the file");
                }
            }
        }
        let offset = reader.current_reader().map_or(0, |file| file.offset());
        progress.frame(reader.current_path(), offset);
    }
    if outcome.is_ok() {
        outcome = pipeline.finish();
    }
    progress.finish();
    let counters = pipeline.counters();
    counters.log_summary();
    if read_errors > 0 {
        warn!(read_errors, "some capture records could not be read");
    }
    let over_snap_length = reader.stats().records_over_snap_length;
    if over_snap_length > 0 {
        warn!(
            over_snap_length,
            "some capture records are longer than their file's snapshot length; read them anyway"
        );
    }
    let read_counts = summary::ReadCounts {
        read_errors,
        over_snap_length,
    };
    eprint!(
        "{}",
        summary::render(&counters, read_counts, started.elapsed())
    );
    outcome
}

/// Builds the single-threaded pipeline for one worker, the sharded one for more.
fn build_pipeline(
    options: &SensorOptions,
    workers: usize,
    builder: EventBuilder,
    output: Box<dyn dnstel_output::Output>,
) -> anyhow::Result<Box<dyn FramePipeline>> {
    if workers > 1 {
        let pipeline = ShardedPipeline::start(options, workers, &builder, output)?;
        return Ok(Box::new(pipeline));
    }
    let sensor = Sensor::new(options.clone()).map_err(config_error)?;
    Ok(Box::new(Pipeline::new(sensor, builder, output)))
}

/// Derives `agent.ephemeral_id` from the agent ID and the input file names, so reading the same
/// files again writes the same lines. Live capture draws a random one per process instead.
fn reproducible_ephemeral_id(agent_id: &str, files: &[PathBuf]) -> String {
    let mut name = agent_id.as_bytes().to_vec();
    for file in files {
        name.push(0);
        name.extend_from_slice(file.as_os_str().as_encoded_bytes());
    }
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &name).to_string()
}
