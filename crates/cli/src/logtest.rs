//! The `dnstel logtest` subcommand: evaluates rules over events read from standard input, one
//! per line, in one session, and prints what `wazuh-logtest` prints (or one JSON line per
//! event with `--json`). With `--test` it runs Wazuh ruleset test files instead.

use std::borrow::Cow;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, Local};
use clap::Args;
use dnstel_analysis::json::JsonValue;
use dnstel_analysis::testini::{parse_ini, run_sections};
use dnstel_analysis::{AgentInfo, Analyzer, EventSource, Outcome, Session};
use dnstel_logcollector::{SkipReason, MAX_LINE_BYTES};

use crate::analyzer_setup::{self, FileSettings, RulesetArgs};
use crate::logging;

/// Options of `dnstel logtest`.
#[derive(Debug, Args)]
pub struct LogtestArgs {
    /// Location of the events, as alerts show it.
    #[arg(long, default_value = "stdin")]
    location: String,
    /// Agent id; 000 means the manager itself.
    #[arg(long, default_value = "000")]
    agent_id: String,
    /// Agent name (agents other than 000).
    #[arg(long)]
    agent_name: Option<String>,
    /// Agent IP address (agents other than 000).
    #[arg(long)]
    agent_ip: Option<String>,
    /// Agent label KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,
    #[command(flatten)]
    ruleset: RulesetArgs,
    /// Minimum rule level that raises an alert. Matches of lower rules print no "Alert to be
    /// generated" line, and --json prints them with "alert": false.
    #[arg(
        long,
        value_name = "LEVEL",
        default_value_t = analyzer_setup::DEFAULT_LOG_ALERT_LEVEL,
        value_parser = analyzer_setup::alert_level_parser()
    )]
    log_alert_level: u8,
    /// Prints the rules tried for each event.
    #[arg(long)]
    trace: bool,
    /// Prints one JSON line per event: {"alert": bool, "output": object}.
    #[arg(long)]
    json: bool,
    /// Runs Wazuh ruleset test files (.ini) instead of reading standard input.
    #[arg(long, value_name = "FILE.ini", num_args = 1..)]
    test: Vec<PathBuf>,
}

/// Runs `dnstel logtest`.
pub fn run(args: LogtestArgs) -> anyhow::Result<()> {
    logging::init("warn");
    let analyzer = analyzer_setup::analyzer_from_args(
        &args.ruleset,
        Some(args.log_alert_level),
        &FileSettings::default(),
    )?;
    if !args.test.is_empty() {
        return run_tests(&analyzer, &args.test);
    }
    let source = event_source(&args)?;
    run_stdin(&analyzer, &source, &args)
}

fn event_source(args: &LogtestArgs) -> anyhow::Result<EventSource> {
    let labels = crate::labels::parse_command_line(&args.labels)?;
    Ok(EventSource {
        location: args.location.as_str().into(),
        agent: AgentInfo {
            id: args.agent_id.clone(),
            name: args.agent_name.clone(),
            ip: args.agent_ip.clone(),
            labels,
        },
    })
}

fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// Maximum length of an event line in bytes, without its newline: the longest line Wazuh's
/// logcollector reads as one line.
pub(crate) const MAX_EVENT_BYTES: usize = MAX_LINE_BYTES - 1;

