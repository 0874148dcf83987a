//! IPv4 and IPv6 fragment reassembly with bounded memory.
//!
//! A [`Defragmenter`] collects [`IpFragment`]s per datagram (keyed by addresses, identification
//! and, for IPv4, protocol) and returns each datagram once every byte has arrived. Time comes
//! only from the packet timestamps passed in, so replayed captures reassemble the same way at
//! any speed.
//!
//! Overlap policy: fragments may overlap if the overlapping bytes are identical, as with
//! retransmitted or re-fragmented copies. Such a fragment is merged, or counted as a duplicate
//! when it adds nothing. An overlap with different bytes, or a second last fragment that
//! disagrees on the datagram length, drops the whole datagram. Hosts resolve such overlaps
//! differently (some keep the first copy, some the last), so a passive observer cannot know which
//! bytes the receiver used. Dropping and counting is the only policy that cannot be evaded.
//! RFC 5722 is stricter for IPv6 and discards any overlap; identical overlaps are accepted here
//! for both versions because every receiver reads the same bytes from them.

mod datagram;

use crate::{decode_transport, VlanTags};
use crate::{DecodeError, Decoded, IpFragment, IpHeader, IpVersion, Timestamp, Transport};
use datagram::{AddOutcome, PendingDatagram, MAX_DATAGRAM_PAYLOAD};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;

/// Limits of a [`Defragmenter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragConfig {
    /// How long after its first fragment an incomplete datagram is kept. Default 1 second.
    pub max_hold: Duration,
    /// Fragments accepted per datagram before it is dropped. Default 64.
    pub max_fragments: u32,
    /// Datagrams under reassembly at once; the oldest is dropped to make room. Default 512.
    pub max_datagrams: usize,
    /// Payload bytes buffered over all datagrams; the oldest are dropped to make room.
    /// Default 4 MiB (64 maximum-size datagrams).
    pub max_buffered_bytes: usize,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_hold: Duration::from_secs(1),
            max_fragments: 64,
            max_datagrams: 512,
            max_buffered_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Counters of a [`Defragmenter`]. Every fragment that does not end up in a returned datagram
/// is counted in exactly one of the `*_fragments` counters or in `fragments_discarded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DefragStats {
    /// Fragments passed to [`Defragmenter::insert`].
    pub fragments_received: u64,
    /// Datagrams completed and returned.
    pub datagrams_reassembled: u64,
    /// Fragments whose bytes were all present already (ignored).
    pub duplicate_fragments: u64,
    /// Fragments rejected because the capture cut them short.
    pub truncated_fragments: u64,
    /// Fragments rejected as invalid: empty, or a non-last fragment whose length is not a
    /// multiple of 8.
    pub invalid_fragments: u64,
    /// Fragments rejected because they reach past 65535 payload bytes (the datagram is dropped).
    pub oversized_fragments: u64,
    /// Datagrams dropped because a fragment contradicted bytes or the length already seen.
    pub inconsistent_datagrams: u64,
    /// Datagrams dropped for exceeding [`DefragConfig::max_fragments`].
    pub too_many_fragments_datagrams: u64,
    /// Incomplete datagrams dropped after [`DefragConfig::max_hold`].
    pub expired_datagrams: u64,
    /// Datagrams dropped to stay within [`DefragConfig::max_datagrams`].
    pub evicted_for_count: u64,
    /// Datagrams dropped to stay within [`DefragConfig::max_buffered_bytes`].
    pub evicted_for_bytes: u64,
    /// Incomplete datagrams still waiting for fragments when the input ended or the capture
    /// stopped, dropped by [`Defragmenter::discard_pending`].
    pub incomplete_at_end: u64,
    /// Fragments that had been buffered and were thrown away with a dropped datagram, including
    /// the fragment that caused the drop.
    pub fragments_discarded: u64,
}

/// A reassembled IP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// The IP header of the first fragment, with `total_length` set to the reassembled size.
    pub ip: IpHeader,
    /// VLAN tags of the first fragment.
    pub vlans: VlanTags,
    /// Timestamp of the first fragment received.
    pub first_seen: Timestamp,
    /// Number of fragments the datagram was built from.
    pub fragments: u32,
    /// The IP payload: for IPv6 it starts with the header named by `ip.protocol`, which may be
    /// another extension header.
    pub payload: Vec<u8>,
}

impl Reassembled {
    /// Decodes the UDP or TCP header of the reassembled payload.
    pub fn transport(&self) -> Result<Transport<'_>, DecodeError> {
        decode_transport(self.ip.version, self.ip.protocol, &self.payload)
    }
}

