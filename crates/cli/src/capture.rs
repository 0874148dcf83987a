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
use crate::sensor::setup::{self, OutputTarget};
use crate::sensor::Pipeline;

/// How long one wait for a packet lasts before timers and the stop flag are checked.
const POLL_TIMEOUT: Duration = Duration::from_millis(200);
/// How often buffered events are flushed to the output while traffic flows.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
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
    /// primary group). The output folder must be writable by it for rotation.
    #[arg(long = "user", value_name = "USER")]
    user: Option<String>,
}

/// Runs `dnstel capture`.
pub fn run(args: CaptureArgs) -> anyhow::Result<()> {
    let config = setup::load_config(args.config.as_deref())?;
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);

    let target = args.output.as_deref().map(OutputTarget::parse);
    let sensor = Sensor::new(setup::sensor_options(&config)?).map_err(config_error)?;
    let agent = setup::agent_identity(&setup::data_dir(&config));
    let options = setup::event_options(&config, agent, dnstel_event::host::local_ips())?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;

    let mut capture = open_capture(&config, args.interface.as_deref())?;
    let output = setup::open_output(&config, target.as_ref())?;
    drop_privileges(args.user.as_deref())?;

    let stop = install_stop_flag()?;
    let mut pipeline = Pipeline::new(sensor, builder, output);
    capture_loop(&mut capture, &mut pipeline, &stop)?;

    pipeline.finish()?;
    pipeline.log_summary();
    log_capture_stats(&capture);
    Ok(())
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

/// Switches to `user` when one is given; sockets and files opened before stay usable.
pub fn drop_privileges(user: Option<&str>) -> anyhow::Result<()> {
    if let Some(user) = user {
        dnstel_capture::drop_privileges(user, None)
            .with_context(|| format!("failed to switch to user {user}"))?;
        info!(user, "dropped privileges");
    }
    Ok(())
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

pub fn capture_loop(
    capture: &mut LiveCapture,
    pipeline: &mut Pipeline,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut last_flush = Instant::now();
    let mut last_drop_check = Instant::now();
    let mut reported_drops = 0;
    while !stop.load(Ordering::Relaxed) {
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
    }
    info!("stop requested, writing pending transactions");
    Ok(())
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

/// Sets a flag on SIGINT or SIGTERM; the capture loop checks it between polls.
pub fn install_stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .with_context(|| format!("failed to install the handler of signal {signal}"))?;
    }
    Ok(stop)
}

pub fn wall_clock() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(since_epoch.as_secs() as i64, since_epoch.subsec_nanos())
}
