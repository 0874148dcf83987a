//! [`EncodedBatch`]: events encoded on a worker thread, back to back in one buffer, on their way
//! to the thread that writes them.

use dnstel_event::{EventBuilder, Skipped};
use dnstel_pairing::Transaction;

/// The encoded events of a run of transactions.
#[derive(Debug, Default)]
pub struct EncodedBatch {
    /// Events as compact JSON, one after the other, without newlines.
    pub bytes: Vec<u8>,
    /// End offset in `bytes` of each event.
    pub ends: Vec<usize>,
    /// Transactions skipped by `ignore_outgoing`.
    pub ignored_outgoing: u64,
    /// Transactions with neither a query nor a response.
    pub empty: u64,
}

impl EncodedBatch {
    /// Empties the batch and keeps its buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.ignored_outgoing = 0;
        self.empty = 0;
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns true when the batch contains no event and counted no skipped transaction.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.ignored_outgoing == 0 && self.empty == 0
    }

    /// Returns event `index` (oldest first).
    pub fn event(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.bytes[start..self.ends[index]]
    }

    /// Iterates over the events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|index| self.event(index))
    }

    /// Encodes `transaction` and appends its event, or counts why it has none. Returns true
    /// when an event was appended.
    pub fn encode(&mut self, builder: &EventBuilder, transaction: &Transaction) -> bool {
        // `encode` appends a whole line or nothing. The newline is cut, so `bytes` contains the
        // events back to back.
        match builder.encode(transaction, &mut self.bytes) {
            Ok(()) => {
                if self.bytes.last() == Some(&b'\n') {
                    self.bytes.pop();
                }
                self.ends.push(self.bytes.len());
                true
            }
            Err(Skipped::IgnoredOutgoing) => {
                self.ignored_outgoing += 1;
                false
            }
            Err(Skipped::NoMessage) => {
                self.empty += 1;
                false
            }
        }
    }
}
