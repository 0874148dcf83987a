use crate::notes;
use crate::test_support::*;
use crate::{Pairing, PairingConfig, Transport};

const CLIENT_ISN: u32 = 1000;
const SERVER_ISN: u32 = 5000;

/// Drives one TCP connection between CLIENT and SERVER, tracking sequence numbers.
struct Connection {
    client_next: u32,
    server_next: u32,
}

impl Connection {
    /// Sends the SYN and SYN-ACK.
    fn open(pairing: &mut Pairing, millis: i64) -> Self {
        pairing.process_tcp(&segment(millis, CLIENT, SERVER, CLIENT_ISN, SYN, &[]));
        pairing.process_tcp(&segment(millis, SERVER, CLIENT, SERVER_ISN, SYN, &[]));
        Connection {
            client_next: CLIENT_ISN + 1,
            server_next: SERVER_ISN + 1,
        }
    }

    fn client(&mut self, pairing: &mut Pairing, millis: i64, payload: &[u8]) {
        let sequence = self.client_next;
        self.client_next += payload.len() as u32;
        pairing.process_tcp(&segment(millis, CLIENT, SERVER, sequence, DATA, payload));
    }

    fn server(&mut self, pairing: &mut Pairing, millis: i64, payload: &[u8]) {
        let sequence = self.server_next;
        self.server_next += payload.len() as u32;
        pairing.process_tcp(&segment(millis, SERVER, CLIENT, sequence, DATA, payload));
    }

    fn client_fin(&self, pairing: &mut Pairing, millis: i64) {
        pairing.process_tcp(&segment(millis, CLIENT, SERVER, self.client_next, FIN, &[]));
    }

    fn server_fin(&self, pairing: &mut Pairing, millis: i64) {
        pairing.process_tcp(&segment(millis, SERVER, CLIENT, self.server_next, FIN, &[]));
    }

    fn server_rst(&self, pairing: &mut Pairing, millis: i64) {
        pairing.process_tcp(&segment(millis, SERVER, CLIENT, self.server_next, RST, &[]));
    }
}

#[test]
fn tcp_query_response_pair() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed());
    connection.server(&mut pairing, 2, &Wire::response(7).framed());
    connection.server_fin(&mut pairing, 3);
    let transaction = single(&mut pairing);
    assert_eq!(transaction.transport, Transport::Tcp);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    let request = transaction.request.expect("request side");
    let response = transaction.response.expect("response side");
    assert_eq!(request.bytes, Wire::query(7).framed().len());
    assert_eq!(response.bytes, Wire::response(7).framed().len());
    assert_eq!(response.first_timestamp, at(2));
    connection.client_fin(&mut pairing, 4);
    assert_eq!(pairing.tcp_connections(), 0);
}

#[test]
fn tcp_pipelined_queries_one_segment() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    let mut queries = Wire::query(1).framed();
    queries.extend(Wire::query(2).framed());
    connection.client(&mut pairing, 1, &queries);
    let mut responses = Wire::response(2).framed();
    responses.extend(Wire::response(1).framed());
    connection.server(&mut pairing, 2, &responses);
    connection.server_fin(&mut pairing, 3);
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|event| event.notes.is_empty()));
    assert!(events.iter().all(|event| event.request.is_some()));
    assert_eq!(pairing.stats().paired, 2);
}

#[test]
fn tcp_multi_message_response_merges() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(0).framed());
    connection.server(&mut pairing, 2, &Wire::response(0).answers(3).framed());
    connection.server(&mut pairing, 3, &Wire::response(0).answers(2).framed());
    connection.server(&mut pairing, 4, &Wire::response(0).answers(1).framed());
    assert!(drain(&mut pairing).is_empty());
    connection.server_fin(&mut pairing, 5);
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    let response = transaction.response.expect("response side");
    assert_eq!(response.messages, 3);
    assert_eq!(response.message.answers.len(), 6);
    assert_eq!(response.message.header.ancount, 6);
    assert_eq!(response.first_timestamp, at(2));
    assert_eq!(response.last_timestamp, at(4));
    let expected_bytes = [3, 2, 1]
        .iter()
        .map(|count| Wire::response(0).answers(*count).framed().len())
        .sum::<usize>();
    assert_eq!(response.bytes, expected_bytes);
    assert_eq!(pairing.stats().responses, 3);
}

