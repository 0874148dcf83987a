//! Differential test against hickory-proto 0.25: every DNS message of the shared capture
//! corpus and of Packetbeat's test captures is parsed by both, and the results must agree.
//!
//! The comparison covers header fields and flags, the EDNS-merged rcode, and the OPT record's
//! fields and option codes. It covers questions, section counts, and each record's owner
//! name, type, class and TTL. Record data is compared for A, AAAA, CNAME, NS, PTR, MX, TXT,
//! SOA, SRV, NULL, HINFO, SSHFP and CAA. Names are compared as raw label bytes, so escaping
//! plays no part.
//!
//! hickory rejects a whole message where dnstel keeps what it can and reports an anomaly, so
//! a message hickory rejects must carry a non-informational anomaly in our parse, or be
//! listed in [`KNOWN_DIFFERENCES`]. A message we flag but hickory accepts must be listed
//! too. Every listed entry must still match something, so the table cannot go stale.

mod support;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use dnstel_dns::{parse, FieldValue, Message, ParseOptions, Record};
use hickory_proto::op::Message as HickoryMessage;
use hickory_proto::rr::{Name, RData, Record as HickoryRecord, RecordType};
use support::capture::{capture_files, dns_messages, manifest_dns_ports, require_shared};

/// Differences where dnstel is right or deliberately different: (capture, start of the
/// difference text, reason). hickory-proto is built without its DNSSEC feature here, so it
/// reads RRSIG, NSEC and LOC data as opaque bytes and never checks their layout.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "suricata-verify__dns_dns-forward-pointer__input.pcap",
        "rejected by hickory only: label points to data not prior to",
        "hickory rejects compression pointers that point forward. dnstel follows them \
         unless they loop, because mDNS responders send them.",
    ),
    (
        "zeek__dns-edns-ecs-weirds.pcap",
        "rejected by hickory only: unexpected end of input reached",
        "The client subnet options carry fewer address bytes than the source prefix needs \
         (3 for a /32, 7 for a /66). miekg v1.1.41, and so Packetbeat, pads the address \
         with zeros and prints it, and dnstel does the same.",
    ),
    (
        "zeek__dns_svcb-alpn-malformed-len-too-short.pcap",
        "rejected by hickory only: unexpected end of input reached",
        "An alpn-id length runs past the alpn value. dnstel prints a known SvcParam value \
         it cannot decode as its escaped raw bytes, with no anomaly.",
    ),
    (
        "zeek__dns_svcb-alpn-malformed-len-too-long.pcap",
        "rejected by hickory only: unexpected end of input reached",
        "An alpn-id length runs past the alpn value. dnstel prints a known SvcParam value \
         it cannot decode as its escaped raw bytes, with no anomaly.",
    ),
    (
        "arkime__arkime_synthetic.pcap",
        "rejected by hickory only: incorrect rdata length read: 7 expected: 21",
        "An SVCB record has an alpn parameter with an empty value, which RFC 9460 forbids. \
         dnstel prints the key alone (`alpn`), with no anomaly.",
    ),
    (
        "arkime__dnssec_synthetic.pcap",
        "flagged by dnstel only: invalid RRSIG record data",
        "The RRSIG data is 10 bytes, shorter than the 18 fixed bytes RFC 4034 requires \
         before the signer name, so dnstel skips the record.",
    ),
    (
        "arkime__dnssec_synthetic.pcap",
        "flagged by dnstel only: invalid NSEC record data",
        "The NSEC type bitmap block claims more bytes than the record data has \
         (RFC 4034 section 4.1.2), so dnstel skips the record.",
    ),
    (
        "zeek__dns_loc-invalid-length.pcap",
        "flagged by dnstel only: invalid LOC record data",
        "The LOC data is 15 bytes, and version 0 of RFC 1876 has exactly 16, so dnstel \
         skips the record.",
    ),
    (
        "ndpi__dns-exf.pcap",
        "flagged by dnstel only: OPT record in answer section",
        "RFC 6891 allows the OPT pseudo-record only in the additional section. dnstel \
         skips one found elsewhere, and hickory keeps it as an answer record.",
    ),
];

/// Record types whose data is compared: A, NS, CNAME, SOA, NULL, PTR, HINFO, MX, TXT, AAAA,
/// SRV, SSHFP and CAA.
const COMPARED_TYPES: [u16; 13] = [1, 2, 5, 6, 10, 12, 13, 15, 16, 28, 33, 44, 257];

