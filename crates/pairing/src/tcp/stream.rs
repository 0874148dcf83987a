//! Reassembly of one direction of a TCP connection into length-prefixed DNS messages.
//!
//! A [`Stream`] keeps the bytes of the message being received, the segments that arrived ahead
//! of a hole, and where the next in-order byte is. Retransmitted bytes are dropped, overlaps are
//! trimmed, and out-of-order segments wait (within limits) for the hole to fill. When a hole
//! does not fill, the partial message is reported as incomplete and the stream searches for a
//! segment that may start a message (see [`may_start_message`]). A capture that starts in the
//! middle of a connection begins in that state too. The first message framed after such a guess
//! must parse without anomalies, or the guess is dropped, so mid-message bytes are not reported
//! as a message.

use dnstel_packet::Timestamp;

use crate::stats::PairingStats;
use crate::tcp::boundary::{may_start_message, parses_cleanly};

/// Limits a stream honours on one push.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamLimits {
    /// Maximum bytes buffered by this stream.
    pub max_stream_bytes: usize,
    /// Maximum out-of-order segments held.
    pub max_out_of_order_segments: usize,
    /// Bytes the stream may still add before the total limit over all streams is reached.
    pub total_available: usize,
}

/// Events a stream reports while it is fed.
#[derive(Debug)]
pub(crate) enum StreamEvent<'a> {
    /// A complete message, length prefix included, and the time of the packet that started it.
    Message {
        timestamp: Timestamp,
        bytes: &'a [u8],
    },
    /// A length prefix of zero: the stream stops.
    ZeroLength,
    /// A partial message was dropped. Its ID and QR bit are given when the bytes reached them.
    Incomplete {
        id: Option<u16>,
        is_response: Option<bool>,
    },
}

/// Whether the consumer of a [`StreamEvent::Message`] wants more messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Receiver of stream events.
pub(crate) type Sink<'s> = dyn FnMut(StreamEvent<'_>) -> Flow + 's;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// `buffer` starts at a message boundary and `next_sequence` is the next byte expected.
    Synced,
    /// The boundary is unknown: each segment is tested with [`may_start_message`].
    Searching,
    /// The stream was closed, or its data is not DNS: everything is ignored until a SYN.
    Stopped,
}

#[derive(Debug)]
struct OutOfOrder {
    sequence: u32,
    timestamp: Timestamp,
    data: Vec<u8>,
}

/// One direction of a TCP connection.
#[derive(Debug)]
pub(crate) struct Stream {
    state: State,
    next_sequence: u32,
    buffer: Vec<u8>,
    /// Time of the packet that contained `buffer[0]`.
    buffer_timestamp: Timestamp,
    out_of_order: Vec<OutOfOrder>,
    out_of_order_bytes: usize,
    /// Set after a resynchronisation: the next message must parse cleanly before it is
    /// reported, or the stream goes back to searching.
    verify: bool,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            state: State::Searching,
            next_sequence: 0,
            buffer: Vec::new(),
            buffer_timestamp: Timestamp::default(),
            out_of_order: Vec::new(),
            out_of_order_bytes: 0,
            verify: false,
        }
    }
}

/// Buffers larger than this are freed rather than kept for reuse once empty.
const KEEP_CAPACITY: usize = 4096;

impl Stream {
    /// Returns the bytes this stream holds.
    pub fn buffered(&self) -> usize {
        self.buffer.len() + self.out_of_order_bytes
    }

    /// Starts the stream over at a SYN with sequence number `sequence`: the data starts one
    /// byte later, at a message boundary.
    pub fn syn(&mut self, sequence: u32) {
        self.restart(sequence.wrapping_add(1));
    }

    /// Feeds one segment's payload, whose first byte has sequence number `sequence` (one past
    /// the SYN's own number for a SYN that carries data).
    pub fn push(
        &mut self,
        sequence: u32,
        timestamp: Timestamp,
        payload: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        if payload.is_empty() {
            return;
        }
        match self.state {
            State::Stopped => {
                stats.tcp_skipped_bytes += payload.len() as u64;
            }
            State::Searching => {
                self.search(sequence, timestamp, payload, limits, stats, sink);
            }
            State::Synced => {
                self.receive(sequence, timestamp, payload, limits, stats, sink);
            }
        }
    }

    /// Ends the stream (FIN, RST, idle timeout or eviction): buffered out-of-order data is
    /// tried after the hole, and a partial message left over is reported as incomplete.
    pub fn close(&mut self, stats: &mut PairingStats, sink: &mut Sink<'_>) {
        if !self.out_of_order.is_empty() {
            self.break_at_gap(stats, sink);
        }
        self.drop_partial(stats, sink);
        self.state = State::Stopped;
    }

    /// Stops the stream for good and frees its buffers, without reporting anything.
    pub fn stop(&mut self) {
        self.state = State::Stopped;
        self.release();
    }

    fn restart(&mut self, next_sequence: u32) {
        self.release();
        self.state = State::Synced;
        self.verify = false;
        self.next_sequence = next_sequence;
    }

    fn release(&mut self) {
        self.clear_buffer();
        self.out_of_order = Vec::new();
        self.out_of_order_bytes = 0;
    }

