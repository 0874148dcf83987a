//! Packetbeat's own DNS test captures, read through the pcap reader, the packet decoder, IP
//! defragmentation and the pairing. The expected values are the ones Packetbeat's tests assert
//! for these files.

mod common;

use dnstel_pairing::{notes, PairingConfig, Transaction, Transport};

use common::{pair_file, shared_dir};

/// Reads one of Packetbeat's captures, or returns `None` when the shared data is absent.
fn pair_capture(name: &str) -> Option<(Vec<Transaction>, dnstel_pairing::PairingStats)> {
    let path = shared_dir().join("packetbeat-pcaps").join(name);
    if !path.exists() {
        eprintln!("skipping: {} is not present", path.display());
        return None;
    }
    let outcome = pair_file(&path, PairingConfig::default()).expect("capture reads");
    Some((outcome.transactions, outcome.stats))
}

/// Returns the single, clean, paired transaction of a capture.
fn single_pair(name: &str) -> Option<Transaction> {
    let (mut transactions, stats) = pair_capture(name)?;
    assert_eq!(transactions.len(), 1, "{name}: {transactions:#?}");
    assert_eq!(stats.paired, 1, "{name}");
    let transaction = transactions.remove(0);
    assert!(
        transaction.notes.is_empty(),
        "{name}: {:?}",
        transaction.notes
    );
    assert!(transaction.request.is_some(), "{name}");
    assert!(transaction.response.is_some(), "{name}");
    Some(transaction)
}

fn response(transaction: &Transaction) -> &dnstel_dns::Message {
    &transaction
        .response
        .as_ref()
        .expect("response side")
        .message
}

#[test]
fn google_com_bytes_and_times() {
    let Some(transaction) = single_pair("dns_google_com.pcap") else {
        return;
    };
    assert_eq!(transaction.transport, Transport::Udp);
    assert_eq!(transaction.id(), Some(0x4807));
    assert_eq!(transaction.client.to_string(), "192.168.238.68:60893");
    assert_eq!(transaction.server.to_string(), "192.168.238.1:53");
    let request = transaction.request.as_ref().expect("request side");
    let answer = transaction.response.as_ref().expect("response side");
    assert_eq!(request.bytes, 28);
    assert_eq!(answer.bytes, 284);
    assert_eq!(answer.message.answers.len(), 16);
    let duration = answer.first_timestamp.as_nanos() - request.first_timestamp.as_nanos();
    assert_eq!(duration, 61_782_000);
}

#[test]
fn not_found_has_authority() {
    let Some(transaction) = single_pair("dns_not_found.pcap") else {
        return;
    };
    let message = response(&transaction);
    assert_eq!(transaction.id(), Some(0x02a9));
    assert_eq!(message.rcode().0, 3);
    assert!(message.answers.is_empty());
    assert_eq!(message.authorities.len(), 1);
}

#[test]
fn mx_answers_and_authorities() {
    let Some(transaction) = single_pair("dns_mx.pcap") else {
        return;
    };
    let message = response(&transaction);
    assert_eq!(transaction.id(), Some(0xd9fc));
    assert_eq!(message.answers.len(), 5);
    assert_eq!(message.authorities.len(), 4);
}

#[test]
fn ns_among_http_traffic() {
    let Some(transaction) = single_pair("dns_ns.pcap") else {
        return;
    };
    assert_eq!(transaction.id(), Some(0x664b));
    assert_eq!(response(&transaction).answers.len(), 4);
}

#[test]
fn txt_answers() {
    let Some(transaction) = single_pair("dns_txt.pcap") else {
        return;
    };
    assert_eq!(transaction.id(), Some(0x17bb));
    assert_eq!(response(&transaction).answers.len(), 2);
}

#[test]
fn additional_section() {
    let Some(transaction) = single_pair("dns_additional.pcap") else {
        return;
    };
    let message = response(&transaction);
    assert_eq!(transaction.id(), Some(0xce69));
    assert_eq!(message.answers.len(), 1);
    assert_eq!(message.authorities.len(), 5);
    assert_eq!(message.additionals.len(), 1);
}

#[test]
fn edns_ds_has_no_edns_notes() {
    let Some(transaction) = single_pair("dns_udp_edns_ds.pcap") else {
        return;
    };
    let request = transaction.request.as_ref().expect("request side");
    assert!(request.message.opt.is_some());
    assert!(response(&transaction).opt.is_some());
    assert_eq!(response(&transaction).answers.len(), 3);
}

#[test]
fn tcp_axfr_counts_prefix_bytes() {
    let Some(transaction) = single_pair("dns_tcp_axfr.pcap") else {
        return;
    };
    assert_eq!(transaction.transport, Transport::Tcp);
    assert_eq!(transaction.id(), Some(0));
    assert_eq!(transaction.client.to_string(), "1.1.1.2:1042");
    let request = transaction.request.as_ref().expect("request side");
    let answer = transaction.response.as_ref().expect("response side");
    assert_eq!(request.bytes, 30);
    assert_eq!(answer.bytes, 197);
    assert_eq!(answer.messages, 1);
    assert_eq!(answer.message.answers.len(), 4);
}

#[test]
fn fragmented_response_is_orphan() {
    let Some((transactions, stats)) = pair_capture("udp_edns0_resp.pcap") else {
        return;
    };
    assert_eq!(transactions.len(), 1, "{transactions:#?}");
    let transaction = &transactions[0];
    assert_eq!(
        transaction.notes.first().map(String::as_str),
        Some(notes::ORPHANED_RESPONSE)
    );
    assert_eq!(transaction.id(), Some(0xd315));
    let answer = transaction.response.as_ref().expect("response side");
    assert_eq!(answer.bytes, 3398);
    assert_eq!(answer.message.answers.len(), 33);
    assert_eq!(stats.orphans, 1);
}

#[test]
fn non_dns_captures_give_nothing() {
    for name in [
        "http_over_vlan.pcap",
        "ipv6_thrift.pcap",
        "802.1q-q-in-q-icmp.pcap",
    ] {
        let Some((transactions, _)) = pair_capture(name) else {
            return;
        };
        assert!(transactions.is_empty(), "{name}: {transactions:#?}");
    }
}
