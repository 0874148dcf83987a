//! Differential test of `dnstel read` against tshark over the real capture corpus.
//!
//! Every capture is read with DNS enabled on the ports the corpus uses; each must read without a
//! panic and exit with status 0. For UDP messages, the DNS id, first question name and type,
//! response code and answer data in the events are compared with tshark 4.0's dissection, stored
//! beside the captures as one TSV file per capture, and so is the answer count. Messages are
//! matched by direction, client and server address and port, and DNS id. Differences that are correct on dnstel's side are
//! listed in [`ACCEPTED`]; every listed difference must still occur, and any other difference
//! fails the test.

#[path = "support/events.rs"]
mod events;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use events::{lookup, read_events};
use serde_json::Value;

/// Ports that carry DNS in the corpus: DNS, mDNS, LLMNR and two test suites' own ports.
const DNS_PORTS: &[u16] = &[53, 5353, 5355, 1053, 8053];

/// Parallel `dnstel read` processes; each capture is read by its own process.
const WORKERS: usize = 4;

/// Reason shared by captures where a unicast reply answers a query sent to a multicast group.
const MULTICAST_PAIRING: &str = "a unicast mDNS or LLMNR reply is paired with the query its \
    client sent to the multicast group, so tshark's query row (to the group) and reply row \
    (from the responder) become one event whose server is the responder";

/// Reason shared by mDNS captures whose queries all carry id 0 between the same endpoints.
const MDNS_ID_ZERO: &str = "mDNS queries all use id 0 between the querier and the group, so \
    once unicast replies pair with some of them the test matches the remaining query events \
    to tshark rows by position and compares different queries";

/// Reason shared by captures whose link type dnstel does not decode.
const LINK_TYPE: &str = "link type not decoded by dnstel nor by Packetbeat 7.17 \
    (Ethernet, SLL, NULL and raw IP only); the frames are counted as unsupported";

/// Reason shared by responses whose RCODE has high bits in the OPT record.
const EXTENDED_RCODE: &str = "the OPT record's extended RCODE bits are merged into the \
    header RCODE, as Packetbeat does; tshark shows only the 4 header bits";

/// Reason shared by responses with damaged records in the answer section.
const COUNT_PARSED: &str = "malformed or truncated answer records are skipped with a note, so \
    dns.answers_count counts the records that parsed; tshark shows the header count, and \
    Packetbeat drops the whole message";

/// Reason shared by DNS UPDATE messages.
const UPDATE_COUNT: &str = "in UPDATE messages the answer section holds prerequisites, which \
    tshark counts in another field";

