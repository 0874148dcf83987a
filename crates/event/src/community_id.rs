//! Community ID flow hashing, version 1 (`network.community_id`).
//!
//! The hash is SHA-1 over: the seed (big-endian u16, Packetbeat uses 0), the lower endpoint's
//! address, the other address, the IP protocol number, a zero pad byte, then the two ports
//! (big-endian) in the same order. The lower endpoint is the one with the smaller address
//! bytes, or the smaller port when the addresses are equal. IPv4 addresses hash as 4 bytes
//! and IPv6 as 16. The result is `1:` followed by standard padded base64.

use std::cell::RefCell;
use std::fmt;
use std::net::IpAddr;

use dnstel_pairing::Transport;

/// IANA IP protocol number of a DNS transport.
pub fn protocol_number(transport: Transport) -> u8 {
    match transport {
        Transport::Udp => 17,
        Transport::Tcp => 6,
    }
}

/// Packetbeat's Community ID seed.
pub const DEFAULT_SEED: u16 = 0;

/// Length of a version 1 Community ID string: `1:` plus 28 base64 characters.
pub const COMMUNITY_ID_LEN: usize = 30;

/// Computes the version 1 Community ID of a flow with seed 0.
///
/// Returns `None` when one address is IPv4 and the other IPv6: such a flow cannot occur
/// on the wire, and Packetbeat leaves the field out when it cannot hash the tuple.
pub fn community_id(
    source: (IpAddr, u16),
    destination: (IpAddr, u16),
    transport: Transport,
) -> Option<String> {
    CommunityId::new(DEFAULT_SEED, source, destination, transport).map(|id| id.as_str().to_owned())
}

/// Appends the Community ID of a flow to `text`; see [`community_id`].
pub fn write_community_id(
    text: &mut String,
    seed: u16,
    source: (IpAddr, u16),
    destination: (IpAddr, u16),
    transport: Transport,
) -> Option<()> {
    let id = CommunityId::new(seed, source, destination, transport)?;
    text.push_str(id.as_str());
    Some(())
}

/// Slots of the per-thread cache of recent flows' Community IDs.
const RECENT_FLOWS: usize = 64;

/// A flow's hash input, the key of the cache of recent flows.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Flow {
    seed: u16,
    source: (IpAddr, u16),
    destination: (IpAddr, u16),
    transport: Transport,
}

impl Flow {
    /// Returns the cache slot of the flow, from a multiplicative hash of its fields. Flows that
    /// share a slot only replace each other's entry.
    fn slot(&self) -> usize {
        const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
        let address_bits = |address: IpAddr| match address {
            IpAddr::V4(v4) => u64::from(u32::from(v4)),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                bits as u64 ^ (bits >> 64) as u64
            }
        };
        let ports = u64::from(self.source.1) << 16 | u64::from(self.destination.1);
        let mut hash = address_bits(self.source.0).wrapping_mul(MULTIPLIER);
        hash = (hash ^ address_bits(self.destination.0)).wrapping_mul(MULTIPLIER);
        hash = (hash ^ ports ^ u64::from(self.seed) << 32).wrapping_mul(MULTIPLIER);
        hash ^= u64::from(protocol_number(self.transport));
        (hash.wrapping_mul(MULTIPLIER) >> (64 - RECENT_FLOWS.trailing_zeros())) as usize
    }
}

/// A cached flow and its Community ID (`None` for mixed address families).
type RecentFlow = Option<(Flow, Option<CommunityId>)>;

thread_local! {
    /// Community IDs of flows computed recently on this thread, each in its flow's slot.
    static RECENT: RefCell<[RecentFlow; RECENT_FLOWS]> =
        const { RefCell::new([None; RECENT_FLOWS]) };
}

/// A version 1 Community ID, `1:` and 28 base64 characters, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommunityId([u8; COMMUNITY_ID_LEN]);

