//! dnstel's own log: human-readable lines on standard error.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable that overrides the configured log level with a tracing filter
/// such as `debug` or `dnstel_pairing=trace,info`.
pub const LOG_ENV: &str = "DNSTEL_LOG";

/// Installs the standard-error logger at `level` unless `DNSTEL_LOG` sets a filter.
///
/// An invalid `DNSTEL_LOG` value is reported as a warning, and `level` applies instead.
/// Calling it twice keeps the first logger.
pub fn init(level: &str) {
    let (filter, rejected) = choose_filter(std::env::var(LOG_ENV).ok(), level);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    if let Some((value, error)) = rejected {
        tracing::warn!(
            "ignoring invalid {LOG_ENV} filter {value:?} ({error}), logging at {level}; \
             use a level such as debug or directives such as dnstel_pairing=trace,info"
        );
    }
}

/// Picks the filter from the `DNSTEL_LOG` value if it parses, and otherwise from `level`,
/// returning the rejected value and its parse error alongside.
fn choose_filter(value: Option<String>, level: &str) -> (EnvFilter, Option<(String, String)>) {
    let Some(value) = value.filter(|value| !value.trim().is_empty()) else {
        return (EnvFilter::new(level), None);
    };
    match EnvFilter::try_new(&value) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new(level), Some((value, error.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_filter_uses_level() {
        let (filter, rejected) = choose_filter(None, "warn");
        assert_eq!(filter.to_string(), "warn");
        assert!(rejected.is_none());
    }

    #[test]
    fn valid_filter_wins() {
        let (filter, rejected) = choose_filter(Some("dnstel_pairing=trace,info".into()), "warn");
        assert_eq!(filter.to_string(), "dnstel_pairing=trace,info");
        assert!(rejected.is_none());
    }

    #[test]
    fn invalid_filter_reported() {
        let (filter, rejected) = choose_filter(Some("info,[".into()), "warn");
        assert_eq!(filter.to_string(), "warn");
        let (value, error) = rejected.expect("the invalid value is returned");
        assert_eq!(value, "info,[");
        assert!(!error.is_empty());
    }
}
