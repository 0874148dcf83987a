//! Writes an [`Event`] as one compact JSON object in Packetbeat's key order and JSON types.
//!
//! Per-event keys are written straight from the borrowed messages; static keys are copied
//! from the pre-rendered [`Plan`]. A per-event key that configuration overlays or partly
//! drops takes a slow path: it is rendered alone, parsed into a [`Value`], edited, and
//! written again.

use std::io::Write as _;
use std::net::IpAddr;

use crate::dns_fields::write_dns;
use crate::event::{Endpoint, Event};
use crate::json::{self, ObjectWriter};
use crate::plan::{Edit, Plan, Slot, TopKey};
use crate::request_text::question_text;
use crate::time::write_timestamp_json;
use crate::value::Value;

/// `event.category` of Packetbeat 7.x.
const EVENT_CATEGORY: [&str; 2] = ["network_traffic", "network"];
/// `event.type`.
const EVENT_TYPE: [&str; 2] = ["connection", "protocol"];
/// Above this many addresses, `related.ip` de-duplicates with a hash set instead of a scan.
const RELATED_SCAN_LIMIT: usize = 32;

/// Appends `event` to `out` as one JSON object followed by `\n`.
pub(crate) fn write_event(plan: &Plan, event: &Event<'_>, out: &mut Vec<u8>) {
    let mut object = ObjectWriter::new(out);
    for key in TopKey::ALL {
        match plan.slot(key) {
            Slot::Dynamic => write_member(&mut object, key, event),
            Slot::Static(member) => object.raw_member(member),
            Slot::Edited(edits) => write_edited(&mut object, key, event, edits),
            Slot::Absent => {}
        }
    }
    if !plan.trailing.is_empty() {
        object.raw_member(&plan.trailing);
    }
    object.end();
    out.push(b'\n');
}

