//! Tags, fields, name, builtins and processors around the DNS fields.

mod common;

use common::{encode_json, example_options, example_transaction, plain_options};
use dnstel_event::processors::parse_processors;
use dnstel_event::value::{Map, Value};
use dnstel_event::{ConfigError, EventBuilder};
use serde_json::json;

fn keys(event: &serde_json::Value) -> Vec<String> {
    event
        .as_object()
        .map_or(Vec::new(), |object| object.keys().cloned().collect())
}

/// Top-level keys in written order (serde_json sorts keys, so read them from the text).
fn written_keys(options: &dnstel_event::EventOptions) -> Vec<String> {
    let builder = EventBuilder::new(options).expect("options are valid");
    let mut out = Vec::new();
    builder
        .encode(&example_transaction(), &mut out)
        .expect("written");
    let parsed: Value = serde_json::from_slice(&out).expect("valid JSON");
    parsed
        .as_object()
        .map(|map| map.iter().map(|(key, _)| key.to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn forwarded_tag_drops_host() {
    let mut options = example_options();
    options.tags = vec!["forwarded".into()];
    let event = encode_json(&options, &example_transaction());
    assert!(event.get("host").is_none(), "{:?}", keys(&event));
    assert_eq!(event["tags"], json!(["forwarded"]));
    assert_eq!(event["agent"]["name"], "ubunutu2004vm");
}

#[test]
fn contains_matches_substring() {
    let mut options = example_options();
    options.tags = vec!["not-forwarded-really".into()];
    let event = encode_json(&options, &example_transaction());
    assert!(event.get("host").is_none());
}

#[test]
fn host_metadata_without_tag() {
    let event = encode_json(&example_options(), &example_transaction());
    assert_eq!(event["host"]["name"], "ubunutu2004vm");
    assert_eq!(event["host"]["os"]["codename"], "focal");
    assert_eq!(event["host"]["mac"], json!(["ce:54:41:01:cf:bb"]));
    assert!(event.get("tags").is_none());
}

#[test]
fn netinfo_disabled_omits_addresses() {
    let mut options = example_options();
    options.processors =
        parse_processors(&json!([{"add_host_metadata": {"netinfo.enabled": false}}]))
            .expect("valid");
    let event = encode_json(&options, &example_transaction());
    assert!(event["host"].get("ip").is_none());
    assert!(event["host"].get("mac").is_none());
    assert_eq!(event["host"]["hostname"], "ubunutu2004vm");
}

#[test]
fn name_sets_agent_and_host() {
    let mut options = plain_options();
    options.name = Some("dns-sensor-1".into());
    let event = encode_json(&options, &example_transaction());
    assert_eq!(event["agent"]["name"], "dns-sensor-1");
    assert_eq!(event["agent"]["hostname"], "sensor");
    assert_eq!(event["host"]["name"], "dns-sensor-1");
}

fn fields(value: serde_json::Value) -> Map {
    match Value::from(&value) {
        Value::Object(map) => map,
        other => panic!("expected an object, got {other:?}"),
    }
}

#[test]
fn fields_under_fields_key() {
    let mut options = plain_options();
    options.fields = fields(json!({"env": "staging", "site.room": 4}));
    options.tags = vec!["a".into(), "b".into()];
    let event = encode_json(&options, &example_transaction());
    assert_eq!(
        event["fields"],
        json!({"env": "staging", "site": {"room": 4}})
    );
    assert_eq!(event["tags"], json!(["a", "b"]));
    let order = written_keys(&options);
    let position = |key: &str| order.iter().position(|name| name == key);
    assert!(position("tags") < position("fields"));
    assert!(position("fields") < position("agent"));
}

#[test]
fn fields_under_root_overlay() {
    let mut options = plain_options();
    options.fields_under_root = true;
    options.fields = fields(json!({
        "env": "staging",
        "type": "custom",
        "dns": {"zone": "internal", "id": "x"},
        "agent": {"name": "kept"}
    }));
    let event = encode_json(&options, &example_transaction());
    assert_eq!(event["env"], "staging");
    assert_eq!(event["type"], "custom");
    assert_eq!(event["dns"]["zone"], "internal");
    assert_eq!(event["dns"]["id"], "x");
    assert_eq!(event["dns"]["answers_count"], json!(1));
    assert_eq!(event["agent"]["name"], "kept");
    assert_eq!(event["agent"]["type"], "packetbeat");
    assert!(event.get("fields").is_none());
    assert_eq!(
        written_keys(&options).last().map(String::as_str),
        Some("env")
    );
}

#[test]
fn drop_fields_per_event_and_static() {
    let mut options = plain_options();
    options.processors = parse_processors(&json!([
        {"drop_fields": {"fields": ["dns.answers", "event", "agent.ephemeral_id", "type", "dns.question.name"]}}
    ]))
    .expect("valid");
    let event = encode_json(&options, &example_transaction());
    assert!(event["dns"].get("answers").is_none());
    assert!(event["dns"]["question"].get("name").is_none());
    assert_eq!(event["dns"]["question"]["type"], "AAAA");
    assert_eq!(event["dns"]["answers_count"], json!(1));
    assert!(event.get("event").is_none());
    assert!(event["agent"].get("ephemeral_id").is_none());
    assert_eq!(event["type"], "dns");
}

#[test]
fn drop_then_add_host() {
    let mut options = example_options();
    options.processors = parse_processors(&json!([
        {"drop_fields": {"fields": ["host"]}},
        {"add_host_metadata": null}
    ]))
    .expect("valid");
    let event = encode_json(&options, &example_transaction());
    assert!(event["host"].get("name").is_none());
    assert_eq!(event["host"]["hostname"], "ubunutu2004vm");
}

#[test]
fn when_condition_on_processor() {
    let mut options = plain_options();
    options.tags = vec!["quiet".into()];
    options.processors = parse_processors(&json!([
        {"drop_fields": {"fields": ["related"], "when.contains.tags": "quiet"}},
        {"drop_fields": {"fields": ["network"], "when.not.contains.tags": "quiet"}}
    ]))
    .expect("valid");
    let event = encode_json(&options, &example_transaction());
    assert!(event.get("related").is_none());
    assert!(event.get("network").is_some());
}

#[test]
fn condition_on_event_field_rejected() {
    let mut options = plain_options();
    options.processors = parse_processors(&json!([
        {"drop_fields": {"fields": ["x"], "when.contains.dns.question.name": "ads"}}
    ]))
    .expect("parses");
    let error = EventBuilder::new(&options).expect_err("per-event condition");
    assert!(
        matches!(error, ConfigError::UnsupportedCondition { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("dns.question.name"), "{error}");
}

#[test]
fn dropped_leading_members_keep_commas() {
    // `@timestamp.` names the key with an empty sub-path, so it drops `@timestamp` and the
    // event starts with a static member. `@timestamp.x` edits a string, which leaves it as is.
    let cases = [
        (json!(["@timestamp.", "status"]), ["@metadata", "type"]),
        (
            json!(["@timestamp.x", "status"]),
            ["@timestamp", "@metadata"],
        ),
        (json!(["@timestamp.", "error"]), ["@metadata", "status"]),
    ];
    for (dropped, first_keys) in cases {
        let mut options = plain_options();
        options.processors =
            parse_processors(&json!([{"drop_fields": {"fields": dropped}}])).expect("valid");
        let order = written_keys(&options);
        assert_eq!(order[..2], first_keys, "{dropped}");
        assert!(order.iter().any(|key| key == "agent"), "{dropped}");
    }
}

#[test]
fn edited_member_after_optional_member() {
    // `query` is edited (slow path) and `request` follows it, so both need their commas.
    let mut options = plain_options();
    options.send_request = true;
    options.processors =
        parse_processors(&json!([{"drop_fields": {"fields": ["query.x", "resource"]}}]))
            .expect("valid");
    let event = encode_json(&options, &example_transaction());
    assert!(event.get("resource").is_none());
    assert!(event["query"].is_string());
    assert!(event["request"].is_string());
}

#[test]
fn endpoint_copies_follow_edits() {
    let event = encode_json(&plain_options(), &example_transaction());
    assert_eq!(event["server"], event["destination"]);
    assert_eq!(event["client"], event["source"]);

    // `destination` is edited and `source` dropped, so `server` and `client` are written
    // from the transaction, not copied.
    let mut options = plain_options();
    options.processors = parse_processors(&json!([
        {"drop_fields": {"fields": ["destination.port", "source"]}}
    ]))
    .expect("valid");
    let edited = encode_json(&options, &example_transaction());
    assert!(edited["destination"].get("port").is_none());
    assert_eq!(edited["server"], event["server"]);
    assert!(edited.get("source").is_none());
    assert_eq!(edited["client"], event["client"]);
}
