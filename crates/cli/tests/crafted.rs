//! Golden tests of `dnstel read` over captures recorded and crafted for this project.
//!
//! The `live-*` captures hold real traffic between dig (or a small Python client) and unbound on
//! loopback, recorded with tcpdump. Their ids, ports and times change when they are regenerated,
//! so the tests find events by question and check everything else exactly. The `crafted-*` captures are
//! built with scapy with fixed addresses, ids and times. `scripts/make-fixtures.py` regenerates
//! both. Every destination is a loopback address, so `network.direction` is `ingress` on any
//! host.

#[path = "support/events.rs"]
mod events;
mod support;

use std::path::PathBuf;

use events::{assert_absent, assert_fields, lookup, read_events, read_raw};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Reads fixtures with DNS on port 53 and on 5399, where nothing answers.
fn read_fixtures(names: &[&str]) -> Vec<Value> {
    let paths: Vec<PathBuf> = names.iter().map(|name| fixture(name)).collect();
    let paths: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    read_events(&paths, Some(&fixture("packetbeat-crafted.yml")))
}

fn single_event(name: &str) -> Value {
    let mut events = read_fixtures(&[name]);
    assert_eq!(
        events.len(),
        1,
        "{name}: expected one event, got {events:?}"
    );
    events.remove(0)
}

/// Returns the events of the loopback recording whose `query` field is `query`.
fn live_events(query: &str) -> Vec<Value> {
    read_fixtures(&["live-lo.pcap"])
        .into_iter()
        .filter(|event| lookup(event, "query") == Some(&json!(query)))
        .collect()
}

/// Returns the one UDP event for `query` in the loopback recording.
fn live_event(query: &str) -> Value {
    let mut events: Vec<Value> = live_events(query)
        .into_iter()
        .filter(|event| lookup(event, "network.transport") == Some(&json!("udp")))
        .collect();
    assert_eq!(
        events.len(),
        1,
        "live-lo.pcap: expected one UDP event for {query}"
    );
    events.remove(0)
}

/// Fields shared by every query that unbound on 127.0.0.77 replied to.
fn assert_unbound_udp4(case: &str, event: &Value) {
    assert_fields(
        case,
        event,
        &[
            ("status", json!("OK")),
            ("type", json!("dns")),
            ("method", json!("QUERY")),
            ("network.type", json!("ipv4")),
            ("network.transport", json!("udp")),
            ("network.protocol", json!("dns")),
            ("network.direction", json!("ingress")),
            ("source.ip", json!("127.0.0.1")),
            ("destination.ip", json!("127.0.0.77")),
            ("destination.port", json!(53)),
            ("dns.type", json!("answer")),
            ("dns.op_code", json!("QUERY")),
            ("dns.response_code", json!("NOERROR")),
            // unbound serves its local data with the AA flag.
            ("dns.header_flags", json!(["AA", "RD", "RA"])),
            ("dns.flags.authoritative", json!(true)),
            // dig sends EDNS with a 1232-byte UDP size, and unbound echoes it.
            ("dns.opt.udp_size", json!(1232)),
            ("dns.opt.version", json!("0")),
            ("dns.opt.do", json!(false)),
            ("dns.opt.ext_rcode", json!("NOERROR")),
        ],
    );
    assert_absent(case, event, &["error"]);
    let network = lookup(event, "network.bytes").and_then(Value::as_u64);
    let source = lookup(event, "source.bytes").and_then(Value::as_u64);
    let destination = lookup(event, "destination.bytes").and_then(Value::as_u64);
    assert_eq!(
        network,
        Some(source.unwrap_or(0) + destination.unwrap_or(0)),
        "{case}: bytes"
    );
}

