//! Reads every shared real-world capture through the reader and the packet decoder.
//!
//! The captures live outside the repository, beside the checkout; the test is skipped with a
//! message when they are absent.

use dnstel_packet::{decode, DecodeError, DefragStats, Defragmenter, Transport};
use dnstel_pcap::CaptureReader;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Packet counts by file name from the corpus manifest's `packets` column.
fn manifest_packet_counts(shared: &Path) -> HashMap<String, u64> {
    let text = fs::read_to_string(shared.join("corpus/MANIFEST.tsv")).expect("manifest readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("manifest header").split('\t').collect();
    let name_column = header
        .iter()
        .position(|&c| c == "local_name")
        .expect("local_name");
    let packets_column = header
        .iter()
        .position(|&c| c == "packets")
        .expect("packets");
    lines
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let count = fields.get(packets_column)?.parse().ok()?;
            Some((fields.get(name_column)?.to_string(), count))
        })
        .collect()
}

fn capture_files(shared: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "corpus/pcaps",
        "packetbeat-pcaps",
        "packetbeat-pcaps/community_id",
    ] {
        let Ok(entries) = fs::read_dir(shared.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.to_string_lossy();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[derive(Debug, Default)]
struct FileSummary {
    frames: u64,
    udp: u64,
    tcp: u64,
    fragments: u64,
    other_ip: u64,
    not_ip: u64,
    unsupported_link: u64,
    malformed: u64,
    reassembled: u64,
    reassembled_udp: u64,
    defrag: DefragStats,
    read_errors: Vec<String>,
}

fn read_file(path: &Path) -> FileSummary {
    let mut summary = FileSummary::default();
    let file = File::open(path).expect("capture readable");
    let mut reader = match CaptureReader::new(BufReader::new(file)) {
        Ok(reader) => reader,
        Err(error) => {
            summary.read_errors.push(error.to_string());
            return summary;
        }
    };
    let mut defragmenter = Defragmenter::default();
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                summary.frames += 1;
                match decode(&frame) {
                    Ok(decoded) => match decoded.transport {
                        Transport::Udp(_) => summary.udp += 1,
                        Transport::Tcp(_) => summary.tcp += 1,
                        Transport::Fragment(_) => {
                            summary.fragments += 1;
                            if let Some(datagram) =
                                defragmenter.insert_decoded(frame.timestamp, &decoded)
                            {
                                summary.reassembled += 1;
                                if let Ok(Transport::Udp(_)) = datagram.transport() {
                                    summary.reassembled_udp += 1;
                                }
                            }
                        }
                        Transport::Other { .. } => summary.other_ip += 1,
                    },
                    Err(DecodeError::NotIp { .. } | DecodeError::UnknownAddressFamily { .. }) => {
                        summary.not_ip += 1
                    }
                    Err(DecodeError::UnsupportedLinkType(_)) => summary.unsupported_link += 1,
                    Err(_) => summary.malformed += 1,
                }
            }
            Ok(None) => break,
            Err(error) => {
                summary.read_errors.push(error.to_string());
                if !error.is_recoverable() {
                    break;
                }
            }
        }
    }
    summary.defrag = defragmenter.stats();
    summary
}

#[test]
fn corpus_reads_without_panic() {
    let shared = shared_dir();
    let files = capture_files(&shared);
    if files.is_empty() {
        eprintln!("skipped: no captures under {}", shared.display());
        return;
    }
    let expected = manifest_packet_counts(&shared);
    let mut mismatches = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut totals = FileSummary::default();
    for path in &files {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .to_string();
        let summary = read_file(path);
        if let Some(&count) = expected.get(&name) {
            if count != summary.frames {
                mismatches.insert(name.clone(), (count, summary.frames));
            }
        }
        if !summary.read_errors.is_empty() {
            errors.insert(name.clone(), summary.read_errors.clone());
        }
        totals.frames += summary.frames;
        totals.udp += summary.udp;
        totals.tcp += summary.tcp;
        totals.fragments += summary.fragments;
        totals.other_ip += summary.other_ip;
        totals.not_ip += summary.not_ip;
        totals.unsupported_link += summary.unsupported_link;
        totals.malformed += summary.malformed;
        totals.reassembled += summary.reassembled;
        totals.reassembled_udp += summary.reassembled_udp;
        if std::env::var_os("DNSTEL_CORPUS_VERBOSE").is_some() {
            eprintln!("{name}: {summary:?}");
        }
    }
    eprintln!("{} files, totals {totals:?}", files.len());
    for (name, list) in &errors {
        eprintln!("read errors in {name}: {list:?}");
    }
    assert_eq!(
        mismatches,
        BTreeMap::new(),
        "frame counts differ from the manifest"
    );
    // The only damaged file in the corpus ends 7 bytes into a record header.
    let damaged: Vec<&String> = errors.keys().collect();
    assert_eq!(damaged, vec!["dpkt__truncated_dns_2.pcap"]);
}

/// Reads a capture and returns the reassembled UDP payload lengths.
fn reassembled_udp_lengths(path: &Path) -> Vec<usize> {
    let mut reader = dnstel_pcap::open(path).expect("capture opens");
    let mut defragmenter = Defragmenter::default();
    let mut lengths = Vec::new();
    while let Some(frame) = reader.next_frame().expect("capture reads") {
        let Ok(decoded) = decode(&frame) else {
            continue;
        };
        if let Some(datagram) = defragmenter.insert_decoded(frame.timestamp, &decoded) {
            if let Ok(Transport::Udp(udp)) = datagram.transport() {
                lengths.push(udp.payload.len());
            }
        }
    }
    lengths
}

#[test]
fn ipv4_fragmented_dns_response() {
    // Three IPv4 fragments of one 3398-byte DNS response from 8.8.8.8.
    let path = shared_dir().join("packetbeat-pcaps/udp_edns0_resp.pcap");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    assert_eq!(reassembled_udp_lengths(&path), vec![3398]);
}

#[test]
fn ipv6_fragmented_dns() {
    let path = shared_dir().join("corpus/pcaps/zeek__ipv6-fragmented-dns.pcap");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let lengths = reassembled_udp_lengths(&path);
    assert!(!lengths.is_empty());
    assert!(lengths.iter().all(|&length| length > 1232), "{lengths:?}");
}
