//! The queue of completed transactions and the iterator that empties it.

use crate::pairing::Pairing;
use crate::pending::PendingQuery;
use crate::transaction::Transaction;

/// A completed transaction waiting in the output queue.
#[derive(Debug)]
pub(crate) enum Completed {
    /// A transaction with a response, or a response alone. Boxed so the queue stays small when
    /// a flush fills it with closed queries.
    Transaction(Box<Transaction>),
    /// A query closed without a response, still in its stored form, with the note that closed
    /// it.
    Query {
        query: Box<PendingQuery>,
        note: Option<&'static str>,
    },
}

/// Iterator over the completed transactions of a [`Pairing`], returned by
/// [`Pairing::drain`]. A closed query stored as wire bytes is parsed as the iterator reaches it.
/// Dropping the iterator discards the transactions it has not returned yet.
#[derive(Debug)]
pub struct Drain<'a> {
    pairing: &'a mut Pairing,
}

impl<'a> Drain<'a> {
    pub(crate) fn new(pairing: &'a mut Pairing) -> Self {
        Drain { pairing }
    }

    /// Removes and returns the next transaction as [`Iterator::next`] does, but in the box it
    /// waited in, which saves moving it (a transaction takes 528 bytes on x86-64).
    pub fn next_boxed(&mut self) -> Option<Box<Transaction>> {
        let transaction = match self.pairing.output.pop_front()? {
            Completed::Transaction(transaction) => transaction,
            Completed::Query { query, note } => {
                let mut transaction = query.into_transaction(&self.pairing.config);
                if let Some(note) = note {
                    transaction.add_note(note);
                }
                transaction
            }
        };
        Some(transaction)
    }
}

impl Iterator for Drain<'_> {
    type Item = Transaction;

    fn next(&mut self) -> Option<Transaction> {
        self.next_boxed().map(|transaction| *transaction)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.pairing.output.len();
        (len, Some(len))
    }
}

impl ExactSizeIterator for Drain<'_> {}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        self.pairing.output.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn queue_entry_stays_small() {
        assert!(std::mem::size_of::<Completed>() <= 24);
    }

    /// Returns a pairing with three unanswered queries in its output queue.
    fn flushed_pairing() -> Pairing {
        let mut pairing = pairing();
        for id in 0..3 {
            let query = Wire::query(id);
            send_udp(&mut pairing, 0, "192.0.2.10:40000", "192.0.2.53:53", &query);
        }
        pairing.flush_all();
        pairing
    }

    #[test]
    fn drain_reports_exact_length() {
        let mut pairing = flushed_pairing();
        let mut drain = pairing.drain();
        assert_eq!(drain.len(), 3);
        assert!(drain.next().is_some());
        assert_eq!(drain.len(), 2);
    }

    #[test]
    fn boxed_and_moved_drains_agree() {
        let mut boxed = flushed_pairing();
        let mut moved = flushed_pairing();
        let mut drain = boxed.drain();
        let mut from_boxes = Vec::new();
        while let Some(transaction) = drain.next_boxed() {
            from_boxes.push(*transaction);
        }
        let from_iterator: Vec<Transaction> = moved.drain().collect();
        assert_eq!(from_boxes.len(), 3);
        assert_eq!(from_boxes, from_iterator);
    }

    #[test]
    fn dropped_drain_discards_rest() {
        let mut pairing = flushed_pairing();
        assert!(pairing.drain().next().is_some());
        assert_eq!(pairing.drain().count(), 0);
    }
}