/// Totals over all captures.
#[derive(Debug, Default)]
struct Summary {
    captures: usize,
    messages: usize,
    agreed: usize,
    both_rejected: usize,
    rejected_and_flagged: usize,
    listed: usize,
}

#[test]
fn corpus_agrees_with_hickory() {
    let corpus = require_shared("corpus");
    let ports = manifest_dns_ports(&corpus.join("MANIFEST.tsv"));
    let mut files = capture_files(&corpus.join("pcaps"));
    files.extend(capture_files(&require_shared("packetbeat-pcaps")));

    let mut summary = Summary::default();
    let mut unlisted = Vec::new();
    let mut matched_entries = vec![false; KNOWN_DIFFERENCES.len()];
    for path in &files {
        let file_name = file_name(path);
        summary.captures += 1;
        let extra_ports = ports.get(file_name).map_or(&[][..], Vec::as_slice);
        for payload in dns_messages(path, extra_ports).messages {
            summary.messages += 1;
            let differences = compare_message(&payload.bytes);
            match differences {
                Outcome::Agreed => summary.agreed += 1,
                Outcome::BothRejected => summary.both_rejected += 1,
                Outcome::RejectedAndFlagged => summary.rejected_and_flagged += 1,
                Outcome::Differ(texts) => {
                    let mut all_listed = true;
                    for text in texts {
                        match known_entry(file_name, &text) {
                            Some(index) => matched_entries[index] = true,
                            None => {
                                all_listed = false;
                                unlisted
                                    .push(format!("{file_name} frame {}: {text}", payload.frame));
                            }
                        }
                    }
                    if all_listed {
                        summary.listed += 1;
                    }
                }
            }
        }
    }

    eprintln!(
        "{} captures, {} messages compared: {} agreed, {} rejected by both, \
         {} rejected by hickory and flagged by dnstel, {} with listed differences, {} unlisted",
        summary.captures,
        summary.messages,
        summary.agreed,
        summary.both_rejected,
        summary.rejected_and_flagged,
        summary.listed,
        unlisted.len()
    );
    let stale: Vec<_> = KNOWN_DIFFERENCES
        .iter()
        .zip(&matched_entries)
        .filter(|(_, matched)| !**matched)
        .map(|(entry, _)| format!("{entry:?}"))
        .collect();
    assert!(
        summary.messages > 8000,
        "too few messages: {}",
        summary.messages
    );
    assert!(
        unlisted.is_empty(),
        "unlisted differences:\n{}",
        unlisted.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed differences never seen:\n{}",
        stale.join("\n")
    );
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("")
}

/// Returns the index of the table entry that covers `text` in `capture`.
fn known_entry(capture: &str, text: &str) -> Option<usize> {
    KNOWN_DIFFERENCES
        .iter()
        .position(|(name, prefix, _)| *name == capture && text.starts_with(prefix))
}

/// How the two parsers treated one message.
enum Outcome {
    Agreed,
    BothRejected,
    RejectedAndFlagged,
    Differ(Vec<String>),
}

fn compare_message(bytes: &[u8]) -> Outcome {
    let ours = parse(bytes, &ParseOptions::default());
    let theirs = HickoryMessage::from_vec(bytes);
    let (ours, theirs) = match (ours, theirs) {
        (Err(_), Err(_)) => return Outcome::BothRejected,
        (Err(error), Ok(_)) => {
            return Outcome::Differ(vec![format!("rejected by dnstel only: {error}")]);
        }
        (Ok(ours), Err(error)) => {
            return if serious_anomalies(&ours).is_empty() {
                Outcome::Differ(vec![format!("rejected by hickory only: {error}")])
            } else {
                Outcome::RejectedAndFlagged
            };
        }
        (Ok(ours), Ok(theirs)) => (ours, theirs),
    };
    let serious = serious_anomalies(&ours);
    if !serious.is_empty() {
        return Outcome::Differ(vec![format!(
            "flagged by dnstel only: {}",
            serious.join("; ")
        )]);
    }
    let mut differences = Vec::new();
    compare_header(&ours, &theirs, &mut differences);
    compare_questions(&ours, &theirs, &mut differences);
    let sections = [
        ("answer", &ours.answers, theirs.answers()),
        ("authority", &ours.authorities, theirs.name_servers()),
        ("additional", &ours.additionals, theirs.additionals()),
    ];
    for (section, ours, theirs) in sections {
        compare_records(section, ours, theirs, &mut differences);
    }
    if differences.is_empty() {
        Outcome::Agreed
    } else {
        Outcome::Differ(differences)
    }
}