/// Identifies the datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DatagramKey {
    source: IpAddr,
    destination: IpAddr,
    identification: u32,
    /// The IPv4 protocol; 0 for IPv6, whose key is addresses and identification only.
    protocol: u8,
}

/// Reassembles IPv4 and IPv6 fragments within the limits of a [`DefragConfig`].
#[derive(Debug, Default)]
pub struct Defragmenter {
    config: DefragConfig,
    pending: HashMap<DatagramKey, PendingDatagram>,
    /// The keys of `pending` ordered by first fragment time, then creation, so expiry and
    /// eviction find the oldest datagram without scanning the table.
    by_age: BTreeMap<(Timestamp, u64), DatagramKey>,
    created: u64,
    buffered_bytes: usize,
    stats: DefragStats,
}

impl Defragmenter {
    /// Creates a defragmenter with the given limits.
    pub fn new(config: DefragConfig) -> Self {
        Defragmenter {
            config,
            ..Defragmenter::default()
        }
    }

    /// Returns the counters so far.
    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Number of datagrams under reassembly.
    pub fn pending_datagrams(&self) -> usize {
        self.pending.len()
    }

    /// Fragments held in datagrams under reassembly.
    pub fn pending_fragments(&self) -> u64 {
        self.pending
            .values()
            .map(|datagram| u64::from(datagram.fragments))
            .sum()
    }

    /// Payload bytes currently buffered.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Adds the fragment of a decoded packet; returns `None` for packets that are not fragments.
    pub fn insert_decoded(
        &mut self,
        timestamp: Timestamp,
        decoded: &Decoded<'_>,
    ) -> Option<Reassembled> {
        match &decoded.transport {
            Transport::Fragment(fragment) => {
                self.insert(timestamp, &decoded.ip, decoded.vlans, fragment)
            }
            _ => None,
        }
    }

    /// Adds one fragment seen at `timestamp`; returns the datagram when it is complete.
    ///
    /// Datagrams older than [`DefragConfig::max_hold`] at `timestamp` are expired first.
    pub fn insert(
        &mut self,
        timestamp: Timestamp,
        ip: &IpHeader,
        vlans: VlanTags,
        fragment: &IpFragment<'_>,
    ) -> Option<Reassembled> {
        self.stats.fragments_received += 1;
        self.expire(timestamp);
        if !self.fragment_is_acceptable(ip, fragment) {
            return None;
        }
        let key = DatagramKey {
            source: ip.source,
            destination: ip.destination,
            identification: fragment.identification,
            protocol: match ip.version {
                IpVersion::V4 => ip.protocol,
                IpVersion::V6 => 0,
            },
        };
        let stop = fragment
            .offset
            .saturating_add(fragment.payload.len() as u32);
        if stop > MAX_DATAGRAM_PAYLOAD {
            let held = self.remove(&key).map_or(0, |datagram| datagram.fragments);
            self.stats.oversized_fragments += 1;
            self.stats.fragments_discarded += u64::from(held);
            return None;
        }
        if !self.make_room(&key, stop) {
            return None;
        }
        self.add_to_datagram(key, timestamp, ip, vlans, fragment)
    }

    /// Rejects fragments that cannot be used, counting each.
    fn fragment_is_acceptable(&mut self, ip: &IpHeader, fragment: &IpFragment<'_>) -> bool {
        if ip.truncated {
            self.stats.truncated_fragments += 1;
            return false;
        }
        let length = fragment.payload.len();
        if length == 0 || (fragment.more_fragments && length % 8 != 0) {
            self.stats.invalid_fragments += 1;
            return false;
        }
        true
    }

    /// Evicts old datagrams until a fragment ending at `stop` fits in the count and byte limits.
    ///
    /// Returns `false` (and counts) when the fragment cannot fit even with every other datagram
    /// gone; its own datagram is then dropped too.
    fn make_room(&mut self, key: &DatagramKey, stop: u32) -> bool {
        let growth = match self.pending.get(key) {
            Some(datagram) => datagram.growth_for(stop),
            None => {
                while self.pending.len() >= self.config.max_datagrams.max(1) {
                    if !self.evict_oldest(key, Eviction::Count) {
                        break;
                    }
                }
                stop as usize
            }
        };
        while self.buffered_bytes + growth > self.config.max_buffered_bytes {
            if !self.evict_oldest(key, Eviction::Bytes) {
                let held = self.remove(key).map_or(0, |datagram| datagram.fragments);
                self.stats.evicted_for_bytes += 1;
                self.stats.fragments_discarded += u64::from(held) + 1;
                return false;
            }
        }
        true
    }

