//! Fuzzing entry point shared by the cargo-fuzz target and the corpus replay test.

use std::net::SocketAddr;

use dnstel_dns::{parse, ParseOptions};
use dnstel_pairing::{Side, Transaction, Transport};

use crate::builder::EventBuilder;
use crate::domain::DomainParts;
use crate::host::parse_os_release;
use crate::network::InternalNetworks;
use crate::options::{AgentIdentity, EventOptions};

/// Encodes `bytes` as a transaction with every optional section enabled: the first byte is
/// the query's length, the query follows, and the rest is the response. Checks that the line
/// is valid JSON, and runs the text parsers of this crate over the same bytes. Panics on any
/// failure.
#[doc(hidden)]
pub fn fuzz_encode(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = parse_os_release(&text);
    let _ = InternalNetworks::parse(&text.lines().collect::<Vec<_>>());
    let parts = DomainParts::from_name(&text);
    for field in [
        parts.registered_domain(),
        parts.top_level_domain(),
        parts.subdomain(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            field.len() <= text.len(),
            "derived field longer than the name"
        );
    }

    let (control, messages) = bytes.split_first().unwrap_or((&0, &[]));
    let (query, response) = messages.split_at(usize::from(*control).min(messages.len()));
    let options = ParseOptions::default();
    let side = |wire: &[u8], nanos: i64| {
        parse(wire, &options)
            .ok()
            .map(|message| Side::new(message, dnstel_packet::Timestamp(nanos), wire.len()))
    };
    let client: SocketAddr = "[2001:db8::1]:5353".parse().expect("literal address");
    let server: SocketAddr = "[2001:db8::53]:53".parse().expect("literal address");
    let transaction = Transaction {
        transport: Transport::Udp,
        client,
        server,
        request: side(query, 1_000),
        response: side(response, 500),
        notes: vec!["first".to_owned(), "second".to_owned()],
    };

    let agent = AgentIdentity {
        id: "id".to_owned(),
        ephemeral_id: "ephemeral".to_owned(),
        hostname: "host".to_owned(),
    };
    let mut event_options = EventOptions::new("0.0.0", agent);
    event_options.send_request = true;
    event_options.send_response = true;
    event_options.include_authorities = true;
    event_options.include_additionals = true;
    let builder = EventBuilder::new(&event_options).expect("fixed options are valid");
    let mut out = Vec::new();
    if builder.encode(&transaction, &mut out).is_ok() {
        let line = out.strip_suffix(b"\n").expect("event ends with a newline");
        assert!(!line.contains(&b'\n'), "event spans several lines");
        if let Err(error) = serde_json::from_slice::<serde_json::Value>(line) {
            panic!("invalid JSON ({error}): {}", String::from_utf8_lossy(line));
        }
    }
}
