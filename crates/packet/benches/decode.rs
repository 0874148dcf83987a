//! Decode throughput in frames per second over a mix of typical DNS frames.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dnstel_packet::{decode_data, LinkType};

/// A DNS query for www.example.com, type A.
const QUERY: &[u8] = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\
    \x03www\x07example\x03com\x00\x00\x01\x00\x01";

fn udp(payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x9c, 0x40, 0, 53];
    bytes.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(payload);
    bytes
}

fn tcp(payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![
        0x9c, 0x40, 0, 53, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
    ];
    bytes.extend_from_slice(payload);
    bytes
}

fn ipv4(protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x45, 0];
    bytes.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[0, 1, 0x40, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 53]);
    bytes.extend_from_slice(payload);
    bytes
}

fn ipv6(next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x60, 0, 0, 0];
    bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[next_header, 64]);
    bytes.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    bytes.extend_from_slice(&[0; 11]);
    bytes.push(1);
    bytes.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    bytes.extend_from_slice(&[0; 11]);
    bytes.push(0x53);
    bytes.extend_from_slice(payload);
    bytes
}

fn ethernet(tags: &[u16], ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    for &vid in tags {
        bytes.extend_from_slice(&[0x81, 0x00]);
        bytes.extend_from_slice(&vid.to_be_bytes());
    }
    bytes.extend_from_slice(&ether_type.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn frames() -> Vec<(LinkType, Vec<u8>)> {
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ipv4(17, &udp(QUERY)));
    vec![
        (
            LinkType::ETHERNET,
            ethernet(&[], 0x0800, &ipv4(17, &udp(QUERY))),
        ),
        (
            LinkType::ETHERNET,
            ethernet(&[100], 0x0800, &ipv4(17, &udp(QUERY))),
        ),
        (
            LinkType::ETHERNET,
            ethernet(&[], 0x86dd, &ipv6(17, &udp(QUERY))),
        ),
        (
            LinkType::ETHERNET,
            ethernet(&[], 0x0800, &ipv4(6, &tcp(QUERY))),
        ),
        (LinkType::LINUX_SLL, sll),
        (LinkType::RAW, ipv6(17, &udp(QUERY))),
    ]
}

fn decode_throughput(criterion: &mut Criterion) {
    let frames = frames();
    let mut group = criterion.benchmark_group("decode");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("dns_frame_mix", |bencher| {
        bencher.iter(|| {
            for (link_type, data) in &frames {
                let _ = black_box(decode_data(*link_type, black_box(data)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode_throughput);
criterion_main!(benches);
