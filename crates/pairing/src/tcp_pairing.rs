//! DNS over TCP in the pairing. Segments go through per-direction reassembly, and complete
//! messages pair like UDP ones. A response then stays open on its connection to collect further
//! messages under the same ID (AXFR, IXFR), until the connection closes or idles, or the next
//! query arrives on it.

use std::net::SocketAddr;
use std::ops::Range;

use dnstel_dns::Message;
use dnstel_packet::Timestamp;

use crate::decode::decode;
use crate::input::{DnsSegment, Transport};
use crate::notes;
use crate::pairing::{Arrival, Pairing};
use crate::pending::TransactionKey;
use crate::tcp::{ConnectionKey, Flow, OpenResponse, StreamEvent, StreamLimits};

/// A stream event after DNS decoding.
///
/// Items wait in a buffer that is reused for every segment, so the size of the message variant
/// costs no allocation.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum TcpItem {
    Message {
        timestamp: Timestamp,
        bytes: usize,
        message: Box<Message>,
        /// The range of [`Pairing::tcp_query_wires`] that contains the message without its
        /// length prefix, for a query only.
        query_wire: Option<Range<usize>>,
    },
    NotDns,
    ZeroLength,
    Incomplete {
        id: Option<u16>,
        is_response: Option<bool>,
    },
}

/// Above this capacity the buffer of query wire forms is freed after use rather than kept.
const QUERY_WIRES_KEEP_CAPACITY: usize = 64 * 1024;

/// An operation on one direction's stream.
#[derive(Clone, Copy)]
enum StreamOperation<'a> {
    Push(&'a DnsSegment<'a>),
    Acknowledge(u32),
    Close,
}

impl Pairing {
    /// Handles one TCP segment.
    pub fn process_tcp(&mut self, segment: &DnsSegment<'_>) {
        let source_port = segment.source.port();
        let destination_port = segment.destination.port();
        if !self.config.is_dns_port(source_port, destination_port) {
            self.stats.ignored_packets += 1;
            return;
        }
        self.advance(segment.timestamp);
        let (key, direction) = ConnectionKey::from_segment(segment.source, segment.destination);
        if !self.track_connection(key, segment) {
            self.stats.ignored_packets += 1;
            return;
        }
        if let Some(acknowledgment) = segment.acknowledgment {
            let operation = StreamOperation::Acknowledge(acknowledgment);
            self.run_stream(key, 1 - direction, operation);
        }
        self.run_stream(key, direction, StreamOperation::Push(segment));
        if segment.flags.rst {
            self.close_connection(key);
        } else if segment.flags.fin {
            self.finish_direction(key, direction);
        }
    }

    /// Closes both directions of a connection, emits its open responses and removes it.
    pub(crate) fn close_connection(&mut self, key: ConnectionKey) {
        for direction in 0..2 {
            self.run_stream(key, direction, StreamOperation::Close);
        }
        self.emit_open_responses(key, None);
        self.connections.remove(&key);
    }

    /// Finds or creates the connection of a segment. Returns false for a segment that does not
    /// warrant new state: a bare ACK, FIN or RST of an untracked connection.
    fn track_connection(&mut self, key: ConnectionKey, segment: &DnsSegment<'_>) -> bool {
        // Activity uses packet time, so a segment with an earlier timestamp than one already
        // seen does not make its connection look idle.
        let now = self.now();
        // Touching first finds a known connection with one lookup for most segments. A reset
        // leaves the activity that the touch set.
        if self.connections.touch(&key, now) {
            if segment.flags.syn {
                if let Some(connection) = self.connections.get_mut(&key) {
                    if connection.skipped {
                        connection.reset();
                    }
                }
            }
            return true;
        }
        let opens = segment.flags.syn || !segment.payload.is_empty();
        if !opens || segment.flags.rst {
            return false;
        }
        while self.connections.len() >= self.config.tcp.max_connections {
            let Some(oldest) = self.connections.least_active() else {
                break;
            };
            self.stats.tcp_connections_evicted += 1;
            self.close_connection(oldest);
        }
        self.stats.tcp_connections += 1;
        self.connections.insert(key, now);
        true
    }

