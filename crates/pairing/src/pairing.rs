//! The pairing engine: queries wait in a bounded table until their response, a duplicate, the
//! timeout, eviction or the end of input closes them.
//!
//! Time is packet time: every input advances a clock (the largest timestamp seen), and
//! [`Pairing::advance`] lets the caller move it on idle ticks. Completed transactions queue up
//! in the order they complete and leave through [`Pairing::drain`].

use std::collections::VecDeque;
use std::net::SocketAddr;

use dnstel_dns::Message;
use dnstel_packet::Timestamp;

use crate::config::{ConfigError, PairingConfig};
use crate::decode::decode;
use crate::drain::{Completed, Drain};
use crate::input::{DnsDatagram, Transport};
use crate::notes;
use crate::pending::{
    push_anomaly_notes, PendingQuery, QueryBody, TransactionKey, PARSED_QUERY_LIMIT,
};
use crate::stats::PairingStats;
use crate::table::{TransactionTable, MAX_ENTRIES};
use crate::tcp::ConnectionTable;
use crate::tcp_pairing::TcpItem;
use crate::transaction::{Side, Transaction};

/// Arrival of one message: transport, endpoints, time and size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival {
    pub transport: Transport,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub timestamp: Timestamp,
    /// Message size as Packetbeat counts it (TCP includes the 2-byte prefix).
    pub bytes: usize,
    pub multicast: bool,
}

/// Pairs DNS queries with their responses over UDP and TCP.
///
/// Feed decoded datagrams and segments in capture order with [`process_udp`](Self::process_udp)
/// and [`process_tcp`](Self::process_tcp), call [`advance`](Self::advance) on idle ticks and
/// [`flush_all`](Self::flush_all) at the end of input, and take completed transactions with
/// [`drain`](Self::drain). The same input always gives the same transactions in the same order.
#[derive(Debug)]
pub struct Pairing {
    pub(crate) config: PairingConfig,
    timeout_nanos: i64,
    clock: Option<Timestamp>,
    pub(crate) table: TransactionTable,
    pub(crate) connections: ConnectionTable,
    pub(crate) stats: PairingStats,
    /// Completed transactions, oldest completion first. Closed queries wait here in their stored
    /// form, so emitting the whole table at the end of input adds only 24 bytes per query.
    pub(crate) output: VecDeque<Completed>,
    /// Reused buffer of decoded TCP stream events.
    pub(crate) tcp_items: Vec<TcpItem>,
    /// Reused buffer of the wire forms of the TCP queries in `tcp_items`.
    pub(crate) tcp_query_wires: Vec<u8>,
    /// [`PARSED_QUERY_LIMIT`], lowered by tests to compare both forms of a pending query.
    pub(crate) parsed_query_limit: usize,
}

