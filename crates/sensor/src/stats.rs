//! Counters of the frames the sensor saw and why it set any aside.

use dnstel_packet::{DecodeError, DefragStats};
use dnstel_pairing::PairingStats;

/// Frames that could not be decoded, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeErrorCounts {
    /// A header was cut short by the capture length.
    pub truncated: u64,
    /// The capture's link type is not one dnstel decodes.
    pub unsupported_link_type: u64,
    /// The link layer carried something other than IPv4 or IPv6 (ARP, LLDP, ...).
    pub not_ip: u64,
    /// An IP, UDP or TCP header field was invalid.
    pub invalid_header: u64,
}

impl DecodeErrorCounts {
    /// Counts one decode error under its cause.
    pub fn record(&mut self, error: &DecodeError) {
        let counter = match error {
            DecodeError::Truncated { .. } => &mut self.truncated,
            DecodeError::UnsupportedLinkType(_) => &mut self.unsupported_link_type,
            DecodeError::NotIp { .. } | DecodeError::UnknownAddressFamily { .. } => {
                &mut self.not_ip
            }
            _ => &mut self.invalid_header,
        };
        *counter += 1;
    }

    /// The sum over all causes.
    pub fn total(&self) -> u64 {
        self.truncated + self.unsupported_link_type + self.not_ip + self.invalid_header
    }
}

/// Counters of the sensor's own stages; pairing and defragmentation keep their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Frames handed to the sensor.
    pub frames: u64,
    /// Frames that did not decode to an IP packet, by cause.
    pub decode_errors: DecodeErrorCounts,
    /// IP packets carrying neither UDP nor TCP (ICMP, ESP, ...), skipped.
    pub other_protocols: u64,
    /// IP fragments handed to reassembly.
    pub fragments: u64,
    /// Datagrams rebuilt from fragments.
    pub reassembled: u64,
    /// Reassembled datagrams whose UDP or TCP header was invalid.
    pub reassembled_decode_errors: u64,
}

/// Adds every counter of `other` to `total`, for summing the pairing counters of shards.
pub fn add_pairing_stats(total: &mut PairingStats, other: &PairingStats) {
    // Destructured without `..`, so a counter added to `PairingStats` fails to compile here
    // until it is summed too.
    let PairingStats {
        ignored_packets,
        requests,
        responses,
        paired,
        orphans,
        multicast_responses,
        duplicates,
        timeouts,
        flushed,
        clock_resets,
        evicted,
        malformed,
        undecodable,
        transactions,
        tcp_connections,
        tcp_connections_evicted,
        tcp_connections_timed_out,
        tcp_non_dns_connections,
        tcp_zero_length_messages,
        tcp_retransmissions,
        tcp_overlaps,
        tcp_out_of_order,
        tcp_gaps,
        tcp_resyncs,
        tcp_skipped_bytes,
        tcp_limit_dropped_bytes,
        tcp_incomplete_messages,
        tcp_responses_split,
    } = other;
    total.ignored_packets += ignored_packets;
    total.requests += requests;
    total.responses += responses;
    total.paired += paired;
    total.orphans += orphans;
    total.multicast_responses += multicast_responses;
    total.duplicates += duplicates;
    total.timeouts += timeouts;
    total.flushed += flushed;
    total.clock_resets += clock_resets;
    total.evicted += evicted;
    total.malformed += malformed;
    total.undecodable += undecodable;
    total.transactions += transactions;
    total.tcp_connections += tcp_connections;
    total.tcp_connections_evicted += tcp_connections_evicted;
    total.tcp_connections_timed_out += tcp_connections_timed_out;
    total.tcp_non_dns_connections += tcp_non_dns_connections;
    total.tcp_zero_length_messages += tcp_zero_length_messages;
    total.tcp_retransmissions += tcp_retransmissions;
    total.tcp_overlaps += tcp_overlaps;
    total.tcp_out_of_order += tcp_out_of_order;
    total.tcp_gaps += tcp_gaps;
    total.tcp_resyncs += tcp_resyncs;
    total.tcp_skipped_bytes += tcp_skipped_bytes;
    total.tcp_limit_dropped_bytes += tcp_limit_dropped_bytes;
    total.tcp_incomplete_messages += tcp_incomplete_messages;
    total.tcp_responses_split += tcp_responses_split;
}

/// Adds every counter of `other` to `total`, for summing the sensor counters of capture
/// workers.
pub fn add_sensor_stats(total: &mut SensorStats, other: &SensorStats) {
    total.frames += other.frames;
    total.decode_errors.truncated += other.decode_errors.truncated;
    total.decode_errors.unsupported_link_type += other.decode_errors.unsupported_link_type;
    total.decode_errors.not_ip += other.decode_errors.not_ip;
    total.decode_errors.invalid_header += other.decode_errors.invalid_header;
    total.other_protocols += other.other_protocols;
    total.fragments += other.fragments;
    total.reassembled += other.reassembled;
    total.reassembled_decode_errors += other.reassembled_decode_errors;
}

/// Adds every IP reassembly counter of `other` to `total`, for summing the counters of
/// capture workers.
pub fn add_defrag_stats(total: &mut DefragStats, other: &DefragStats) {
    // Destructured without `..`, so a new counter fails to compile here until it is summed.
    let DefragStats {
        fragments_received,
        datagrams_reassembled,
        duplicate_fragments,
        truncated_fragments,
        invalid_fragments,
        oversized_fragments,
        inconsistent_datagrams,
        too_many_fragments_datagrams,
        expired_datagrams,
        evicted_for_count,
        evicted_for_bytes,
        incomplete_at_end,
        fragments_discarded,
    } = other;
    total.fragments_received += fragments_received;
    total.datagrams_reassembled += datagrams_reassembled;
    total.duplicate_fragments += duplicate_fragments;
    total.truncated_fragments += truncated_fragments;
    total.invalid_fragments += invalid_fragments;
    total.oversized_fragments += oversized_fragments;
    total.inconsistent_datagrams += inconsistent_datagrams;
    total.too_many_fragments_datagrams += too_many_fragments_datagrams;
    total.expired_datagrams += expired_datagrams;
    total.evicted_for_count += evicted_for_count;
    total.evicted_for_bytes += evicted_for_bytes;
    total.incomplete_at_end += incomplete_at_end;
    total.fragments_discarded += fragments_discarded;
}
