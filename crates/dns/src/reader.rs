//! A bounds-checked cursor over the message bytes.

/// Reads big-endian integers and byte slices from a message, never past its end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// Creates a reader over `bytes` starting at `position`.
    pub(crate) fn new(bytes: &'a [u8], position: usize) -> Self {
        Reader { bytes, position }
    }

    /// Returns the current offset.
    pub(crate) fn position(&self) -> usize {
        self.position
    }

    /// Returns the number of bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    /// Moves to `position`, which the caller has checked is inside the input.
    pub(crate) fn set_position(&mut self, position: usize) {
        self.position = position.min(self.bytes.len());
    }

    /// Returns the unread bytes.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.position..).unwrap_or_default()
    }

    /// Reads `len` bytes, or `None` if fewer are left.
    pub(crate) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.position.checked_add(len)?;
        let slice = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(slice)
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.position)?;
        self.position += 1;
        Some(byte)
    }

    /// Reads a big-endian u16.
    pub(crate) fn u16(&mut self) -> Option<u16> {
        let slice = self.take(2)?;
        Some(u16::from_be_bytes([*slice.first()?, *slice.get(1)?]))
    }

    /// Reads a big-endian u32.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        let slice = self.take(4)?;
        let mut word = [0u8; 4];
        word.copy_from_slice(slice);
        Some(u32::from_be_bytes(word))
    }

    /// Reads a big-endian 48-bit integer (TSIG time).
    pub(crate) fn u48(&mut self) -> Option<u64> {
        let slice = self.take(6)?;
        Some(slice.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Reads a length byte and that many bytes (an RFC 1035 character-string).
    pub(crate) fn character_string(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    /// Returns whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_stops_at_end() {
        let mut reader = Reader::new(&[1, 2, 3], 0);
        assert_eq!(reader.u16(), Some(0x0102));
        assert_eq!(reader.u16(), None);
        assert_eq!(reader.u8(), Some(3));
        assert_eq!(reader.u8(), None);
        assert!(reader.is_empty());
    }

    #[test]
    fn reader_take_overflow_safe() {
        let mut reader = Reader::new(&[1, 2, 3], 2);
        assert_eq!(reader.take(usize::MAX), None);
        assert_eq!(reader.position(), 2);
    }
}
