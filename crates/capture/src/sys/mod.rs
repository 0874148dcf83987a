//! Thin, checked wrappers over the Linux system calls the capture needs.
//!
//! Every `unsafe` block in the crate except the ring reader lives here or in
//! [`crate::privileges`].

pub mod interface;
pub mod ring;
pub mod socket;

/// Packet socket option and value numbers from `linux/if_packet.h`, defined here because not
/// every libc release exports them.
#[allow(missing_docs)]
pub mod packet {
    use libc::c_int;

    pub const PACKET_ADD_MEMBERSHIP: c_int = 1;
    pub const PACKET_RX_RING: c_int = 5;
    pub const PACKET_STATISTICS: c_int = 6;
    pub const PACKET_VERSION: c_int = 10;
    pub const PACKET_FANOUT: c_int = 18;
    pub const PACKET_IGNORE_OUTGOING: c_int = 23;
    pub const PACKET_MR_PROMISC: u16 = 1;
    pub const TPACKET_V3: c_int = 2;
    pub const PACKET_FANOUT_HASH: u32 = 0;
    pub const PACKET_FANOUT_FLAG_DEFRAG: u32 = 0x8000;
    pub const PACKET_FANOUT_FLAG_UNIQUEID: u32 = 0x2000;
    pub const PACKET_OUTGOING: u8 = 4;
    pub const ETH_P_ALL: u16 = 0x0003;

    pub const TP_STATUS_KERNEL: u32 = 0;
    pub const TP_STATUS_USER: u32 = 1;
    pub const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
    pub const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;

    /// `struct tpacket_req3`.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default)]
    pub struct RingRequest {
        pub block_size: u32,
        pub block_count: u32,
        pub frame_size: u32,
        pub frame_count: u32,
        pub retire_block_timeout_ms: u32,
        pub private_size: u32,
        pub feature_request_word: u32,
    }

    /// `struct tpacket_stats_v3`.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default)]
    pub struct StatsV3 {
        pub packets: u32,
        pub drops: u32,
        pub freeze_queue_count: u32,
    }

    /// `struct packet_mreq`.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default)]
    pub struct MembershipRequest {
        pub ifindex: c_int,
        pub kind: u16,
        pub address_length: u16,
        pub address: [u8; 8],
    }
}
