//! Writes an [`Event`] as one compact JSON object in Packetbeat's key order and JSON types.
//!
//! Per-event keys are written straight from the borrowed messages; static keys are copied
//! from the pre-rendered [`Plan`]. A per-event key that configuration overlays or partly
//! drops takes a slow path: it is rendered alone, parsed into a [`Value`], edited, and
//! written again.

use std::cell::RefCell;
use std::io::Write as _;
use std::net::IpAddr;
use std::ops::Range;

use crate::dns_fields::write_dns;
use dnstel_dns::Question;

use crate::event::{Endpoint, Event, NetworkFields};
use crate::json;
use crate::plan::{Edit, Member, Plan, TopKey};
use crate::registry_names::{write_bare_class, write_bare_rtype, write_opcode};
use crate::time::{timestamp_text, write_timestamp_json, write_timestamp_text_json, TIMESTAMP_LEN};
use crate::value::Value;

/// The members of `event` that are the same in every event: `category` and `type` of
/// Packetbeat 7.x, `kind` and `dataset`.
const EVENT_STATIC_MEMBERS: &[u8] = br#""category":["network_traffic","network"],"type":["connection","protocol"],"kind":"event","dataset":"dns""#;
/// Above this many addresses, `related.ip` de-duplicates with a hash set instead of a scan.
const RELATED_SCAN_LIMIT: usize = 32;