#[test]
fn live_a_record() {
    let case = "live A";
    let event = live_event("class IN, type A, www.example.test");
    assert_unbound_udp4(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("resource", json!("www.example.test")),
            ("dns.question.name", json!("www.example.test")),
            ("dns.question.type", json!("A")),
            ("dns.question.class", json!("IN")),
            ("dns.question.registered_domain", json!("example.test")),
            ("dns.question.subdomain", json!("www")),
            ("dns.question.top_level_domain", json!("test")),
            ("dns.answers_count", json!(1)),
            (
                "dns.answers",
                json!([{"name": "www.example.test", "type": "A", "class": "IN", "ttl": "300",
                        "data": "192.0.2.10"}]),
            ),
            ("dns.resolved_ip", json!(["192.0.2.10"])),
            (
                "related.ip",
                json!(["127.0.0.1", "127.0.0.77", "192.0.2.10"]),
            ),
            ("source.bytes", json!(57)),
            ("destination.bytes", json!(61)),
        ],
    );
}

#[test]
fn live_aaaa_record() {
    let case = "live AAAA";
    let event = live_events("class IN, type AAAA, www.example.test")
        .into_iter()
        .find(|event| {
            lookup(event, "network.transport") == Some(&json!("udp"))
                && lookup(event, "network.type") == Some(&json!("ipv4"))
        })
        .expect("AAAA query over UDP and IPv4");
    assert_unbound_udp4(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("dns.answers[0].type", json!("AAAA")),
            ("dns.answers[0].data", json!("2001:db8::10")),
            ("dns.resolved_ip", json!(["2001:db8::10"])),
            ("source.bytes", json!(57)),
            ("destination.bytes", json!(73)),
        ],
    );
}

#[test]
fn live_cname_record() {
    let case = "live CNAME";
    let event = live_event("class IN, type CNAME, alias.example.test");
    assert_unbound_udp4(case, &event);
    assert_fields(
        case,
        &event,
        &[
            (
                "dns.answers",
                json!([{"name": "alias.example.test", "type": "CNAME", "class": "IN",
                        "ttl": "300", "data": "www.example.test"}]),
            ),
            ("source.bytes", json!(59)),
            ("destination.bytes", json!(65)),
        ],
    );
    assert_absent(case, &event, &["dns.resolved_ip"]);
}

#[test]
fn live_mx_record() {
    let case = "live MX";
    let event = live_event("class IN, type MX, example.test");
    assert_unbound_udp4(case, &event);
    assert_fields(
        case,
        &event,
        &[
            (
                "dns.answers",
                json!([{"name": "example.test", "type": "MX", "class": "IN", "ttl": "300",
                        "preference": 10, "data": "mail.example.test"}]),
            ),
            ("dns.question.registered_domain", json!("example.test")),
            ("source.bytes", json!(53)),
            ("destination.bytes", json!(62)),
        ],
    );
    assert_absent(case, &event, &["dns.question.subdomain"]);
}

#[test]
fn live_srv_record() {
    let case = "live SRV";
    let event = live_event("class IN, type SRV, _sip._udp.example.test");
    assert_unbound_udp4(case, &event);
    assert_fields(
        case,
        &event,
        &[
            (
                "dns.answers",
                json!([{"name": "_sip._udp.example.test", "type": "SRV", "class": "IN",
                        "ttl": "300", "priority": 10, "weight": 20, "port": 5060,
                        "data": "sip.example.test"}]),
            ),
            ("dns.question.subdomain", json!("_sip._udp")),
            ("source.bytes", json!(63)),
            ("destination.bytes", json!(87)),
        ],
    );
}

#[test]
fn live_txt_record() {
    let case = "live TXT";
    let event = live_event("class IN, type TXT, example.test");
    assert_unbound_udp4(case, &event);
    // The zone's string contains the quote characters themselves, which are escaped.
    assert_fields(
        case,
        &event,
        &[
            (
                "dns.answers",
                json!([{"name": "example.test", "type": "TXT", "class": "IN", "ttl": "300",
                        "data": "\\\"v=spf1 -all\\\""}]),
            ),
            ("source.bytes", json!(53)),
            ("destination.bytes", json!(67)),
        ],
    );
}

