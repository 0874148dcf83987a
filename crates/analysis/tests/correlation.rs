//! Correlation options over one session: frequency with `if_matched_sid`, `same_field`,
//! `different_field`, `same_*` static fields, timeframe, `ignore` and `firedtimes`.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset};
use dnstel_analysis::decoding::DecoderSet;
use dnstel_analysis::{AgentInfo, AnalysisConfig, Analyzer, EventSource, MitreTable, Session};
use dnstel_ruleset::matcher::{FieldMatch, MatchKind, Pattern};
use dnstel_ruleset::rule::DynamicFieldMatch;
use dnstel_ruleset::{Category, CorrelationField, Rule};

fn field(name: &str, pattern: &str) -> DynamicFieldMatch {
    DynamicFieldMatch {
        name: name.into(),
        matcher: FieldMatch {
            pattern: Pattern::compile(MatchKind::OsRegex, pattern).unwrap(),
            negate: false,
        },
    }
}

fn root() -> Rule {
    Rule {
        id: 1,
        noalert: true,
        category: Some(Category::Syslog),
        description: "root".into(),
        ..Rule::default()
    }
}

fn base() -> Rule {
    Rule {
        id: 100,
        level: 3,
        fields: vec![field("kind", "^query$")],
        description: "query $(name)".into(),
        group_string: "test,".into(),
        ..Rule::default()
    }
}

fn repeated(configure: impl FnOnce(&mut Rule)) -> Rule {
    let mut rule = Rule {
        id: 101,
        level: 8,
        if_sid: vec![100],
        if_matched_sid: Some(100),
        frequency: Some(3),
        timeframe: Some(60),
        description: "repeated".into(),
        group_string: "test,".into(),
        ..Rule::default()
    };
    configure(&mut rule);
    rule
}

fn analyzer(rules: Vec<Rule>) -> Analyzer {
    let mut decoders = Vec::new();
    DecoderSet::ensure_json(&mut decoders);
    let config = AnalysisConfig {
        log_alert_level: 3,
        email_alert_level: 12,
        manager_name: "manager".into(),
        mitre: MitreTable::bundled("13.1").unwrap(),
    };
    Analyzer::new(rules, decoders, config)
}

fn source() -> EventSource {
    EventSource {
        location: "stdin".into(),
        agent: AgentInfo {
            id: "000".into(),
            ..AgentInfo::default()
        },
    }
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").unwrap()
}

/// Runs the lines one second apart and returns the rule id each one ended on.
fn run(analyzer: &Analyzer, lines: &[&str]) -> Vec<u32> {
    let mut session = Session::new();
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let time = start() + Duration::seconds(index as i64);
            let outcome = analyzer.process(&mut session, line, &source(), time, false);
            outcome.alert.map_or(0, |alert| alert.rule.id)
        })
        .collect()
}

const Q_A: &str = r#"{"kind":"query","name":"a","srcip":"10.0.0.1"}"#;
const Q_B: &str = r#"{"kind":"query","name":"b","srcip":"10.0.0.2"}"#;

#[test]
fn frequency_fires_on_third_event() {
    let analyzer = analyzer(vec![root(), base(), repeated(|_| {})]);
    assert_eq!(
        run(&analyzer, &[Q_A, Q_A, Q_A, Q_A]),
        vec![100, 100, 101, 100]
    );
}

#[test]
fn same_field_requires_equal_values() {
    let analyzer = analyzer(vec![
        root(),
        base(),
        repeated(|rule| rule.same_fields = vec!["name".into()]),
    ]);
    assert_eq!(run(&analyzer, &[Q_A, Q_B, Q_A]), vec![100, 100, 100]);
    assert_eq!(
        run(&analyzer, &[Q_A, Q_B, Q_A, Q_A]),
        vec![100, 100, 100, 101]
    );
}

#[test]
fn different_field_rejects_equal_values() {
    let analyzer = analyzer(vec![
        root(),
        base(),
        repeated(|rule| {
            rule.frequency = Some(2);
            rule.different_fields = vec!["name".into()];
        }),
    ]);
    assert_eq!(run(&analyzer, &[Q_A, Q_A, Q_B]), vec![100, 100, 101]);
}

#[test]
fn same_source_ip_compares_static() {
    let analyzer = analyzer(vec![
        root(),
        base(),
        repeated(|rule| {
            rule.frequency = Some(2);
            rule.same = vec![CorrelationField::SrcIp];
        }),
    ]);
    assert_eq!(run(&analyzer, &[Q_A, Q_B, Q_B]), vec![100, 100, 101]);
}

#[test]
fn timeframe_expires_old_events() {
    let analyzer = analyzer(vec![
        root(),
        base(),
        repeated(|rule| {
            rule.frequency = Some(2);
            rule.timeframe = Some(10);
        }),
    ]);
    let mut session = Session::new();
    let first = analyzer.process(&mut session, Q_A, &source(), start(), false);
    assert_eq!(first.alert.unwrap().rule.id, 100);
    let late = start() + Duration::seconds(30);
    let second = analyzer.process(&mut session, Q_A, &source(), late, false);
    assert_eq!(second.alert.unwrap().rule.id, 100);
}

