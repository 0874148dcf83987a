//! Exit codes and the final error report.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | runtime error (I/O, capture, output) |
//! | 2 | usage error (invalid command-line arguments; clap exits with it) |
//! | 3 | configuration error (invalid config file, rule file or decoder file) |

use std::fmt;
use std::process::ExitCode;

/// The process exit status classes that dnstel documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Runtime failure: I/O, capture or output errors.
    Runtime = 1,
    /// Invalid command-line usage.
    Usage = 2,
    /// Invalid configuration, rule or decoder file.
    Config = 3,
}

/// An error that carries the exit status it should end the process with.
#[derive(Debug)]
pub struct StatusError {
    /// The exit status class.
    pub status: ExitStatus,
    /// The underlying error with its context chain.
    pub error: anyhow::Error,
}

impl fmt::Display for StatusError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&describe(&self.error))
    }
}

impl std::error::Error for StatusError {}

/// Wraps an error so that the process exits with the configuration-error status.
pub fn config_error(error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(StatusError {
        status: ExitStatus::Config,
        error: error.into(),
    })
}

/// Wraps an error so that the process exits with the usage-error status.
pub fn usage_error(error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(StatusError {
        status: ExitStatus::Usage,
        error: error.into(),
    })
}

/// Prints the error chain, if any, and converts the result into the process exit code.
/// `writes_standard_output` is true for commands that print their results there, where a
/// broken pipe means the reader closed it. For other commands every broken pipe is an error,
/// such as a named pipe used as an alert file whose reader went away.
pub fn report(result: anyhow::Result<()>, writes_standard_output: bool) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    if writes_standard_output && is_closed_standard_output(&error) {
        return ExitCode::SUCCESS;
    }
    let status = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<StatusError>())
        .map_or(ExitStatus::Runtime, |status_error| status_error.status);
    eprintln!("dnstel: error: {}", describe(&error));
    ExitCode::from(status as u8)
}

/// Joins the messages of the error chain with ": ", leaving out a cause whose text the
/// message before it already ends with. Many error types print their source in their own
/// message, so the plain chain would repeat it.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.is_empty() {
            text = message;
        } else if !message.is_empty() && !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
    }
    text
}

/// Returns whether the error is a broken pipe on standard output, as when a reader such as
/// `head` has seen enough: a normal end. A broken pipe on a configured event file (a FIFO
/// whose reader went away) is a write error like any other, and events are lost.
fn is_closed_standard_output(error: &anyhow::Error) -> bool {
    let on_event_file = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<dnstel_output::OutputError>(),
            Some(dnstel_output::OutputError::Io { .. })
        )
    });
    !on_event_file
        && error.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that prints its source in its own message, as many error types do.
    #[derive(Debug)]
    struct ReadFailed {
        source: std::io::Error,
    }

    impl std::fmt::Display for ReadFailed {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(formatter, "failed to read rules.xml: {}", self.source)
        }
    }

    impl std::error::Error for ReadFailed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn repeated_cause_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "not found");
        let error = anyhow::Error::new(ReadFailed { source: io }).context("loading the ruleset");
        assert_eq!(
            describe(&error),
            "loading the ruleset: failed to read rules.xml: not found"
        );
    }

    #[test]
    fn broken_pipe_on_file_is_failure() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let console = anyhow::Error::new(dnstel_output::OutputError::Console(pipe()));
        assert!(is_closed_standard_output(&console));
        let file = anyhow::Error::new(dnstel_output::OutputError::Io {
            operation: "failed to write to",
            path: "/var/log/packetbeat/packetbeat".into(),
            source: pipe(),
        })
        .context("failed to write an event");
        assert!(!is_closed_standard_output(&file));
        let status = report(Err(file), true);
        assert_eq!(format!("{status:?}"), format!("{:?}", ExitCode::from(1)));
    }

    #[test]
    fn broken_pipe_fails_commands_without_standard_output() {
        let alerts = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("failed to write an alert");
        let status = report(Err(alerts), false);
        assert_eq!(format!("{status:?}"), format!("{:?}", ExitCode::from(1)));
    }

    #[test]
    fn distinct_causes_all_printed() {
        let error = anyhow::anyhow!("inner problem").context("outer step");
        assert_eq!(describe(&error), "outer step: inner problem");
    }
}
