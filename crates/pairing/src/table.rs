//! The table of pending queries, ordered for expiry and eviction.
//!
//! Entries are found by [`TransactionKey`] and aged by (query timestamp, insertion number), so
//! timeouts and evictions come out oldest first, ties in insertion order, whatever the hash seed.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use dnstel_packet::Timestamp;

use crate::input::Transport;
use crate::transaction::Transaction;

/// Packetbeat's matching key: a response matches a query when it travels the reverse path with
/// the same ID over the same transport. The question is not part of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TransactionKey {
    pub transport: Transport,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub id: u16,
}

/// Expiry order: query timestamp, then insertion number.
type Age = (Timestamp, u64);

/// A query waiting for its response.
#[derive(Debug)]
pub(crate) struct Pending {
    pub transaction: Transaction,
    /// Whether the query used a multicast port (no "No response" note at expiry).
    pub multicast: bool,
    age: Age,
}

/// Pending queries by key, with an index by age.
#[derive(Debug, Default)]
pub(crate) struct TransactionTable {
    /// Boxed so B-tree node splits and merges move pointers, not whole transactions.
    entries: BTreeMap<TransactionKey, Box<Pending>>,
    by_age: BTreeMap<Age, TransactionKey>,
    inserted: u64,
}

impl TransactionTable {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Stores a query. The caller has removed any entry under the same key first.
    pub fn insert(
        &mut self,
        key: TransactionKey,
        transaction: Transaction,
        timestamp: Timestamp,
        multicast: bool,
    ) {
        let age = (timestamp, self.inserted);
        self.inserted += 1;
        let pending = Pending {
            transaction,
            multicast,
            age,
        };
        if let Some(replaced) = self.entries.insert(key, Box::new(pending)) {
            self.by_age.remove(&replaced.age);
        }
        self.by_age.insert(age, key);
    }

    pub fn remove(&mut self, key: &TransactionKey) -> Option<Pending> {
        let pending = self.entries.remove(key)?;
        self.by_age.remove(&pending.age);
        Some(*pending)
    }

    /// Removes the oldest entry.
    pub fn pop_oldest(&mut self) -> Option<Pending> {
        let (_, key) = self.by_age.pop_first()?;
        self.entries.remove(&key).map(|pending| *pending)
    }

    /// Removes the oldest entry if its query is at or before `deadline`.
    pub fn pop_expired(&mut self, deadline: Timestamp) -> Option<Pending> {
        let (&(timestamp, _), _) = self.by_age.first_key_value()?;
        if timestamp > deadline {
            return None;
        }
        self.pop_oldest()
    }

    /// Returns the key of a pending query from `client` with `id` that went to a multicast
    /// group on `server_port`: the query a unicast mDNS or LLMNR response answers.
    pub fn multicast_query(
        &self,
        transport: Transport,
        client: SocketAddr,
        server_port: u16,
        id: u16,
    ) -> Option<TransactionKey> {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        let low = TransactionKey {
            transport,
            client,
            server: unspecified,
            id: 0,
        };
        // NOTE: only the first 64 pending queries of the client are searched, which bounds the
        // cost of a response when one client has many queries in flight.
        self.entries
            .range(low..)
            .take_while(|(key, _)| key.transport == transport && key.client == client)
            .take(64)
            .map(|(key, _)| *key)
            .find(|key| {
                key.id == id && key.server.port() == server_port && key.server.ip().is_multicast()
            })
    }

    /// Returns the keys of pending TCP queries sent by `client` to `server`, in ID order.
    pub fn tcp_keys_between(&self, client: SocketAddr, server: SocketAddr) -> Vec<TransactionKey> {
        let low = TransactionKey {
            transport: Transport::Tcp,
            client,
            server,
            id: 0,
        };
        let high = TransactionKey {
            id: u16::MAX,
            ..low
        };
        self.entries
            .range(low..=high)
            .map(|(key, _)| *key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u16) -> TransactionKey {
        TransactionKey {
            transport: Transport::Udp,
            client: "10.0.0.1:4000".parse().expect("literal address"),
            server: "10.0.0.2:53".parse().expect("literal address"),
            id,
        }
    }

    fn transaction(id: u16) -> Transaction {
        let key = key(id);
        Transaction {
            transport: key.transport,
            client: key.client,
            server: key.server,
            request: None,
            response: None,
            notes: vec![id.to_string()],
        }
    }

    #[test]
    fn expiry_follows_time_then_insertion() {
        let mut table = TransactionTable::default();
        table.insert(key(1), transaction(1), Timestamp(20), false);
        table.insert(key(2), transaction(2), Timestamp(10), false);
        table.insert(key(3), transaction(3), Timestamp(10), false);
        let order: Vec<String> = std::iter::from_fn(|| table.pop_expired(Timestamp(100)))
            .map(|pending| pending.transaction.notes[0].clone())
            .collect();
        assert_eq!(order, ["2", "3", "1"]);
    }

    #[test]
    fn expiry_stops_at_deadline() {
        let mut table = TransactionTable::default();
        table.insert(key(1), transaction(1), Timestamp(10), false);
        table.insert(key(2), transaction(2), Timestamp(30), false);
        assert!(table.pop_expired(Timestamp(20)).is_some());
        assert!(table.pop_expired(Timestamp(20)).is_none());
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn remove_drops_age_index() {
        let mut table = TransactionTable::default();
        table.insert(key(1), transaction(1), Timestamp(10), false);
        assert!(table.remove(&key(1)).is_some());
        assert!(table.pop_oldest().is_none());
        assert_eq!(table.len(), 0);
    }
}
