//! The table of pending queries, found by key and aged for expiry and eviction.
//!
//! Entries live in a slab. A hash index finds them by [`TransactionKey`], and an age order of
//! (query timestamp, insertion number) decides which entry times out or is evicted first, ties in
//! insertion order. Nothing is ever read in hash order, so the output does not depend on the
//! hash seed.
//!
//! Queries arrive in capture order, so their timestamps almost always grow. The age order is a
//! linked list through the slab that such queries join at the tail in O(1). A query older than
//! the tail (packets reordered between capture queues) goes to a small B-tree of stragglers
//! instead, and the oldest entry is the older of the two heads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::SocketAddr;

use dnstel_packet::Timestamp;
use hashbrown::HashTable;

use crate::input::Transport;
use crate::pending::{PendingQuery, TransactionKey};
use crate::slab::Slab;

/// Maximum number of entries: slab positions are `u32`, and two values are markers.
pub(crate) const MAX_ENTRIES: usize = (u32::MAX - 2) as usize;

/// Link value for "no entry".
const NIL: u32 = u32::MAX;
/// `prev` of an entry that sits in the straggler B-tree rather than the list.
const STRAGGLER: u32 = u32::MAX - 1;

/// Expiry order: query timestamp, then insertion number.
type Age = (Timestamp, u64);

/// One slab position: an entry with its age links, or a vacant position in the free list.
#[derive(Debug)]
struct Slot {
    /// Boxed so that an expired entry moves to the output queue without copying, and a vacant
    /// slot costs 32 bytes.
    query: Option<Box<PendingQuery>>,
    age: Age,
    /// Previous entry in the age list, [`NIL`] at the head, or [`STRAGGLER`].
    prev: u32,
    /// Next entry in the age list, or the next vacant slot.
    next: u32,
}

/// Pending queries by key, with an age order for expiry and eviction.
#[derive(Debug)]
pub(crate) struct TransactionTable {
    slots: Slab<Slot>,
    /// First vacant slot, or [`NIL`].
    free: u32,
    /// Slab positions of the entries, hashed by key.
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    /// Oldest and newest entry of the age list.
    head: u32,
    tail: u32,
    /// Entries older than the list's tail when they arrived.
    stragglers: BTreeMap<Age, u32>,
    /// Keys of the entries on multicast ports, in key order, for the search by multicast
    /// client.
    multicast: BTreeSet<TransactionKey>,
    /// IDs of the TCP entries by client and server, in ID order, for the search by
    /// connection. A pair with no entry left is removed.
    tcp_ids: HashMap<Endpoints, BTreeSet<u16>, foldhash::fast::RandomState>,
    len: usize,
    inserted: u64,
}

impl Default for TransactionTable {
    fn default() -> Self {
        TransactionTable {
            slots: Slab::default(),
            free: NIL,
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            head: NIL,
            tail: NIL,
            stragglers: BTreeMap::new(),
            multicast: BTreeSet::new(),
            tcp_ids: HashMap::default(),
            len: 0,
            inserted: 0,
        }
    }
}

impl TransactionTable {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Stores a query as [`Self::insert_hashed`] does, hashing its key.
    #[cfg(test)]
    pub fn insert(&mut self, query: Box<PendingQuery>) {
        let hash = self.hash(&query.key);
        self.insert_hashed(hash, query);
    }

    /// Returns the hash of `key` in the index, for [`Self::remove_hashed`] and
    /// [`Self::insert_hashed`], so a query that is looked up and then stored is hashed once.
    pub fn hash(&self, key: &TransactionKey) -> u64 {
        hash_key(&self.hasher, key)
    }

