//! Property tests: arbitrary interleavings, losses and duplicates of messages.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::test_support::*;
use crate::{Pairing, PairingConfig, Transaction};

const CLIENTS: [&str; 3] = ["192.0.2.10:40000", "192.0.2.11:40000", "[2001:db8::1]:5000"];
const SERVERS: [&str; 3] = ["192.0.2.53:53", "192.0.2.54:53", "[2001:db8::53]:53"];

/// One UDP message of a generated capture.
#[derive(Clone, Debug)]
struct Datagram {
    response: bool,
    flow: usize,
    id: u16,
    delay_millis: i64,
    answers: usize,
}

fn datagram() -> impl Strategy<Value = Datagram> {
    (any::<bool>(), 0..3usize, 0..4u16, 0..4_000i64, 0..3usize).prop_map(
        |(response, flow, id, delay_millis, answers)| Datagram {
            response,
            flow,
            id,
            delay_millis,
            answers,
        },
    )
}

fn count_messages(transactions: &[Transaction]) -> u64 {
    transactions
        .iter()
        .map(|transaction| {
            let request = transaction.request.as_ref().map_or(0, |side| side.messages);
            let response = transaction
                .response
                .as_ref()
                .map_or(0, |side| side.messages);
            u64::from(request + response)
        })
        .sum()
}

/// Cuts `stream` into segments at the given points, returning (offset, bytes) pairs.
fn cut(stream: &[u8], points: &[usize]) -> Vec<(usize, Vec<u8>)> {
    let mut bounds: Vec<usize> = points
        .iter()
        .map(|point| point % (stream.len() + 1))
        .collect();
    bounds.push(0);
    bounds.push(stream.len());
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .map(|window| (window[0], stream[window[0]..window[1]].to_vec()))
        .collect()
}

/// Sends segments of the client direction of one connection, in the given order.
fn send_client_segments(pairing: &mut Pairing, segments: &[(usize, Vec<u8>)]) {
    pairing.process_tcp(&segment(0, CLIENT, SERVER, 99, SYN, &[]));
    for (index, (offset, bytes)) in segments.iter().enumerate() {
        let sequence = 100 + *offset as u32;
        pairing.process_tcp(&segment(
            index as i64,
            CLIENT,
            SERVER,
            sequence,
            DATA,
            bytes,
        ));
    }
    pairing.flush_all();
}

fn query_stream(count: u16) -> Vec<u8> {
    (0..count)
        .flat_map(|id| Wire::query(id).answers(usize::from(id % 3)).framed())
        .collect()
}

/// Returns how many times each query ID came out.
fn emitted_ids(pairing: &mut Pairing) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for transaction in pairing.drain() {
        let id = transaction.id().expect("every transaction has a side");
        *counts.entry(id).or_default() += 1;
    }
    counts
}

/// Builds two pairings that differ only in the form of their pending queries: parsed in the
/// first, wire bytes in the second.
fn pairings_of_both_forms(config: PairingConfig) -> [Pairing; 2] {
    let parsed = Pairing::new(config.clone()).expect("valid configuration");
    let mut wire = Pairing::new(config).expect("valid configuration");
    wire.parsed_query_limit = 0;
    [parsed, wire]
}

/// Feeds datagrams whose EDNS, trailing bytes, size and truncation vary the notes, and returns
/// every transaction with the final counters.
fn run_varied_udp(
    mut pairing: Pairing,
    datagrams: &[Datagram],
) -> (Vec<Transaction>, crate::PairingStats) {
    let mut transactions = Vec::new();
    let mut now = 0;
    for datagram in datagrams {
        now += datagram.delay_millis;
        let mut wire = if datagram.response {
            Wire::response(datagram.id).answers(datagram.answers)
        } else {
            Wire::query(datagram.id)
        };
        wire = match datagram.answers {
            1 => wire.edns(0),
            2 => wire.trailing(&[0; 600]),
            _ => wire,
        };
        if datagram.delay_millis % 7 == 0 {
            wire = wire.missing_answers(1);
        }
        let (client, server) = (CLIENTS[datagram.flow], SERVERS[datagram.flow]);
        if datagram.response {
            send_udp(&mut pairing, now, server, client, &wire);
        } else {
            send_udp(&mut pairing, now, client, server, &wire);
        }
        transactions.extend(pairing.drain());
    }
    pairing.flush_all();
    transactions.extend(pairing.drain());
    (transactions, pairing.stats().clone())
}

