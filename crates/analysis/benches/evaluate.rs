// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

//! Rule evaluation speed: one Packetbeat DNS event through the built-in ruleset, and through
//! Wazuh's default ruleset when the shared references are beside the repository.

use std::path::PathBuf;

use chrono::DateTime;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dnstel_analysis::loading::{self, LoadedRuleset, RulesetRequest};
use dnstel_analysis::mitre::MitreTable;
use dnstel_analysis::{AnalysisConfig, Analyzer, EventSource, Session};

/// A Packetbeat 7.17 DNS event that the built-in rule 200300 alerts on.
const EVENT: &str = include_str!("data/event.json");

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn analyzer(loaded: LoadedRuleset) -> Analyzer {
    let config = AnalysisConfig {
        log_alert_level: 3,
        email_alert_level: 12,
        manager_name: "bench".to_owned(),
        mitre: MitreTable::bundled("13.1").expect("ATT&CK 13.1 is bundled"),
    };
    Analyzer::new(loaded.rules, loaded.decoders, config)
}

fn bench_ruleset(c: &mut Criterion, name: &str, analyzer: &Analyzer) {
    let line = EVENT.replace('\n', " ");
    let source = EventSource {
        location: "/var/log/packetbeat/packetbeat.json".into(),
        ..EventSource::default()
    };
    let time = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("valid timestamp");
    let mut session = Session::new();
    let outcome = analyzer.process(&mut session, &line, &source, time, false);
    assert!(outcome.alert.is_some(), "the bench event raises an alert");

    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter(|| analyzer.process(&mut session, &line, &source, time, false))
    });
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let builtin = loading::builtin().expect("the built-in ruleset loads");
    bench_ruleset(c, "builtin_ruleset", &analyzer(builtin));

    let wazuh = shared_dir().join("wazuh/ruleset");
    if wazuh.is_dir() {
        let request = RulesetRequest {
            dir: Some(wazuh),
            ..RulesetRequest::default()
        };
        match loading::load(&request) {
            Ok(loaded) => bench_ruleset(c, "wazuh_default_ruleset", &analyzer(loaded)),
            Err(error) => eprintln!("skipping the Wazuh ruleset: {error}"),
        }
    }
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