fn serious_anomalies(message: &Message) -> Vec<String> {
    message
        .anomalies
        .iter()
        .filter(|anomaly| !anomaly.is_informational())
        .map(ToString::to_string)
        .collect()
}

/// Pushes a difference text when `ours` and `theirs` differ.
fn check<T: PartialEq + std::fmt::Debug>(
    field: &str,
    ours: T,
    theirs: T,
    differences: &mut Vec<String>,
) {
    if ours != theirs {
        differences.push(format!("{field}: dnstel {ours:?}, hickory {theirs:?}"));
    }
}

fn compare_header(ours: &Message, theirs: &HickoryMessage, differences: &mut Vec<String>) {
    let header = &ours.header;
    check("id", header.id, theirs.id(), differences);
    let is_response = theirs.message_type() == hickory_proto::op::MessageType::Response;
    check("qr", header.qr, is_response, differences);
    check(
        "opcode",
        header.opcode.0,
        u8::from(theirs.op_code()),
        differences,
    );
    check("aa", header.aa, theirs.authoritative(), differences);
    check("tc", header.tc, theirs.truncated(), differences);
    check("rd", header.rd, theirs.recursion_desired(), differences);
    check("ra", header.ra, theirs.recursion_available(), differences);
    check("ad", header.ad, theirs.authentic_data(), differences);
    check("cd", header.cd, theirs.checking_disabled(), differences);
    check(
        "rcode",
        ours.rcode().0,
        u16::from(theirs.response_code()),
        differences,
    );
    check(
        "opt present",
        ours.opt.is_some(),
        theirs.extensions().is_some(),
        differences,
    );
}

fn compare_questions(ours: &Message, theirs: &HickoryMessage, differences: &mut Vec<String>) {
    check(
        "question count",
        ours.questions.len(),
        theirs.queries().len(),
        differences,
    );
    for (index, (question, query)) in ours.questions.iter().zip(theirs.queries()).enumerate() {
        let describe = |field: &str| format!("question {index} {field}");
        check(
            &describe("name"),
            labels(&question.name),
            hickory_labels(query.name()),
            differences,
        );
        check(
            &describe("type"),
            question.qtype.0,
            u16::from(query.query_type()),
            differences,
        );
        check(
            &describe("class"),
            question.qclass.0,
            u16::from(query.query_class()),
            differences,
        );
    }
}

fn compare_records(
    section: &str,
    ours: &[Record],
    theirs: &[HickoryRecord],
    differences: &mut Vec<String>,
) {
    check(
        &format!("{section} count"),
        ours.len(),
        theirs.len(),
        differences,
    );
    for (index, (record, other)) in ours.iter().zip(theirs).enumerate() {
        let describe = |field: &str| format!("{section} {index} {field}");
        check(
            &describe("name"),
            labels(&record.name),
            hickory_labels(other.name()),
            differences,
        );
        check(
            &describe("type"),
            record.rtype.0,
            u16::from(other.record_type()),
            differences,
        );
        check(
            &describe("class"),
            record.class.0,
            u16::from(other.dns_class()),
            differences,
        );
        check(&describe("ttl"), record.ttl, other.ttl(), differences);
        if !COMPARED_TYPES.contains(&record.rtype.0) {
            continue;
        }
        match hickory_data(other.data()) {
            Some(expected) => check(&describe("data"), our_data(record), expected, differences),
            None => differences.push(format!(
                "{}: hickory read {:?}",
                describe("data"),
                other.data()
            )),
        }
    }
}

/// Record data in a form both sides can produce without sharing rendering code: names as
/// label bytes, numbers as numbers, character-strings as bytes.
#[derive(Debug, PartialEq, Eq)]
enum Data {
    Empty,
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Name(Vec<Vec<u8>>),
    Numbered(Vec<u64>, Vec<Vec<u8>>),
    Strings(Vec<u8>),
    Soa(Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<u64>),
    Bytes(Vec<u8>),
    StringList(Vec<Vec<u8>>),
    NumbersThenBytes(Vec<u64>, Vec<u8>),
    Caa(u64, String, Vec<u8>),
}

