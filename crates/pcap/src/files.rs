//! Opening capture files by path, alone or several in a row.

use crate::{CaptureReader, FileError, PcapError, ReaderStats};
use dnstel_packet::Frame;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A reader of a capture file on disk. The reader buffers the file itself.
pub type FileReader = CaptureReader<File>;

/// Opens a pcap or pcapng file and reads its header.
pub fn open(path: impl AsRef<Path>) -> Result<FileReader, FileError> {
    let path = path.as_ref();
    let with_path = |error| FileError {
        path: path.to_path_buf(),
        error,
    };
    let file = File::open(path).map_err(|source| with_path(PcapError::Open { source }))?;
    CaptureReader::new(file).map_err(with_path)
}

/// Reads several capture files one after the other as one stream of frames.
///
/// Each file keeps its own link types and interfaces. An error names its file; after an error
/// that ends a file (see [`PcapError::is_recoverable`]) the next call opens the next file.
#[derive(Debug)]
pub struct MultiReader {
    paths: std::vec::IntoIter<PathBuf>,
    current: Option<(PathBuf, FileReader)>,
    /// Counters of the files already closed.
    closed_stats: ReaderStats,
}

impl MultiReader {
    /// Creates a reader over `paths`, in order. Files are opened as they are reached.
    pub fn new<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        let paths: Vec<PathBuf> = paths.into_iter().map(Into::into).collect();
        MultiReader {
            paths: paths.into_iter(),
            current: None,
            closed_stats: ReaderStats::default(),
        }
    }

    /// Returns the path of the file being read, if any.
    pub fn current_path(&self) -> Option<&Path> {
        self.current.as_ref().map(|(path, _)| path.as_path())
    }

    /// Returns the reader of the file being read, for its link types and counters.
    pub fn current_reader(&self) -> Option<&FileReader> {
        self.current.as_ref().map(|(_, reader)| reader)
    }

    /// Returns the counters of every file opened so far, summed.
    pub fn stats(&self) -> ReaderStats {
        let mut stats = self.closed_stats;
        if let Some(reader) = self.current_reader() {
            stats.add(&reader.stats());
        }
        stats
    }

    /// Ends the current file, keeping its counters.
    fn close_current(&mut self) {
        if let Some((_, reader)) = self.current.take() {
            self.closed_stats.add(&reader.stats());
        }
    }

    /// Reads the next frame of the current file, moving to the next file at its end; `Ok(None)`
    /// once every file is done.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FileError> {
        let record = loop {
            let (path, reader) = match &mut self.current {
                Some((path, reader)) => (path, reader),
                None => {
                    let Some(path) = self.paths.next() else {
                        return Ok(None);
                    };
                    let reader = open(&path)?;
                    let (path, reader) = self.current.insert((path, reader));
                    (path, reader)
                }
            };
            match reader.advance() {
                Ok(Some(record)) => break record,
                Ok(None) => self.close_current(),
                Err(error) => {
                    let path = path.clone();
                    if !error.is_recoverable() {
                        self.close_current();
                    }
                    return Err(FileError { path, error });
                }
            }
        };
        let (_, reader) = self
            .current
            .as_ref()
            .expect("the current file produced the record");
        Ok(Some(reader.frame(&record)))
    }
}
