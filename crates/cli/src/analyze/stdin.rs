//! Standard input for `analyze --stdin`, read by a thread of its own unless it is a file.
//!
//! A read from a pipe blocks until data arrives, and a signal does not end it. Reading on a
//! separate thread lets the rule loop wait with a timeout instead: while the input is idle it
//! still stops on SIGTERM or SIGINT, reloads on SIGHUP and flushes the alerts it holds. A
//! read from a regular file never waits for data, so the rule loop reads such a file itself
//! and saves handing each chunk from one thread to the other.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::Duration;

/// Bytes requested by each read of standard input.
const CHUNK_BYTES: usize = 256 * 1024;

/// Maximum chunks read ahead of the rule loop, so memory stays within a few chunks.
const CHUNKS_AHEAD: usize = 4;

/// Maximum buffers kept for reuse: those read ahead, the one the rule loop reads and the one
/// being filled.
const SPARE_BUFFERS: usize = CHUNKS_AHEAD + 2;

/// Bytes read by one read of standard input, in a buffer that
/// [`StdinChunks::recycle`] takes back.
#[derive(Debug)]
pub struct Chunk {
    /// A buffer of [`CHUNK_BYTES`] bytes, of which the first `len` were read.
    buffer: Vec<u8>,
    len: usize,
}

impl Chunk {
    /// Returns the bytes read.
    pub fn bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

/// The result of [`StdinChunks::next`].
#[derive(Debug)]
pub enum Input {
    /// Bytes read, in the order they arrived.
    Chunk(Chunk),
    /// Nothing arrived within the timeout.
    Idle,
    /// Standard input ended.
    End,
}

/// Chunks of standard input.
#[derive(Debug)]
pub struct StdinChunks {
    source: Source,
}

/// The source of the bytes of [`StdinChunks`].
#[derive(Debug)]
enum Source {
    /// A regular file, read by the rule loop, and the buffer of the last chunk once it is
    /// handed back.
    File { file: File, spare: Option<Vec<u8>> },
    /// Anything else, read by a background thread.
    Thread {
        chunks: Receiver<io::Result<Chunk>>,
        /// Buffers handed back to the reading thread, which then neither allocates nor
        /// zeroes a new one for each read.
        spare: SyncSender<Vec<u8>>,
    },
}

impl StdinChunks {
    /// Reads standard input: in the rule loop when it is a regular file, otherwise on a
    /// thread started here.
    ///
    /// # Errors
    /// Returns an error when the thread cannot be started.
    pub fn start() -> io::Result<StdinChunks> {
        let file = io::stdin().as_fd().try_clone_to_owned().map(File::from);
        match file {
            Ok(file) if file.metadata().is_ok_and(|metadata| metadata.is_file()) => {
                Ok(StdinChunks::from_file(file))
            }
            _ => StdinChunks::start_with(io::stdin()),
        }
    }

    /// Reads `file`, a regular file, in the rule loop.
    fn from_file(file: File) -> StdinChunks {
        StdinChunks {
            source: Source::File { file, spare: None },
        }
    }

