//! The `dnstel analyze` subcommand: follows event files and writes Wazuh-style alerts.

mod config;
mod stdin;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use dnstel_analysis::{AgentInfo, Analyzer, EventSource};
use dnstel_logcollector::{CollectedLine, Collector, CollectorOptions, CollectorStats, SkipReason};
use tracing::{info, warn};

use crate::analyzer_setup::{self, FileSettings, RulesetArgs};
use crate::exit::{config_error, usage_error};
use crate::logging;
use crate::logtest::MAX_EVENT_BYTES;
use crate::ops::args::{self, AlertRotationArgs, ObservabilityArgs};
use crate::ops::data_lock::DataDirLock;
use crate::ops::metrics::Registry;
use crate::ops::rule_stage::RuleStage;
use crate::ops::signals::SignalFlags;
use crate::ops::stats::{self, Every, PUBLISH_INTERVAL};
use stdin::{Input, LineSplitter, StdinChunks};

/// How long the loop sleeps when every file is at its end.
const IDLE_SLEEP: Duration = Duration::from_millis(250);
/// Events handled per batch; positions are saved after each batch.
const BATCH_EVENTS: usize = 1000;

/// Options of `dnstel analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// An analyzer configuration in Wazuh's ossec.conf format (<localfile>, <ruleset>,
    /// <labels>, <global>, <alerts> blocks). Optional with --stdin.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "FILE",
        required_unless_present = "stdin"
    )]
    config: Option<PathBuf>,

    /// Reads events from standard input, one per line, until it ends, instead of the
    /// configured files; alerts show the location `stdin`.
    #[arg(long)]
    stdin: bool,

    /// Folder for alerts.json, alerts.log and the read positions. Only one run or analyze
    /// process at a time can use it (DIR/dnstel.lock).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/dnstel")]
    data_dir: PathBuf,

    /// Stops at the current end of the inputs; files without a stored position start at their
    /// beginning.
    #[arg(long)]
    once: bool,

    /// Label added to every alert's `agent.labels`, as KEY=VALUE (repeatable). Replaces a
    /// label of the same key from the configuration's <labels>.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,

    #[command(flatten)]
    ruleset: RulesetArgs,

    /// Minimum rule level that raises an alert, overriding <alerts><log_alert_level> of the
    /// configuration. Matches of lower rules write no alert [default: the configuration's,
    /// else 3].
    #[arg(long, value_name = "LEVEL", value_parser = analyzer_setup::alert_level_parser())]
    log_alert_level: Option<u8>,

    #[command(flatten)]
    rotation: AlertRotationArgs,

    #[command(flatten)]
    observability: ObservabilityArgs,
}

