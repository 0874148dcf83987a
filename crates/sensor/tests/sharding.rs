//! A [`Dispatcher`] with [`ShardSensor`]s, run on one thread, against a single [`Sensor`] on
//! real captures and hand-built frames. The tests check for the same transactions, both
//! directions of every flow on one shard, and fragments reassembled before routing. They also
//! check that queries expire at the same packet and that counters sum to the single sensor's.

mod frames;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use dnstel_packet::{Frame, LinkType, Timestamp};
use dnstel_pairing::{PairingStats, Transaction};
use dnstel_sensor::{
    add_pairing_stats, flow_hash, shard_options, Completion, Dispatcher, PacketBatch, Phase,
    Sensor, SensorOptions, SensorStats, ShardSensor,
};
use frames::{dns_message, ipv4, udp, CLIENT, SECOND, SERVER};

/// Packets per batch in these tests: small and odd, so flows and timeouts cross batches.
const BATCH: usize = 7;

/// An owned frame.
struct OwnedFrame {
    timestamp: Timestamp,
    link_type: LinkType,
    data: Vec<u8>,
}

impl OwnedFrame {
    fn frame(&self) -> Frame<'_> {
        Frame {
            timestamp: self.timestamp,
            link_type: self.link_type,
            data: &self.data,
            original_length: u32::try_from(self.data.len()).expect("test frames fit u32"),
            interface: 0,
        }
    }
}

fn raw(nanos: i64, data: Vec<u8>) -> OwnedFrame {
    OwnedFrame {
        timestamp: Timestamp(nanos),
        link_type: LinkType::RAW,
        data,
    }
}

fn read_capture(path: &Path) -> Vec<OwnedFrame> {
    let mut reader = dnstel_pcap::open(path).expect("capture opens");
    let mut frames = Vec::new();
    while let Ok(Some(frame)) = reader.next_frame() {
        frames.push(OwnedFrame {
            timestamp: frame.timestamp,
            link_type: frame.link_type,
            data: frame.data.to_vec(),
        });
    }
    frames
}

/// Lists the crafted fixtures of the command-line tests and Packetbeat's own DNS captures.
fn fixture_captures() -> Vec<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        manifest.join("../cli/tests/data"),
        manifest.join("../../../shared/packetbeat-pcaps"),
    ];
    let mut found = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let extension = path.extension().and_then(|ext| ext.to_str());
            if matches!(extension, Some("pcap" | "pcapng")) {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() > 20, "fixtures found: {found:?}");
    found
}

/// What one sharded run produced.
struct ShardedRun {
    transactions: Vec<(Completion, Transaction)>,
    pairing: PairingStats,
    sensor: SensorStats,
    /// The shard of every packet by its flow, for checking both directions agree.
    shards_by_flow: HashMap<(bool, SocketAddr, SocketAddr), Vec<u32>>,
}