/// Differences that are correct on dnstel's side: capture, compared field, reason.
const ACCEPTED: &[(&str, &str, &str)] = &[
    ("arkime__dns-update.pcap", "answer_count", UPDATE_COUNT),
    ("arkime__dnssec_synthetic.pcap", "answer_count", COUNT_PARSED),
    ("dpkt__truncated_dns.pcap", "answer_count", COUNT_PARSED),
    (
        "ndpi__dns-exf.pcap",
        "answer_count",
        "an OPT record in the answer section is skipped with a note, so it is not counted",
    ),
    ("ndpi__fuzz-2006-06-26-2594.pcap", "answer_count", COUNT_PARSED),
    ("ndpi__malformed_dns.pcap", "answer_count", COUNT_PARSED),
    ("tcpdump__dns_udp_2.pcap", "answer_count", COUNT_PARSED),
    ("zeek__dns-edns-ecs-bad.pcap", "answer_count", COUNT_PARSED),
    ("zeek__dns-svcb-rdlength-mismatch.pcap", "answer_count", COUNT_PARSED),
    ("zeek__dns_dynamic-update.pcap", "answer_count", UPDATE_COUNT),
    ("zeek__dns_loc-invalid-length.pcap", "answer_count", COUNT_PARSED),
    ("arkime__arkime_synthetic.pcap", "missing", MULTICAST_PAIRING),
    ("arkime__arkime_synthetic.pcap", "extra", MULTICAST_PAIRING),
    ("arkime__arkime_synthetic.pcap", "rcode", EXTENDED_RCODE),
    (
        "dnscap__sll2.pcap",
        "question",
        "the name holds a comma, which is also tshark's list separator",
    ),
    (
        "dpkt__nb6-http.pcap",
        "missing",
        "DNS inside PPPoE sessions; PPPoE is not decoded, as in Packetbeat",
    ),
    (
        "elastic-examples__dns-tunnel-iodine.pcap",
        "question",
        "binary iodine labels; tshark and dnstel replace invalid UTF-8 differently",
    ),
    ("ndpi__6in4tunnel.pcap", "extra", "IPv6 in IPv4 (protocol 41) is unwrapped, as Packetbeat does; tshark rows with both headers are left out"),
    ("ndpi__anyconnect-vpn.pcap", "missing", MULTICAST_PAIRING),
    ("ndpi__anyconnect-vpn.pcap", "question", MDNS_ID_ZERO),
    ("ndpi__anyconnect-vpn.pcap", "extra", MULTICAST_PAIRING),
    (
        "ndpi__badpackets.pcap",
        "missing",
        "every frame is a first IPv4 fragment cut by the snap length and the other fragments \
         are absent, so no datagram completes; tshark dissects the partial first fragments",
    ),
    (
        "ndpi__dns.pcap",
        "missing",
        "two frames carry DNS inside PPPoE under two VLAN tags; PPPoE is not decoded, as in \
         Packetbeat",
    ),
    (
        "ndpi__dnscrypt-v2.pcap",
        "missing",
        "DNSCrypt on port 5353 is encrypted; tshark's heuristic mis-decodes it as DNS",
    ),
    (
        "ndpi__fuzz-2006-06-26-2594.pcap",
        "answers",
        "fuzzed records; tshark shows placeholders such as <Unknown extended label> for names \
         dnstel rejects, and dnstel skips those records with a note",
    ),
    (
        "ndpi__fuzz-2006-06-26-2594.pcap",
        "question",
        "fuzzed questions that dnstel rejects with a note; tshark shows placeholders",
    ),
    (
        "ndpi__fuzz-2006-06-26-2594.pcap",
        "qtype",
        "fuzzed questions that dnstel rejects with a note; tshark shows placeholders",
    ),
    (
        "ndpi__fuzz-2006-06-26-2594.pcap",
        "missing",
        "fuzzed messages that are not DNS past the header, counted as undecodable",
    ),
    (
        "ndpi__malformed_dns.pcap",
        "answers",
        "the records' names are longer than 255 bytes, which RFC 1035 forbids; dnstel skips \
         them with the note 'name longer than 255 bytes'",
    ),
    ("ndpi__telegram.pcap", "missing", MULTICAST_PAIRING),
    ("ndpi__telegram.pcap", "question", MDNS_ID_ZERO),
    ("ndpi__telegram.pcap", "qtype", MDNS_ID_ZERO),
    ("ndpi__telegram.pcap", "extra", MULTICAST_PAIRING),
    ("ndpi__tls_certificate_too_long.pcap", "missing", MULTICAST_PAIRING),
    ("ndpi__tls_certificate_too_long.pcap", "extra", MULTICAST_PAIRING),
    (
        "suricata-verify__dns-udp-junkrequest-first__input.pcap",
        "missing",
        "the first request is SNMP sent to port 53, counted as undecodable; its 12-byte reply \
         becomes an orphan response",
    ),
    ("suricata-verify__llmnr_llmnr-authority-additional__input.pcap", "missing", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-authority-additional__input.pcap", "extra", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-hostname-match__input.pcap", "missing", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-hostname-match__input.pcap", "extra", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-sticky-buffers__input.pcap", "missing", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-sticky-buffers__input.pcap", "extra", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-udp__input.pcap", "missing", MULTICAST_PAIRING),
    ("suricata-verify__llmnr_llmnr-udp__input.pcap", "extra", MULTICAST_PAIRING),
    ("suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap", "missing", MULTICAST_PAIRING),
    ("suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap", "extra", MULTICAST_PAIRING),
    (
        "tcpdump__LINKTYPE_IPV4_invalid.pcap",
        "missing",
        "an IPv6 packet in a LINKTYPE_IPV4 capture is an invalid header for that link type",
    ),
    ("tcpdump__LINKTYPE_PKTAP.pcap", "missing", LINK_TYPE),
    ("tcpdump__LINKTYPE_USER2_PKTAP.pcap", "missing", LINK_TYPE),
    ("tcpdump__arcnet-rfc1051-arp-icmp-http.pcap", "missing", LINK_TYPE),
    ("tcpdump__arcnet-rfc1201-arp-icmp-http.pcap", "missing", LINK_TYPE),
    ("tcpdump__dns-badcookie.pcap", "rcode", EXTENDED_RCODE),
    (
        "tcpdump__dns-badlabel.pcap",
        "missing",
        "fuzzed response with invalid label types and huge section counts, counted as \
         undecodable",
    ),
    ("tcpdump__dns-badvers.pcap", "rcode", EXTENDED_RCODE),
    (
        "tcpdump__dns_fwdptr.pcap",
        "missing",
        "fuzzed response with looping pointers and huge section counts, counted as undecodable",
    ),
    ("tcpdump__nflog.pcap", "missing", LINK_TYPE),
    (
        "tcpdump__rtp-seg-fault-1.pcapng",
        "missing",
        "a fuzzed packet that tshark's heuristic decodes as DNS",
    ),
    (
        "zeek__dns_dns-invalid-names.pcap",
        "question",
        "the question name is a pointer loop; dnstel reports it as a note and leaves the \
         question out, tshark prints a placeholder",
    ),
    (
        "zeek__dns_dns-invalid-names.pcap",
        "qtype",
        "the question name is a pointer loop, so the question is left out",
    ),
    ("zeek__dns_dns_extended_rcode.pcap", "rcode", EXTENDED_RCODE),
    (
        "zeek__dns_dynamic-update.pcap",
        "answers",
        "UPDATE prerequisites with empty RDATA render an empty data string; tshark lists no \
         CNAME value",
    ),
    ("zeek__radiotap.pcap", "missing", LINK_TYPE),
    ("zeek__smb_smb_v2_only_non_zero_reserved1.pcap", "missing", MULTICAST_PAIRING),
    ("zeek__smb_smb_v2_only_non_zero_reserved1.pcap", "extra", MULTICAST_PAIRING),
    ("zeek__wlanmon.pcap", "missing", LINK_TYPE),
];