#[test]
fn live_nxdomain_reply() {
    let case = "live NXDOMAIN";
    let event = live_event("class IN, type A, missing.example.test");
    assert_fields(
        case,
        &event,
        &[
            // NXDOMAIN makes the transaction an error although it was answered.
            ("status", json!("Error")),
            ("dns.response_code", json!("NXDOMAIN")),
            ("dns.answers_count", json!(0)),
            ("dns.authorities_count", json!(1)),
            ("source.bytes", json!(61)),
            ("destination.bytes", json!(108)),
        ],
    );
    assert_absent(case, &event, &["dns.answers", "dns.authorities", "error"]);
}

#[test]
fn live_ipv6_transport() {
    let case = "live IPv6";
    let event = live_events("class IN, type AAAA, www.example.test")
        .into_iter()
        .find(|event| lookup(event, "network.type") == Some(&json!("ipv6")))
        .expect("AAAA query over IPv6");
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("network.transport", json!("udp")),
            ("source.ip", json!("::1")),
            ("destination.ip", json!("::1")),
            ("network.type", json!("ipv6")),
            ("network.direction", json!("ingress")),
            ("destination.port", json!(53)),
            ("related.ip", json!(["::1", "2001:db8::10"])),
            ("dns.answers[0].data", json!("2001:db8::10")),
            ("source.bytes", json!(57)),
            ("destination.bytes", json!(73)),
        ],
    );
}

/// dig sent one query to port 5399, where nothing listens; the end of the capture flushes it.
#[test]
fn live_unanswered_query() {
    let case = "live unanswered";
    let event = live_event("class IN, type A, silent.example.test");
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("Error")),
            (
                "error.message",
                json!("No response to this query was received"),
            ),
            ("dns.type", json!("query")),
            ("dns.response_code", json!("NOERROR")),
            // dig sets AD in queries by default (RFC 6840).
            ("dns.header_flags", json!(["RD", "AD"])),
            ("destination.port", json!(5399)),
            ("source.bytes", json!(60)),
            ("network.bytes", json!(60)),
            // The request's own OPT record, with dig's 8-byte client cookie.
            ("dns.opt.udp_size", json!(1232)),
        ],
    );
    let cookie = lookup(&event, "dns.opt.cookie")
        .and_then(Value::as_str)
        .expect("cookie");
    assert_eq!(
        cookie.len(),
        16,
        "{case}: client cookie is 8 bytes of hex: {cookie}"
    );
    assert_absent(
        case,
        &event,
        &["destination.bytes", "event.end", "event.duration"],
    );
}

/// dig +subnet sends an EDNS client subnet option; unbound without the subnet module drops
/// it, and the event shows the response's OPT record.
#[test]
fn live_subnet_query() {
    let case = "live client subnet";
    let events = live_events("class IN, type A, mail.example.test");
    let event = events
        .iter()
        .find(|event| lookup(event, "source.bytes") == Some(&json!(69)))
        .expect("the query carrying the subnet option is 69 bytes");
    assert_unbound_udp4(case, event);
    assert_fields(
        case,
        event,
        &[
            ("destination.bytes", json!(62)),
            ("dns.answers[0].data", json!("192.0.2.25")),
        ],
    );
    assert_absent(case, event, &["dns.opt.subnet"]);
}

/// The Python client sent one query twice from one port with one id, reading the answer in
/// between, so each copy pairs with its own answer and neither is a duplicate.
#[test]
fn live_reused_id_pairs_twice() {
    let case = "live reused id";
    let events: Vec<Value> = live_events("class IN, type A, mail.example.test")
        .into_iter()
        .filter(|event| lookup(event, "dns.id") == Some(&json!(0x0d0d)))
        .collect();
    assert_eq!(events.len(), 2, "{case}: both copies are answered");
    for event in &events {
        assert_fields(
            case,
            event,
            &[
                ("status", json!("OK")),
                ("source.bytes", json!(35)),
                ("destination.bytes", json!(51)),
            ],
        );
        assert_absent(case, event, &["error", "dns.opt"]);
    }
    assert_eq!(
        lookup(&events[0], "source.port"),
        lookup(&events[1], "source.port"),
        "{case}: same client port"
    );
}

