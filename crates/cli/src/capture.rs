//! The `dnstel capture` subcommand: live DNS capture into Packetbeat events.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use dnstel_capture::{CaptureConfig, LiveCapture};
use dnstel_config::Config;
use dnstel_event::EventBuilder;
use dnstel_packet::Timestamp;
use dnstel_sensor::Sensor;
use tracing::{info, warn};

use crate::exit::config_error;
use crate::logging;
use crate::ops::args::{self, ObservabilityArgs};
use crate::ops::metrics::{Registry, SensorCounters};
use crate::ops::privileges::drop_privileges;
use crate::ops::reopen::{reopenable, OutputHandle};
use crate::ops::signals::SignalFlags;
use crate::ops::stats::{self, Every, PUBLISH_INTERVAL};
use crate::sensor::setup::{self, OutputTarget};
use crate::sensor::Pipeline;

/// How long one wait for a packet lasts before timers and the stop flag are checked.
const POLL_TIMEOUT: Duration = Duration::from_millis(200);
/// How often buffered events are flushed to the output while traffic flows.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Maximum time spent at stop on frames already in the capture ring.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// The maximum number of frames counted, not processed, in the ring after [`DRAIN_LIMIT`].
const MAX_FRAMES_COUNTED_AT_STOP: u64 = 10_000_000;
/// How often the kernel drop counter is read and logged when it changed.
const DROP_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Options of `dnstel capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// A packetbeat.yml. Without it the built-in defaults apply: device `any`, port 53, events
    /// to /var/log/packetbeat.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// The interface to sniff, overriding `packetbeat.interfaces.device` (`any` for all).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,

    /// Where events go: `-` for standard output, or a file rotated with the configured
    /// `output.file` settings.
    #[arg(short = 'o', long = "output", value_name = "FILE|-")]
    output: Option<String>,

    /// After the capture socket and the output are open, switch to this user (and its
    /// primary group). The output folder must be writable by it for rotation. Without it, a
    /// root process keeps uid 0 but drops every capability.
    #[arg(long = "user", value_name = "USER")]
    user: Option<String>,

    #[command(flatten)]
    observability: ObservabilityArgs,
}

/// Runs `dnstel capture`.
pub fn run(args: CaptureArgs) -> anyhow::Result<()> {
    let config = setup::load_config(args.config.as_deref())?;
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);
    // Installed first, so a stop requested during startup ends the run cleanly at its start.
    let signals = SignalFlags::install()?;

    let target = args.output.as_deref().map(OutputTarget::parse);
    let sensor = Sensor::new(setup::sensor_options(&config)?).map_err(config_error)?;
    let agent = setup::agent_identity(&setup::data_dir(&config));
    let options = setup::event_options(&config, agent, dnstel_event::host::local_ips())?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;

    // The metrics address is checked first, so a usage error does not wait for the capture.
    let metrics = args.observability.bind_metrics()?;
    let mut capture = open_capture(&config, args.interface.as_deref())?;
    let (output, output_handle) = reopenable(setup::open_output(&config, target.as_ref())?);
    drop_privileges(args.user.as_deref())?;

    let registry = Registry::shared();
    args::start_metrics(metrics, &registry)?;
    let mut pipeline = Pipeline::new(sensor, builder, output);
    let loop_ops = LoopOps {
        signals: &signals,
        registry: &registry,
        output: &output_handle,
        stats_interval: args.observability.stats_interval(),
        reload_targets: Vec::new(),
    };
    let captured = capture_loop(&mut capture, &mut pipeline, &loop_ops);
    let finished = pipeline.finish();
    pipeline.log_summary();
    log_capture_stats(&capture);
    publish_sensor(&registry, &pipeline, &capture, &output_handle);
    stats::log_stats(&registry.snapshot(), "summary");
    captured?;
    finished
}

/// Signal flags, counters and timers of the capture loop.
pub struct LoopOps<'a> {
    /// Stop and reload requests.
    pub signals: &'a SignalFlags,
    /// Registry that receives the capture-side counters.
    pub registry: &'a Registry,
    /// The event output's reopen flag and counters.
    pub output: &'a OutputHandle,
    /// Interval of the stats line; zero turns it off.
    pub stats_interval: Duration,
    /// Flags set on SIGHUP besides the event output's reopen flag.
    pub reload_targets: Vec<Arc<AtomicBool>>,
}

/// Publishes the capture-side counters into the registry.
pub fn publish_sensor(
    registry: &Registry,
    pipeline: &Pipeline,
    capture: &LiveCapture,
    output: &OutputHandle,
) {
    registry.publish_sensor(SensorCounters::collect(
        pipeline,
        &capture.stats(),
        &output.stats(),
    ));
}

/// Opens the live capture that `packetbeat.interfaces` (or `interface`) names.
pub fn open_capture(config: &Config, interface: Option<&str>) -> anyhow::Result<LiveCapture> {
    let capture_config = capture_config(config, interface)?;
    let capture = LiveCapture::open(&capture_config)
        .with_context(|| format!("failed to open live capture on {}", capture_config.device))?;
    info!(
        device = %capture_config.device,
        ports = ?capture_config.dns_ports,
        filter = capture_config.bpf_filter.as_deref().unwrap_or(""),
        "capture started"
    );
    Ok(capture)
}

/// Logs the capture's final counters.
pub fn log_capture_stats(capture: &LiveCapture) {
    let stats = capture.stats();
    info!(
        packets = stats.packets,
        kernel_drops = stats.drops,
        loopback_duplicates = stats.loopback_duplicates,
        malformed_ring_entries = stats.malformed_ring_entries,
        "capture stopped"
    );
}

/// Reads frames into the pipeline until a stop is requested, flushing, publishing counters,
/// logging the stats line and handling SIGHUP along the way.
pub fn capture_loop(
    capture: &mut LiveCapture,
    pipeline: &mut Pipeline,
    ops: &LoopOps<'_>,
) -> anyhow::Result<()> {
    let mut last_flush = Instant::now();
    let mut last_drop_check = Instant::now();
    let mut publish = Every::new(PUBLISH_INTERVAL);
    let mut stats_line = Every::new(ops.stats_interval);
    let mut reported_drops = 0;
    while !ops.signals.stop_requested() {
        if ops.signals.take_reload() {
            info!("SIGHUP received: reopening the event output");
            ops.output.reopen_flag().store(true, Ordering::Relaxed);
            for target in &ops.reload_targets {
                target.store(true, Ordering::Relaxed);
            }
            pipeline.flush()?;
        }
        match capture
            .next_frame(POLL_TIMEOUT)
            .context("live capture failed")?
        {
            Some(frame) => pipeline.process_frame(&frame)?,
            None => {
                pipeline.advance(wall_clock())?;
                pipeline.flush()?;
                last_flush = Instant::now();
            }
        }
        if last_flush.elapsed() >= FLUSH_INTERVAL {
            pipeline.flush()?;
            last_flush = Instant::now();
        }
        if last_drop_check.elapsed() >= DROP_CHECK_INTERVAL {
            let stats = capture.stats();
            if stats.drops > reported_drops {
                warn!(
                    kernel_drops = stats.drops,
                    new_drops = stats.drops - reported_drops,
                    "the kernel dropped packets because the capture ring was full"
                );
                reported_drops = stats.drops;
            }
            last_drop_check = Instant::now();
        }
        if publish.due() {
            publish_sensor(ops.registry, pipeline, capture, ops.output);
        }
        if stats_line.due() {
            stats::log_stats(&ops.registry.snapshot(), "stats");
        }
    }
    info!("stop requested, reading the frames already captured");
    let drained = drain(capture, pipeline)?;
    info!(frames = drained, "writing pending transactions");
    Ok(())
}

/// Processes the frames still in the capture ring at stop, for at most [`DRAIN_LIMIT`], and
/// returns how many there were. Frames still in the ring after that are counted and logged
/// as lost, never dropped silently.
fn drain(capture: &mut LiveCapture, pipeline: &mut Pipeline) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut frames = 0;
    while started.elapsed() < DRAIN_LIMIT {
        match capture
            .next_frame(Duration::ZERO)
            .context("live capture failed")?
        {
            Some(frame) => pipeline.process_frame(&frame)?,
            None => return Ok(frames),
        }
        frames += 1;
    }
    let mut left = 0u64;
    // New packets keep arriving while this counts, so the count is bounded.
    while left < MAX_FRAMES_COUNTED_AT_STOP {
        if capture
            .next_frame(Duration::ZERO)
            .context("live capture failed")?
            .is_none()
        {
            break;
        }
        left += 1;
    }
    warn!(
        frames_left = left,
        limit_seconds = DRAIN_LIMIT.as_secs(),
        "frames still in the capture ring at stop were not processed"
    );
    Ok(frames)
}

/// Builds the live capture settings from `packetbeat.interfaces` and the DNS ports.
pub fn capture_config(config: &Config, interface: Option<&str>) -> anyhow::Result<CaptureConfig> {
    let interfaces = &config.interfaces;
    let mut capture = CaptureConfig {
        device: interface.unwrap_or(&interfaces.device).to_owned(),
        dns_ports: config
            .dns
            .as_ref()
            .map(|dns| dns.ports.clone())
            .unwrap_or_default(),
        bpf_filter: interfaces.bpf_filter.clone(),
        ..CaptureConfig::default()
    };
    if interfaces.snaplen > 0 {
        capture.snaplen = interfaces.snaplen;
    }
    if interfaces.buffer_size_mb > 0 {
        capture = capture.with_buffer_size_mb(interfaces.buffer_size_mb);
    }
    capture.validate().map_err(config_error)?;
    Ok(capture)
}

pub fn wall_clock() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(since_epoch.as_secs() as i64, since_epoch.subsec_nanos())
}
