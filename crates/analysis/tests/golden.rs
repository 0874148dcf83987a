//! The seed Packetbeat event through rule 200300 gives the alert Wazuh wrote, key order
//! included, apart from `timestamp`, `id` and `firedtimes`.

use std::path::PathBuf;

use chrono::DateTime;
use dnstel_analysis::json::JsonValue;
use dnstel_analysis::{AgentInfo, AnalysisConfig, Analyzer, EventSource, MitreTable, Session};
use dnstel_ruleset::matcher::{FieldMatch, MatchKind, Pattern};
use dnstel_ruleset::rule::DynamicFieldMatch;
use dnstel_ruleset::{Category, MitreRefs, Rule, RuleOptions};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn root_rule() -> Rule {
    Rule {
        id: 1,
        level: 0,
        noalert: true,
        category: Some(Category::Syslog),
        description: "root".into(),
        group_string: "syslog,".into(),
        ..Rule::default()
    }
}

fn rule_200300() -> Rule {
    let method = Pattern::compile(MatchKind::OsRegex, "QUERY").unwrap();
    Rule {
        id: 200300,
        level: 3,
        decoded_as: Some("json".into()),
        fields: vec![DynamicFieldMatch {
            name: "method".into(),
            matcher: FieldMatch {
                pattern: method,
                negate: false,
            },
        }],
        mitre: MitreRefs {
            ids: vec!["T1071".into()],
            ..MitreRefs::default()
        },
        description: "Linux: DNS Query".into(),
        options: RuleOptions {
            no_full_log: true,
            ..RuleOptions::default()
        },
        group_string: "linux,packetbeat,dns".into(),
        ..Rule::default()
    }
}

fn without_volatile(mut value: JsonValue) -> JsonValue {
    if let JsonValue::Object(members) = &mut value {
        members.retain(|(key, _)| key != "timestamp" && key != "id");
        for (key, member) in members.iter_mut() {
            if let (true, JsonValue::Object(rule)) = (key == "rule", member) {
                rule.retain(|(name, _)| name != "firedtimes");
            }
        }
    }
    value
}

#[test]
fn seed_event_gives_seed_alert() {
    let Ok(expected_text) = std::fs::read_to_string(shared().join("seed/alert-example.json"))
    else {
        eprintln!("shared seed data not present; skipping");
        return;
    };
    let event_text = std::fs::read_to_string(shared().join("seed/event-example.json")).unwrap();
    let expected = JsonValue::parse_prefix(&expected_text).unwrap();
    let config = AnalysisConfig {
        log_alert_level: 3,
        email_alert_level: 12,
        manager_name: "ASHWZH01".into(),
        mitre: MitreTable::bundled("6.0").unwrap(),
    };
    let mut decoders = Vec::new();
    dnstel_analysis::decoding::DecoderSet::ensure_json(&mut decoders);
    let analyzer = Analyzer::new(vec![root_rule(), rule_200300()], decoders, config);
    let source = EventSource {
        location: "/var/log/packetbeat".into(),
        agent: AgentInfo {
            id: "017".into(),
            name: Some("ubunutu2004vm".into()),
            ip: Some("192.168.252.191".into()),
            labels: vec![("customer".into(), "d827".into())],
        },
    };
    let time = DateTime::parse_from_rfc3339("2022-01-08T10:27:41.666+00:00").unwrap();
    let mut session = Session::new();
    let outcome = analyzer.process(&mut session, event_text.trim_end(), &source, time, false);
    assert!(outcome.logged);
    let alert = outcome.alert.unwrap();
    let actual = alert.to_json("1641637661.0");
    assert_eq!(
        without_volatile(actual).to_pretty(),
        without_volatile(expected).to_pretty()
    );
}
