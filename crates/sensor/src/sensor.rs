//! The per-frame pipeline: decode, defragment, pair.

use dnstel_packet::{DefragConfig, DefragStats, Defragmenter, Frame, Timestamp};
use dnstel_pairing::{ConfigError, Drain, Pairing, PairingConfig, PairingStats};

use crate::route::{route_frame, PairingInput};
use crate::stats::SensorStats;

/// Settings of every sensor stage.
#[derive(Debug, Clone, Default)]
pub struct SensorOptions {
    /// Ports, timeouts and table limits of the pairing stage.
    pub pairing: PairingConfig,
    /// Limits of IP fragment reassembly.
    pub defrag: DefragConfig,
}

/// Turns frames into completed DNS transactions.
pub struct Sensor {
    pairing: Pairing,
    defrag: Defragmenter,
    stats: SensorStats,
}

impl Sensor {
    /// Creates a sensor.
    ///
    /// # Errors
    /// Returns an error when the pairing settings are invalid (no ports, zero limits).
    pub fn new(options: SensorOptions) -> Result<Sensor, ConfigError> {
        Ok(Sensor {
            pairing: Pairing::new(options.pairing)?,
            defrag: Defragmenter::new(options.defrag),
            stats: SensorStats::default(),
        })
    }

    /// Decodes one frame and feeds it to reassembly and pairing.
    pub fn process_frame(&mut self, frame: &Frame<'_>) {
        let pairing = &mut self.pairing;
        route_frame(
            frame,
            &mut self.defrag,
            &mut self.stats,
            |input| match input {
                PairingInput::Udp(datagram) => pairing.process_udp(&datagram),
                PairingInput::Tcp(segment) => pairing.process_tcp(&segment),
            },
        );
    }

    /// Moves time to `now` without a packet (live capture idle ticks), expiring what timed out.
    pub fn advance(&mut self, now: Timestamp) {
        self.defrag.expire(now);
        self.pairing.advance(now);
    }

    /// Closes everything at the end of input: open TCP streams and unanswered queries become
    /// transactions, and IP fragments that never completed a datagram are counted as dropped.
    pub fn finish(&mut self) {
        self.defrag.discard_pending();
        self.pairing.flush_all();
    }

    /// Removes and returns the completed transactions in completion order.
    pub fn drain(&mut self) -> Drain<'_> {
        self.pairing.drain()
    }

    /// The sensor's own counters.
    pub fn stats(&self) -> &SensorStats {
        &self.stats
    }

    /// The pairing stage's counters.
    pub fn pairing_stats(&self) -> &PairingStats {
        self.pairing.stats()
    }

    /// The reassembly stage's counters.
    pub fn defrag_stats(&self) -> DefragStats {
        self.defrag.stats()
    }

    /// Transactions waiting for a response.
    pub fn pending_transactions(&self) -> usize {
        self.pairing.pending_transactions()
    }
}

/// Returns the options of one of `shards` shards: the pairing caps that bound the whole table
/// (`max_transactions`, `tcp.max_connections`, `tcp.max_total_bytes`) are divided by the shard
/// count, at least 1 each, so all shards together stay within the configured caps. Per-stream
/// and per-connection limits stay as configured.
pub fn shard_options(options: &SensorOptions, shards: usize) -> SensorOptions {
    let shards = shards.max(1);
    let share = |total: usize| (total / shards).max(1);
    let mut shard = options.clone();
    shard.pairing.max_transactions = share(options.pairing.max_transactions);
    shard.pairing.tcp.max_connections = share(options.pairing.tcp.max_connections);
    shard.pairing.tcp.max_total_bytes = share(options.pairing.tcp.max_total_bytes);
    shard
}