    /// Starts the thread that reads `input`.
    fn start_with(mut input: impl Read + Send + 'static) -> io::Result<StdinChunks> {
        let (sender, chunks) = mpsc::sync_channel(CHUNKS_AHEAD);
        let (spare, spares) = mpsc::sync_channel::<Vec<u8>>(SPARE_BUFFERS);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || loop {
                let mut buffer = spares.try_recv().unwrap_or_else(|_| vec![0; CHUNK_BYTES]);
                let read = match input.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(read) => read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        let _ = sender.send(Err(error));
                        return;
                    }
                };
                let chunk = Chunk { buffer, len: read };
                if sender.send(Ok(chunk)).is_err() {
                    return;
                }
            })?;
        Ok(StdinChunks {
            source: Source::Thread { chunks, spare },
        })
    }

    /// Hands the buffer of a chunk back for a later read. When enough buffers are spare
    /// already, or the reading thread has ended, the buffer is freed.
    pub fn recycle(&mut self, chunk: Chunk) {
        match &mut self.source {
            Source::File { spare, .. } => *spare = Some(chunk.buffer),
            Source::Thread { spare, .. } => {
                let _ = spare.try_send(chunk.buffer);
            }
        }
    }

    /// Waits up to `timeout` for the next chunk. A file is read at once.
    ///
    /// # Errors
    /// Returns the error of a failed read; the input has then ended.
    pub fn next(&mut self, timeout: Duration) -> io::Result<Input> {
        match &mut self.source {
            Source::File { file, spare } => {
                let mut buffer = spare.take().unwrap_or_else(|| vec![0; CHUNK_BYTES]);
                loop {
                    match file.read(&mut buffer) {
                        Ok(0) => return Ok(Input::End),
                        Ok(len) => return Ok(Input::Chunk(Chunk { buffer, len })),
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                        // Standard input open for writing only: Rust's standard input reads
                        // that as the end of input, and so does this.
                        Err(error) if error.raw_os_error() == Some(nix::libc::EBADF) => {
                            return Ok(Input::End)
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
            Source::Thread { chunks, .. } => match chunks.recv_timeout(timeout) {
                Ok(Ok(chunk)) => Ok(Input::Chunk(chunk)),
                Ok(Err(error)) => Err(error),
                Err(RecvTimeoutError::Timeout) => Ok(Input::Idle),
                Err(RecvTimeoutError::Disconnected) => Ok(Input::End),
            },
        }
    }
}

/// Splits chunks of bytes into lines no longer than a maximum, as the logcollector reads them.
///
/// A line is handed on without its newline. A line longer than the maximum (newline not
/// counted) is handed on once as too long, with no bytes, and its bytes are not kept.
#[derive(Debug)]
pub struct LineSplitter {
    max: usize,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// True when the partial line is already longer than `max`.
    too_long: bool,
}

impl LineSplitter {
    /// Creates a splitter for lines of at most `max` bytes.
    pub fn new(max: usize) -> LineSplitter {
        LineSplitter {
            max,
            partial: Vec::new(),
            too_long: false,
        }
    }

    /// Calls `handle(line, too_long)` for each line that `chunk` completes, and keeps the
    /// start of the last line when `chunk` ends inside it.
    ///
    /// # Errors
    /// Returns the first error of `handle`.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut handle: impl FnMut(&[u8], bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let piece = &rest[..end];
            rest = &rest[end + 1..];
            if self.partial.is_empty() && !self.too_long {
                if piece.len() > self.max {
                    handle(&[], true)?;
                } else {
                    handle(piece, false)?;
                }
                continue;
            }
            let too_long = self.too_long || self.partial.len() + piece.len() > self.max;
            if too_long {
                handle(&[], true)?;
            } else {
                self.partial.extend_from_slice(piece);
                handle(&self.partial, false)?;
            }
            self.partial.clear();
            self.too_long = false;
        }
        self.keep_partial(rest);
        Ok(())
    }

    /// Hands on the last line when the input ended without a newline after it.
    ///
    /// # Errors
    /// Returns the error of `handle`.
    pub fn finish<E>(
        &mut self,
        mut handle: impl FnMut(&[u8], bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let result = if self.too_long {
            handle(&[], true)
        } else if self.partial.is_empty() {
            Ok(())
        } else {
            handle(&self.partial, false)
        };
        self.partial.clear();
        self.too_long = false;
        result
    }

    fn keep_partial(&mut self, rest: &[u8]) {
        if self.too_long || rest.is_empty() {
            return;
        }
        if self.partial.len() + rest.len() > self.max {
            self.too_long = true;
            self.partial = Vec::new();
        } else {
            self.partial.extend_from_slice(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logtest::read_bounded_line;

    /// Splits `input` with chunks of `chunk_size` bytes, returning each line and its flag.
    fn split(input: &[u8], chunk_size: usize, max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut lines = Vec::new();
        let mut splitter = LineSplitter::new(max);
        let mut collect = |line: &[u8], too_long: bool| -> Result<(), ()> {
            lines.push((line.to_vec(), too_long));
            Ok(())
        };
        for chunk in input.chunks(chunk_size) {
            splitter.push(chunk, &mut collect).expect("collect");
        }
        splitter.finish(&mut collect).expect("collect");
        lines
    }

    /// The lines that the buffered reader of `logtest` returns for `input`.
    fn reference(input: &[u8], max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut reader = io::BufReader::with_capacity(7, input);
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while let Some(too_long) = read_bounded_line(&mut reader, &mut line, max).expect("read") {
            let text = if too_long { Vec::new() } else { line.clone() };
            lines.push((text, too_long));
        }
        lines
    }

    #[test]
    fn splitter_matches_buffered_reader() {
        let inputs: [&[u8]; 7] = [
            b"",
            b"abc",
            b"abc\n",
            b"\n\nab\n",
            b"12345678\n123456789\nx\n1234567890123\nend",
            b"123456789\n12345678",
            b"aaaaaaaaaaaaaaaaaaaaaaaa\nb\n",
        ];
        for input in inputs {
            let expected = reference(input, 8);
            for chunk_size in 1..=input.len().max(1) {
                assert_eq!(
                    split(input, chunk_size, 8),
                    expected,
                    "input {:?} in chunks of {chunk_size}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    /// Returns every byte that `chunks` delivers, recycling each chunk.
    fn read_to_end(chunks: &mut StdinChunks) -> Vec<u8> {
        let mut received = Vec::new();
        loop {
            match chunks.next(Duration::from_secs(5)).expect("read") {
                Input::Chunk(chunk) => {
                    received.extend_from_slice(chunk.bytes());
                    chunks.recycle(chunk);
                }
                Input::Idle => {}
                Input::End => return received,
            }
        }
    }

    #[test]
    fn chunks_arrive_then_end() {
        let input = io::Cursor::new(b"one\ntwo\n".to_vec());
        let mut chunks = StdinChunks::start_with(input).expect("start");
        let received = read_to_end(&mut chunks);
        assert_eq!(received, b"one\ntwo\n");
    }

    /// A reader that returns one piece per read.
    struct Pieces(Vec<&'static [u8]>);

    impl Read for Pieces {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let piece = self.0.remove(0);
            buffer[..piece.len()].copy_from_slice(piece);
            Ok(piece.len())
        }
    }

    #[test]
    fn recycled_buffers_hold_only_new_bytes() {
        let pieces = vec![&b"long first piece\n"[..], b"ab", b"c\n", b"tail"];
        let mut chunks = StdinChunks::start_with(Pieces(pieces)).expect("start");
        let received = read_to_end(&mut chunks);
        assert_eq!(received, b"long first piece\nabc\ntail");
    }

    #[test]
    fn write_only_file_ends_at_once() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events.json");
        std::fs::write(&path, b"{\"a\":1}\n").expect("write");
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        let mut chunks = StdinChunks::from_file(file);
        assert!(matches!(chunks.next(Duration::ZERO), Ok(Input::End)));
    }

    #[test]
    fn file_is_read_in_chunks_without_thread() {
        let mut file = tempfile::tempfile().expect("temporary file");
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 100)
            .map(|index| index as u8)
            .collect();
        io::Write::write_all(&mut file, &bytes).expect("write");
        io::Seek::rewind(&mut file).expect("rewind");
        let mut chunks = StdinChunks::from_file(file);
        assert!(matches!(chunks.source, Source::File { .. }));
        assert_eq!(read_to_end(&mut chunks), bytes);
    }
}
