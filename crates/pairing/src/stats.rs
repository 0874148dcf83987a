//! Counters of what the pairing saw, built, and dropped.

/// Counters of a [`Pairing`](crate::Pairing). Every message or byte the pairing drops is counted
/// in one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairingStats {
    /// Datagrams and segments whose ports are not DNS ports, empty UDP datagrams, and TCP
    /// segments with neither data nor SYN for a connection that is not tracked (such as the
    /// last ACK after both FINs).
    pub ignored_packets: u64,
    /// Messages with the QR bit clear (queries).
    pub requests: u64,
    /// Messages with the QR bit set (responses), each message of a multi-message response
    /// included.
    pub responses: u64,
    /// Responses that matched a pending query.
    pub paired: u64,
    /// Responses with no pending query (Packetbeat's `dns.unmatched_responses`), multicast ports
    /// excluded.
    pub orphans: u64,
    /// Responses without a query on a multicast port (not orphans there).
    pub multicast_responses: u64,
    /// Pending queries closed by a new query with the same key.
    pub duplicates: u64,
    /// Queries emitted unanswered because `transaction_timeout` passed (Packetbeat's
    /// `dns.unmatched_requests`).
    pub timeouts: u64,
    /// Queries emitted unanswered by [`Pairing::flush_all`](crate::Pairing::flush_all).
    pub flushed: u64,
    /// Times packet time jumped back by more than the transaction timeout (a later capture
    /// file that starts earlier than the one before); pending queries were then closed as
    /// unanswered and counted in `flushed`.
    pub clock_resets: u64,
    /// Queries emitted unanswered because the table was full.
    pub evicted: u64,
    /// Messages that parsed with anomalies (they still pair, with notes).
    pub malformed: u64,
    /// Messages that could not be decoded as DNS and were dropped.
    pub undecodable: u64,
    /// Transactions handed to the caller.
    pub transactions: u64,
    /// TCP connections created.
    pub tcp_connections: u64,
    /// TCP connections evicted because `tcp.max_connections` was reached.
    pub tcp_connections_evicted: u64,
    /// TCP connections closed by idle timeout.
    pub tcp_connections_timed_out: u64,
    /// TCP connections whose data was not DNS; the rest of the connection was skipped.
    pub tcp_non_dns_connections: u64,
    /// TCP length prefixes of zero; the rest of the connection was skipped.
    pub tcp_zero_length_messages: u64,
    /// TCP segments that repeated data already received.
    pub tcp_retransmissions: u64,
    /// TCP segments that partly repeated data already received (the new part was kept).
    pub tcp_overlaps: u64,
    /// TCP segments that arrived ahead of a hole and were buffered.
    pub tcp_out_of_order: u64,
    /// Holes in a TCP stream that never filled: the partial message was dropped and the stream
    /// resynchronised on the next segment that starts a message.
    pub tcp_gaps: u64,
    /// TCP streams that found a message boundary again after a gap or a mid-stream start.
    pub tcp_resyncs: u64,
    /// TCP payload bytes dropped while a stream looked for a message boundary, or skipped in a
    /// non-DNS connection.
    pub tcp_skipped_bytes: u64,
    /// TCP payload bytes dropped because a per-stream or total buffer limit was reached.
    pub tcp_limit_dropped_bytes: u64,
    /// Partial TCP messages dropped at a FIN, RST, gap, eviction or idle timeout.
    pub tcp_incomplete_messages: u64,
    /// Multi-message TCP responses emitted early because `tcp.max_open_responses` or
    /// `tcp.max_response_bytes` was reached.
    pub tcp_responses_split: u64,
}
