//! A Packetbeat 7.16 DNS event through rule 200300, with ATT&CK 6.0, gives the alert a Wazuh
//! 4.2 manager wrote for it, key order included, apart from `timestamp`, `id` and `firedtimes`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::DateTime;
use dnstel_analysis::json::JsonValue;
use dnstel_analysis::{AgentInfo, AnalysisConfig, Analyzer, EventSource, MitreTable, Session};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
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
fn packetbeat_event_matches_wazuh_alert() {
    let Ok(expected_text) = std::fs::read_to_string(shared().join("seed/alert-example.json"))
    else {
        eprintln!("reference alert not present; skipping");
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
    let loaded = dnstel_analysis::loading::builtin().unwrap();
    let analyzer = Analyzer::new(loaded.rules, loaded.decoders, config);
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
