//! Event outputs for dnstel: a rotating file with Packetbeat 7.17 file-output semantics and the
//! console.
//!
//! Every output takes one event already encoded as compact JSON (no trailing newline), applies the
//! JSON codec options (`pretty`, `escape_html`) and writes it followed by `\n`. Write errors are
//! returned to the caller and counted in [`OutputCounters`]; nothing is dropped silently.
//!
//! ```
//! use dnstel_output::{ConsoleOutput, JsonCodec, Output};
//!
//! let mut output = ConsoleOutput::new(Vec::new(), JsonCodec::default());
//! output.write_event(br#"{"type":"dns"}"#)?;
//! output.flush()?;
//! assert_eq!(output.stats().events_written, 1);
//! assert_eq!(output.into_inner()?, b"{\"type\":\"dns\"}\n");
//! # Ok::<(), dnstel_output::OutputError>(())
//! ```

mod buffer;
mod codec;
mod console;
mod counters;
mod error;
mod file;
mod rotation;

pub use codec::JsonCodec;
pub use console::ConsoleOutput;
pub use counters::{OutputCounters, OutputStats};
pub use error::OutputError;
pub use file::{FileOutput, FileOutputOptions};

/// A sink for encoded events.
pub trait Output {
    /// Writes one event given as compact JSON without a trailing newline.
    fn write_event(&mut self, event: &[u8]) -> Result<(), OutputError>;

    /// Writes one event that `encode` appends to the buffer it gets, as compact JSON with or
    /// without a trailing newline. When `encode` returns false it has no event, and this
    /// returns `Ok(false)`.
    ///
    /// The default encodes into `scratch` (cleared first) and calls
    /// [`Output::write_event`]. Outputs that can hand `encode` their own write buffer
    /// instead, which saves one copy of every event.
    fn write_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        write_through_scratch(self, scratch, encode)
    }

    /// Writes one event as [`Output::write_event_with`] does, for an `encode` that appends one
    /// compact JSON object, with or without one `\n` after it, and no other newline byte.
    /// dnstel's event encoder is such a function, and its fuzz target checks that. Outputs that
    /// let `encode` write into their buffer then skip scanning the event for newline bytes.
    /// The default calls [`Output::write_event_with`].
    fn write_compact_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        self.write_event_with(scratch, encode)
    }

    /// Pushes buffered bytes to the operating system.
    fn flush(&mut self) -> Result<(), OutputError>;

    /// Flushes and reopens the destination, for example after an external log rotation
    /// (the usual response to SIGHUP).
    fn reopen(&mut self) -> Result<(), OutputError>;

    /// Returns a snapshot of the output's counters.
    fn stats(&self) -> OutputStats;
}

/// Encodes one event into `scratch` (cleared first) and writes it with
/// [`Output::write_event`]. Returns `Ok(false)` when `encode` has no event.
fn write_through_scratch<O: Output + ?Sized>(
    output: &mut O,
    scratch: &mut Vec<u8>,
    encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
) -> Result<bool, OutputError> {
    scratch.clear();
    if !encode(scratch) {
        return Ok(false);
    }
    output.write_event(scratch).map(|()| true)
}