impl Pairing {
    /// Builds a pairing after checking the configuration.
    pub fn new(config: PairingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Pairing {
            timeout_nanos: config.timeout_nanos(),
            config,
            clock: None,
            table: TransactionTable::default(),
            connections: ConnectionTable::default(),
            stats: PairingStats::default(),
            output: VecDeque::new(),
            tcp_items: Vec::new(),
            tcp_query_wires: Vec::new(),
            parsed_query_limit: PARSED_QUERY_LIMIT,
        })
    }

    /// Returns packet time: the latest timestamp seen or passed to [`advance`](Self::advance).
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.unwrap_or_default()
    }

    /// Returns the configuration in use.
    pub fn config(&self) -> &PairingConfig {
        &self.config
    }

    /// Returns the counters.
    pub fn stats(&self) -> &PairingStats {
        &self.stats
    }

    /// Returns the number of queries waiting for a response.
    pub fn pending_transactions(&self) -> usize {
        self.table.len()
    }

    /// Returns the number of tracked TCP connections.
    pub fn tcp_connections(&self) -> usize {
        self.connections.len()
    }

    /// Returns the bytes buffered by TCP reassembly over all connections.
    pub fn tcp_buffered_bytes(&self) -> usize {
        self.connections.buffered_bytes()
    }

    /// Removes and returns the completed transactions, oldest completion first. The queue's
    /// memory is kept for reuse. A closed query stored as wire bytes is parsed again as the
    /// iterator reaches it. Dropping the iterator discards the transactions it has not returned.
    pub fn drain(&mut self) -> Drain<'_> {
        Drain::new(self)
    }

    /// Handles one UDP datagram: its payload is one DNS message.
    pub fn process_udp(&mut self, datagram: &DnsDatagram<'_>) {
        let source_port = datagram.source.port();
        let destination_port = datagram.destination.port();
        if !self.config.is_dns_port(source_port, destination_port) || datagram.payload.is_empty() {
            self.stats.ignored_packets += 1;
            return;
        }
        self.advance(datagram.timestamp);
        let payload = datagram.payload;
        let Some(message) = decode(payload, &self.config.parse_options) else {
            self.stats.undecodable += 1;
            return;
        };
        let arrival = Arrival {
            transport: Transport::Udp,
            source: datagram.source,
            destination: datagram.destination,
            timestamp: datagram.timestamp,
            bytes: datagram.payload.len(),
            multicast: self.config.is_multicast_port(source_port, destination_port),
        };
        if message.header.qr {
            let transaction = self.receive_response(arrival, message);
            self.emit(transaction);
        } else {
            self.receive_query(arrival, message, payload);
        }
    }

    /// Moves packet time to `now` (if later than any time seen) and closes what expired: idle
    /// TCP connections first, then unanswered queries, each oldest first.
    ///
    /// When `now` is earlier than the clock by more than the transaction timeout, the input has
    /// started a new timeline (several capture files read as one stream, out of time order):
    /// everything pending is closed as at the end of input and the clock restarts at `now`.
    /// Smaller steps back (packets reordered between capture queues) leave the clock alone.
    pub fn advance(&mut self, now: Timestamp) {
        if let Some(clock) = self.clock {
            if now.0 < clock.0.saturating_sub(self.timeout_nanos) {
                self.stats.clock_resets += 1;
                self.flush_all();
                self.clock = Some(now);
            }
        }
        let clock = self.clock.map_or(now, |clock| clock.max(now));
        self.clock = Some(clock);
        let deadline = Timestamp(clock.0.saturating_sub(self.timeout_nanos));
        while let Some(key) = self.connections.idle(deadline) {
            self.stats.tcp_connections_timed_out += 1;
            self.close_connection(key);
        }
        while let Some(pending) = self.table.pop_expired(deadline) {
            self.stats.timeouts += 1;
            self.emit_unanswered(pending);
        }
    }

    /// Closes everything at the end of input: TCP connections (partial messages become
    /// incomplete, open responses complete), then every pending query as unanswered.
    pub fn flush_all(&mut self) {
        while let Some(key) = self.connections.least_active() {
            self.close_connection(key);
        }
        // One exact allocation, because doubling would keep the old and new queue resident at
        // once when a full table is flushed.
        self.output.reserve(self.table.len());
        while let Some(pending) = self.table.pop_oldest() {
            self.stats.flushed += 1;
            self.emit_unanswered(pending);
        }
    }

    /// Stores a query, closing a pending duplicate first and evicting the oldest query when the
    /// table is full. `wire` is the message without a TCP length prefix, which the table keeps
    /// in place of `message` once it contains [`PARSED_QUERY_LIMIT`] queries. The query's own notes
    /// are added when its transaction is built.
    pub(crate) fn receive_query(&mut self, arrival: Arrival, message: Box<Message>, wire: &[u8]) {
        self.stats.requests += 1;
        if !message.anomalies.is_empty() {
            self.stats.malformed += 1;
        }
        let key = TransactionKey {
            transport: arrival.transport,
            client: arrival.source,
            server: arrival.destination,
            id: message.header.id,
        };
        let hash = self.table.hash(&key);
        if let Some(earlier) = self.table.remove_hashed(hash, &key) {
            // mDNS and LLMNR resend queries with the same ID by design, so a repeat there is
            // not worth a note.
            let note = (!earlier.multicast).then_some(notes::DUPLICATE_QUERY);
            self.stats.duplicates += 1;
            self.emit_closed(earlier, note);
        }
        let max_transactions = self.config.max_transactions.min(MAX_ENTRIES);
        while self.table.len() >= max_transactions {
            let Some(oldest) = self.table.pop_oldest() else {
                break;
            };
            self.stats.evicted += 1;
            self.emit_unanswered(oldest);
        }
        let body = if self.table.len() < self.parsed_query_limit {
            QueryBody::Parsed(message)
        } else {
            QueryBody::Wire(wire.into())
        };
        self.table.insert_hashed(
            hash,
            Box::new(PendingQuery {
                key,
                timestamp: arrival.timestamp,
                multicast: arrival.multicast,
                body,
            }),
        );
    }

    /// Attaches a response to its pending query, or builds a response-only transaction, and
    /// returns it without emitting it. On a multicast port, a unicast response also answers a
    /// query its client sent to a multicast group with the same ID and port.
    ///
    /// The transaction is boxed from the start, so it moves as a pointer from here to the
    /// consumer of [`Pairing::drain`].
    pub(crate) fn receive_response(
        &mut self,
        arrival: Arrival,
        message: Box<Message>,
    ) -> Box<Transaction> {
        self.stats.responses += 1;
        let key = TransactionKey {
            transport: arrival.transport,
            client: arrival.destination,
            server: arrival.source,
            id: message.header.id,
        };
        let mut pending = self.table.remove(&key);
        let mut answers_group_query = false;
        if pending.is_none() && arrival.multicast {
            let server_port = arrival.source.port();
            let query = self
                .table
                .multicast_query(key.transport, key.client, server_port, key.id);
            pending = query.and_then(|query| self.table.remove(&query));
            answers_group_query = pending.is_some();
        }
        let mut transaction = match pending {
            Some(pending) => {
                self.stats.paired += 1;
                pending.into_transaction(&self.config)
            }
            None => self.response_only(arrival),
        };
        if answers_group_query {
            // The query went to the multicast group; the event names the host that answered,
            // which is what matters for spotting LLMNR and mDNS poisoning.
            transaction.server = arrival.source;
        }
        // mDNS and LLMNR responders do not echo EDNS the way unicast servers must, so the
        // EDNS mismatch notes would only be noise there.
        if arrival.transport == Transport::Udp && !arrival.multicast {
            add_edns_notes(&mut transaction, &message, arrival.bytes);
        }
        self.add_anomaly_notes(&mut transaction, notes::RESPONSE_ANOMALY_PREFIX, &message);
        transaction.response = Some(Side::new(message, arrival.timestamp, arrival.bytes));
        transaction
    }

    fn response_only(&mut self, arrival: Arrival) -> Box<Transaction> {
        let mut transaction = Box::new(Transaction {
            transport: arrival.transport,
            client: arrival.destination,
            server: arrival.source,
            request: None,
            response: None,
            notes: Vec::new(),
        });
        if arrival.multicast {
            self.stats.multicast_responses += 1;
        } else {
            self.stats.orphans += 1;
            transaction.add_note(notes::ORPHANED_RESPONSE);
        }
        transaction
    }

    /// Adds one note per parser anomaly, and counts the message as malformed if it has any
    /// anomaly. Informational anomalies (trailing bytes) get a note only if configured.
    pub(crate) fn add_anomaly_notes(
        &mut self,
        transaction: &mut Transaction,
        prefix: &str,
        message: &Message,
    ) {
        if message.anomalies.is_empty() {
            return;
        }
        self.stats.malformed += 1;
        let note_trailing_bytes = self.config.note_trailing_bytes;
        push_anomaly_notes(&mut transaction.notes, prefix, message, note_trailing_bytes);
    }

    /// Emits a query that timed out, was evicted or was flushed, with the "No response" note
    /// unless it used a multicast port.
    fn emit_unanswered(&mut self, query: Box<PendingQuery>) {
        let note = (!query.multicast).then_some(notes::NO_RESPONSE);
        self.emit_closed(query, note);
    }

    /// Emits a query closed without a response, to be parsed when it is drained. `note` goes
    /// after the query's own notes.
    pub(crate) fn emit_closed(&mut self, query: Box<PendingQuery>, note: Option<&'static str>) {
        self.stats.transactions += 1;
        self.output.push_back(Completed::Query { query, note });
    }

    pub(crate) fn emit(&mut self, transaction: Box<Transaction>) {
        self.stats.transactions += 1;
        self.output.push_back(Completed::Transaction(transaction));
    }
}

/// Adds Packetbeat's UDP size and EDNS notes for a response, in Packetbeat's order.
fn add_edns_notes(transaction: &mut Transaction, response: &Message, bytes: usize) {
    let response_edns = response.opt.is_some();
    if !response_edns && bytes > notes::MAX_NON_EDNS_UDP_SIZE {
        transaction.add_note(notes::RESPONSE_TOO_LARGE);
    }
    let Some(request) = &transaction.request else {
        return;
    };
    let request_edns = request.message.opt.is_some();
    if request_edns && !response_edns {
        transaction.add_note(notes::RESPONDER_NO_EDNS);
    } else if !request_edns && response_edns {
        transaction.add_note(notes::UNEXPECTED_EDNS);
    }
}

#[cfg(test)]
#[path = "pairing_tests.rs"]
mod tests;
