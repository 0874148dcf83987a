//! Shared helpers: DNS messages built on the wire and parsed, transactions around them, and
//! options that reproduce the host of the real Packetbeat event used as golden output.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use dnstel_dns::{parse, Message, ParseOptions};
use dnstel_event::host::{HostInfo, OsInfo};
use dnstel_event::{AgentIdentity, EventOptions};
use dnstel_packet::Timestamp;
use dnstel_pairing::{Side, Transaction, Transport};

/// Returns the shared reference folder beside the checkout.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Returns `relative` inside the shared reference folder, failing the test when it is
/// missing: CI clones that folder beside the checkout, so its absence is a setup error.
pub fn require_shared(relative: &str) -> PathBuf {
    let path = shared_dir().join(relative);
    assert!(
        path.exists(),
        "{} not found: clone the shared reference folder beside the checkout",
        path.display()
    );
    path
}

/// 2022-01-08T10:27:37Z in seconds since the epoch.
pub const EXAMPLE_SECOND: i64 = 1_641_637_657;

/// Parses a wire message, failing the test on a header error.
pub fn message(bytes: &[u8]) -> Message {
    parse(bytes, &ParseOptions::default()).expect("test message has a header")
}

/// Returns the AAAA query of the golden event: id 42269, RD, EDNS with a 1232-byte payload size.
pub fn example_query_bytes() -> Vec<u8> {
    include_bytes!("../data/example-query.bin").to_vec()
}

/// Returns its response: RD RA, one CNAME with TTL 0, EDNS payload size 65494.
pub fn example_response_bytes() -> Vec<u8> {
    include_bytes!("../data/example-response.bin").to_vec()
}

/// Builds a transaction from optional query and response bytes with their times (ns).
pub fn transaction(
    client: &str,
    server: &str,
    request: Option<(&[u8], i64)>,
    response: Option<(&[u8], i64)>,
) -> Transaction {
    let side =
        |(bytes, nanos): (&[u8], i64)| Side::new(message(bytes), Timestamp(nanos), bytes.len());
    Transaction {
        transport: Transport::Udp,
        client: client.parse::<SocketAddr>().expect("test address"),
        server: server.parse::<SocketAddr>().expect("test address"),
        request: request.map(side),
        response: response.map(side),
        notes: Vec::new(),
    }
}

/// Builds the golden event's transaction: 127.0.0.1:35471 to the systemd-resolved stub.
pub fn example_transaction() -> Transaction {
    let start = EXAMPLE_SECOND * 1_000_000_000 + 987_100_000;
    let query = example_query_bytes();
    let response = example_response_bytes();
    transaction(
        "127.0.0.1:35471",
        "127.0.0.53:53",
        Some((&query, start)),
        Some((&response, start + 17_926_000)),
    )
}

/// Returns the host the golden event was captured on.
pub fn example_host() -> HostInfo {
    HostInfo {
        hostname: "ubunutu2004vm".into(),
        architecture: "x86_64".into(),
        os: OsInfo {
            platform: "ubuntu".into(),
            version: "20.04.3 LTS (Focal Fossa)".into(),
            family: "debian".into(),
            name: "Ubuntu".into(),
            codename: Some("focal".into()),
            build: None,
        },
        kernel: "5.4.0-91-generic".into(),
        id: Some("277d2fec48db4052a889faabd6ca7e97".into()),
        containerized: Some(false),
        ip: vec!["192.168.252.191".into(), "fe80::cc54:41ff:fe01:cfbb".into()],
        mac: vec!["ce:54:41:01:cf:bb".into()],
    }
}

/// Options equal to the golden event's Packetbeat: version 7.16.2, stock packetbeat.yml.
pub fn example_options() -> EventOptions {
    let agent = AgentIdentity {
        id: "b77bc49c-abb8-44f3-a4ff-95ca558ec080".into(),
        ephemeral_id: "f228dc79-78c9-4bb9-903d-544e9ad08587".into(),
        hostname: "ubunutu2004vm".into(),
    };
    let mut options = EventOptions::new("7.16.2", agent);
    options.internal_networks =
        dnstel_event::network::InternalNetworks::parse(&["private"]).expect("named range");
    options.local_ips = vec!["192.168.252.191".parse().expect("address")];
    options.processors = dnstel_event::processors::parse_processors(&seed_processors())
        .expect("seed processors parse");
    options.host = Some(example_host());
    options
}

/// Returns the `processors:` list of the stock packetbeat.yml.
pub fn seed_processors() -> serde_json::Value {
    serde_json::json!([
        {"if.contains.tags": "forwarded",
         "then": [{"drop_fields": {"fields": ["host"]}}],
         "else": [{"add_host_metadata": null}]},
        {"add_cloud_metadata": null},
        {"add_docker_metadata": null},
        {"detect_mime_type": {"field": "http.request.body.content", "target": "http.request.mime_type"}},
        {"detect_mime_type": {"field": "http.response.body.content", "target": "http.response.mime_type"}}
    ])
}

