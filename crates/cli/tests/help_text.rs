//! Help text that differs by command: each command's help describes what that command does.

mod support;

/// Returns the help line of `option` in `dnstel COMMAND --help`.
fn option_help(command: &str, option: &str) -> String {
    let output = support::dnstel()
        .args([command, "--help"])
        .output()
        .expect("run dnstel");
    assert!(output.status.success(), "dnstel {command} --help failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8 help");
    text.lines()
        .find(|line| line.trim_start().starts_with(option))
        .unwrap_or_else(|| panic!("no {option} in the help of {command}:\n{text}"))
        .to_owned()
}

/// Only `analyze` reads a configuration with a `log_alert_level`, so only its help names one.
#[test]
fn log_alert_level_default_per_command() {
    for command in ["run", "logtest"] {
        let help = option_help(command, "--log-alert-level");
        assert!(help.contains("[default: 3]"), "{command}: {help}");
        assert!(!help.contains("configuration"), "{command}: {help}");
    }
    let logtest = option_help("logtest", "--log-alert-level");
    assert!(logtest.contains("\"alert\": false"), "{logtest}");
    let run = option_help("run", "--log-alert-level");
    assert!(!run.contains("logtest"), "{run}");
    let analyze = option_help("analyze", "--log-alert-level");
    assert!(analyze.contains("<alerts><log_alert_level>"), "{analyze}");
    assert!(
        analyze.contains("[default: the configuration's, else 3]"),
        "{analyze}"
    );
}

/// `analyze` may take its ruleset folder and rule files from its configuration, so the help of
/// `--ruleset` names no option as the only other source.
#[test]
fn ruleset_fallback_names_no_option() {
    for command in ["run", "analyze", "logtest"] {
        let help = option_help(command, "--ruleset");
        assert!(help.contains("built-in ruleset"), "{command}: {help}");
        assert!(!help.contains("without --rules"), "{command}: {help}");
    }
}

/// `run` gives its data folder to the `--user` user itself, so its help requires no writable
/// folder. `capture` leaves its output folder alone, so its help does.
#[test]
fn user_help_per_command() {
    let run = option_help("run", "--user");
    assert!(run.contains("give DIR"), "{run}");
    assert!(!run.contains("must be writable"), "{run}");
    let capture = option_help("capture", "--user");
    assert!(capture.contains("must be writable"), "{capture}");
}
