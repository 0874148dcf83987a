//! Bounds-checked header access shared by the decoders.

use crate::{DecodeError, Layer};

/// Returns `data[offset..offset + needed]`, or a [`DecodeError::Truncated`] naming `layer`.
pub(crate) fn header(
    data: &[u8],
    offset: usize,
    needed: usize,
    layer: Layer,
) -> Result<&[u8], DecodeError> {
    let available = data.len().saturating_sub(offset);
    if available < needed {
        return Err(DecodeError::Truncated {
            layer,
            offset,
            needed,
            available,
        });
    }
    Ok(&data[offset..offset + needed])
}

/// Reads a big-endian u16 at `index` of a slice already checked to be long enough.
pub(crate) fn be_u16(bytes: &[u8], index: usize) -> u16 {
    u16::from_be_bytes([bytes[index], bytes[index + 1]])
}

/// Reads a big-endian u32 at `index` of a slice already checked to be long enough.
pub(crate) fn be_u32(bytes: &[u8], index: usize) -> u32 {
    u32::from_be_bytes([
        bytes[index],
        bytes[index + 1],
        bytes[index + 2],
        bytes[index + 3],
    ])
}
