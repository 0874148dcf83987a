//! `packetbeat.interfaces`: capture device options and internal networks.

use crate::reader::{Context, Section};
use crate::{CaptureType, ConfigError, InterfaceConfig};

/// Interface options of Packetbeat 7.17 that dnstel does not implement.
const UNIMPLEMENTED: [&str; 6] = [
    "with_vlans",
    "auto_promisc_mode",
    "file",
    "fanout_group",
    "poll_default_route",
    "metrics_interval",
];

/// Named networks of Beats' `network` condition, also valid in `internal_networks`.
const NAMED_NETWORKS: [&str; 10] = [
    "private",
    "loopback",
    "global_unicast",
    "unicast",
    "link_local_unicast",
    "interface_local_multicast",
    "link_local_multicast",
    "multicast",
    "unspecified",
    "public",
];

/// Accepted forms of a network entry, for error messages.
pub(crate) const NETWORK_EXPECTED: &str =
    "a CIDR such as 10.0.0.0/8, an IP address, or a named network such as private or loopback";

impl Default for InterfaceConfig {
    fn default() -> Self {
        InterfaceConfig {
            device: "any".to_owned(),
            capture_type: CaptureType::Pcap,
            snaplen: 65535,
            buffer_size_mb: 24,
            bpf_filter: None,
            internal_networks: Vec::new(),
        }
    }
}

/// Returns true for a named network, an IP address or a CIDR.
pub(crate) fn is_valid_network(text: &str) -> bool {
    if NAMED_NETWORKS.contains(&text) {
        return true;
    }
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let Ok(ip) = address.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max_prefix = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None => true,
        Some(prefix) => prefix.parse::<u8>().is_ok_and(|p| p <= max_prefix),
    }
}

/// Reads the `packetbeat.interfaces` section.
pub(crate) fn read(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<InterfaceConfig, ConfigError> {
    let mut config = InterfaceConfig::default();
    if let Some(device) = section.string("device", cx)?.filter(|d| !d.is_empty()) {
        config.device = device;
    }
    if let Some(value) = section.take("type") {
        config.capture_type = match crate::reader::describe(value).as_str() {
            "" | "autodetect" | "pcap" => CaptureType::Pcap,
            "af_packet" => CaptureType::AfPacket,
            _ => return Err(cx.invalid(&section.key_path("type"), value, "pcap or af_packet")),
        };
    }
    if let Some(snaplen) = section.int("snaplen", 1, 262_144, cx)? {
        config.snaplen = u32::try_from(snaplen).expect("range checked to 1..=262144");
    }
    if let Some(size) = section.int("buffer_size_mb", 1, 65_535, cx)? {
        config.buffer_size_mb = u32::try_from(size).expect("range checked to 1..=65535");
    }
    config.bpf_filter = section
        .string("bpf_filter", cx)?
        .filter(|f| !f.trim().is_empty());
    if let Some(value) = section.take("internal_networks") {
        let key = section.key_path("internal_networks");
        let networks = crate::reader::read_strings(value, &key, cx)?;
        if let Some(bad) = networks.iter().find(|n| !is_valid_network(n)) {
            return Err(crate::ConfigError::InvalidValue {
                key,
                file: cx.file.to_owned(),
                line: value.line,
                value: bad.clone(),
                expected: NETWORK_EXPECTED.to_owned(),
            });
        }
        config.internal_networks = networks;
    }
    if let Some(line) = section.key_line("ignore_outgoing") {
        let hint = "ignore_outgoing is not an interface option: set packetbeat.ignore_outgoing";
        return Err(cx.unknown(
            section.key_path("ignore_outgoing"),
            line,
            Some(hint.to_owned()),
        ));
    }
    section.finish(&UNIMPLEMENTED, cx)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_and_cidrs() {
        assert!(is_valid_network("private"));
        assert!(is_valid_network("10.0.0.0/8"));
        assert!(is_valid_network("fd00::/8"));
        assert!(is_valid_network("192.0.2.1"));
    }

    #[test]
    fn network_rejects_bad_values() {
        assert!(!is_valid_network("privat"));
        assert!(!is_valid_network("10.0.0.0/33"));
        assert!(!is_valid_network("10.0.0/8"));
    }
}
