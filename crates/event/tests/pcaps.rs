//! Packetbeat's DNS test captures, read through the pcap reader, packet decoder and pairing,
//! must give the field values Packetbeat's tests assert or its code implies.

mod common;

use dnstel_event::network::InternalNetworks;
use dnstel_event::{EventBuilder, EventOptions};
use dnstel_packet::{decode, DefragConfig, Defragmenter, IpHeader, Timestamp, Transport as Layer4};
use dnstel_pairing::{DnsDatagram, DnsSegment, Pairing, PairingConfig};
use serde_json::{json, Value};

fn feed(pairing: &mut Pairing, timestamp: Timestamp, ip: &IpHeader, layer: &Layer4) {
    match layer {
        Layer4::Udp(udp) => pairing.process_udp(&DnsDatagram::from_packet(timestamp, ip, udp)),
        Layer4::Tcp(tcp) => pairing.process_tcp(&DnsSegment::from_packet(timestamp, ip, tcp)),
        Layer4::Fragment(_) | Layer4::Other { .. } => {}
    }
}

/// Reads a capture and returns its events as JSON. Fails when the file is missing.
fn capture_events(name: &str, options: &EventOptions) -> Vec<Value> {
    let path = common::require_shared("packetbeat-pcaps").join(name);
    assert!(path.exists(), "capture {} not found", path.display());
    let mut reader = dnstel_pcap::open(&path).expect("capture opens");
    let mut pairing = Pairing::new(PairingConfig::default()).expect("default config");
    let mut defragmenter = Defragmenter::new(DefragConfig::default());
    let mut transactions = Vec::new();
    while let Ok(Some(frame)) = reader.next_frame() {
        let Ok(decoded) = decode(&frame) else {
            continue;
        };
        if let Some(datagram) = defragmenter.insert_decoded(frame.timestamp, &decoded) {
            if let Ok(layer) = datagram.transport() {
                feed(&mut pairing, frame.timestamp, &datagram.ip, &layer);
            }
        } else {
            feed(
                &mut pairing,
                frame.timestamp,
                &decoded.ip,
                &decoded.transport,
            );
        }
        transactions.extend(pairing.drain());
    }
    pairing.flush_all();
    transactions.extend(pairing.drain());

    let builder = EventBuilder::new(options).expect("options are valid");
    let mut out = Vec::new();
    for transaction in &transactions {
        builder
            .encode(transaction, &mut out)
            .expect("event written");
    }
    let events = out
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("valid JSON line"))
        .collect();
    events
}

fn options() -> EventOptions {
    let mut options = common::plain_options();
    options.internal_networks = InternalNetworks::parse(&["private"]).expect("named range");
    options
}

/// Checks the per-capture values: times, endpoints, bytes and Community ID.
fn check_single(name: &str, expected: Value) -> Value {
    let mut events = capture_events(name, &options());
    assert_eq!(events.len(), 1, "{name}: {events:#?}");
    let event = events.remove(0);
    let fields = [
        ("event.start", &event["event"]["start"]),
        ("event.end", &event["event"]["end"]),
        ("event.duration", &event["event"]["duration"]),
        ("source", &event["source"]),
        ("destination", &event["destination"]),
        ("network.bytes", &event["network"]["bytes"]),
        ("network.community_id", &event["network"]["community_id"]),
    ];
    for (path, got) in fields {
        assert_eq!(got, &expected[path], "{name}: {path}");
    }
    assert_eq!(event["status"], "OK", "{name}");
    event
}

#[test]
fn google_com_event() {
    let event = check_single(
        "dns_google_com.pcap",
        json!({
            "event.start": "2015-08-27T08:00:55.638Z", "event.end": "2015-08-27T08:00:55.700Z",
            "event.duration": 61_782_000,
            "source": {"ip": "192.168.238.68", "port": 60893, "bytes": 28},
            "destination": {"ip": "192.168.238.1", "port": 53, "bytes": 284},
            "network.bytes": 312, "network.community_id": "1:Pix/jA+kRGP8oB9kgM7RKCq76kk="
        }),
    );
    assert_eq!(event["@timestamp"], "2015-08-27T08:00:55.638Z");
    assert_eq!(event["query"], "class IN, type A, google.com");
    assert_eq!(event["dns"]["answers_count"], json!(16));
    assert_eq!(event["dns"]["answers"][0]["ttl"], "126");
    assert_eq!(event["dns"]["resolved_ip"][0], "62.214.62.249");
    assert_eq!(event["network"]["direction"], "internal");
    assert_eq!(event["dns"]["question"]["registered_domain"], "google.com");
    assert_eq!(event["dns"]["question"]["top_level_domain"], "com");
}

#[test]
fn not_found_event() {
    let event = check_single_error(
        "dns_not_found.pcap",
        json!({
            "event.start": "2015-08-27T08:28:12.304Z", "event.end": "2015-08-27T08:28:12.354Z",
            "event.duration": 49_494_000,
            "source": {"ip": "192.168.238.68", "port": 65020, "bytes": 36},
            "destination": {"ip": "8.8.8.8", "port": 53, "bytes": 121},
            "network.bytes": 157, "network.community_id": "1:qYA6Pi3oK/YLNdQXD2WrnEBi118="
        }),
    );
    assert_eq!(event["dns"]["response_code"], "NXDOMAIN");
    assert_eq!(event["dns"]["authorities_count"], json!(1));
    assert!(event["dns"].get("authorities").is_none());
    assert_eq!(event["network"]["direction"], "outbound");
}

