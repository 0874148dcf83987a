//! `dnstel.limits`: caps on every table that traffic can grow. These keys are dnstel's own;
//! Packetbeat has no such section (its tables are unbounded).
//!
//! | key | default | bounds |
//! |---|---|---|
//! | `dnstel.limits.max_transactions` | 100000 | queries waiting for a response |
//! | `dnstel.limits.tcp.max_connections` | 10000 | TCP streams followed at once |
//! | `dnstel.limits.tcp.max_stream_bytes` | 262144 | bytes buffered per stream direction |
//! | `dnstel.limits.tcp.max_total_bytes` | 67108864 | bytes buffered over all streams |
//! | `dnstel.limits.defrag.max_datagrams` | 512 | IP datagrams under reassembly |
//! | `dnstel.limits.defrag.max_fragments` | 64 | fragments per datagram |
//! | `dnstel.limits.defrag.max_bytes` | 4194304 | fragment bytes buffered |
//! | `dnstel.limits.defrag.max_hold` | 1s | time an incomplete datagram is kept |
//!
//! Unset keys are `None`, so the crates that own each table keep their own defaults.

use std::time::Duration;

use crate::reader::{Context, Section};
use crate::ConfigError;

/// Caps set under `dnstel.limits`; `None` keeps the owning crate's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitsConfig {
    /// `max_transactions`: pending queries.
    pub max_transactions: Option<u64>,
    /// `tcp.max_connections`: TCP streams followed at once.
    pub tcp_max_connections: Option<u64>,
    /// `tcp.max_stream_bytes`: bytes buffered per stream direction.
    pub tcp_max_stream_bytes: Option<u64>,
    /// `tcp.max_total_bytes`: bytes buffered over all streams.
    pub tcp_max_total_bytes: Option<u64>,
    /// `defrag.max_datagrams`: datagrams under reassembly.
    pub defrag_max_datagrams: Option<u64>,
    /// `defrag.max_fragments`: fragments per datagram.
    pub defrag_max_fragments: Option<u64>,
    /// `defrag.max_bytes`: fragment bytes buffered.
    pub defrag_max_bytes: Option<u64>,
    /// `defrag.max_hold`: how long an incomplete datagram is kept.
    pub defrag_max_hold: Option<Duration>,
}

/// The largest value any count or byte limit accepts (1 TiB), which keeps conversions safe.
const MAX_LIMIT: i64 = 1 << 40;

/// Reads the `dnstel` section.
pub(crate) fn read(mut dnstel: Section<'_>, cx: &mut Context) -> Result<LimitsConfig, ConfigError> {
    let mut limits = dnstel.section("limits", cx)?;
    let mut tcp = limits.section("tcp", cx)?;
    let mut defrag = limits.section("defrag", cx)?;
    let positive = |section: &mut Section<'_>, key: &'static str, cx: &Context| {
        section
            .int(key, 1, MAX_LIMIT, cx)
            .map(|value| value.map(|number| number as u64))
    };
    let config = LimitsConfig {
        max_transactions: None,
        tcp_max_connections: positive(&mut tcp, "max_connections", cx)?,
        tcp_max_stream_bytes: positive(&mut tcp, "max_stream_bytes", cx)?,
        tcp_max_total_bytes: positive(&mut tcp, "max_total_bytes", cx)?,
        defrag_max_datagrams: positive(&mut defrag, "max_datagrams", cx)?,
        defrag_max_fragments: positive(&mut defrag, "max_fragments", cx)?,
        defrag_max_bytes: positive(&mut defrag, "max_bytes", cx)?,
        defrag_max_hold: defrag.duration("max_hold", cx)?,
    };
    tcp.finish(&[], cx)?;
    defrag.finish(&[], cx)?;
    let max_transactions = positive(&mut limits, "max_transactions", cx)?;
    limits.finish(&[], cx)?;
    dnstel.finish(&[], cx)?;
    Ok(LimitsConfig {
        max_transactions,
        ..config
    })
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use std::time::Duration;

    #[test]
    fn limits_load_from_dotted_and_nested_keys() {
        let text = "dnstel.limits.max_transactions: 5000\n\
                    dnstel.limits.tcp:\n  max_connections: 10\n\
                    dnstel:\n  limits:\n    defrag:\n      max_hold: 2s\n      max_datagrams: 8\n";
        let config = Config::from_yaml(text, "test.yml").expect("valid limits");
        assert_eq!(config.limits.max_transactions, Some(5000));
        assert_eq!(config.limits.tcp_max_connections, Some(10));
        assert_eq!(config.limits.defrag_max_datagrams, Some(8));
        assert_eq!(config.limits.defrag_max_hold, Some(Duration::from_secs(2)));
        assert_eq!(config.limits.tcp_max_total_bytes, None);
    }

    #[test]
    fn limits_reject_typos_and_zero() {
        let typo = Config::from_yaml("dnstel.limits.max_transaction: 5\n", "test.yml")
            .expect_err("typo must fail");
        assert!(typo.to_string().contains("max_transaction"), "{typo}");
        let zero = Config::from_yaml("dnstel.limits.tcp.max_connections: 0\n", "test.yml")
            .expect_err("zero must fail");
        assert!(zero.to_string().contains("max_connections"), "{zero}");
    }

    #[test]
    fn builtin_sets_no_limits() {
        assert_eq!(Config::builtin().limits, super::LimitsConfig::default());
    }
}
