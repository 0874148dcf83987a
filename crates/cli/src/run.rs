//! The `dnstel run` subcommand: live capture and rule analysis in one process.
//!
//! Events go to `DIR/packetbeat` with the file output's rotation and, in the same process, to
//! the rules; alerts go to `DIR/alerts.json` and `DIR/alerts.log`. An event reaches the rules as
//! the compact JSON text that `dnstel analyze` would read back from `DIR/packetbeat`, with the
//! same `location`, so both ways give the same alerts.

mod rule_thread;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use dnstel_analysis::{AgentInfo, Analyzer, EventSource};
use dnstel_event::EventBuilder;
use dnstel_logcollector::LineText;
use std::num::NonZeroUsize;
use tracing::{error, info, warn};

use crate::analyzer_setup::{self, FileSettings, RulesetArgs};
use crate::capture::{open_captures, LiveSensor, LoopOps};
use crate::exit::config_error;
use crate::logging;
use crate::ops::args::{self, AlertRotationArgs, ObservabilityArgs};
use crate::ops::data_lock::DataDirLock;
use crate::ops::metrics::Registry;
use crate::ops::privileges::drop_privileges;
use crate::ops::reopen::reopenable;
use crate::ops::signals::SignalFlags;
use crate::ops::stats;
use crate::sensor::setup::{self, OutputTarget};
use crate::sensor::EventTap;
use rule_thread::RuleThread;

/// Events waiting for the rules. When the queue is full, further events skip the rules and
/// are counted, but they are still written to the event file.
const ANALYSIS_QUEUE_EVENTS: usize = 65_536;

/// Options of `dnstel run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A packetbeat.yml for capture and event settings. Its output section is replaced: events
    /// go to DIR/packetbeat.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// The interface to sniff, overriding `packetbeat.interfaces.device` (`any` for all).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,

    /// Folder for events (packetbeat, rotated), alerts (alerts.json, alerts.log) and state.
    /// Only one run or analyze process at a time can use it (DIR/dnstel.lock).
    #[arg(long, value_name = "DIR", default_value = "./dnstel-data")]
    data_dir: PathBuf,

    /// After the capture socket is open, give DIR and everything in it to this user and its
    /// primary group, switch to it, then open the files as that user. Without it, a root
    /// process keeps uid 0 but drops every capability once the files are open.
    #[arg(long = "user", value_name = "USER")]
    user: Option<String>,

    /// Label added to every alert's `agent.labels`, as KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,

    /// Capture threads, as for `dnstel capture --workers`: N > 1 opens N sockets in one
    /// AF_PACKET fanout group. Events reach the rules from the one thread that writes them.
    #[arg(long, value_name = "N", default_value = "1", value_parser = crate::ops::args::parse_workers)]
    workers: NonZeroUsize,

    #[command(flatten)]
    ruleset: RulesetArgs,

    /// Minimum rule level that raises an alert. Matches of lower rules write no alert.
    #[arg(
        long,
        value_name = "LEVEL",
        default_value_t = analyzer_setup::DEFAULT_LOG_ALERT_LEVEL,
        value_parser = analyzer_setup::alert_level_parser()
    )]
    log_alert_level: u8,

    #[command(flatten)]
    rotation: AlertRotationArgs,

    #[command(flatten)]
    observability: ObservabilityArgs,
}

