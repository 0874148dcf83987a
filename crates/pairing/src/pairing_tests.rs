use super::*;
use crate::notes;
use crate::test_support::*;

const MDNS_QUERIER: &str = "192.0.2.10:5353";
const MDNS_GROUP: &str = "224.0.0.251:5353";
const MDNS_RESPONDER: &str = "192.0.2.20:5353";

fn mdns_pairing() -> Pairing {
    let config = PairingConfig {
        ports: vec![53, 5353, 5355],
        ..PairingConfig::default()
    };
    Pairing::new(config).expect("valid configuration")
}

#[test]
fn udp_query_and_response_pair() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 25, SERVER, CLIENT, &Wire::response(7));
    let transaction = single(&mut pairing);
    assert_eq!(transaction.transport, Transport::Udp);
    assert_eq!(transaction.client, address(CLIENT));
    assert_eq!(transaction.server, address(SERVER));
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    let request = transaction.request.expect("request side");
    let response = transaction.response.expect("response side");
    assert_eq!(request.first_timestamp, at(0));
    assert_eq!(response.first_timestamp, at(25));
    assert_eq!(request.bytes, Wire::query(7).build().len());
    assert_eq!(response.bytes, Wire::response(7).build().len());
    assert_eq!(response.messages, 1);
    assert_eq!(response.message.answers.len(), 1);
    assert_eq!(pairing.stats().paired, 1);
    assert_eq!(pairing.pending_transactions(), 0);
}

#[test]
fn orphan_response_reverses_endpoints() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, SERVER, CLIENT, &Wire::response(7));
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(transaction.client, address(CLIENT));
    assert_eq!(transaction.server, address(SERVER));
    assert!(transaction.request.is_none());
    assert_eq!(transaction.timestamp(), at(0));
    assert_eq!(pairing.stats().orphans, 1);
}

#[test]
fn response_from_other_address_is_orphan() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 5, "192.0.2.54:53", CLIENT, &Wire::response(7));
    let orphan = single(&mut pairing);
    assert_eq!(orphan.notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(pairing.pending_transactions(), 1);
}

#[test]
fn response_with_other_id_is_orphan() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 5, SERVER, CLIENT, &Wire::response(8));
    let orphan = single(&mut pairing);
    assert_eq!(orphan.notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(pairing.pending_transactions(), 1);
}

#[test]
fn duplicate_query_closes_earlier() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 1000, CLIENT, SERVER, &Wire::query(7));
    let earlier = single(&mut pairing);
    assert_eq!(earlier.notes, [notes::DUPLICATE_QUERY]);
    assert_eq!(earlier.timestamp(), at(0));
    assert!(earlier.response.is_none());
    send_udp(&mut pairing, 1010, SERVER, CLIENT, &Wire::response(7));
    let paired = single(&mut pairing);
    assert!(paired.notes.is_empty());
    assert_eq!(paired.timestamp(), at(1000));
    assert_eq!(pairing.stats().duplicates, 1);
}

#[test]
fn duplicate_keeps_earlier_notes_first() {
    let mut pairing = pairing();
    let large = Wire::query(7).trailing(&[0; 600]);
    send_udp(&mut pairing, 0, CLIENT, SERVER, &large);
    send_udp(&mut pairing, 1, CLIENT, SERVER, &Wire::query(7));
    let earlier = single(&mut pairing);
    assert_eq!(
        earlier.notes.first().map(String::as_str),
        Some(notes::REQUEST_TOO_LARGE)
    );
    assert_eq!(
        earlier.notes.last().map(String::as_str),
        Some(notes::DUPLICATE_QUERY)
    );
}

#[test]
fn unanswered_query_times_out() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    pairing.advance(at(9_999));
    assert!(drain(&mut pairing).is_empty());
    pairing.advance(at(10_000));
    let unanswered = single(&mut pairing);
    assert_eq!(unanswered.notes, [notes::NO_RESPONSE]);
    assert_eq!(unanswered.timestamp(), at(0));
    assert_eq!(pairing.stats().timeouts, 1);
}

