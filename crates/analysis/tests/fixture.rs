//! Own fixtures end to end: fixture rules loaded from XML on top of the built-in roots, a
//! Packetbeat-style DNS event, and the exact `alerts.json` line and `alerts.log` record.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::DateTime;
use dnstel_analysis::loading::{load, RulesetRequest};
use dnstel_analysis::{AgentInfo, AnalysisConfig, Analyzer, EventSource, MitreTable, Session};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn analyzer() -> Analyzer {
    let request = RulesetRequest {
        extra_rules: vec![data_dir().join("rules")],
        ..RulesetRequest::default()
    };
    let loaded = load(&request).unwrap().into_strict().unwrap();
    let config = AnalysisConfig {
        log_alert_level: 3,
        email_alert_level: 12,
        manager_name: "manager.example".into(),
        mitre: MitreTable::bundled("13.1").unwrap(),
    };
    Analyzer::new(loaded.rules, loaded.decoders, config)
}

fn local_source() -> EventSource {
    EventSource {
        location: "/var/log/packetbeat".into(),
        agent: AgentInfo {
            id: "000".into(),
            labels: vec![("env".into(), "lab".into())],
            ..AgentInfo::default()
        },
    }
}

#[test]
fn fixture_alert_json_exact() {
    let line = std::fs::read_to_string(data_dir().join("dns-query.json")).unwrap();
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01.250+00:00").unwrap();
    let mut session = Session::new();
    let outcome = analyzer().process(&mut session, line.trim_end(), &local_source(), time, false);
    assert!(outcome.logged);
    let alert = outcome.alert.unwrap();
    let expected = concat!(
        r#"{"timestamp":"2024-05-01T10:00:01.250+0000","#,
        r#""rule":{"level":5,"description":"Query for www.host.example","id":"900001","#,
        r#""mitre":{"id":["T1071.004"],"tactic":["Command and Control"],"technique":["DNS"]},"#,
        r#""firedtimes":1,"mail":false,"groups":["fixture","dns"],"pci_dss":["10.6.1"],"#,
        r#""gdpr":["IV_35.7.d"]},"#,
        r#""agent":{"id":"000","name":"manager.example","labels":{"env":"lab"}},"#,
        r#""manager":{"name":"manager.example"},"id":"1714557601.0","#,
    );
    let json = alert.to_json("1714557601.0").to_compact();
    assert!(json.starts_with(expected), "{json}");
    let data = concat!(
        r#""decoder":{"name":"json"},"data":{"status":"OK","#,
        r#""@timestamp":"2024-05-01T10:00:00.000Z","type":"dns","method":"QUERY","#,
        r#""dns":{"id":"4242","flags":{"recursion_desired":"true"},"#,
        r#""question":{"name":"www.host.example","type":"A"},"#,
        r#""answers":[{"name":"www.host.example","type":"A","ttl":"300","data":"192.0.2.7"}],"#,
        r#""header_flags":["RD","RA"]},"source":{"ip":"192.0.2.10","port":"53535"},"#,
        r#""event":{"duration":"1250000","ratio":"0.250000"}},"location":"/var/log/packetbeat"}"#,
    );
    assert!(json.ends_with(data), "{json}");
    assert!(json.contains(r#""full_log":"{\"@timestamp\""#));
}

#[test]
fn fixture_alerts_log_record() {
    let line = r#"{"dns":{"question":{"name":"a.example"}},"srcip":"192.0.2.1"}"#;
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01.250+00:00").unwrap();
    let mut session = Session::new();
    let outcome = analyzer().process(&mut session, line, &local_source(), time, false);
    let alert = outcome.alert.unwrap();
    let record = dnstel_analysis::alerts_log::format_record(&alert, "1714557601.0");
    let expected = "** Alert 1714557601.0: - fixture,dns,pci_dss_10.6.1,gdpr_IV_35.7.d,\n\
        2024 May 01 10:00:01 manager->/var/log/packetbeat\n\
        env: lab\n\
        Rule: 900001 (level 5) -> 'Query for a.example'\n\
        Src IP: 192.0.2.1\n\
        {\"dns\":{\"question\":{\"name\":\"a.example\"}},\"srcip\":\"192.0.2.1\"}\n\
        dns.question.name: a.example\n\n";
    assert_eq!(record, expected);
}

#[test]
fn fixture_level_zero_child_silences() {
    let line = r#"{"dns":{"question":{"name":"allowed.example"}}}"#;
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01Z").unwrap();
    let mut session = Session::new();
    let outcome = analyzer().process(&mut session, line, &local_source(), time, false);
    assert_eq!(outcome.alert.unwrap().rule.id, 900002);
    assert!(!outcome.logged);
}

#[test]
fn fixture_frequency_rule_fires() {
    let line = r#"{"dns":{"question":{"name":"x.example"}},"source":{"ip":"192.0.2.9"}}"#;
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01Z").unwrap();
    let analyzer = analyzer();
    let mut session = Session::new();
    let ids: Vec<u32> = (0..3)
        .map(|_| {
            let outcome = analyzer.process(&mut session, line, &local_source(), time, false);
            outcome.alert.unwrap().rule.id
        })
        .collect();
    assert_eq!(ids, vec![900001, 900001, 900003]);
}

/// Returns the `alerts.json` line and `alerts.log` record of `event`, or an empty text when
/// it raises no alert.
fn alert_texts(analyzer: &Analyzer, event: dnstel_analysis::Event) -> (String, String) {
    let outcome = analyzer.evaluate(&mut Session::new(), event, &local_source(), false);
    let Some(alert) = outcome.alert else {
        return (String::new(), String::new());
    };
    let mut json = String::new();
    alert.write_json(Some("1714557601.0"), &mut json);
    let log = dnstel_analysis::alerts_log::format_record(&alert, "1714557601.0");
    (json, log)
}

#[test]
fn reused_buffers_decode_like_new_ones() {
    let analyzer = analyzer();
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01.250+00:00").unwrap();
    let fixture = std::fs::read_to_string(data_dir().join("dns-query.json")).unwrap();
    let long_array = format!(r#"{{"type":"dns","list":["{}"]}}"#, "x".repeat(100_000));
    let lines = [
        fixture.trim_end().to_string(),
        r#"{"type":"dns","a":1,"a":2,"b":{"c":true},"B":{"d":null}}"#.to_string(),
        long_array,
        "May  1 10:00:00 host program: not json".to_string(),
        r#"{ "type": "dns", "spaced": [1, 2.50] }"#.to_string(),
        fixture
            .trim_end()
            .replace("www.host.example", "other.example"),
    ];
    let mut buffers = dnstel_analysis::EventBuffers::default();
    for line in &lines {
        let fresh = analyzer.decode(line.clone(), &local_source(), time);
        let reused = analyzer.decode_with(line.clone(), &local_source(), time, buffers);
        let fresh_fields: Vec<(String, String)> = fresh
            .fields()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let reused_fields: Vec<(String, String)> = reused
            .fields()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(reused_fields, fresh_fields, "{line}");
        assert_eq!(
            alert_texts(&analyzer, reused.clone()),
            alert_texts(&analyzer, fresh),
            "{line}"
        );
        buffers = reused.into_buffers();
    }
}

#[test]
fn huge_event_buffers_are_not_kept() {
    let analyzer = analyzer();
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01.250+00:00").unwrap();
    let members: Vec<String> = (0..5_000)
        .map(|index| format!(r#""field{index}":"{}""#, "v".repeat(40)))
        .collect();
    let line = format!("{{{}}}", members.join(","));
    let event = analyzer.decode(line, &local_source(), time);
    assert_eq!(event.fields().len(), 256);
    let buffers = event.into_buffers();
    let next = analyzer.decode_with(r#"{"a":"b"}"#.to_string(), &local_source(), time, buffers);
    assert!(
        next.field_capacity() <= dnstel_analysis::event::MAX_KEPT_BUFFER_BYTES,
        "{}",
        next.field_capacity()
    );
}

/// An event that correlation keeps gives back the room of buffers it took over from a larger
/// event, so thousands of small stored events cannot each hold a large event's memory.
#[test]
fn stored_event_trims_reused_buffers() {
    let analyzer = analyzer();
    let time = DateTime::parse_from_rfc3339("2024-05-01T10:00:01.250+00:00").unwrap();
    let members: Vec<String> = (0..200)
        .map(|index| format!(r#""field{index}":"{}""#, "v".repeat(200)))
        .collect();
    let large = analyzer.decode(format!("{{{}}}", members.join(",")), &local_source(), time);
    let buffers = large.into_buffers();
    let mut small =
        analyzer.decode_with(r#"{"a":"b"}"#.to_string(), &local_source(), time, buffers);
    assert!(
        small.field_capacity() > 16 * 1024,
        "{}",
        small.field_capacity()
    );
    let fields_before: Vec<(String, String)> = small
        .fields()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();

    small.trim_buffers();

    assert!(
        small.field_capacity() < 16 * 1024,
        "{}",
        small.field_capacity()
    );
    let fields_after: Vec<(String, String)> = small
        .fields()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(fields_after, fields_before);
}