/// Two length-prefixed queries in one TCP segment. Packetbeat 7.17 decodes one message per
/// segment and loses the second; dnstel frames both and pairs each with its answer.
#[test]
fn live_tcp_pipelined_queries() {
    let case = "live TCP pipelined";
    let events: Vec<Value> = read_fixtures(&["live-lo.pcap"])
        .into_iter()
        .filter(|event| lookup(event, "network.transport") == Some(&json!("tcp")))
        .collect();
    assert_eq!(events.len(), 2, "{case}: one event per pipelined query");
    let expected = [
        (0x7101, "A", "192.0.2.10", 52),
        (0x7102, "AAAA", "2001:db8::10", 64),
    ];
    for (event, (id, record_type, data, response_bytes)) in events.iter().zip(expected) {
        assert_fields(
            case,
            event,
            &[
                ("status", json!("OK")),
                ("dns.id", json!(id)),
                ("dns.question.type", json!(record_type)),
                ("dns.answers[0].data", json!(data)),
                // TCP byte counts include the two-byte length prefix.
                ("source.bytes", json!(36)),
                ("destination.bytes", json!(response_bytes)),
                ("destination.port", json!(53)),
            ],
        );
        assert_absent(case, event, &["error"]);
    }
}

/// The same traffic recorded on `any` as Linux cooked v2, and converted to pcapng, gives the
/// same events as the Ethernet recording on lo.
#[test]
fn live_link_types_agree() {
    let reference = read_fixtures(&["live-lo.pcap"]);
    assert_eq!(
        reference.len(),
        14,
        "live-lo.pcap: one event per transaction"
    );
    for name in ["live-any-sll2.pcap", "live-lo.pcapng"] {
        let events = read_fixtures(&[name]);
        assert_eq!(events.len(), reference.len(), "{name}: event count");
        for (event, expected) in events.iter().zip(&reference) {
            for path in ["dns", "source", "destination", "query", "status", "error"] {
                assert_eq!(
                    lookup(event, path),
                    lookup(expected, path),
                    "{name}: {path}"
                );
            }
        }
    }
}

#[test]
fn crafted_orphan_response() {
    let case = "crafted-orphan.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2026-01-02T03:04:05.000Z")),
            ("status", json!("Error")),
            (
                "error.message",
                json!("Response: received without an associated Query"),
            ),
            ("dns.type", json!("answer")),
            ("dns.id", json!(0x0bad)),
            // The response's tuple is reversed, so the source is the client.
            ("source.ip", json!("127.0.0.10")),
            ("source.port", json!(40001)),
            ("destination.ip", json!("127.0.0.53")),
            ("destination.port", json!(53)),
            ("destination.bytes", json!(72)),
            ("network.bytes", json!(72)),
            ("network.direction", json!("ingress")),
            (
                "network.community_id",
                json!("1:8zCvdJCL3bCeHhKQ3prbukQFLH0="),
            ),
            ("event.end", json!("2026-01-02T03:04:05.000Z")),
            ("query", json!("class IN, type A, orphan.example.test")),
            ("dns.answers[0].data", json!("192.0.2.99")),
        ],
    );
    assert_absent(
        case,
        &event,
        &["source.bytes", "event.start", "event.duration"],
    );
}

#[test]
fn crafted_vlan_tagged_exchange() {
    let case = "crafted-vlan.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("dns.id", json!(0x42)),
            ("query", json!("class IN, type A, vlan.example.test")),
            ("dns.answers[0].data", json!("192.0.2.42")),
            ("source.bytes", json!(35)),
            ("destination.bytes", json!(68)),
            ("event.duration", json!(1000000)),
        ],
    );
}

