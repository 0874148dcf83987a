//! Generates the kernel filter program for a link layer and a filter expression.
//!
//! Every program has the same shape. A prologue finds the network header for the link layer
//! (looking through one 802.1Q/802.1ad tag, in the packet or stripped by the driver), decodes
//! the IP version, transport protocol and fragment bits, and stores them in scratch memory. The
//! body then evaluates the expression with short-circuit jumps to `accept` (return the snap
//! length) or `reject` (return 0). Because the prologue skips the VLAN tag itself, primitives
//! match tagged and untagged packets alike.

use std::net::IpAddr;

use super::{ancillary, op, Assembler, Instruction, Label};
use crate::error::CaptureError;
use crate::filter::{Direction, Expr, Network, Primitive};

/// Scratch slot: offset of the network header.
const SLOT_NETWORK: u32 = 0;
/// Scratch slot: IP version (4, 6, or 0 for non-IP).
const SLOT_VERSION: u32 = 1;
/// Scratch slot: offset of the transport header.
const SLOT_TRANSPORT: u32 = 2;
/// Scratch slot: IPv4 protocol or first IPv6 next header (0 for non-IP).
const SLOT_PROTOCOL: u32 = 3;
/// Scratch slot: IPv4 flags-and-fragment-offset field masked to MF plus offset (0 otherwise).
const SLOT_FRAGMENT: u32 = 4;
/// Scratch slot: 1 when the packet carries a VLAN tag.
const SLOT_VLAN: u32 = 5;
/// Scratch slot: the VLAN id of that tag.
const SLOT_VLAN_ID: u32 = 6;

const ETHERTYPE_IPV4: u32 = 0x0800;
const ETHERTYPE_IPV6: u32 = 0x86dd;
const ETHERTYPE_VLAN: u32 = 0x8100;
const ETHERTYPE_QINQ: u32 = 0x88a8;
const PROTOCOL_TCP: u32 = 6;
const PROTOCOL_UDP: u32 = 17;
const PACKET_OUTGOING: u32 = 4;

/// IPv6 next-header values that are extension headers (hop-by-hop, routing, fragment,
/// destination options, authentication, mobility, HIP, shim6). ESP is left out: its payload is
/// encrypted, so nothing behind it can be decoded.
const IPV6_EXTENSION_HEADERS: [u32; 8] = [0, 43, 44, 60, 51, 135, 139, 140];

/// The layout the filter finds at offset 0 of each packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkLayer {
    /// An Ethernet header (SOCK_RAW on Ethernet and loopback interfaces).
    Ethernet,
    /// A 16-byte Linux cooked (SLL v1) header, as in capture files taken on `any`.
    LinuxSll,
    /// The network header, with the EtherType only in packet metadata (SOCK_DGRAM sockets).
    Cooked,
    /// A bare IPv4 or IPv6 header (SOCK_RAW on interfaces without a link header, such as tun).
    RawIp,
}

/// Everything the program generator needs.
#[derive(Debug, Clone, Copy)]
pub struct FilterSpec<'a> {
    /// Layout of the packets the program runs on.
    pub link_layer: LinkLayer,
    /// Packets to accept; `None` accepts every packet.
    pub expression: Option<&'a Expr>,
    /// Bytes of each accepted packet to keep.
    pub snaplen: u32,
    /// Index of the loopback interface whose outgoing copies are rejected, so each loopback
    /// packet is seen once (as incoming).
    pub loopback_ifindex: Option<u32>,
}

/// Generates the filter program for `spec`.
pub fn compile_filter(spec: &FilterSpec<'_>) -> Result<Vec<Instruction>, CaptureError> {
    let mut asm = Assembler::new();
    let accept = asm.label();
    let reject = asm.label();
    let body = asm.label();
    prologue(&mut asm, spec, body, reject);
    asm.bind(body);
    match spec.expression {
        Some(expression) => expr(&mut asm, expression, accept, reject),
        None => asm.jump(accept),
    }
    asm.bind(accept);
    asm.emit(op::RET | op::K, spec.snaplen);
    asm.bind(reject);
    asm.emit(op::RET | op::K, 0);
    asm.finish()
}

fn load_ancillary(asm: &mut Assembler, field: u32) {
    asm.emit(op::LD | op::W | op::ABS, ancillary::BASE + field);
}

fn store_constant(asm: &mut Assembler, slot: u32, value: u32) {
    asm.emit(op::LD | op::IMM, value);
    asm.emit(op::ST, slot);
}