/// Writes one per-event top-level member, if the event has it.
fn write_member(object: &mut ObjectWriter<'_>, key: TopKey, event: &Event<'_>) {
    let name = key.name();
    match key {
        TopKey::Timestamp => write_timestamp_json(object.key(name), event.timestamp),
        TopKey::Status => object.str(name, event.status.as_str()),
        TopKey::Type => object.str(name, "dns"),
        TopKey::Destination | TopKey::Server => write_endpoint(object, name, &event.destination),
        TopKey::Source | TopKey::Client => write_endpoint(object, name, &event.source),
        TopKey::Event => write_event_times(object, event),
        TopKey::Error => write_error(object, event.notes),
        TopKey::Dns => write_dns(object.object(name), &event.dns),
        TopKey::Method => write_named(object.key(name), event.method.mnemonic(), &event.method),
        TopKey::Resource => {
            if let Some(question) = event.question {
                object.str(name, &question.name);
            }
        }
        TopKey::Query => {
            if let Some(question) = event.question {
                object.str(name, &question_text(question));
            }
        }
        TopKey::Related => write_related(object, event),
        TopKey::Network => write_network(object, event),
        TopKey::Request => {
            if let Some(text) = &event.request_text {
                object.str(name, text);
            }
        }
        TopKey::Response => {
            if let Some(text) = &event.response_text {
                object.str(name, text);
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

/// Slow path: renders the member alone, applies the edits, and writes the result.
fn write_edited(object: &mut ObjectWriter<'_>, key: TopKey, event: &Event<'_>, edits: &[Edit]) {
    let mut scratch = Vec::new();
    let mut single = ObjectWriter::new(&mut scratch);
    write_member(&mut single, key, event);
    single.end();
    let mut value = match serde_json::from_slice::<Value>(&scratch) {
        Ok(Value::Object(mut map)) => map.remove(key.name()),
        // The encoder wrote this object itself, so it always parses.
        _ => None,
    };
    for edit in edits {
        value = apply_edit(value, edit);
    }
    if let Some(value) = value {
        value.write_json(object.key(key.name()));
    }
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

fn write_endpoint(object: &mut ObjectWriter<'_>, name: &str, endpoint: &Endpoint) {
    let mut inner = object.object(name);
    write_ip(inner.key("ip"), endpoint.ip);
    if endpoint.port != 0 {
        inner.u64("port", u64::from(endpoint.port));
    }
    if endpoint.bytes != 0 {
        inner.u64("bytes", endpoint.bytes);
    }
    inner.end();
}

fn write_event_times(object: &mut ObjectWriter<'_>, event: &Event<'_>) {
    let times = &event.times;
    let mut inner = object.object("event");
    if let Some(end) = times.end {
        write_timestamp_json(inner.key("end"), end);
    }
    inner.str_array("category", &EVENT_CATEGORY);
    inner.str_array("type", &EVENT_TYPE);
    inner.str("kind", "event");
    inner.str("dataset", "dns");
    if let Some(duration) = times.duration {
        inner.i64("duration", duration);
    }
    if let Some(start) = times.start {
        write_timestamp_json(inner.key("start"), start);
    }
    inner.end();
}

fn write_error(object: &mut ObjectWriter<'_>, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    let mut inner = object.object("error");
    match notes {
        [single] => inner.str("message", single),
        several => inner.str_array("message", several),
    }
    inner.end();
}

fn write_network(object: &mut ObjectWriter<'_>, event: &Event<'_>) {
    let network = &event.network;
    let mut inner = object.object("network");
    inner.str("type", network.kind);
    inner.str("transport", network.transport.as_str());
    inner.str("protocol", "dns");
    inner.str("direction", network.direction.as_str());
    if let Some(community_id) = &network.community_id {
        inner.str("community_id", community_id);
    }
    if network.bytes != 0 {
        inner.u64("bytes", network.bytes);
    }
    inner.end();
}

/// Writes `related.ip`: source, destination, then each resolved address, first occurrence
/// of each kept.
fn write_related(object: &mut ObjectWriter<'_>, event: &Event<'_>) {
    let mut source_text = Vec::with_capacity(48);
    write_ip_text(&mut source_text, event.source.ip);
    let mut destination_text = Vec::with_capacity(48);
    write_ip_text(&mut destination_text, event.destination.ip);
    let addresses = || {
        [source_text.as_slice(), destination_text.as_slice()]
            .into_iter()
            .chain(event.dns.message.resolved_ips().map(str::as_bytes))
    };

    let mut inner = object.object("related");
    let out = inner.key("ip");
    out.push(b'[');
    let mut written = 0usize;
    let mut seen = std::collections::HashSet::new();
    let many = addresses().count() > RELATED_SCAN_LIMIT;
    for (index, address) in addresses().enumerate() {
        let duplicate = if many {
            !seen.insert(address)
        } else {
            addresses().take(index).any(|earlier| earlier == address)
        };
        if duplicate {
            continue;
        }
        if written > 0 {
            out.push(b',');
        }
        json::write_str(out, std::str::from_utf8(address).unwrap_or_default());
        written += 1;
    }
    out.push(b']');
    inner.end();
}

/// Writes an address as a JSON string the way Go prints `net.IP`: IPv4-mapped IPv6
/// addresses print as dotted IPv4.
pub(crate) fn write_ip(out: &mut Vec<u8>, address: IpAddr) {
    out.push(b'"');
    write_ip_text(out, address);
    out.push(b'"');
}

fn write_ip_text(out: &mut Vec<u8>, address: IpAddr) {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    match address {
        IpAddr::V4(v4) => write_ipv4_text(out, v4),
        // Writing to a Vec cannot fail.
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// Writes dotted-decimal IPv4 without `core::fmt`, which cost 8% of `dnstel read` in profiles.
fn write_ipv4_text(out: &mut Vec<u8>, address: std::net::Ipv4Addr) {
    for (index, &octet) in address.octets().iter().enumerate() {
        if index > 0 {
            out.push(b'.');
        }
        if octet >= 100 {
            out.push(b'0' + octet / 100);
        }
        if octet >= 10 {
            out.push(b'0' + octet / 10 % 10);
        }
        out.push(b'0' + octet % 10);
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
                let mut out = Vec::new();
                write_ipv4_text(&mut out, address);
                assert_eq!(out, address.to_string().into_bytes(), "{address}");
            }
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
    fn mapped_ipv6_prints_as_ipv4() {
        let mut out = Vec::new();
        write_ip_text(&mut out, "::ffff:192.0.2.7".parse().expect("valid address"));
        assert_eq!(out, b"192.0.2.7");
    }
}
