//! Reading a capture file through the pcap reader, packet decoding, IP defragmentation and the
//! pairing, as the sensor does.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dnstel_packet::{decode, DefragConfig, Defragmenter, IpHeader, Timestamp, Transport as Layer4};
use dnstel_pairing::{DnsDatagram, DnsSegment, Pairing, PairingConfig, PairingStats, Transaction};

/// Returns the shared reference folder beside the checkout.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// What reading one capture produced.
pub struct Outcome {
    pub transactions: Vec<Transaction>,
    pub stats: PairingStats,
    pub pairing: Pairing,
}

fn feed(pairing: &mut Pairing, timestamp: Timestamp, ip: &IpHeader, layer: &Layer4) {
    match layer {
        Layer4::Udp(udp) => pairing.process_udp(&DnsDatagram::from_packet(timestamp, ip, udp)),
        Layer4::Tcp(tcp) => pairing.process_tcp(&DnsSegment::from_packet(timestamp, ip, tcp)),
        Layer4::Fragment(_) | Layer4::Other { .. } => {}
    }
}

/// Reads a capture to the end, flushes the pairing and returns everything it emitted. Frames
/// that do not decode are skipped; a read error ends the file early.
pub fn pair_file(path: &Path, config: PairingConfig) -> Result<Outcome, String> {
    let mut reader = dnstel_pcap::open(path).map_err(|error| error.to_string())?;
    let mut pairing = Pairing::new(config).map_err(|error| error.to_string())?;
    let mut defragmenter = Defragmenter::new(DefragConfig::default());
    let mut transactions = Vec::new();
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(error) if error.is_recoverable() => continue,
            Err(_) => break,
        };
        let Ok(decoded) = decode(&frame) else {
            continue;
        };
        if let Some(datagram) = defragmenter.insert_decoded(frame.timestamp, &decoded) {
            if let Ok(layer) = datagram.transport() {
                feed(&mut pairing, frame.timestamp, &datagram.ip, &layer);
            }
        } else {
            feed(
                &mut pairing,
                frame.timestamp,
                &decoded.ip,
                &decoded.transport,
            );
        }
        transactions.extend(pairing.drain());
    }
    pairing.flush_all();
    transactions.extend(pairing.drain());
    Ok(Outcome {
        transactions,
        stats: pairing.stats().clone(),
        pairing,
    })
}
