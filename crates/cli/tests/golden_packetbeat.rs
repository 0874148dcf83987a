//! Golden tests over Packetbeat 7.17's own DNS test captures.
//!
//! Each capture is read alone with `dnstel read`, and every value that Packetbeat's system tests
//! assert, or that its code derives for that capture, is checked field by field. Values that
//! depend on the host (`agent.*`, `host.*`, `@metadata.version`) are not checked. Where dnstel
//! deliberately differs from Packetbeat 7.17, the test asserts dnstel's value and says why.

#[path = "support/events.rs"]
mod events;
mod support;

use std::path::PathBuf;

use events::{assert_absent, assert_fields, lookup, read_events};
use serde_json::{json, Value};

/// Reads one Packetbeat capture, with the built-in defaults or the golden configuration that
/// enables authorities, additionals and the request/response strings.
fn read_capture(name: &str, all_options: bool) -> Vec<Value> {
    let capture = support::shared_dir().join("packetbeat-pcaps").join(name);
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/packetbeat-golden.yml");
    read_events(&[&capture], all_options.then_some(config.as_path()))
}

fn single_event(name: &str, all_options: bool) -> Value {
    let mut events = read_capture(name, all_options);
    assert_eq!(
        events.len(),
        1,
        "{name}: expected one event, got {events:?}"
    );
    events.remove(0)
}

/// Fields every DNS event carries with the same value.
fn assert_common(case: &str, event: &Value) {
    assert_fields(
        case,
        event,
        &[
            ("type", json!("dns")),
            ("network.protocol", json!("dns")),
            ("event.kind", json!("event")),
            ("event.category", json!(["network_traffic", "network"])),
            ("event.type", json!(["connection", "protocol"])),
            ("event.dataset", json!("dns")),
            ("ecs.version", json!("1.12.0")),
            ("@metadata.beat", json!("packetbeat")),
            ("@metadata.type", json!("_doc")),
        ],
    );
}

/// Asserts the client/server copies of source/destination.
fn assert_endpoints(case: &str, event: &Value) {
    for key in ["ip", "port", "bytes"] {
        assert_eq!(
            lookup(event, &format!("client.{key}")),
            lookup(event, &format!("source.{key}")),
            "{case}: client.{key} must copy source.{key}"
        );
        assert_eq!(
            lookup(event, &format!("server.{key}")),
            lookup(event, &format!("destination.{key}")),
            "{case}: server.{key} must copy destination.{key}"
        );
    }
}

/// Asserts the header flags of a recursive NOERROR-style reply with RD and RA set.
fn assert_rd_ra_flags(case: &str, event: &Value) {
    assert_fields(
        case,
        event,
        &[
            ("dns.flags.authoritative", json!(false)),
            ("dns.flags.truncated_response", json!(false)),
            ("dns.flags.recursion_desired", json!(true)),
            ("dns.flags.recursion_available", json!(true)),
            ("dns.flags.authentic_data", json!(false)),
            ("dns.flags.checking_disabled", json!(false)),
            ("dns.header_flags", json!(["RD", "RA"])),
        ],
    );
}

