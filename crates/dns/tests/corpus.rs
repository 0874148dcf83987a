//! Parses every DNS message of the shared real-capture corpus and compares the result with
//! tshark's dissection of the same frame. The corpus sits in the shared reference folder
//! beside the repository checkout, and the test fails when it is missing.
//!
//! Captures are read with dnstel-pcap (pcap and pcapng) and dnstel-packet (IP reassembly
//! included). Messages come from UDP and TCP on ports 53, 5353, 5355 and the non-standard
//! ports the corpus manifest names. Link types dnstel-packet does not decode are skipped.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use dnstel_dns::{parse, Message, ParseOptions, Rtype};
use support::capture::{capture_files, dns_messages, manifest_dns_ports, require_shared, Carrier};

mod support;

/// Reads tshark's dissection of one capture: frame number to (column name to value).
/// Fails when the file is missing, because every corpus capture has one.
fn tshark_rows(path: &Path) -> HashMap<usize, HashMap<String, String>> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let mut rows = HashMap::new();
    for line in lines {
        let row: HashMap<String, String> = columns
            .iter()
            .zip(line.split('\t'))
            .map(|(column, value)| (column.to_string(), value.to_string()))
            .collect();
        if let Some(frame) = row.get("frame.number").and_then(|value| value.parse().ok()) {
            rows.insert(frame, row);
        }
    }
    rows
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
}

#[test]
fn corpus_agrees_with_tshark() {
    let corpus = require_shared("corpus");
    let ports = manifest_dns_ports(&corpus.join("MANIFEST.tsv"));
    let multicast = ParseOptions {
        multicast_class_bit: true,
    };
    let mut files = 0;
    let mut messages = 0;
    let mut compared = 0;
    let mut pcapng_compared = 0;
    let mut tcp_compared = 0;
    let mut mismatches = Vec::new();

    for path in capture_files(&corpus.join("pcaps")) {
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        files += 1;
        let tshark_path = corpus.join("tshark").join(format!("{file_name}.tsv"));
        let rows = tshark_rows(&tshark_path);
        let extra_ports = ports.get(file_name).map_or(&[][..], Vec::as_slice);

        for payload in dns_messages(&path, extra_ports).messages {
            let frame = payload.frame;
            let Ok(message) = parse(&payload.bytes, &multicast) else {
                continue;
            };
            messages += 1;
            let Some(row) = rows.get(&frame) else {
                continue;
            };
            if !message.anomalies.is_empty() {
                print_anomalies(file_name, frame, &message);
                continue;
            }
            let id = format!("0x{:04x}", message.header.id);
            if row.get("dns.id") != Some(&id) {
                // Several messages in one frame, or DNS quoted in ICMP: not comparable.
                continue;
            }

            compared += 1;
            if file_name.ends_with(".pcapng") {
                pcapng_compared += 1;
            }
            if payload.carrier == Carrier::Tcp {
                tcp_compared += 1;
            }
            for mismatch in compare_with_tshark(&message, row) {
                mismatches.push(format!("{file_name} frame {frame}: {mismatch}"));
            }
        }
    }

    eprintln!(
        "{files} captures: parsed {messages} messages, compared {compared} with tshark \
         ({pcapng_compared} from pcapng, {tcp_compared} over TCP)"
    );
    assert!(compared > 1000, "too few messages compared: {compared}");
    assert!(pcapng_compared > 0, "no pcapng message compared");
    assert!(tcp_compared > 0, "no TCP message compared");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Prints the anomalies of a message when `DNSTEL_PRINT_ANOMALIES` is set.
fn print_anomalies(file_name: &str, frame: usize, message: &Message) {
    if std::env::var_os("DNSTEL_PRINT_ANOMALIES").is_none() {
        return;
    }
    for anomaly in &message.anomalies {
        eprintln!("{file_name} frame {frame}: {anomaly}");
    }
}

/// Returns how a clean message differs from tshark's row for its frame: first question
/// name, answer count and A record addresses.
fn compare_with_tshark(message: &Message, row: &HashMap<String, String>) -> Vec<String> {
    let field = |name: &str| row.get(name).map(String::as_str).unwrap_or("");
    let mut mismatches = Vec::new();
    let tshark_name = field("dns.qry.name").split(',').next().unwrap_or("");
    if let Some(question) = message.first_question() {
        // tshark prints a dot inside a label unescaped.
        let unescaped = question.name.replace("\\.", ".");
        if is_plain_name(tshark_name) && unescaped != tshark_name {
            mismatches.push(format!("name {} vs tshark {tshark_name}", question.name));
        }
    }

    let answers = field("dns.count.answers");
    if answers != message.header.ancount.to_string() && !answers.is_empty() {
        mismatches.push(format!("ancount vs {answers}"));
    }
    if message.answers.len() != usize::from(message.header.ancount) {
        mismatches.push("answers dropped".to_owned());
    }

    let our_a: Vec<String> = message
        .answers
        .iter()
        .chain(&message.authorities)
        .chain(&message.additionals)
        .filter(|record| record.rtype == Rtype::A)
        .filter_map(|record| record.data.as_ref().map(|rdata| rdata.data.clone()))
        .collect();
    if !field("dns.a").is_empty() && our_a.join(",") != field("dns.a") {
        mismatches.push(format!(
            "A {} vs tshark {}",
            our_a.join(","),
            field("dns.a")
        ));
    }
    mismatches
}
