//! The rotating file output, with Packetbeat 7.17 `output.file` semantics.
//!
//! `path` is a directory and the active file is `<path>/<filename>`. Before a write that would
//! make the active file exceed `rotate_every_kb`, the files shift one place
//! (`packetbeat` -> `packetbeat.1` -> ... ) and the oldest beyond `number_of_files` backups is
//! deleted, so at most `number_of_files + 1` files exist (the active file plus the backups),
//! as with Beats, which passes `number_of_files` to its rotator as the backup count.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::buffer::{EventCheck, LineBuffer};
use crate::codec::Line;
use crate::rotation::{self, MAX_BACKUPS_LIMIT};
use crate::{JsonCodec, Output, OutputCounters, OutputError, OutputStats};

/// Options of the file output, named as in packetbeat.yml's `output.file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutputOptions {
    /// Directory of the files. Created with mode 0700 (see `permissions`) if missing.
    pub path: PathBuf,
    /// Name of the active file. Beats default: the beat name, `packetbeat`.
    pub filename: String,
    /// Rotation size in KiB (1024 bytes). Default 10240.
    pub rotate_every_kb: u64,
    /// Number of rotated files kept besides the active one, 2 to 1024. Default 7.
    pub number_of_files: u32,
    /// Mode of newly created files, reduced by the umask. Default 0o600.
    pub permissions: u32,
    /// Rotate an existing active file away when the output opens. Default true.
    pub rotate_on_startup: bool,
    /// JSON codec options.
    pub codec: JsonCodec,
}

impl FileOutputOptions {
    /// Returns Packetbeat's defaults for the directory `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileOutputOptions {
            path: path.into(),
            filename: "packetbeat".to_owned(),
            rotate_every_kb: 10 * 1024,
            number_of_files: 7,
            permissions: 0o600,
            rotate_on_startup: true,
            codec: JsonCodec::default(),
        }
    }

    /// Checks the ranges Beats enforces.
    pub fn validate(&self) -> Result<(), OutputError> {
        if self.rotate_every_kb == 0 {
            return Err(invalid(
                "rotate_every_kb",
                "0 is below the minimum of 1".into(),
            ));
        }
        if !(2..=MAX_BACKUPS_LIMIT).contains(&self.number_of_files) {
            let message = format!(
                "{} is outside the range 2 to {MAX_BACKUPS_LIMIT}",
                self.number_of_files
            );
            return Err(invalid("number_of_files", message));
        }
        if self.permissions > 0o777 {
            let message = format!("{:#o} has bits beyond 0o777", self.permissions);
            return Err(invalid("permissions", message));
        }
        let name_is_plain = !self.filename.is_empty()
            && !self.filename.contains('/')
            && self.filename != "."
            && self.filename != "..";
        if !name_is_plain {
            let message = format!("{:?} is not a plain file name", self.filename);
            return Err(invalid("filename", message));
        }
        Ok(())
    }

    fn max_bytes(&self) -> u64 {
        self.rotate_every_kb.saturating_mul(1024)
    }
}

fn invalid(option: &'static str, message: String) -> OutputError {
    OutputError::InvalidOption { option, message }
}

/// A rotating, buffered file of newline-terminated JSON events.
#[derive(Debug)]
pub struct FileOutput {
    options: FileOutputOptions,
    active: PathBuf,
    /// The open active file; `None` after a failure, until the next write reopens it.
    file: Option<File>,
    /// False when the active path named an existing file that is not a regular file, such as
    /// `/dev/null` or a FIFO, at the latest open or reopen. Such a file is written in place and
    /// never renamed, because rotating `/dev/null` would replace the device with a regular file
    /// for the whole host.
    rotating: bool,
    buffer: LineBuffer,
    /// Bytes in the active file, buffered bytes included.
    size: u64,
    encoded: Vec<u8>,
    counters: Arc<OutputCounters>,
}

impl FileOutput {
    /// Validates the options, creates the directory if missing, rotates an existing active file
    /// when `rotate_on_startup` is set, and opens the active file.
    pub fn open(options: FileOutputOptions) -> Result<Self, OutputError> {
        options.validate()?;
        rotation::create_directory(&options.path, options.permissions)?;
        let active = options.path.join(&options.filename);
        let counters = Arc::new(OutputCounters::default());
        let rotating = !rotation::is_special_file(&active);
        let (file, size) = if !rotating {
            (rotation::open_special(&active)?, 0)
        } else if options.rotate_on_startup {
            if active.exists() {
                // A line cut short by a crash is ended first, so a reader still following the
                // file reads it as one bad line it can count, rather than waiting for its end.
                drop(rotation::open_append(&active, options.permissions)?);
                rotation::rotate_files(&active, options.number_of_files)?;
                counters.add_rotation();
            }
            (rotation::open_truncated(&active, options.permissions)?, 0)
        } else {
            rotation::open_append(&active, options.permissions)?
        };
        Ok(FileOutput {
            file: Some(file),
            rotating,
            buffer: LineBuffer::default(),
            options,
            active,
            size,
            encoded: Vec::new(),
            counters,
        })
    }

    /// Returns the path of the active file.
    pub fn active_path(&self) -> &Path {
        &self.active
    }

    /// Returns whether the output rotates its file. It does not when the path names a device,
    /// a FIFO or another file that is not a regular file.
    pub fn is_rotating(&self) -> bool {
        self.rotating
    }

    /// Returns the live counters, for a metrics reader on another thread.
    pub fn counters(&self) -> Arc<OutputCounters> {
        Arc::clone(&self.counters)
    }

