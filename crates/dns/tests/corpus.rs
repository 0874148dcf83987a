//! Parses every DNS payload of the shared real-capture corpus and compares the result with
//! tshark's dissection of the same frame. The corpus sits beside the repository checkout;
//! the test is skipped when it is absent.
//!
//! Only classic pcap files over Ethernet, Linux SLL, BSD loopback and raw IP are read, and
//! only unfragmented UDP on ports 53, 5353 and 5355. That covers most of the corpus.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use dnstel_dns::{parse, ParseOptions};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// Returns the UDP payloads on DNS ports of a classic pcap file, keyed by 1-based frame number.
fn udp_dns_payloads(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let Some(magic) = bytes.get(..4) else {
        return Vec::new();
    };
    let big_endian = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        _ => return Vec::new(),
    };
    let read_u32 = |at: usize| -> Option<u32> {
        let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        })
    };
    let Some(link_type) = read_u32(20) else {
        return Vec::new();
    };
    let mut payloads = Vec::new();
    let mut position = 24;
    let mut frame = 0;
    while let Some(captured) = read_u32(position + 8) {
        frame += 1;
        let start = position + 16;
        let end = start + captured as usize;
        let Some(data) = bytes.get(start..end) else {
            break;
        };
        if let Some(payload) = link_payload(link_type & 0x0fff_ffff, data) {
            payloads.push((frame, payload.to_vec()));
        }
        position = end;
    }
    payloads
}

fn link_payload(link_type: u32, data: &[u8]) -> Option<&[u8]> {
    match link_type {
        1 => {
            let mut offset = 12;
            let mut ether_type = u16::from_be_bytes(data.get(offset..offset + 2)?.try_into().ok()?);
            while ether_type == 0x8100 || ether_type == 0x88a8 {
                offset += 4;
                ether_type = u16::from_be_bytes(data.get(offset..offset + 2)?.try_into().ok()?);
            }
            ip_payload(data.get(offset + 2..)?)
        }
        113 => ip_payload(data.get(16..)?),
        0 | 108 => ip_payload(data.get(4..)?),
        101 | 228 | 229 | 12 | 14 => ip_payload(data),
        _ => None,
    }
}

fn ip_payload(packet: &[u8]) -> Option<&[u8]> {
    let version = packet.first()? >> 4;
    let udp = match version {
        4 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let fragment = u16::from_be_bytes(packet.get(6..8)?.try_into().ok()?);
            if fragment & 0x3fff != 0 || *packet.get(9)? != 17 {
                return None;
            }
            let total = usize::from(u16::from_be_bytes(packet.get(2..4)?.try_into().ok()?));
            packet.get(header_len..total.min(packet.len()))?
        }
        6 => {
            if *packet.get(6)? != 17 {
                return None;
            }
            packet.get(40..)?
        }
        _ => return None,
    };
    let source = u16::from_be_bytes(udp.get(0..2)?.try_into().ok()?);
    let destination = u16::from_be_bytes(udp.get(2..4)?.try_into().ok()?);
    let is_dns = |port| matches!(port, 53 | 5353 | 5355);
    if !is_dns(source) && !is_dns(destination) {
        return None;
    }
    let length = usize::from(u16::from_be_bytes(udp.get(4..6)?.try_into().ok()?));
    udp.get(8..length.min(udp.len()))
}

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
    let pcaps = corpus_dir().join("pcaps");
    let Ok(entries) = fs::read_dir(&pcaps) else {
        eprintln!("corpus not found at {}; skipping", pcaps.display());
        return;
    };
    let mut messages = 0;
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for entry in entries {
        let path = entry.expect("directory entry is readable").path();
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if !file_name.ends_with(".pcap") {
            continue;
        }
        let bytes = fs::read(&path).expect("capture is readable");
        let tshark_path = corpus_dir().join("tshark").join(format!("{file_name}.tsv"));
        let rows = tshark_rows(&tshark_path);
        for (frame, payload) in udp_dns_payloads(&bytes) {
            let multicast = ParseOptions {
                multicast_class_bit: true,
            };
            let Ok(message) = parse(&payload, &multicast) else {
                continue;
            };
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
    eprintln!("parsed {messages} messages, compared {compared} with tshark");
    assert!(compared > 1000, "too few messages compared: {compared}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