fn run_stdin(analyzer: &Analyzer, source: &EventSource, args: &LogtestArgs) -> anyhow::Result<()> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut session = Session::new();
    let mut alerts_log_offset = 0u64;
    let mut line = Vec::new();
    let mut line_number = 0u64;
    let mut skipped = 0u64;
    // Reused for every event: the alerts.log record (only its length is needed) and the
    // output line.
    let mut record = String::new();
    let mut output = String::new();
    while let Some(too_long) = read_bounded_line(&mut input, &mut line, MAX_EVENT_BYTES)
        .context("failed to read standard input")?
    {
        line_number += 1;
        if too_long {
            skipped += 1;
            tracing::warn!(
                line = line_number,
                "skipped a line: {}",
                SkipReason::TooLong.describe()
            );
            continue;
        }
        // Skipped without a count, as `dnstel analyze` skips them.
        if dnstel_logcollector::is_empty_line(&line) {
            continue;
        }
        let text = utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        let outcome = analyzer.process(&mut session, text, source, now(), args.trace);
        let alert_id = format!("{}.{alerts_log_offset}", outcome.event.time.timestamp());
        if outcome.logged {
            if let Some(alert) = &outcome.alert {
                record.clear();
                dnstel_analysis::alerts_log::write_record(alert, &alert_id, &mut record);
                alerts_log_offset += record.len() as u64;
            }
        }
        output.clear();
        if args.json {
            write_json_line(&outcome, &alert_id, analyzer, &mut output);
            output.push('\n');
        } else {
            output.push_str(&text_report(&outcome, args.trace));
        }
        out.write_all(output.as_bytes())?;
    }
    out.flush()?;
    if skipped > 0 {
        eprintln!(
            "dnstel: skipped {skipped} line(s) longer than {MAX_LINE_BYTES} bytes including \
             the newline"
        );
    }
    Ok(())
}

/// Reads one line (without its newline) into `line`, keeping at most `max` bytes. Returns
/// `None` at end of input, else whether the line was longer than `max`.
pub(crate) fn read_bounded_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<bool>> {
    line.clear();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(read_any.then_some(too_long));
        }
        read_any = true;
        let (chunk, consumed, done) = match memchr::memchr(b'\n', buffer) {
            Some(end) => (&buffer[..end], end + 1, true),
            None => (buffer, buffer.len(), false),
        };
        if line.len() + chunk.len() > max {
            too_long = true;
        } else {
            line.extend_from_slice(chunk);
        }
        input.consume(consumed);
        if done {
            return Ok(Some(too_long));
        }
    }
}

/// Converts `bytes` to text, replacing invalid UTF-8 with U+FFFD. Valid text, the common
/// case, is borrowed after the faster `from_utf8` check.
pub(crate) fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Appends `{"alert": logged, "output": ...}` for one event to `out`.
fn write_json_line(outcome: &Outcome, alert_id: &str, analyzer: &Analyzer, out: &mut String) {
    out.push_str("{\"alert\":");
    out.push_str(if outcome.logged { "true" } else { "false" });
    out.push_str(",\"output\":");
    match &outcome.alert {
        Some(alert) => alert.write_json(outcome.logged.then_some(alert_id), out),
        None => decoded_only(outcome, analyzer).write(out, None),
    }
    out.push('}');
}

fn decoded_only(outcome: &Outcome, analyzer: &Analyzer) -> JsonValue {
    let event = &outcome.event;
    let mut members = vec![(
        "timestamp".to_string(),
        JsonValue::String(event.time.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()),
    )];
    members.push((
        "manager".to_string(),
        JsonValue::Object(vec![(
            "name".to_string(),
            JsonValue::String(analyzer.config().manager_name.clone()),
        )]),
    ));
    members.push((
        "full_log".to_string(),
        JsonValue::String(event.full_log.clone()),
    ));
    if let Some(decoder) = &event.decoder {
        members.push((
            "decoder".to_string(),
            JsonValue::Object(vec![(
                "name".to_string(),
                JsonValue::String(decoder.name.clone()),
            )]),
        ));
    }
    let data = dnstel_analysis::data::build_data(event);
    if !data.is_empty() {
        members.push(("data".to_string(), JsonValue::Object(data)));
    }
    members.push((
        "location".to_string(),
        JsonValue::String(event.location.to_string()),
    ));
    JsonValue::Object(members)
}

