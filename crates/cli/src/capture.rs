//! The `dnstel capture` subcommand: live DNS capture into Packetbeat events.
//!
//! With one worker, one thread reads the capture ring, pairs, encodes and writes. With N
//! workers, N sockets share the traffic through an AF_PACKET fanout group and N threads each
//! pair and encode their share, while the calling thread writes (see [`threaded`]).

mod threaded;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use dnstel_capture::{CaptureConfig, CaptureError, CaptureStats, Fanout, LiveCapture};
use dnstel_config::Config;
use dnstel_event::EventBuilder;
use dnstel_output::Output;
use dnstel_packet::{Frame, Timestamp};
use dnstel_sensor::{Sensor, SensorOptions};
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
use crate::sensor::{EventTap, FramePipeline, Pipeline, PipelineCounters};

/// How long one wait for a packet lasts before timers and the stop flag are checked.
const POLL_TIMEOUT: Duration = Duration::from_millis(200);
/// How often buffered events are flushed to the output while traffic flows.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Maximum time spent at stop on frames already in the capture ring.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// Time past the ring's block timeout that the stop waits for the kernel's block timer.
const DRAIN_SETTLE_MARGIN: Duration = Duration::from_millis(30);
/// Pause between two looks at an empty ring while the stop waits for that timer.
const DRAIN_POLL: Duration = Duration::from_millis(2);
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

    /// Folder for meta.json (the agent id kept across runs), overriding `path.data` of the
    /// configuration. Default: `path.data`, else `path.home`/data, else /var/lib/dnstel.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// After the capture socket is open, switch to this user (and its primary group), then
    /// open the output as that user, so the output folder must be writable by it. Without it,
    /// a root process keeps uid 0 but drops every capability once the output is open.
    #[arg(long = "user", value_name = "USER")]
    user: Option<String>,

    /// Capture threads. 1 reads, pairs, encodes and writes on one thread. With N > 1, N
    /// sockets in one AF_PACKET fanout group split the traffic by flow, N threads pair and
    /// encode, and one more thread writes. Each socket gets a ring of the configured size.
    #[arg(long, value_name = "N", default_value = "1", value_parser = crate::ops::args::parse_workers)]
    workers: NonZeroUsize,

    #[command(flatten)]
    observability: ObservabilityArgs,
}

/// Runs `dnstel capture`.
pub fn run(args: CaptureArgs) -> anyhow::Result<()> {
    let mut config = setup::load_config(args.config.as_deref())?;
    if let Some(data_dir) = &args.data_dir {
        config.paths.data = Some(data_dir.clone());
    }
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);
    // Installed first, so a stop requested during startup ends the run cleanly at its start.
    let signals = SignalFlags::install()?;
    let watchdog = signals.start_watchdog()?;
    if let Some(user) = &args.user {
        crate::ops::privileges::check_user(user)?;
    }

    let target = args.output.as_deref().map(OutputTarget::parse);
    let sensor_options = setup::sensor_options(&config)?;
    // Checked here, so a bad option fails before any socket is opened.
    sensor_options.pairing.validate().map_err(config_error)?;

    // The metrics address is checked first, so a usage error does not wait for the capture.
    let metrics = args.observability.bind_metrics()?;
    // The capture opens before meta.json is written, so an unknown interface or a missing
    // privilege leaves the data folder as it was.
    let captures = open_captures(&config, args.interface.as_deref(), args.workers.get())?;
    let agent = setup::agent_identity(&setup::data_dir(&config));
    let options = setup::event_options(&config, agent, dnstel_event::host::local_ips())?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;
    // With --user the output folder must be writable by that user, who can then also place
    // links in it. The files are therefore opened after the switch, with only that user's
    // rights, so a link cannot make root open or truncate a file elsewhere.
    if args.user.is_some() {
        drop_privileges(args.user.as_deref())?;
    }
    let (output, output_handle) = reopenable(setup::open_output(&config, target.as_ref())?);
    if args.user.is_none() {
        drop_privileges(None)?;
    }
    watchdog.clear_capabilities()?;

    let registry = Registry::shared();
    args::start_metrics(metrics, &registry)?;
    let loop_ops = LoopOps {
        signals: &signals,
        registry: &registry,
        output: &output_handle,
        stats_interval: args.observability.stats_interval(),
        reload_targets: Vec::new(),
    };
    let live = LiveSensor {
        captures,
        options: sensor_options,
        builder,
        output,
        tap: None,
    };
    let result = live.run(&loop_ops);
    stats::log_stats(&registry.snapshot(), "summary");
    result
}

