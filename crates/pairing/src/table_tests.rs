use super::*;
use crate::pending::QueryBody;

fn key(id: u16) -> TransactionKey {
    TransactionKey {
        transport: Transport::Udp,
        client: "10.0.0.1:4000".parse().expect("literal address"),
        server: "10.0.0.2:53".parse().expect("literal address"),
        id,
    }
}

fn tcp_key(id: u16) -> TransactionKey {
    TransactionKey {
        transport: Transport::Tcp,
        ..key(id)
    }
}

fn query(key: TransactionKey, timestamp: i64) -> Box<PendingQuery> {
    Box::new(PendingQuery {
        key,
        timestamp: Timestamp(timestamp),
        multicast: false,
        body: QueryBody::Wire(Box::new([])),
    })
}

fn insert(table: &mut TransactionTable, id: u16, timestamp: i64) {
    table.insert(query(key(id), timestamp));
}

fn expiry_order(table: &mut TransactionTable, deadline: i64) -> Vec<u16> {
    std::iter::from_fn(|| table.pop_expired(Timestamp(deadline)))
        .map(|pending| pending.key.id)
        .collect()
}

#[test]
fn expiry_follows_time_then_insertion() {
    let mut table = TransactionTable::default();
    insert(&mut table, 1, 20);
    insert(&mut table, 2, 10);
    insert(&mut table, 3, 10);
    assert_eq!(expiry_order(&mut table, 100), [2, 3, 1]);
}

#[test]
fn expiry_stops_at_deadline() {
    let mut table = TransactionTable::default();
    insert(&mut table, 1, 10);
    insert(&mut table, 2, 30);
    assert!(table.pop_expired(Timestamp(20)).is_some());
    assert!(table.pop_expired(Timestamp(20)).is_none());
    assert_eq!(table.len(), 1);
}

#[test]
fn remove_drops_age_index() {
    let mut table = TransactionTable::default();
    insert(&mut table, 1, 10);
    assert!(table.remove(&key(1)).is_some());
    assert!(table.pop_oldest().is_none());
    assert_eq!(table.len(), 0);
}

#[test]
fn find_returns_inserted_entry() {
    let mut table = TransactionTable::default();
    insert(&mut table, 1, 10);
    insert(&mut table, 2, 10);
    assert!(table.remove(&key(3)).is_none());
    let found = table.remove(&key(2)).expect("entry 2 is pending");
    assert_eq!(found.key, key(2));
    assert!(table.remove(&key(2)).is_none());
    assert_eq!(table.len(), 1);
}

#[test]
fn stragglers_merge_into_age_order() {
    let mut table = TransactionTable::default();
    for (id, timestamp) in [(1, 10), (2, 30), (3, 20), (4, 30), (5, 5), (6, 40), (7, 20)] {
        insert(&mut table, id, timestamp);
    }
    assert_eq!(expiry_order(&mut table, 25), [5, 1, 3, 7]);
    assert_eq!(expiry_order(&mut table, 100), [2, 4, 6]);
}

#[test]
fn removal_from_middle_keeps_order() {
    let mut table = TransactionTable::default();
    for id in 1..=6 {
        insert(&mut table, id, i64::from(id) * 10);
    }
    insert(&mut table, 7, 15);
    for id in [1, 4, 6, 7] {
        assert!(table.remove(&key(id)).is_some());
    }
    assert_eq!(expiry_order(&mut table, 100), [2, 3, 5]);
}

#[test]
fn evicts_oldest_at_cap() {
    // The pairing evicts with `pop_oldest` while the table is at its cap.
    let cap = 3;
    let mut table = TransactionTable::default();
    let mut evicted = Vec::new();
    for id in 1..=6 {
        while table.len() >= cap {
            evicted.push(table.pop_oldest().expect("table is full").key.id);
        }
        insert(&mut table, id, 100 - i64::from(id % 2));
    }
    assert_eq!(evicted, [1, 3, 5]);
    assert_eq!(table.len(), cap);
}

#[test]
fn vacant_slots_are_reused() {
    let mut table = TransactionTable::default();
    for round in 0..10 {
        for id in 0..100 {
            insert(&mut table, id, round);
        }
        assert_eq!(expiry_order(&mut table, round).len(), 100);
    }
    assert_eq!(table.slots.len(), 100);
    assert_eq!(table.len(), 0);
}