fn text_report(outcome: &Outcome, trace: bool) -> String {
    let event = &outcome.event;
    let mut out = String::new();
    out.push_str("\n**Phase 1: Completed pre-decoding.\n");
    out.push_str(&format!("\tfull event: '{}'\n", event.full_log));
    if let Some(timestamp) = &event.header_timestamp {
        out.push_str(&format!("\ttimestamp: '{timestamp}'\n"));
    }
    if let Some(hostname) = &event.header_hostname {
        out.push_str(&format!("\thostname: '{hostname}'\n"));
    }
    if let Some(program) = &event.program_name {
        out.push_str(&format!("\tprogram_name: '{program}'\n"));
    }
    match &event.decoder {
        None => out.push_str("\n**Phase 2: Completed decoding.\n\tNo decoder matched.\n"),
        Some(decoder) => {
            out.push_str("\n**Phase 2: Completed decoding.\n");
            out.push_str(&format!("\tname: '{}'\n", decoder.name));
            if let Some(parent) = &decoder.parent {
                out.push_str(&format!("\tparent: '{parent}'\n"));
            }
            for field in dnstel_analysis::StaticField::ALL {
                if let Some(value) = event.static_field(field) {
                    out.push_str(&format!("\t{}: '{value}'\n", field.alert_name()));
                }
            }
            for (key, value) in event.fields() {
                out.push_str(&format!("\t{key}: '{value}'\n"));
            }
        }
    }
    if trace {
        out.push_str("\n**Rule debugging:\n");
        for line in &outcome.trace {
            let indent = if line.starts_with('*') { "\t\t" } else { "\t" };
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
    if let Some(alert) = &outcome.alert {
        out.push_str("\n**Phase 3: Completed filtering (rules).\n");
        out.push_str(&format!("\tid: '{}'\n", alert.rule.id));
        out.push_str(&format!("\tlevel: '{}'\n", alert.rule.level));
        out.push_str(&format!("\tdescription: '{}'\n", alert.rule.description));
        let groups = dnstel_analysis::alert::split_groups(&alert.rule.group_string);
        for (name, value) in groups {
            out.push_str(&format!("\t{name}: '{}'\n", python_list(&value)));
        }
        if let Some(firedtimes) = alert.rule.firedtimes {
            out.push_str(&format!("\tfiredtimes: '{firedtimes}'\n"));
        }
        let mail = if alert.rule.mail { "True" } else { "False" };
        out.push_str(&format!("\tmail: '{mail}'\n"));
        if let Some(JsonValue::Object(mitre)) = alert.rule.mitre.as_deref() {
            for (name, value) in mitre {
                out.push_str(&format!("\tmitre.{name}: '{}'\n", python_list(value)));
            }
        }
        if outcome.logged {
            out.push_str("**Alert to be generated.\n");
        }
    }
    out.push('\n');
    out
}

/// Renders a JSON array of strings as Python prints a list (`['a', 'b']`), as wazuh-logtest does.
fn python_list(value: &JsonValue) -> String {
    let JsonValue::Array(items) = value else {
        return value.to_compact();
    };
    let parts: Vec<String> = items
        .iter()
        .map(|item| match item {
            JsonValue::String(text) => format!("'{text}'"),
            other => other.to_compact(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn run_tests(analyzer: &Analyzer, files: &[PathBuf]) -> anyhow::Result<()> {
    let mut passed = 0usize;
    let mut failed = 0usize;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("failed to read test file {}", file.display()))?;
        let sections = parse_ini(&text);
        for result in run_sections(analyzer, &sections, now()) {
            let status = if result.passed { "pass" } else { "FAIL" };
            writeln!(
                out,
                "{status} {} [{}] {}: expected rule={} level={} decoder={}; got rule={} level={} decoder={}",
                file.display(),
                result.section,
                result.case,
                result.expected.0,
                result.expected.1,
                result.expected.2,
                result.actual.0,
                result.actual.1,
                result.actual.2
            )?;
            if result.passed {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    if failed > 0 {
        anyhow::bail!("{failed} ruleset test cases failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_flag_long_ones() {
        let mut input = io::Cursor::new(b"short\n0123456789\nlast".to_vec());
        let mut line = Vec::new();
        assert_eq!(
            read_bounded_line(&mut input, &mut line, 8).ok(),
            Some(Some(false))
        );
        assert_eq!(line, b"short");
        assert_eq!(
            read_bounded_line(&mut input, &mut line, 8).ok(),
            Some(Some(true))
        );
        assert_eq!(
            read_bounded_line(&mut input, &mut line, 8).ok(),
            Some(Some(false))
        );
        assert_eq!(line, b"last");
        assert_eq!(read_bounded_line(&mut input, &mut line, 8).ok(), Some(None));
    }
}
