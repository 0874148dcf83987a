//! The event of a real Packetbeat 7.16 deployment, rebuilt from its transaction, must come
//! out byte for byte, key order included.

mod common;

use dnstel_event::EventBuilder;

const EXPECTED: &str = include_str!("data/event-example.json");

#[test]
fn seed_event_byte_identical() {
    let builder = EventBuilder::new(&common::example_options()).expect("options are valid");
    let transaction = common::example_transaction();
    let mut out = Vec::new();
    builder
        .encode(&transaction, &mut out)
        .expect("event written");
    let got = String::from_utf8(out).expect("JSON is UTF-8");
    assert_eq!(got, EXPECTED);
}

#[test]
fn seed_fixture_matches_shared_copy() {
    let shared = common::require_shared("seed/event-example.json");
    let text = std::fs::read_to_string(&shared)
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", shared.display()));
    assert_eq!(text, EXPECTED);
}

#[test]
fn encode_reuses_buffer_lines() {
    let builder = EventBuilder::new(&common::example_options()).expect("options are valid");
    let transaction = common::example_transaction();
    let mut out = Vec::new();
    builder
        .encode(&transaction, &mut out)
        .expect("event written");
    builder
        .encode(&transaction, &mut out)
        .expect("event written");
    let text = String::from_utf8(out).expect("JSON is UTF-8");
    assert_eq!(text, format!("{EXPECTED}{EXPECTED}"));
}