#[test]
fn google_com_a_sixteen_answers() {
    let case = "dns_google_com.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_rd_ra_flags(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T08:00:55.638Z")),
            ("status", json!("OK")),
            ("method", json!("QUERY")),
            ("query", json!("class IN, type A, google.com")),
            ("resource", json!("google.com")),
            ("network.type", json!("ipv4")),
            ("network.transport", json!("udp")),
            ("network.bytes", json!(312)),
            (
                "network.community_id",
                json!("1:Pix/jA+kRGP8oB9kgM7RKCq76kk="),
            ),
            // Both addresses are RFC 1918 and neither is local, so the default
            // `internal_networks: [private]` makes the flow internal.
            ("network.direction", json!("internal")),
            ("source.ip", json!("192.168.238.68")),
            ("source.port", json!(60893)),
            ("source.bytes", json!(28)),
            ("destination.ip", json!("192.168.238.1")),
            ("destination.port", json!(53)),
            ("destination.bytes", json!(284)),
            ("event.start", json!("2015-08-27T08:00:55.638Z")),
            ("event.end", json!("2015-08-27T08:00:55.700Z")),
            ("event.duration", json!(61782000)),
            ("dns.type", json!("answer")),
            ("dns.id", json!(18439)),
            ("dns.op_code", json!("QUERY")),
            ("dns.response_code", json!("NOERROR")),
            ("dns.question.name", json!("google.com")),
            ("dns.question.type", json!("A")),
            ("dns.question.class", json!("IN")),
            ("dns.question.etld_plus_one", json!("google.com")),
            ("dns.question.registered_domain", json!("google.com")),
            ("dns.question.top_level_domain", json!("com")),
            ("dns.answers_count", json!(16)),
            ("dns.authorities_count", json!(0)),
            ("dns.additionals_count", json!(0)),
            (
                "dns.answers[0]",
                json!({"name": "google.com", "type": "A", "class": "IN", "ttl": "126",
                       "data": "62.214.62.249"}),
            ),
            ("dns.answers[15].data", json!("62.214.62.218")),
            ("dns.resolved_ip[0]", json!("62.214.62.249")),
            ("dns.resolved_ip[1]", json!("62.214.62.216")),
            ("dns.resolved_ip[15]", json!("62.214.62.218")),
            ("related.ip[0]", json!("192.168.238.68")),
            ("related.ip[1]", json!("192.168.238.1")),
            ("related.ip[2]", json!("62.214.62.249")),
        ],
    );
    let answers = lookup(&event, "dns.answers")
        .and_then(Value::as_array)
        .expect("answers");
    assert_eq!(answers.len(), 16, "{case}: every A answer is listed");
    for answer in answers {
        assert_eq!(answer["type"], json!("A"), "{case}: answer {answer}");
        assert_eq!(answer["ttl"], json!("126"), "{case}: answer {answer}");
    }
    let resolved = lookup(&event, "dns.resolved_ip")
        .and_then(Value::as_array)
        .expect("resolved");
    assert_eq!(resolved.len(), 16, "{case}: one resolved_ip per A answer");
    let related = lookup(&event, "related.ip")
        .and_then(Value::as_array)
        .expect("related");
    assert_eq!(
        related.len(),
        18,
        "{case}: both endpoints and 16 distinct answers"
    );
    assert_absent(
        case,
        &event,
        &[
            "error",
            "dns.opt",
            "request",
            "response",
            "dns.question.subdomain",
        ],
    );
}

#[test]
fn not_found_nxdomain_with_soa() {
    let case = "dns_not_found.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_rd_ra_flags(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T08:28:12.304Z")),
            // NXDOMAIN makes the transaction an error although both messages were seen.
            ("status", json!("Error")),
            ("query", json!("class IN, type A, nothing.elastic.co")),
            ("resource", json!("nothing.elastic.co")),
            ("network.transport", json!("udp")),
            ("network.bytes", json!(157)),
            (
                "network.community_id",
                json!("1:qYA6Pi3oK/YLNdQXD2WrnEBi118="),
            ),
            // A private source talking to a public resolver is outbound.
            ("network.direction", json!("outbound")),
            ("source.ip", json!("192.168.238.68")),
            ("source.port", json!(65020)),
            ("source.bytes", json!(36)),
            ("destination.ip", json!("8.8.8.8")),
            ("destination.port", json!(53)),
            ("destination.bytes", json!(121)),
            ("event.start", json!("2015-08-27T08:28:12.304Z")),
            ("event.end", json!("2015-08-27T08:28:12.354Z")),
            ("event.duration", json!(49494000)),
            ("dns.id", json!(681)),
            ("dns.response_code", json!("NXDOMAIN")),
            ("dns.question.name", json!("nothing.elastic.co")),
            ("dns.question.registered_domain", json!("elastic.co")),
            ("dns.question.subdomain", json!("nothing")),
            ("dns.question.top_level_domain", json!("co")),
            ("dns.answers_count", json!(0)),
            ("dns.authorities_count", json!(1)),
            ("dns.additionals_count", json!(0)),
        ],
    );
    // Without include_authorities the SOA is counted but not listed.
    assert_absent(
        case,
        &event,
        &["dns.answers", "dns.authorities", "dns.resolved_ip", "error"],
    );
}

