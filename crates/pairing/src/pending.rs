//! A query waiting for its response, kept as its wire bytes.
//!
//! A transaction that holds a parsed query takes 528 bytes (x86-64) before the message's heap
//! parts, while a query on the wire is usually under 100 bytes. So a pending query keeps the
//! bytes and its matching key, and is parsed again only when its transaction is completed. Parsing is a pure function of the bytes
//! and the parse options, so the second parse gives the message the first one checked.

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

/// A query waiting for its response.
#[derive(Debug)]
pub(crate) struct PendingQuery {
    pub key: TransactionKey,
    /// Capture time of the query.
    pub timestamp: Timestamp,
    /// Whether the query used a multicast port (no "No response" note at expiry).
    pub multicast: bool,
    /// The DNS message, without the TCP length prefix.
    pub wire: Box<[u8]>,
}

impl PendingQuery {
    /// Returns the query size as Packetbeat counts it: over TCP the 2-byte prefix is included.
    pub fn bytes(&self) -> usize {
        match self.key.transport {
            Transport::Udp => self.wire.len(),
            Transport::Tcp => self.wire.len() + 2,
        }
    }

    /// Parses the query again and builds its transaction with the query's own notes: the UDP
    /// size note, then one note per parser anomaly.
    pub fn into_transaction(self, config: &PairingConfig) -> Transaction {
        let bytes = self.bytes();
        let mut transaction = Transaction {
            transport: self.key.transport,
            client: self.key.client,
            server: self.key.server,
            request: None,
            response: None,
            notes: Vec::new(),
        };
        let message = dnstel_dns::parse(&self.wire, &config.parse_options);
        debug_assert!(message.is_ok(), "a stored query parsed when it arrived");
        let Ok(message) = message else {
            return transaction;
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
        PendingQuery {
            key: TransactionKey {
                transport,
                client: "192.0.2.10:40000".parse().expect("literal address"),
                server: "192.0.2.53:53".parse().expect("literal address"),
                id: 7,
            },
            timestamp: Timestamp(5),
            multicast: false,
            wire: wire.into(),
        }
    }

    #[test]
    fn tcp_size_counts_prefix() {
        assert_eq!(pending(Transport::Udp, &QUERY).bytes(), 19);
        assert_eq!(pending(Transport::Tcp, &QUERY).bytes(), 21);
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
        // The wire bytes live on the heap; the entry itself must not hold a parsed message.
        assert!(std::mem::size_of::<PendingQuery>() <= 112);
    }
}
