//! The console output: events on standard output (Beats `output.console`, or `-o -`).

use std::io::{self, Stdout, Write};
use std::sync::Arc;

use crate::buffer::{EventCheck, LineBuffer};
use crate::codec::Line;
use crate::{JsonCodec, Output, OutputCounters, OutputError, OutputStats};

/// Writes newline-terminated events to standard output or any other writer.
#[derive(Debug)]
pub struct ConsoleOutput<W: Write = Stdout> {
    writer: W,
    buffer: LineBuffer,
    codec: JsonCodec,
    encoded: Vec<u8>,
    counters: Arc<OutputCounters>,
}

impl ConsoleOutput<Stdout> {
    /// Returns an output to the process's standard output.
    pub fn stdout(codec: JsonCodec) -> Self {
        ConsoleOutput::new(io::stdout(), codec)
    }
}

impl<W: Write> ConsoleOutput<W> {
    /// Returns an output to `writer`, buffered.
    pub fn new(writer: W, codec: JsonCodec) -> Self {
        ConsoleOutput {
            writer,
            buffer: LineBuffer::default(),
            codec,
            encoded: Vec::new(),
            counters: Arc::new(OutputCounters::default()),
        }
    }

    /// Returns the live counters, for a metrics reader on another thread.
    pub fn counters(&self) -> Arc<OutputCounters> {
        Arc::clone(&self.counters)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> Result<W, OutputError> {
        self.flush_buffer()?;
        Ok(self.writer)
    }

    fn write_encoded(&mut self, event: &[u8]) -> Result<(), OutputError> {
        self.encoded.clear();
        let line = self.codec.line(event, &mut self.encoded)?;
        let len = match line {
            Line::Unchanged(line) => line.len() + 1,
            Line::Appended => self.encoded.len(),
        };
        if self.buffer.would_overflow(len) {
            self.flush_buffer()?;
        }
        match line {
            Line::Unchanged(line) => self.buffer.push_line(line),
            Line::Appended => self.buffer.push(&self.encoded),
        }
        self.counters.add_event(len);
        if self.buffer.is_full() {
            self.flush_buffer()?;
        }
        Ok(())
    }

    fn flush_buffer(&mut self) -> Result<(), OutputError> {
        self.buffer
            .flush_to(&mut self.writer, &self.counters)
            .and_then(|()| self.writer.flush())
            .map_err(OutputError::Console)
    }

    /// Encodes straight into the write buffer when the codec leaves events unchanged
    /// (compact, no HTML escaping), and through `scratch` otherwise.
    fn write_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
        check: EventCheck,
    ) -> Result<bool, OutputError> {
        if self.codec != JsonCodec::default() {
            return crate::write_through_scratch(self, scratch, encode);
        }
        let appended = self.buffer.append_with(encode, check);
        let result = appended.and_then(|len| match len {
            Some(len) => {
                self.counters.add_event(len);
                if self.buffer.is_full() {
                    self.flush_buffer()?;
                }
                Ok(true)
            }
            None => Ok(false),
        });
        self.count_error(result)
    }

    fn count_error<T>(&self, result: Result<T, OutputError>) -> Result<T, OutputError> {
        if result.is_err() {
            self.counters.add_write_error();
        }
        result
    }
}

impl<W: Write> Output for ConsoleOutput<W> {
    fn write_event(&mut self, event: &[u8]) -> Result<(), OutputError> {
        let result = self.write_encoded(event);
        self.count_error(result)
    }