/// Runs `frames` through a dispatcher and `shards` shard sensors, merged by completion and
/// shard as `read --workers` does.
fn run_sharded(frames: &[OwnedFrame], shards: usize) -> ShardedRun {
    let options = SensorOptions::default();
    let mut dispatcher = Dispatcher::new(&options, shards);
    let per_shard = shard_options(&options, shards);
    let mut sensors: Vec<ShardSensor> = (0..shards)
        .map(|index| {
            let index = u32::try_from(index).expect("few shards");
            ShardSensor::new(per_shard.pairing.clone(), index).expect("valid options")
        })
        .collect();
    let mut collected: Vec<(Completion, u32, usize, Transaction)> = Vec::new();
    let mut shards_by_flow: HashMap<_, Vec<u32>> = HashMap::new();
    let mut run_batch = |batch: &PacketBatch, sensors: &mut Vec<ShardSensor>| {
        for packet in &batch.packets {
            let (low, high) = if packet.source <= packet.destination {
                (packet.source, packet.destination)
            } else {
                (packet.destination, packet.source)
            };
            let flow = (packet.tcp.is_some(), low, high);
            shards_by_flow.entry(flow).or_default().push(packet.shard);
        }
        for (index, sensor) in sensors.iter_mut().enumerate() {
            let shard = u32::try_from(index).expect("few shards");
            sensor.process_batch(batch, &mut |completion, transaction| {
                let sequence = collected.len();
                collected.push((completion, shard, sequence, transaction));
            });
        }
    };
    let mut batch = PacketBatch::default();
    for frame in frames {
        dispatcher.process_frame(&frame.frame(), &mut batch);
        if batch.len() >= BATCH {
            run_batch(&batch, &mut sensors);
            batch.clear();
        }
    }
    run_batch(&batch, &mut sensors);
    for (index, sensor) in sensors.iter_mut().enumerate() {
        let shard = u32::try_from(index).expect("few shards");
        sensor.finish(&mut |completion, transaction| {
            let sequence = collected.len();
            collected.push((completion, shard, sequence, transaction));
        });
    }
    collected.sort_by_key(|(completion, shard, sequence, _)| (*completion, *shard, *sequence));
    let mut pairing = PairingStats::default();
    for sensor in &sensors {
        add_pairing_stats(&mut pairing, sensor.pairing_stats());
    }
    ShardedRun {
        transactions: collected
            .into_iter()
            .map(|(completion, _, _, transaction)| (completion, transaction))
            .collect(),
        pairing,
        sensor: *dispatcher.stats(),
        shards_by_flow,
    }
}

fn run_single(frames: &[OwnedFrame]) -> (Vec<Transaction>, Sensor) {
    let mut sensor = Sensor::new(SensorOptions::default()).expect("valid options");
    let mut transactions = Vec::new();
    for frame in frames {
        sensor.process_frame(&frame.frame());
        transactions.extend(sensor.drain());
    }
    sensor.finish();
    transactions.extend(sensor.drain());
    (transactions, sensor)
}

fn sorted_debug(transactions: impl Iterator<Item = Transaction>) -> Vec<String> {
    let mut texts: Vec<String> = transactions.map(|item| format!("{item:?}")).collect();
    texts.sort();
    texts
}

#[test]
fn shards_match_single_sensor() {
    for path in fixture_captures() {
        let frames = read_capture(&path);
        let (single, _) = run_single(&frames);
        for shards in 1..=4 {
            let sharded = run_sharded(&frames, shards);
            let name = path.display();
            assert_eq!(
                sharded.transactions.len(),
                single.len(),
                "{name} with {shards} shards: transaction count"
            );
            let transactions = sharded.transactions.into_iter().map(|(_, item)| item);
            if shards == 1 {
                assert!(
                    transactions.eq(single.iter().cloned()),
                    "{name} with 1 shard: order differs"
                );
            } else {
                assert_eq!(
                    sorted_debug(transactions),
                    sorted_debug(single.iter().cloned()),
                    "{name} with {shards} shards: transactions differ"
                );
            }
        }
    }
}

#[test]
fn shard_counters_sum_to_single() {
    for path in fixture_captures() {
        let frames = read_capture(&path);
        let (_, single) = run_single(&frames);
        let sharded = run_sharded(&frames, 3);
        let name = path.display();
        assert_eq!(&sharded.pairing, single.pairing_stats(), "{name}: pairing");
        assert_eq!(&sharded.sensor, single.stats(), "{name}: sensor");
    }
}

#[test]
fn flow_directions_share_shard() {
    let mut tcp_flows_both_ways = 0;
    let mut udp_flows_both_ways = 0;
    for path in fixture_captures() {
        let frames = read_capture(&path);
        let sharded = run_sharded(&frames, 4);
        for ((tcp, low, high), shards) in &sharded.shards_by_flow {
            assert!(
                shards.iter().all(|shard| *shard == shards[0]),
                "{}: flow {low} <-> {high} split over shards {shards:?}",
                path.display()
            );
            if shards.len() > 1 {
                if *tcp {
                    tcp_flows_both_ways += 1;
                } else {
                    udp_flows_both_ways += 1;
                }
            }
        }
    }
    assert!(tcp_flows_both_ways > 0, "no TCP flow with several packets");
    assert!(udp_flows_both_ways > 0, "no UDP flow with several packets");
}

