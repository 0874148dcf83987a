//! [`ShardSensor`]: the back half of a sharded sensor. It pairs the packets of its own flows
//! from each [`PacketBatch`] and moves its clock on everyone else's, so its queries time out at
//! the same packet as in a single [`crate::Sensor`].

use dnstel_packet::Timestamp;
use dnstel_pairing::{ConfigError, Pairing, PairingConfig, PairingStats, Transaction};

use crate::flow::PacketBatch;
use crate::route::PairingInput;

/// When a transaction completed, relative to the packet that completed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Closed because the packet moved the clock past a timeout, before the packet itself was
    /// paired.
    Expired,
    /// Completed by pairing the packet itself.
    Paired,
}

/// The sort key of a completed transaction: the packet and phase that completed it. Packet numbers are unique over the input, so
/// sorting by this key, then by shard and by order within the shard, gives one fixed order for
/// any number of shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Completion {
    /// Number of the packet that completed the transaction; `u64::MAX` at the end of input.
    pub packet: u64,
    /// Before or while pairing that packet.
    pub phase: Phase,
    /// For [`Phase::Expired`], the transaction's time. A single pairing closes expired queries
    /// oldest first, so sorting on it keeps that order across shards, except between
    /// transactions with the same time. Zero for [`Phase::Paired`], whose transactions all come
    /// from one shard.
    pub age: Timestamp,
}

impl Completion {
    /// Returns the key of `transaction`, completed at `packet` in `phase`.
    pub fn new(packet: u64, phase: Phase, transaction: &Transaction) -> Completion {
        let age = match phase {
            Phase::Expired => transaction.timestamp(),
            Phase::Paired => Timestamp::default(),
        };
        Completion { packet, phase, age }
    }
}

/// Pairing for the flows of one shard.
#[derive(Debug)]
pub struct ShardSensor {
    pairing: Pairing,
    index: u32,
}

impl ShardSensor {
    /// Creates shard `index` with `config`, whose caps should already be this shard's share
    /// (see [`crate::shard_options`]).
    ///
    /// # Errors
    /// Returns an error when the pairing settings are invalid.
    pub fn new(config: PairingConfig, index: u32) -> Result<ShardSensor, ConfigError> {
        Ok(ShardSensor {
            pairing: Pairing::new(config)?,
            index,
        })
    }

    /// Pairs this shard's packets of `batch` and moves the clock on the other packets, passing
    /// each completed transaction to `sink` with the packet that completed it, in order.
    pub fn process_batch(
        &mut self,
        batch: &PacketBatch,
        sink: &mut impl FnMut(Completion, Transaction),
    ) {
        for packet in &batch.packets {
            if packet.advances_clock {
                self.pairing.advance(packet.timestamp);
                self.drain_into(packet.number, Phase::Expired, sink);
            }
            if packet.shard != self.index {
                continue;
            }
            match batch.input(packet) {
                PairingInput::Udp(datagram) => self.pairing.process_udp(&datagram),
                PairingInput::Tcp(segment) => self.pairing.process_tcp(&segment),
            }
            self.drain_into(packet.number, Phase::Paired, sink);
        }
    }

    /// Moves time to `now` without a packet, passing what expired to `sink` as completed
    /// before packet number `packet`.
    pub fn advance(
        &mut self,
        now: Timestamp,
        packet: u64,
        sink: &mut impl FnMut(Completion, Transaction),
    ) {
        self.pairing.advance(now);
        self.drain_into(packet, Phase::Expired, sink);
    }

    /// Closes open streams and pending queries at the end of input, as completed before a
    /// packet numbered `u64::MAX`.
    pub fn finish(&mut self, sink: &mut impl FnMut(Completion, Transaction)) {
        self.pairing.flush_all();
        self.drain_into(u64::MAX, Phase::Expired, sink);
    }

    /// Returns the pairing counters of this shard.
    pub fn pairing_stats(&self) -> &PairingStats {
        self.pairing.stats()
    }

    /// Queries of this shard waiting for a response.
    pub fn pending_transactions(&self) -> usize {
        self.pairing.pending_transactions()
    }

    fn drain_into(
        &mut self,
        packet: u64,
        phase: Phase,
        sink: &mut impl FnMut(Completion, Transaction),
    ) {
        for transaction in self.pairing.drain() {
            sink(Completion::new(packet, phase, &transaction), transaction);
        }
    }
}