/// Emits a conditional jump on the accumulator that continues with the next instruction when
/// the condition fails.
fn branch_if(asm: &mut Assembler, code: u16, k: u32, target: Label) {
    let next = asm.label();
    asm.branch(op::JMP | code | op::K, k, target, next);
    asm.bind(next);
}

fn prologue(asm: &mut Assembler, spec: &FilterSpec<'_>, body: Label, reject: Label) {
    // The kernel rejects programs that may read a slot before writing it, so set them all.
    asm.emit(op::LD | op::IMM, 0);
    for slot in SLOT_NETWORK..=SLOT_VLAN_ID {
        asm.emit(op::ST, slot);
    }
    if let Some(ifindex) = spec.loopback_ifindex {
        let other = asm.label();
        let loopback = asm.label();
        load_ancillary(asm, ancillary::IFINDEX);
        asm.branch(op::JMP | op::JEQ | op::K, ifindex, loopback, other);
        asm.bind(loopback);
        load_ancillary(asm, ancillary::PKTTYPE);
        asm.branch(op::JMP | op::JEQ | op::K, PACKET_OUTGOING, reject, other);
        asm.bind(other);
    }
    // A tag that the driver stripped from the packet is only in the metadata.
    let stripped_tag = asm.label();
    let no_stripped_tag = asm.label();
    load_ancillary(asm, ancillary::VLAN_TAG_PRESENT);
    asm.branch(op::JMP | op::JEQ | op::K, 0, no_stripped_tag, stripped_tag);
    asm.bind(stripped_tag);
    store_constant(asm, SLOT_VLAN, 1);
    load_ancillary(asm, ancillary::VLAN_TAG);
    asm.emit(op::ALU | op::AND | op::K, 0x0fff);
    asm.emit(op::ST, SLOT_VLAN_ID);
    asm.bind(no_stripped_tag);

    let ipv4 = asm.label();
    let ipv6 = asm.label();
    match spec.link_layer {
        LinkLayer::Ethernet => ethertype_dispatch(asm, 12, ipv4, ipv6, body),
        LinkLayer::LinuxSll => ethertype_dispatch(asm, 14, ipv4, ipv6, body),
        LinkLayer::Cooked => {
            asm.emit(op::LDX | op::IMM, 0);
            load_ancillary(asm, ancillary::PROTOCOL);
            branch_if(asm, op::JEQ, ETHERTYPE_IPV4, ipv4);
            branch_if(asm, op::JEQ, ETHERTYPE_IPV6, ipv6);
            asm.jump(body);
        }
        LinkLayer::RawIp => {
            asm.emit(op::LDX | op::IMM, 0);
            asm.emit(op::LD | op::B | op::ABS, 0);
            asm.emit(op::ALU | op::RSH | op::K, 4);
            branch_if(asm, op::JEQ, 4, ipv4);
            branch_if(asm, op::JEQ, 6, ipv6);
            asm.jump(body);
        }
    }
    ipv4_header(asm, ipv4);
    asm.jump(body);
    ipv6_header(asm, ipv6);
}

/// Reads the EtherType at `offset`, skips one VLAN tag, and jumps to the IP decoders with X set
/// to the network header offset.
fn ethertype_dispatch(asm: &mut Assembler, offset: u32, ipv4: Label, ipv6: Label, body: Label) {
    let tagged = asm.label();
    let dispatch = asm.label();
    asm.emit(op::LD | op::H | op::ABS, offset);
    branch_if(asm, op::JEQ, ETHERTYPE_VLAN, tagged);
    branch_if(asm, op::JEQ, ETHERTYPE_QINQ, tagged);
    asm.emit(op::LDX | op::IMM, offset + 2);
    asm.jump(dispatch);

    asm.bind(tagged);
    store_constant(asm, SLOT_VLAN, 1);
    asm.emit(op::LD | op::H | op::ABS, offset + 2);
    asm.emit(op::ALU | op::AND | op::K, 0x0fff);
    asm.emit(op::ST, SLOT_VLAN_ID);
    asm.emit(op::LD | op::H | op::ABS, offset + 4);
    asm.emit(op::LDX | op::IMM, offset + 6);

    asm.bind(dispatch);
    branch_if(asm, op::JEQ, ETHERTYPE_IPV4, ipv4);
    branch_if(asm, op::JEQ, ETHERTYPE_IPV6, ipv6);
    asm.jump(body);
}

