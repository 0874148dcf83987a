//! Pairing options and their defaults.
//!
//! The CLI maps the `packetbeat.protocols` DNS block of `packetbeat.yml` onto [`PairingConfig`]:
//! `ports` and `transaction_timeout` have the same meaning there. The other fields are dnstel's
//! own limits, because Packetbeat bounds neither its transaction table nor its TCP state per
//! stream count.

use std::time::Duration;

use dnstel_dns::ParseOptions;

/// Largest DNS message over TCP, with its 2-byte length prefix.
pub const MAX_TCP_MESSAGE_LEN: usize = 2 + u16::MAX as usize;

/// Options of a [`Pairing`](crate::Pairing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingConfig {
    /// Ports carrying DNS: a datagram or TCP connection is taken when its source or destination
    /// port is listed. Default `[53]`, the value `packetbeat.yml` ships (Packetbeat's code
    /// default is empty, which decodes nothing).
    pub ports: Vec<u16>,
    /// Ports where queries are multicast (mDNS 5353, LLMNR 5355). On these ports a response
    /// without a query is not an orphan and an unanswered query carries no note. Only ports that
    /// are also in `ports` are decoded. Default `[5353, 5355]`.
    pub multicast_ports: Vec<u16>,
    /// How long a query waits for its response, and how long a TCP connection may stay idle,
    /// measured in packet time. Default 10 s, Packetbeat's default.
    pub transaction_timeout: Duration,
    /// Maximum number of pending queries. When a new query finds the table full, the oldest
    /// pending query is emitted as unanswered and counted in `evicted`. Default 100 000.
    pub max_transactions: usize,
    /// Limits of the TCP reassembly.
    pub tcp: TcpLimits,
    /// Options passed to the DNS parser for every message.
    pub parse_options: ParseOptions,
    /// Whether bytes after the last record get a `Request: ` / `Response: ` note like other
    /// parser anomalies. Default false: Packetbeat's parser accepts such messages silently (its
    /// own AXFR test capture has a query with 2 trailing bytes and no note).
    pub note_trailing_bytes: bool,
}

impl Default for PairingConfig {
    fn default() -> Self {
        PairingConfig {
            ports: vec![53],
            multicast_ports: vec![5353, 5355],
            transaction_timeout: Duration::from_secs(10),
            max_transactions: 100_000,
            tcp: TcpLimits::default(),
            parse_options: ParseOptions::default(),
            note_trailing_bytes: false,
        }
    }
}

/// Bounds on the state that TCP reassembly keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// Maximum number of tracked TCP connections. A new connection beyond it evicts the least
    /// recently active one, counted in `tcp_connections_evicted`. Default 10 000.
    pub max_connections: usize,
    /// Maximum bytes buffered for one direction of a connection (a partial message plus
    /// out-of-order segments). Must hold one maximal message (65 537 bytes). Default 262 144.
    pub max_stream_bytes: usize,
    /// Maximum bytes buffered over all connections. Default 64 MiB.
    pub max_total_bytes: usize,
    /// Maximum out-of-order segments held per direction while waiting for a hole to fill.
    /// Default 64.
    pub max_out_of_order_segments: usize,
    /// Maximum response transactions per connection kept open to collect further messages of
    /// a multi-message response (AXFR, IXFR). The oldest is emitted when a new one would exceed
    /// it. Default 8.
    pub max_open_responses: usize,
    /// Maximum bytes of one multi-message response. When a response reaches it, the transaction
    /// is emitted and later messages start a new response-only transaction. Default 16 MiB.
    pub max_response_bytes: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: 10_000,
            max_stream_bytes: 262_144,
            max_total_bytes: 64 * 1024 * 1024,
            max_out_of_order_segments: 64,
            max_open_responses: 8,
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

/// An option value that the pairing cannot work with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A limit that must be positive is zero.
    #[error("{name} must be greater than zero")]
    Zero {
        /// Option name.
        name: &'static str,
    },
    /// `tcp.max_stream_bytes` cannot hold one maximal DNS message.
    #[error("tcp max_stream_bytes {value} is below {MAX_TCP_MESSAGE_LEN}, the size of the largest DNS message over TCP")]
    StreamBytesTooSmall {
        /// Configured value.
        value: usize,
    },
}

impl PairingConfig {
    /// Checks that every limit can be honoured.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("transaction_timeout", self.transaction_timeout.as_nanos()),
            ("max_transactions", self.max_transactions as u128),
            ("tcp max_connections", self.tcp.max_connections as u128),
            ("tcp max_total_bytes", self.tcp.max_total_bytes as u128),
            (
                "tcp max_open_responses",
                self.tcp.max_open_responses as u128,
            ),
            (
                "tcp max_response_bytes",
                self.tcp.max_response_bytes as u128,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero { name });
        }
        if self.tcp.max_stream_bytes < MAX_TCP_MESSAGE_LEN {
            return Err(ConfigError::StreamBytesTooSmall {
                value: self.tcp.max_stream_bytes,
            });
        }
        Ok(())
    }

    /// Returns the transaction timeout in nanoseconds, saturated to `i64`.
    pub(crate) fn timeout_nanos(&self) -> i64 {
        i64::try_from(self.transaction_timeout.as_nanos()).unwrap_or(i64::MAX)
    }

    /// Returns whether either port carries DNS.
    pub(crate) fn is_dns_port(&self, src_port: u16, dst_port: u16) -> bool {
        has_either_port(&self.ports, src_port, dst_port)
    }

    /// Returns whether either port is a multicast DNS port.
    pub(crate) fn is_multicast_port(&self, src_port: u16, dst_port: u16) -> bool {
        has_either_port(&self.multicast_ports, src_port, dst_port)
    }
}

/// Reports whether `ports` contains `first` or `second`. Port lists contain a few entries, and
/// this loop is inlined, where `slice::contains` made a call per port for every packet.
#[inline]
fn has_either_port(ports: &[u16], first: u16, second: u16) -> bool {
    ports.iter().any(|&port| port == first || port == second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(PairingConfig::default().validate(), Ok(()));
    }

    #[test]
    fn zero_timeout_is_rejected() {
        let config = PairingConfig {
            transaction_timeout: Duration::ZERO,
            ..PairingConfig::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::Zero {
                name: "transaction_timeout"
            })
        );
    }

    #[test]
    fn small_stream_buffer_is_rejected() {
        let mut config = PairingConfig::default();
        config.tcp.max_stream_bytes = 1000;
        let expected = ConfigError::StreamBytesTooSmall { value: 1000 };
        assert_eq!(config.validate(), Err(expected.clone()));
        assert!(expected.to_string().contains("1000"));
    }
}
