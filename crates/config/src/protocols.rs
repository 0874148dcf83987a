//! `packetbeat.protocols`: the DNS entry is read, other protocols are recorded as not applied.
//!
//! Both Packetbeat forms are accepted: a list of maps with `type`, and the older map keyed by
//! protocol name (`packetbeat.protocols.dns.ports: [53]`).

use std::time::Duration;

use crate::reader::{self, Context, Section};
use crate::tree::{join, Value, ValueKind};
use crate::{processors, ConfigError, DnsProtocolConfig};

/// Protocols of Packetbeat 7.17, DNS included.
const PROTOCOL_TYPES: [&str; 15] = [
    "amqp",
    "cassandra",
    "dhcpv4",
    "dns",
    "http",
    "icmp",
    "memcache",
    "mongodb",
    "mysql",
    "nfs",
    "pgsql",
    "redis",
    "sip",
    "thrift",
    "tls",
];

/// Reads the protocols section and returns the DNS entry, if any.
pub(crate) fn read(
    value: &Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<DnsProtocolConfig>, ConfigError> {
    let mut dns: Option<(DnsProtocolConfig, usize)> = None;
    let mut found = |config: DnsProtocolConfig, line: usize, cx: &Context| match &dns {
        Some((_, first)) => Err(ConfigError::Conflict {
            message: format!("a second dns protocol entry (the first is on line {first})"),
            file: cx.file.to_owned(),
            line,
        }),
        None => {
            dns = Some((config, line));
            Ok(())
        }
    };
    match &value.kind {
        _ if value.is_null() => {}
        ValueKind::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                let item_path = join(path, &index.to_string());
                if let Some(config) = read_list_entry(item, &item_path, cx)? {
                    found(config, item.line, cx)?;
                }
            }
        }
        ValueKind::Map(entries) => {
            for entry in entries {
                let entry_path = join(path, &entry.key);
                check_type(&entry.key, &entry_path, entry.line, cx)?;
                if entry.key == "dns" {
                    let section = Section::new(&entry.value, &entry_path, cx)?;
                    found(read_dns(section, cx)?, entry.line, cx)?;
                } else {
                    cx.not_applied.push(entry_path);
                }
            }
        }
        ValueKind::Scalar { .. } => return Err(cx.invalid(path, value, "a list of protocols")),
    }
    Ok(dns.map(|(config, _)| config))
}

fn read_list_entry(
    item: &Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<DnsProtocolConfig>, ConfigError> {
    let mut section = Section::new(item, path, cx)?;
    let type_path = section.key_path("type");
    let line = section.key_line("type").unwrap_or(item.line);
    let Some(kind) = section.string("type", cx)? else {
        return Err(ConfigError::MissingKey {
            key: type_path,
            file: cx.file.to_owned(),
            line: item.line,
        });
    };
    check_type(&kind, &type_path, line, cx)?;
    if kind != "dns" {
        cx.not_applied.push(format!("{path} (type: {kind})"));
        return Ok(None);
    }
    read_dns(section, cx).map(Some)
}

fn check_type(kind: &str, key: &str, line: usize, cx: &Context) -> Result<(), ConfigError> {
    if PROTOCOL_TYPES.contains(&kind) {
        return Ok(());
    }
    let hint = reader::closest(kind, PROTOCOL_TYPES.iter().copied())
        .map(|k| format!("did you mean {k}?"))
        .or_else(|| Some(format!("known protocols: {}", PROTOCOL_TYPES.join(", "))));
    Err(ConfigError::InvalidValue {
        key: key.to_owned(),
        file: cx.file.to_owned(),
        line,
        value: kind.to_owned(),
        expected: format!("a Packetbeat protocol ({})", hint.unwrap_or_default()),
    })
}

/// Reads `transaction_timeout`, which must be positive: a zero timeout would close every query
/// before its response.
fn read_timeout(section: &mut Section<'_>, cx: &Context) -> Result<Duration, ConfigError> {
    let Some(value) = section.take_raw("transaction_timeout") else {
        return Ok(Duration::from_secs(10));
    };
    let key = section.key_path("transaction_timeout");
    let timeout = crate::reader::read_duration(value, &key, cx)?;
    if timeout.is_zero() {
        return Err(cx.invalid(&key, value, "a duration above zero, such as 10s"));
    }
    Ok(timeout)
}

fn read_dns(mut section: Section<'_>, cx: &mut Context) -> Result<DnsProtocolConfig, ConfigError> {
    let mut config = DnsProtocolConfig {
        enabled: section.bool("enabled", cx)?.unwrap_or(true),
        ports: read_ports(&mut section, cx)?,
        include_authorities: section.bool("include_authorities", cx)?.unwrap_or(false),
        include_additionals: section.bool("include_additionals", cx)?.unwrap_or(false),
        send_request: section.bool("send_request", cx)?.unwrap_or(false),
        send_response: section.bool("send_response", cx)?.unwrap_or(false),
        transaction_timeout: read_timeout(&mut section, cx)?,
        general: crate::general::read(&mut section, false, cx)?,
        processors: Vec::new(),
    };
    if let Some(value) = section.take_raw("processors") {
        config.processors = processors::read_list(value, &section.key_path("processors"), cx)?;
    }
    section.finish(&["index", "keep_null"], cx)?;
    Ok(config)
}

fn read_ports(section: &mut Section<'_>, cx: &Context) -> Result<Vec<u16>, ConfigError> {
    let Some(value) = section.take("ports") else {
        return Ok(Vec::new());
    };
    let key = section.key_path("ports");
    let items = match &value.kind {
        ValueKind::Seq(items) => items.iter().collect(),
        ValueKind::Scalar { .. } => vec![value],
        ValueKind::Map(_) => return Err(cx.invalid(&key, value, "a list of ports")),
    };
    items
        .into_iter()
        .map(|item| {
            let port = reader::read_int(item, &key, 1, 65_535, cx)?;
            Ok(u16::try_from(port).expect("range checked to 1..=65535"))
        })
        .collect()
}