/// One DNS message, as seen by tshark or rebuilt from an event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Message {
    /// The DNS id, direction and the client and server endpoints.
    key: String,
    question: Option<String>,
    qtype: Option<String>,
    /// Response code (responses only).
    rcode: Option<String>,
    /// Number of answer records (responses only).
    answer_count: Option<u64>,
    /// Answer-section data by record type, in wire order (responses only).
    answers: BTreeMap<String, Vec<String>>,
}

fn corpus_dir() -> PathBuf {
    support::shared_dir().join("corpus")
}

fn config_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/packetbeat-corpus.yml")
}

/// Record types compared in the answer section, with their tshark field name.
const ANSWER_COLUMNS: &[(&str, &str)] = &[
    ("A", "dns.a"),
    ("AAAA", "dns.aaaa"),
    ("CNAME", "dns.cname"),
    ("NS", "dns.ns"),
    ("PTR", "dns.ptr.domain_name"),
    ("MX", "dns.mx.mail_exchange"),
];

/// Record type names as miekg/dns (and so Packetbeat) prints them; other numbers print as
/// decimal strings.
fn type_name(number: &str) -> String {
    let name = match number {
        "0" => "None",
        "1" => "A",
        "2" => "NS",
        "3" => "MD",
        "4" => "MF",
        "5" => "CNAME",
        "6" => "SOA",
        "7" => "MB",
        "8" => "MG",
        "9" => "MR",
        "10" => "NULL",
        "12" => "PTR",
        "13" => "HINFO",
        "14" => "MINFO",
        "15" => "MX",
        "16" => "TXT",
        "17" => "RP",
        "18" => "AFSDB",
        "19" => "X25",
        "20" => "ISDN",
        "21" => "RT",
        "23" => "NSAP-PTR",
        "24" => "SIG",
        "25" => "KEY",
        "26" => "PX",
        "27" => "GPOS",
        "28" => "AAAA",
        "29" => "LOC",
        "30" => "NXT",
        "31" => "EID",
        "32" => "NIMLOC",
        "33" => "SRV",
        "34" => "ATMA",
        "35" => "NAPTR",
        "36" => "KX",
        "37" => "CERT",
        "39" => "DNAME",
        "41" => "OPT",
        "42" => "APL",
        "43" => "DS",
        "44" => "SSHFP",
        "46" => "RRSIG",
        "47" => "NSEC",
        "48" => "DNSKEY",
        "49" => "DHCID",
        "50" => "NSEC3",
        "51" => "NSEC3PARAM",
        "52" => "TLSA",
        "53" => "SMIMEA",
        "55" => "HIP",
        "56" => "NINFO",
        "57" => "RKEY",
        "58" => "TALINK",
        "59" => "CDS",
        "60" => "CDNSKEY",
        "61" => "OPENPGPKEY",
        "62" => "CSYNC",
        "63" => "ZONEMD",
        "64" => "SVCB",
        "65" => "HTTPS",
        "99" => "SPF",
        "100" => "UINFO",
        "101" => "UID",
        "102" => "GID",
        "103" => "UNSPEC",
        "104" => "NID",
        "105" => "L32",
        "106" => "L64",
        "107" => "LP",
        "108" => "EUI48",
        "109" => "EUI64",
        "249" => "TKEY",
        "250" => "TSIG",
        "251" => "IXFR",
        "252" => "AXFR",
        "253" => "MAILB",
        "254" => "MAILA",
        "255" => "ANY",
        "256" => "URI",
        "257" => "CAA",
        "258" => "AVC",
        "32768" => "TA",
        "32769" => "DLV",
        "65535" => "Reserved",
        other => other,
    };
    name.to_string()
}