/// Everything a live capture run needs once its sockets and output are open.
pub struct LiveSensor {
    /// One socket per worker; several sockets must share a fanout group.
    pub captures: Vec<LiveCapture>,
    /// Sensor options; each worker builds its own sensor from them.
    pub options: SensorOptions,
    /// The event encoder; each worker gets a copy.
    pub builder: EventBuilder,
    /// The event output.
    pub output: Box<dyn Output>,
    /// Receives every written event as well (the rules of `dnstel run`).
    pub tap: Option<EventTap>,
}

impl LiveSensor {
    /// Captures until a stop is requested, then writes what is still open, logs the summary
    /// and publishes the final counters.
    ///
    /// # Errors
    /// Returns the first capture or output error.
    pub fn run(self, ops: &LoopOps<'_>) -> anyhow::Result<()> {
        if self.captures.len() > 1 {
            return threaded::run(self, ops);
        }
        let LiveSensor {
            mut captures,
            options,
            builder,
            output,
            tap,
        } = self;
        let Some(capture) = captures.first_mut() else {
            return Err(anyhow::anyhow!("no capture socket is open"));
        };
        let sensor = Sensor::new(options).map_err(config_error)?;
        let mut pipeline = Pipeline::new(sensor, builder, output);
        if let Some(tap) = tap {
            pipeline.set_tap(tap);
        }
        let captured = capture_loop(capture, &mut pipeline, ops);
        let finished = pipeline.finish();
        let counters = pipeline.counters();
        counters.log_summary();
        let capture_stats = capture.stats();
        log_capture_stats(&capture_stats);
        publish_counters(ops.registry, &counters, &capture_stats, ops.output);
        captured?;
        finished
    }
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

impl LoopOps<'_> {
    /// Takes a pending SIGHUP and, if there was one, sets the event output's reopen flag and
    /// every reload target. Returns whether there was one, so the caller can flush.
    pub fn take_reload(&self) -> bool {
        if !self.signals.take_reload() {
            return false;
        }
        info!("SIGHUP received: reopening the event output");
        self.output.reopen_flag().store(true, Ordering::Relaxed);
        for target in &self.reload_targets {
            target.store(true, Ordering::Relaxed);
        }
        true
    }
}

/// Logs the kernel drop counter at most once per [`DROP_CHECK_INTERVAL`], when it grew.
pub struct KernelDropWarning {
    last_check: Instant,
    reported: u64,
}

impl KernelDropWarning {
    /// Starts with nothing reported.
    pub fn new() -> KernelDropWarning {
        KernelDropWarning {
            last_check: Instant::now(),
            reported: 0,
        }
    }

    /// Reads the drop count with `read_drops` when a check is due and warns when it grew.
    pub fn check(&mut self, read_drops: impl FnOnce() -> u64) {
        if self.last_check.elapsed() < DROP_CHECK_INTERVAL {
            return;
        }
        self.last_check = Instant::now();
        let drops = read_drops();
        if drops > self.reported {
            warn!(
                kernel_drops = drops,
                new_drops = drops - self.reported,
                "the kernel dropped packets because the capture ring was full"
            );
            self.reported = drops;
        }
    }
}

/// Publishes the capture-side counters into the registry.
pub fn publish_counters(
    registry: &Registry,
    counters: &PipelineCounters,
    capture: &CaptureStats,
    output: &OutputHandle,
) {
    registry.publish_sensor(SensorCounters::collect(counters, capture, &output.stats()));
}

