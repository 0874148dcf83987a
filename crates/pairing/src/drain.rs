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
    /// A query closed without a response, still in its wire form, with the note that closed it.
    Query {
        query: Box<PendingQuery>,
        note: Option<&'static str>,
    },
}

/// Iterator over the completed transactions of a [`Pairing`], returned by
/// [`Pairing::drain`]. Each closed query is parsed as the iterator reaches it. Dropping the
/// iterator discards the transactions it has not returned yet.
#[derive(Debug)]
pub struct Drain<'a> {
    pairing: &'a mut Pairing,
}

impl<'a> Drain<'a> {
    pub(crate) fn new(pairing: &'a mut Pairing) -> Self {
        Drain { pairing }
    }
}

impl Iterator for Drain<'_> {
    type Item = Transaction;

    fn next(&mut self) -> Option<Transaction> {
        let transaction = match self.pairing.output.pop_front()? {
            Completed::Transaction(transaction) => *transaction,
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
