//! One datagram under reassembly: its bytes so far and which ranges are filled.

use crate::{IpHeader, Timestamp, VlanTags};

/// The largest reassembled IP payload accepted: the 16-bit IPv4 total length and IPv6 payload
/// length cannot describe more.
pub(crate) const MAX_DATAGRAM_PAYLOAD: u32 = 65_535;

/// The result of adding a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddOutcome {
    /// New bytes were stored.
    Added,
    /// Every byte was already present with the same value; nothing changed.
    Duplicate,
    /// The fragment contradicts bytes or an end already seen.
    Inconsistent,
}

/// A datagram being reassembled.
#[derive(Debug)]
pub(crate) struct PendingDatagram {
    /// Timestamp of the first fragment seen; expiry counts from here.
    pub(crate) first_seen: Timestamp,
    /// Creation number, which orders datagrams with equal `first_seen` in the age index.
    pub(crate) sequence: u64,
    /// The IP header of the offset-0 fragment, or of the first fragment until that arrives.
    pub(crate) ip: IpHeader,
    /// VLAN tags of the fragment `ip` came from.
    pub(crate) vlans: VlanTags,
    /// Whether `ip` comes from the offset-0 fragment.
    pub(crate) has_first: bool,
    /// Fragments accepted (duplicates not included).
    pub(crate) fragments: u32,
    /// Payload bytes; ranges not yet received are zero.
    pub(crate) data: Vec<u8>,
    /// Received byte ranges `[start, end)`, sorted, merged and disjoint.
    ranges: Vec<(u32, u32)>,
    /// Payload length, known once the last fragment (no more-fragments flag) arrives.
    end: Option<u32>,
}

impl PendingDatagram {
    /// Starts an empty datagram.
    pub(crate) fn new(first_seen: Timestamp, ip: IpHeader, vlans: VlanTags) -> Self {
        PendingDatagram {
            first_seen,
            sequence: 0,
            ip,
            vlans,
            has_first: false,
            fragments: 0,
            data: Vec::new(),
            ranges: Vec::new(),
            end: None,
        }
    }

    /// Adds the fragment at byte `offset`; `last` is true when the more-fragments flag is clear.
    ///
    /// The caller has checked that `offset + bytes.len()` is at most [`MAX_DATAGRAM_PAYLOAD`].
    pub(crate) fn add(&mut self, offset: u32, bytes: &[u8], last: bool) -> AddOutcome {
        let start = offset;
        let stop = offset + bytes.len() as u32;
        if !self.end_is_consistent(stop, last) {
            return AddOutcome::Inconsistent;
        }
        let mut covered = 0u32;
        for &(range_start, range_stop) in &self.ranges {
            let low = range_start.max(start);
            let high = range_stop.min(stop);
            if low >= high {
                continue;
            }
            let stored = &self.data[low as usize..high as usize];
            let incoming = &bytes[(low - start) as usize..(high - start) as usize];
            if stored != incoming {
                return AddOutcome::Inconsistent;
            }
            covered += high - low;
        }
        if last {
            self.end = Some(stop);
        }
        if covered == stop - start {
            return AddOutcome::Duplicate;
        }
        if self.data.len() < stop as usize {
            self.data.resize(stop as usize, 0);
        }
        self.data[start as usize..stop as usize].copy_from_slice(bytes);
        self.insert_range(start, stop);
        self.fragments += 1;
        AddOutcome::Added
    }

    /// Checks a fragment ending at `stop` against the known end and the bytes already held.
    fn end_is_consistent(&self, stop: u32, last: bool) -> bool {
        match (self.end, last) {
            (Some(end), true) => end == stop,
            (Some(end), false) => stop <= end,
            (None, true) => self.data.len() <= stop as usize,
            (None, false) => true,
        }
    }

    fn insert_range(&mut self, start: u32, stop: u32) {
        let mut merged = (start, stop);
        self.ranges.retain(|&(range_start, range_stop)| {
            let touches = range_start <= merged.1 && merged.0 <= range_stop;
            if touches {
                merged = (merged.0.min(range_start), merged.1.max(range_stop));
            }
            !touches
        });
        let position = self
            .ranges
            .iter()
            .position(|&(range_start, _)| range_start > merged.0)
            .unwrap_or(self.ranges.len());
        self.ranges.insert(position, merged);
    }

    /// Returns whether the last fragment arrived and every byte before it is present.
    pub(crate) fn is_complete(&self) -> bool {
        match self.end {
            Some(end) => self.ranges.as_slice() == [(0, end)],
            None => false,
        }
    }

    /// Returns how many bytes the buffer grows by to hold data up to `stop`.
    pub(crate) fn growth_for(&self, stop: u32) -> usize {
        (stop as usize).saturating_sub(self.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn pending() -> PendingDatagram {
        let ip = IpHeader {
            version: crate::IpVersion::V4,
            source: IpAddr::V4(Ipv4Addr::LOCALHOST),
            destination: IpAddr::V4(Ipv4Addr::LOCALHOST),
            protocol: 17,
            ttl: 64,
            header_length: 20,
            total_length: 20,
            truncated: false,
        };
        PendingDatagram::new(Timestamp(0), ip, VlanTags::default())
    }

    #[test]
    fn ranges_merge_when_adjacent() {
        let mut datagram = pending();
        assert_eq!(datagram.add(8, &[2; 8], false), AddOutcome::Added);
        assert_eq!(datagram.add(24, &[4; 8], true), AddOutcome::Added);
        assert!(!datagram.is_complete());
        assert_eq!(datagram.add(0, &[1; 8], false), AddOutcome::Added);
        assert_eq!(datagram.add(16, &[3; 8], false), AddOutcome::Added);
        assert!(datagram.is_complete());
        assert_eq!(datagram.ranges, vec![(0, 32)]);
    }

    #[test]
    fn consistent_overlap_is_accepted() {
        let mut datagram = pending();
        assert_eq!(datagram.add(0, &[7; 16], false), AddOutcome::Added);
        assert_eq!(datagram.add(8, &[7; 16], true), AddOutcome::Added);
        assert!(datagram.is_complete());
        assert_eq!(datagram.data.len(), 24);
    }

    #[test]
    fn differing_overlap_is_inconsistent() {
        let mut datagram = pending();
        assert_eq!(datagram.add(0, &[7; 16], false), AddOutcome::Added);
        assert_eq!(datagram.add(8, &[9; 16], true), AddOutcome::Inconsistent);
    }

    #[test]
    fn second_last_fragment_must_agree() {
        let mut datagram = pending();
        assert_eq!(datagram.add(16, &[1; 8], true), AddOutcome::Added);
        assert_eq!(datagram.add(8, &[1; 8], true), AddOutcome::Inconsistent);
        assert_eq!(datagram.add(8, &[1; 16], true), AddOutcome::Added);
        assert_eq!(datagram.add(24, &[1; 8], false), AddOutcome::Inconsistent);
    }

    #[test]
    fn last_fragment_before_held_bytes() {
        let mut datagram = pending();
        assert_eq!(datagram.add(16, &[1; 8], false), AddOutcome::Added);
        assert_eq!(datagram.add(0, &[1; 8], true), AddOutcome::Inconsistent);
    }

    #[test]
    fn duplicate_changes_nothing() {
        let mut datagram = pending();
        assert_eq!(datagram.add(0, &[5; 8], false), AddOutcome::Added);
        assert_eq!(datagram.add(0, &[5; 8], false), AddOutcome::Duplicate);
        assert_eq!(datagram.fragments, 1);
    }
}