#[test]
fn matches_reference_model() {
    // Mixed inserts, removals and expiries against a B-tree model of the same order.
    let mut table = TransactionTable::default();
    let mut model: BTreeMap<Age, u16> = BTreeMap::new();
    let mut inserted = 0u64;
    let mut state = 0x2545_f491_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for step in 0..5_000i64 {
        let roll = next();
        let id = (roll % 512) as u16;
        let pending = model
            .iter()
            .find(|(_, &other)| other == id)
            .map(|(age, _)| *age);
        match (roll >> 9) % 4 {
            0 | 1 => {
                if let Some(age) = pending {
                    model.remove(&age);
                    assert!(table.remove(&key(id)).is_some());
                }
                let timestamp = step - i64::from((roll >> 12) % 3 == 0) * i64::from(roll >> 20);
                table.insert(query(key(id), timestamp));
                model.insert((Timestamp(timestamp), inserted), id);
                inserted += 1;
            }
            2 => {
                let removed = table.remove(&key(id)).map(|entry| entry.key.id);
                let expected = pending.map(|age| model.remove(&age).expect("listed"));
                assert_eq!(removed, expected);
            }
            _ => {
                let deadline = Timestamp(step - 600);
                while let Some(entry) = table.pop_expired(deadline) {
                    let (_, id) = model.pop_first().expect("model has the entry");
                    assert_eq!(entry.key.id, id);
                }
                let model_next = model.first_key_value().map(|(age, _)| age.0);
                assert!(model_next.is_none_or(|oldest| oldest > deadline));
            }
        }
        assert_eq!(table.len(), model.len());
    }
    let drained: Vec<u16> = std::iter::from_fn(|| table.pop_oldest())
        .map(|entry| entry.key.id)
        .collect();
    let expected: Vec<u16> = model.into_values().collect();
    assert_eq!(drained, expected);
}

#[test]
fn tcp_keys_come_in_id_order() {
    let mut table = TransactionTable::default();
    for id in [9, 3, 7] {
        table.insert(query(tcp_key(id), 10));
    }
    insert(&mut table, 5, 10);
    let client = key(0).client;
    let server = key(0).server;
    let ids: Vec<u16> = table
        .tcp_keys_between(client, server)
        .iter()
        .map(|key| key.id)
        .collect();
    assert_eq!(ids, [3, 7, 9]);
    assert!(table.remove(&tcp_key(7)).is_some());
    assert_eq!(table.tcp_keys_between(client, server).len(), 2);
}

#[test]
fn tcp_index_empties_with_table() {
    let mut table = TransactionTable::default();
    for id in [1, 2] {
        table.insert(query(tcp_key(id), 10));
    }
    let other_server = TransactionKey {
        server: "10.0.0.3:53".parse().expect("literal address"),
        ..tcp_key(1)
    };
    table.insert(query(other_server, 11));

    let client = key(0).client;
    let server = key(0).server;
    assert_eq!(table.tcp_keys_between(client, server).len(), 2);
    assert_eq!(table.tcp_keys_between(client, other_server.server).len(), 1);

    assert!(table.remove(&tcp_key(1)).is_some());
    assert!(
        table.pop_oldest().is_some(),
        "the query with ID 2 is the oldest"
    );
    assert!(table.tcp_keys_between(client, server).is_empty());
    assert_eq!(
        table.tcp_ids.len(),
        1,
        "only the other server's pair is left"
    );

    assert!(table.pop_expired(Timestamp(11)).is_some());
    assert!(table.tcp_ids.is_empty());
}

#[test]
fn multicast_query_found_by_port() {
    let mut table = TransactionTable::default();
    let group = TransactionKey {
        server: "224.0.0.251:5353".parse().expect("literal address"),
        ..key(4)
    };
    let mut pending = query(group, 10);
    pending.multicast = true;
    table.insert(pending);
    let client = key(0).client;
    let found = table.multicast_query(Transport::Udp, client, 5353, 4);
    assert_eq!(found, Some(group));
    assert_eq!(table.multicast_query(Transport::Udp, client, 5353, 5), None);
    assert_eq!(table.multicast_query(Transport::Udp, client, 53, 4), None);
    assert!(table.remove(&group).is_some());
    assert_eq!(table.multicast_query(Transport::Udp, client, 5353, 4), None);
}

#[test]
fn slot_stays_small() {
    assert!(std::mem::size_of::<Slot>() <= 32);
}
