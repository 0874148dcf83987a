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

use dnstel_dns::{parse, ParseOptions};
use support::capture::{capture_files, dns_messages, manifest_dns_ports, require_shared};

mod support;

/// tshark's row for one frame: column name to value.
fn tshark_rows(path: &Path) -> HashMap<usize, HashMap<String, String>> {
    let Ok(text) = fs::read_to_string(path) else {
        return HashMap::new();
    };
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
    let mut files = 0;
    let mut pcapng_messages = 0;
    let mut messages = 0;
    let mut compared = 0;
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
        let extraction = dns_messages(&path, extra_ports);
        for payload in &extraction.messages {
            let frame = payload.frame;
            let multicast = ParseOptions {
                multicast_class_bit: true,
            };
            let Ok(message) = parse(&payload.bytes, &multicast) else {
                continue;
            };
            if file_name.ends_with(".pcapng") {
                pcapng_messages += 1;
            }
            messages += 1;
            let Some(row) = rows.get(&frame) else {
                continue;
            };
            if !message.anomalies.is_empty() {
                if std::env::var_os("DNSTEL_PRINT_ANOMALIES").is_some() {
                    for anomaly in &message.anomalies {
                        eprintln!("{file_name} frame {frame}: {anomaly}");
                    }
                }
                continue;
            }
            let field = |name: &str| row.get(name).map(String::as_str).unwrap_or("");
            let id = format!("0x{:04x}", message.header.id);
            if field("dns.id") != id {
                // Several messages in one frame, or DNS quoted in ICMP: not comparable.
                continue;
            }
            compared += 1;
            let tshark_name = field("dns.qry.name").split(',').next().unwrap_or("");
            if let Some(question) = message.first_question() {
                // tshark prints a dot inside a label unescaped.
                let unescaped = question.name.replace("\\.", ".");
                if is_plain_name(tshark_name) && unescaped != tshark_name {
                    mismatches.push(format!(
                        "{file_name} frame {frame}: name {} vs tshark {tshark_name}",
                        question.name
                    ));
                }
            }
            let answers = field("dns.count.answers");
            if answers != message.header.ancount.to_string() && !answers.is_empty() {
                mismatches.push(format!("{file_name} frame {frame}: ancount vs {answers}"));
            }
            if message.answers.len() != usize::from(message.header.ancount) {
                mismatches.push(format!("{file_name} frame {frame}: answers dropped"));
            }
            let our_a: Vec<String> = message
                .answers
                .iter()
                .chain(&message.authorities)
                .chain(&message.additionals)
                .filter(|record| record.rtype == dnstel_dns::Rtype::A)
                .filter_map(|record| record.data.as_ref().map(|rdata| rdata.data.clone()))
                .collect();
            if !field("dns.a").is_empty() && our_a.join(",") != field("dns.a") {
                mismatches.push(format!(
                    "{file_name} frame {frame}: A {} vs tshark {}",
                    our_a.join(","),
                    field("dns.a")
                ));
            }
        }
    }
    eprintln!(
        "{files} captures: parsed {messages} messages ({pcapng_messages} from pcapng), \
         compared {compared} with tshark"
    );
    assert!(compared > 1000, "too few messages compared: {compared}");
    assert!(pcapng_messages > 0, "no message read from a pcapng capture");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