#[test]
fn not_found_lists_authorities() {
    let case = "dns_not_found.pcap with include_authorities";
    let event = single_event("dns_not_found.pcap", true);
    assert_fields(
        case,
        &event,
        &[
            ("dns.authorities_count", json!(1)),
            (
                "dns.authorities[0]",
                json!({"name": "elastic.co", "type": "SOA", "class": "IN", "ttl": "838",
                       "data": "ns-1183.awsdns-19.org", "rname": "awsdns-hostmaster.amazon.com",
                       "serial": 1, "refresh": 7200, "retry": 900, "expire": 1209600,
                       "minimum": 86400}),
            ),
            (
                "request",
                json!(
                    "ID 681; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; \
                       QUESTION class IN, type A, nothing.elastic.co"
                ),
            ),
            // Packetbeat's request/response strings print only string and int keys, so the
            // SOA numbers (unsigned in Go) are left out.
            (
                "response",
                json!(
                    "ID 681; QR response; OPCODE QUERY; FLAGS rd ra; RCODE NXDOMAIN; \
                       QUESTION class IN, type A, nothing.elastic.co; \
                       AUTHORITY rname awsdns-hostmaster.amazon.com, ns-1183.awsdns-19.org"
                ),
            ),
        ],
    );
    let authorities = lookup(&event, "dns.authorities").and_then(Value::as_array);
    assert_eq!(authorities.map(Vec::len), Some(1), "{case}: one SOA listed");
}

#[test]
fn mx_five_exchanges() {
    let case = "dns_mx.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_rd_ra_flags(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T08:18:50.064Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type MX, elastic.co")),
            ("network.bytes", json!(310)),
            (
                "network.community_id",
                json!("1:T3jwZF/3t/vvdgrVwdxagCf5Azo="),
            ),
            ("source.ip", json!("192.168.238.68")),
            ("source.port", json!(52602)),
            ("source.bytes", json!(28)),
            ("destination.ip", json!("192.168.238.1")),
            ("destination.bytes", json!(282)),
            ("event.end", json!("2015-08-27T08:18:50.068Z")),
            ("event.duration", json!(3888000)),
            ("dns.id", json!(0xd9fc)),
            ("dns.answers_count", json!(5)),
            ("dns.authorities_count", json!(4)),
            ("dns.additionals_count", json!(0)),
            (
                "dns.answers[0]",
                json!({"name": "elastic.co", "type": "MX", "class": "IN", "ttl": "276",
                       "preference": 1, "data": "aspmx.l.google.com"}),
            ),
            ("dns.answers[1].preference", json!(10)),
            ("dns.answers[1].data", json!("alt3.aspmx.l.google.com")),
            ("dns.answers[2].preference", json!(10)),
            ("dns.answers[3].preference", json!(5)),
            ("dns.answers[4].preference", json!(5)),
            ("dns.answers[4].data", json!("alt2.aspmx.l.google.com")),
        ],
    );
    // The third packet of the capture is unrelated TCP port 80 traffic.
    assert_absent(
        case,
        &event,
        &["dns.resolved_ip", "dns.authorities", "error"],
    );
}

#[test]
fn ns_four_name_servers() {
    let case = "dns_ns.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T08:21:05.651Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type NS, elastic.co")),
            ("network.bytes", json!(195)),
            (
                "network.community_id",
                json!("1:3P4ruI0bVlqxiTAs0WyBhnF74ek="),
            ),
            ("source.port", json!(53765)),
            ("source.bytes", json!(28)),
            ("destination.ip", json!("8.8.8.8")),
            ("destination.bytes", json!(167)),
            ("event.duration", json!(67993000)),
            ("dns.id", json!(0x664b)),
            ("dns.answers_count", json!(4)),
            ("dns.answers[0].data", json!("ns-1183.awsdns-19.org")),
            ("dns.answers[1].data", json!("ns-2007.awsdns-58.co.uk")),
            ("dns.answers[2].data", json!("ns-66.awsdns-08.com")),
            ("dns.answers[3].data", json!("ns-835.awsdns-40.net")),
            ("dns.answers[3].ttl", json!("21599")),
        ],
    );
}