/// Decodes an IPv4 header at offset X into the scratch slots.
fn ipv4_header(asm: &mut Assembler, start: Label) {
    asm.bind(start);
    store_constant(asm, SLOT_VERSION, 4);
    asm.emit(op::STX, SLOT_NETWORK);
    asm.emit(op::LD | op::H | op::IND, 6);
    asm.emit(op::ALU | op::AND | op::K, 0x3fff);
    asm.emit(op::ST, SLOT_FRAGMENT);
    asm.emit(op::LD | op::B | op::IND, 9);
    asm.emit(op::ST, SLOT_PROTOCOL);
    asm.emit(op::LD | op::B | op::IND, 0);
    asm.emit(op::ALU | op::AND | op::K, 0x0f);
    asm.emit(op::ALU | op::LSH | op::K, 2);
    asm.emit(op::ALU | op::ADD | op::X, 0);
    asm.emit(op::ST, SLOT_TRANSPORT);
}

/// Decodes an IPv6 header at offset X into the scratch slots.
fn ipv6_header(asm: &mut Assembler, start: Label) {
    asm.bind(start);
    store_constant(asm, SLOT_VERSION, 6);
    asm.emit(op::STX, SLOT_NETWORK);
    asm.emit(op::LD | op::B | op::IND, 6);
    asm.emit(op::ST, SLOT_PROTOCOL);
    asm.emit(op::MISC | op::TXA, 0);
    asm.emit(op::ALU | op::ADD | op::K, 40);
    asm.emit(op::ST, SLOT_TRANSPORT);
}

fn expr(asm: &mut Assembler, expression: &Expr, on_true: Label, on_false: Label) {
    match expression {
        Expr::And(left, right) => {
            let middle = asm.label();
            expr(asm, left, middle, on_false);
            asm.bind(middle);
            expr(asm, right, on_true, on_false);
        }
        Expr::Or(left, right) => {
            let middle = asm.label();
            expr(asm, left, on_true, middle);
            asm.bind(middle);
            expr(asm, right, on_true, on_false);
        }
        Expr::Not(operand) => expr(asm, operand, on_false, on_true),
        Expr::Primitive(primitive) => test_primitive(asm, primitive, on_true, on_false),
    }
}

fn test_slot(asm: &mut Assembler, slot: u32, value: u32, on_true: Label, on_false: Label) {
    asm.emit(op::LD | op::MEM, slot);
    asm.branch(op::JMP | op::JEQ | op::K, value, on_true, on_false);
}

fn test_primitive(asm: &mut Assembler, primitive: &Primitive, on_true: Label, on_false: Label) {
    match *primitive {
        Primitive::Ip => test_slot(asm, SLOT_VERSION, 4, on_true, on_false),
        Primitive::Ip6 => test_slot(asm, SLOT_VERSION, 6, on_true, on_false),
        Primitive::Udp => test_slot(asm, SLOT_PROTOCOL, PROTOCOL_UDP, on_true, on_false),
        Primitive::Tcp => test_slot(asm, SLOT_PROTOCOL, PROTOCOL_TCP, on_true, on_false),
        Primitive::Vlan(None) => test_slot(asm, SLOT_VLAN, 1, on_true, on_false),
        Primitive::Vlan(Some(id)) => {
            let tagged = asm.label();
            test_slot(asm, SLOT_VLAN, 1, tagged, on_false);
            asm.bind(tagged);
            test_slot(asm, SLOT_VLAN_ID, u32::from(id), on_true, on_false);
        }
        Primitive::Ipv4Fragment => {
            asm.emit(op::LD | op::MEM, SLOT_FRAGMENT);
            asm.branch(op::JMP | op::JSET | op::K, 0x3fff, on_true, on_false);
        }
        Primitive::Ipv6ExtensionHeader => {
            let ipv6 = asm.label();
            test_slot(asm, SLOT_VERSION, 6, ipv6, on_false);
            asm.bind(ipv6);
            asm.emit(op::LD | op::MEM, SLOT_PROTOCOL);
            for header in IPV6_EXTENSION_HEADERS {
                branch_if(asm, op::JEQ, header, on_true);
            }
            asm.jump(on_false);
        }
        Primitive::Port(direction, port) => {
            test_ports(
                asm,
                direction,
                on_true,
                on_false,
                |asm, offset, on_true, on_false| {
                    asm.emit(op::LD | op::H | op::IND, offset);
                    asm.branch(
                        op::JMP | op::JEQ | op::K,
                        u32::from(port),
                        on_true,
                        on_false,
                    );
                },
            );
        }
        Primitive::PortRange(direction, first, last) => {
            test_ports(
                asm,
                direction,
                on_true,
                on_false,
                |asm, offset, on_true, on_false| {
                    let above_first = asm.label();
                    asm.emit(op::LD | op::H | op::IND, offset);
                    asm.branch(
                        op::JMP | op::JGE | op::K,
                        u32::from(first),
                        above_first,
                        on_false,
                    );
                    asm.bind(above_first);
                    asm.branch(
                        op::JMP | op::JGT | op::K,
                        u32::from(last),
                        on_false,
                        on_true,
                    );
                },
            );
        }
        Primitive::Host(direction, address) => {
            let prefix = if address.is_ipv4() { 32 } else { 128 };
            test_addresses(
                asm,
                direction,
                Network { address, prefix },
                on_true,
                on_false,
            );
        }
        Primitive::Net(direction, network) => {
            test_addresses(asm, direction, network, on_true, on_false)
        }
    }
}