#[test]
fn tcp_next_query_closes_response() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(1).framed());
    connection.server(&mut pairing, 2, &Wire::response(1).framed());
    assert!(drain(&mut pairing).is_empty());
    connection.client(&mut pairing, 3, &Wire::query(2).framed());
    let first = single(&mut pairing);
    assert_eq!(first.id(), Some(1));
}

#[test]
fn tcp_idle_connection_closes_response() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(1).framed());
    connection.server(&mut pairing, 2, &Wire::response(1).framed());
    pairing.advance(at(10_002));
    let transaction = single(&mut pairing);
    assert!(transaction.response.is_some());
    assert_eq!(pairing.stats().tcp_connections_timed_out, 1);
    assert_eq!(pairing.tcp_connections(), 0);
}

#[test]
fn tcp_fin_with_partial_response() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed());
    connection.server(&mut pairing, 2, &Wire::response(7).framed()[..10]);
    connection.server_fin(&mut pairing, 3);
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::RESPONSE_INCOMPLETE]);
    assert!(transaction.response.is_none());
    assert_eq!(pairing.stats().tcp_incomplete_messages, 1);
}

#[test]
fn tcp_rst_with_short_partial_response() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed());
    connection.server(&mut pairing, 2, &[0]);
    connection.server_rst(&mut pairing, 3);
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::RESPONSE_INCOMPLETE]);
    assert_eq!(pairing.tcp_connections(), 0);
}

#[test]
fn tcp_partial_query_emits_nothing() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed()[..9]);
    connection.client_fin(&mut pairing, 2);
    assert!(drain(&mut pairing).is_empty());
    assert_eq!(pairing.stats().tcp_incomplete_messages, 1);
}

#[test]
fn tcp_non_dns_connection_is_skipped() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed());
    let mut junk = vec![0, 20];
    junk.extend_from_slice(b"\xff\xff\xff\xff\xff\xffnot dns at all!!");
    connection.server(&mut pairing, 2, &junk);
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::RESPONSE_NOT_DNS]);
    connection.server(&mut pairing, 3, &Wire::response(7).framed());
    assert!(drain(&mut pairing).is_empty());
    assert_eq!(pairing.stats().tcp_non_dns_connections, 1);
    assert_eq!(pairing.stats().undecodable, 1);
    // A new connection from another client port is parsed normally.
    let other = "192.0.2.10:40001";
    pairing.process_tcp(&segment(
        4,
        other,
        SERVER,
        0,
        DATA,
        &Wire::query(9).framed(),
    ));
    pairing.process_tcp(&segment(
        5,
        SERVER,
        other,
        0,
        DATA,
        &Wire::response(9).framed(),
    ));
    pairing.flush_all();
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
}

#[test]
fn tcp_http_on_dns_port_is_skipped() {
    let mut pairing = pairing();
    let request = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    pairing.process_tcp(&segment(0, CLIENT, SERVER, 77, DATA, request));
    pairing.flush_all();
    assert!(drain(&mut pairing).is_empty());
    assert_eq!(pairing.stats().tcp_skipped_bytes, request.len() as u64);
}

#[test]
fn tcp_zero_length_prefix() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(7).framed());
    connection.server(&mut pairing, 2, &[0, 0, 1, 2]);
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::RESPONSE_ZERO_LENGTH]);
    assert_eq!(pairing.stats().tcp_zero_length_messages, 1);
}