    /// Pushes a segment into, or closes, one direction's stream, then applies what came out.
    fn run_stream(&mut self, key: ConnectionKey, direction: usize, operation: StreamOperation) {
        let limits = StreamLimits {
            max_stream_bytes: self.config.tcp.max_stream_bytes,
            max_out_of_order_segments: self.config.tcp.max_out_of_order_segments,
            total_available: self
                .config
                .tcp
                .max_total_bytes
                .saturating_sub(self.connections.buffered_bytes()),
        };
        let options = self.config.parse_options;
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        let stream = &mut connection.streams[direction];
        let before = stream.buffered();
        let items = &mut self.tcp_items;
        let query_wires = &mut self.tcp_query_wires;
        let mut sink = |event: StreamEvent<'_>| -> Flow {
            match event {
                StreamEvent::Message { timestamp, bytes } => {
                    let body = bytes.get(2..).unwrap_or_default();
                    let Some(message) = decode(body, &options) else {
                        items.push(TcpItem::NotDns);
                        return Flow::Stop;
                    };
                    let query_wire = (!message.header.qr).then(|| {
                        let start = query_wires.len();
                        query_wires.extend_from_slice(body);
                        start..query_wires.len()
                    });
                    items.push(TcpItem::Message {
                        timestamp,
                        bytes: bytes.len(),
                        message,
                        query_wire,
                    });
                    Flow::Continue
                }
                StreamEvent::ZeroLength => {
                    items.push(TcpItem::ZeroLength);
                    Flow::Stop
                }
                StreamEvent::Incomplete { id, is_response } => {
                    items.push(TcpItem::Incomplete { id, is_response });
                    Flow::Continue
                }
            }
        };
        match operation {
            StreamOperation::Push(segment) if connection.skipped => {
                self.stats.tcp_skipped_bytes += segment.payload.len() as u64;
            }
            StreamOperation::Push(segment) => {
                let mut sequence = segment.sequence;
                if segment.flags.syn {
                    stream.syn(sequence);
                    sequence = sequence.wrapping_add(1);
                }
                stream.push(
                    sequence,
                    segment.timestamp,
                    segment.payload,
                    limits,
                    &mut self.stats,
                    &mut sink,
                );
            }
            StreamOperation::Acknowledge(acknowledgment) => {
                stream.acknowledged(acknowledgment, &mut self.stats, &mut sink);
            }
            StreamOperation::Close => stream.close(&mut self.stats, &mut sink),
        }
        let after = stream.buffered();
        self.connections.account(before, after);
        self.apply_items(key, direction);
    }

    /// Applies the decoded stream events of one direction in order.
    fn apply_items(&mut self, key: ConnectionKey, direction: usize) {
        let (source, destination) = key.endpoints(direction);
        let mut items = std::mem::take(&mut self.tcp_items);
        let mut query_wires = std::mem::take(&mut self.tcp_query_wires);
        for item in items.drain(..) {
            match item {
                TcpItem::Message {
                    timestamp,
                    bytes,
                    message,
                    query_wire,
                } => {
                    let arrival = Arrival {
                        transport: Transport::Tcp,
                        source,
                        destination,
                        timestamp,
                        bytes,
                        multicast: self
                            .config
                            .is_multicast_port(source.port(), destination.port()),
                    };
                    let query_wire = query_wire.and_then(|range| query_wires.get(range));
                    self.receive_tcp_message(key, arrival, message, query_wire);
                }
                TcpItem::NotDns => {
                    self.stats.undecodable += 1;
                    self.stats.tcp_non_dns_connections += 1;
                    self.skip_connection(key);
                    self.fail_pending(destination, source, notes::RESPONSE_NOT_DNS);
                }
                TcpItem::ZeroLength => {
                    self.skip_connection(key);
                    self.fail_pending(destination, source, notes::RESPONSE_ZERO_LENGTH);
                }
                TcpItem::Incomplete { id, is_response } => {
                    self.receive_incomplete(key, source, destination, id, is_response);
                }
            }
        }
        self.tcp_items = items;
        query_wires.clear();
        if query_wires.capacity() <= QUERY_WIRES_KEEP_CAPACITY {
            self.tcp_query_wires = query_wires;
        }
    }

    fn receive_tcp_message(
        &mut self,
        key: ConnectionKey,
        arrival: Arrival,
        message: Box<Message>,
        query_wire: Option<&[u8]>,
    ) {
        if let Some(wire) = query_wire {
            self.emit_open_responses(key, None);
            self.receive_query(arrival, message, wire);
            return;
        }
        let id = message.header.id;
        let Some(mut open) = self.take_open_response(key, arrival.source, id) else {
            let transaction = self.receive_response(arrival, message);
            self.keep_open(key, OpenResponse { transaction });
            return;
        };
        self.stats.responses += 1;
        self.add_anomaly_notes(
            &mut open.transaction,
            notes::RESPONSE_ANOMALY_PREFIX,
            &message,
        );
        if let Some(side) = open.transaction.response.as_mut() {
            side.merge(*message, arrival.timestamp, arrival.bytes);
        }
        self.keep_open(key, open);
    }

    fn take_open_response(
        &mut self,
        key: ConnectionKey,
        server: SocketAddr,
        id: u16,
    ) -> Option<OpenResponse> {
        let connection = self.connections.get_mut(&key)?;
        let index = connection
            .open_responses
            .iter()
            .position(|open| open.continues_with(server, id))?;
        Some(connection.open_responses.remove(index))
    }

    /// Puts a response (back) on its connection, emitting it or the oldest open one when a
    /// limit is reached.
    fn keep_open(&mut self, key: ConnectionKey, open: OpenResponse) {
        let limits = &self.config.tcp;
        if open.response_bytes() >= limits.max_response_bytes {
            self.stats.tcp_responses_split += 1;
            self.emit(open.transaction);
            return;
        }
        let max_open = limits.max_open_responses;
        let Some(connection) = self.connections.get_mut(&key) else {
            self.emit(open.transaction);
            return;
        };
        connection.open_responses.push(open);
        if connection.open_responses.len() > max_open {
            let oldest = connection.open_responses.remove(0);
            self.stats.tcp_responses_split += 1;
            self.emit(oldest.transaction);
        }
    }

    /// Handles a partial message dropped from the `source -> destination` direction.
    fn receive_incomplete(
        &mut self,
        key: ConnectionKey,
        source: SocketAddr,
        destination: SocketAddr,
        id: Option<u16>,
        is_response: Option<bool>,
    ) {
        match (id, is_response) {
            // A partial query produces no event, as in Packetbeat; the stream counted it.
            (_, Some(false)) => {}
            (Some(id), Some(true)) => {
                if let Some(mut open) = self.take_open_response(key, source, id) {
                    open.transaction.add_note(notes::RESPONSE_INCOMPLETE);
                    self.emit(open.transaction);
                    return;
                }
                let query = TransactionKey {
                    transport: Transport::Tcp,
                    client: destination,
                    server: source,
                    id,
                };
                if let Some(pending) = self.table.remove(&query) {
                    self.emit_closed(pending, Some(notes::RESPONSE_INCOMPLETE));
                }
            }
            // Too short to read the ID, so it is taken as the response to every pending query.
            _ => self.fail_pending(destination, source, notes::RESPONSE_INCOMPLETE),
        }
    }

    /// Emits every pending TCP query from `client` to `server` with `note`.
    fn fail_pending(&mut self, client: SocketAddr, server: SocketAddr, note: &'static str) {
        for query in self.table.tcp_keys_between(client, server) {
            if let Some(pending) = self.table.remove(&query) {
                self.emit_closed(pending, Some(note));
            }
        }
    }

    /// Stops reading a connection whose data is not DNS until a SYN starts it over.
    fn skip_connection(&mut self, key: ConnectionKey) {
        if let Some(connection) = self.connections.get_mut(&key) {
            let before = connection.buffered();
            connection.skipped = true;
            for stream in &mut connection.streams {
                stream.stop();
            }
            self.connections.account(before, 0);
        }
        self.emit_open_responses(key, None);
    }

    /// Handles a FIN: the direction's partial message is incomplete, the responses it sent
    /// are complete, and the connection is forgotten once both directions have finished.
    fn finish_direction(&mut self, key: ConnectionKey, direction: usize) {
        self.run_stream(key, direction, StreamOperation::Close);
        let (source, _) = key.endpoints(direction);
        self.emit_open_responses(key, Some(source));
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        connection.fin[direction] = true;
        if connection.fin == [true, true] {
            self.close_connection(key);
        }
    }

    /// Emits the open responses of a connection, only those sent by `server` if given.
    fn emit_open_responses(&mut self, key: ConnectionKey, server: Option<SocketAddr>) {
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        if connection.open_responses.is_empty() {
            return;
        }
        let mut open = std::mem::take(&mut connection.open_responses);
        let mut kept_responses = Vec::new();
        for response in open.drain(..) {
            if server.is_none_or(|server| response.transaction.server == server) {
                self.emit(response.transaction);
            } else {
                kept_responses.push(response);
            }
        }
        if let Some(connection) = self.connections.get_mut(&key) {
            // The emptied vector goes back when nothing was kept, so its memory is reused.
            connection.open_responses = if kept_responses.is_empty() {
                open
            } else {
                kept_responses
            };
        }
    }
}

#[cfg(test)]
#[path = "tcp_pairing_tests.rs"]
mod tests;