#[test]
fn fired_correlation_not_reused() {
    let analyzer = analyzer(vec![
        root(),
        base(),
        repeated(|rule| rule.frequency = Some(2)),
    ]);
    assert_eq!(
        run(&analyzer, &[Q_A, Q_A, Q_A, Q_A]),
        vec![100, 101, 100, 101]
    );
}

#[test]
fn ignore_falls_back_to_parent() {
    let mut child = Rule {
        id: 102,
        level: 5,
        if_sid: vec![100],
        ignore_secs: Some(60),
        description: "child".into(),
        ..Rule::default()
    };
    child.fields = vec![field("name", "^a$")];
    let analyzer = analyzer(vec![root(), base(), child]);
    assert_eq!(run(&analyzer, &[Q_A, Q_A]), vec![102, 100]);
}

#[test]
fn firedtimes_resets_each_hour() {
    let analyzer = analyzer(vec![root(), base()]);
    let mut session = Session::new();
    let mut fired = Vec::new();
    let times = [0, 1, 3600, 3601];
    for offset in times {
        let time = start() + Duration::seconds(offset);
        let outcome = analyzer.process(&mut session, Q_A, &source(), time, false);
        fired.push(outcome.alert.unwrap().rule.firedtimes.unwrap());
    }
    assert_eq!(fired, vec![1, 2, 1, 2]);
}

#[test]
fn description_and_frequency_in_alert() {
    let analyzer = analyzer(vec![root(), base(), repeated(|_| {})]);
    let mut session = Session::new();
    let mut last = None;
    for _ in 0..3 {
        last = Some(analyzer.process(&mut session, Q_A, &source(), start(), false));
    }
    let alert = last.unwrap().alert.unwrap();
    assert_eq!(alert.rule.frequency, Some(3));
    assert_eq!(alert.previous_output.len(), 2);
    let json = alert.to_json("1.0").to_compact();
    assert!(json.contains(r#""previous_output":"#));
    assert!(json.contains(r#""frequency":3,"firedtimes":1"#));
}

#[test]
fn level_zero_child_tried_first() {
    let silent = Rule {
        id: 103,
        level: 0,
        if_sid: vec![100],
        fields: vec![field("name", "^a$")],
        description: "silence a".into(),
        ..Rule::default()
    };
    let loud = Rule {
        id: 104,
        level: 10,
        if_sid: vec![100],
        description: "loud".into(),
        ..Rule::default()
    };
    let analyzer = analyzer(vec![root(), base(), loud, silent]);
    let mut session = Session::new();
    let outcome = analyzer.process(&mut session, Q_A, &source(), start(), false);
    let alert = outcome.alert.unwrap();
    assert_eq!(alert.rule.id, 103);
    assert!(!outcome.logged);
    let outcome = analyzer.process(&mut session, Q_B, &source(), start(), false);
    assert_eq!(outcome.alert.unwrap().rule.id, 104);
}

#[test]
fn noalert_rule_falls_through() {
    let quiet = Rule {
        id: 105,
        level: 5,
        noalert: true,
        if_sid: vec![100],
        description: "quiet".into(),
        ..Rule::default()
    };
    let other = Rule {
        id: 106,
        level: 4,
        if_sid: vec![100],
        description: "other".into(),
        ..Rule::default()
    };
    let analyzer = analyzer(vec![root(), base(), quiet, other]);
    assert_eq!(run(&analyzer, &[Q_A]), vec![106]);
}

#[test]
fn check_if_ignored_drops_repeats() {
    let mut rule = base();
    rule.ignore_fields = vec!["name".into()];
    rule.check_if_ignored = vec!["name".into()];
    let analyzer = analyzer(vec![root(), rule]);
    assert_eq!(run(&analyzer, &[Q_A, Q_A, Q_B]), vec![100, 0, 100]);
}

#[test]
fn alert_agent_follows_each_source() {
    let analyzer = analyzer(vec![root(), base()]);
    let mut session = Session::new();
    let remote = EventSource {
        location: "/var/log/packetbeat".into(),
        agent: AgentInfo {
            id: "017".into(),
            name: Some("web01".into()),
            labels: vec![("_agent_ip".into(), "10.0.0.5".into())],
            ..AgentInfo::default()
        },
    };
    let mut agents = Vec::new();
    for source in [source(), remote.clone(), remote, source()] {
        let outcome = analyzer.process(&mut session, Q_A, &source, start(), false);
        let agent = outcome.alert.unwrap().agent;
        agents.push((agent.id.clone(), agent.name.clone(), agent.ip.clone()));
    }
    let manager = ("000".to_string(), Some("manager".to_string()), None);
    let web = (
        "017".to_string(),
        Some("web01".to_string()),
        Some("10.0.0.5".to_string()),
    );
    assert_eq!(agents, vec![manager.clone(), web.clone(), web, manager]);
}
