//! State of one TCP connection: two reassembly streams and the responses still collecting
//! messages.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use dnstel_packet::Timestamp;

use crate::table::hash_endpoint;
use crate::tcp::stream::Stream;
use crate::transaction::Transaction;

/// A connection identified by its two endpoints, in a fixed order so both directions map to
/// the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnectionKey {
    pub low: SocketAddr,
    pub high: SocketAddr,
}

impl Hash for ConnectionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_endpoint(state, &self.low);
        hash_endpoint(state, &self.high);
    }
}

impl ConnectionKey {
    /// Returns the key of the connection and the index of the direction `source -> destination`.
    pub fn from_segment(source: SocketAddr, destination: SocketAddr) -> (Self, usize) {
        if source <= destination {
            let key = ConnectionKey {
                low: source,
                high: destination,
            };
            (key, 0)
        } else {
            let key = ConnectionKey {
                low: destination,
                high: source,
            };
            (key, 1)
        }
    }

    /// Returns (source, destination) of a direction index.
    pub fn endpoints(&self, direction: usize) -> (SocketAddr, SocketAddr) {
        if direction == 0 {
            (self.low, self.high)
        } else {
            (self.high, self.low)
        }
    }
}

/// A response that may still receive more messages under the same ID.
#[derive(Debug)]
pub(crate) struct OpenResponse {
    pub transaction: Box<Transaction>,
}

impl OpenResponse {
    /// Returns whether a response message from `server` with `id` continues this one.
    pub fn continues_with(&self, server: SocketAddr, id: u16) -> bool {
        self.transaction.server == server && self.transaction.id() == Some(id)
    }

    /// Returns the bytes of the response collected so far.
    pub fn response_bytes(&self) -> usize {
        self.transaction
            .response
            .as_ref()
            .map_or(0, |side| side.bytes)
    }
}

/// Reassembly state of one connection.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    /// Direction 0 is `low -> high`, direction 1 is `high -> low`.
    pub streams: [Stream; 2],
    /// Whether each direction has sent FIN.
    pub fin: [bool; 2],
    /// Set when the data is not DNS: further segments are skipped until a SYN.
    pub skipped: bool,
    /// Responses collecting further messages, oldest first.
    pub open_responses: Vec<OpenResponse>,
    pub(crate) activity: (Timestamp, u64),
}

impl Connection {
    /// Returns the bytes buffered in both directions.
    pub fn buffered(&self) -> usize {
        self.streams[0].buffered() + self.streams[1].buffered()
    }

    /// Starts the connection over after a SYN reuses its endpoints.
    pub fn reset(&mut self) {
        self.streams = Default::default();
        self.fin = [false; 2];
        self.skipped = false;
    }
}