/// Returns hickory's data for the compared types, or `None` for the others.
fn hickory_data(data: &RData) -> Option<Data> {
    let value = match data {
        // dnstel renders both empty RDATA and one empty character-string as "".
        RData::Update0(RecordType::TXT) => Data::Strings(Vec::new()),
        // dnstel prints empty NULL data in generic form, `\# 0`.
        RData::Update0(RecordType::NULL) => Data::Bytes(Vec::new()),
        RData::Update0(_) => Data::Empty,
        RData::A(address) => Data::Ipv4(address.0),
        RData::AAAA(address) => Data::Ipv6(address.0),
        RData::CNAME(name) => Data::Name(hickory_labels(&name.0)),
        RData::NS(name) => Data::Name(hickory_labels(&name.0)),
        RData::PTR(name) => Data::Name(hickory_labels(&name.0)),
        RData::MX(mx) => Data::Numbered(
            vec![u64::from(mx.preference())],
            hickory_labels(mx.exchange()),
        ),
        RData::SRV(srv) => Data::Numbered(
            vec![
                u64::from(srv.priority()),
                u64::from(srv.weight()),
                u64::from(srv.port()),
            ],
            hickory_labels(srv.target()),
        ),
        RData::TXT(txt) => Data::Strings(txt.txt_data().join(&b' ')),
        RData::SOA(soa) => Data::Soa(
            hickory_labels(soa.mname()),
            hickory_labels(soa.rname()),
            vec![
                u64::from(soa.serial()),
                u64::from(soa.refresh() as u32),
                u64::from(soa.retry() as u32),
                u64::from(soa.expire() as u32),
                u64::from(soa.minimum()),
            ],
        ),
        RData::NULL(null) => Data::Bytes(null.anything().to_vec()),
        RData::HINFO(hinfo) => Data::StringList(vec![hinfo.cpu().to_vec(), hinfo.os().to_vec()]),
        RData::SSHFP(sshfp) => Data::NumbersThenBytes(
            vec![
                u64::from(u8::from(sshfp.algorithm())),
                u64::from(u8::from(sshfp.fingerprint_type())),
            ],
            sshfp.fingerprint().to_vec(),
        ),
        RData::CAA(caa) => Data::Caa(
            u64::from(caa.flags()),
            caa.tag().as_str().to_owned(),
            caa.raw_value().to_vec(),
        ),
        _ => return None,
    };
    Some(value)
}

/// Returns dnstel's data in the shape [`hickory_data`] gives for the same record type.
fn our_data(record: &Record) -> Data {
    let Some(rdata) = &record.data else {
        return Data::Empty;
    };
    let number = |key: &str| match rdata.get(key) {
        Some(FieldValue::Int(value)) => *value,
        other => panic!("{key} of {} is {other:?}", record.rtype),
    };
    let text = |key: &str| match rdata.get(key) {
        Some(FieldValue::Str(value)) => value.clone(),
        other => panic!("{key} of {} is {other:?}", record.rtype),
    };
    match record.rtype.0 {
        16 => Data::Strings(unescape(&rdata.data, false).concat()),
        _ if rdata.data.is_empty() && rdata.extra.is_empty() => Data::Empty,
        1 => Data::Ipv4(rdata.data.parse().expect("A data is an IPv4 address")),
        // Packetbeat prints an IPv4-mapped IPv6 address in dotted IPv4 form, as Go does.
        28 => Data::Ipv6(match rdata.data.parse::<IpAddr>() {
            Ok(IpAddr::V6(address)) => address,
            Ok(IpAddr::V4(address)) => address.to_ipv6_mapped(),
            Err(error) => panic!("AAAA data {:?}: {error}", rdata.data),
        }),
        // NS, CNAME, PTR
        2 | 5 | 12 => Data::Name(labels(&rdata.data)),
        // MX
        15 => Data::Numbered(vec![number("preference")], labels(&rdata.data)),
        // SRV
        33 => Data::Numbered(
            vec![number("priority"), number("weight"), number("port")],
            labels(&rdata.data),
        ),
        // SOA
        6 => Data::Soa(
            labels(&rdata.data),
            labels(&text("rname")),
            ["serial", "refresh", "retry", "expire", "minimum"]
                .map(number)
                .to_vec(),
        ),
        // NULL, in RFC 3597 generic form: \# <length> <hex>
        10 => Data::Bytes(
            rdata
                .data
                .split(' ')
                .nth(2)
                .map_or_else(Vec::new, decode_hex),
        ),
        // HINFO: two quoted character-strings
        13 => Data::StringList(quoted_strings(&rdata.data)),
        // SSHFP: algorithm, fingerprint type, uppercase hex fingerprint
        44 => {
            let fields: Vec<&str> = rdata.data.split(' ').collect();
            let numbers = fields[..2]
                .iter()
                .map(|field| field.parse().expect("SSHFP number"))
                .collect();
            Data::NumbersThenBytes(numbers, decode_hex(fields[2]))
        }
        // CAA: flags, tag, quoted value
        257 => {
            let mut fields = rdata.data.splitn(3, ' ');
            let flags = fields.next().and_then(|flags| flags.parse().ok());
            let tag = fields.next().unwrap_or_default().to_owned();
            let value = quoted_strings(fields.next().unwrap_or_default()).concat();
            Data::Caa(flags.expect("CAA flags"), tag, value)
        }
        other => panic!("type {other} is not compared"),
    }
}

