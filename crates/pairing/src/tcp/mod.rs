//! DNS over TCP: the table of connections and their reassembly.
//!
//! The table is bounded by `tcp.max_connections` (the least recently active connection is
//! evicted) and by `tcp.max_total_bytes` over all buffers. Activity order doubles as the idle
//! timeout queue, so both use one index and come out in a fixed order.

mod boundary;
mod connection;
mod stream;

use std::collections::{BTreeMap, HashMap};

use dnstel_packet::Timestamp;

pub(crate) use connection::{Connection, ConnectionKey, OpenResponse};
pub(crate) use stream::{Flow, StreamEvent, StreamLimits};

/// Tracked connections with an index by last activity.
#[derive(Debug, Default)]
pub(crate) struct ConnectionTable {
    /// Keyed with a per-process random seed, because the endpoints come from the network.
    connections: HashMap<ConnectionKey, Connection, foldhash::fast::RandomState>,
    by_activity: BTreeMap<(Timestamp, u64), ConnectionKey>,
    touches: u64,
    buffered_bytes: usize,
}

impl ConnectionTable {
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Returns the bytes buffered over all connections.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    pub fn get_mut(&mut self, key: &ConnectionKey) -> Option<&mut Connection> {
        self.connections.get_mut(key)
    }

    /// Adds an empty connection. The caller makes room first.
    pub fn insert(&mut self, key: ConnectionKey, now: Timestamp) {
        let activity = self.next_activity(now);
        let connection = Connection {
            activity,
            ..Connection::default()
        };
        self.by_activity.insert(activity, key);
        if let Some(replaced) = self.connections.insert(key, connection) {
            self.forget(&replaced);
        }
    }

    /// Records activity on a connection, moving it to the back of the idle queue.
    pub fn touch(&mut self, key: &ConnectionKey, now: Timestamp) {
        let activity = self.next_activity(now);
        let Some(connection) = self.connections.get_mut(key) else {
            return;
        };
        self.by_activity.remove(&connection.activity);
        connection.activity = activity;
        self.by_activity.insert(activity, *key);
    }

    /// Adjusts the total after a connection's buffers changed from `before` bytes.
    pub fn account(&mut self, before: usize, after: usize) {
        debug_assert!(
            before <= self.buffered_bytes,
            "buffer accounting is consistent"
        );
        self.buffered_bytes = self.buffered_bytes.saturating_sub(before) + after;
    }

    pub fn remove(&mut self, key: &ConnectionKey) -> Option<Connection> {
        let connection = self.connections.remove(key)?;
        self.forget(&connection);
        Some(connection)
    }

    /// Returns the least recently active connection.
    pub fn least_active(&self) -> Option<ConnectionKey> {
        self.by_activity.first_key_value().map(|(_, key)| *key)
    }

    /// Returns the least recently active connection if its last activity is at or before
    /// `deadline`.
    pub fn idle(&self, deadline: Timestamp) -> Option<ConnectionKey> {
        let (&(last_activity, _), key) = self.by_activity.first_key_value()?;
        (last_activity <= deadline).then_some(*key)
    }

    fn next_activity(&mut self, now: Timestamp) -> (Timestamp, u64) {
        self.touches += 1;
        (now, self.touches)
    }

    fn forget(&mut self, connection: &Connection) {
        self.by_activity.remove(&connection.activity);
        self.buffered_bytes = self.buffered_bytes.saturating_sub(connection.buffered());
    }
}