/// Opens the live capture that `packetbeat.interfaces` (or `interface`) names: one socket, or
/// with `workers` above one, that many sockets in one fanout group.
///
/// The first socket asks the kernel for a group id no other group uses, and the others join
/// that id, so two dnstel processes never share a group.
pub fn open_captures(
    config: &Config,
    interface: Option<&str>,
    workers: usize,
) -> anyhow::Result<Vec<LiveCapture>> {
    let mut capture_config = capture_config(config, interface)?;
    if workers > 1 {
        capture_config.fanout = Some(Fanout::NewGroup);
    }
    let mut captures = Vec::with_capacity(workers);
    for _ in 0..workers {
        let capture = LiveCapture::open(&capture_config)
            .map_err(|error| open_failure(error, &capture_config.device))?;
        if let Some(group) = capture.fanout_group() {
            capture_config.fanout = Some(Fanout::Join(group));
        }
        captures.push(capture);
    }
    info!(
        device = %capture_config.device,
        ports = ?capture_config.dns_ports,
        filter = capture_config.bpf_filter.as_deref().unwrap_or(""),
        sockets = workers,
        fanout_group = captures.first().and_then(LiveCapture::fanout_group),
        "capture started"
    );
    Ok(captures)
}

/// Describes an error from opening a capture socket with the device and what to do next. An
/// unknown interface is a configuration error. A socket the kernel did not allow (EPERM or
/// EACCES) names the privilege it needs: AF_PACKET sockets need CAP_NET_RAW, and nothing else
/// dnstel sets on them (ring, filter, fanout) needs another capability.
fn open_failure(error: CaptureError, device: &str) -> anyhow::Error {
    let message = format!("failed to open live capture on {device}: {error}");
    match &error {
        CaptureError::InterfaceNotFound { .. } => config_error(anyhow::anyhow!(
            "{message}; check -i or packetbeat.interfaces.device (`ip link` lists the interfaces)"
        )),
        CaptureError::System { source, .. }
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            anyhow::anyhow!(
                "{message}; live capture needs the CAP_NET_RAW capability, so run dnstel as \
                 root or give it that capability"
            )
        }
        _ => anyhow::Error::new(error).context(format!("failed to open live capture on {device}")),
    }
}

/// Logs the capture's final counters, summed over its sockets.
pub fn log_capture_stats(stats: &CaptureStats) {
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
    let mut kernel_drops = KernelDropWarning::new();
    let mut publish = Every::new(PUBLISH_INTERVAL);
    let mut stats_line = Every::new(ops.stats_interval);
    while !ops.signals.stop_requested() {
        if ops.take_reload() {
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
        kernel_drops.check(|| capture.stats().drops);
        if publish.due() {
            publish_counters(
                ops.registry,
                &pipeline.counters(),
                &capture.stats(),
                ops.output,
            );
        }
        if stats_line.due() {
            stats::log_stats(&ops.registry.snapshot(), "stats");
        }
    }
    info!("stop requested, reading the frames already captured");
    let drained = drain_ring(capture, DRAIN_LIMIT, &mut |frame| {
        pipeline.process_frame(frame)
    })?;
    info!(
        frames_after_stop = drained,
        "capture ring drained; writing pending transactions"
    );
    Ok(())
}

/// Passes the frames still in the capture ring at stop to `process`, for at most `limit`, and
/// returns how many there were. Frames still in the ring after that are counted and logged
/// as lost, never dropped silently.
pub fn drain_ring(
    capture: &mut LiveCapture,
    limit: Duration,
    process: &mut dyn FnMut(&Frame<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    // Frames captured before the stop may sit in a block the kernel is still filling, which
    // it hands over only when its block timeout expires. An empty ring before then does not
    // mean the capture is all read.
    let settled = started + capture.block_timeout() + DRAIN_SETTLE_MARGIN;
    let mut frames = 0;
    while started.elapsed() < limit {
        match capture
            .next_frame(Duration::ZERO)
            .context("live capture failed")?
        {
            Some(frame) => {
                process(&frame)?;
                frames += 1;
            }
            None if Instant::now() >= settled => return Ok(frames),
            None => std::thread::sleep(DRAIN_POLL),
        }
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
        limit_seconds = limit.as_secs(),
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

/// Returns the current time as a packet timestamp, for idle ticks.
pub fn wall_clock() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(since_epoch.as_secs() as i64, since_epoch.subsec_nanos())
}
