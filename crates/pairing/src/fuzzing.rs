//! Entry points shared by the fuzz targets and the seed replay test.
//!
//! Each turns arbitrary bytes into a sequence of pairing inputs, runs them, and checks the
//! invariants that must hold for any input: no panic, every parsed message in exactly one
//! transaction, and no state left after [`Pairing::flush_all`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use dnstel_packet::Timestamp;

use crate::input::{DnsDatagram, DnsSegment, TcpFlags};
use crate::{Pairing, PairingConfig, Transaction};

/// Fuzz input consumed front to back. Reads past the end yield zero.
struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn byte(&mut self) -> u8 {
        let Some((first, rest)) = self.bytes.split_first() else {
            return 0;
        };
        self.bytes = rest;
        *first
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// Takes a length byte and then up to that many bytes.
    fn payload(&mut self) -> &'a [u8] {
        let length = usize::from(self.byte()).min(self.bytes.len());
        let (payload, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        payload
    }
}

/// Small limits, so that fuzzing reaches every limit path.
fn small_config() -> PairingConfig {
    let mut config = PairingConfig {
        ports: vec![53, 5353],
        max_transactions: 8,
        ..PairingConfig::default()
    };
    config.tcp.max_connections = 3;
    config.tcp.max_total_bytes = 150_000;
    config.tcp.max_out_of_order_segments = 4;
    config.tcp.max_open_responses = 2;
    config.tcp.max_response_bytes = 2_000;
    config
}

fn endpoint(host: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)), port)
}

/// Returns (client, server) for a flow selector.
fn flow(selector: u8) -> (SocketAddr, SocketAddr) {
    let client = endpoint(10 + (selector & 1), 40_000 + u16::from(selector >> 1 & 1));
    let server_port = if selector & 4 == 0 { 53 } else { 5353 };
    (client, endpoint(53, server_port))
}

fn count_messages(transactions: impl Iterator<Item = Transaction>) -> u64 {
    transactions
        .map(|transaction| {
            let request = transaction.request.map_or(0, |side| side.messages);
            let response = transaction.response.map_or(0, |side| side.messages);
            u64::from(request + response)
        })
        .sum()
}

/// Flushes the pairing and checks the end-of-input invariants. `emitted` is the number of
/// messages found in transactions drained so far.
fn finish(mut pairing: Pairing, mut emitted: u64) {
    pairing.flush_all();
    emitted += count_messages(pairing.drain());
    let stats = pairing.stats();
    assert_eq!(emitted, stats.requests + stats.responses, "{stats:?}");
    assert_eq!(pairing.pending_transactions(), 0);
    assert_eq!(pairing.tcp_connections(), 0);
    assert_eq!(pairing.tcp_buffered_bytes(), 0);
}

/// Runs segments of TCP connections. Each segment starts with a flag byte: bit 0 direction,
/// bit 1 SYN, bit 2 FIN, bit 3 RST, bit 4 ACK, bits 5-6 flow. Then come a 16-bit sequence offset
/// from the direction's initial number, a time step byte in milliseconds, and a length-prefixed
/// payload.
#[doc(hidden)]
pub fn fuzz_tcp_reassembly(data: &[u8]) {
    let mut input = Input { bytes: data };
    let Ok(mut pairing) = Pairing::new(small_config()) else {
        return;
    };
    let mut emitted = 0;
    let mut millis: i64 = 0;
    while !input.is_empty() {
        let flags = input.byte();
        let offset = u32::from(input.u16());
        millis += i64::from(input.byte());
        let payload = input.payload();
        let (client, server) = flow(flags >> 5 & 3);
        let from_client = flags & 1 == 0;
        let (source, destination, base) = if from_client {
            (client, server, 1_000u32)
        } else {
            (server, client, u32::MAX - 300)
        };
        let segment = DnsSegment {
            timestamp: Timestamp(millis * 1_000_000),
            source,
            destination,
            sequence: base.wrapping_add(offset),
            flags: TcpFlags {
                syn: flags & 2 != 0,
                fin: flags & 4 != 0,
                rst: flags & 8 != 0,
            },
            acknowledgment: (flags & 16 != 0).then_some(offset.wrapping_mul(3)),
            payload,
        };
        pairing.process_tcp(&segment);
        assert!(pairing.tcp_connections() <= 3);
        assert!(pairing.tcp_buffered_bytes() <= 150_000);
        emitted += count_messages(pairing.drain());
    }
    finish(pairing, emitted);
}

/// Runs UDP datagrams and clock ticks. Each step is: a kind byte (bit 0 tick, bit 1 direction,
/// bits 2-4 flow), a time step byte in 10 ms units, and for a datagram a length-prefixed
/// payload.
#[doc(hidden)]
pub fn fuzz_pairing(data: &[u8]) {
    let mut input = Input { bytes: data };
    let Ok(mut pairing) = Pairing::new(small_config()) else {
        return;
    };
    let mut emitted = 0;
    let mut millis: i64 = 0;
    while !input.is_empty() {
        let kind = input.byte();
        millis += i64::from(input.byte()) * 10;
        let timestamp = Timestamp(millis * 1_000_000);
        if kind & 1 == 1 {
            pairing.advance(timestamp);
            emitted += count_messages(pairing.drain());
            continue;
        }
        let (client, server) = flow(kind >> 2 & 7);
        let from_client = kind & 2 == 0;
        let (source, destination) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        let payload = input.payload();
        pairing.process_udp(&DnsDatagram {
            timestamp,
            source,
            destination,
            payload,
        });
        assert!(pairing.pending_transactions() <= 8);
        emitted += count_messages(pairing.drain());
    }
    finish(pairing, emitted);
}