impl CommunityId {
    /// Computes the Community ID of a flow. Returns `None` for mixed address families, as
    /// [`community_id`] does.
    pub fn new(
        seed: u16,
        source: (IpAddr, u16),
        destination: (IpAddr, u16),
        transport: Transport,
    ) -> Option<CommunityId> {
        let (low, high) = order_endpoints(source, destination)?;
        // The hashed tuple: seed, both addresses, protocol, pad byte, both ports. At most 40
        // bytes, so with SHA-1 padding it fills one 64-byte block.
        let mut block = [0u8; 64];
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            block[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        put(&seed.to_be_bytes());
        put_address(&mut put, low.0);
        put_address(&mut put, high.0);
        put(&[protocol_number(transport), 0]);
        put(&low.1.to_be_bytes());
        put(&high.1.to_be_bytes());
        let digest = sha1_one_block(block, len);

        let mut text = [0u8; COMMUNITY_ID_LEN];
        text[..2].copy_from_slice(b"1:");
        put_base64(&mut text[2..], &digest);
        Some(CommunityId(text))
    }

    /// Computes the Community ID of a flow as [`CommunityId::new`] does, reusing the ID of the
    /// same flow when it is still in this thread's cache of 64 recent flows. The transactions of
    /// one TCP connection, or of a client that keeps its UDP socket, are one flow and skip the
    /// SHA-1. Traffic from random source ports misses the cache and pays one hash more.
    pub fn cached(
        seed: u16,
        source: (IpAddr, u16),
        destination: (IpAddr, u16),
        transport: Transport,
    ) -> Option<CommunityId> {
        let flow = Flow {
            seed,
            source,
            destination,
            transport,
        };
        let slot = flow.slot();
        RECENT.with_borrow_mut(|recent| {
            if let Some((recent_flow, id)) = recent[slot] {
                if recent_flow == flow {
                    return id;
                }
            }
            let id = CommunityId::new(seed, source, destination, transport);
            recent[slot] = Some((flow, id));
            id
        })
    }

    /// Returns the ASCII bytes of the text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Returns the text, such as `1:d/FP5EW3wiY1vCndhwleRRKHowQ=`.
    pub fn as_str(&self) -> &str {
        // Only ASCII is written: `1:` and base64 symbols.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for CommunityId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), formatter)
    }
}

impl fmt::Display for CommunityId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Returns the SHA-1 digest of `block[..len]`, a message short enough (at most 55 bytes)
/// that the padding fits the same block. The block runs through the compression function
/// directly, which skips the buffering of the streaming hasher.
fn sha1_one_block(mut block: [u8; 64], len: usize) -> [u8; 20] {
    debug_assert!(len <= 55, "the message and its padding fit one block");
    block[len] = 0x80;
    block[56..].copy_from_slice(&(len as u64 * 8).to_be_bytes());
    let mut state = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    sha1::compress(&mut state, &[block.into()]);
    let mut digest = [0u8; 20];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// Writes standard padded base64 of a SHA-1 digest into the 28 bytes of `text`: six full
/// groups, then two bytes padded with one `=`.
fn put_base64(text: &mut [u8], digest: &[u8; 20]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol = |index: u32| ALPHABET[(index & 0x3f) as usize];
    for (group, out) in digest.chunks(3).zip(text.chunks_exact_mut(4)) {
        let bits = group.iter().enumerate().fold(0u32, |bits, (index, &byte)| {
            bits | u32::from(byte) << (16 - 8 * index)
        });
        out[0] = symbol(bits >> 18);
        out[1] = symbol(bits >> 12);
        out[2] = if group.len() > 1 {
            symbol(bits >> 6)
        } else {
            b'='
        };
        out[3] = if group.len() > 2 { symbol(bits) } else { b'=' };
    }
}

/// Orders two endpoints so the lower one (by address bytes, then port) comes first.
fn order_endpoints(a: (IpAddr, u16), b: (IpAddr, u16)) -> Option<((IpAddr, u16), (IpAddr, u16))> {
    let a_is_lower = match (a.0, b.0) {
        (IpAddr::V4(x), IpAddr::V4(y)) => (x.octets(), a.1) < (y.octets(), b.1),
        (IpAddr::V6(x), IpAddr::V6(y)) => (x.octets(), a.1) < (y.octets(), b.1),
        _ => return None,
    };
    Some(if a_is_lower { (a, b) } else { (b, a) })
}

fn put_address(put: &mut impl FnMut(&[u8]), address: IpAddr) {
    match address {
        IpAddr::V4(v4) => put(&v4.octets()),
        IpAddr::V6(v6) => put(&v6.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(source: &str, sport: u16, destination: &str, dport: u16, t: Transport) -> String {
        let source: IpAddr = source.parse().expect("test address");
        let destination: IpAddr = destination.parse().expect("test address");
        community_id((source, sport), (destination, dport), t).expect("same family")
    }

    #[test]
    fn udp_dns_vector_both_directions() {
        let expected = "1:d/FP5EW3wiY1vCndhwleRRKHowQ=";
        assert_eq!(
            id("192.168.1.52", 54585, "8.8.8.8", 53, Transport::Udp),
            expected
        );
        assert_eq!(
            id("8.8.8.8", 53, "192.168.1.52", 54585, Transport::Udp),
            expected
        );
    }

    #[test]
    fn tcp_ipv4_vector() {
        let expected = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
        assert_eq!(
            id(
                "128.232.110.120",
                34855,
                "66.35.250.204",
                80,
                Transport::Tcp
            ),
            expected
        );
        assert_eq!(
            id(
                "66.35.250.204",
                80,
                "128.232.110.120",
                34855,
                Transport::Tcp
            ),
            expected
        );
    }

    #[test]
    fn tcp_ipv6_vector() {
        let expected = "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=";
        let client = "2001:470:e5bf:dead:4957:2174:e82c:4887";
        let server = "2607:f8b0:400c:c03::1a";
        assert_eq!(id(client, 63943, server, 25, Transport::Tcp), expected);
        assert_eq!(id(server, 25, client, 63943, Transport::Tcp), expected);
    }

    #[test]
    fn equal_addresses_order_by_port() {
        let forward = id("10.0.0.1", 5000, "10.0.0.1", 53, Transport::Udp);
        let reverse = id("10.0.0.1", 53, "10.0.0.1", 5000, Transport::Udp);
        assert_eq!(forward, reverse);
    }

    #[test]
    fn one_block_digest_matches_sha1() {
        use sha1::{Digest, Sha1};
        for len in 0..=55 {
            let mut block = [0u8; 64];
            for (index, byte) in block[..len].iter_mut().enumerate() {
                *byte = (index * 37 + len) as u8;
            }
            let expected: [u8; 20] = Sha1::digest(&block[..len]).into();
            assert_eq!(sha1_one_block(block, len), expected, "length {len}");
        }
    }

    #[test]
    fn cached_matches_computed() {
        // More flows than cache slots, each looked up three times, so lookups hit, miss and
        // replace entries.
        let mut flows = Vec::new();
        for index in 0..300u16 {
            let v4 = IpAddr::from([10, 0, (index >> 8) as u8, index as u8]);
            let v6 = IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 7, index]);
            let server: IpAddr = "192.0.2.53".parse().expect("test address");
            let transport = if index % 3 == 0 {
                Transport::Tcp
            } else {
                Transport::Udp
            };
            flows.push(((v4, 40_000 + index), (server, 53), transport));
            flows.push(((v6, 53), (v6, index), transport));
            flows.push(((v4, index), (v6, 53), transport));
        }
        for _ in 0..3 {
            for &(source, destination, transport) in &flows {
                for seed in [0, 9] {
                    assert_eq!(
                        CommunityId::cached(seed, source, destination, transport),
                        CommunityId::new(seed, source, destination, transport),
                        "{source:?} {destination:?} {transport:?} seed {seed}"
                    );
                }
            }
        }
    }

    #[test]
    fn mixed_families_give_none() {
        let v4: IpAddr = "10.0.0.1".parse().expect("test address");
        let v6: IpAddr = "::1".parse().expect("test address");
        assert_eq!(community_id((v4, 1), (v6, 2), Transport::Udp), None);
    }
}
