//! dnstel's own log: human-readable lines on standard error.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable that overrides the configured log level with a tracing filter
/// such as `debug` or `dnstel_pairing=trace,info`.
pub const LOG_ENV: &str = "DNSTEL_LOG";

/// Installs the standard-error logger at `level` unless `DNSTEL_LOG` sets a filter.
///
/// Calling it twice keeps the first logger.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