    /// Stores a query, given `hash`, its key's [`Self::hash`]. The caller has removed any entry
    /// under the same key first and keeps the table below [`MAX_ENTRIES`].
    pub fn insert_hashed(&mut self, hash: u64, query: Box<PendingQuery>) {
        debug_assert!(self.find(&query.key).is_none(), "keys are unique");
        debug_assert_eq!(hash, self.hash(&query.key), "the hash is the key's");
        let age = (query.timestamp, self.inserted);
        self.inserted += 1;
        let key = query.key;
        if query.multicast {
            self.multicast.insert(key);
        }
        if key.transport == Transport::Tcp {
            let endpoints = Endpoints::of(&key);
            self.tcp_ids.entry(endpoints).or_default().insert(key.id);
        }
        let position = self.allocate(query, age);
        self.link(position);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, position, |&other| {
            hash_key(hasher, slots.get(other).key())
        });
        self.len += 1;
    }

    pub fn remove(&mut self, key: &TransactionKey) -> Option<Box<PendingQuery>> {
        self.remove_hashed(self.hash(key), key)
    }

    /// Removes the entry of `key` as [`Self::remove`] does, given `hash`, the key's
    /// [`Self::hash`].
    pub fn remove_hashed(&mut self, hash: u64, key: &TransactionKey) -> Option<Box<PendingQuery>> {
        let slots = &self.slots;
        let entry = self
            .index
            .find_entry(hash, |&position| slots.get(position).key() == key)
            .ok()?;
        let (position, _) = entry.remove();
        Some(self.take(position))
    }

    /// Removes the oldest entry.
    pub fn pop_oldest(&mut self) -> Option<Box<PendingQuery>> {
        let position = self.oldest()?;
        Some(self.take_indexed(position))
    }

    /// Removes the oldest entry if its query is at or before `deadline`.
    pub fn pop_expired(&mut self, deadline: Timestamp) -> Option<Box<PendingQuery>> {
        let position = self.oldest()?;
        if self.slots.get(position).age.0 > deadline {
            return None;
        }
        Some(self.take_indexed(position))
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
        // NOTE: only the first 64 keys of the client among its multicast-port queries are
        // searched, which bounds the cost of a response when one client has many queries in
        // flight. Its other queries do not count towards the 64. TCP queries never go to a
        // multicast group, so they cannot match.
        self.multicast
            .range(low..)
            .take_while(|key| key.transport == transport && key.client == client)
            .take(64)
            .find(|key| {
                key.id == id && key.server.port() == server_port && key.server.ip().is_multicast()
            })
            .copied()
    }

    /// Returns the keys of pending TCP queries sent by `client` to `server`, in ID order.
    pub fn tcp_keys_between(&self, client: SocketAddr, server: SocketAddr) -> Vec<TransactionKey> {
        let Some(ids) = self.tcp_ids.get(&Endpoints { client, server }) else {
            return Vec::new();
        };
        ids.iter()
            .map(|&id| TransactionKey {
                transport: Transport::Tcp,
                client,
                server,
                id,
            })
            .collect()
    }

    fn find(&self, key: &TransactionKey) -> Option<u32> {
        let hash = hash_key(&self.hasher, key);
        let slots = &self.slots;
        self.index
            .find(hash, |&position| slots.get(position).key() == key)
            .copied()
    }

    /// Returns the slab position of the oldest entry.
    fn oldest(&self) -> Option<u32> {
        let listed = (self.head != NIL).then_some(self.head);
        let straggler = self.stragglers.first_key_value();
        match (listed, straggler) {
            (Some(head), Some((age, &position))) => {
                let head_age = self.slots.get(head).age;
                Some(if *age < head_age { position } else { head })
            }
            (Some(head), None) => Some(head),
            (None, Some((_, &position))) => Some(position),
            (None, None) => None,
        }
    }

    /// Puts a query in a vacant slot, growing the slab when none is free.
    fn allocate(&mut self, query: Box<PendingQuery>, age: Age) -> u32 {
        let slot = Slot {
            query: Some(query),
            age,
            prev: NIL,
            next: NIL,
        };
        if self.free == NIL {
            let position = u32::try_from(self.slots.push(slot))
                .ok()
                .filter(|&position| position < STRAGGLER)
                .expect("the caller keeps the table below MAX_ENTRIES");
            return position;
        }
        let position = self.free;
        let vacant = self.slots.get_mut(position);
        self.free = vacant.next;
        *vacant = slot;
        position
    }

    /// Adds an entry to the age order: at the list's tail when it is not older than the tail,
    /// or among the stragglers.
    fn link(&mut self, position: u32) {
        let age = self.slots.get(position).age;
        if self.tail != NIL && age < self.slots.get(self.tail).age {
            self.slots.get_mut(position).prev = STRAGGLER;
            self.stragglers.insert(age, position);
            return;
        }
        self.slots.get_mut(position).prev = self.tail;
        if self.tail == NIL {
            self.head = position;
        } else {
            self.slots.get_mut(self.tail).next = position;
        }
        self.tail = position;
    }

    fn unlink(&mut self, position: u32) {
        let Slot {
            age, prev, next, ..
        } = *self.slots.get(position);
        if prev == STRAGGLER {
            self.stragglers.remove(&age);
            return;
        }
        if prev == NIL {
            self.head = next;
        } else {
            self.slots.get_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots.get_mut(next).prev = prev;
        }
    }

    /// Removes the entry at `position` from the hash index, then as [`Self::take`] does.
    fn take_indexed(&mut self, position: u32) -> Box<PendingQuery> {
        let hash = hash_key(&self.hasher, self.slots.get(position).key());
        if let Ok(entry) = self.index.find_entry(hash, |&other| other == position) {
            entry.remove();
        }
        self.take(position)
    }

    fn forget_tcp_id(&mut self, key: &TransactionKey) {
        let endpoints = Endpoints::of(key);
        let Some(ids) = self.tcp_ids.get_mut(&endpoints) else {
            return;
        };
        ids.remove(&key.id);
        if ids.is_empty() {
            self.tcp_ids.remove(&endpoints);
        }
    }

    /// Removes the entry at `position`, already gone from the hash index, from the age order and
    /// the search indexes, and frees its slot.
    fn take(&mut self, position: u32) -> Box<PendingQuery> {
        self.unlink(position);
        let slot = self.slots.get_mut(position);
        let query = slot.query.take().expect("indexed positions hold an entry");
        slot.prev = NIL;
        slot.next = self.free;
        self.free = position;
        if query.multicast {
            self.multicast.remove(&query.key);
        }
        if query.key.transport == Transport::Tcp {
            self.forget_tcp_id(&query.key);
        }
        self.len -= 1;
        query
    }
}