    /// Writes one event: `line` without its newline, or else the line in `self.encoded`.
    /// Rotates first when needed.
    fn write_line(&mut self, line: Line<'_>) -> Result<(), OutputError> {
        // Reopening after a failure refreshes `size` from the file before the size check.
        self.reopen_if_closed()?;
        let len = match line {
            Line::Unchanged(line) => line.len() + 1,
            Line::Appended => self.encoded.len(),
        };
        let len = len as u64;
        let max = self.options.max_bytes();
        let oversize = len > max;
        if self.rotating && self.size > 0 && (oversize || self.size + len > max) {
            self.rotate()?;
        }
        if self.buffer.would_overflow(len as usize) {
            self.flush_buffer()?;
        }
        if oversize {
            self.counters.add_oversize_event();
        }
        match line {
            Line::Unchanged(line) => self.buffer.push_line(line),
            Line::Appended => self.buffer.push(&self.encoded),
        }
        self.size += len;
        self.counters.add_event(len as usize);
        if self.buffer.is_full() {
            self.flush_buffer()?;
        }
        Ok(())
    }

    /// Lets `encode` append one event to the write buffer, then rotates as
    /// [`FileOutput::write_line`] does. The event's length is known only once it is in the
    /// buffer. So when the event must start a new file, it is taken out of the buffer, the
    /// events before it go to the old file, and it goes back in after the rotation.
    fn append_with(
        &mut self,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
        check: EventCheck,
    ) -> Result<bool, OutputError> {
        self.reopen_if_closed()?;
        let start = self.buffer.len();
        let Some(len) = self.buffer.append_with(encode, check)? else {
            return Ok(false);
        };
        let len = len as u64;
        let max = self.options.max_bytes();
        let oversize = len > max;
        if self.rotating && self.size > 0 && (oversize || self.size + len > max) {
            let event = self.buffer.take_last(start);
            self.rotate()?;
            self.buffer.push(&event);
        }
        if oversize {
            self.counters.add_oversize_event();
        }
        self.size += len;
        self.counters.add_event(len as usize);
        if self.buffer.is_full() {
            self.flush_buffer()?;
        }
        Ok(true)
    }

    /// Encodes straight into the write buffer when the codec leaves events unchanged
    /// (compact, no HTML escaping), and through `scratch` otherwise.
    fn write_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
        check: EventCheck,
    ) -> Result<bool, OutputError> {
        if self.options.codec != JsonCodec::default() {
            return crate::write_through_scratch(self, scratch, encode);
        }
        let result = self.append_with(encode, check);
        self.count_error(result)
    }

    fn reopen_if_closed(&mut self) -> Result<(), OutputError> {
        if self.file.is_none() {
            // The path may name another kind of file than at the start, for example a FIFO
            // put in place of the file before a SIGHUP. Opened for reading and appending, a
            // FIFO would keep every event in a pipe that only this process reads, and
            // rotation would rename it.
            self.rotating = !rotation::is_special_file(&self.active);
            let (file, size) = if self.rotating {
                rotation::open_append(&self.active, self.options.permissions)?
            } else {
                (rotation::open_special(&self.active)?, 0)
            };
            self.file = Some(file);
            self.size = size;
        }
        Ok(())
    }

    /// Writes the buffer to the active file. On failure the file is closed, so the next write
    /// reopens it and ends any partial line first.
    fn flush_buffer(&mut self) -> Result<(), OutputError> {
        let Some(file) = self.file.as_mut() else {
            // The file closed after an earlier failure, and that failure emptied the buffer.
            return Ok(());
        };
        if let Err(e) = self.buffer.flush_to(file, &self.counters) {
            self.file = None;
            return Err(OutputError::io("failed to write to", &self.active, e));
        }
        Ok(())
    }

    /// Flushes and closes the active file, shifts the backups and creates a new active file.
    fn rotate(&mut self) -> Result<(), OutputError> {
        self.flush_buffer()?;
        self.file = None;
        self.size = 0;
        rotation::rotate_files(&self.active, self.options.number_of_files)?;
        self.counters.add_rotation();
        self.file = Some(rotation::open_truncated(
            &self.active,
            self.options.permissions,
        )?);
        Ok(())
    }

    fn count_error<T>(&self, result: Result<T, OutputError>) -> Result<T, OutputError> {
        if result.is_err() {
            self.counters.add_write_error();
        }
        result
    }
}

impl Output for FileOutput {
    fn write_event(&mut self, event: &[u8]) -> Result<(), OutputError> {
        self.encoded.clear();
        let result = self
            .options
            .codec
            .line(event, &mut self.encoded)
            .and_then(|line| self.write_line(line));
        self.count_error(result)
    }

    fn write_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        self.write_with(scratch, encode, EventCheck::Full)
    }

    fn write_compact_event_with(
        &mut self,
        scratch: &mut Vec<u8>,
        encode: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> Result<bool, OutputError> {
        self.write_with(scratch, encode, EventCheck::Trusted)
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        let result = self.flush_buffer();
        self.count_error(result)
    }

    fn reopen(&mut self) -> Result<(), OutputError> {
        let flushed = self.flush_buffer();
        self.file = None;
        let reopened = self.reopen_if_closed();
        self.count_error(flushed.and(reopened))
    }

    fn stats(&self) -> OutputStats {
        self.counters.snapshot()
    }
}

impl Drop for FileOutput {
    fn drop(&mut self) {
        // Errors cannot be returned from drop; callers that need them call `flush` first.
        // A failure here is still visible in the shared counters.
        let result = self.flush_buffer();
        let _ = self.count_error(result);
    }
}
