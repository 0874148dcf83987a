//! One followed file: reads complete lines from a byte offset and tracks what was read.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

use crate::line::MAX_LINE_BYTES;

/// A file's identity: device and inode numbers, which survive a rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// The device number.
    pub device: u64,
    /// The inode number.
    pub inode: u64,
}

impl FileKey {
    /// Returns the identity recorded in `metadata`.
    pub fn from_metadata(metadata: &std::fs::Metadata) -> FileKey {
        FileKey {
            device: metadata.dev(),
            inode: metadata.ino(),
        }
    }
}

/// A file's identity and state: device, inode, size and modification time. Unlike
/// [`FileKey`] it distinguishes two files that had the same inode one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// The file's device and inode numbers.
    pub key: FileKey,
    /// The size in bytes.
    pub size: u64,
    /// The modification time, in seconds and nanoseconds since the Unix epoch.
    pub modified: (i64, i64),
}

impl FileStamp {
    /// Returns the stamp recorded in `metadata`.
    pub fn from_metadata(metadata: &std::fs::Metadata) -> FileStamp {
        FileStamp {
            key: FileKey::from_metadata(metadata),
            size: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }
}

/// A raw line read from a followed file, or the fact that an over-long line was skipped.
#[derive(Debug, PartialEq, Eq)]
pub enum RawLine {
    /// A complete line, without its newline.
    Complete(Vec<u8>),
    /// A line longer than the maximum, skipped whole.
    TooLong,
}

/// The polls, after the one that first saw a size, that must see the same size before a
/// renamed file counts as finished: a time grace alone would end within one busy poll loop.
pub const MIN_SETTLED_POLLS: u32 = 3;

struct Stall {
    size: Option<u64>,
    since: Instant,
    polls: u32,
    settled: bool,
}

/// An open file with its read position.
pub struct Follower {
    /// The path the file was last seen under.
    pub path: PathBuf,
    /// The configured path its lines are reported from. It differs from `path` for a file
    /// found under a rotated name (`packetbeat.2`), whose lines still come from `packetbeat`.
    pub location: PathBuf,
    /// The file's identity.
    pub key: FileKey,
    /// The byte offset after the last complete line returned.
    pub offset: u64,
    /// SHA-1 of the bytes before `offset`.
    pub hasher: Sha1,
    /// Set when the path no longer names this file: it is read to its end, then closed.
    pub draining: bool,
    /// Set while the backups rotated after this file are still to be found. The lookup is
    /// tried at each poll until this file is found among the backups or its size settles.
    pub chain_pending: bool,
    /// How many times the backups rotated after this file were looked for without finding it.
    pub chain_lookups: u32,
    /// The file size at the last poll, and since when and for how many polls it has not changed.
    stall: Stall,
    file: File,
    /// Bytes read and not yet dropped: lines already handed out (the first `handed_out` bytes,
    /// which end at `offset`), then the rest, which does not yet end with a newline.
    pending: Vec<u8>,
    /// Bytes at the start of `pending` already handed out as lines.
    handed_out: usize,
    /// Set while the rest of an over-long line is being discarded.
    skipping_long_line: bool,
}

impl Follower {
    /// Opens `path` and positions it at `offset`, whose prefix hash is `hasher`.
    pub fn open(path: &Path, offset: u64, hasher: Sha1) -> io::Result<Follower> {
        Follower::from_file(path, File::open(path)?, offset, hasher)
    }