#[test]
fn txt_two_strings() {
    let case = "dns_txt.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T08:24:32.944Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type TXT, elastic.co")),
            ("network.bytes", json!(289)),
            (
                "network.community_id",
                json!("1:taD6xtOV8jNyqloWSF0Uh0T5eq0="),
            ),
            ("source.port", json!(61601)),
            ("source.bytes", json!(28)),
            ("destination.ip", json!("8.8.8.8")),
            ("server.ip", json!("8.8.8.8")),
            ("destination.bytes", json!(261)),
            ("event.end", json!("2015-08-27T08:24:33.011Z")),
            ("event.duration", json!(67256000)),
            ("dns.id", json!(6075)),
            ("dns.answers_count", json!(2)),
            ("dns.answers[0].type", json!("TXT")),
            (
                "dns.answers[0].data",
                json!("globalsign-domain-verification=l2wl8KOddZFyKJFy_NG1ZUFdWDEIR3dT3Gk2O0_9wS"),
            ),
            ("dns.answers[1].type", json!("TXT")),
            (
                "dns.answers[1].data",
                json!(
                    "v=spf1 include:_spf.google.com include:support.zendesk.com \
                       include:mail.zendesk.com include:mktomail.com include:servers.mcsv.net ?all"
                ),
            ),
        ],
    );
    // send_request and send_response are off by default.
    assert_absent(case, &event, &["request", "response"]);
}

#[test]
fn txt_request_response_strings() {
    let case = "dns_txt.pcap with send_request and send_response";
    let event = single_event("dns_txt.pcap", true);
    assert_fields(
        case,
        &event,
        &[
            (
                "request",
                json!("ID 6075; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; \
                       QUESTION class IN, type TXT, elastic.co"),
            ),
            (
                "response",
                json!("ID 6075; QR response; OPCODE QUERY; FLAGS rd ra; RCODE NOERROR; \
                       QUESTION class IN, type TXT, elastic.co; \
                       ANSWER globalsign-domain-verification=l2wl8KOddZFyKJFy_NG1ZUFdWDEIR3dT3Gk2O0_9wS; \
                       v=spf1 include:_spf.google.com include:support.zendesk.com \
                       include:mail.zendesk.com include:mktomail.com include:servers.mcsv.net ?all"),
            ),
        ],
    );
}

#[test]
fn additional_a_record_listed() {
    let case = "dns_additional.pcap";
    let event = single_event(case, true);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-08-27T09:46:18.911Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type A, heise.de")),
            ("network.bytes", json!(210)),
            (
                "network.community_id",
                json!("1:JnNaggo99V6bH2WmJ8v+5aDDTaY="),
            ),
            ("source.port", json!(56315)),
            ("source.bytes", json!(26)),
            ("destination.bytes", json!(184)),
            ("event.end", json!("2015-08-27T09:46:18.916Z")),
            ("event.duration", json!(5325000)),
            ("dns.id", json!(0xce69)),
            ("dns.answers_count", json!(1)),
            (
                "dns.answers[0]",
                json!({"name": "heise.de", "type": "A", "class": "IN", "ttl": "1143",
                       "data": "193.99.144.80"}),
            ),
            ("dns.resolved_ip", json!(["193.99.144.80"])),
            ("dns.authorities_count", json!(5)),
            ("dns.authorities[0].ttl", json!("454")),
            ("dns.authorities[1].data", json!("ns.heise.de")),
            ("dns.additionals_count", json!(1)),
            (
                "dns.additionals",
                json!([{"name": "ns.heise.de", "type": "A", "class": "IN", "ttl": "1298",
                        "data": "193.99.145.37"}]),
            ),
        ],
    );
    let authorities = lookup(&event, "dns.authorities").and_then(Value::as_array);
    assert_eq!(
        authorities.map(Vec::len),
        Some(5),
        "{case}: five NS authorities"
    );
}

