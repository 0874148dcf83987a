//! Encoding throughput: one paired transaction (the seed event's AAAA/CNAME exchange) per
//! iteration into a reused buffer, with and without add_host_metadata and request texts.
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dnstel_dns::{parse, ParseOptions};
use dnstel_event::host::HostInfo;
use dnstel_event::{AgentIdentity, EventBuilder, EventOptions};
use dnstel_packet::Timestamp;
use dnstel_pairing::{Side, Transaction, Transport};

fn side(bytes: &[u8], nanos: i64) -> Side {
    let message = parse(bytes, &ParseOptions::default()).expect("bench message parses");
    Side::new(message, Timestamp(nanos), bytes.len())
}

fn transaction() -> Transaction {
    let start = 1_641_637_657_987_100_000;
    Transaction {
        transport: Transport::Udp,
        client: "127.0.0.1:35471".parse().expect("address"),
        server: "127.0.0.53:53".parse().expect("address"),
        request: Some(side(
            include_bytes!("../tests/data/example-query.bin"),
            start,
        )),
        response: Some(side(
            include_bytes!("../tests/data/example-response.bin"),
            start + 17_926_000,
        )),
        notes: Vec::new(),
    }
}

fn options() -> EventOptions {
    let agent = AgentIdentity {
        id: "b77bc49c-abb8-44f3-a4ff-95ca558ec080".into(),
        ephemeral_id: "f228dc79-78c9-4bb9-903d-544e9ad08587".into(),
        hostname: "bench".into(),
    };
    EventOptions::new("0.1.0", agent)
}

fn bench_encode(criterion: &mut Criterion) {
    let transaction = transaction();
    let mut group = criterion.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));

    let plain = EventBuilder::new(&options()).expect("options are valid");
    let mut out = Vec::with_capacity(4096);
    group.bench_function("paired_aaaa", |bencher| {
        bencher.iter(|| {
            out.clear();
            plain
                .encode(black_box(&transaction), &mut out)
                .expect("written");
            black_box(out.len())
        })
    });

    group.bench_function("assemble_only", |bencher| {
        bencher.iter(|| {
            let event = plain.assemble(black_box(&transaction)).expect("assembled");
            black_box(event.status)
        })
    });

    let event = plain.assemble(&transaction).expect("assembled");
    group.bench_function("write_only", |bencher| {
        bencher.iter(|| {
            out.clear();
            plain.write(black_box(&event), &mut out);
            black_box(out.len())
        })
    });

    let mut full_options = options();
    full_options.send_request = true;
    full_options.send_response = true;
    full_options.host = Some(HostInfo::collect(true));
    full_options.processors = dnstel_event::processors::parse_processors(
        &serde_json::json!([{"add_host_metadata": null}]),
    )
    .expect("valid processors");
    let full = EventBuilder::new(&full_options).expect("options are valid");
    group.bench_function("paired_aaaa_host_texts", |bencher| {
        bencher.iter(|| {
            out.clear();
            full.encode(black_box(&transaction), &mut out)
                .expect("written");
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
