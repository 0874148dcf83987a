//! [`EventBuilder`]: turns completed transactions into encoded Packetbeat events.

use dnstel_pairing::Transaction;

use crate::encode::write_event;
use crate::error::ConfigError;
use crate::event::{AssemblyOptions, Event, Skipped};
use crate::options::EventOptions;
use crate::plan::Plan;

/// Builds and encodes events with one set of [`EventOptions`].
///
/// Construction does the per-run work (static fields, processors, host metadata); after that
/// [`EventBuilder::encode`] only reads the transaction. The builder is `Send + Sync`, so
/// workers can share one.
#[derive(Clone, Debug)]
pub struct EventBuilder {
    assembly: AssemblyOptions,
    plan: Plan,
}

impl EventBuilder {
    /// Prepares the encoder: evaluates processors and their conditions, renders the static
    /// fields, and reads host metadata if `add_host_metadata` needs it and `options.host` is
    /// unset.
    pub fn new(options: &EventOptions) -> Result<Self, ConfigError> {
        Ok(EventBuilder {
            assembly: AssemblyOptions {
                send_request: options.send_request,
                send_response: options.send_response,
                include_authorities: options.include_authorities,
                include_additionals: options.include_additionals,
                internal_networks: options.internal_networks.clone(),
                local_ips: options.local_ips.clone(),
                ignore_outgoing: options.ignore_outgoing,
            },
            plan: Plan::build(options)?,
        })
    }

    /// Assembles the typed event of `transaction` without encoding it.
    #[inline]
    pub fn assemble<'a>(&self, transaction: &'a Transaction) -> Result<Event<'a>, Skipped> {
        Event::assemble(transaction, &self.assembly)
    }

    /// Appends `event` to `out` as one compact JSON line ending in `\n`.
    pub fn write(&self, event: &Event<'_>, out: &mut Vec<u8>) {
        write_event(&self.plan, event, out);
    }

    /// Assembles and appends the event of `transaction` to `out`. Returns why nothing was
    /// written when the transaction produces no event (`ignore_outgoing` or no message); the
    /// caller counts those.
    pub fn encode(&self, transaction: &Transaction, out: &mut Vec<u8>) -> Result<(), Skipped> {
        let event = self.assemble(transaction)?;
        self.write(&event, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn builder_is_send_sync() {
        assert_send_sync::<EventBuilder>();
    }
}