/// Runs `dnstel analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    logging::init("info");
    // Installed first, so a stop requested during startup ends the run cleanly at its start.
    let signals = SignalFlags::install()?;
    // analyze switches no user ids, so the watchdog can give up its capabilities at once.
    signals.start_watchdog()?.clear_capabilities()?;
    let file_config = match &args.config {
        Some(path) => config::load(path).map_err(config_error)?,
        None => config::AnalyzeConfig::default(),
    };
    if !file_config.not_applied.is_empty() {
        info!(
            options = %file_config.not_applied.join(", "),
            "configuration options accepted but not applied by dnstel"
        );
    }
    if let (Some(path), false) = (&args.config, args.stdin) {
        if file_config.local_files.is_empty() {
            return Err(config_error(anyhow::anyhow!(
                "{} has no <localfile> with log_format json, so there is nothing to read; add \
                 one with <log_format>json</log_format> and <location>FILE</location>, as in \
                 deploy/ossec.conf",
                path.display()
            )));
        }
    }
    let labels = merge_labels(
        &file_config.labels,
        crate::labels::parse_command_line(&args.labels)?,
    );
    crate::labels::check_clashes(&labels).map_err(config_error)?;
    let analyzer = build_analyzer(&args.ruleset, args.log_alert_level, &file_config)?;
    let manager_name = analyzer.config().manager_name.clone();

    crate::ops::data_lock::create_data_folder(&args.data_dir)?;
    // Held until the process ends, and taken before any file in the folder is written.
    let _data_lock = DataDirLock::acquire(&args.data_dir)?;
    let writer = args.rotation.open_writer(&args.data_dir)?;
    let mut collector = Collector::new(
        file_config.local_files.clone(),
        CollectorOptions {
            positions_path: Some(args.data_dir.join("positions.json")),
            start_at_beginning: args.once,
            ..CollectorOptions::default()
        },
    )
    .context("cannot load the read positions")?;

    let registry = Registry::shared();
    args::start_metrics(args.observability.bind_metrics()?, &registry)?;
    info!(data_dir = %args.data_dir.display(), "analyzer started");

    let agent = AgentInfo {
        id: "000".to_owned(),
        name: Some(manager_name),
        ip: None,
        labels,
    };
    let ruleset = args.ruleset.clone();
    let rebuild_config = file_config.clone();
    let log_alert_level = args.log_alert_level;
    let rebuild = Box::new(move || build_analyzer(&ruleset, log_alert_level, &rebuild_config));
    let mut stage = RuleStage::new(analyzer, rebuild, writer);
    if args.stdin {
        let mut skipped = CollectorStats::default();
        let loop_state = StdinLoop {
            signals: &signals,
            registry: &registry,
            stats_interval: args.observability.stats_interval(),
        };
        let read = read_stdin(&mut stage, &agent, &mut skipped, &loop_state);
        stage.flush()?;
        publish_analysis(&registry, &mut stage, &skipped);
        stats::log_stats(&registry.snapshot(), "summary");
        return read;
    }
    let mut publish = Every::new(PUBLISH_INTERVAL);
    let mut stats_line = Every::new(args.observability.stats_interval());
    let mut batch: Vec<CollectedLine> = Vec::with_capacity(BATCH_EVENTS);
    let mut source = EventSource {
        location: Arc::from(""),
        agent: agent.clone(),
    };
    publish_analysis(&registry, &mut stage, collector.stats());
    while !signals.stop_requested() {
        if signals.take_reload() {
            info!("SIGHUP received: reopening the alert files and reloading the rules");
            stage.reload();
        }
        let at_end = collector.poll(BATCH_EVENTS, &mut batch);
        for line in batch.drain(..) {
            // Lines of one file share their location, so the source is built once per run
            // of lines from the same file.
            if !Arc::ptr_eq(&source.location, &line.location) {
                source = EventSource {
                    location: line.location,
                    agent: agent.clone(),
                };
            }
            if let Some(reason) = stage.process_line(line.event, &source)? {
                collector.count_late_skip(reason, Path::new(&*source.location));
            }
        }
        // Alerts reach the files before the positions move past their events, so a crash
        // repeats events at worst and never loses one.
        stage.flush()?;
        if let Err(error) = collector.save_positions() {
            warn!(%error, "failed to save the read positions");
        }
        if publish.due() {
            publish_analysis(&registry, &mut stage, collector.stats());
        }
        if stats_line.due() {
            stats::log_stats(&registry.snapshot(), "stats");
        }
        if at_end {
            if args.once {
                break;
            }
            std::thread::sleep(IDLE_SLEEP);
        }
    }
    let collected = collector.stats();
    publish_analysis(&registry, &mut stage, collected);
    info!(
        events = collected.events,
        alerts = stage.counters.alerts_written,
        too_long = collected.too_long,
        nul_byte = collected.nul_byte,
        not_json_object = collected.not_json_object,
        unterminated_lines = collected.unterminated_lines,
        rotations = collected.rotations,
        rotated_deleted = collected.rotated_deleted,
        rotated_not_found = collected.rotated_not_found,
        truncations = collected.truncations,
        read_errors = collected.read_errors,
        not_regular_files = collected.not_regular_files,
        "analyzer stopped"
    );
    stats::log_stats(&registry.snapshot(), "summary");
    Ok(())
}

