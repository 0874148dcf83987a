//! Counters of the frames the sensor saw and why it set any aside.

use dnstel_packet::DecodeError;

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
