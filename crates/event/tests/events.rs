//! Field rules of the DNS event, each on a hand-built transaction.

mod common;

use common::{at_millis, encode_json, plain_options, transaction, wire_name, Wire, QR, RA, RD};
use dnstel_event::network::InternalNetworks;
use dnstel_event::processors::Processor;
use dnstel_event::{EventBuilder, Skipped};
use serde_json::json;

const A: u16 = 1;
const NS: u16 = 2;
const SOA: u16 = 6;
const MX: u16 = 15;
const TXT: u16 = 16;

fn a_query(id: u16, flags: u16, name: &str) -> Vec<u8> {
    Wire::new(id, flags).question(name, A).finish()
}

fn a_response(id: u16, name: &str, addresses: &[[u8; 4]]) -> Vec<u8> {
    let mut wire = Wire::new(id, QR | RD | RA).question(name, A);
    for address in addresses {
        wire = wire.answer(name, A, 300, address);
    }
    wire.finish()
}

fn pair(query: &[u8], response: &[u8]) -> dnstel_pairing::Transaction {
    transaction(
        "192.168.1.10:40000",
        "192.168.1.1:53",
        Some((query, at_millis(0))),
        Some((response, at_millis(12))),
    )
}

#[test]
fn header_flags_empty_array() {
    let query = a_query(1, 0, "example.com");
    let event = encode_json(
        &plain_options(),
        &transaction(
            "10.0.0.1:5000",
            "10.0.0.2:53",
            Some((&query, at_millis(0))),
            None,
        ),
    );
    assert_eq!(event["dns"]["header_flags"], json!([]));
    assert_eq!(event["dns"]["flags"]["recursion_desired"], json!(false));
}

#[test]
fn query_only_event_fields() {
    let query = a_query(7, RD, "example.com");
    let mut unanswered = transaction(
        "10.0.0.1:5000",
        "10.0.0.2:53",
        Some((&query, at_millis(5))),
        None,
    );
    unanswered
        .notes
        .push("No response to this query was received".into());
    let event = encode_json(&plain_options(), &unanswered);
    assert_eq!(event["status"], "Error");
    assert_eq!(event["dns"]["type"], "query");
    assert_eq!(event["source"]["bytes"], json!(query.len()));
    assert!(event["destination"].get("bytes").is_none());
    assert!(event["event"].get("end").is_none());
    assert!(event["event"].get("duration").is_none());
    assert_eq!(event["event"]["start"], "2022-01-08T10:27:37.005Z");
    assert_eq!(event["@timestamp"], "2022-01-08T10:27:37.005Z");
    assert_eq!(
        event["error"]["message"],
        "No response to this query was received"
    );
    assert_eq!(event["network"]["bytes"], json!(query.len()));
}

#[test]
fn error_message_array_for_several() {
    let query = a_query(7, RD, "example.com");
    let mut duplicate = transaction("10.0.0.1:5000", "10.0.0.2:53", Some((&query, 0)), None);
    duplicate.notes.push("first".into());
    duplicate.notes.push("second".into());
    let event = encode_json(&plain_options(), &duplicate);
    assert_eq!(event["error"]["message"], json!(["first", "second"]));
}

#[test]
fn orphan_response_fields() {
    let response = a_response(9, "example.com", &[[192, 0, 2, 1]]);
    let orphan = transaction(
        "10.0.0.1:5000",
        "10.0.0.2:53",
        None,
        Some((&response, at_millis(20))),
    );
    let event = encode_json(&plain_options(), &orphan);
    assert_eq!(event["status"], "Error");
    assert_eq!(event["dns"]["type"], "answer");
    assert_eq!(event["source"]["ip"], "10.0.0.1");
    assert!(event["source"].get("bytes").is_none());
    assert_eq!(event["destination"]["bytes"], json!(response.len()));
    assert_eq!(event["@timestamp"], "2022-01-08T10:27:37.020Z");
    assert_eq!(event["method"], "QUERY");
    assert_eq!(event["query"], "class IN, type A, example.com");
    assert!(event.get("error").is_none());
}

#[test]
fn paired_event_core_fields() {
    let query = a_query(0x4807, RD, "google.com");
    let response = a_response(
        0x4807,
        "google.com",
        &[[62, 214, 62, 249], [62, 214, 62, 216]],
    );
    let event = encode_json(&plain_options(), &pair(&query, &response));
    assert_eq!(event["status"], "OK");
    assert_eq!(event["dns"]["id"], json!(18439));
    assert_eq!(event["dns"]["answers"][0]["ttl"], "300");
    assert_eq!(event["dns"]["answers"][1]["data"], "62.214.62.216");
    assert_eq!(
        event["dns"]["resolved_ip"],
        json!(["62.214.62.249", "62.214.62.216"])
    );
    assert_eq!(
        event["related"]["ip"],
        json!([
            "192.168.1.10",
            "192.168.1.1",
            "62.214.62.249",
            "62.214.62.216"
        ])
    );
    assert_eq!(event["event"]["duration"], json!(12_000_000));
    assert_eq!(event["client"], event["source"]);
    assert_eq!(event["server"], event["destination"]);
    assert_eq!(event["network"]["direction"], "unknown");
    assert_eq!(event["ecs"]["version"], "1.12.0");
    assert_eq!(event["agent"]["version"], "0.1.0");
    assert_eq!(event["@metadata"]["version"], "0.1.0");
    assert_eq!(event["host"], json!({"name": "sensor"}));
}