/// The client and server of a TCP query, the key of [`TransactionTable::tcp_ids`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Endpoints {
    client: SocketAddr,
    server: SocketAddr,
}

impl Endpoints {
    fn of(key: &TransactionKey) -> Endpoints {
        Endpoints {
            client: key.client,
            server: key.server,
        }
    }
}

impl Hash for Endpoints {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_endpoint(state, &self.client);
        hash_endpoint(state, &self.server);
    }
}

/// Hashes a key from its fields packed into a few machine words (see [`hash_endpoint`]).
fn hash_key(hasher: &foldhash::fast::RandomState, key: &TransactionKey) -> u64 {
    let mut state = hasher.build_hasher();
    hash_endpoint(&mut state, &key.client);
    hash_endpoint(&mut state, &key.server);
    let tcp = u32::from(key.transport == Transport::Tcp);
    state.write_u32(u32::from(key.id) << 1 | tcp);
    state.finish()
}

/// Feeds an address and port to `state` packed into one or two machine words, which is cheaper
/// than the derived `Hash` of a `SocketAddr`. Equal endpoints still hash equally: IPv6 flow
/// labels and scope IDs, left out here, only take part in the equality check.
///
/// The endpoint is read through a reference, so it is not copied to the stack first.
pub(crate) fn hash_endpoint(state: &mut impl Hasher, endpoint: &SocketAddr) {
    match endpoint {
        SocketAddr::V4(v4) => {
            state.write_u64(u64::from(u32::from(*v4.ip())) << 16 | u64::from(v4.port()));
        }
        SocketAddr::V6(v6) => {
            state.write_u128(u128::from(*v6.ip()));
            state.write_u16(v6.port());
        }
    }
}

impl Slot {
    fn key(&self) -> &TransactionKey {
        &self
            .query
            .as_ref()
            .expect("indexed positions hold an entry")
            .key
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