    fn clear_buffer(&mut self) {
        if self.buffer.capacity() > KEEP_CAPACITY {
            self.buffer = Vec::new();
        } else {
            self.buffer.clear();
        }
    }

    /// Handles a segment of a synced stream.
    fn receive(
        &mut self,
        sequence: u32,
        timestamp: Timestamp,
        payload: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        let offset = sequence.wrapping_sub(self.next_sequence) as i32;
        if offset > 0 {
            self.hold_out_of_order(sequence, timestamp, payload, limits, stats, sink);
            return;
        }
        let overlap = offset.unsigned_abs() as usize;
        if overlap >= payload.len() {
            stats.tcp_retransmissions += 1;
            return;
        }
        if overlap > 0 {
            stats.tcp_overlaps += 1;
        }
        if overlap == 0 && self.verify && self.better_guess(payload) {
            // The unverified message would need more than this segment, which itself looks
            // like a message start: a lost prefix is likelier than a long message, so the
            // guess moves here.
            stats.tcp_skipped_bytes += self.buffer.len() as u64;
            self.clear_buffer();
        }
        self.append(timestamp, &payload[overlap..], limits, stats, sink);
        self.drain_out_of_order(limits, stats, sink);
    }

    /// Returns whether `payload` is a better boundary guess than the unverified partial
    /// message in `buffer`, which it cannot complete.
    fn better_guess(&self, payload: &[u8]) -> bool {
        let Some(prefix) = self.buffer.get(..2) else {
            return false;
        };
        let needed = 2 + usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
        let completes = self.buffer.len() + payload.len() >= needed;
        !completes && may_start_message(payload)
    }

    /// Gives up on the hole in front of the held segments once the peer acknowledged bytes past
    /// it: the capture missed them and they will not be sent again.
    pub fn acknowledged(
        &mut self,
        acknowledgment: u32,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        let beyond = acknowledgment.wrapping_sub(self.next_sequence) as i32 > 0;
        if self.state == State::Synced && beyond && !self.out_of_order.is_empty() {
            self.break_at_gap(stats, sink);
        }
    }

    /// Keeps a segment that arrived ahead of a hole, or gives up on the hole when the limits
    /// are reached.
    fn hold_out_of_order(
        &mut self,
        sequence: u32,
        timestamp: Timestamp,
        payload: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        let fits_count = self.out_of_order.len() < limits.max_out_of_order_segments;
        let fits_stream = self.buffered() + payload.len() <= limits.max_stream_bytes;
        let fits_total = payload.len() <= limits.total_available;
        if !(fits_count && fits_stream && fits_total) {
            // The hole has not filled within the limits: drop what waits on it, then place this
            // segment in the stream as it now is.
            self.break_at_gap(stats, sink);
            self.place_after_gap(sequence, timestamp, payload, limits, stats, sink);
            return;
        }
        stats.tcp_out_of_order += 1;
        self.out_of_order_bytes += payload.len();
        self.out_of_order.push(OutOfOrder {
            sequence,
            timestamp,
            data: payload.to_vec(),
        });
    }

    /// Handles the segment that overflowed the out-of-order limits, once the gap is broken.
    fn place_after_gap(
        &mut self,
        sequence: u32,
        timestamp: Timestamp,
        payload: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        match self.state {
            State::Searching => self.search(sequence, timestamp, payload, limits, stats, sink),
            State::Synced if sequence.wrapping_sub(self.next_sequence) as i32 <= 0 => {
                self.receive(sequence, timestamp, payload, limits, stats, sink);
            }
            State::Synced => {
                // Still ahead of the resynchronised stream: a second hole, given up at once.
                stats.tcp_gaps += 1;
                self.drop_partial(stats, sink);
                self.state = State::Searching;
                self.search(sequence, timestamp, payload, limits, stats, sink);
            }
            State::Stopped => stats.tcp_skipped_bytes += payload.len() as u64,
        }
    }

    /// Appends held segments that the stream has now reached.
    fn drain_out_of_order(
        &mut self,
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        while self.state == State::Synced {
            let next = self.next_sequence;
            let reached = self
                .out_of_order
                .iter()
                .position(|held| held.sequence.wrapping_sub(next) as i32 <= 0);
            let Some(index) = reached else {
                return;
            };
            let held = self.out_of_order.swap_remove(index);
            self.out_of_order_bytes -= held.data.len();
            let overlap = next.wrapping_sub(held.sequence) as usize;
            if overlap >= held.data.len() {
                stats.tcp_retransmissions += 1;
                continue;
            }
            self.append(held.timestamp, &held.data[overlap..], limits, stats, sink);
        }
    }

    /// Handles a segment while the message boundary is unknown.
    fn search(
        &mut self,
        sequence: u32,
        timestamp: Timestamp,
        payload: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        if !may_start_message(payload) {
            stats.tcp_skipped_bytes += payload.len() as u64;
            return;
        }
        self.state = State::Synced;
        self.verify = true;
        self.next_sequence = sequence;
        self.clear_buffer();
        self.append(timestamp, payload, limits, stats, sink);
    }