#[test]
fn related_ip_deduplicates() {
    let query = a_query(3, RD, "self.example");
    let response = a_response(
        3,
        "self.example",
        &[[192, 168, 1, 1], [192, 0, 2, 9], [192, 0, 2, 9]],
    );
    let event = encode_json(&plain_options(), &pair(&query, &response));
    assert_eq!(
        event["related"]["ip"],
        json!(["192.168.1.10", "192.168.1.1", "192.0.2.9"])
    );
    assert_eq!(
        event["dns"]["resolved_ip"].as_array().map(Vec::len),
        Some(3)
    );
}

#[test]
fn rcode_makes_status_error() {
    let query = a_query(4, RD, "nothing.example.com");
    let response = Wire::new(4, QR | RD | RA | 3)
        .question("nothing.example.com", A)
        .finish();
    let event = encode_json(&plain_options(), &pair(&query, &response));
    assert_eq!(event["status"], "Error");
    assert_eq!(event["dns"]["response_code"], "NXDOMAIN");
    assert!(event["dns"].get("answers").is_none());
    assert!(event["dns"].get("resolved_ip").is_none());
}

#[test]
fn extended_rcode_merged() {
    let query = a_query(5, RD, "example.com");
    let mut response = Wire::new(5, QR | RD | RA)
        .question("example.com", A)
        .opt(1232, false, &[])
        .finish();
    // Upper 8 bits of the extended rcode live in the OPT TTL's first byte: 1 << 4 = 16.
    let ttl_at = response.len() - 6;
    response[ttl_at] = 1;
    let event = encode_json(&plain_options(), &pair(&query, &response));
    assert_eq!(event["dns"]["response_code"], "BADSIG");
    assert_eq!(event["dns"]["opt"]["ext_rcode"], "BADSIG");
    assert_eq!(event["status"], "Error");
}

fn not_found_response() -> Vec<u8> {
    let mut soa = wire_name("ns-1183.awsdns-19.org");
    soa.extend(wire_name("awsdns-hostmaster.amazon.com"));
    for value in [1u32, 7200, 900, 1_209_600, 86400] {
        soa.extend_from_slice(&value.to_be_bytes());
    }
    Wire::new(0x02a9, QR | RD | RA | 3)
        .question("nothing.elastic.co", A)
        .authority("elastic.co", SOA, 838, &soa)
        .additional("ns.elastic.co", A, 60, &[192, 0, 2, 53])
        .opt(512, false, &[])
        .finish()
}

#[test]
fn authorities_only_when_included() {
    let query = a_query(0x02a9, RD, "nothing.elastic.co");
    let response = not_found_response();
    let transaction = pair(&query, &response);

    let event = encode_json(&plain_options(), &transaction);
    assert_eq!(event["dns"]["authorities_count"], json!(1));
    assert!(event["dns"].get("authorities").is_none());
    assert_eq!(event["dns"]["additionals_count"], json!(1));
    assert!(event["dns"].get("additionals").is_none());

    let mut options = plain_options();
    options.include_authorities = true;
    options.include_additionals = true;
    let event = encode_json(&options, &transaction);
    let soa = &event["dns"]["authorities"][0];
    assert_eq!(soa["type"], "SOA");
    assert_eq!(soa["data"], "ns-1183.awsdns-19.org");
    assert_eq!(soa["rname"], "awsdns-hostmaster.amazon.com");
    assert_eq!(soa["serial"], json!(1));
    assert_eq!(soa["minimum"], json!(86400));
    assert_eq!(soa["ttl"], "838");
    assert_eq!(
        event["dns"]["additionals"],
        json!([{
            "class": "IN", "ttl": "60", "data": "192.0.2.53", "name": "ns.elastic.co", "type": "A"
        }])
    );
    // Additional addresses are not resolved addresses.
    assert!(event["dns"].get("resolved_ip").is_none());
}

