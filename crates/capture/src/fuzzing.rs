//! Entry points shared by the fuzz targets and the corpus replay test.

use crate::bpf::{compile_filter, run, FilterSpec, LinkLayer, PacketMeta};
use crate::filter::parse;

/// Parses `data` as a `bpf_filter`, checks that printing and reparsing gives the same tree,
/// compiles it for every link layer, and runs each program on `data` itself as a packet.
/// Panics only on a bug.
pub fn filter_parse(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expression) = parse(source) else {
        return;
    };
    // The printed form adds parentheses, which can exceed the nesting limit; only a
    // successful reparse is compared.
    if let Ok(reparsed) = parse(&expression.to_string()) {
        assert_eq!(
            reparsed, expression,
            "printing and reparsing changed the filter"
        );
    }
    let meta = PacketMeta {
        protocol: 0x0800,
        vlan_tci: data.first().map(|byte| u16::from(*byte)),
        ..PacketMeta::default()
    };
    for link_layer in [
        LinkLayer::Ethernet,
        LinkLayer::LinuxSll,
        LinkLayer::Cooked,
        LinkLayer::RawIp,
    ] {
        let spec = FilterSpec {
            link_layer,
            expression: Some(&expression),
            snaplen: 65535,
            loopback_ifindex: Some(1),
        };
        if let Ok(program) = compile_filter(&spec) {
            let verdict = run(&program, data, &meta);
            assert!(
                verdict == 0 || verdict == 65535,
                "unexpected verdict {verdict}"
            );
        }
    }
}