#[test]
fn fragments_reassemble_before_routing() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for name in ["crafted-ipv4-fragments.pcap", "crafted-ipv6-fragments.pcap"] {
        let frames = read_capture(&manifest.join("../cli/tests/data").join(name));
        let (single, _) = run_single(&frames);
        let sharded = run_sharded(&frames, 4);
        assert!(sharded.sensor.fragments > 0, "{name}: no fragments");
        assert!(
            sharded.sensor.reassembled > 0,
            "{name}: nothing reassembled"
        );
        assert!(!single.is_empty(), "{name}: no transactions");
        assert_eq!(
            sorted_debug(sharded.transactions.into_iter().map(|(_, item)| item)),
            sorted_debug(single.into_iter()),
            "{name}: transactions differ"
        );
    }
}

/// Returns a client port whose flow to the server lands on `shard` of `shards`.
fn port_on_shard(shard: u64, shards: u64) -> u16 {
    let server = SocketAddr::from((SERVER, 53));
    (40000..41000)
        .find(|port| {
            let client = SocketAddr::from((CLIENT, *port));
            flow_hash(false, client, server) % shards == shard
        })
        .expect("some port hashes to each shard")
}

fn query(nanos: i64, port: u16, id: u16) -> OwnedFrame {
    raw(
        nanos,
        ipv4(
            CLIENT,
            SERVER,
            17,
            0x4000,
            id,
            &udp(port, 53, &dns_message(id, false)),
        ),
    )
}

#[test]
fn timeout_expires_at_other_shards_packet() {
    let first = port_on_shard(0, 2);
    let second = port_on_shard(1, 2);
    // A query on shard 0, then only shard 1 traffic until well past the 10 s timeout.
    let frames = vec![
        query(SECOND, first, 1),
        query(2 * SECOND, second, 2),
        query(5 * SECOND, second, 3),
        query(30 * SECOND, second, 4),
    ];
    let (single, _) = run_single(&frames);
    let sharded = run_sharded(&frames, 2);
    let expired: Vec<&(Completion, Transaction)> = sharded
        .transactions
        .iter()
        .filter(|(completion, _)| completion.packet == 3)
        .collect();
    assert_eq!(expired.len(), 3, "queries 1-3 time out at packet 3");
    assert!(expired
        .iter()
        .all(|(completion, _)| completion.phase == Phase::Expired));
    let ids: Vec<Option<u16>> = expired.iter().map(|(_, item)| item.id()).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3)], "oldest first");
    let order: Vec<Option<u16>> = sharded
        .transactions
        .iter()
        .map(|(_, item)| item.id())
        .collect();
    let single_order: Vec<Option<u16>> = single.iter().map(Transaction::id).collect();
    assert_eq!(order, single_order);
}

#[test]
fn shard_options_split_caps() {
    let options = SensorOptions::default();
    let shard = shard_options(&options, 4);
    assert_eq!(
        shard.pairing.max_transactions,
        options.pairing.max_transactions / 4
    );
    assert_eq!(
        shard.pairing.tcp.max_connections,
        options.pairing.tcp.max_connections / 4
    );
    assert_eq!(
        shard.pairing.tcp.max_total_bytes,
        options.pairing.tcp.max_total_bytes / 4
    );
    assert_eq!(
        shard.pairing.tcp.max_stream_bytes,
        options.pairing.tcp.max_stream_bytes
    );
    let mut tiny = SensorOptions::default();
    tiny.pairing.max_transactions = 3;
    assert_eq!(shard_options(&tiny, 4).pairing.max_transactions, 1);
}