#[test]
fn request_response_texts() {
    let query = Wire::new(6075, RD).question("elastic.co", TXT).finish();
    let mut first = vec![26u8];
    first.extend_from_slice(b"globalsign-domain-verifica");
    let mut second = vec![10u8];
    second.extend_from_slice(b"v=spf1 ?al");
    let response = Wire::new(6075, QR | RD | RA)
        .question("elastic.co", TXT)
        .answer("elastic.co", TXT, 100, &first)
        .answer("elastic.co", TXT, 100, &second)
        .finish();
    let transaction = pair(&query, &response);

    let event = encode_json(&plain_options(), &transaction);
    assert!(event.get("request").is_none());
    assert!(event.get("response").is_none());

    let mut options = plain_options();
    options.send_request = true;
    options.send_response = true;
    let event = encode_json(&options, &transaction);
    assert_eq!(
        event["request"],
        "ID 6075; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; QUESTION class IN, type TXT, elastic.co"
    );
    assert_eq!(
        event["response"],
        "ID 6075; QR response; OPCODE QUERY; FLAGS rd ra; RCODE NOERROR; QUESTION class IN, type TXT, elastic.co; ANSWER globalsign-domain-verifica; v=spf1 ?al"
    );
}

#[test]
fn response_text_skips_numeric_keys() {
    let query = Wire::new(2, RD)
        .question("elastic.co", MX)
        .opt(4096, false, &[])
        .finish();
    let mut mx = vec![0, 10];
    mx.extend(wire_name("mx.example.com"));
    let response = Wire::new(2, QR | RD | RA)
        .question("elastic.co", MX)
        .answer("elastic.co", MX, 60, &mx)
        .authority("elastic.co", NS, 60, &wire_name("ns1.example.com"))
        .opt(4096, false, &[])
        .finish();
    let mut options = plain_options();
    options.send_request = true;
    options.send_response = true;
    let event = encode_json(&options, &pair(&query, &response));
    assert_eq!(
        event["request"],
        "ID 2; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; QUESTION class IN, type MX, elastic.co; ADDITIONAL "
    );
    assert_eq!(
        event["response"],
        "ID 2; QR response; OPCODE QUERY; FLAGS rd ra; RCODE NOERROR; QUESTION class IN, type MX, elastic.co; ANSWER mx.example.com; AUTHORITY ns1.example.com; ADDITIONAL "
    );
    assert_eq!(event["dns"]["answers"][0]["preference"], json!(10));
}

#[test]
fn question_domain_parts_lowercased() {
    let query = a_query(8, RD, "Mail.Example.CO.UK");
    let response = a_response(8, "Mail.Example.CO.UK", &[]);
    let event = encode_json(&plain_options(), &pair(&query, &response));
    let question = &event["dns"]["question"];
    assert_eq!(question["name"], "Mail.Example.CO.UK");
    assert_eq!(question["registered_domain"], "example.co.uk");
    assert_eq!(question["etld_plus_one"], "example.co.uk");
    assert_eq!(question["top_level_domain"], "co.uk");
    assert_eq!(question["subdomain"], "mail");
    assert_eq!(event["resource"], "Mail.Example.CO.UK");
}

#[test]
fn question_count_only_when_several() {
    let single = a_query(9, RD, "a.example");
    let event = encode_json(
        &plain_options(),
        &transaction("10.0.0.1:5000", "10.0.0.2:53", Some((&single, 0)), None),
    );
    assert!(event["dns"].get("question_count").is_none());

    let double = Wire::new(9, RD)
        .question("a.example", A)
        .question("b.example", A)
        .finish();
    let event = encode_json(
        &plain_options(),
        &transaction("10.0.0.1:5000", "10.0.0.2:53", Some((&double, 0)), None),
    );
    assert_eq!(event["dns"]["question_count"], json!(2));
    assert_eq!(event["dns"]["question"]["name"], "a.example");
}

#[test]
fn opt_options_rendered() {
    let subnet: &[u8] = &[0, 1, 24, 0, 192, 0, 2];
    let query = Wire::new(10, RD)
        .question("example.com", A)
        .opt(
            4096,
            true,
            &[(8, subnet), (12, &[0, 0, 0]), (65001, &[1]), (65002, &[2])],
        )
        .finish();
    let event = encode_json(
        &plain_options(),
        &transaction("10.0.0.1:5000", "10.0.0.2:53", Some((&query, 0)), None),
    );
    let opt = &event["dns"]["opt"];
    assert_eq!(opt["version"], "0");
    assert_eq!(opt["do"], json!(true));
    assert_eq!(opt["udp_size"], json!(4096));
    assert_eq!(opt["subnet"], "192.0.2.0/24/0");
    assert_eq!(opt["padding"], json!(3));
    assert_eq!(opt["local"], json!(["65001:0x01", "65002:0x02"]));
    assert_eq!(event["dns"]["header_flags"], json!(["RD", "DO"]));
}