    /// Opens the rotated backup `path`, listed with identity `key`, at its start. A symbolic
    /// link is not followed, so a link planted under a backup's name cannot make dnstel read
    /// another file. The open does not block, so a FIFO swapped in cannot hang it, and the
    /// opened file must be a regular file with identity `key`.
    pub fn open_backup(path: &Path, key: FileKey) -> io::Result<Follower> {
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() || FileKey::from_metadata(&metadata) != key {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not the regular file listed as a backup (replaced since it was listed)",
            ));
        }
        Follower::from_file(path, file, 0, Sha1::new())
    }

    /// Moves the read position to `offset` when the file's first `offset` bytes have the
    /// hex SHA-1 `hash`, and returns whether they had.
    pub fn resume_at(&mut self, offset: u64, hash: &str) -> io::Result<bool> {
        self.file.seek(SeekFrom::Start(0))?;
        match crate::positions::hash_prefix_of(&self.file, offset)? {
            Some(hasher) if crate::positions::hex_digest(&hasher) == hash => {
                self.offset = offset;
                self.hasher = hasher;
                Ok(true)
            }
            _ => {
                self.file.seek(SeekFrom::Start(self.offset))?;
                Ok(false)
            }
        }
    }

    fn from_file(path: &Path, mut file: File, offset: u64, hasher: Sha1) -> io::Result<Follower> {
        let metadata = file.metadata()?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Follower {
            path: path.to_owned(),
            location: path.to_owned(),
            key: FileKey {
                device: metadata.dev(),
                inode: metadata.ino(),
            },
            offset,
            hasher,
            draining: false,
            chain_pending: false,
            chain_lookups: 0,
            stall: Stall {
                size: None,
                since: Instant::now(),
                polls: 0,
                settled: false,
            },
            file,
            pending: Vec::new(),
            handed_out: 0,
            skipping_long_line: false,
        })
    }

    /// Returns whether the read position is at the end of the open file, whatever name the
    /// file has now.
    pub fn at_end(&self) -> io::Result<bool> {
        Ok(self.file.metadata()?.len() <= self.offset)
    }

    /// Returns the open file's metadata, whatever name the file has now.
    pub fn metadata(&self) -> io::Result<std::fs::Metadata> {
        self.file.metadata()
    }

    /// Records the file size seen at a poll. The file is settled once the size has not
    /// changed for at least `grace` and at least [`MIN_SETTLED_POLLS`] polls.
    pub fn observe_size(&mut self, size: u64, now: Instant, grace: Duration) {
        if self.stall.size != Some(size) {
            self.stall = Stall {
                size: Some(size),
                since: now,
                polls: 0,
                settled: false,
            };
            return;
        }
        self.stall.polls = self.stall.polls.saturating_add(1);
        self.stall.settled =
            self.stall.polls >= MIN_SETTLED_POLLS && now.duration_since(self.stall.since) >= grace;
    }

    /// Returns whether everything up to the file's end was read except a last line that has
    /// no newline yet.
    pub fn has_only_partial_line(&self) -> io::Result<bool> {
        let size = self.file.metadata()?.len();
        Ok(size > self.offset && self.offset + self.unread().len() as u64 >= size)
    }

    /// Returns whether the bytes after `offset` belong to a line already counted as too long.
    pub fn in_long_line(&self) -> bool {
        self.skipping_long_line
    }

    /// Returns whether the size seen by [`Follower::observe_size`] has settled.
    pub fn is_settled(&self) -> bool {
        self.stall.settled
    }

    /// Returns true when the file shrank below the read position (truncated in place); the
    /// position then restarts at the beginning.
    pub fn check_truncation(&mut self) -> io::Result<bool> {
        let size = self.file.metadata()?.len();
        if size >= self.offset + self.unread().len() as u64 {
            return Ok(false);
        }
        self.offset = 0;
        self.hasher = Sha1::new();
        self.pending.clear();
        self.handed_out = 0;
        self.skipping_long_line = false;
        self.file.seek(SeekFrom::Start(0))?;
        Ok(true)
    }

    /// Reads up to `max_lines` complete lines into `lines`. Returns true when the file's current
    /// end was reached (a trailing partial line is kept for the next call).
    pub fn read_lines(&mut self, max_lines: usize, lines: &mut Vec<RawLine>) -> io::Result<bool> {
        let mut produced = 0;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            while produced < max_lines {
                match self.take_line() {
                    Some(line) => {
                        lines.push(line);
                        produced += 1;
                    }
                    None => break,
                }
            }
            if produced >= max_lines {
                return Ok(false);
            }
            let count = self.file.read(&mut chunk)?;
            if count == 0 {
                return Ok(true);
            }
            // Lines already handed out are dropped once per read, not once per line.
            self.pending.drain(..self.handed_out);
            self.handed_out = 0;
            self.pending.extend_from_slice(&chunk[..count]);
        }
    }

    /// Bytes read after `offset` that are not yet handed out.
    fn unread(&self) -> &[u8] {
        &self.pending[self.handed_out..]
    }

    /// Splits one line off `pending`, advancing the offset and hash past it.
    fn take_line(&mut self) -> Option<RawLine> {
        loop {
            let Some(newline) = memchr::memchr(b'\n', self.unread()) else {
                if self.unread().len() >= MAX_LINE_BYTES {
                    // Consume what is buffered of the over-long line; the rest follows until its
                    // newline.
                    self.hand_out(self.unread().len());
                    self.pending.clear();
                    self.handed_out = 0;
                    let first = !self.skipping_long_line;
                    self.skipping_long_line = true;
                    if first {
                        return Some(RawLine::TooLong);
                    }
                }
                return None;
            };
            let start = self.handed_out;
            let line_len = newline + 1;
            self.hand_out(line_len);
            if self.skipping_long_line {
                self.skipping_long_line = false;
                continue;
            }
            if line_len > MAX_LINE_BYTES {
                return Some(RawLine::TooLong);
            }
            return Some(RawLine::Complete(
                self.pending[start..start + newline].to_vec(),
            ));
        }
    }

    /// Moves the next `len` unread bytes to the handed-out ones, advancing the offset and
    /// the hash past them.
    fn hand_out(&mut self, len: usize) {
        let end = self.handed_out + len;
        self.hasher.update(&self.pending[self.handed_out..end]);
        self.offset += len as u64;
        self.handed_out = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn complete(text: &str) -> RawLine {
        RawLine::Complete(text.as_bytes().to_vec())
    }

    #[test]
    fn partial_line_waits_for_newline() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events");
        let mut writer = File::create(&path).expect("create");
        writer.write_all(b"one\ntw").expect("write");
        let mut follower = Follower::open(&path, 0, Sha1::new()).expect("open");
        let mut lines = Vec::new();
        assert!(follower.read_lines(100, &mut lines).expect("read"));
        assert_eq!(lines, vec![complete("one")]);
        assert_eq!(follower.offset, 4);
        writer.write_all(b"o\n").expect("write");
        lines.clear();
        follower.read_lines(100, &mut lines).expect("read");
        assert_eq!(lines, vec![complete("two")]);
        assert_eq!(follower.offset, 8);
    }

    #[test]
    fn long_line_is_skipped_whole() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events");
        let mut content = b"before\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 200_000));
        content.extend_from_slice(b"\nafter\n");
        std::fs::write(&path, &content).expect("write");
        let mut follower = Follower::open(&path, 0, Sha1::new()).expect("open");
        let mut lines = Vec::new();
        follower.read_lines(100, &mut lines).expect("read");
        assert_eq!(
            lines,
            vec![complete("before"), RawLine::TooLong, complete("after")]
        );
        assert_eq!(follower.offset, content.len() as u64);
    }

    #[test]
    fn max_lines_limits_one_call() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events");
        std::fs::write(&path, "a\nb\nc\n").expect("write");
        let mut follower = Follower::open(&path, 0, Sha1::new()).expect("open");
        let mut lines = Vec::new();
        assert!(!follower.read_lines(2, &mut lines).expect("read"));
        assert_eq!(lines.len(), 2);
        assert!(follower.read_lines(2, &mut lines).expect("read"));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn open_backup_rejects_link_and_fifo() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let target = directory.path().join("target");
        std::fs::write(&target, "secret\n").expect("write");
        let key = FileKey::from_metadata(&std::fs::metadata(&target).expect("metadata"));
        let link = directory.path().join("events.1");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        assert!(Follower::open_backup(&link, key).is_err());

        let fifo = directory.path().join("events.2");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("run mkfifo");
        assert!(status.success());
        assert!(Follower::open_backup(&fifo, key).is_err());

        let other = directory.path().join("events.3");
        std::fs::write(&other, "other\n").expect("write");
        assert!(
            Follower::open_backup(&other, key).is_err(),
            "identity differs"
        );
        assert!(Follower::open_backup(&target, key).is_ok());
    }

    #[test]
    fn truncation_restarts_at_zero() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events");
        std::fs::write(&path, "first line\nsecond line\n").expect("write");
        let mut follower = Follower::open(&path, 0, Sha1::new()).expect("open");
        let mut lines = Vec::new();
        follower.read_lines(100, &mut lines).expect("read");
        std::fs::write(&path, "new\n").expect("truncate and write");
        assert!(follower.check_truncation().expect("check"));
        lines.clear();
        follower.read_lines(100, &mut lines).expect("read");
        assert_eq!(lines, vec![complete("new")]);
    }
}