proptest! {
    #[test]
    fn udp_query_forms_give_same_output(
        datagrams in proptest::collection::vec(datagram(), 0..120),
        max_transactions in 1..8usize,
    ) {
        let config = PairingConfig { max_transactions, ..PairingConfig::default() };
        let [parsed, wire] = pairings_of_both_forms(config);
        prop_assert_eq!(run_varied_udp(parsed, &datagrams), run_varied_udp(wire, &datagrams));
    }

    #[test]
    fn tcp_query_forms_give_same_output(
        count in 1..20u16,
        points in proptest::collection::vec(any::<usize>(), 0..40),
        lost in proptest::collection::vec(any::<usize>(), 0..3),
    ) {
        let mut segments = cut(&query_stream(count), &points);
        for position in lost {
            if !segments.is_empty() {
                let index = position % segments.len();
                segments.remove(index);
            }
        }
        let mut outputs = Vec::new();
        for mut pairing in pairings_of_both_forms(PairingConfig::default()) {
            send_client_segments(&mut pairing, &segments);
            let transactions: Vec<Transaction> = pairing.drain().collect();
            outputs.push((transactions, pairing.stats().clone()));
        }
        prop_assert_eq!(&outputs[0], &outputs[1]);
    }

    #[test]
    fn udp_every_message_in_one_transaction(
        datagrams in proptest::collection::vec(datagram(), 0..200),
        max_transactions in 1..8usize,
    ) {
        let config = PairingConfig { max_transactions, ..PairingConfig::default() };
        let mut pairing = Pairing::new(config).expect("valid configuration");
        let mut now = 0;
        let mut transactions = Vec::new();
        for datagram in &datagrams {
            now += datagram.delay_millis;
            let client = CLIENTS[datagram.flow];
            let server = SERVERS[datagram.flow];
            if datagram.response {
                let wire = Wire::response(datagram.id).answers(datagram.answers);
                send_udp(&mut pairing, now, server, client, &wire);
            } else {
                send_udp(&mut pairing, now, client, server, &Wire::query(datagram.id));
            }
            transactions.extend(pairing.drain());
            prop_assert!(pairing.pending_transactions() <= max_transactions);
        }
        pairing.flush_all();
        transactions.extend(pairing.drain());
        prop_assert_eq!(count_messages(&transactions), datagrams.len() as u64);
        prop_assert!(transactions.iter().all(|t| t.request.is_some() || t.response.is_some()));
        let stats = pairing.stats();
        prop_assert_eq!(stats.transactions, transactions.len() as u64);
        prop_assert_eq!(stats.requests + stats.responses, datagrams.len() as u64);
    }

    #[test]
    fn tcp_reordered_duplicated_segments_exactly_once(
        count in 1..20u16,
        points in proptest::collection::vec(any::<usize>(), 0..40),
        swaps in proptest::collection::vec((any::<usize>(), 1..4usize), 0..20),
        duplicates in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let stream = query_stream(count);
        let mut segments = cut(&stream, &points);
        for (position, distance) in swaps {
            let first = position % segments.len();
            let second = (first + distance).min(segments.len() - 1);
            segments.swap(first, second);
        }
        for position in duplicates {
            let copy = segments[position % segments.len()].clone();
            segments.insert(position % (segments.len() + 1), copy);
        }
        let mut pairing = pairing();
        send_client_segments(&mut pairing, &segments);
        let ids = emitted_ids(&mut pairing);
        prop_assert_eq!(ids.len(), usize::from(count));
        prop_assert!(ids.values().all(|times| *times == 1), "{:?}", ids);
        prop_assert_eq!(pairing.tcp_buffered_bytes(), 0);
    }

    #[test]
    fn tcp_lost_segments_never_invent_messages(
        count in 1..20u16,
        points in proptest::collection::vec(any::<usize>(), 0..40),
        lost in proptest::collection::vec(any::<usize>(), 0..5),
        swaps in proptest::collection::vec((any::<usize>(), 1..4usize), 0..20),
    ) {
        let stream = query_stream(count);
        let mut segments = cut(&stream, &points);
        for position in lost {
            if !segments.is_empty() {
                let index = position % segments.len();
                segments.remove(index);
            }
        }
        for (position, distance) in swaps {
            if segments.len() > 1 {
                let first = position % segments.len();
                let second = (first + distance).min(segments.len() - 1);
                segments.swap(first, second);
            }
        }
        let mut pairing = pairing();
        send_client_segments(&mut pairing, &segments);
        let ids = emitted_ids(&mut pairing);
        prop_assert!(ids.keys().all(|id| *id < count), "{:?}", ids);
        prop_assert!(ids.values().all(|times| *times == 1), "{:?}", ids);
        prop_assert_eq!(pairing.tcp_buffered_bytes(), 0);
    }

    #[test]
    fn tcp_random_segments_never_panic(
        segments in proptest::collection::vec(
            (any::<bool>(), any::<u8>(), 0..200u32, proptest::collection::vec(any::<u8>(), 0..80)),
            0..60,
        ),
    ) {
        let mut config = PairingConfig::default();
        config.tcp.max_out_of_order_segments = 4;
        let mut pairing = Pairing::new(config).expect("valid configuration");
        for (index, (from_client, flags, sequence, payload)) in segments.iter().enumerate() {
            let (source, destination) = if *from_client { (CLIENT, SERVER) } else { (SERVER, CLIENT) };
            let flags = crate::TcpFlags {
                syn: flags & 1 != 0,
                fin: flags & 2 != 0,
                rst: flags & 4 != 0,
            };
            let mut input = segment(index as i64, source, destination, *sequence, flags, payload);
            if index % 3 == 0 {
                input.acknowledgment = Some(sequence.wrapping_mul(7));
            }
            pairing.process_tcp(&input);
        }
        pairing.flush_all();
        prop_assert_eq!(pairing.tcp_buffered_bytes(), 0);
        prop_assert_eq!(pairing.tcp_connections(), 0);
        prop_assert_eq!(pairing.pending_transactions(), 0);
    }
}
