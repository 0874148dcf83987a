//! A query waiting for its response, kept parsed or as its wire bytes.
//!
//! A parsed query message takes 184 bytes (x86-64) plus its heap parts, while a query on the
//! wire is usually under 100 bytes. Under a flood of unanswered queries the table therefore
//! keeps the bytes and the matching key, and parses the query again only when its transaction
//! is completed. Parsing is a pure function of the bytes and the parse options, so the second
//! parse gives the message the first one checked, and the output does not depend on the form.
//!
//! A second parse costs about as much as the first, so while the table is small the parsed
//! message is kept instead (see [`PARSED_QUERY_LIMIT`]).

use std::net::SocketAddr;

use dnstel_dns::Message;
use dnstel_packet::Timestamp;

use crate::config::PairingConfig;
use crate::input::Transport;
use crate::notes;
use crate::transaction::{Side, Transaction};

/// Packetbeat's matching key: a response matches a query when it travels the reverse path with
/// the same ID over the same transport. The question is not part of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TransactionKey {
    pub transport: Transport,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub id: u16,
}

/// Pending queries below this count are stored parsed, and further ones as wire bytes. Normal
/// traffic keeps far fewer queries pending: a resolver at 10 000 queries per second with 50 ms
/// round trips has about 500. So only a flood pays for the second parse, and the parsed entries
/// cost at most about 1 MiB (an estimate) more than wire ones.
pub(crate) const PARSED_QUERY_LIMIT: usize = 4096;

/// The stored form of a query message.
#[derive(Debug)]
pub(crate) enum QueryBody {
    Parsed(Box<Message>),
    /// The DNS message without the TCP length prefix, parsed again on completion.
    Wire(Box<[u8]>),
}

/// A query waiting for its response.
#[derive(Debug)]
pub(crate) struct PendingQuery {
    pub key: TransactionKey,
    /// Capture time of the query.
    pub timestamp: Timestamp,
    /// Whether the query used a multicast port (no "No response" note at expiry).
    pub multicast: bool,
    pub body: QueryBody,
}

impl PendingQuery {
    /// Returns the query size as Packetbeat counts it: over TCP the 2-byte prefix is included.
    pub fn bytes(&self) -> usize {
        let message_len = match &self.body {
            QueryBody::Parsed(message) => message.wire_len,
            QueryBody::Wire(wire) => wire.len(),
        };
        match self.key.transport {
            Transport::Udp => message_len,
            Transport::Tcp => message_len + 2,
        }
    }

    /// Builds the query's transaction, parsing a stored wire form again, with the query's own
    /// notes: the UDP size note, then one note per parser anomaly. The transaction is built in
    /// its box, which [`crate::Drain::next_boxed`] hands on without moving it.
    pub fn into_transaction(self, config: &PairingConfig) -> Box<Transaction> {
        let bytes = self.bytes();
        let mut transaction = Box::new(Transaction {
            transport: self.key.transport,
            client: self.key.client,
            server: self.key.server,
            request: None,
            response: None,
            notes: Vec::new(),
        });
        let message = match self.body {
            QueryBody::Parsed(message) => message,
            QueryBody::Wire(wire) => {
                let message = dnstel_dns::parse_boxed(&wire, &config.parse_options);
                debug_assert!(message.is_ok(), "a stored query parsed when it arrived");
                let Ok(message) = message else {
                    return transaction;
                };
                message
            }
        };
        let udp = self.key.transport == Transport::Udp;
        if udp && message.opt.is_none() && bytes > notes::MAX_NON_EDNS_UDP_SIZE {
            transaction.add_note(notes::REQUEST_TOO_LARGE);
        }
        push_anomaly_notes(
            &mut transaction.notes,
            notes::REQUEST_ANOMALY_PREFIX,
            &message,
            config.note_trailing_bytes,
        );
        transaction.request = Some(Side::new(message, self.timestamp, bytes));
        transaction
    }
}

/// Adds one note per parser anomaly of `message`. Informational anomalies (trailing bytes) get
/// a note only when `note_trailing_bytes` is set.
pub(crate) fn push_anomaly_notes(
    notes: &mut Vec<String>,
    prefix: &str,
    message: &Message,
    note_trailing_bytes: bool,
) {
    for anomaly in &message.anomalies {
        if anomaly.is_informational() && !note_trailing_bytes {
            continue;
        }
        notes.push(format!("{prefix}{anomaly}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: [u8; 19] = [0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];

    fn pending(transport: Transport, wire: &[u8]) -> PendingQuery {
        let body = QueryBody::Wire(wire.into());
        PendingQuery {
            key: TransactionKey {
                transport,
                client: "192.0.2.10:40000".parse().expect("literal address"),
                server: "192.0.2.53:53".parse().expect("literal address"),
                id: 7,
            },
            timestamp: Timestamp(5),
            multicast: false,
            body,
        }
    }

    fn parsed(pending: PendingQuery) -> PendingQuery {
        let QueryBody::Wire(wire) = &pending.body else {
            return pending;
        };
        let message = dnstel_dns::parse(wire, &Default::default()).expect("test query parses");
        PendingQuery {
            body: QueryBody::Parsed(Box::new(message)),
            ..pending
        }
    }

    #[test]
    fn tcp_size_counts_prefix() {
        assert_eq!(pending(Transport::Udp, &QUERY).bytes(), 19);
        assert_eq!(pending(Transport::Tcp, &QUERY).bytes(), 21);
        assert_eq!(parsed(pending(Transport::Udp, &QUERY)).bytes(), 19);
        assert_eq!(parsed(pending(Transport::Tcp, &QUERY)).bytes(), 21);
    }

    #[test]
    fn both_forms_build_same_transaction() {
        let mut long = QUERY.to_vec();
        long.resize(600, 0);
        for wire in [&QUERY[..], &long, &QUERY[..15]] {
            for transport in [Transport::Udp, Transport::Tcp] {
                let config = PairingConfig {
                    note_trailing_bytes: true,
                    ..Default::default()
                };
                let from_wire = pending(transport, wire).into_transaction(&config);
                let from_message = parsed(pending(transport, wire)).into_transaction(&config);
                assert_eq!(from_wire, from_message);
            }
        }
    }

    #[test]
    fn transaction_carries_parsed_query() {
        let transaction = pending(Transport::Udp, &QUERY).into_transaction(&Default::default());
        let request = transaction.request.expect("query parses");
        assert_eq!(request.message.header.id, 7);
        assert_eq!(request.message.questions[0].name, "a");
        assert_eq!(request.first_timestamp, Timestamp(5));
        assert_eq!(request.bytes, 19);
        assert!(transaction.notes.is_empty());
    }

    #[test]
    fn large_udp_query_gets_note() {
        let mut wire = QUERY.to_vec();
        wire.resize(600, 0);
        let transaction = pending(Transport::Udp, &wire).into_transaction(&Default::default());
        assert_eq!(transaction.notes, [notes::REQUEST_TOO_LARGE]);
    }

    #[test]
    fn pending_query_stays_small() {
        // The message lives on the heap in either form, so an entry fits a 112-byte allocation.
        assert!(std::mem::size_of::<PendingQuery>() <= 112);
    }
}