#[test]
fn response_after_timeout_is_orphan() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 10_500, SERVER, CLIENT, &Wire::response(7));
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].notes, [notes::NO_RESPONSE]);
    assert_eq!(events[1].notes, [notes::ORPHANED_RESPONSE]);
}

#[test]
fn timeouts_follow_time_then_insertion() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 100, CLIENT, SERVER, &Wire::query(1));
    send_udp(&mut pairing, 50, CLIENT, SERVER, &Wire::query(2));
    send_udp(&mut pairing, 100, CLIENT, SERVER, &Wire::query(3));
    send_udp(
        &mut pairing,
        100,
        "192.0.2.11:1000",
        SERVER,
        &Wire::query(0),
    );
    pairing.advance(at(60_000));
    let ids: Vec<Option<u16>> = drain(&mut pairing).iter().map(Transaction::id).collect();
    assert_eq!(ids, [Some(2), Some(1), Some(3), Some(0)]);
}

#[test]
fn clock_never_moves_backwards() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(1));
    pairing.advance(at(9_000));
    send_udp(&mut pairing, 2_000, CLIENT, SERVER, &Wire::query(2));
    pairing.advance(at(10_000));
    let ids: Vec<Option<u16>> = drain(&mut pairing).iter().map(Transaction::id).collect();
    assert_eq!(ids, [Some(1)]);
}

#[test]
fn clock_resets_on_large_backward_jump() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 100_000, CLIENT, SERVER, &Wire::query(1));
    // A second capture file that starts 100 s earlier: its query still pairs.
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(2));
    send_udp(&mut pairing, 30, SERVER, CLIENT, &Wire::response(2));
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].id(), Some(1));
    assert_eq!(events[0].notes, [notes::NO_RESPONSE]);
    assert_eq!(events[1].id(), Some(2));
    assert!(
        events[1].response.is_some(),
        "query 2 pairs after the reset"
    );
    assert_eq!(pairing.stats().clock_resets, 1);
    assert_eq!(pairing.stats().flushed, 1);
}

#[test]
fn flush_all_emits_pending_queries() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(1));
    send_udp(&mut pairing, 1, CLIENT, SERVER, &Wire::query(2));
    pairing.flush_all();
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|event| event.notes == [notes::NO_RESPONSE]));
    assert_eq!(pairing.stats().flushed, 2);
    assert_eq!(pairing.pending_transactions(), 0);
}

#[test]
fn large_non_edns_request_gets_note() {
    let mut pairing = pairing();
    let large = Wire::query(7).trailing(&[0; 600]);
    send_udp(&mut pairing, 0, CLIENT, SERVER, &large);
    send_udp(&mut pairing, 1, SERVER, CLIENT, &Wire::response(7));
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes[0], notes::REQUEST_TOO_LARGE);
}

#[test]
fn large_edns_request_has_no_size_note() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7).edns(600));
    send_udp(&mut pairing, 1, SERVER, CLIENT, &Wire::response(7).edns(0));
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
}

#[test]
fn large_orphan_response_note_order() {
    let mut pairing = pairing();
    send_udp(
        &mut pairing,
        0,
        SERVER,
        CLIENT,
        &Wire::response(7).answers(40),
    );
    let transaction = single(&mut pairing);
    assert_eq!(
        transaction.notes,
        [notes::ORPHANED_RESPONSE, notes::RESPONSE_TOO_LARGE]
    );
}

#[test]
fn edns_query_non_edns_large_reply() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7).edns(0));
    send_udp(
        &mut pairing,
        1,
        SERVER,
        CLIENT,
        &Wire::response(7).answers(40),
    );
    let transaction = single(&mut pairing);
    assert_eq!(
        transaction.notes,
        [notes::RESPONSE_TOO_LARGE, notes::RESPONDER_NO_EDNS]
    );
}

