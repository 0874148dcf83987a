//! A classic BPF interpreter with Linux socket-filter semantics.
//!
//! It exists so filter programs can be tested against hand-made packets without a kernel, and so
//! the same program can be applied to frames read from capture files. Like the kernel, it returns
//! 0 (reject) when a load reads past the packet, on division by zero and on an unknown opcode.

use super::{ancillary, op, Instruction, MEMORY_WORDS};

/// Packet metadata the kernel exposes through ancillary loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketMeta {
    /// EtherType of the packet in host byte order (`skb->protocol`).
    pub protocol: u16,
    /// Linux packet type: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing.
    pub packet_type: u8,
    /// Index of the interface the packet was seen on.
    pub ifindex: u32,
    /// VLAN tag control information stripped by the driver, if any.
    pub vlan_tci: Option<u16>,
}

/// Runs `program` over `packet` and returns the number of bytes to keep (0 rejects).
pub fn run(program: &[Instruction], packet: &[u8], meta: &PacketMeta) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut memory = [0u32; MEMORY_WORDS];
    let mut pc = 0usize;
    while let Some(instruction) = program.get(pc) {
        pc += 1;
        let k = instruction.k;
        let code = instruction.code;
        match code & 0x07 {
            op::LD => match load(code, k, x, packet, meta, &memory) {
                Some(value) => a = value,
                None => return 0,
            },
            op::LDX => match code {
                c if c == op::LDX | op::W | op::IMM => x = k,
                c if c == op::LDX | op::W | op::MEM => match memory.get(k as usize) {
                    Some(value) => x = *value,
                    None => return 0,
                },
                c if c == op::LDX | op::W | op::LEN => x = packet.len() as u32,
                c if c == op::LDX | op::B | op::MSH => match packet.get(k as usize) {
                    Some(byte) => x = 4 * u32::from(byte & 0x0f),
                    None => return 0,
                },
                _ => return 0,
            },
            op::ST | op::STX => {
                let value = if code & 0x07 == op::ST { a } else { x };
                match memory.get_mut(k as usize) {
                    Some(slot) => *slot = value,
                    None => return 0,
                }
            }
            op::ALU => {
                let operand = if code & op::X != 0 { x } else { k };
                match alu(code & 0xf0, a, operand) {
                    Some(value) => a = value,
                    None => return 0,
                }
            }
            op::JMP => {
                let operand = if code & op::X != 0 { x } else { k };
                let condition = match code & 0xf0 {
                    op::JA => {
                        pc = pc.saturating_add(k as usize);
                        continue;
                    }
                    op::JEQ => a == operand,
                    op::JGT => a > operand,
                    op::JGE => a >= operand,
                    op::JSET => a & operand != 0,
                    _ => return 0,
                };
                pc += usize::from(if condition {
                    instruction.jt
                } else {
                    instruction.jf
                });
            }
            op::RET => {
                return match code & 0x18 {
                    op::K => k,
                    op::A => a,
                    _ => 0,
                }
            }
            _ => match code & 0xf8 {
                op::TAX => x = a,
                op::TXA => a = x,
                _ => return 0,
            },
        }
    }
    0
}

fn load(
    code: u16,
    k: u32,
    x: u32,
    packet: &[u8],
    meta: &PacketMeta,
    memory: &[u32; MEMORY_WORDS],
) -> Option<u32> {
    let size = match code & 0x18 {
        op::W => 4,
        op::H => 2,
        op::B => 1,
        _ => return None,
    };
    match code & 0xe0 {
        op::IMM => Some(k),
        op::LEN => Some(packet.len() as u32),
        op::MEM => memory.get(k as usize).copied(),
        op::ABS if k >= ancillary::BASE => ancillary_value(k - ancillary::BASE, meta),
        op::ABS => read(packet, k as usize, size),
        op::IND => read(packet, x.checked_add(k)? as usize, size),
        _ => None,
    }
}

fn ancillary_value(field: u32, meta: &PacketMeta) -> Option<u32> {
    match field {
        ancillary::PROTOCOL => Some(u32::from(meta.protocol)),
        ancillary::PKTTYPE => Some(u32::from(meta.packet_type)),
        ancillary::IFINDEX => Some(meta.ifindex),
        ancillary::VLAN_TAG => Some(u32::from(meta.vlan_tci.unwrap_or(0))),
        ancillary::VLAN_TAG_PRESENT => Some(u32::from(meta.vlan_tci.is_some())),
        _ => None,
    }
}

fn read(packet: &[u8], offset: usize, size: usize) -> Option<u32> {
    let bytes = packet.get(offset..offset.checked_add(size)?)?;
    Some(
        bytes
            .iter()
            .fold(0u32, |value, byte| (value << 8) | u32::from(*byte)),
    )
}

fn alu(operation: u16, a: u32, operand: u32) -> Option<u32> {
    Some(match operation {
        op::ADD => a.wrapping_add(operand),
        op::SUB => a.wrapping_sub(operand),
        op::MUL => a.wrapping_mul(operand),
        op::DIV => a.checked_div(operand)?,
        op::MOD => a.checked_rem(operand)?,
        op::OR => a | operand,
        op::AND => a & operand,
        op::XOR => a ^ operand,
        op::LSH => a.checked_shl(operand).unwrap_or(0),
        op::RSH => a.checked_shr(operand).unwrap_or(0),
        op::NEG => a.wrapping_neg(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(code: u16, k: u32) -> Instruction {
        Instruction::statement(code, k)
    }

    #[test]
    fn loads_big_endian_halfword() {
        let program = [
            statement(op::LD | op::H | op::ABS, 1),
            statement(op::RET | op::A, 0),
        ];
        assert_eq!(
            run(&program, &[0, 0x12, 0x34], &PacketMeta::default()),
            0x1234
        );
    }

    #[test]
    fn out_of_bounds_load_rejects() {
        let program = [
            statement(op::LD | op::W | op::ABS, 2),
            statement(op::RET | op::K, 99),
        ];
        assert_eq!(run(&program, &[1, 2, 3, 4, 5], &PacketMeta::default()), 0);
    }

    #[test]
    fn conditional_jump_takes_branches() {
        let program = [
            statement(op::LD | op::B | op::ABS, 0),
            Instruction {
                code: op::JMP | op::JEQ | op::K,
                jt: 1,
                jf: 0,
                k: 7,
            },
            statement(op::RET | op::K, 1),
            statement(op::RET | op::K, 2),
        ];
        assert_eq!(run(&program, &[7], &PacketMeta::default()), 2);
        assert_eq!(run(&program, &[8], &PacketMeta::default()), 1);
    }

    #[test]
    fn ancillary_loads_read_meta() {
        let program = [
            statement(
                op::LD | op::W | op::ABS,
                ancillary::BASE + ancillary::IFINDEX,
            ),
            statement(op::RET | op::A, 0),
        ];
        let meta = PacketMeta {
            ifindex: 42,
            ..PacketMeta::default()
        };
        assert_eq!(run(&program, &[], &meta), 42);
    }

    #[test]
    fn division_by_zero_rejects() {
        let program = [
            statement(op::LD | op::IMM, 5),
            statement(op::ALU | op::DIV | op::X, 0),
            statement(op::RET | op::K, 1),
        ];
        assert_eq!(run(&program, &[], &PacketMeta::default()), 0);
    }

    #[test]
    fn missing_return_rejects() {
        let program = [statement(op::LD | op::IMM, 5)];
        assert_eq!(run(&program, &[], &PacketMeta::default()), 0);
    }
}