#[test]
fn edns_ds_with_do_bit() {
    let case = "dns_udp_edns_ds.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2013-01-23T02:48:51.102Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type DS, ietf.org")),
            ("network.bytes", json!(321)),
            (
                "network.community_id",
                json!("1:B1ESDYl2EK6/RQvtfyTS/L+QUTw="),
            ),
            ("source.ip", json!("172.16.1.199")),
            ("source.port", json!(51634)),
            ("source.bytes", json!(37)),
            ("destination.ip", json!("75.75.75.75")),
            ("destination.bytes", json!(284)),
            ("event.end", json!("2013-01-23T02:48:51.171Z")),
            ("event.duration", json!(69167000)),
            ("dns.id", json!(0x0b8d)),
            ("dns.flags.authentic_data", json!(true)),
            ("dns.header_flags", json!(["RD", "RA", "AD", "DO"])),
            ("dns.opt.do", json!(true)),
            ("dns.opt.version", json!("0")),
            ("dns.opt.udp_size", json!(4000)),
            ("dns.opt.ext_rcode", json!("NOERROR")),
            ("dns.answers_count", json!(3)),
            // The OPT record is not counted among the additionals.
            ("dns.additionals_count", json!(0)),
            (
                "dns.answers[0]",
                json!({"name": "ietf.org", "type": "DS", "class": "IN", "ttl": "291",
                       "key_tag": "45586", "algorithm": "RSASHA1", "digest_type": "SHA256",
                       "data": "67FCD7E0B9E0366309F3B6F7476DFF931D5226EDC5348CD80FD82A081DFCF6EE"}),
            ),
            ("dns.answers[1].digest_type", json!("SHA1")),
            (
                "dns.answers[1].data",
                json!("D0FDF996D1AF2CCDBDC942B02CB02D379629E20B"),
            ),
            ("dns.answers[2].type", json!("RRSIG")),
            ("dns.answers[2].type_covered", json!("DS")),
            ("dns.answers[2].algorithm", json!("RSASHA1-NSEC3-SHA1")),
            ("dns.answers[2].labels", json!("2")),
            ("dns.answers[2].original_ttl", json!("86400")),
            ("dns.answers[2].expiration", json!("20130207154924")),
            ("dns.answers[2].inception", json!("20130117144924")),
            ("dns.answers[2].key_tag", json!("41790")),
            ("dns.answers[2].signer_name", json!("org")),
        ],
    );
    let answers = lookup(&event, "dns.answers")
        .and_then(Value::as_array)
        .expect("answers");
    for answer in answers {
        assert_eq!(answer["name"], json!("ietf.org"), "{case}: answer {answer}");
    }
}

#[test]
fn tcp_axfr_one_message() {
    let case = "dns_tcp_axfr.pcap";
    let event = single_event(case, true);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2015-03-26T11:25:18.287Z")),
            ("status", json!("OK")),
            ("query", json!("class IN, type AXFR, etas.com")),
            ("network.transport", json!("tcp")),
            // TCP byte counts include the two-byte length prefix.
            ("network.bytes", json!(227)),
            (
                "network.community_id",
                json!("1:d2CjEdZBFJgieI3mD5ov3hvYp8I="),
            ),
            ("network.direction", json!("external")),
            ("source.ip", json!("1.1.1.2")),
            ("source.port", json!(1042)),
            ("source.bytes", json!(30)),
            ("destination.ip", json!("1.1.1.1")),
            ("destination.port", json!(53)),
            ("destination.bytes", json!(197)),
            ("event.start", json!("2015-03-26T11:25:18.287Z")),
            ("event.end", json!("2015-03-26T11:25:18.287Z")),
            ("event.duration", json!(778000)),
            ("dns.id", json!(0)),
            ("dns.header_flags", json!(["RA"])),
            ("dns.answers_count", json!(4)),
            ("dns.answers[0].type", json!("SOA")),
            ("dns.answers[0].data", json!("training2003p")),
            ("dns.answers[0].rname", json!("hostmaster")),
            ("dns.answers[0].serial", json!(3)),
            ("dns.answers[1].type", json!("NS")),
            (
                "dns.answers[2]",
                json!({"name": "welcome.etas.com", "type": "A", "class": "IN",
                                      "ttl": "3600", "data": "1.1.1.1"}),
            ),
            ("dns.answers[3].type", json!("SOA")),
            ("dns.resolved_ip", json!(["1.1.1.1"])),
            (
                "response",
                json!(
                    "ID 0; QR response; OPCODE QUERY; FLAGS ra; RCODE NOERROR; \
                       QUESTION class IN, type AXFR, etas.com; \
                       ANSWER rname hostmaster, training2003p; training2003p; 1.1.1.1; \
                       rname hostmaster, training2003p"
                ),
            ),
        ],
    );
    // The query carries two bytes after its last record, which is informational only, so
    // no note is added.
    assert_absent(case, &event, &["error"]);
}

