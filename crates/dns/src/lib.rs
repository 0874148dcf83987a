//! DNS wire-format parsing for dnstel.
//!
//! [`parse`] reads one DNS message (a UDP payload, or one TCP message without its 2-byte
//! length prefix) into a [`Message`] whose names and record data are already rendered the way
//! Packetbeat 7.17 renders them in its `dns.*` event fields. The parser reads through bounds-checked
//! accessors only, and its work is linear in the message size. Property tests over random and
//! mutated input and a cargo-fuzz target check that it does not panic. Problems after a readable header are
//! reported as [`Anomaly`] values next to whatever could be parsed.
//!
//! This crate does no I/O and no logging.

mod anomaly;
mod civil;
mod edns;
mod message;
mod name;
mod options;
mod parser;
mod presentation;
mod rdata;
mod reader;
mod render;
mod text;
mod types;

pub use anomaly::{Anomaly, MAX_ANOMALIES};
pub use civil::civil_from_days;
pub use edns::{EdnsOption, ExtendedError, Opt, OptionValue};
pub use message::{
    Header, HeaderError, Message, ParseOptions, Question, Record, Section, HEADER_LEN,
};
pub use options::extended_error_purpose;
pub use rdata::{FieldValue, Rdata};
pub use types::{Class, Opcode, Rcode, Rtype};

/// Parses one DNS message.
///
/// Fails only when `bytes` is shorter than the 12-byte header. Any later problem (a cut-off
/// section, a pointer loop, a malformed record) becomes an entry in
/// [`Message::anomalies`], and the message keeps everything parsed before and around it.
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Message, HeaderError> {
    parser::parse_message(bytes, options).map(|message| *message)
}

/// Parses one DNS message as [`parse`] does, into a box. The message is built in the box, so
/// callers that keep it boxed never copy it.
pub fn parse_boxed(bytes: &[u8], options: &ParseOptions) -> Result<Box<Message>, HeaderError> {
    parser::parse_message(bytes, options)
}

/// Runs every parse mode over `bytes` and renders each anomaly text: the entry point shared
/// by the fuzz target and the corpus replay test.
#[doc(hidden)]
pub fn fuzz_parse(bytes: &[u8]) {
    for multicast_class_bit in [false, true] {
        let options = ParseOptions {
            multicast_class_bit,
        };
        if let Ok(message) = parse(bytes, &options) {
            for anomaly in &message.anomalies {
                let _ = anomaly.to_string();
            }
            let _ = message.rcode().to_string();
            let _ = message.header_flags();
        }
    }
}