/// Runs `dnstel run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut config = setup::load_config(args.config.as_deref())?;
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);
    // Installed first, so a stop requested during startup ends the run cleanly at its start.
    let signals = SignalFlags::install()?;
    let watchdog = signals.start_watchdog()?;

    // Every option is checked before the data folder is created or an existing event file is
    // rotated, so a usage or configuration error leaves the folder as it was.
    let labels = crate::labels::parse_command_line(&args.labels)?;
    if let Some(user) = &args.user {
        crate::ops::privileges::check_user(user)?;
    }
    let analyzer = build_analyzer(&args.ruleset, args.log_alert_level)?;
    let sensor_options = setup::sensor_options(&config)?;
    sensor_options.pairing.validate().map_err(config_error)?;
    let metrics = args.observability.bind_metrics()?;
    // The capture opens before any file is written, so an unknown interface or a missing
    // privilege leaves the data folder as it was.
    let captures = open_captures(&config, args.interface.as_deref(), args.workers.get())?;

    config.paths.data = Some(args.data_dir.clone());
    crate::ops::data_lock::create_data_folder(&args.data_dir)?;
    // Alerts name the event file as their location. An absolute path keeps it the same
    // whatever folder dnstel was started from, as Wazuh shows its configured path.
    let data_dir = std::fs::canonicalize(&args.data_dir)
        .with_context(|| format!("cannot resolve the data folder {}", args.data_dir.display()))?;
    // With --user the folder belongs to that user, who may have placed links in it during an
    // earlier run. Every file in it is therefore opened after the switch, with only that
    // user's rights, so a link cannot make root open or truncate another file.
    if let Some(user) = &args.user {
        crate::ops::privileges::hand_over_folder(&data_dir, user)?;
        drop_privileges(Some(user))?;
    }
    // Held until the process ends, and taken before any file in the folder is written.
    let _data_lock = DataDirLock::acquire(&args.data_dir)?;
    let agent = setup::agent_identity(&args.data_dir);
    let options = setup::event_options(&config, agent, dnstel_event::host::local_ips())?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;

    let events_path = data_dir.join("packetbeat");
    let target = OutputTarget::File(events_path.clone());
    let (output, output_handle) = reopenable(setup::open_output(&config, Some(&target))?);
    let writer = args.rotation.open_writer(&args.data_dir)?;
    if args.user.is_none() {
        drop_privileges(None)?;
    }
    watchdog.clear_capabilities()?;

    let registry = Registry::shared();
    args::start_metrics(metrics, &registry)?;
    let source = EventSource {
        location: events_path.display().to_string().into(),
        agent: AgentInfo {
            id: "000".to_owned(),
            name: Some(analyzer.config().manager_name.clone()),
            ip: None,
            labels,
        },
    };
    let (sender, receiver) = sync_channel::<LineText>(ANALYSIS_QUEUE_EVENTS);
    let queue_drops = Arc::new(AtomicU64::new(0));
    let rules_reload = Arc::new(AtomicBool::new(false));
    let ruleset = args.ruleset.clone();
    let log_alert_level = args.log_alert_level;
    let rules = RuleThread {
        analyzer,
        rebuild: Box::new(move || build_analyzer(&ruleset, log_alert_level)),
        writer,
        source,
        receiver,
        reload: Arc::clone(&rules_reload),
        registry: Arc::clone(&registry),
        queue_drops: Arc::clone(&queue_drops),
    }
    .spawn()?;

    let tap = event_tap(sender, Arc::clone(&queue_drops), Arc::clone(&signals.stop));
    let loop_ops = LoopOps {
        signals: &signals,
        registry: &registry,
        output: &output_handle,
        stats_interval: args.observability.stats_interval(),
        reload_targets: vec![rules_reload],
    };
    let live = LiveSensor {
        captures,
        options: sensor_options,
        builder,
        output,
        tap: Some(tap),
    };
    // Ending the live sensor drops the tap and closes the queue, so the rule thread ends after
    // the last event.
    let captured = live.run(&loop_ops);
    let alerts = rules
        .join()
        .map_err(|_| anyhow::anyhow!("the rule thread panicked"))??;
    info!(
        alerts,
        queue_drops = queue_drops.load(Ordering::Relaxed),
        "run stopped"
    );
    stats::log_stats(&registry.snapshot(), "summary");
    captured
}

/// Loads the ruleset and builds the analyzer; also used to reload the rules on SIGHUP.
fn build_analyzer(args: &RulesetArgs, log_alert_level: u8) -> anyhow::Result<Analyzer> {
    analyzer_setup::analyzer_from_args(args, Some(log_alert_level), &FileSettings::default())
}

/// Returns the tap that queues each written event for the rules, counting what a full queue
/// turns away. When the rule thread has ended (an alert write failed), the tap counts the
/// event as a drop and sets `stop`, so the process exits with the rule thread's error.
fn event_tap(
    sender: SyncSender<LineText>,
    drops: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> EventTap {
    Box::new(move |event: &[u8]| {
        // The same re-encoding the log collector applies to lines it reads from the file. A
        // line that looks compact is checked by the rule thread's decode, which costs less
        // than a separate check here.
        let text = match dnstel_logcollector::prepare_line(event, &[]) {
            Ok(text) => text,
            Err(reason) => {
                warn!(reason = reason.describe(), "event not analysed");
                return;
            }
        };
        match sender.try_send(text) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = drops.fetch_add(1, Ordering::Relaxed) + 1;
                // The first ten drops are logged, then one in ten thousand.
                if dropped <= 10 || dropped % 10_000 == 0 {
                    warn!(dropped, "rule queue full; event written but not analysed");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                drops.fetch_add(1, Ordering::Relaxed);
                if !stop.swap(true, Ordering::Relaxed) {
                    error!("the rule thread has stopped; stopping the capture");
                }
            }
        }
    })
}