#[test]
fn tcp_midstream_response_is_orphan() {
    let mut pairing = pairing();
    let response = Wire::response(7).framed();
    pairing.process_tcp(&segment(0, SERVER, CLIENT, 123_456, DATA, &response));
    pairing.flush_all();
    let transaction = single(&mut pairing);
    assert_eq!(transaction.notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(transaction.client, address(CLIENT));
}

#[test]
fn tcp_one_direction_times_out() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    connection.client(&mut pairing, 1, &Wire::query(1).framed());
    connection.client(&mut pairing, 2, &Wire::query(2).framed());
    pairing.advance(at(20_000));
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|event| event.notes == [notes::NO_RESPONSE]));
}

#[test]
fn tcp_trailing_junk_at_fin() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 0);
    let mut payload = Wire::query(1).framed();
    payload.extend_from_slice(&[0, 40, 1]);
    connection.client(&mut pairing, 1, &payload);
    connection.server(&mut pairing, 2, &Wire::response(1).framed());
    connection.client_fin(&mut pairing, 3);
    connection.server_fin(&mut pairing, 4);
    let transaction = single(&mut pairing);
    assert!(transaction.notes.is_empty(), "{:?}", transaction.notes);
    assert_eq!(pairing.stats().tcp_incomplete_messages, 1);
}

#[test]
fn tcp_and_udp_do_not_match() {
    let mut pairing = pairing();
    send_udp(&mut pairing, 0, CLIENT, SERVER, &Wire::query(7));
    let response = Wire::response(7).framed();
    pairing.process_tcp(&segment(1, SERVER, CLIENT, 9, DATA, &response));
    pairing.flush_all();
    let events = drain(&mut pairing);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].notes, [notes::ORPHANED_RESPONSE]);
    assert_eq!(events[1].notes, [notes::NO_RESPONSE]);
}

#[test]
fn tcp_syn_flood_stays_within_caps() {
    let mut config = PairingConfig::default();
    config.tcp.max_connections = 100;
    let mut pairing = Pairing::new(config).expect("valid configuration");
    for index in 0..10_000u32 {
        let client = format!("198.51.100.{}:{}", index % 250, 1024 + index / 250);
        pairing.process_tcp(&segment(i64::from(index), &client, SERVER, index, SYN, &[]));
        assert!(pairing.tcp_connections() <= 100);
    }
    assert_eq!(pairing.stats().tcp_connections, 10_000);
    assert_eq!(pairing.stats().tcp_connections_evicted, 9_900);
    assert!(drain(&mut pairing).is_empty());
}

#[test]
fn tcp_partial_flood_stays_within_bytes() {
    let mut config = PairingConfig::default();
    config.tcp.max_total_bytes = 100_000;
    let mut pairing = Pairing::new(config).expect("valid configuration");
    let big = Wire::query(1).answers(0).trailing(&[0; 3000]).framed();
    for index in 0..1000u32 {
        let client = format!("198.51.100.{}:{}", index % 250, 1024 + index / 250);
        pairing.process_tcp(&segment(0, &client, SERVER, 0, SYN, &[]));
        pairing.process_tcp(&segment(0, &client, SERVER, 1, DATA, &big[..2000]));
        assert!(pairing.tcp_buffered_bytes() <= 100_000);
    }
    assert!(pairing.stats().tcp_limit_dropped_bytes > 0);
    pairing.flush_all();
    assert_eq!(pairing.tcp_buffered_bytes(), 0);
}

#[test]
fn tcp_late_timestamp_keeps_connection() {
    let mut pairing = pairing();
    let mut connection = Connection::open(&mut pairing, 5_000);
    // A segment stamped earlier than the handshake (clock skew between capture queues).
    connection.client(&mut pairing, 0, &Wire::query(1).framed());
    pairing.advance(at(14_000));
    assert_eq!(pairing.tcp_connections(), 1);
    pairing.advance(at(15_000));
    assert_eq!(pairing.tcp_connections(), 0);
}