fn rcode_name(number: &str) -> String {
    let name = match number {
        "0" => "NOERROR",
        "1" => "FORMERR",
        "2" => "SERVFAIL",
        "3" => "NXDOMAIN",
        "4" => "NOTIMP",
        "5" => "REFUSED",
        "6" => "YXDOMAIN",
        "7" => "YXRRSET",
        "8" => "NXRRSET",
        "9" => "NOTAUTH",
        "10" => "NOTZONE",
        other => return format!("Unknown {other}"),
    };
    name.to_string()
}

/// tshark prints the root name as `<Root>`; events print `.`.
fn normalize_name(name: &str) -> String {
    if name == "<Root>" {
        ".".to_string()
    } else {
        name.to_string()
    }
}

/// Undoes the presentation escaping of an event name (`\.`, `\ `, `\DDD`) and decodes the
/// bytes as UTF-8 with replacement characters, which is how tshark prints names. Control
/// characters stay escaped, as tshark prints them.
fn unescape_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut raw = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let digits = bytes
            .get(index + 1..index + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        match (byte, digits) {
            (b'\\', Some(digits)) => {
                let value: u16 = std::str::from_utf8(digits)
                    .expect("ASCII digits")
                    .parse()
                    .expect("three digits");
                match u8::try_from(value) {
                    // tshark keeps control characters escaped as `\DDD`.
                    Ok(byte) if byte >= 0x20 && byte != 0x7f => raw.push(byte),
                    _ => raw.extend_from_slice(&bytes[index..index + 4]),
                }
                index += 4;
            }
            (b'\\', None) if index + 1 < bytes.len() => {
                raw.push(bytes[index + 1]);
                index += 2;
            }
            _ => {
                raw.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}

fn message_key(response: bool, client: &str, server: &str, id: u64) -> String {
    let direction = if response { "response" } else { "query" };
    format!("{direction} id {id} client {client} server {server}")
}

fn split_list(value: &str) -> Vec<String> {
    if value.is_empty() {
        Vec::new()
    } else {
        value.split(',').map(str::to_string).collect()
    }
}

/// Reads tshark's dissection and returns the UDP messages on the DNS ports that have one IP
/// and one UDP header (DNS quoted in ICMP errors and tunnelled DNS have several).
fn tshark_messages(capture: &str) -> Vec<Message> {
    let path = corpus_dir().join("tshark").join(format!("{capture}.tsv"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("tshark header").split('\t').collect();
    let mut messages = Vec::new();
    for line in lines {
        let values: Vec<&str> = line.split('\t').collect();
        let column = |name: &str| -> &str {
            let index = header
                .iter()
                .position(|h| *h == name)
                .expect("tshark column");
            values.get(index).copied().unwrap_or("")
        };
        if let Some(message) = tshark_row_message(&column) {
            messages.push(message);
        }
    }
    messages
}

fn tshark_row_message<'a>(column: &dyn Fn(&str) -> &'a str) -> Option<Message> {
    let source = [column("ip.src"), column("ipv6.src")].concat();
    let destination = [column("ip.dst"), column("ipv6.dst")].concat();
    let (source_port, destination_port) = (column("udp.srcport"), column("udp.dstport"));
    let both_versions = !column("ip.src").is_empty() && !column("ipv6.src").is_empty();
    let single_header =
        !both_versions && !source.contains(',') && !source_port.contains(',') && !source.is_empty();
    let ids = split_list(column("dns.id"));
    if !single_header || source_port.is_empty() || ids.len() != 1 {
        return None;
    }
    let ports: Vec<u16> = [source_port, destination_port]
        .iter()
        .filter_map(|port| port.parse().ok())
        .collect();
    if !ports.iter().any(|port| DNS_PORTS.contains(port)) {
        return None;
    }
    let id = u64::from_str_radix(ids[0].trim_start_matches("0x"), 16).ok()?;
    let response = column("dns.flags.response") == "1";
    let source = format!("{source}:{source_port}");
    let destination = format!("{destination}:{destination_port}");
    let (client, server) = if response {
        (destination, source)
    } else {
        (source, destination)
    };
    let question = split_list(column("dns.qry.name"))
        .first()
        .map(|name| normalize_name(name));
    let qtype = split_list(column("dns.qry.type"))
        .first()
        .map(|number| type_name(number));
    let mut message = Message {
        key: message_key(response, &client, &server, id),
        question,
        qtype,
        rcode: None,
        answer_count: None,
        answers: BTreeMap::new(),
    };
    if response {
        message.rcode = Some(rcode_name(column("dns.flags.rcode")));
        message.answer_count = column("dns.count.answers").parse().ok();
        message.answers = tshark_answers(column);
    }
    Some(message)
}

/// Splits tshark's per-type data lists, which span all sections, down to the answer section.
fn tshark_answers<'a>(column: &dyn Fn(&str) -> &'a str) -> BTreeMap<String, Vec<String>> {
    let answer_count: usize = column("dns.count.answers").parse().unwrap_or(0);
    let types: Vec<String> = split_list(column("dns.resp.type"))
        .iter()
        .map(|number| type_name(number))
        .collect();
    let mut answers = BTreeMap::new();
    for (type_name, field) in ANSWER_COLUMNS {
        let in_answers = types
            .iter()
            .take(answer_count)
            .filter(|t| t == type_name)
            .count();
        let data: Vec<String> = split_list(column(field))
            .into_iter()
            .take(in_answers)
            .map(|name| normalize_name(&name))
            .collect();
        if !data.is_empty() {
            answers.insert(type_name.to_string(), data);
        }
    }
    answers
}

fn text(event: &Value, path: &str) -> Option<String> {
    lookup(event, path).map(|value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}

fn endpoint(event: &Value, side: &str) -> String {
    let ip = text(event, &format!("{side}.ip")).unwrap_or_default();
    let port = text(event, &format!("{side}.port")).unwrap_or_default();
    format!("{ip}:{port}")
}

/// Rebuilds the UDP query and response messages an event stands for.
fn event_messages(event: &Value) -> Vec<Message> {
    if text(event, "network.transport").as_deref() != Some("udp") {
        return Vec::new();
    }
    let id = lookup(event, "dns.id")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    let (client, server) = (endpoint(event, "source"), endpoint(event, "destination"));
    let mut messages = Vec::new();
    if lookup(event, "source.bytes").is_some() {
        let qtype = text(event, "query").and_then(|query| {
            let rest = query.split_once(", type ")?.1;
            Some(rest.split_once(", ")?.0.to_string())
        });
        messages.push(Message {
            key: message_key(false, &client, &server, id),
            question: text(event, "resource").map(|name| unescape_name(&name)),
            qtype,
            rcode: None,
            answer_count: None,
            answers: BTreeMap::new(),
        });
    }
    if lookup(event, "destination.bytes").is_some() {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let records = lookup(event, "dns.answers").and_then(Value::as_array);
        for record in records.into_iter().flatten() {
            let record_type = text(record, "type").unwrap_or_default();
            if ANSWER_COLUMNS.iter().any(|(name, _)| *name == record_type) {
                let data = unescape_name(&text(record, "data").unwrap_or_default());
                answers.entry(record_type).or_default().push(data);
            }
        }
        messages.push(Message {
            key: message_key(true, &client, &server, id),
            question: text(event, "dns.question.name").map(|name| unescape_name(&name)),
            qtype: text(event, "dns.question.type"),
            rcode: text(event, "dns.response_code"),
            answer_count: lookup(event, "dns.answers_count").and_then(Value::as_u64),
            answers,
        });
    }
    messages
}

/// Compares the two message lists and returns the differing fields with a description.
fn compare(expected: &[Message], actual: &[Message]) -> Vec<(String, String)> {
    let mut differences = Vec::new();
    let mut remaining: Vec<Option<&Message>> = actual.iter().map(Some).collect();
    for message in expected {
        // Several messages can share a key (mDNS uses id 0), so an identical message is
        // preferred over the first one with the same key.
        let identical = remaining.iter().position(|c| *c == Some(message));
        let same_key = || {
            remaining
                .iter()
                .position(|candidate| candidate.is_some_and(|c| c.key == message.key))
        };
        let Some(slot) = identical
            .or_else(same_key)
            .map(|index| &mut remaining[index])
        else {
            differences.push((
                "missing".to_string(),
                format!("no event for {}", message.key),
            ));
            continue;
        };
        let ours = slot.take().expect("slot was matched as present");
        let fields = [
            (
                "question",
                format!("{:?}", message.question),
                format!("{:?}", ours.question),
            ),
            (
                "qtype",
                format!("{:?}", message.qtype),
                format!("{:?}", ours.qtype),
            ),
            (
                "rcode",
                format!("{:?}", message.rcode),
                format!("{:?}", ours.rcode),
            ),
            (
                "answer_count",
                format!("{:?}", message.answer_count),
                format!("{:?}", ours.answer_count),
            ),
            (
                "answers",
                format!("{:?}", message.answers),
                format!("{:?}", ours.answers),
            ),
        ];
        for (field, tshark, dnstel) in fields {
            if tshark != dnstel {
                let detail = format!("{}: tshark {tshark}, dnstel {dnstel}", message.key);
                differences.push((field.to_string(), detail));
            }
        }
    }
    for extra in remaining.into_iter().flatten() {
        differences.push((
            "extra".to_string(),
            format!("no tshark message for {}", extra.key),
        ));
    }
    differences
}

/// Per-capture outcome: counts for the summary and the differences found.
struct Outcome {
    capture: String,
    events: usize,
    tshark_messages: usize,
    differences: Vec<(String, String)>,
}

fn check_capture(capture: &Path) -> Outcome {
    let name = capture
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let config = config_path();
    let events = read_events(&[capture], Some(&config));
    let expected = tshark_messages(&name);
    let mut actual: Vec<Message> = events.iter().flat_map(event_messages).collect();
    actual.sort();
    Outcome {
        differences: compare(&expected, &actual),
        capture: name,
        events: events.len(),
        tshark_messages: expected.len(),
    }
}

fn corpus_captures() -> Vec<PathBuf> {
    let directory = corpus_dir().join("pcaps");
    let mut captures: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("corpus pcaps folder")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path.to_string_lossy();
            name.ends_with(".pcap") || name.ends_with(".pcapng")
        })
        .collect();
    captures.sort();
    captures
}

#[test]
fn corpus_matches_tshark_dissection() {
    let captures = corpus_captures();
    assert!(
        captures.len() >= 300,
        "expected the whole corpus, found {}",
        captures.len()
    );
    let queue = Mutex::new(captures.iter());
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let next = queue.lock().expect("queue lock").next();
                let Some(capture) = next else { break };
                let outcome = check_capture(capture);
                outcomes.lock().expect("outcome lock").push(outcome);
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("outcome lock");
    outcomes.sort_by(|a, b| a.capture.cmp(&b.capture));

    let mut unexpected = Vec::new();
    let mut used = BTreeSet::new();
    for outcome in &outcomes {
        let fields: BTreeSet<&str> = outcome
            .differences
            .iter()
            .map(|(f, _)| f.as_str())
            .collect();
        println!(
            "{}: {} events, {} tshark UDP messages, differences: {:?}",
            outcome.capture, outcome.events, outcome.tshark_messages, fields
        );
        for (field, detail) in &outcome.differences {
            let accepted = ACCEPTED
                .iter()
                .position(|(capture, f, _)| *capture == outcome.capture && f == field);
            match accepted {
                Some(index) => {
                    used.insert(index);
                }
                None => unexpected.push(format!("{}: {field}: {detail}", outcome.capture)),
            }
        }
    }
    let unused: Vec<_> = ACCEPTED
        .iter()
        .enumerate()
        .filter(|(index, _)| !used.contains(index))
        .map(|(_, entry)| entry)
        .collect();
    assert!(
        unused.is_empty(),
        "accepted differences that no longer occur: {unused:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected differences:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