/// An LLMNR query to the multicast group pairs with the unicast reply from the responder
/// (127.0.0.66). Packetbeat would report the reply as an orphan and the query as unanswered.
#[test]
fn crafted_llmnr_unicast_reply() {
    let case = "crafted-llmnr-unicast-reply.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("dns.id", json!(0x11aa)),
            ("query", json!("class IN, type A, printer")),
            ("source.ip", json!("127.0.0.10")),
            ("source.port", json!(40006)),
            ("source.bytes", json!(25)),
            // The responder, not the group the query went to: who answered an LLMNR query is
            // what poisoning detection needs.
            ("destination.ip", json!("127.0.0.66")),
            ("destination.bytes", json!(48)),
            ("dns.answers[0].data", json!("192.0.2.60")),
        ],
    );
    assert_absent(case, &event, &["error"]);
}

/// Packetbeat drops messages of 12 bytes or less, so its query would time out with
/// `No response...`; dnstel pairs the header-only REFUSED reply with its query.
#[test]
fn crafted_refused_header_only() {
    let case = "crafted-refused-header-only.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("Error")),
            ("dns.type", json!("answer")),
            ("dns.id", json!(0x5e5e)),
            ("dns.response_code", json!("REFUSED")),
            ("dns.header_flags", json!(["RD"])),
            ("dns.answers_count", json!(0)),
            ("query", json!("class IN, type A, refused.example.test")),
            ("resource", json!("refused.example.test")),
            ("source.bytes", json!(38)),
            ("destination.bytes", json!(12)),
        ],
    );
    // The dns block comes from the reply, which has no question.
    assert_absent(case, &event, &["dns.question", "error"]);
}

#[test]
fn crafted_duplicate_query() {
    let case = "crafted-duplicate.pcap";
    let events = read_fixtures(&[case]);
    assert_eq!(
        events.len(),
        2,
        "{case}: the first copy closes as a duplicate"
    );
    assert_fields(
        case,
        &events[0],
        &[
            ("@timestamp", json!("2026-01-02T03:04:05.000Z")),
            ("status", json!("Error")),
            (
                "error.message",
                json!(
                    "Another query with the same DNS ID from this client was received so this \
                       query was closed without receiving a response"
                ),
            ),
            ("dns.type", json!("query")),
            ("dns.id", json!(0xd0d0)),
            ("source.bytes", json!(34)),
        ],
    );
    assert_absent(case, &events[0], &["destination.bytes"]);
    assert_fields(
        case,
        &events[1],
        &[
            ("@timestamp", json!("2026-01-02T03:04:05.001Z")),
            ("status", json!("OK")),
            ("dns.type", json!("answer")),
            ("dns.answers[0].data", json!("192.0.2.77")),
            ("source.bytes", json!(34)),
            ("destination.bytes", json!(66)),
            ("event.duration", json!(1000000)),
        ],
    );
    assert_absent(case, &events[1], &["error"]);
}

/// Packetbeat drops a message with a pointer loop; dnstel keeps what parsed and notes the loop.
#[test]
fn crafted_pointer_loop() {
    let case = "crafted-pointer-loop.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            (
                "error.message",
                json!("Response: name pointer loop at offset 35"),
            ),
            ("dns.question.name", json!("loop.example.test")),
            ("dns.answers_count", json!(0)),
            ("destination.bytes", json!(51)),
        ],
    );
    assert_absent(case, &event, &["dns.answers"]);
}

#[test]
fn crafted_pointer_chain() {
    let case = "crafted-pointer-chain.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("dns.answers_count", json!(2)),
            ("dns.answers[0].name", json!("www.chain.example.test")),
            ("dns.answers[0].data", json!("192.0.2.2")),
            // A pointer to a name that itself ends in a pointer.
            ("dns.answers[1].name", json!("www.chain.example.test")),
            ("dns.answers[1].data", json!("192.0.2.3")),
            ("dns.resolved_ip", json!(["192.0.2.2", "192.0.2.3"])),
        ],
    );
    assert_absent(case, &event, &["error"]);
}