#[test]
fn direction_and_ignore_outgoing() {
    let query = a_query(11, RD, "example.com");
    let response = a_response(11, "example.com", &[]);
    let outgoing = transaction(
        "192.168.1.10:40000",
        "8.8.8.8:53",
        Some((&query, 0)),
        Some((&response, 1)),
    );
    let mut options = plain_options();
    options.local_ips = vec!["192.168.1.10".parse().expect("address")];
    options.internal_networks = InternalNetworks::parse(&["private"]).expect("range");
    let event = encode_json(&options, &outgoing);
    assert_eq!(event["network"]["direction"], "egress");

    options.ignore_outgoing = true;
    let builder = EventBuilder::new(&options).expect("options are valid");
    let mut out = Vec::new();
    assert_eq!(
        builder.encode(&outgoing, &mut out),
        Err(Skipped::IgnoredOutgoing)
    );
    assert!(out.is_empty());

    options.local_ips.clear();
    let event = encode_json(&options, &outgoing);
    assert_eq!(event["network"]["direction"], "outbound");
}

#[test]
fn ipv6_network_type_and_ids() {
    let query = a_query(12, RD, "example.com");
    let event = encode_json(
        &plain_options(),
        &transaction(
            "[2001:db8::1]:5000",
            "[2001:db8::53]:53",
            Some((&query, 0)),
            None,
        ),
    );
    assert_eq!(event["network"]["type"], "ipv6");
    assert_eq!(event["source"]["ip"], "2001:db8::1");
    assert!(event["network"]["community_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("1:") && id.len() == 30));
}

#[test]
fn opt_new_keys_rendered() {
    let mut ede = vec![0u8, 3];
    ede.extend_from_slice(b"stale");
    let response = Wire::new(13, QR | RD | RA)
        .question("example.com", A)
        .opt(
            1232,
            false,
            &[
                (15, &ede),
                (9, &[0, 0, 0x0e, 0x10]),
                (11, &[0, 50]),
                (15, &[0, 22]),
            ],
        )
        .finish();
    let event = encode_json(
        &plain_options(),
        &transaction("10.0.0.1:5000", "10.0.0.2:53", None, Some((&response, 0))),
    );
    let opt = &event["dns"]["opt"];
    assert_eq!(opt["expire"], json!(3600));
    assert_eq!(opt["tcp_keepalive"], json!(50));
    assert_eq!(opt["ede"][0]["code"], json!(3));
    assert_eq!(opt["ede"][0]["purpose"], "Stale Answer");
    assert_eq!(opt["ede"][0]["text"], "stale");
    assert_eq!(opt["ede"][1]["code"], json!(22));
    assert_eq!(opt["ede"].as_array().map(Vec::len), Some(2));
}

#[test]
fn opt_empty_keepalive_omitted() {
    let query = Wire::new(14, RD)
        .question("example.com", A)
        .opt(1232, false, &[(11, &[]), (9, &[])])
        .finish();
    let event = encode_json(
        &plain_options(),
        &transaction("10.0.0.1:5000", "10.0.0.2:53", Some((&query, 0)), None),
    );
    let opt = &event["dns"]["opt"];
    assert!(opt.get("tcp_keepalive").is_none(), "{opt}");
    assert!(opt.get("expire").is_none(), "{opt}");
}

#[test]
fn dropped_endpoint_field_keeps_copy() {
    let query = a_query(5, RD, "example.com");
    let response = a_response(5, "example.com", &[[192, 0, 2, 1]]);
    let pairs = [
        ("destination", "server"),
        ("server", "destination"),
        ("source", "client"),
        ("client", "source"),
    ];
    for (dropped, kept) in pairs {
        let mut options = plain_options();
        options.processors = vec![Processor::DropFields {
            fields: vec![format!("{dropped}.bytes")],
            ignore_missing: false,
            when: None,
        }];
        let event = encode_json(&options, &pair(&query, &response));
        assert_eq!(event[dropped].get("bytes"), None, "{dropped}.bytes dropped");
        assert!(event[kept]["bytes"].is_u64(), "{kept}.bytes kept");
        assert_eq!(event[dropped]["ip"], event[kept]["ip"], "{dropped}.ip");
        assert_eq!(
            event[dropped]["port"], event[kept]["port"],
            "{dropped}.port"
        );
    }
}

#[test]
fn question_parts_escaped_like_name() {
    // The label `a"b` prints as `a\"b`, whose quote and backslash JSON escapes.
    let query = Wire::new(3, RD).question("a\"b.Example.com", A).finish();
    let response = Wire::new(3, QR | RD | RA)
        .question("a\"b.Example.com", A)
        .finish();
    let event = encode_json(&plain_options(), &pair(&query, &response));
    let question = &event["dns"]["question"];
    assert_eq!(question["name"], "a\\\"b.Example.com");
    assert_eq!(question["subdomain"], "a\\\"b");
    assert_eq!(question["registered_domain"], "example.com");
    assert_eq!(question["top_level_domain"], "com");
}