/// Analyses events from standard input until it ends, with the same line checks and
/// re-encoding as lines read from files, and counts skipped lines by reason in `counts`.
/// Empty lines are skipped without a count, as in files.
fn read_stdin(
    stage: &mut RuleStage,
    agent: &AgentInfo,
    counts: &mut CollectorStats,
    loop_state: &StdinLoop<'_>,
) -> anyhow::Result<()> {
    let source = EventSource {
        location: "stdin".into(),
        agent: agent.clone(),
    };
    let mut chunks = StdinChunks::start().context("failed to start reading standard input")?;
    let mut lines = LineSplitter::new(MAX_EVENT_BYTES);
    let mut skipped = 0u64;
    let mut publish = Every::new(PUBLISH_INTERVAL);
    let mut stats_line = Every::new(loop_state.stats_interval);
    loop {
        let input = chunks
            .next(IDLE_SLEEP)
            .context("failed to read standard input")?;
        let idle = matches!(input, Input::Idle);
        let mut handle = |line: &[u8], too_long: bool| {
            handle_stdin_line(stage, counts, &mut skipped, &source, line, too_long)
        };
        match input {
            Input::Chunk(chunk) => {
                lines.push(chunk.bytes(), &mut handle)?;
                chunks.recycle(chunk);
            }
            Input::End => {
                lines.finish(&mut handle)?;
                info!(skipped, "standard input ended");
                return Ok(());
            }
            Input::Idle => {}
        }
        if loop_state.signals.stop_requested() {
            info!(
                skipped,
                "stop requested; the rest of standard input is not read"
            );
            return Ok(());
        }
        if loop_state.signals.take_reload() {
            info!("SIGHUP received: reopening the alert files and reloading the rules");
            stage.reload();
        }
        if idle {
            // Alerts wait in memory only while events keep arriving.
            stage.flush()?;
        }
        if publish.due() {
            publish_analysis(loop_state.registry, stage, counts);
        }
        if stats_line.due() {
            stats::log_stats(&loop_state.registry.snapshot(), "stats");
        }
    }
}

/// Analyses one line of standard input, or counts and logs why it is skipped.
fn handle_stdin_line(
    stage: &mut RuleStage,
    counts: &mut CollectorStats,
    skipped: &mut u64,
    source: &EventSource,
    line: &[u8],
    too_long: bool,
) -> anyhow::Result<()> {
    let prepared = if too_long {
        Err(SkipReason::TooLong)
    } else if dnstel_logcollector::is_empty_line(line) {
        return Ok(());
    } else {
        dnstel_logcollector::prepare_line_in(line, &[], stage.take_line_buffer())
    };
    let reason = match prepared {
        Ok(text) => match stage.process_line(text, source)? {
            Some(reason) => reason,
            None => return Ok(()),
        },
        Err(reason) => reason,
    };
    *skipped += 1;
    counts.count_skip(reason);
    // The first ten are logged, then one in a thousand.
    if *skipped <= 10 || *skipped % 1000 == 0 {
        warn!(
            skipped = *skipped,
            "skipped a line of standard input: {}",
            reason.describe()
        );
    }
    Ok(())
}

/// The signal flags, counters and timing that the standard input loop uses between chunks.
struct StdinLoop<'a> {
    signals: &'a SignalFlags,
    registry: &'a Registry,
    stats_interval: Duration,
}

/// Returns the configuration's labels with `overrides` applied: a key given again takes the
/// new value in place, and a new key is added at the end.
fn merge_labels(
    configured: &[(String, String)],
    overrides: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut labels = configured.to_vec();
    for (key, value) in overrides {
        match labels.iter_mut().find(|(existing, _)| *existing == key) {
            Some(label) => label.1 = value,
            None => labels.push((key, value)),
        }
    }
    labels
}

/// Copies the collector's skip counters into the stage's counters and publishes them.
fn publish_analysis(registry: &Registry, stage: &mut RuleStage, collected: &CollectorStats) {
    stage.counters.lines_skipped = vec![
        ("too_long", collected.too_long),
        ("nul_byte", collected.nul_byte),
        ("not_json_object", collected.not_json_object),
        ("unterminated", collected.unterminated_lines),
    ];
    registry.publish_analysis(stage.counters.clone());
}

/// Loads the ruleset and builds the analyzer; also used to reload the rules on SIGHUP.
fn build_analyzer(
    args: &RulesetArgs,
    log_alert_level: Option<u8>,
    file_config: &config::AnalyzeConfig,
) -> anyhow::Result<Analyzer> {
    if file_config.json_output == Some(false) || file_config.alerts_log == Some(false) {
        return Err(usage_error(anyhow::anyhow!(
            "jsonout_output and alerts_log set to no are not supported; dnstel writes both files"
        )));
    }
    let settings = FileSettings {
        ruleset_dir: file_config.ruleset_dir.clone(),
        rules: file_config.rules.clone(),
        decoders: file_config.decoders.clone(),
        lists: file_config.lists.clone(),
        log_alert_level: file_config.log_alert_level,
        email_alert_level: file_config.email_alert_level,
    };
    analyzer_setup::analyzer_from_args(args, log_alert_level, &settings)
}