    /// Gives up on the hole in front of the held segments: the partial message is reported,
    /// then the held segments are searched for a boundary in sequence order.
    fn break_at_gap(&mut self, stats: &mut PairingStats, sink: &mut Sink<'_>) {
        stats.tcp_gaps += 1;
        self.drop_partial(stats, sink);
        self.state = State::Searching;
        let mut held = std::mem::take(&mut self.out_of_order);
        self.out_of_order_bytes = 0;
        let base = self.next_sequence;
        held.sort_by_key(|segment| segment.sequence.wrapping_sub(base));
        let limits = StreamLimits {
            max_stream_bytes: usize::MAX,
            max_out_of_order_segments: 0,
            total_available: usize::MAX,
        };
        for segment in held {
            if self.state == State::Stopped {
                break;
            }
            let end = segment.sequence.wrapping_add(segment.data.len() as u32);
            if self.state == State::Synced
                && segment.sequence.wrapping_sub(self.next_sequence) as i32 <= 0
            {
                // Contiguous with (or overlapping) what the resynchronised stream has.
                self.receive(
                    segment.sequence,
                    segment.timestamp,
                    &segment.data,
                    limits,
                    stats,
                    sink,
                );
                continue;
            }
            if self.state == State::Synced {
                // Another hole: the partial message cannot complete.
                stats.tcp_gaps += 1;
                self.drop_partial(stats, sink);
                self.state = State::Searching;
            }
            self.search(
                segment.sequence,
                segment.timestamp,
                &segment.data,
                limits,
                stats,
                sink,
            );
            if self.state == State::Searching {
                self.next_sequence = end;
            }
        }
    }

    /// Reports and drops the partial message in `buffer`, if any.
    fn drop_partial(&mut self, stats: &mut PairingStats, sink: &mut Sink<'_>) {
        if self.buffer.is_empty() {
            return;
        }
        stats.tcp_incomplete_messages += 1;
        let id = self
            .buffer
            .get(2..4)
            .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]));
        let is_response = self.buffer.get(4).map(|flags| flags & 0x80 != 0);
        sink(StreamEvent::Incomplete { id, is_response });
        self.clear_buffer();
    }

    /// Adds in-order bytes and reports every message they complete.
    fn append(
        &mut self,
        timestamp: Timestamp,
        data: &[u8],
        limits: StreamLimits,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) {
        let too_long = self.buffered() + data.len() > limits.max_stream_bytes;
        if too_long || data.len() > limits.total_available {
            stats.tcp_limit_dropped_bytes += data.len() as u64;
            stats.tcp_gaps += 1;
            self.drop_partial(stats, sink);
            self.state = State::Searching;
            self.next_sequence = self.next_sequence.wrapping_add(data.len() as u32);
            return;
        }
        self.next_sequence = self.next_sequence.wrapping_add(data.len() as u32);
        if self.buffer.is_empty() {
            // Messages that lie whole in `data` are framed from it in place, and only a
            // partial message left at its end is copied into `buffer`.
            self.buffer_timestamp = timestamp;
            if let Some(consumed) = self.frame(data, timestamp, stats, sink) {
                self.buffer.extend_from_slice(&data[consumed..]);
            }
            return;
        }
        self.buffer.extend_from_slice(data);
        let buffer = std::mem::take(&mut self.buffer);
        let consumed = self.frame(&buffer, timestamp, stats, sink);
        // `frame` left `self.buffer` empty. The taken buffer goes back to keep its capacity.
        self.buffer = buffer;
        match consumed {
            Some(consumed) => {
                self.buffer.drain(..consumed);
            }
            None => self.clear_buffer(),
        }
    }

    /// Reports every complete message at the front of `bytes`, which start at a message
    /// boundary, and returns how many bytes they take. `timestamp` is the time of the segment
    /// just appended, where any leftover message starts. Returns `None` when the stream stopped
    /// or went back to searching, so nothing of `bytes` is kept.
    fn frame(
        &mut self,
        bytes: &[u8],
        timestamp: Timestamp,
        stats: &mut PairingStats,
        sink: &mut Sink<'_>,
    ) -> Option<usize> {
        let mut start = 0;
        while let Some(prefix) = bytes.get(start..start + 2) {
            let length = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
            if length == 0 {
                stats.tcp_zero_length_messages += 1;
                sink(StreamEvent::ZeroLength);
                self.stop();
                return None;
            }
            let end = start + 2 + length;
            let Some(message) = bytes.get(start..end) else {
                break;
            };
            if self.verify {
                if !parses_cleanly(&message[2..]) {
                    // The guessed boundary was wrong: drop what was framed from it.
                    stats.tcp_skipped_bytes += (bytes.len() - start) as u64;
                    self.clear_buffer();
                    self.state = State::Searching;
                    self.verify = false;
                    return None;
                }
                self.verify = false;
                stats.tcp_resyncs += 1;
            }
            let flow = sink(StreamEvent::Message {
                timestamp: self.buffer_timestamp,
                bytes: message,
            });
            start = end;
            self.buffer_timestamp = timestamp;
            if flow == Flow::Stop {
                self.stop();
                return None;
            }
        }
        Some(start)
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