/// Decodes hex digits of either case; the caller's text comes from dnstel's renderer.
fn decode_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .map(|digit| match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            b'A'..=b'F' => digit - b'A' + 10,
            other => panic!("invalid hex digit {:?} in {text:?}", char::from(other)),
        })
        .collect();
    digits
        .chunks(2)
        .map(|pair| pair.iter().fold(0, |byte, digit| byte * 16 + digit))
        .collect()
}

/// Returns the unescaped contents of each `"..."` string in `text`.
fn quoted_strings(text: &str) -> Vec<Vec<u8>> {
    let mut strings = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let body = &rest[start + 1..];
        let mut end = None;
        let mut escaped = false;
        for (index, byte) in body.bytes().enumerate() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    end = Some(index);
                    break;
                }
                _ => {}
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated string in {text:?}"));
        strings.push(unescape(&body[..end], false).concat());
        rest = &body[end + 1..];
    }
    strings
}

fn hickory_labels(name: &Name) -> Vec<Vec<u8>> {
    name.iter().map(<[u8]>::to_vec).collect()
}

/// Splits a presentation-form name into its raw labels; `.` and the empty string are the
/// root.
fn labels(name: &str) -> Vec<Vec<u8>> {
    if name == "." || name.is_empty() {
        return Vec::new();
    }
    unescape(name, true)
}

/// Undoes presentation escaping (`\DDD` and `\X`), splitting at unescaped dots when
/// `split_dots` is set.
fn unescape(text: &str, split_dots: bool) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut parts = vec![Vec::new()];
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let current = parts.last_mut().expect("parts starts non-empty");
        match byte {
            b'\\' => {
                let digits = bytes
                    .get(index + 1..index + 4)
                    .filter(|digits| digits.iter().all(u8::is_ascii_digit));
                if let Some(digits) = digits {
                    let value = digits
                        .iter()
                        .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
                    current.push(u8::try_from(value).expect("escape is at most \\255"));
                    index += 4;
                } else if let Some(&escaped) = bytes.get(index + 1) {
                    current.push(escaped);
                    index += 2;
                } else {
                    current.push(byte);
                    index += 1;
                }
            }
            b'.' if split_dots => {
                parts.push(Vec::new());
                index += 1;
            }
            _ => {
                current.push(byte);
                index += 1;
            }
        }
    }
    parts
}

#[test]
fn unescape_splits_labels() {
    assert_eq!(labels("."), Vec::<Vec<u8>>::new());
    assert_eq!(labels("a\\.b.c"), vec![b"a.b".to_vec(), b"c".to_vec()]);
    assert_eq!(labels("\\000\\255x"), vec![vec![0, 255, b'x']]);
    assert_eq!(unescape("a.b \\\"", false), vec![b"a.b \"".to_vec()]);
}

#[test]
fn quoted_strings_unescape() {
    let strings = quoted_strings("\"a\\\"b\" \"\\255\"");
    assert_eq!(strings, vec![b"a\"b".to_vec(), vec![255]]);
    assert_eq!(decode_hex("0aFf"), vec![0x0a, 0xff]);
}

#[test]
fn known_differences_have_reasons() {
    let counts: HashMap<(&str, &str), usize> =
        KNOWN_DIFFERENCES
            .iter()
            .fold(HashMap::new(), |mut counts, (capture, prefix, _)| {
                *counts.entry((*capture, *prefix)).or_default() += 1;
                counts
            });
    for (capture, prefix, reason) in KNOWN_DIFFERENCES {
        assert!(!reason.is_empty(), "{capture}: {prefix} has no reason");
        assert_eq!(
            counts[&(*capture, *prefix)],
            1,
            "{capture}: {prefix} listed twice"
        );
    }
}