/// Packetbeat 7.17 drops every IPv4 fragment and never sees this response; dnstel reassembles
/// the three fragments (as Packetbeat 8.x does) and reports an orphan response, because the
/// capture holds no query.
#[test]
fn fragmented_response_reassembled() {
    let case = "udp_edns0_resp.pcap";
    let event = single_event(case, false);
    assert_common(case, &event);
    assert_endpoints(case, &event);
    assert_fields(
        case,
        &event,
        &[
            ("@timestamp", json!("2022-08-15T23:48:59.009Z")),
            ("status", json!("Error")),
            (
                "error.message",
                json!("Response: received without an associated Query"),
            ),
            ("query", json!("class IN, type ANY, peacecorps.gov")),
            ("network.transport", json!("udp")),
            ("network.bytes", json!(3398)),
            // An orphan response reverses the tuple, so the source is the client.
            ("source.ip", json!("192.168.178.24")),
            ("source.port", json!(35873)),
            ("destination.ip", json!("8.8.8.8")),
            ("destination.port", json!(53)),
            ("destination.bytes", json!(3398)),
            ("event.end", json!("2022-08-15T23:48:59.009Z")),
            ("dns.type", json!("answer")),
            ("dns.id", json!(0xd315)),
            ("dns.answers_count", json!(33)),
            ("dns.additionals_count", json!(0)),
            ("dns.opt.udp_size", json!(512)),
            ("dns.answers[9].type", json!("NSEC3PARAM")),
            ("dns.answers[32].type", json!("SOA")),
            ("dns.answers[32].data", json!("ns0.peacecorps.gov")),
            (
                "dns.resolved_ip",
                json!([
                    "2600:1f16:ba1:bb01:d444:d4b5:5636:4326",
                    "2600:1f16:ba1:bb00:456d:828a:2b3c:f49b",
                    "2600:1f16:ba1:bb02:c8e5:f0:9843:2532",
                    "3.128.227.188",
                    "18.189.98.7",
                    "3.137.88.51"
                ]),
            ),
        ],
    );
    assert_absent(
        case,
        &event,
        &["source.bytes", "event.start", "event.duration"],
    );
}

/// libbeat's community ID test vector for a DNS flow.
#[test]
fn community_id_udp_vector() {
    let case = "community_id/udp.pcap";
    let events = read_capture(case, false);
    assert!(!events.is_empty(), "{case}: expected at least one event");
    for event in &events {
        assert_fields(
            case,
            event,
            &[(
                "network.community_id",
                json!("1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
            )],
        );
    }
}

/// Captures without DNS give no event and still read cleanly.
#[test]
fn non_dns_captures_no_events() {
    for case in [
        "http_over_vlan.pcap",
        "802.1q-q-in-q-icmp.pcap",
        "ipv6_thrift.pcap",
    ] {
        let events = read_capture(case, false);
        assert!(
            events.is_empty(),
            "{case}: expected no events, got {events:?}"
        );
    }
}
