//! Record type, class, opcode and response code names as events write them, read from tables
//! of fixed-size entries. Appending an entry is one fixed-size copy, while appending a name of
//! variable length made a `memcpy` call, and an event writes seven or more names.
//!
//! Values without an entry (no name, or a number above 255) are written as before through
//! [`write_named`] and [`write_unquoted_named`].

use std::sync::LazyLock;

use dnstel_dns::{Class, Opcode, Rcode, Rtype};

use crate::encode::{write_named, write_unquoted_named};

/// Bytes of an entry. A name that does not fit gets no entry and takes the fallback.
const ENTRY_LEN: usize = 16;

/// A name of up to [`ENTRY_LEN`] bytes, padded to that length.
#[derive(Clone, Copy, Debug)]
struct Entry {
    bytes: [u8; ENTRY_LEN],
    len: u8,
}

impl Entry {
    /// Returns the entry for `text`, or `None` when it is too long.
    fn new(text: &[u8]) -> Option<Entry> {
        let mut bytes = [0; ENTRY_LEN];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(Entry {
            bytes,
            len: text.len() as u8,
        })
    }

    fn append_to(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        out.truncate(start + usize::from(self.len));
    }
}

/// The quoted and the bare name of each value below 256 that has a name.
struct NameTable {
    quoted: Vec<Option<Entry>>,
    bare: Vec<Option<Entry>>,
}

impl NameTable {
    fn new(name: impl Fn(u8) -> Option<&'static str>) -> NameTable {
        let names: Vec<Option<&str>> = (0..=u8::MAX).map(name).collect();
        let quoted = names
            .iter()
            .map(|name| name.and_then(|name| Entry::new(format!("\"{name}\"").as_bytes())))
            .collect();
        let bare = names
            .iter()
            .map(|name| name.and_then(|name| Entry::new(name.as_bytes())))
            .collect();
        NameTable { quoted, bare }
    }

    fn quoted(&self, number: u16) -> Option<&Entry> {
        self.quoted.get(usize::from(number))?.as_ref()
    }

    fn bare(&self, number: u16) -> Option<&Entry> {
        self.bare.get(usize::from(number))?.as_ref()
    }
}

static RTYPES: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::new(|number| Rtype(u16::from(number)).mnemonic()));
static CLASSES: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::new(|number| Class(u16::from(number)).mnemonic()));
static OPCODES: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::new(|number| Opcode(number).mnemonic()));
static RCODES: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::new(|number| Rcode(u16::from(number)).packetbeat_name()));

/// Writes a record type as a JSON string: its mnemonic, else its number.
pub(crate) fn write_rtype(out: &mut Vec<u8>, rtype: Rtype) {
    match RTYPES.quoted(rtype.0) {
        Some(entry) => entry.append_to(out),
        None => write_named(out, rtype.mnemonic(), &rtype),
    }
}

/// Writes a class as a JSON string: its mnemonic, else its number.
pub(crate) fn write_class(out: &mut Vec<u8>, class: Class) {
    match CLASSES.quoted(class.0) {
        Some(entry) => entry.append_to(out),
        None => write_named(out, class.mnemonic(), &class),
    }
}

/// Writes an opcode as a JSON string: its mnemonic, else its number.
pub(crate) fn write_opcode(out: &mut Vec<u8>, opcode: Opcode) {
    match OPCODES.quoted(u16::from(opcode.0)) {
        Some(entry) => entry.append_to(out),
        None => write_named(out, opcode.mnemonic(), &opcode),
    }
}

/// Writes a response code as a JSON string, as `dns.response_code` shows it.
pub(crate) fn write_rcode(out: &mut Vec<u8>, rcode: Rcode) {
    match RCODES.quoted(rcode.0) {
        Some(entry) => entry.append_to(out),
        None => write_named(out, rcode.packetbeat_name(), &rcode),
    }
}

/// Writes a record type without quotes: its mnemonic, else its number.
pub(crate) fn write_bare_rtype(out: &mut Vec<u8>, rtype: Rtype) {
    match RTYPES.bare(rtype.0) {
        Some(entry) => entry.append_to(out),
        None => write_unquoted_named(out, rtype.mnemonic(), &rtype),
    }
}

/// Writes a class without quotes: its mnemonic, else its number.
pub(crate) fn write_bare_class(out: &mut Vec<u8>, class: Class) {
    match CLASSES.bare(class.0) {
        Some(entry) => entry.append_to(out),
        None => write_unquoted_named(out, class.mnemonic(), &class),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `fast` and `slow` on every value and checks that they write the same text.
    fn assert_same_text<T: Copy + std::fmt::Debug>(
        values: impl Iterator<Item = T>,
        fast: impl Fn(&mut Vec<u8>, T),
        slow: impl Fn(&mut Vec<u8>, T),
    ) {
        for value in values {
            let mut from_table = b"x".to_vec();
            fast(&mut from_table, value);
            let mut expected = b"x".to_vec();
            slow(&mut expected, value);
            assert_eq!(
                String::from_utf8_lossy(&from_table),
                String::from_utf8_lossy(&expected),
                "{value:?}"
            );
        }
    }

    #[test]
    fn rtype_names_match_mnemonics() {
        let values = || (0..=u16::MAX).map(Rtype);
        assert_same_text(values(), write_rtype, |out, rtype| {
            write_named(out, rtype.mnemonic(), &rtype);
        });
        assert_same_text(values(), write_bare_rtype, |out, rtype| {
            write_unquoted_named(out, rtype.mnemonic(), &rtype);
        });
    }

    #[test]
    fn class_names_match_mnemonics() {
        let values = || (0..=u16::MAX).map(Class);
        assert_same_text(values(), write_class, |out, class| {
            write_named(out, class.mnemonic(), &class);
        });
        assert_same_text(values(), write_bare_class, |out, class| {
            write_unquoted_named(out, class.mnemonic(), &class);
        });
    }

    #[test]
    fn opcode_and_rcode_names_match() {
        assert_same_text((0..=u8::MAX).map(Opcode), write_opcode, |out, opcode| {
            write_named(out, opcode.mnemonic(), &opcode);
        });
        assert_same_text((0..=u16::MAX).map(Rcode), write_rcode, |out, rcode| {
            write_named(out, rcode.packetbeat_name(), &rcode);
        });
    }

    #[test]
    fn common_names_have_entries() {
        assert!(RTYPES.quoted(Rtype::AAAA.0).is_some());
        assert!(RTYPES.bare(Rtype::AAAA.0).is_some());
        assert!(CLASSES.quoted(Class::IN.0).is_some());
        assert!(OPCODES.quoted(0).is_some());
        assert!(RCODES.quoted(Rcode::NOERROR.0).is_some());
    }
}
