//! Capture configuration: device, DNS ports, user filter and ring geometry.

use crate::error::{CaptureError, Result};
use crate::filter::{self, Expr};

/// Default ring block size: 1 MiB, which holds at least one packet of the maximum snap length.
pub const DEFAULT_BLOCK_SIZE: u32 = 1 << 20;
/// Default number of ring blocks: 24, so the ring is 24 MiB, Packetbeat's `buffer_size_mb`
/// default in code.
pub const DEFAULT_BLOCK_COUNT: u32 = 24;
/// Default time after which the kernel hands over a block that is not full.
pub const DEFAULT_BLOCK_TIMEOUT_MS: u32 = 50;
/// Default snap length, as in Packetbeat.
pub const DEFAULT_SNAPLEN: u32 = 65535;
/// Largest accepted snap length (libpcap's maximum).
pub const MAX_SNAPLEN: u32 = 262_144;
/// Largest accepted block size.
pub const MAX_BLOCK_SIZE: u32 = 1 << 30;
/// Largest accepted ring size in bytes (4 GiB).
pub const MAX_RING_BYTES: u64 = 1 << 32;
/// Bytes of each block reserved for the block header and one packet's ring headers.
const BLOCK_OVERHEAD: u32 = 256;

/// How to open a live capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureConfig {
    /// Interface name, or `any` (also used when empty) for all interfaces.
    pub device: String,
    /// UDP/TCP ports that carry DNS. When non-empty, the kernel filter passes only traffic to or
    /// from these ports, plus IPv4 fragments and IPv6 packets with extension headers.
    pub dns_ports: Vec<u16>,
    /// Packetbeat's `bpf_filter`, in the subset described in [`crate::filter`]. When set
    /// together with `dns_ports`, a packet must match both.
    pub bpf_filter: Option<String>,
    /// Bytes of each packet to keep.
    pub snaplen: u32,
    /// Ring block size in bytes: a power of two, at least one page.
    pub block_size: u32,
    /// Number of ring blocks.
    pub block_count: u32,
    /// Milliseconds after which the kernel hands over a block that is not full. This bounds
    /// the delay before a packet is visible when traffic is light.
    pub block_timeout_ms: u32,
    /// Puts a named interface into promiscuous mode while the socket is open (Packetbeat's
    /// `auto_promisc_mode`). Ignored for `any`.
    pub promiscuous: bool,
    /// Joins a PACKET_FANOUT group (hash mode with defragmentation), so several sockets in
    /// one group share the traffic by flow.
    pub fanout: Option<Fanout>,
}

/// The PACKET_FANOUT group a socket joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fanout {
    /// A new group with an id the kernel picks among the unused ones (Linux 4.13 or later).
    /// [`crate::LiveCapture::fanout_group`] returns it, for the other members to join.
    NewGroup,
    /// The group with this id. Any socket of any process in the same network namespace that
    /// uses the same id and mode joins the same group.
    Join(u16),
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            device: "any".to_owned(),
            dns_ports: vec![53],
            bpf_filter: None,
            snaplen: DEFAULT_SNAPLEN,
            block_size: DEFAULT_BLOCK_SIZE,
            block_count: DEFAULT_BLOCK_COUNT,
            block_timeout_ms: DEFAULT_BLOCK_TIMEOUT_MS,
            promiscuous: false,
            fanout: None,
        }
    }
}

impl CaptureConfig {
    /// Sets the ring size from Packetbeat's `buffer_size_mb` by choosing the block count
    /// (at least one block).
    pub fn with_buffer_size_mb(mut self, megabytes: u32) -> Self {
        let bytes = u64::from(megabytes) << 20;
        let blocks = (bytes / u64::from(self.block_size.max(1))).max(1);
        self.block_count = u32::try_from(blocks).unwrap_or(u32::MAX);
        self
    }

    /// Returns true when the configuration captures on all interfaces.
    pub fn is_any_device(&self) -> bool {
        self.device.is_empty() || self.device == "any"
    }

    /// Checks ranges and the filter without opening anything.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_SNAPLEN).contains(&self.snaplen) {
            return Err(CaptureError::Config(format!(
                "snaplen {} is outside 1-{MAX_SNAPLEN}",
                self.snaplen
            )));
        }
        if !self.block_size.is_power_of_two() || !(4096..=MAX_BLOCK_SIZE).contains(&self.block_size)
        {
            return Err(CaptureError::Config(format!(
                "block size {} must be a power of two from 4096 to {MAX_BLOCK_SIZE}",
                self.block_size
            )));
        }
        if self.snaplen > self.block_size - BLOCK_OVERHEAD {
            return Err(CaptureError::Config(format!(
                "snaplen {} does not fit in a block of {} bytes; raise the block size",
                self.snaplen, self.block_size
            )));
        }
        let ring_bytes = u64::from(self.block_size) * u64::from(self.block_count);
        if self.block_count == 0 || ring_bytes > MAX_RING_BYTES {
            return Err(CaptureError::Config(format!(
                "{} blocks of {} bytes is outside 1 block to {MAX_RING_BYTES} bytes",
                self.block_count, self.block_size
            )));
        }
        if self.block_timeout_ms == 0 {
            return Err(CaptureError::Config(
                "block timeout must be at least 1 ms".to_owned(),
            ));
        }
        self.filter_expression().map(|_| ())
    }

    /// Builds the expression the kernel filter tests: the user filter and the DNS port filter
    /// combined with `and`, either one alone, or `None` to pass everything.
    pub fn filter_expression(&self) -> Result<Option<Expr>> {
        let user = match self.bpf_filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(source) => Some(filter::parse(source)?),
        };
        let dns = Expr::dns_ports(&self.dns_ports);
        Ok(match (user, dns) {
            (Some(user), Some(dns)) => Some(user.and(dns)),
            (user, dns) => user.or(dns),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert!(CaptureConfig::default().validate().is_ok());
    }

    #[test]
    fn buffer_size_sets_block_count() {
        let config = CaptureConfig::default().with_buffer_size_mb(30);
        assert_eq!(config.block_count, 30);
        let config = CaptureConfig::default().with_buffer_size_mb(0);
        assert_eq!(config.block_count, 1);
    }

    #[test]
    fn bad_geometry_is_error() {
        let config = CaptureConfig {
            block_size: 5000,
            ..CaptureConfig::default()
        };
        assert!(config.validate().is_err());
        let config = CaptureConfig {
            block_size: 65536,
            ..CaptureConfig::default()
        };
        assert!(
            config.validate().is_err(),
            "snaplen 65535 needs a larger block"
        );
    }

    #[test]
    fn filters_are_combined() {
        let config = CaptureConfig {
            bpf_filter: Some("host 10.0.0.1".to_owned()),
            dns_ports: vec![53, 5353],
            ..CaptureConfig::default()
        };
        let expression = config.filter_expression().expect("valid filter");
        assert_eq!(
            expression.expect("filter present").to_string(),
            "(host 10.0.0.1 and (((port 53 or port 5353) or (ipv4 fragment)) or (ipv6 extension header)))"
        );
    }

    #[test]
    fn blank_filter_without_ports_passes_all() {
        let config = CaptureConfig {
            bpf_filter: Some("  ".to_owned()),
            dns_ports: Vec::new(),
            ..CaptureConfig::default()
        };
        assert_eq!(config.filter_expression().expect("valid"), None);
    }
}
