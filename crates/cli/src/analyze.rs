//! The `dnstel analyze` subcommand: follows event files and writes Wazuh-style alerts.

mod config;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Local;
use clap::Args;
use dnstel_analysis::loading::RulesetRequest;
use dnstel_analysis::{AgentInfo, AlertWriter, AnalysisConfig, Analyzer, EventSource, Session};
use dnstel_logcollector::{CollectedLine, Collector, CollectorOptions};
use tracing::{info, warn};

use crate::analyzer_setup::{self, RulesetArgs};
use crate::exit::{config_error, usage_error};
use crate::logging;

/// How long the loop sleeps when every file is at its end.
const IDLE_SLEEP: Duration = Duration::from_millis(250);
/// Events handled per batch; positions are saved after each batch.
const BATCH_EVENTS: usize = 1000;

/// Options of `dnstel analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// An analyzer configuration in Wazuh's ossec.conf format (<localfile>, <ruleset>,
    /// <labels>, <global>, <alerts> blocks).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: PathBuf,

    /// Folder for alerts.json, alerts.log and the read positions.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/dnstel")]
    data_dir: PathBuf,

    /// Stops at the current end of the inputs; files without a stored position start at their
    /// beginning.
    #[arg(long)]
    once: bool,

    #[command(flatten)]
    ruleset: RulesetArgs,
}

/// Runs `dnstel analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    logging::init("info");
    let file_config = config::load(&args.config).map_err(config_error)?;
    if !file_config.not_applied.is_empty() {
        info!(
            options = %file_config.not_applied.join(", "),
            "configuration options accepted but not applied by dnstel"
        );
    }
    if file_config.local_files.is_empty() {
        return Err(config_error(anyhow::anyhow!(
            "{} has no <localfile> with log_format json; nothing to read",
            args.config.display()
        )));
    }
    let analyzer = analyzer(&args, &file_config)?;
    let manager_name = analyzer.config().manager_name.clone();

    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create the data folder {}", args.data_dir.display()))?;
    let mut writer = AlertWriter::open(&args.data_dir)
        .with_context(|| format!("cannot open the alert files in {}", args.data_dir.display()))?;
    let mut collector = Collector::new(
        file_config.local_files.clone(),
        CollectorOptions {
            positions_path: Some(args.data_dir.join("positions.json")),
            start_at_beginning: args.once,
            ..CollectorOptions::default()
        },
    )
    .context("cannot load the read positions")?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .with_context(|| format!("failed to install the handler of signal {signal}"))?;
    }
    info!(data_dir = %args.data_dir.display(), "analyzer started");

    let agent = AgentInfo {
        id: "000".to_owned(),
        name: Some(manager_name),
        ip: None,
        labels: file_config.labels.clone(),
    };
    let mut session = Session::new();
    let mut batch: Vec<CollectedLine> = Vec::with_capacity(BATCH_EVENTS);
    let mut alerts = 0u64;
    while !stop.load(Ordering::Relaxed) {
        batch.clear();
        let at_end = collector.poll(BATCH_EVENTS, &mut batch);
        for line in &batch {
            let source = EventSource {
                location: line.location.clone(),
                agent: agent.clone(),
            };
            let now = Local::now().fixed_offset();
            let outcome = analyzer.process(&mut session, &line.event, &source, now, false);
            if let (true, Some(alert)) = (outcome.logged, &outcome.alert) {
                writer.write(alert).context("failed to write an alert")?;
                alerts += 1;
            }
        }
        // Alerts reach the files before the positions move past their events, so a crash
        // repeats events at worst and never loses one.
        writer.flush().context("failed to flush the alert files")?;
        if let Err(error) = collector.save_positions() {
            warn!(%error, "failed to save the read positions");
        }
        if at_end {
            if args.once {
                break;
            }
            std::thread::sleep(IDLE_SLEEP);
        }
    }
    let stats = collector.stats();
    info!(
        events = stats.events,
        alerts,
        too_long = stats.too_long,
        nul_byte = stats.nul_byte,
        not_json_object = stats.not_json_object,
        rotations = stats.rotations,
        truncations = stats.truncations,
        read_errors = stats.read_errors,
        "analyzer stopped"
    );
    Ok(())
}

fn analyzer(args: &AnalyzeArgs, file_config: &config::AnalyzeConfig) -> anyhow::Result<Analyzer> {
    let mut request = RulesetRequest {
        dir: args
            .ruleset
            .ruleset
            .clone()
            .or(file_config.ruleset_dir.clone()),
        extra_rules: file_config.rules.clone(),
        extra_decoders: file_config.decoders.clone(),
    };
    request
        .extra_rules
        .extend(args.ruleset.rules.iter().cloned());
    request
        .extra_decoders
        .extend(args.ruleset.decoders.iter().cloned());
    let loaded = analyzer_setup::load_ruleset(&request)?;
    if file_config.json_output == Some(false) || file_config.alerts_log == Some(false) {
        return Err(usage_error(anyhow::anyhow!(
            "jsonout_output and alerts_log set to no are not supported; dnstel writes both files"
        )));
    }
    let config = AnalysisConfig {
        log_alert_level: args
            .ruleset
            .log_alert_level
            .or(file_config.log_alert_level)
            .unwrap_or(analyzer_setup::DEFAULT_LOG_ALERT_LEVEL),
        email_alert_level: file_config
            .email_alert_level
            .unwrap_or(analyzer_setup::DEFAULT_EMAIL_ALERT_LEVEL),
        manager_name: args
            .ruleset
            .manager_name
            .clone()
            .unwrap_or_else(analyzer_setup::host_name),
        mitre: analyzer_setup::mitre_table(&args.ruleset.mitre_version)?,
    };
    Ok(analyzer_setup::build_analyzer(loaded, config))
}
