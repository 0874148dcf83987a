//! Every capture of the shared corpus through the whole read path: nothing panics, every
//! message read ends up in exactly one transaction, and no state outlives the end of input.

mod common;

use dnstel_pairing::{PairingConfig, Transaction};

use common::{pair_file, shared_dir};

fn messages_in(transactions: &[Transaction]) -> u64 {
    transactions
        .iter()
        .map(|transaction| {
            let request = transaction.request.as_ref().map_or(0, |side| side.messages);
            let response = transaction
                .response
                .as_ref()
                .map_or(0, |side| side.messages);
            u64::from(request + response)
        })
        .sum()
}

#[test]
fn corpus_captures_pair_cleanly() {
    let directory = shared_dir().join("corpus/pcaps");
    let Ok(entries) = std::fs::read_dir(&directory) else {
        eprintln!("skipping: {} is not present", directory.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    let mut read = 0;
    let mut total = dnstel_pairing::PairingStats::default();
    for path in &paths {
        let config = PairingConfig {
            ports: vec![53, 5353, 5355],
            ..PairingConfig::default()
        };
        let Ok(outcome) = pair_file(path, config) else {
            continue;
        };
        read += 1;
        let name = path.display();
        let stats = &outcome.stats;
        assert_eq!(
            messages_in(&outcome.transactions),
            stats.requests + stats.responses,
            "{name}: {stats:?}"
        );
        assert_eq!(
            stats.transactions,
            outcome.transactions.len() as u64,
            "{name}"
        );
        assert_eq!(outcome.pairing.pending_transactions(), 0, "{name}");
        assert_eq!(outcome.pairing.tcp_connections(), 0, "{name}");
        assert_eq!(outcome.pairing.tcp_buffered_bytes(), 0, "{name}");
        if std::env::var_os("PAIRING_CORPUS_DETAIL").is_some() {
            eprintln!("{name}: {stats:?}");
        }
        total.transactions += stats.transactions;
        total.paired += stats.paired;
        total.orphans += stats.orphans;
        total.timeouts += stats.timeouts;
        total.flushed += stats.flushed;
        total.duplicates += stats.duplicates;
        total.multicast_responses += stats.multicast_responses;
        total.tcp_connections += stats.tcp_connections;
        total.tcp_incomplete_messages += stats.tcp_incomplete_messages;
        total.tcp_non_dns_connections += stats.tcp_non_dns_connections;
        total.undecodable += stats.undecodable;
        total.malformed += stats.malformed;
        total.tcp_gaps += stats.tcp_gaps;
    }
    eprintln!("{read} captures: {total:?}");
    assert!(
        read > 0,
        "no capture in {} could be read",
        directory.display()
    );
}

#[test]
fn tcp_capture_with_hole_resynchronises() {
    let path = shared_dir().join("corpus/pcaps/dnscap__dnso1tcp-bighole.pcap");
    if !path.exists() {
        eprintln!("skipping: {} is not present", path.display());
        return;
    }
    let outcome = pair_file(&path, PairingConfig::default()).expect("capture reads");
    let stats = &outcome.stats;
    // One query body falls in the hole; every later query still pairs with its response.
    assert_eq!(stats.paired, 37, "{stats:?}");
    assert_eq!(stats.orphans, 1, "{stats:?}");
    assert_eq!(stats.tcp_resyncs, 2, "{stats:?}");
}
