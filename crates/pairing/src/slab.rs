//! A growable array in fixed-size chunks, so growing it never copies or frees what it holds.
//!
//! A `Vec` doubles by allocating a new buffer and copying into it, so at the moment it grows the
//! old and new buffers are both resident: growing past 65 536 elements briefly needs room for
//! 196 608. The pending-query table grows in chunks of [`CHUNK_LEN`] elements instead.

/// Elements per chunk.
pub(crate) const CHUNK_LEN: usize = 1024;

/// Elements addressed by `u32` positions, stored in chunks of [`CHUNK_LEN`].
#[derive(Debug)]
pub(crate) struct Slab<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Returns the number of elements, vacant positions of the caller included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends an element and returns its position. The caller keeps positions below
    /// `u32::MAX`.
    pub fn push(&mut self, element: T) -> usize {
        if self.len % CHUNK_LEN == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK_LEN));
        }
        let chunk = self
            .chunks
            .last_mut()
            .expect("a chunk with room was just ensured");
        chunk.push(element);
        self.len += 1;
        self.len - 1
    }

    pub fn get(&self, position: u32) -> &T {
        let position = position as usize;
        &self.chunks[position / CHUNK_LEN][position % CHUNK_LEN]
    }

    pub fn get_mut(&mut self, position: u32) -> &mut T {
        let position = position as usize;
        &mut self.chunks[position / CHUNK_LEN][position % CHUNK_LEN]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_span_chunks() {
        let mut slab = Slab::default();
        for value in 0..(3 * CHUNK_LEN as u32 + 5) {
            assert_eq!(slab.push(value), value as usize);
        }
        assert_eq!(slab.len(), 3 * CHUNK_LEN + 5);
        assert_eq!(*slab.get(0), 0);
        assert_eq!(*slab.get(CHUNK_LEN as u32), CHUNK_LEN as u32);
        *slab.get_mut(3 * CHUNK_LEN as u32 + 4) = 7;
        assert_eq!(*slab.get(3 * CHUNK_LEN as u32 + 4), 7);
    }

    #[test]
    fn chunks_never_reallocate() {
        let mut slab = Slab::default();
        for value in 0..(2 * CHUNK_LEN) {
            slab.push(value);
        }
        assert!(slab
            .chunks
            .iter()
            .all(|chunk| chunk.capacity() == CHUNK_LEN));
    }
}
