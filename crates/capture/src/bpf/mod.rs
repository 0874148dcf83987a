//! Classic BPF (cBPF): instruction encoding, a label-resolving assembler, the program generator
//! for capture filters, and an interpreter that runs programs the way the Linux socket filter does.
//!
//! The kernel runs the generated program on every packet before it is copied into the receive
//! ring, so packets the program rejects cost no ring space and no user-space work.

mod assembler;
mod codegen;
mod interp;

pub use assembler::{Assembler, Label};
pub use codegen::{compile_filter, FilterSpec, LinkLayer};
pub use interp::{run, PacketMeta};

/// One classic BPF instruction, laid out like the kernel's `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction {
    /// Operation class, size, mode and source bits.
    pub code: u16,
    /// Jump offset when the condition holds, counted from the next instruction.
    pub jt: u8,
    /// Jump offset when the condition fails, counted from the next instruction.
    pub jf: u8,
    /// Generic operand: constant, offset or memory slot.
    pub k: u32,
}

impl Instruction {
    /// Builds a non-jump instruction.
    pub const fn statement(code: u16, k: u32) -> Self {
        Instruction {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
}

/// The kernel's upper bound on the instruction count of a classic program (`BPF_MAXINSNS`).
pub const MAX_INSTRUCTIONS: usize = 4096;

/// Number of scratch memory slots (`BPF_MEMWORDS`).
pub const MEMORY_WORDS: usize = 16;

/// Opcode bits, as in `linux/filter.h` and `linux/bpf_common.h`.
#[allow(missing_docs)]
pub mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;

    pub const W: u16 = 0x00;
    pub const H: u16 = 0x08;
    pub const B: u16 = 0x10;

    pub const IMM: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const IND: u16 = 0x40;
    pub const MEM: u16 = 0x60;
    pub const LEN: u16 = 0x80;
    pub const MSH: u16 = 0xa0;

    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const MOD: u16 = 0x90;
    pub const XOR: u16 = 0xa0;

    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;

    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    pub const A: u16 = 0x10;

    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;
}

/// Offsets of the Linux ancillary loads (`SKF_AD_*`): an absolute load at
/// `ANCILLARY_BASE + field` reads packet metadata instead of packet bytes.
#[allow(missing_docs)]
pub mod ancillary {
    pub const BASE: u32 = 0xffff_f000;
    pub const PROTOCOL: u32 = 0;
    pub const PKTTYPE: u32 = 4;
    pub const IFINDEX: u32 = 8;
    pub const VLAN_TAG: u32 = 44;
    pub const VLAN_TAG_PRESENT: u32 = 48;
}
