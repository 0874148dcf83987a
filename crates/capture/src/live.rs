//! [`LiveCapture`]: an AF_PACKET socket with a TPACKET_V3 ring and a kernel filter.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dnstel_packet::{Frame, LinkType};
use libc::c_int;

use crate::bpf::{compile_filter, FilterSpec, Instruction, LinkLayer};
use crate::config::{CaptureConfig, Fanout};
use crate::error::{CaptureError, Result};
use crate::frame_builder::{build_frame, FrameShape};
use crate::sys::interface::{self, Interface};
use crate::sys::packet::{self as pk, MembershipRequest, RingRequest, StatsV3};
use crate::sys::ring::Ring;
use crate::sys::socket::{PacketSocket, Readiness};

/// Maximum single wait inside [`LiveCapture::next_frame`], so a stop flag set with
/// [`LiveCapture::set_stop_flag`] is noticed within this time even when the caller passes a
/// long timeout.
pub const MAX_POLL_SLICE: Duration = Duration::from_millis(100);
/// Ring frame size: only used by the kernel to check the geometry in TPACKET_V3, where packets
/// are packed into blocks back to back.
const RING_FRAME_SIZE: u32 = 2048;
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_NONE: u16 = 0xfffe;

/// Counters for packets the capture lost or skipped, accumulated since the socket was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets that passed the kernel filter (kernel `tp_packets`, includes drops).
    pub packets: u64,
    /// Packets the kernel dropped because the ring was full (`tp_drops`).
    pub drops: u64,
    /// Times the ring was full and the queue frozen (`tp_freeze_q_cnt`).
    pub freeze_queue_count: u64,
    /// Outgoing copies of loopback packets skipped in user space (each loopback packet is also
    /// seen as incoming). The kernel filter rejects most of them before they are counted.
    pub loopback_duplicates: u64,
    /// Ring packet headers that pointed outside their block; the rest of such a block is
    /// skipped.
    pub malformed_ring_entries: u64,
}

/// How often an idle capture on a named interface checks that the interface still exists.
const IDLE_INTERFACE_CHECK: Duration = Duration::from_secs(1);

/// A live capture on one interface or on all interfaces.
#[derive(Debug)]
pub struct LiveCapture {
    // `ring` is declared first so it is unmapped before the socket closes.
    ring: Ring,
    socket: PacketSocket,
    shape: FrameShape,
    loopback_ifindex: Option<u32>,
    program: Vec<Instruction>,
    scratch: Vec<u8>,
    kernel_totals: Cell<StatsV3Totals>,
    loopback_duplicates: u64,
    stop: Option<Arc<AtomicBool>>,
    /// Index of the bound interface, 0 for `any`.
    ifindex: u32,
    /// Set after the kernel reported ENETDOWN, until the next frame arrives.
    interface_down: bool,
    /// When the bound interface was last looked up while idle.
    last_interface_check: Instant,
    /// The PACKET_FANOUT group this socket joined, if any.
    fanout_group: Option<u16>,
    /// How long the kernel fills a ring block before it hands the block over anyway.
    block_timeout: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
struct StatsV3Totals {
    packets: u64,
    drops: u64,
    freeze_queue_count: u64,
}

/// Socket type, program link layer and frame shape for one capture device.
struct Mode {
    socket: PacketSocket,
    ifindex: u32,
    link_layer: LinkLayer,
    shape: FrameShape,
    loopback_ifindex: Option<u32>,
}

impl LiveCapture {
    /// Opens the capture described by `config`: creates the socket, attaches the filter, sets
    /// up and maps the ring, and binds to the device. Needs CAP_NET_RAW (and CAP_NET_ADMIN for
    /// promiscuous mode); [`crate::drop_privileges`] may be called afterwards.
    pub fn open(config: &CaptureConfig) -> Result<LiveCapture> {
        config.validate()?;
        let expression = config.filter_expression()?;
        let mode = open_mode(config)?;
        let program = compile_filter(&FilterSpec {
            link_layer: mode.link_layer,
            expression: expression.as_ref(),
            snaplen: config.snaplen,
            loopback_ifindex: mode.loopback_ifindex,
        })?;
        let socket = mode.socket;
        socket.attach_filter(&program)?;
        let ring = set_up_ring(&socket, config)?;
        if config.promiscuous && mode.ifindex != 0 {
            set_promiscuous(&socket, mode.ifindex)?;
        }
        socket.bind(mode.ifindex)?;
        let fanout_group = match config.fanout {
            None => None,
            Some(fanout) => Some(join_fanout(&socket, fanout)?),
        };

        tracing::info!(
            device = %socket.device(),
            ifindex = mode.ifindex,
            link_type = mode.shape.link_type().0,
            filter_instructions = program.len(),
            ring_bytes = u64::from(config.block_size) * u64::from(config.block_count),
            "live capture opened"
        );
        Ok(LiveCapture {
            ring,
            socket,
            shape: mode.shape,
            loopback_ifindex: mode.loopback_ifindex,
            program,
            scratch: Vec::new(),
            kernel_totals: Cell::new(StatsV3Totals::default()),
            loopback_duplicates: 0,
            stop: None,
            ifindex: mode.ifindex,
            interface_down: false,
            last_interface_check: Instant::now(),
            fanout_group,
            block_timeout: Duration::from_millis(u64::from(config.block_timeout_ms)),
        })
    }