/// Emits a port test. Like libpcap, ports exist only for UDP and TCP directly after the IP
/// header, and never in an IPv4 fragment other than the first.
fn test_ports(
    asm: &mut Assembler,
    direction: Direction,
    on_true: Label,
    on_false: Label,
    test: impl Fn(&mut Assembler, u32, Label, Label),
) {
    let transport = asm.label();
    let first_fragment = asm.label();
    asm.emit(op::LD | op::MEM, SLOT_PROTOCOL);
    branch_if(asm, op::JEQ, PROTOCOL_UDP, transport);
    asm.branch(op::JMP | op::JEQ | op::K, PROTOCOL_TCP, transport, on_false);
    asm.bind(transport);
    asm.emit(op::LD | op::MEM, SLOT_FRAGMENT);
    asm.branch(op::JMP | op::JSET | op::K, 0x1fff, on_false, first_fragment);
    asm.bind(first_fragment);
    asm.emit(op::LDX | op::MEM, SLOT_TRANSPORT);
    match direction {
        Direction::Source => test(asm, 0, on_true, on_false),
        Direction::Destination => test(asm, 2, on_true, on_false),
        Direction::Either => {
            let destination = asm.label();
            test(asm, 0, on_true, destination);
            asm.bind(destination);
            test(asm, 2, on_true, on_false);
        }
    }
}

/// Emits a test of the source and/or destination address against `network`.
fn test_addresses(
    asm: &mut Assembler,
    direction: Direction,
    network: Network,
    on_true: Label,
    on_false: Label,
) {
    let (version, source, destination, words) = match network.address {
        IpAddr::V4(address) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(network.prefix))
                .unwrap_or(0);
            let mut words = [(0, 0); 4];
            words[0] = (u32::from(address) & mask, mask);
            (4, 12, 16, words)
        }
        IpAddr::V6(address) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(network.prefix))
                .unwrap_or(0);
            let value = u128::from(address) & mask;
            let word = |bits: u128, index: u32| (bits >> (96 - 32 * index)) as u32;
            let words = [0, 1, 2, 3].map(|index| (word(value, index), word(mask, index)));
            (6, 8, 24, words)
        }
    };
    let is_version = asm.label();
    test_slot(asm, SLOT_VERSION, version, is_version, on_false);
    asm.bind(is_version);
    asm.emit(op::LDX | op::MEM, SLOT_NETWORK);
    match direction {
        Direction::Source => match_words(asm, source, &words, on_true, on_false),
        Direction::Destination => match_words(asm, destination, &words, on_true, on_false),
        Direction::Either => {
            let try_destination = asm.label();
            match_words(asm, source, &words, on_true, try_destination);
            asm.bind(try_destination);
            match_words(asm, destination, &words, on_true, on_false);
        }
    }
}

/// Compares the 32-bit words at `offset` (relative to X) with `(value, mask)` pairs; words
/// with an empty mask are skipped.
fn match_words(
    asm: &mut Assembler,
    offset: u32,
    words: &[(u32, u32); 4],
    on_true: Label,
    on_false: Label,
) {
    for (index, (value, mask)) in (0u32..).zip(words) {
        if *mask == 0 {
            continue;
        }
        asm.emit(op::LD | op::W | op::IND, offset + 4 * index);
        if *mask != u32::MAX {
            asm.emit(op::ALU | op::AND | op::K, *mask);
        }
        let next = asm.label();
        asm.branch(op::JMP | op::JEQ | op::K, *value, next, on_false);
        asm.bind(next);
    }
    asm.jump(on_true);
}