/// Header flag bits for [`Wire::new`].
pub const QR: u16 = 0x8000;
/// Recursion desired.
pub const RD: u16 = 0x0100;
/// Recursion available.
pub const RA: u16 = 0x0080;

/// A DNS message written section by section; call the section methods in wire order.
pub struct Wire {
    bytes: Vec<u8>,
    counts: [u16; 4],
}

impl Wire {
    /// Starts a message with an ID and the 16 flag bits (opcode and rcode included).
    pub fn new(id: u16, flags: u16) -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&flags.to_be_bytes());
        bytes.extend_from_slice(&[0; 8]);
        Wire {
            bytes,
            counts: [0; 4],
        }
    }

    fn name(&mut self, name: &str) {
        for label in name.split('.').filter(|label| !label.is_empty()) {
            self.bytes.push(label.len() as u8);
            self.bytes.extend_from_slice(label.as_bytes());
        }
        self.bytes.push(0);
    }

    /// Adds a question of class IN.
    pub fn question(mut self, name: &str, qtype: u16) -> Self {
        self.name(name);
        self.bytes.extend_from_slice(&qtype.to_be_bytes());
        self.bytes.extend_from_slice(&1u16.to_be_bytes());
        self.counts[0] += 1;
        self
    }

    fn record(
        mut self,
        section: usize,
        name: &str,
        rtype: u16,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Self {
        self.name(name);
        self.bytes.extend_from_slice(&rtype.to_be_bytes());
        self.bytes.extend_from_slice(&class.to_be_bytes());
        self.bytes.extend_from_slice(&ttl.to_be_bytes());
        self.bytes
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.bytes.extend_from_slice(rdata);
        self.counts[section] += 1;
        self
    }

    /// Adds an answer record of class IN.
    pub fn answer(self, name: &str, rtype: u16, ttl: u32, rdata: &[u8]) -> Self {
        self.record(1, name, rtype, 1, ttl, rdata)
    }

    /// Adds an authority record of class IN.
    pub fn authority(self, name: &str, rtype: u16, ttl: u32, rdata: &[u8]) -> Self {
        self.record(2, name, rtype, 1, ttl, rdata)
    }

    /// Adds an additional record of class IN.
    pub fn additional(self, name: &str, rtype: u16, ttl: u32, rdata: &[u8]) -> Self {
        self.record(3, name, rtype, 1, ttl, rdata)
    }

    /// Adds an OPT record with EDNS options `(code, body)`.
    pub fn opt(self, udp_size: u16, dnssec_ok: bool, options: &[(u16, &[u8])]) -> Self {
        let mut rdata = Vec::new();
        for (code, body) in options {
            rdata.extend_from_slice(&code.to_be_bytes());
            rdata.extend_from_slice(&(body.len() as u16).to_be_bytes());
            rdata.extend_from_slice(body);
        }
        let ttl = if dnssec_ok { 0x8000 } else { 0 };
        self.record(3, ".", 41, udp_size, ttl, &rdata)
    }

    /// Returns the message bytes with the section counts filled in.
    pub fn finish(mut self) -> Vec<u8> {
        for (index, count) in self.counts.iter().enumerate() {
            let at = 4 + index * 2;
            self.bytes[at..at + 2].copy_from_slice(&count.to_be_bytes());
        }
        self.bytes
    }
}

/// Wire form of a domain name (uncompressed), for record data.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for label in name.split('.').filter(|label| !label.is_empty()) {
        bytes.push(label.len() as u8);
        bytes.extend_from_slice(label.as_bytes());
    }
    bytes.push(0);
    bytes
}

/// Options with a fixed agent and no host metadata.
pub fn plain_options() -> EventOptions {
    let agent = AgentIdentity {
        id: "00000000-0000-4000-8000-000000000001".into(),
        ephemeral_id: "00000000-0000-4000-8000-000000000002".into(),
        hostname: "sensor".into(),
    };
    EventOptions::new("0.1.0", agent)
}

/// Encodes one transaction and parses the line back into JSON.
pub fn encode_json(options: &EventOptions, transaction: &Transaction) -> serde_json::Value {
    let builder = dnstel_event::EventBuilder::new(options).expect("options are valid");
    let mut out = Vec::new();
    builder
        .encode(transaction, &mut out)
        .expect("event written");
    assert_eq!(out.last(), Some(&b'\n'));
    serde_json::from_slice(&out).expect("event is valid JSON")
}

/// Nanoseconds of a time `millis` after 2022-01-08T10:27:37Z.
pub fn at_millis(millis: i64) -> i64 {
    EXAMPLE_SECOND * 1_000_000_000 + millis * 1_000_000
}