    /// Returns how long the kernel fills a ring block before it hands the block over. Frames
    /// in a block it is still filling are not visible yet, so a reader that wants every frame
    /// captured up to now must keep reading for this long.
    pub fn block_timeout(&self) -> Duration {
        self.block_timeout
    }

    /// Returns the id of the PACKET_FANOUT group this socket joined, if it joined one.
    pub fn fanout_group(&self) -> Option<u16> {
        self.fanout_group
    }

    /// The link type of every frame this capture returns.
    pub fn link_type(&self) -> LinkType {
        self.shape.link_type()
    }

    /// Returns the kernel filter program attached to the socket.
    pub fn filter_program(&self) -> &[Instruction] {
        &self.program
    }

    /// Makes [`LiveCapture::next_frame`] return `None` within [`MAX_POLL_SLICE`] once `stop`
    /// is set, for example by a signal-handling thread.
    pub fn set_stop_flag(&mut self, stop: Arc<AtomicBool>) {
        self.stop = Some(stop);
    }

    /// Returns the next frame, or `None` when no frame arrived within `timeout` or the stop
    /// flag is set. `None` is the idle tick: the caller advances its timers and checks whether
    /// to stop. A zero timeout only checks the ring. The frame borrows the ring and stays valid
    /// until the next call.
    ///
    /// Frames already in the ring are returned even after the stop flag is set, so a caller
    /// that keeps calling drains the ring before seeing `None`.
    pub fn next_frame(&mut self, timeout: Duration) -> Result<Option<Frame<'_>>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(info) = self.ring.next_packet() {
                if self.loopback_ifindex == Some(info.ifindex)
                    && info.packet_type == pk::PACKET_OUTGOING
                {
                    self.loopback_duplicates += 1;
                    continue;
                }
                self.interface_down = false;
                let slot = self.ring.slot();
                return Ok(Some(build_frame(
                    self.shape,
                    &info,
                    slot,
                    &mut self.scratch,
                )));
            }
            if self.ring.ready() {
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let stopped = self
                .stop
                .as_ref()
                .is_some_and(|stop| stop.load(Ordering::Relaxed));
            if remaining.is_zero() || stopped {
                return Ok(None);
            }
            let wait = remaining.min(MAX_POLL_SLICE);
            let wait_ms = c_int::try_from(wait.as_millis().max(1)).unwrap_or(c_int::MAX);
            match self.socket.poll(wait_ms)? {
                Readiness::Readable => {}
                Readiness::Idle => {
                    // The kernel may report ENETDOWN only once, or not at all before a delete,
                    // so an idle named interface is also looked up every second.
                    let check_due = self.ifindex != 0
                        && self.last_interface_check.elapsed() >= IDLE_INTERFACE_CHECK;
                    if self.interface_down || check_due {
                        self.last_interface_check = Instant::now();
                        self.check_interface()?;
                    }
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                }
                Readiness::Error(error) => self.handle_socket_error(error)?,
            }
        }
    }

    /// Handles an error the socket reported. The kernel reports ENETDOWN when the bound
    /// interface goes down or is deleted. It resumes delivery by itself when the interface
    /// comes back up, so a down interface is only logged; [`LiveCapture::check_interface`]
    /// then watches for its removal.
    fn handle_socket_error(&mut self, error: std::io::Error) -> Result<()> {
        if error.raw_os_error() == Some(libc::ENETDOWN) && self.ifindex != 0 {
            self.interface_down = true;
            self.check_interface()?;
        }
        tracing::warn!(
            device = %self.socket.device(),
            %error,
            "capture socket reported an error, continuing"
        );
        Ok(())
    }

    /// Fails when the bound interface no longer exists or its name now belongs to another
    /// interface; the socket would never receive again in either case.
    fn check_interface(&self) -> Result<()> {
        let device = self.socket.device();
        match interface::lookup(&self.socket, device) {
            Ok(found) if found.index == self.ifindex => Ok(()),
            Ok(_) | Err(CaptureError::InterfaceNotFound { .. }) => {
                Err(CaptureError::InterfaceRemoved {
                    name: device.to_owned(),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// Reads the kernel counters and returns the totals since the socket was opened. Reading
    /// resets the kernel's counters, so the totals are kept here. A failing read is logged and
    /// the previous totals are returned.
    pub fn stats(&self) -> CaptureStats {
        let mut totals = self.kernel_totals.get();
        match self.socket.get_option::<StatsV3>(
            libc::SOL_PACKET,
            pk::PACKET_STATISTICS,
            "getsockopt(PACKET_STATISTICS)",
        ) {
            Ok(delta) => {
                totals.packets += u64::from(delta.packets);
                totals.drops += u64::from(delta.drops);
                totals.freeze_queue_count += u64::from(delta.freeze_queue_count);
                self.kernel_totals.set(totals);
            }
            Err(error) => tracing::warn!(%error, "reading capture statistics failed"),
        }
        CaptureStats {
            packets: totals.packets,
            drops: totals.drops,
            freeze_queue_count: totals.freeze_queue_count,
            loopback_duplicates: self.loopback_duplicates,
            malformed_ring_entries: self.ring.malformed(),
        }
    }
}

/// Switches the socket to TPACKET_V3 and creates and maps its receive ring.
fn set_up_ring(socket: &PacketSocket, config: &CaptureConfig) -> Result<Ring> {
    socket.set_option(
        libc::SOL_PACKET,
        pk::PACKET_VERSION,
        &pk::TPACKET_V3,
        "setsockopt(PACKET_VERSION)",
    )?;
    let request = RingRequest {
        block_size: config.block_size,
        block_count: config.block_count,
        frame_size: RING_FRAME_SIZE,
        frame_count: config.block_size / RING_FRAME_SIZE * config.block_count,
        retire_block_timeout_ms: config.block_timeout_ms,
        private_size: 0,
        feature_request_word: 0,
    };
    socket.set_option(
        libc::SOL_PACKET,
        pk::PACKET_RX_RING,
        &request,
        "setsockopt(PACKET_RX_RING)",
    )?;
    Ring::map(socket, config.block_size, config.block_count)
}

/// Puts the interface into promiscuous mode for as long as the socket is open.
fn set_promiscuous(socket: &PacketSocket, ifindex: u32) -> Result<()> {
    let membership = MembershipRequest {
        ifindex: c_int::try_from(ifindex).unwrap_or(0),
        kind: pk::PACKET_MR_PROMISC,
        ..MembershipRequest::default()
    };
    socket.set_option(
        libc::SOL_PACKET,
        pk::PACKET_ADD_MEMBERSHIP,
        &membership,
        "setsockopt(PACKET_ADD_MEMBERSHIP)",
    )
}

/// Joins a fanout group in hash mode with defragmentation, so both halves of a flow and all
/// fragments of a datagram reach the same socket, and returns the group's id. Must run after
/// `bind`.
fn join_fanout(socket: &PacketSocket, fanout: Fanout) -> Result<u16> {
    let mode = pk::PACKET_FANOUT_HASH | pk::PACKET_FANOUT_FLAG_DEFRAG;
    let value = match fanout {
        Fanout::Join(group) => u32::from(group) | (mode << 16),
        // The kernel requires id 0 with this flag and picks an id no group uses.
        Fanout::NewGroup => (mode | pk::PACKET_FANOUT_FLAG_UNIQUEID) << 16,
    };
    socket.set_option(
        libc::SOL_PACKET,
        pk::PACKET_FANOUT,
        &value,
        "setsockopt(PACKET_FANOUT)",
    )?;
    let joined: u32 = socket.get_option(
        libc::SOL_PACKET,
        pk::PACKET_FANOUT,
        "getsockopt(PACKET_FANOUT)",
    )?;
    // The low 16 bits are the group id; the high ones are the mode and flags.
    Ok((joined & 0xffff) as u16)
}

/// Chooses the socket type and frame shape for the configured device.
fn open_mode(config: &CaptureConfig) -> Result<Mode> {
    if config.is_any_device() {
        let socket = PacketSocket::open(libc::SOCK_DGRAM, "any")?;
        let loopback_ifindex = match interface::lookup(&socket, "lo") {
            Ok(loopback) => Some(loopback.index),
            Err(CaptureError::InterfaceNotFound { .. }) => None,
            Err(error) => return Err(error),
        };
        return Ok(Mode {
            socket,
            ifindex: 0,
            link_layer: LinkLayer::Cooked,
            shape: FrameShape::Cooked,
            loopback_ifindex,
        });
    }
    let device = config.device.as_str();
    let socket = PacketSocket::open(libc::SOCK_RAW, device)?;
    let Interface {
        index,
        hardware_type,
    } = interface::lookup(&socket, device)?;
    let (socket, link_layer, shape) = match hardware_type {
        ARPHRD_ETHER | ARPHRD_LOOPBACK => (
            socket,
            LinkLayer::Ethernet,
            FrameShape::Raw(LinkType::ETHERNET),
        ),
        ARPHRD_NONE => (socket, LinkLayer::RawIp, FrameShape::Raw(LinkType::RAW)),
        // Other link headers (PPP, tunnels, IEEE 802.11) are not decoded downstream, so let
        // the kernel strip them and describe the packet with a cooked header instead.
        _ => (
            PacketSocket::open(libc::SOCK_DGRAM, device)?,
            LinkLayer::Cooked,
            FrameShape::Cooked,
        ),
    };
    let loopback_ifindex = (hardware_type == ARPHRD_LOOPBACK).then_some(index);
    if loopback_ifindex.is_some() {
        ignore_outgoing(&socket);
    }
    Ok(Mode {
        socket,
        ifindex: index,
        link_layer,
        shape,
        loopback_ifindex,
    })
}

/// On a loopback interface every outgoing packet comes back as incoming, so the outgoing copy
/// can be left out of the socket entirely (Linux 4.20 and later). Older kernels rely on the
/// filter and the user-space check instead.
fn ignore_outgoing(socket: &PacketSocket) {
    let enable: c_int = 1;
    if let Err(error) = socket.set_option(
        libc::SOL_PACKET,
        pk::PACKET_IGNORE_OUTGOING,
        &enable,
        "setsockopt(PACKET_IGNORE_OUTGOING)",
    ) {
        tracing::debug!(%error, "loopback outgoing copies are filtered instead");
    }
}