/// A label holding a dot, and a label holding a tab and byte 0xff, in presentation escaping.
#[test]
fn crafted_escaped_labels() {
    let case = "crafted-escaped-labels.pcap";
    let event = single_event(case);
    let name = "a\\.b.x\\009y\\255.example.test";
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("dns.question.name", json!(name)),
            ("resource", json!(name)),
            ("query", json!(format!("class IN, type A, {name}"))),
            ("dns.question.subdomain", json!("a\\.b.x\\009y\\255")),
            ("dns.question.registered_domain", json!("example.test")),
            ("dns.answers[0].name", json!(name)),
        ],
    );
}

/// Packetbeat drops the whole message when one record's RDATA is malformed. dnstel skips that
/// record with a note and keeps the good one, so answers_count counts only parsed records.
#[test]
fn crafted_broken_record() {
    let case = "crafted-broken-record.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            (
                "error.message",
                json!("Response: invalid A record data at offset 49: address is not 4 bytes"),
            ),
            ("dns.answers_count", json!(1)),
            ("dns.answers[0].data", json!("192.0.2.5")),
            ("dns.resolved_ip", json!(["192.0.2.5"])),
        ],
    );
}

#[test]
fn crafted_edns_subnet_cookie() {
    let case = "crafted-edns-subnet-cookie.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("dns.opt.subnet", json!("192.0.2.0/24/24")),
            ("dns.opt.cookie", json!("01020304050607081112131415161718")),
            ("dns.opt.udp_size", json!(1232)),
            ("dns.opt.version", json!("0")),
            ("dns.opt.do", json!(false)),
            ("dns.opt.ext_rcode", json!("NOERROR")),
            ("dns.additionals_count", json!(0)),
            ("source.bytes", json!(68)),
            ("destination.bytes", json!(92)),
        ],
    );
}

/// A 2 KB TXT response in three IPv4 fragments, the last sent first. Packetbeat 7.17 drops
/// fragments; dnstel reassembles them.
#[test]
fn crafted_ipv4_fragments() {
    assert_fragmented_txt("crafted-ipv4-fragments.pcap", "frag4.example.test");
}

/// Neither Packetbeat 7.17 nor 8.x reassembles IPv6; dnstel does.
#[test]
fn crafted_ipv6_fragments() {
    assert_fragmented_txt("crafted-ipv6-fragments.pcap", "frag6.example.test");
}

fn assert_fragmented_txt(case: &str, name: &str) {
    let event = single_event(case);
    let strings: Vec<String> = (b'a'..=b'j')
        .map(|letter| String::from(letter as char).repeat(200))
        .collect();
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("query", json!(format!("class IN, type TXT, {name}"))),
            ("destination.bytes", json!(2087)),
            ("dns.answers_count", json!(1)),
            ("dns.answers[0].data", json!(strings.join(" "))),
            ("dns.opt.udp_size", json!(1232)),
            ("event.duration", json!(3000000)),
        ],
    );
    assert_absent(case, &event, &["error"]);
}

/// The response arrives in two TCP segments, the second before the first. Packetbeat treats
/// the late segment as a retransmission and loses the response; dnstel reorders it.
#[test]
fn crafted_tcp_out_of_order() {
    let case = "crafted-tcp-out-of-order.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("OK")),
            ("network.transport", json!("tcp")),
            ("dns.id", json!(0x3003)),
            ("dns.answers[0].data", json!("192.0.2.30")),
            ("source.bytes", json!(36)),
            ("destination.bytes", json!(68)),
            ("@timestamp", json!("2026-01-02T03:04:05.003Z")),
        ],
    );
    assert_absent(case, &event, &["error"]);
}