#[test]
fn edns_reply_to_plain_query() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 1, SERVER, CLIENT, &Wire::response(7).edns(0));
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::UNEXPECTED_EDNS]);
}

#[test]
fn header_only_reply_closes_query() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    send_udp(&mut pairing, 3, SERVER, CLIENT, &Wire::header_only(7, 5));
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    let response = transaction.response.expect("response side");
    assert_eq!(response.bytes, 12);
    assert!(response.message.questions.is_empty());
    assert_eq!(response.message.header.rcode.0, 5);
}

#[test]
fn malformed_messages_pair_with_notes() {
    let mut pairing = pairing();
    let query = Wire::query(7).missing_answers(1);
    send_udp(&mut pairing, 0, CLIENT, SERVER, &query);
    send_udp(
        &mut pairing,
        1,
        SERVER,
        CLIENT,
        &Wire::response(7).missing_answers(2),
    );
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes.len(), 2, "{:?}", transaction.notes);
    assert!(transaction.notes[0].starts_with("Request: "));
    assert!(transaction.notes[1].starts_with("Response: "));
    let request = transaction.request.expect("request side");
    let expected = format!("Request: {}", request.message.anomalies[0]);
    assert_eq!(transaction.notes[0], expected);
    assert_eq!(pairing.stats().malformed, 2);
}

#[test]
fn garbage_datagram_is_counted() {
    let mut pairing = pairing();
    pairing.process_udp(&udp(
        0,
        CLIENT,
        SERVER,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    pairing.process_udp(&udp(0, CLIENT, SERVER, &[1, 2, 3]));
    assert!(drain(&mut pairing).is_empty());
    assert_eq!(pairing.stats().undecodable, 2);
}

#[test]
fn other_ports_are_ignored() {
    let mut pairing = pairing();
    let bytes = Wire::query(7).build();
    pairing.process_udp(&udp(0, "192.0.2.10:4000", "192.0.2.53:5300", &bytes));
    pairing.process_udp(&udp(0, CLIENT, SERVER, &[]));
    assert_eq!(pairing.stats().ignored_packets, 2);
    assert_eq!(pairing.pending_transactions(), 0);
}

#[test]
fn full_table_evicts_oldest() {
    let config = PairingConfig {
        max_transactions: 3,
        ..PairingConfig::default()
    };
    let mut pairing = Pairing::new(config).expect("valid configuration");
    for id in 0..5 {
        send_udp(
            &mut pairing,
            i64::from(id),
            CLIENT,
            SERVER,
            &Wire::query(id),
        );
    }
    let evicted = drain(&mut pairing);
    let ids: Vec<Option<u16>> = evicted.iter().map(Transaction::id).collect();
    assert_eq!(ids, [Some(0), Some(1)]);
    assert!(evicted
        .iter()
        .all(|event| event.notes == [notes::NO_RESPONSE]));
    assert_eq!(pairing.stats().evicted, 2);
    assert_eq!(pairing.pending_transactions(), 3);
}

#[test]
fn random_id_flood_stays_within_cap() {
    let config = PairingConfig {
        max_transactions: 1000,
        ..PairingConfig::default()
    };
    let mut pairing = Pairing::new(config).expect("valid configuration");
    let mut state: u32 = 12345;
    for index in 0..20_000i64 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let port = 1024 + (state >> 16) % 50_000;
        let client = format!("198.51.100.{}:{port}", state % 200);
        send_udp(
            &mut pairing,
            index / 100,
            &client,
            SERVER,
            &Wire::query(state as u16),
        );
        assert!(pairing.pending_transactions() <= 1000);
        pairing.drain();
    }
    let stats = pairing.stats();
    assert_eq!(stats.requests, 20_000);
    assert_eq!(
        stats.evicted + stats.duplicates + stats.timeouts + 1000,
        20_000
    );
}

#[test]
fn mdns_response_without_query_has_no_note() {
    let mut pairing = mdns_pairing();
    send_udp(
        &mut pairing,
        0,
        MDNS_RESPONDER,
        MDNS_GROUP,
        &Wire::response(0),
    );
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    assert!(transaction.request.is_none());
    assert_eq!(pairing.stats().multicast_responses, 1);
    assert_eq!(pairing.stats().orphans, 0);
}

#[test]
fn mdns_unanswered_query_has_no_note() {
    let mut pairing = mdns_pairing();
    send_udp(&mut pairing, 0, MDNS_QUERIER, MDNS_GROUP, &Wire::query(0));
    send_udp(
        &mut pairing,
        1000,
        MDNS_QUERIER,
        MDNS_GROUP,
        &Wire::query(0),
    );
    pairing.advance(at(20_000));
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|event| event.notes.is_empty()));
}