    /// Stores the fragment in its datagram and returns the datagram if it is now complete.
    fn add_to_datagram(
        &mut self,
        key: DatagramKey,
        timestamp: Timestamp,
        ip: &IpHeader,
        vlans: VlanTags,
        fragment: &IpFragment<'_>,
    ) -> Option<Reassembled> {
        let datagram = self.pending.entry(key).or_insert_with(|| {
            let mut datagram = PendingDatagram::new(timestamp, *ip, vlans);
            datagram.sequence = self.created;
            self.created += 1;
            self.by_age.insert((timestamp, datagram.sequence), key);
            datagram
        });
        if fragment.offset == 0 && !datagram.has_first {
            datagram.ip = *ip;
            datagram.vlans = vlans;
            datagram.has_first = true;
        }
        let length_before = datagram.data.len();
        let outcome = datagram.add(fragment.offset, fragment.payload, !fragment.more_fragments);
        self.buffered_bytes += datagram.data.len() - length_before;
        let fragments = datagram.fragments;
        let complete = datagram.is_complete();

        match outcome {
            AddOutcome::Duplicate => {
                self.stats.duplicate_fragments += 1;
                None
            }
            AddOutcome::Inconsistent => {
                self.remove(&key);
                self.stats.inconsistent_datagrams += 1;
                self.stats.fragments_discarded += u64::from(fragments) + 1;
                None
            }
            AddOutcome::Added if fragments > self.config.max_fragments => {
                self.remove(&key);
                self.stats.too_many_fragments_datagrams += 1;
                self.stats.fragments_discarded += u64::from(fragments);
                None
            }
            AddOutcome::Added if complete => self.remove(&key).map(|datagram| {
                self.stats.datagrams_reassembled += 1;
                finish(datagram)
            }),
            AddOutcome::Added => None,
        }
    }

    /// Drops every datagram whose first fragment is older than [`DefragConfig::max_hold`] at
    /// `now`. [`Defragmenter::insert`] calls this; call it directly when packets stop arriving.
    pub fn expire(&mut self, now: Timestamp) {
        let hold = self.hold_nanos();
        while let Some((&(first_seen, _), &key)) = self.by_age.first_key_value() {
            if now.0 <= first_seen.0.saturating_add(hold) {
                break;
            }
            if let Some(datagram) = self.remove(&key) {
                self.stats.expired_datagrams += 1;
                self.stats.fragments_discarded += u64::from(datagram.fragments);
            }
        }
    }

    /// Drops every incomplete datagram, at the end of the input or at a stop, and counts it.
    pub fn discard_pending(&mut self) {
        let keys: Vec<DatagramKey> = self.by_age.values().copied().collect();
        for key in keys {
            if let Some(datagram) = self.remove(&key) {
                self.stats.incomplete_at_end += 1;
                self.stats.fragments_discarded += u64::from(datagram.fragments);
            }
        }
    }

    /// Drops the oldest datagram other than `keep`; returns `false` if there is none.
    fn evict_oldest(&mut self, keep: &DatagramKey, reason: Eviction) -> bool {
        let oldest = self.by_age.values().find(|key| *key != keep).copied();
        let Some(datagram) = oldest.and_then(|key| self.remove(&key)) else {
            return false;
        };
        match reason {
            Eviction::Count => self.stats.evicted_for_count += 1,
            Eviction::Bytes => self.stats.evicted_for_bytes += 1,
        }
        self.stats.fragments_discarded += u64::from(datagram.fragments);
        true
    }

    /// Removes a datagram and releases its bytes from the buffered total.
    fn remove(&mut self, key: &DatagramKey) -> Option<PendingDatagram> {
        let datagram = self.pending.remove(key)?;
        self.by_age
            .remove(&(datagram.first_seen, datagram.sequence));
        self.buffered_bytes -= datagram.data.len();
        Some(datagram)
    }

    fn hold_nanos(&self) -> i64 {
        i64::try_from(self.config.max_hold.as_nanos()).unwrap_or(i64::MAX)
    }
}

/// The limit an eviction enforces.
#[derive(Debug, Clone, Copy)]
enum Eviction {
    Count,
    Bytes,
}

fn finish(datagram: PendingDatagram) -> Reassembled {
    let mut ip = datagram.ip;
    ip.total_length = ip.header_length.saturating_add(datagram.data.len() as u32);
    ip.truncated = false;
    Reassembled {
        ip,
        vlans: datagram.vlans,
        first_seen: datagram.first_seen,
        fragments: datagram.fragments,
        payload: datagram.data,
    }
}

#[cfg(test)]
mod tests;
