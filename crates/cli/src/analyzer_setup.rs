//! Options and setup shared by the commands that evaluate rules.

use std::path::PathBuf;

use clap::Args;
use dnstel_analysis::loading::{self, LoadedRuleset, RulesetRequest};
use dnstel_analysis::{AnalysisConfig, Analyzer, MitreTable};

use crate::exit::{config_error, usage_error};

/// The level below which Wazuh's shipped configuration writes no alert.
pub const DEFAULT_LOG_ALERT_LEVEL: u8 = 3;
/// The level from which Wazuh's shipped configuration marks an alert for mail.
pub const DEFAULT_EMAIL_ALERT_LEVEL: u8 = 12;

/// Ruleset, manager and MITRE options.
#[derive(Debug, Clone, Args)]
pub struct RulesetArgs {
    /// Wazuh-layout ruleset folder (rules/, decoders/, lists/), loaded in Wazuh's order.
    /// Without a ruleset folder or rule files, the built-in ruleset is used.
    #[arg(long, value_name = "DIR")]
    pub ruleset: Option<PathBuf>,
    /// Rule file or folder, loaded after the ruleset (repeatable).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Decoder file or folder, loaded after the ruleset (repeatable).
    #[arg(long, value_name = "PATH")]
    pub decoders: Vec<PathBuf>,
    /// `manager.name` in alerts; defaults to the host name.
    #[arg(long, value_name = "NAME")]
    pub manager_name: Option<String>,
    /// MITRE ATT&CK version of the technique table.
    #[arg(long, value_name = "VERSION", default_value = dnstel_analysis::mitre::DEFAULT_VERSION)]
    pub mitre_version: String,
}

/// Returns the parser of `--log-alert-level`: a rule level from 0 to 16. Each command declares
/// the option itself, because its help text differs by command.
pub fn alert_level_parser() -> clap::builder::RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(0..=16)
}

/// Returns the MITRE table for `version`, or a usage error listing the bundled versions.
pub fn mitre_table(version: &str) -> anyhow::Result<MitreTable> {
    MitreTable::bundled(version).ok_or_else(|| {
        usage_error(anyhow::anyhow!(
            "unknown MITRE ATT&CK version {version:?}; use one of {}",
            dnstel_analysis::mitre::versions()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Returns the host name, as Wazuh names its manager.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// Loads the ruleset a request names. Files named one by one must load cleanly; a ruleset
/// folder may contain files dnstel cannot read, which are logged and skipped.
pub fn load_ruleset(request: &RulesetRequest) -> anyhow::Result<LoadedRuleset> {
    if let Some(dir) = &request.dir {
        check_ruleset_dir(dir)?;
    }
    let loaded = loading::load(request).map_err(config_error)?;
    let loaded = if request.dir.is_none() {
        loaded.into_strict().map_err(config_error)?
    } else {
        for error in &loaded.errors {
            tracing::warn!("skipped: {error}");
        }
        loaded
    };
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok(loaded)
}

/// Rejects a ruleset folder without a `rules/` subfolder, the usual slip of naming Wazuh's
/// installation folder instead of its ruleset folder; it would load no rule at all.
fn check_ruleset_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Err(config_error(anyhow::anyhow!(
            "ruleset folder {} does not exist",
            dir.display()
        )));
    }
    if !dir.join("rules").is_dir() {
        return Err(config_error(anyhow::anyhow!(
            "ruleset folder {} has no rules/ subfolder; name a Wazuh-layout ruleset folder \
             such as /var/ossec/ruleset (with rules/, decoders/ and lists/)",
            dir.display()
        )));
    }
    Ok(())
}

/// Builds an analyzer from a loaded ruleset and output settings.
pub fn build_analyzer(loaded: LoadedRuleset, config: AnalysisConfig) -> Analyzer {
    let analyzer = Analyzer::new(loaded.rules, loaded.decoders, config);
    for warning in analyzer.tree().warnings() {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        rules = analyzer.tree().len(),
        decoders = analyzer.decoder_count(),
        log_alert_level = analyzer.config().log_alert_level,
        "rules loaded"
    );
    analyzer
}

/// Settings from a configuration file that the command line can override.
#[derive(Debug, Clone, Default)]
pub struct FileSettings {
    /// A ruleset folder the file names; `--ruleset` wins over it.
    pub ruleset_dir: Option<PathBuf>,
    /// Rule files the file names, loaded before `--rules`.
    pub rules: Vec<PathBuf>,
    /// Decoder files the file names, loaded before `--decoders`.
    pub decoders: Vec<PathBuf>,
    /// Lists the file names, as (the path rules use, the text file).
    pub lists: Vec<(String, PathBuf)>,
    /// `log_alert_level`; `--log-alert-level` wins over it.
    pub log_alert_level: Option<u8>,
    /// `email_alert_level`.
    pub email_alert_level: Option<u8>,
}

/// Loads the ruleset and builds the analyzer that `args` and `file` describe, with
/// `log_alert_level` from the command line winning over the file's. Also used to reload the
/// rules on SIGHUP.
pub fn analyzer_from_args(
    args: &RulesetArgs,
    log_alert_level: Option<u8>,
    file: &FileSettings,
) -> anyhow::Result<Analyzer> {
    let mut request = RulesetRequest {
        dir: args.ruleset.clone().or(file.ruleset_dir.clone()),
        extra_rules: file.rules.clone(),
        extra_decoders: file.decoders.clone(),
        extra_lists: file.lists.clone(),
    };
    request.extra_rules.extend(args.rules.iter().cloned());
    request.extra_decoders.extend(args.decoders.iter().cloned());
    let loaded = load_ruleset(&request)?;
    let config = AnalysisConfig {
        log_alert_level: log_alert_level
            .or(file.log_alert_level)
            .unwrap_or(DEFAULT_LOG_ALERT_LEVEL),
        email_alert_level: file.email_alert_level.unwrap_or(DEFAULT_EMAIL_ALERT_LEVEL),
        manager_name: args.manager_name.clone().unwrap_or_else(host_name),
        mitre: mitre_table(&args.mitre_version)?,
    };
    Ok(build_analyzer(loaded, config))
}
