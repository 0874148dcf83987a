//! Every line of libbeat's Community ID golden files (UDP, TCP, IPv6) must hash the same.

mod common;

use std::net::IpAddr;

use dnstel_event::community_id::community_id;
use dnstel_pairing::Transport;

#[test]
fn golden_logs_match() {
    let dir = common::require_shared("packetbeat-pcaps/community_id");
    let mut checked = 0;
    for name in ["udp.pcap.log", "tcp.pcap.log", "ipv6.pcap.log"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
        for line in text.lines() {
            let parts: Vec<&str> = line.split(" | ").collect();
            let tuple: Vec<&str> = parts.get(2).map_or(Vec::new(), |t| t.split(' ').collect());
            if tuple.len() != 5 {
                continue;
            }
            let transport = match tuple[2] {
                "17" => Transport::Udp,
                "6" => Transport::Tcp,
                _ => continue,
            };
            let source: IpAddr = tuple[0].parse().expect("address in golden file");
            let destination: IpAddr = tuple[1].parse().expect("address in golden file");
            let ports: Vec<u16> = tuple[3..]
                .iter()
                .map(|port| port.parse().expect("port"))
                .collect();
            let got = community_id((source, ports[0]), (destination, ports[1]), transport);
            assert_eq!(got.as_deref(), Some(parts[1]), "{name}: {line}");
            checked += 1;
        }
    }
    eprintln!("checked {checked} flows");
    assert!(checked > 0, "no flow lines found in {}", dir.display());
}