/// The EDNS and size notes of UDP exchanges, with Packetbeat's exact texts. Notes do not change
/// the status, which depends only on the response code.
#[test]
fn crafted_edns_mismatch_notes() {
    let case = "crafted-edns-notes.pcap";
    let events = read_fixtures(&[case]);
    assert_eq!(events.len(), 3, "{case}: three exchanges");
    let expected = [
        (0x6001, "Responder does not support EDNS", 48, 72),
        (0x6002, "Unexpected EDNS answer", 41, 91),
        (
            0x6003,
            "Response: Non-EDNS packet has size greater than 512",
            36,
            1396,
        ),
    ];
    for (event, (id, note, request_bytes, response_bytes)) in events.iter().zip(expected) {
        assert_fields(
            case,
            event,
            &[
                ("dns.id", json!(id)),
                ("status", json!("OK")),
                ("error.message", json!(note)),
                ("source.bytes", json!(request_bytes)),
                ("destination.bytes", json!(response_bytes)),
            ],
        );
    }
    assert_absent(case, &events[0], &["dns.opt"]);
    assert_fields(case, &events[1], &[("dns.opt.do", json!(true))]);
    assert_fields(case, &events[2], &[("dns.answers_count", json!(40))]);
}

/// The server sends 20 bytes of a longer response and closes the connection.
#[test]
fn crafted_tcp_incomplete_response() {
    let case = "crafted-tcp-incomplete.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("Error")),
            (
                "error.message",
                json!("Response: Message's data is incomplete"),
            ),
            ("network.transport", json!("tcp")),
            ("dns.type", json!("query")),
            ("dns.id", json!(0x7007)),
            ("source.bytes", json!(36)),
        ],
    );
    assert_absent(case, &event, &["destination.bytes"]);
}

#[test]
fn crafted_tcp_zero_length() {
    let case = "crafted-tcp-zero-length.pcap";
    let event = single_event(case);
    assert_fields(
        case,
        &event,
        &[
            ("status", json!("Error")),
            (
                "error.message",
                json!("Response: Message's length was set to zero"),
            ),
            ("network.transport", json!("tcp")),
            ("dns.type", json!("query")),
            ("dns.id", json!(0x7008)),
            ("source.bytes", json!(37)),
        ],
    );
    assert_absent(case, &event, &["destination.bytes"]);
}

/// Reading the same captures twice writes byte-identical output.
#[test]
fn read_twice_identical_output() {
    let names = [
        "live-lo.pcap",
        "crafted-duplicate.pcap",
        "crafted-ipv4-fragments.pcap",
        "crafted-tcp-out-of-order.pcap",
        "crafted-orphan.pcap",
    ];
    let paths: Vec<PathBuf> = names.iter().map(|name| fixture(name)).collect();
    let paths: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    let config = fixture("packetbeat-crafted.yml");
    let first = read_raw(&paths, Some(&config));
    let second = read_raw(&paths, Some(&config));
    assert!(!first.is_empty(), "events were written");
    assert_eq!(first, second, "two reads of the same captures differ");
}

/// Files given in order are one stream, so a query in one file pairs with its response in the
/// next. Read alone, the files give an unanswered query and an orphan response.
#[test]
fn split_files_pair_across_files() {
    let events = read_fixtures(&["crafted-split-1.pcap", "crafted-split-2.pcap"]);
    assert_eq!(
        events.len(),
        1,
        "the two halves form one transaction: {events:?}"
    );
    assert_fields(
        "split pair",
        &events[0],
        &[
            ("status", json!("OK")),
            ("dns.id", json!(0x5151)),
            ("source.bytes", json!(36)),
            ("destination.bytes", json!(70)),
            ("event.duration", json!(1000000)),
            ("dns.answers[0].data", json!("192.0.2.51")),
        ],
    );
    assert_absent("split pair", &events[0], &["error"]);

    let first = single_event("crafted-split-1.pcap");
    assert_fields(
        "split first half",
        &first,
        &[(
            "error.message",
            json!("No response to this query was received"),
        )],
    );
    let second = single_event("crafted-split-2.pcap");
    assert_fields(
        "split second half",
        &second,
        &[(
            "error.message",
            json!("Response: received without an associated Query"),
        )],
    );
    let reversed = read_fixtures(&["crafted-split-2.pcap", "crafted-split-1.pcap"]);
    assert_eq!(
        reversed.len(),
        2,
        "a response before its query does not pair"
    );
}
