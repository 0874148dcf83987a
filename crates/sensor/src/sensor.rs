//! The per-frame pipeline: decode, defragment, pair.

use dnstel_packet::{
    decode, DefragConfig, DefragStats, Defragmenter, Frame, Reassembled, Timestamp, Transport,
};
use dnstel_pairing::{
    ConfigError, DnsDatagram, DnsSegment, Pairing, PairingConfig, PairingStats, Transaction,
};

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
        self.stats.frames += 1;
        let decoded = match decode(frame) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.stats.decode_errors.record(&error);
                return;
            }
        };
        let timestamp = frame.timestamp;
        match decoded.transport {
            Transport::Udp(udp) => {
                let datagram = DnsDatagram::from_packet(timestamp, &decoded.ip, &udp);
                self.pairing.process_udp(&datagram);
            }
            Transport::Tcp(tcp) => {
                let segment = DnsSegment::from_packet(timestamp, &decoded.ip, &tcp);
                self.pairing.process_tcp(&segment);
            }
            Transport::Fragment(_) => {
                self.stats.fragments += 1;
                if let Some(datagram) = self.defrag.insert_decoded(timestamp, &decoded) {
                    self.process_reassembled(timestamp, &datagram);
                }
            }
            Transport::Other { .. } => self.stats.other_protocols += 1,
        }
    }

    /// Feeds a datagram rebuilt from fragments; its time is the last fragment's.
    fn process_reassembled(&mut self, timestamp: Timestamp, datagram: &Reassembled) {
        self.stats.reassembled += 1;
        match datagram.transport() {
            Ok(Transport::Udp(udp)) => {
                let input = DnsDatagram::from_packet(timestamp, &datagram.ip, &udp);
                self.pairing.process_udp(&input);
            }
            Ok(Transport::Tcp(tcp)) => {
                let input = DnsSegment::from_packet(timestamp, &datagram.ip, &tcp);
                self.pairing.process_tcp(&input);
            }
            Ok(Transport::Fragment(_) | Transport::Other { .. }) => self.stats.other_protocols += 1,
            Err(_) => self.stats.reassembled_decode_errors += 1,
        }
    }

    /// Moves time to `now` without a packet (live capture idle ticks), expiring what timed out.
    pub fn advance(&mut self, now: Timestamp) {
        self.defrag.expire(now);
        self.pairing.advance(now);
    }

    /// Closes everything at the end of input: open TCP streams and unanswered queries become
    /// transactions.
    pub fn finish(&mut self) {
        self.pairing.flush_all();
    }

    /// Removes and returns the completed transactions in completion order.
    pub fn drain(&mut self) -> impl Iterator<Item = Transaction> + '_ {
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