/// Like [`check_single`] for a transaction whose status is `Error`.
fn check_single_error(name: &str, expected: Value) -> Value {
    let mut events = capture_events(name, &options());
    assert_eq!(events.len(), 1, "{name}");
    let event = events.remove(0);
    assert_eq!(event["status"], "Error", "{name}");
    for path in ["event.start", "event.end", "event.duration"] {
        let (object, key) = path.split_once('.').expect("dotted path");
        assert_eq!(event[object][key], expected[path], "{name}: {path}");
    }
    for path in ["source", "destination"] {
        assert_eq!(event[path], expected[path], "{name}: {path}");
    }
    assert_eq!(event["network"]["bytes"], expected["network.bytes"]);
    assert_eq!(
        event["network"]["community_id"],
        expected["network.community_id"]
    );
    event
}

#[test]
fn mx_ns_txt_additional_edns_events() {
    let cases = [
        (
            "dns_mx.pcap",
            "2015-08-27T08:18:50.064Z",
            "2015-08-27T08:18:50.068Z",
            3_888_000,
            52602,
            "192.168.238.1",
            28,
            282,
            "1:T3jwZF/3t/vvdgrVwdxagCf5Azo=",
        ),
        (
            "dns_ns.pcap",
            "2015-08-27T08:21:05.651Z",
            "2015-08-27T08:21:05.719Z",
            67_993_000,
            53765,
            "8.8.8.8",
            28,
            167,
            "1:3P4ruI0bVlqxiTAs0WyBhnF74ek=",
        ),
        (
            "dns_txt.pcap",
            "2015-08-27T08:24:32.944Z",
            "2015-08-27T08:24:33.011Z",
            67_256_000,
            61601,
            "8.8.8.8",
            28,
            261,
            "1:taD6xtOV8jNyqloWSF0Uh0T5eq0=",
        ),
        (
            "dns_additional.pcap",
            "2015-08-27T09:46:18.911Z",
            "2015-08-27T09:46:18.916Z",
            5_325_000,
            56315,
            "192.168.238.1",
            26,
            184,
            "1:JnNaggo99V6bH2WmJ8v+5aDDTaY=",
        ),
    ];
    for (name, start, end, duration, port, server, sent, received, id) in cases {
        check_single(
            name,
            json!({
                "event.start": start, "event.end": end, "event.duration": duration,
                "source": {"ip": "192.168.238.68", "port": port, "bytes": sent},
                "destination": {"ip": server, "port": 53, "bytes": received},
                "network.bytes": sent + received, "network.community_id": id
            }),
        );
    }
}

#[test]
fn edns_ds_event() {
    let event = check_single(
        "dns_udp_edns_ds.pcap",
        json!({
            "event.start": "2013-01-23T02:48:51.102Z", "event.end": "2013-01-23T02:48:51.171Z",
            "event.duration": 69_167_000,
            "source": {"ip": "172.16.1.199", "port": 51634, "bytes": 37},
            "destination": {"ip": "75.75.75.75", "port": 53, "bytes": 284},
            "network.bytes": 321, "network.community_id": "1:B1ESDYl2EK6/RQvtfyTS/L+QUTw="
        }),
    );
    let opt = &event["dns"]["opt"];
    assert_eq!(opt["do"], json!(true));
    assert_eq!(opt["version"], "0");
    assert_eq!(opt["udp_size"], json!(4000));
    assert_eq!(opt["ext_rcode"], "NOERROR");
    assert_eq!(
        event["dns"]["header_flags"],
        json!(["RD", "RA", "AD", "DO"])
    );
    assert_eq!(event["dns"]["question"]["registered_domain"], "ietf.org");
}

#[test]
fn tcp_axfr_event() {
    let event = check_single(
        "dns_tcp_axfr.pcap",
        json!({
            "event.start": "2015-03-26T11:25:18.287Z", "event.end": "2015-03-26T11:25:18.287Z",
            "event.duration": 778_000,
            "source": {"ip": "1.1.1.2", "port": 1042, "bytes": 30},
            "destination": {"ip": "1.1.1.1", "port": 53, "bytes": 197},
            "network.bytes": 227, "network.community_id": "1:d2CjEdZBFJgieI3mD5ov3hvYp8I="
        }),
    );
    assert_eq!(event["network"]["transport"], "tcp");
    assert_eq!(event["dns"]["answers_count"], json!(4));
    assert_eq!(event["dns"]["question"]["name"], "etas.com");
    assert_eq!(event["dns"]["question"]["registered_domain"], "etas.com");
}

#[test]
fn txt_request_response_texts() {
    let mut options = options();
    options.send_request = true;
    options.send_response = true;
    let events = capture_events("dns_txt.pcap", &options);
    let event = &events[0];
    assert_eq!(
        event["request"],
        "ID 6075; QR query; OPCODE QUERY; FLAGS rd; RCODE NOERROR; QUESTION class IN, type TXT, elastic.co"
    );
    assert_eq!(
        event["response"],
        "ID 6075; QR response; OPCODE QUERY; FLAGS rd ra; RCODE NOERROR; QUESTION class IN, type TXT, elastic.co; ANSWER globalsign-domain-verification=l2wl8KOddZFyKJFy_NG1ZUFdWDEIR3dT3Gk2O0_9wS; v=spf1 include:_spf.google.com include:support.zendesk.com include:mail.zendesk.com include:mktomail.com include:servers.mcsv.net ?all"
    );
}

#[test]
fn additional_included_event() {
    let mut options = options();
    options.include_authorities = true;
    options.include_additionals = true;
    let events = capture_events("dns_additional.pcap", &options);
    let dns = &events[0]["dns"];
    assert_eq!(dns["authorities"].as_array().map(Vec::len), Some(5));
    assert_eq!(dns["additionals"][0]["name"], "ns.heise.de");
    assert_eq!(dns["additionals"][0]["data"], "193.99.145.37");
    assert_eq!(dns["additionals"][0]["ttl"], "1298");
}
