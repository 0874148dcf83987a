//! Completed transactions: a query, its response, or both, with notes.

use std::net::SocketAddr;

use dnstel_dns::Message;
use dnstel_packet::Timestamp;

use crate::input::Transport;

/// One side of a transaction: the query or the response.
///
/// Over TCP a response may span several messages (AXFR, IXFR). They are merged into one
/// [`Message`]: the header and question of the first, the records of all in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// The parsed message (merged for a multi-message response), boxed so that a side moves
    /// without copying it.
    pub message: Box<Message>,
    /// Capture time of the first packet of the first message.
    pub first_timestamp: Timestamp,
    /// Capture time of the first packet of the last message.
    pub last_timestamp: Timestamp,
    /// Bytes of all messages: the UDP payload, or over TCP each message with its 2-byte length
    /// prefix, as Packetbeat counts `source.bytes` and `destination.bytes`.
    pub bytes: usize,
    /// Number of DNS messages merged into this side.
    pub messages: u32,
}

impl Side {
    /// Builds a side from one message.
    pub fn new(message: impl Into<Box<Message>>, timestamp: Timestamp, bytes: usize) -> Self {
        Side {
            message: message.into(),
            first_timestamp: timestamp,
            last_timestamp: timestamp,
            bytes,
            messages: 1,
        }
    }

    /// Appends a later message of the same response: its records and anomalies go after the
    /// ones already here, and the header section counts are summed (saturating at 65 535).
    pub fn merge(&mut self, later: Message, timestamp: Timestamp, bytes: usize) {
        let merged = &mut self.message;
        let header = &mut merged.header;
        header.ancount = header.ancount.saturating_add(later.header.ancount);
        header.nscount = header.nscount.saturating_add(later.header.nscount);
        header.arcount = header.arcount.saturating_add(later.header.arcount);
        merged.answers.extend(later.answers);
        merged.authorities.extend(later.authorities);
        merged.additionals.extend(later.additionals);
        merged.anomalies.extend(later.anomalies);
        merged.wire_len = merged.wire_len.saturating_add(later.wire_len);
        self.last_timestamp = timestamp;
        self.bytes = self.bytes.saturating_add(bytes);
        self.messages = self.messages.saturating_add(1);
    }
}

/// A completed DNS transaction, as Packetbeat publishes one event per transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Transport of the messages.
    pub transport: Transport,
    /// The querying side: the query's source, or the destination of an orphan response.
    pub client: SocketAddr,
    /// The responding side: the query's destination, or the source of an orphan response.
    pub server: SocketAddr,
    /// The query, absent for an orphan response.
    pub request: Option<Side>,
    /// The response, absent for an unanswered or duplicate query.
    pub response: Option<Side>,
    /// Notes for `error.message`, in the order they were added.
    pub notes: Vec<String>,
}

impl Transaction {
    /// Returns the event time: the query's time, or the response's for an orphan response.
    pub fn timestamp(&self) -> Timestamp {
        match (&self.request, &self.response) {
            (Some(request), _) => request.first_timestamp,
            (None, Some(response)) => response.first_timestamp,
            (None, None) => Timestamp::default(),
        }
    }

    /// Returns the DNS message ID of the transaction.
    pub fn id(&self) -> Option<u16> {
        self.request
            .as_ref()
            .or(self.response.as_ref())
            .map(|side| side.message.header.id)
    }

    pub(crate) fn add_note(&mut self, note: &str) {
        self.notes.push(note.to_owned());
    }
}
