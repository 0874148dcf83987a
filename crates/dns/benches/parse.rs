//! Criterion benches for the DNS parser.
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dnstel_dns::{parse, ParseOptions};

const QUERY: &[u8] = include_bytes!("../fuzz/corpus/parse_message/query_edns");
const RESPONSE: &[u8] = include_bytes!("../fuzz/corpus/parse_message/response_mixed");

fn bench_parse(c: &mut Criterion) {
    let options = ParseOptions::default();
    let mut group = c.benchmark_group("parse");
    for (label, bytes) in [("query", QUERY), ("response_8_records", RESPONSE)] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(label, |b| {
            b.iter(|| parse(std::hint::black_box(bytes), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
