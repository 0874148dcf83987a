//! Decoding and reassembly shared by [`crate::Sensor`] and [`crate::Dispatcher`]: a frame in,
//! zero or one UDP datagram or TCP segment out.

use dnstel_packet::{decode, Defragmenter, Frame, Reassembled, Timestamp, Transport};
use dnstel_pairing::{DnsDatagram, DnsSegment};

use crate::stats::SensorStats;

/// A transport payload ready for pairing.
#[derive(Debug, Clone, Copy)]
pub enum PairingInput<'a> {
    /// A UDP datagram.
    Udp(DnsDatagram<'a>),
    /// A TCP segment.
    Tcp(DnsSegment<'a>),
}

/// Decodes `frame`, reassembles fragments, counts what is set aside in `stats`, and passes the
/// resulting datagram or segment, if any, to `deliver`.
pub fn route_frame(
    frame: &Frame<'_>,
    defrag: &mut Defragmenter,
    stats: &mut SensorStats,
    deliver: impl FnOnce(PairingInput<'_>),
) {
    stats.frames += 1;
    // Borrowed from the result rather than moved out of it, which copied the decoded
    // headers once more for every frame.
    let result = decode(frame);
    let decoded = match &result {
        Ok(decoded) => decoded,
        Err(error) => {
            stats.decode_errors.record(error);
            return;
        }
    };
    let timestamp = frame.timestamp;
    match decoded.transport {
        Transport::Udp(udp) => deliver(PairingInput::Udp(DnsDatagram::from_packet(
            timestamp,
            &decoded.ip,
            &udp,
        ))),
        Transport::Tcp(tcp) => deliver(PairingInput::Tcp(DnsSegment::from_packet(
            timestamp,
            &decoded.ip,
            &tcp,
        ))),
        Transport::Fragment(_) => {
            stats.fragments += 1;
            if let Some(datagram) = defrag.insert_decoded(timestamp, decoded) {
                route_reassembled(timestamp, &datagram, stats, deliver);
            }
        }
        Transport::Other { .. } => stats.other_protocols += 1,
    }
}

/// Routes a datagram rebuilt from fragments; its time is the last fragment's.
fn route_reassembled(
    timestamp: Timestamp,
    datagram: &Reassembled,
    stats: &mut SensorStats,
    deliver: impl FnOnce(PairingInput<'_>),
) {
    stats.reassembled += 1;
    match datagram.transport() {
        Ok(Transport::Udp(udp)) => deliver(PairingInput::Udp(DnsDatagram::from_packet(
            timestamp,
            &datagram.ip,
            &udp,
        ))),
        Ok(Transport::Tcp(tcp)) => deliver(PairingInput::Tcp(DnsSegment::from_packet(
            timestamp,
            &datagram.ip,
            &tcp,
        ))),
        Ok(Transport::Fragment(_) | Transport::Other { .. }) => stats.other_protocols += 1,
        Err(_) => stats.reassembled_decode_errors += 1,
    }
}
