//! The `dnstel run` subcommand: live capture and rule analysis in one process.
//!
//! Events go to `DIR/packetbeat` with the file output's rotation and, in the same process, to
//! the rules; alerts go to `DIR/alerts.json` and `DIR/alerts.log`. An event reaches the rules as
//! the compact JSON text that `dnstel analyze` would read back from `DIR/packetbeat`, with the
//! same `location`, so both ways give the same alerts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use chrono::Local;
use clap::Args;
use dnstel_analysis::loading::RulesetRequest;
use dnstel_analysis::{AgentInfo, AlertWriter, AnalysisConfig, Analyzer, EventSource, Session};
use dnstel_event::EventBuilder;
use dnstel_sensor::Sensor;
use tracing::{info, warn};

use crate::analyzer_setup::{self, RulesetArgs};
use crate::capture::{
    capture_loop, drop_privileges, install_stop_flag, log_capture_stats, open_capture,
};
use crate::exit::{config_error, usage_error};
use crate::logging;
use crate::sensor::setup::{self, OutputTarget};
use crate::sensor::{EventTap, Pipeline};

/// Events waiting for the rules; when the queue is full, further events skip the rules (they
/// are still written to the event file) and are counted.
const ANALYSIS_QUEUE_EVENTS: usize = 65_536;
/// How long the rule thread waits for an event before it flushes the alert files.
const ALERT_FLUSH_INTERVAL: Duration = Duration::from_millis(500);

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
    #[arg(long, value_name = "DIR", default_value = "./dnstel-data")]
    data_dir: PathBuf,

    /// After the capture socket and the files are open, switch to this user. DIR must be
    /// writable by it for rotation.
    #[arg(long = "user", value_name = "USER")]
    user: Option<String>,

    /// Label added to every alert's `agent.labels`, as KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,

    #[command(flatten)]
    ruleset: RulesetArgs,
}

/// Runs `dnstel run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut config = setup::load_config(args.config.as_deref())?;
    logging::init(setup::log_level(&config));
    setup::report_not_applied(&config);
    config.paths.data = Some(args.data_dir.clone());
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create the data folder {}", args.data_dir.display()))?;

    let analyzer = build_analyzer(&args)?;
    let sensor = Sensor::new(setup::sensor_options(&config)?).map_err(config_error)?;
    let agent = setup::agent_identity(&args.data_dir);
    let options = setup::event_options(&config, agent, dnstel_event::host::local_ips())?;
    let builder = EventBuilder::new(&options).map_err(config_error)?;

    let mut capture = open_capture(&config, args.interface.as_deref())?;
    let events_path = args.data_dir.join("packetbeat");
    let output = setup::open_output(&config, Some(&OutputTarget::File(events_path.clone())))?;
    let writer = AlertWriter::open(&args.data_dir)
        .with_context(|| format!("cannot open the alert files in {}", args.data_dir.display()))?;
    drop_privileges(args.user.as_deref())?;

    let source = EventSource {
        location: events_path.display().to_string(),
        agent: AgentInfo {
            id: "000".to_owned(),
            name: Some(analyzer.config().manager_name.clone()),
            ip: None,
            labels: parse_labels(&args.labels)?,
        },
    };
    let (sender, receiver) = sync_channel::<String>(ANALYSIS_QUEUE_EVENTS);
    let rules = spawn_rule_thread(analyzer, writer, source, receiver)?;
    let queue_drops = Arc::new(AtomicU64::new(0));

    let stop = install_stop_flag()?;
    let mut pipeline = Pipeline::new(sensor, builder, output);
    pipeline.set_tap(event_tap(sender, Arc::clone(&queue_drops)));
    let captured = capture_loop(&mut capture, &mut pipeline, &stop);
    let finished = pipeline.finish();
    pipeline.log_summary();
    log_capture_stats(&capture);
    // Dropping the pipeline closes the queue, so the rule thread ends after the last event.
    drop(pipeline);
    let alerts = rules
        .join()
        .map_err(|_| anyhow::anyhow!("the rule thread panicked"))??;
    info!(
        alerts,
        queue_drops = queue_drops.load(Ordering::Relaxed),
        "run stopped"
    );
    captured?;
    finished
}

fn build_analyzer(args: &RunArgs) -> anyhow::Result<Analyzer> {
    let request = RulesetRequest {
        dir: args.ruleset.ruleset.clone(),
        extra_rules: args.ruleset.rules.clone(),
        extra_decoders: args.ruleset.decoders.clone(),
    };
    let loaded = analyzer_setup::load_ruleset(&request)?;
    let config = AnalysisConfig {
        log_alert_level: args
            .ruleset
            .log_alert_level
            .unwrap_or(analyzer_setup::DEFAULT_LOG_ALERT_LEVEL),
        email_alert_level: analyzer_setup::DEFAULT_EMAIL_ALERT_LEVEL,
        manager_name: args
            .ruleset
            .manager_name
            .clone()
            .unwrap_or_else(analyzer_setup::host_name),
        mitre: analyzer_setup::mitre_table(&args.ruleset.mitre_version)?,
    };
    Ok(analyzer_setup::build_analyzer(loaded, config))
}

/// Parses `KEY=VALUE` labels.
pub fn parse_labels(labels: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    labels
        .iter()
        .map(|label| {
            label
                .split_once('=')
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .ok_or_else(|| {
                    usage_error(anyhow::anyhow!(
                        "invalid label {label:?}; expected KEY=VALUE"
                    ))
                })
        })
        .collect()
}

/// Returns the tap that queues each written event for the rules, counting what a full queue
/// turns away.
fn event_tap(sender: SyncSender<String>, drops: Arc<AtomicU64>) -> EventTap {
    Box::new(move |event: &[u8]| {
        // The same re-encoding the log collector applies to lines it reads from the file.
        let text = match dnstel_logcollector::encode_line(event, &[]) {
            Ok(text) => text,
            Err(reason) => {
                warn!(reason = reason.describe(), "event not analysed");
                return;
            }
        };
        if let Err(TrySendError::Full(_)) = sender.try_send(text) {
            let dropped = drops.fetch_add(1, Ordering::Relaxed) + 1;
            // The first ten drops are logged, then one in ten thousand.
            if dropped <= 10 || dropped % 10_000 == 0 {
                warn!(dropped, "rule queue full; event written but not analysed");
            }
        }
    })
}

fn spawn_rule_thread(
    analyzer: Analyzer,
    mut writer: AlertWriter,
    source: EventSource,
    receiver: Receiver<String>,
) -> anyhow::Result<JoinHandle<anyhow::Result<u64>>> {
    std::thread::Builder::new()
        .name("rules".to_owned())
        .spawn(move || {
            let mut session = Session::new();
            let mut alerts = 0u64;
            loop {
                match receiver.recv_timeout(ALERT_FLUSH_INTERVAL) {
                    Ok(event) => {
                        let now = Local::now().fixed_offset();
                        let outcome = analyzer.process(&mut session, &event, &source, now, false);
                        if let (true, Some(alert)) = (outcome.logged, &outcome.alert) {
                            writer.write(alert).context("failed to write an alert")?;
                            alerts += 1;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        writer.flush().context("failed to flush the alert files")?;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            writer.flush().context("failed to flush the alert files")?;
            Ok(alerts)
        })
        .context("failed to start the rule thread")
}