#[test]
fn multicast_ports_are_configurable() {
    let config = PairingConfig {
        ports: vec![53, 5353],
        multicast_ports: vec![],
        ..PairingConfig::default()
    };
    let mut pairing = Pairing::new(config).expect("valid configuration");
    send_udp(
        &mut pairing,
        0,
        MDNS_RESPONDER,
        MDNS_GROUP,
        &Wire::response(0),
    );
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::ORPHANED_RESPONSE]);
}

#[test]
fn trailing_bytes_note_is_optional() {
    let mut pairing = pairing();
    send_udp(
        &mut pairing,
        0,
        CLIENT,
        SERVER,
        &Wire::query(7).trailing(&[1, 2]),
    );
    send_udp(&mut pairing, 1, SERVER, CLIENT, &Wire::response(7));
    let quiet = single(&mut pairing);
    assert!(quiet.notes.is_empty(), "{:?}", quiet.notes);
    assert_eq!(pairing.stats().malformed, 1);

    let config = PairingConfig {
        note_trailing_bytes: true,
        ..PairingConfig::default()
    };
    let mut pairing = Pairing::new(config).expect("valid configuration");
    send_udp(
        &mut pairing,
        0,
        CLIENT,
        SERVER,
        &Wire::query(7).trailing(&[1, 2]),
    );
    send_udp(&mut pairing, 1, SERVER, CLIENT, &Wire::response(7));
    let noted = single(&mut pairing);
    assert_eq!(noted.notes.len(), 1, "{:?}", noted.notes);
    assert!(noted.notes[0].starts_with("Request: "));
}

#[test]
fn llmnr_unicast_response_pairs() {
    let mut pairing = mdns_pairing();
    let querier = "192.0.2.10:51000";
    send_udp(
        &mut pairing,
        0,
        querier,
        "224.0.0.252:5355",
        &Wire::query(9),
    );
    send_udp(
        &mut pairing,
        4,
        "192.0.2.30:5355",
        querier,
        &Wire::response(9),
    );
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    assert!(transaction.request.is_some());
    assert!(transaction.response.is_some());
    assert_eq!(
        transaction.server,
        address("192.0.2.30:5355"),
        "the event names the responder, not the group"
    );
    assert_eq!(pairing.stats().paired, 1);
    assert_eq!(pairing.pending_transactions(), 0);
}

#[test]
fn unicast_port_ignores_multicast_match() {
    let config = PairingConfig {
        ports: vec![53, 5355],
        multicast_ports: vec![],
        ..PairingConfig::default()
    };
    let mut pairing = Pairing::new(config).expect("valid configuration");
    let querier = "192.0.2.10:51000";
    send_udp(
        &mut pairing,
        0,
        querier,
        "224.0.0.252:5355",
        &Wire::query(9),
    );
    send_udp(
        &mut pairing,
        4,
        "192.0.2.30:5355",
        querier,
        &Wire::response(9),
    );
    let orphan = single(&mut pairing);
    assert_eq!(orphan.notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(pairing.pending_transactions(), 1);
}
