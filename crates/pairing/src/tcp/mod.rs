//! DNS over TCP: the table of connections and their reassembly.
//!
//! The table is bounded by `tcp.max_connections` (the least recently active connection is
//! evicted) and by `tcp.max_total_bytes` over all buffers. Activity order doubles as the idle
//! timeout queue, so both use one index and come out in a fixed order.

mod boundary;
mod connection;
mod stream;

use std::collections::{HashMap, VecDeque};

use dnstel_packet::Timestamp;

pub(crate) use connection::{Connection, ConnectionKey, OpenResponse};
pub(crate) use stream::{Flow, StreamEvent, StreamLimits};

/// Activity records kept beyond twice the number of connections before stale ones are
/// dropped.
const STALE_RECORD_SLACK: usize = 64;

/// Tracked connections with an index by last activity.
///
/// Every activity appends a record `(time, touch number)` to a queue and leaves the
/// connection's earlier record stale. A record is current when its connection still has that
/// activity. Stale records are skipped when they reach the front, and dropped all at once when
/// they outnumber the connections. This replaces a removal and an insertion in an ordered map
/// on every segment.
///
/// The queue stays in activity order only if the time passed to [`Self::insert`] and
/// [`Self::touch`] never goes back while a connection is tracked. The pairing passes its clock,
/// which goes back only at a clock reset, and a reset closes every connection first.
#[derive(Debug, Default)]
pub(crate) struct ConnectionTable {
    /// Keyed with a per-process random seed, because the endpoints come from the network.
    connections: HashMap<ConnectionKey, Connection, foldhash::fast::RandomState>,
    by_activity: VecDeque<((Timestamp, u64), ConnectionKey)>,
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
        if let Some(replaced) = self.connections.insert(key, connection) {
            self.forget(&replaced);
        }
        self.record(activity, key);
    }

    /// Records activity on a connection, moving it to the back of the idle queue. Returns false
    /// when there is no such connection.
    pub fn touch(&mut self, key: &ConnectionKey, now: Timestamp) -> bool {
        let Some(connection) = self.connections.get_mut(key) else {
            return false;
        };
        self.touches += 1;
        let activity = (now, self.touches);
        connection.activity = activity;
        self.record(activity, *key);
        true
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
    pub fn least_active(&mut self) -> Option<ConnectionKey> {
        self.oldest_record().map(|(_, key)| key)
    }

    /// Returns the least recently active connection if its last activity is at or before
    /// `deadline`.
    pub fn idle(&mut self, deadline: Timestamp) -> Option<ConnectionKey> {
        // The queue is in activity order. So when its first record, current or stale, is after
        // the deadline, every connection is, and the hash lookups of `oldest_record` can be
        // skipped. This check runs for every packet.
        let &((first_activity, _), _) = self.by_activity.front()?;
        if first_activity > deadline {
            return None;
        }
        let ((last_activity, _), key) = self.oldest_record()?;
        (last_activity <= deadline).then_some(key)
    }

    fn next_activity(&mut self, now: Timestamp) -> (Timestamp, u64) {
        self.touches += 1;
        (now, self.touches)
    }

    fn forget(&mut self, connection: &Connection) {
        self.buffered_bytes = self.buffered_bytes.saturating_sub(connection.buffered());
    }

    fn is_current(&self, activity: (Timestamp, u64), key: &ConnectionKey) -> bool {
        self.connections
            .get(key)
            .is_some_and(|connection| connection.activity == activity)
    }

    /// Returns the oldest current record, dropping the stale records in front of it.
    fn oldest_record(&mut self) -> Option<((Timestamp, u64), ConnectionKey)> {
        while let Some(&(activity, key)) = self.by_activity.front() {
            if self.is_current(activity, &key) {
                return Some((activity, key));
            }
            self.by_activity.pop_front();
        }
        None
    }

    fn record(&mut self, activity: (Timestamp, u64), key: ConnectionKey) {
        self.by_activity.push_back((activity, key));
        if self.by_activity.len() > 2 * self.connections.len() + STALE_RECORD_SLACK {
            let mut records = std::mem::take(&mut self.by_activity);
            records.retain(|&(activity, key)| self.is_current(activity, &key));
            self.by_activity = records;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(port: u16) -> ConnectionKey {
        let client = format!("192.0.2.10:{port}")
            .parse()
            .expect("literal address");
        let server = "192.0.2.53:53".parse().expect("literal address");
        ConnectionKey::from_segment(client, server).0
    }

    #[test]
    fn least_active_follows_touches() {
        let mut table = ConnectionTable::default();
        for port in 1..=3 {
            table.insert(key(port), Timestamp(10));
        }
        table.touch(&key(1), Timestamp(11));
        assert_eq!(table.least_active(), Some(key(2)));
        table.remove(&key(2));
        assert_eq!(table.least_active(), Some(key(3)));
        table.touch(&key(3), Timestamp(12));
        assert_eq!(table.least_active(), Some(key(1)));
        assert_eq!(table.idle(Timestamp(10)), None);
        assert_eq!(table.idle(Timestamp(11)), Some(key(1)));
    }

    #[test]
    fn reinserted_key_drops_old_record() {
        let mut table = ConnectionTable::default();
        table.insert(key(1), Timestamp(10));
        table.insert(key(2), Timestamp(11));
        table.remove(&key(1));
        table.insert(key(1), Timestamp(12));
        assert_eq!(table.least_active(), Some(key(2)));
        table.remove(&key(2));
        assert_eq!(table.idle(Timestamp(11)), None);
        assert_eq!(table.idle(Timestamp(12)), Some(key(1)));
    }

    #[test]
    fn stale_records_stay_bounded() {
        let mut table = ConnectionTable::default();
        for port in 1..=4 {
            table.insert(key(port), Timestamp(0));
        }
        for round in 1..=10_000u16 {
            let port = round % 4 + 1;
            table.touch(&key(port), Timestamp(i64::from(round)));
            assert!(table.by_activity.len() <= 2 * table.len() + STALE_RECORD_SLACK + 1);
        }
        // The last touches, in rounds 9997 to 10000, were on ports 2, 3, 4 and 1.
        for port in [2, 3, 4, 1] {
            assert_eq!(table.least_active(), Some(key(port)));
            table.remove(&key(port));
        }
        assert_eq!(table.least_active(), None);
    }
}