    fn write_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        self.write_with(scratch, encode, EventCheck::Full)
    }

    fn write_compact_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        self.write_with(scratch, encode, EventCheck::Trusted)
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        let result = self.flush_buffer();
        self.count_error(result)
    }

    /// Flushes only, because standard output has nothing to reopen.
    fn reopen(&mut self) -> Result<(), OutputError> {
        self.flush()
    }

    fn stats(&self) -> OutputStats {
        self.counters.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_writes_lines() {
        let mut output = ConsoleOutput::new(Vec::new(), JsonCodec::default());
        output.write_event(br#"{"a":1}"#).expect("valid event");
        output.write_event(br#"{"b":2}"#).expect("valid event");
        let stats = output.stats();
        let bytes = output.into_inner().expect("Vec writer cannot fail");
        assert_eq!(bytes, b"{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(stats.events_written, 2);
        assert_eq!(stats.bytes_written, 16);
    }

    #[test]
    fn console_counts_invalid_event() {
        let mut output = ConsoleOutput::new(Vec::new(), JsonCodec::default());
        assert!(output.write_event(b"").is_err());
        assert_eq!(output.stats().write_errors, 1);
        assert_eq!(output.stats().events_written, 0);
    }

    #[test]
    fn console_pretty_event() {
        let codec = JsonCodec {
            pretty: true,
            escape_html: false,
        };
        let mut output = ConsoleOutput::new(Vec::new(), codec);
        output.write_event(br#"{"a":1}"#).expect("valid event");
        let bytes = output.into_inner().expect("Vec writer cannot fail");
        assert_eq!(bytes, b"{\n  \"a\": 1\n}\n");
    }

    fn encode_event(event: &'static [u8]) -> impl FnMut(&mut Vec<u8>) -> bool {
        move |out: &mut Vec<u8>| {
            out.extend_from_slice(event);
            true
        }
    }

    #[test]
    fn encode_with_writes_lines() {
        // The full and the compact entry points behave alike on compact events.
        for compact in [false, true] {
            let mut output = ConsoleOutput::new(Vec::new(), JsonCodec::default());
            let mut scratch = Vec::new();
            let mut write =
                |output: &mut ConsoleOutput<Vec<u8>>,
                 encode: &mut dyn FnMut(&mut Vec<u8>) -> bool| match compact {
                    true => output.write_compact_event_with(&mut scratch, encode),
                    false => output.write_event_with(&mut scratch, encode),
                };
            let written = write(&mut output, &mut encode_event(b"{\"a\":1}\n"));
            assert!(written.expect("valid event"), "compact: {compact}");
            let written = write(&mut output, &mut encode_event(b"{\"b\":2}"));
            assert!(written.expect("valid event"), "compact: {compact}");
            let skipped = write(&mut output, &mut |out| {
                out.extend_from_slice(b"partial");
                false
            });
            assert!(!skipped.expect("nothing to write"), "compact: {compact}");
            let stats = output.stats();
            let bytes = output.into_inner().expect("Vec writer cannot fail");
            assert_eq!(bytes, b"{\"a\":1}\n{\"b\":2}\n", "compact: {compact}");
            assert_eq!(stats.events_written, 2, "compact: {compact}");
            assert_eq!(stats.bytes_written, 16, "compact: {compact}");
        }
    }

    #[test]
    fn compact_encode_with_pretty_codec() {
        let codec = JsonCodec {
            pretty: true,
            escape_html: false,
        };
        let mut output = ConsoleOutput::new(Vec::new(), codec);
        let mut scratch = Vec::new();
        let written =
            output.write_compact_event_with(&mut scratch, &mut encode_event(b"{\"a\":1}\n"));
        assert!(written.expect("valid event"));
        let bytes = output.into_inner().expect("Vec writer cannot fail");
        assert_eq!(bytes, b"{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn encode_with_rejects_inner_newline() {
        let mut output = ConsoleOutput::new(Vec::new(), JsonCodec::default());
        let mut scratch = Vec::new();
        let result = output.write_event_with(&mut scratch, &mut encode_event(b"{\"a\":\n1}"));
        assert!(matches!(result, Err(OutputError::InvalidEvent(_))));
        let stats = output.stats();
        assert_eq!(stats.write_errors, 1);
        assert_eq!(stats.events_written, 0);
        let bytes = output.into_inner().expect("Vec writer cannot fail");
        assert!(bytes.is_empty());
    }

    #[test]
    fn encode_with_pretty_codec() {
        let codec = JsonCodec {
            pretty: true,
            escape_html: false,
        };
        let mut output = ConsoleOutput::new(Vec::new(), codec);
        let mut scratch = Vec::new();
        let written = output.write_event_with(&mut scratch, &mut encode_event(b"{\"a\":1}"));
        assert!(written.expect("valid event"));
        let bytes = output.into_inner().expect("Vec writer cannot fail");
        assert_eq!(bytes, b"{\n  \"a\": 1\n}\n");
    }

    struct BrokenPipe;

    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }

        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn console_counts_write_failure() {
        let mut output = ConsoleOutput::new(BrokenPipe, JsonCodec::default());
        output
            .write_event(br#"{"a":1}"#)
            .expect("buffered write succeeds");
        let error = output.flush().expect_err("broken pipe fails");
        assert!(matches!(error, OutputError::Console(_)), "{error:?}");
        assert_eq!(output.stats().write_errors, 1);
        assert_eq!(output.stats().lost_events, 1);
    }
}
