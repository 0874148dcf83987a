//! [`Dispatcher`]: the front half of a sharded sensor. It decodes frames, reassembles IP
//! fragments (fragments after the first carry no ports, so this must happen before a flow can
//! be hashed) and copies each datagram or segment into a [`PacketBatch`] tagged with its shard.

use dnstel_packet::{DefragStats, Defragmenter, Frame};

use crate::flow::{flow_hash, PacketBatch, Route};
use crate::route::{route_frame, PairingInput};
use crate::sensor::SensorOptions;
use crate::stats::SensorStats;

/// Decodes, reassembles and routes frames to shards by flow.
///
/// Both directions of a UDP flow and of a TCP connection get the same shard. Packets on a
/// multicast DNS port (mDNS, LLMNR) all go to shard 0, because a unicast response there may
/// answer a query sent to a group address, which is another flow.
#[derive(Debug)]
pub struct Dispatcher {
    defrag: Defragmenter,
    stats: SensorStats,
    shards: u32,
    ports: Vec<u16>,
    multicast_ports: Vec<u16>,
    next_number: u64,
}

impl Dispatcher {
    /// Creates a dispatcher over `shards` shards (at least 1) with the ports and reassembly
    /// limits of `options`.
    pub fn new(options: &SensorOptions, shards: usize) -> Dispatcher {
        Dispatcher {
            defrag: Defragmenter::new(options.defrag),
            stats: SensorStats::default(),
            shards: u32::try_from(shards.max(1)).unwrap_or(u32::MAX),
            ports: options.pairing.ports.clone(),
            multicast_ports: options.pairing.multicast_ports.clone(),
            next_number: 0,
        }
    }

    /// Decodes `frame` and appends its datagram or segment, if any, to `batch`. Every frame
    /// gets the next packet number, whether or not it reaches the batch.
    pub fn process_frame(&mut self, frame: &Frame<'_>, batch: &mut PacketBatch) {
        let number = self.next_number;
        self.next_number += 1;
        let shards = self.shards;
        let ports = &self.ports;
        let multicast_ports = &self.multicast_ports;
        route_frame(frame, &mut self.defrag, &mut self.stats, |input| {
            let (tcp, source, destination, payload_empty) = match &input {
                PairingInput::Udp(datagram) => (
                    false,
                    datagram.source,
                    datagram.destination,
                    datagram.payload.is_empty(),
                ),
                PairingInput::Tcp(segment) => (true, segment.source, segment.destination, false),
            };
            let on_port =
                |list: &[u16]| list.contains(&source.port()) || list.contains(&destination.port());
            let dns = on_port(ports);
            let shard = if on_port(multicast_ports) || shards == 1 {
                0
            } else {
                // The remainder is below `shards`, a u32.
                (flow_hash(tcp, source, destination) % u64::from(shards)) as u32
            };
            let route = Route {
                shard,
                advances_clock: dns && !payload_empty,
            };
            batch.push(number, &input, route, dns);
        });
    }

    /// Counters of decoding and routing.
    pub fn stats(&self) -> &SensorStats {
        &self.stats
    }

    /// Counts the IP fragments that never completed a datagram as dropped, at the end of
    /// the input.
    pub fn finish(&mut self) {
        self.defrag.discard_pending();
    }

    /// Counters of IP reassembly.
    pub fn defrag_stats(&self) -> DefragStats {
        self.defrag.stats()
    }
}
