//! A small cBPF assembler with forward labels.
//!
//! Conditional jumps in classic BPF hold 8-bit offsets, so a branch can reach at most 255
//! instructions ahead. [`Assembler::finish`] lays the program out and rewrites every branch whose
//! target is further away as a conditional jump over two unconditional `ja` jumps, which carry
//! 32-bit offsets. Relaxation starts with every branch short and lengthens branches until the
//! layout is stable; lengthening only moves targets further, so the loop terminates.

use super::{op, Instruction, MAX_INSTRUCTIONS};
use crate::error::CaptureError;

/// A position in the program, created by [`Assembler::label`] and placed by [`Assembler::bind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Debug)]
enum Item {
    Statement(Instruction),
    Jump(Label),
    Branch {
        code: u16,
        k: u32,
        on_true: Label,
        on_false: Label,
    },
    Bind(Label),
}

/// Collects instructions and label references, then resolves them into a program.
#[derive(Debug, Default)]
pub struct Assembler {
    items: Vec<Item>,
    label_count: usize,
}

impl Assembler {
    /// Creates an empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a label that is not yet placed.
    pub fn label(&mut self) -> Label {
        self.label_count += 1;
        Label(self.label_count - 1)
    }

    /// Places `label` before the next emitted instruction.
    pub fn bind(&mut self, label: Label) {
        self.items.push(Item::Bind(label));
    }

    /// Emits a non-jump instruction.
    pub fn emit(&mut self, code: u16, k: u32) {
        self.items
            .push(Item::Statement(Instruction::statement(code, k)));
    }

    /// Emits an unconditional jump.
    pub fn jump(&mut self, target: Label) {
        self.items.push(Item::Jump(target));
    }

    /// Emits a conditional jump: `code` is a `JMP` class opcode such as `JMP | JEQ | K`.
    pub fn branch(&mut self, code: u16, k: u32, on_true: Label, on_false: Label) {
        self.items.push(Item::Branch {
            code,
            k,
            on_true,
            on_false,
        });
    }