/// Appends `event` to `out` as one JSON object followed by `\n`.
pub(crate) fn write_event(plan: &Plan, event: &Event<'_>, out: &mut Vec<u8>) {
    let texts = EventTexts {
        source: IpText::recent(Role::Source, event.source.ip),
        destination: IpText::recent(Role::Destination, event.destination.ip),
        timestamp: timestamp_text(event.timestamp),
    };
    let mut endpoints = EndpointCopies::default();
    out.push(b'{');
    let members_start = out.len();
    let separate = |out: &mut Vec<u8>| {
        if out.len() != members_start {
            out.push(b',');
        }
    };
    for step in &plan.steps {
        if !step.text.is_empty() {
            separate(out);
            out.extend_from_slice(&step.text);
        }
        match &step.member {
            Member::None => {}
            Member::Value(key) => write_value(out, *key, event, &texts, &mut endpoints),
            Member::Optional(key) => {
                if has_member(*key, event) {
                    separate(out);
                    out.extend_from_slice(key.quoted_name().as_bytes());
                    write_value(out, *key, event, &texts, &mut endpoints);
                }
            }
            Member::Edited(key, edits) => {
                if let Some(value) = edited_value(*key, event, &texts, edits) {
                    separate(out);
                    out.extend_from_slice(key.quoted_name().as_bytes());
                    value.write_json(out);
                }
            }
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Reports whether `event` has the per-event member `key`.
fn has_member(key: TopKey, event: &Event<'_>) -> bool {
    match key {
        TopKey::Error => !event.notes.is_empty(),
        TopKey::Resource | TopKey::Query => event.question.is_some(),
        TopKey::Request => event.request_text.is_some(),
        TopKey::Response => event.response_text.is_some(),
        _ => key.in_every_event(),
    }
}

/// Writes the value of the per-event member `key`, which the event has (see [`has_member`]).
/// `endpoints` contains the endpoint objects this event has written to `out` so far.
fn write_value(
    out: &mut Vec<u8>,
    key: TopKey,
    event: &Event<'_>,
    texts: &EventTexts,
    endpoints: &mut EndpointCopies,
) {
    match key {
        TopKey::Timestamp => write_timestamp_text_json(out, &texts.timestamp),
        TopKey::Status => json::write_str(out, event.status.as_str()),
        TopKey::Type => out.extend_from_slice(b"\"dns\""),
        TopKey::Destination | TopKey::Server => {
            copy_or_write(out, &mut endpoints.destination, |out| {
                write_endpoint(out, &texts.destination, &event.destination);
            });
        }
        TopKey::Source | TopKey::Client => {
            copy_or_write(out, &mut endpoints.source, |out| {
                write_endpoint(out, &texts.source, &event.source);
            });
        }
        TopKey::Event => write_event_times(out, event, &texts.timestamp),
        TopKey::Error => write_error(out, event.notes),
        TopKey::Dns => write_dns(out, &event.dns),
        TopKey::Method => write_opcode(out, event.method),
        TopKey::Resource => {
            if let Some(question) = event.question {
                json::write_str(out, &question.name);
            }
        }
        TopKey::Query => {
            if let Some(question) = event.question {
                write_question_text(out, question);
            }
        }
        TopKey::Related => write_related(out, event, texts),
        TopKey::Network => write_network(out, &event.network),
        TopKey::Request => {
            if let Some(text) = &event.request_text {
                json::write_str(out, text);
            }
        }
        TopKey::Response => {
            if let Some(text) = &event.response_text {
                json::write_str(out, text);
            }
        }
        TopKey::Metadata
        | TopKey::Ecs
        | TopKey::Host
        | TopKey::Tags
        | TopKey::Fields
        | TopKey::Agent => {}
    }
}

/// Slow path: renders the member's value alone, applies the edits, and returns the result.
fn edited_value(
    key: TopKey,
    event: &Event<'_>,
    texts: &EventTexts,
    edits: &[Edit],
) -> Option<Value> {
    let mut value = None;
    if has_member(key, event) {
        let mut scratch = Vec::new();
        write_value(
            &mut scratch,
            key,
            event,
            texts,
            &mut EndpointCopies::default(),
        );
        // The encoder wrote this value itself, so it always parses.
        value = serde_json::from_slice::<Value>(&scratch).ok();
    }
    for edit in edits {
        value = apply_edit(value, edit);
    }
    value
}

fn apply_edit(value: Option<Value>, edit: &Edit) -> Option<Value> {
    match edit {
        Edit::Merge(overlay) => match (value, overlay) {
            (Some(Value::Object(mut mine)), Value::Object(theirs)) => {
                mine.deep_update(theirs);
                Some(Value::Object(mine))
            }
            (_, overlay) => Some(overlay.clone()),
        },
        Edit::Remove(path) if path.is_empty() => None,
        Edit::Remove(path) => match value {
            Some(Value::Object(mut map)) => {
                map.remove_path(path);
                Some(Value::Object(map))
            }
            other => other,
        },
    }
}

/// The ranges in the output of this event's `destination` and `source` objects, which `server`
/// and `client` copy because they have the same values.
#[derive(Default)]
struct EndpointCopies {
    destination: Option<Range<usize>>,
    source: Option<Range<usize>>,
}

/// Copies the bytes at `written` in `out` when they are set. Otherwise writes them with
/// `write` and sets `written` to where they are.
fn copy_or_write(
    out: &mut Vec<u8>,
    written: &mut Option<Range<usize>>,
    write: impl FnOnce(&mut Vec<u8>),
) {
    match written {
        Some(range) => out.extend_from_within(range.clone()),
        None => {
            let start = out.len();
            write(out);
            *written = Some(start..out.len());
        }
    }
}

/// Writes an endpoint object. Fixed-shape objects like this one write their keys as byte
/// literals, which skips the key escaping of [`ObjectWriter`].
fn write_endpoint(out: &mut Vec<u8>, address: &IpText, endpoint: &Endpoint) {
    out.extend_from_slice(b"{\"ip\":\"");
    address.append_to(out);
    out.push(b'"');
    if endpoint.port != 0 {
        out.extend_from_slice(b",\"port\":");
        json::write_u64(out, u64::from(endpoint.port));
    }
    if endpoint.bytes != 0 {
        out.extend_from_slice(b",\"bytes\":");
        json::write_u64(out, endpoint.bytes);
    }
    out.push(b'}');
}

/// Writes the `event` object. `timestamp` is the text of `event.timestamp`.
fn write_event_times(out: &mut Vec<u8>, event: &Event<'_>, timestamp: &[u8; TIMESTAMP_LEN]) {
    let times = &event.times;
    out.push(b'{');
    if let Some(end) = times.end {
        out.extend_from_slice(b"\"end\":");
        write_timestamp_json(out, end);
        out.push(b',');
    }
    out.extend_from_slice(EVENT_STATIC_MEMBERS);
    if let Some(duration) = times.duration {
        out.extend_from_slice(b",\"duration\":");
        json::write_i64(out, duration);
    }
    if let Some(start) = times.start {
        out.extend_from_slice(b",\"start\":");
        if start == event.timestamp {
            write_timestamp_text_json(out, timestamp);
        } else {
            write_timestamp_json(out, start);
        }
    }
    out.push(b'}');
}

/// Writes the `error` object: one note as a string, several as an array.
fn write_error(out: &mut Vec<u8>, notes: &[String]) {
    out.extend_from_slice(b"{\"message\":");
    match notes {
        [single] => json::write_str(out, single),
        several => json::write_str_array(out, several),
    }
    out.push(b'}');
}

fn write_network(out: &mut Vec<u8>, network: &NetworkFields) {
    // The type, transport and direction texts are plain ASCII words that need no escaping.
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(network.kind.as_bytes());
    out.extend_from_slice(b"\",\"transport\":\"");
    out.extend_from_slice(network.transport.as_str().as_bytes());
    out.extend_from_slice(b"\",\"protocol\":\"dns\",\"direction\":\"");
    out.extend_from_slice(network.direction.as_str().as_bytes());
    out.push(b'"');
    if let Some(community_id) = &network.community_id {
        // `1:` and base64 symbols need no escaping.
        out.extend_from_slice(b",\"community_id\":\"");
        out.extend_from_slice(community_id.as_bytes());
        out.push(b'"');
    }
    if network.bytes != 0 {
        out.extend_from_slice(b",\"bytes\":");
        json::write_u64(out, network.bytes);
    }
    out.push(b'}');
}

/// Writes the `query` text, `class <class>, type <type>, <name>`, as a JSON string.
fn write_question_text(out: &mut Vec<u8>, question: &Question) {
    // Mnemonics and the decimal fallbacks are plain ASCII, so only the name needs escaping.
    out.extend_from_slice(b"\"class ");
    write_bare_class(out, question.qclass);
    out.extend_from_slice(b", type ");
    write_bare_rtype(out, question.qtype);
    out.extend_from_slice(b", ");
    json::write_str_content(out, &question.name);
    out.push(b'"');
}

/// Writes `related.ip`: source, destination, then each resolved address, first occurrence
/// of each kept.
fn write_related(out: &mut Vec<u8>, event: &Event<'_>, texts: &EventTexts) {
    // The address texts are compared and written as bytes, which skips the UTF-8 check of
    // `IpText::as_str`. They need no JSON escaping.
    let source = texts.source.as_bytes();
    let destination = texts.destination.as_bytes();

    out.extend_from_slice(b"{\"ip\":[\"");
    texts.source.append_to(out);
    out.push(b'"');
    if destination != source {
        out.extend_from_slice(b",\"");
        texts.destination.append_to(out);
        out.push(b'"');
    }
    let resolved = || event.dns.message.resolved_ips();
    let many = resolved().count() + 2 > RELATED_SCAN_LIMIT;
    let mut seen = std::collections::HashSet::new();
    if many {
        seen.insert(source);
        seen.insert(destination);
    }
    for (index, address) in resolved().enumerate() {
        let duplicate = if many {
            !seen.insert(address.as_bytes())
        } else {
            address.as_bytes() == source
                || address.as_bytes() == destination
                || resolved().take(index).any(|earlier| earlier == address)
        };
        if !duplicate {
            out.push(b',');
            json::write_str(out, address);
        }
    }
    out.extend_from_slice(b"]}");
}

/// The texts that one event writes more than once: each address appears in up to three
/// members, and the event time in two.
struct EventTexts {
    source: IpText,
    destination: IpText,
    /// `@timestamp`, which is also `event.start` when the transaction has a query.
    timestamp: [u8; TIMESTAMP_LEN],
}

/// Length of the text buffer of [`IpText`]. The longest IPv6 text has 45 characters.
const IP_TEXT_CAPACITY: usize = 48;

/// The decimal text of each byte value: up to three digits, then the digit count.
const OCTET_TEXTS: [[u8; 4]; 256] = {
    let mut texts = [[0u8; 4]; 256];
    let mut value = 0;
    while value < 256 {
        let octet = value as u8;
        let text = &mut texts[value];
        if octet >= 100 {
            *text = [
                b'0' + octet / 100,
                b'0' + octet / 10 % 10,
                b'0' + octet % 10,
                3,
            ];
        } else if octet >= 10 {
            *text = [b'0' + octet / 10, b'0' + octet % 10, 0, 2];
        } else {
            *text = [b'0' + octet, 0, 0, 1];
        }
        value += 1;
    }
    texts
};

/// An address's text as Go prints `net.IP`, in a stack buffer: IPv4-mapped IPv6 addresses
/// print as dotted IPv4.
#[derive(Clone, Copy)]
struct IpText {
    bytes: [u8; IP_TEXT_CAPACITY],
    len: usize,
}

/// The side of an event an address is on, which picks its entry in [`RECENT_TEXTS`].
#[derive(Clone, Copy)]
enum Role {
    Source,
    Destination,
}

thread_local! {
    /// The last source and the last destination address formatted on this thread, with their
    /// texts. The events of a sensor mostly share one server address, and a client often sends
    /// several queries in a row.
    static RECENT_TEXTS: RefCell<[Option<(IpAddr, IpText)>; 2]> = const { RefCell::new([None; 2]) };
}

impl IpText {
    /// Returns the text of `address`, reusing the last one formatted for `role` when the
    /// address is the same.
    fn recent(role: Role, address: IpAddr) -> Self {
        RECENT_TEXTS.with_borrow_mut(|recent| {
            let entry = &mut recent[role as usize];
            match entry {
                Some((last, text)) if *last == address => *text,
                _ => {
                    let text = IpText::new(address);
                    *entry = Some((address, text));
                    text
                }
            }
        })
    }

    fn new(address: IpAddr) -> Self {
        let mut text = IpText {
            bytes: [0; IP_TEXT_CAPACITY],
            len: 0,
        };
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match address {
            IpAddr::V4(v4) => text.push_ipv4(v4),
            IpAddr::V6(v6) => {
                let mut rest = &mut text.bytes[..];
                // The buffer fits every IPv6 text, so the write cannot fail.
                let _ = write!(rest, "{v6}");
                text.len = IP_TEXT_CAPACITY - rest.len();
            }
        }
        text
    }

    /// Writes dotted-decimal IPv4 without `core::fmt`, which cost 8% of `dnstel read` in
    /// profiles. Each octet's digits come from [`OCTET_TEXTS`].
    fn push_ipv4(&mut self, address: std::net::Ipv4Addr) {
        for (index, &octet) in address.octets().iter().enumerate() {
            if index > 0 {
                self.push(b'.');
            }
            // The whole 4-byte entry is copied because a fixed-size copy needs no `memcpy`
            // call. The next write overwrites its count byte, and the buffer has room for it.
            let entry = OCTET_TEXTS[usize::from(octet)];
            self.bytes[self.len..self.len + 4].copy_from_slice(&entry);
            self.len += usize::from(entry[3]);
        }
    }

    /// Appends the text to `out` with one fixed-size copy of the whole buffer, cut back to the
    /// text's length, instead of a `memcpy` call of variable length.
    fn append_to(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        out.truncate(start + self.len);
    }

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    #[cfg(test)]
    fn as_str(&self) -> &str {
        // Only ASCII digits, dots, colons and hex letters are written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// Writes a registry value without quotes: `mnemonic` when the value has one, else its
/// `Display`.
pub(crate) fn write_unquoted_named(
    out: &mut Vec<u8>,
    mnemonic: Option<&str>,
    value: &dyn std::fmt::Display,
) {
    match mnemonic {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            let _ = write!(out, "{value}");
        }
    }
}

/// Writes a registry value as a JSON string: `mnemonic` when the value has one (its
/// `Display` prints the same text), else its `Display`. Skips `core::fmt` for common values.
pub(crate) fn write_named(
    out: &mut Vec<u8>,
    mnemonic: Option<&str>,
    value: &dyn std::fmt::Display,
) {
    match mnemonic {
        Some(name) => {
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
        None => write_display(out, value),
    }
}

/// Writes a registry value's `Display` as a JSON string; those texts are plain ASCII
/// letters, digits, spaces and dashes, so no escaping is needed.
pub(crate) fn write_display(out: &mut Vec<u8>, value: &dyn std::fmt::Display) {
    out.push(b'"');
    let _ = write!(out, "{value}");
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_text_matches_display() {
        for first in [0u8, 1, 9, 10, 99, 100, 199, 255] {
            for last in [0u8, 7, 42, 127, 250] {
                let address = std::net::Ipv4Addr::new(first, last, 255 - first, last);
                let text = IpText::new(address.into());
                assert_eq!(text.as_str(), address.to_string(), "{address}");
            }
        }
    }

    #[test]
    fn ipv4_text_every_octet() {
        for octet in 0..=255u8 {
            let address = std::net::Ipv4Addr::new(octet, 0, 255, octet);
            let text = IpText::new(address.into());
            assert_eq!(text.as_str(), address.to_string(), "{address}");
        }
    }

    #[test]
    fn named_value_matches_display() {
        for number in [1u16, 5, 28, 255, 65280] {
            let rtype = dnstel_dns::Rtype(number);
            let mut fast = Vec::new();
            write_named(&mut fast, rtype.mnemonic(), &rtype);
            let mut slow = Vec::new();
            write_display(&mut slow, &rtype);
            assert_eq!(fast, slow, "{rtype}");
        }
    }

    #[test]
    fn recent_text_follows_address_changes() {
        let addresses: [IpAddr; 4] = [
            "192.0.2.1".parse().expect("valid address"),
            "192.0.2.1".parse().expect("valid address"),
            "2001:db8::1".parse().expect("valid address"),
            "::ffff:192.0.2.1".parse().expect("valid address"),
        ];
        for source in addresses {
            for destination in addresses.iter().rev() {
                let expected_source = IpText::new(source);
                let expected_destination = IpText::new(*destination);
                let source_text = IpText::recent(Role::Source, source);
                let destination_text = IpText::recent(Role::Destination, *destination);
                assert_eq!(source_text.as_str(), expected_source.as_str());
                assert_eq!(destination_text.as_str(), expected_destination.as_str());
            }
        }
    }

    #[test]
    fn mapped_ipv6_prints_as_ipv4() {
        let text = IpText::new("::ffff:192.0.2.7".parse().expect("valid address"));
        assert_eq!(text.as_str(), "192.0.2.7");
    }

    #[test]
    fn ipv6_text_matches_display() {
        for text in [
            "::",
            "::1",
            "2001:db8::7",
            "fe80::1:2:3:4",
            "1:2:3:4:5:6:7:8",
        ] {
            let address: std::net::Ipv6Addr = text.parse().expect("valid address");
            assert_eq!(IpText::new(address.into()).as_str(), address.to_string());
        }
        let longest: std::net::Ipv6Addr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"
            .parse()
            .expect("valid address");
        assert_eq!(IpText::new(longest.into()).as_str(), longest.to_string());
    }

    #[test]
    fn question_text_matches_request_text() {
        let question = Question {
            name: "a\"b.example".to_owned(),
            qtype: dnstel_dns::Rtype(65280),
            qclass: dnstel_dns::Class(1),
            unicast_response: false,
        };
        let mut fast = Vec::new();
        write_question_text(&mut fast, &question);
        let mut slow = Vec::new();
        json::write_str(&mut slow, &crate::request_text::question_text(&question));
        assert_eq!(fast, slow);
    }
}