    /// Resolves labels and returns the program.
    ///
    /// Fails when a label is used but never bound, bound twice, or bound before a jump to it,
    /// and when the program exceeds the kernel's instruction limit.
    pub fn finish(self) -> Result<Vec<Instruction>, CaptureError> {
        let mut long = vec![false; self.items.len()];
        let addresses = loop {
            let (starts, labels) = self.layout(&long)?;
            let mut changed = false;
            for (index, item) in self.items.iter().enumerate() {
                if let Item::Branch {
                    on_true, on_false, ..
                } = item
                {
                    if long[index] {
                        continue;
                    }
                    let next = starts[index] + 1;
                    let reach_true = distance(&labels, *on_true, next)?;
                    let reach_false = distance(&labels, *on_false, next)?;
                    if reach_true > 255 || reach_false > 255 {
                        long[index] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break (starts, labels);
            }
        };
        self.encode(&long, &addresses.0, &addresses.1)
    }

    /// Computes each item's start address and each label's address for one choice of branch
    /// lengths.
    fn layout(&self, long: &[bool]) -> Result<(Vec<usize>, Vec<Option<usize>>), CaptureError> {
        let mut starts = Vec::with_capacity(self.items.len());
        let mut labels = vec![None; self.label_count];
        let mut address = 0usize;
        for (index, item) in self.items.iter().enumerate() {
            starts.push(address);
            match item {
                Item::Bind(label) => {
                    if labels[label.0].replace(address).is_some() {
                        return Err(CaptureError::Program(format!(
                            "label {} bound twice",
                            label.0
                        )));
                    }
                }
                Item::Branch { .. } if long[index] => address += 3,
                _ => address += 1,
            }
        }
        if address > MAX_INSTRUCTIONS {
            return Err(CaptureError::FilterTooLarge {
                instructions: address,
                max: MAX_INSTRUCTIONS,
            });
        }
        Ok((starts, labels))
    }

    fn encode(
        &self,
        long: &[bool],
        starts: &[usize],
        labels: &[Option<usize>],
    ) -> Result<Vec<Instruction>, CaptureError> {
        let mut program = Vec::with_capacity(starts.last().map_or(0, |last| last + 3));
        for (index, item) in self.items.iter().enumerate() {
            let next = starts[index] + 1;
            match *item {
                Item::Bind(_) => {}
                Item::Statement(instruction) => program.push(instruction),
                Item::Jump(target) => program.push(jump_to(distance(labels, target, next)?)),
                Item::Branch {
                    code,
                    k,
                    on_true,
                    on_false,
                } if long[index] => {
                    program.push(Instruction {
                        code,
                        jt: 0,
                        jf: 1,
                        k,
                    });
                    program.push(jump_to(distance(labels, on_true, next + 1)?));
                    program.push(jump_to(distance(labels, on_false, next + 2)?));
                }
                Item::Branch {
                    code,
                    k,
                    on_true,
                    on_false,
                } => {
                    let reach_true = distance(labels, on_true, next)?;
                    let reach_false = distance(labels, on_false, next)?;
                    program.push(Instruction {
                        code,
                        jt: u8::try_from(reach_true).expect("relaxation keeps short jumps < 256"),
                        jf: u8::try_from(reach_false).expect("relaxation keeps short jumps < 256"),
                        k,
                    });
                }
            }
        }
        Ok(program)
    }
}

fn jump_to(offset: usize) -> Instruction {
    let offset = u32::try_from(offset).expect("program length is bounded by MAX_INSTRUCTIONS");
    Instruction::statement(op::JMP | op::JA, offset)
}

/// Returns how many instructions a jump from `next` (the address after the jump) skips.
fn distance(labels: &[Option<usize>], target: Label, next: usize) -> Result<usize, CaptureError> {
    let address = labels[target.0]
        .ok_or_else(|| CaptureError::Program(format!("label {} is never bound", target.0)))?;
    address.checked_sub(next).ok_or_else(|| {
        CaptureError::Program(format!("label {} is bound before a jump to it", target.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_branch_encodes_offsets() {
        let mut asm = Assembler::new();
        let yes = asm.label();
        let no = asm.label();
        asm.branch(op::JMP | op::JEQ | op::K, 7, yes, no);
        asm.bind(no);
        asm.emit(op::RET | op::K, 0);
        asm.bind(yes);
        asm.emit(op::RET | op::K, 1);
        let program = asm.finish().expect("valid program");
        assert_eq!(program.len(), 3);
        assert_eq!(program[0].jt, 1);
        assert_eq!(program[0].jf, 0);
    }

    #[test]
    fn far_branch_uses_long_jumps() {
        let mut asm = Assembler::new();
        let yes = asm.label();
        let no = asm.label();
        asm.branch(op::JMP | op::JEQ | op::K, 7, yes, no);
        asm.bind(no);
        for _ in 0..300 {
            asm.emit(op::LD | op::IMM, 0);
        }
        asm.emit(op::RET | op::K, 0);
        asm.bind(yes);
        asm.emit(op::RET | op::K, 1);
        let program = asm.finish().expect("valid program");
        assert_eq!(program.len(), 305);
        assert_eq!((program[0].jt, program[0].jf), (0, 1));
        assert_eq!(program[1].k, 302, "true path jumps past the filler");
        assert_eq!(program[2].k, 0, "false path falls through");
    }

    #[test]
    fn unbound_label_is_error() {
        let mut asm = Assembler::new();
        let nowhere = asm.label();
        asm.jump(nowhere);
        assert!(asm.finish().is_err());
    }

    #[test]
    fn backward_label_is_error() {
        let mut asm = Assembler::new();
        let start = asm.label();
        asm.bind(start);
        asm.emit(op::LD | op::IMM, 0);
        asm.jump(start);
        assert!(asm.finish().is_err());
    }

    #[test]
    fn oversized_program_is_error() {
        let mut asm = Assembler::new();
        for _ in 0..=MAX_INSTRUCTIONS {
            asm.emit(op::LD | op::IMM, 0);
        }
        assert!(matches!(
            asm.finish(),
            Err(CaptureError::FilterTooLarge { .. })
        ));
    }
}
