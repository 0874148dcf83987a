//! Follows the configured files, detects rotation and truncation, and hands out events.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sha1::{Digest, Sha1};
use tracing::{info, warn};

use crate::follower::{FileKey, FileStamp, Follower, RawLine};
use crate::line::{prepare_line, LineText, SkipReason};
use crate::positions::{self, StoredPosition};

/// One `<localfile>` entry with `log_format` json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// A path or a glob pattern (`*`, `?`, `[..]`).
    pub location: String,
    /// Start a file that has no stored position at its end instead of its beginning.
    pub only_future_events: bool,
    /// Labels added to every event: dotted keys nest, existing keys are kept.
    pub labels: Vec<(String, String)>,
}

/// Collector-wide settings.
#[derive(Debug, Clone)]
pub struct CollectorOptions {
    /// The file that stores read positions, or `None` to keep them in memory only.
    pub positions_path: Option<PathBuf>,
    /// Start every file without a stored position at its beginning, regardless of what
    /// `only_future_events` is set to (used by one-shot analysis).
    pub start_at_beginning: bool,
    /// The maximum number of files followed at once; further files are counted and skipped.
    pub max_files: usize,
    /// How long a renamed file's size must stay the same, over at least three polls, before
    /// dnstel stops waiting for it: for the rotation that renamed it to finish, so that the
    /// backups rotated after it can be found.
    pub drain_grace: Duration,
}

impl Default for CollectorOptions {
    fn default() -> Self {
        CollectorOptions {
            positions_path: None,
            start_at_beginning: false,
            // Wazuh's logcollector.max_files default.
            max_files: 1000,
            // An estimate: a rotation renames its files one after the other, so a few seconds
            // leave a wide margin.
            drain_grace: Duration::from_secs(5),
        }
    }
}

/// One event read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedLine {
    /// The file path the event came from (the alert's `location`), shared by the lines of
    /// one file.
    pub location: Arc<str>,
    /// The event as compact JSON, labels added, or the line as read when it looks compact
    /// already: see [`prepare_line`]. When the analyzer finds such a line not to be a JSON
    /// object after all, the caller reports it with [`Collector::count_late_skip`].
    pub event: LineText,
}

/// Counters of everything the collector read, skipped or noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectorStats {
    /// Events handed to the caller.
    pub events: u64,
    /// Lines skipped because they were longer than the maximum.
    pub too_long: u64,
    /// Lines skipped because they contained a NUL byte.
    pub nul_byte: u64,
    /// Lines skipped because they were not JSON objects.
    pub not_json_object: u64,
    /// Files that were renamed away and replaced.
    pub rotations: u64,
    /// Files that shrank below their read position.
    pub truncations: u64,
    /// Files not followed because `max_files` was reached.
    pub files_over_limit: u64,
    /// Failed reads or opens.
    pub read_errors: u64,
    /// Matched paths that are not regular files (devices, FIFOs, folders), and symbolic
    /// links under a backup's name, skipped. Each path counts once.
    pub not_regular_files: u64,
    /// Last lines of renamed files that never got their newline, skipped when the file was
    /// closed after the drain grace.
    pub unterminated_lines: u64,
    /// Renamed files of a plain-path location found deleted (rotated past the backup count,
    /// while followed or while dnstel was stopped) before the backups rotated after them
    /// were looked for, so backups deleted with them may be unread.
    pub rotated_deleted: u64,
    /// Renamed files not found among the numbered backups within the drain grace, so the
    /// backups rotated after them were not looked for.
    pub rotated_not_found: u64,
}

impl CollectorStats {
    /// Counts a skipped line under its reason and returns that reason's new total.
    pub fn count_skip(&mut self, reason: SkipReason) -> u64 {
        let count = match reason {
            SkipReason::TooLong => &mut self.too_long,
            SkipReason::NulByte => &mut self.nul_byte,
            SkipReason::NotJsonObject => &mut self.not_json_object,
        };
        *count += 1;
        *count
    }
}

/// Follows files like the Wazuh logcollector reading `log_format` json.
pub struct Collector {
    files: Vec<LocalFile>,
    options: CollectorOptions,
    followers: Vec<(usize, Follower)>,
    stored: Vec<StoredPosition>,
    first_scan_done: bool,
    /// The positions last written, so an idle collector does not rewrite the file.
    saved: Option<Vec<StoredPosition>>,
    /// Paths already reported as not regular files, so each is logged once.
    not_regular: HashSet<PathBuf>,
    /// Configured paths found missing, so each absence is logged once.
    missing: HashSet<PathBuf>,
    /// When the positions file was last written before this run, which is when its positions
    /// were saved.
    positions_saved_at: Option<SystemTime>,
    /// Renamed files already read to their end and closed, at most [`MAX_FINISHED_FILES`],
    /// oldest first, so that a later rotation chain does not read them again.
    finished: VecDeque<FileStamp>,
    stats: CollectorStats,
}

impl Collector {
    /// Creates a collector, loading stored positions if a positions path is set.
    ///
    /// # Errors
    /// Returns an error when the positions file exists but cannot be read.
    pub fn new(files: Vec<LocalFile>, options: CollectorOptions) -> io::Result<Collector> {
        let stored = match &options.positions_path {
            Some(path) => load_positions(path)?,
            None => Vec::new(),
        };
        let positions_saved_at = options.positions_path.as_deref().and_then(|path| {
            std::fs::metadata(path)
                .and_then(|metadata| metadata.modified())
                .ok()
        });
        Ok(Collector {
            files,
            options,
            followers: Vec::new(),
            stored,
            first_scan_done: false,
            saved: None,
            not_regular: HashSet::new(),
            missing: HashSet::new(),
            positions_saved_at,
            finished: VecDeque::new(),
            stats: CollectorStats::default(),
        })
    }

    /// Returns the counters so far.
    pub fn stats(&self) -> &CollectorStats {
        &self.stats
    }

    /// Reads the events available now, at most about `max_events`, and returns whether every
    /// followed file was read to its current end.
    ///
    /// Read positions advance past the returned lines; call [`Collector::save_positions`] once
    /// they are processed.
    pub fn poll(&mut self, max_events: usize, out: &mut Vec<CollectedLine>) -> bool {
        self.scan();
        let mut all_at_end = true;
        let mut raw = Vec::new();
        for (file_index, follower) in &mut self.followers {
            if out.len() >= max_events {
                all_at_end = false;
                break;
            }
            match follower.check_truncation() {
                Ok(true) => {
                    self.stats.truncations += 1;
                    info!(path = %follower.path.display(), "file truncated, reading from the start");
                }
                Ok(false) => {}
                Err(error) => {
                    self.stats.read_errors += 1;
                    warn!(path = %follower.path.display(), %error, "failed to check file size");
                }
            }
            raw.clear();
            let at_end = match follower.read_lines(max_events - out.len(), &mut raw) {
                Ok(at_end) => at_end,
                Err(error) => {
                    self.stats.read_errors += 1;
                    warn!(path = %follower.path.display(), %error, "failed to read file");
                    true
                }
            };
            all_at_end &= at_end;
            let labels = &self.files[*file_index].labels;
            let location: Arc<str> = follower.location.to_string_lossy().into();
            for line in raw.drain(..) {
                let encoded = match line {
                    RawLine::Complete(bytes) if is_empty_line(&bytes) => continue,
                    RawLine::Complete(bytes) => prepare_line(&bytes, labels),
                    RawLine::TooLong => Err(SkipReason::TooLong),
                };
                match encoded {
                    Ok(event) => {
                        self.stats.events += 1;
                        out.push(CollectedLine {
                            location: Arc::clone(&location),
                            event,
                        });
                    }
                    Err(reason) => record_skip(&mut self.stats, reason, &follower.path),
                }
            }
        }
        self.close_drained();
        all_at_end
    }

    /// Counts a line that [`Collector::poll`] handed on as an event but that the analyzer
    /// skipped, under `reason`, and logs it as `poll` logs the lines it skips. `path` is the
    /// line's [`CollectedLine::location`].
    pub fn count_late_skip(&mut self, reason: SkipReason, path: &Path) {
        self.stats.events = self.stats.events.saturating_sub(1);
        record_skip(&mut self.stats, reason, path);
    }

    /// Closes the renamed files read to their end whose rotated backups were found, and
    /// remembers them as read. A renamed file that ends in a line without a newline is closed
    /// once its size has not changed for the drain grace. That line is counted as skipped,
    /// because its writer has moved on to the new file and will not finish it.
    fn close_drained(&mut self) {
        let mut index = 0;
        while index < self.followers.len() {
            let follower = &self.followers[index].1;
            if !follower.draining || follower.chain_pending {
                index += 1;
                continue;
            }
            // The end of its own handle, because the path may name a newer file by now.
            if !follower.at_end().unwrap_or(true) {
                let abandoned =
                    follower.is_settled() && follower.has_only_partial_line().unwrap_or(false);
                if !abandoned {
                    index += 1;
                    continue;
                }
                // The end of a line already counted as too long is not counted again.
                if !follower.in_long_line() {
                    self.stats.unterminated_lines += 1;
                    let count = self.stats.unterminated_lines;
                    if should_log(count) {
                        warn!(
                            path = %follower.location.display(),
                            file = %follower.path.display(),
                            total = count,
                            "skipped a line: the rotated file ends without a newline"
                        );
                    }
                }
            }
            if let Ok(metadata) = follower.metadata() {
                self.remember_finished(FileStamp::from_metadata(&metadata));
            }
            self.followers.remove(index);
        }
    }

    fn remember_finished(&mut self, stamp: FileStamp) {
        if self.finished.len() >= MAX_FINISHED_FILES {
            self.finished.pop_front();
        }
        self.finished.push_back(stamp);
    }

    /// Writes the read positions of all followed files, when they changed since the last write.
    ///
    /// # Errors
    /// Returns the I/O error of the write.
    pub fn save_positions(&mut self) -> io::Result<()> {
        let Some(path) = &self.options.positions_path else {
            return Ok(());
        };
        let mut records: Vec<StoredPosition> = self
            .followers
            .iter()
            .map(|(_, follower)| StoredPosition {
                path: follower.location.clone(),
                device: follower.key.device,
                inode: follower.key.inode,
                offset: follower.offset,
                hash: positions::hex_digest(&follower.hasher),
            })
            .collect();
        let followed: HashSet<PathBuf> = records.iter().map(|record| record.path.clone()).collect();
        // Keep positions of files not open right now (missing for a moment, or not yet scanned).
        records.extend(
            self.stored
                .iter()
                .filter(|record| !followed.contains(&record.path))
                .cloned(),
        );
        if self.saved.as_ref() == Some(&records) {
            return Ok(());
        }
        positions::save(path, &records)?;
        self.saved = Some(records);
        Ok(())
    }

    /// Matches every location against the file system and opens new files.
    fn scan(&mut self) {
        let mut seen = HashSet::new();
        for file_index in 0..self.files.len() {
            for path in expand_location(&self.files[file_index].location) {
                let Ok(metadata) = std::fs::metadata(&path) else {
                    // Logged once per absence, as Wazuh warns that it cannot open the file.
                    if self.missing.insert(path.clone()) {
                        if self.options.start_at_beginning {
                            // One-shot analysis ends at the current end of the inputs.
                            warn!(
                                path = %path.display(),
                                "file not found; skipped (check the <location> of its <localfile>)"
                            );
                        } else {
                            warn!(path = %path.display(), "file not found; waiting for it to appear");
                        }
                    }
                    continue;
                };
                self.missing.remove(&path);
                // Devices, FIFOs and folders never end, or are not logs: follow regular files only.
                if !metadata.is_file() {
                    if self.not_regular.insert(path.clone()) {
                        self.stats.not_regular_files += 1;
                        warn!(path = %path.display(), "not a regular file, not following");
                    }
                    continue;
                }
                let key = FileKey::from_metadata(&metadata);
                if !seen.insert(key) {
                    continue;
                }
                self.track(file_index, &path, key);
            }
        }
        // A file whose path now names another file was renamed away: finish it, then the
        // files rotated after it, then close them.
        let mut index = 0;
        while index < self.followers.len() {
            let (file_index, follower) = &mut self.followers[index];
            index += 1;
            if seen.contains(&follower.key) || follower.draining {
                continue;
            }
            follower.draining = true;
            // A glob location already follows every backup it matches.
            follower.chain_pending = !is_glob(&self.files[*file_index].location);
            self.stats.rotations += 1;
            info!(path = %follower.location.display(), "file rotated, reading the rest of the old file");
        }
        self.open_chains();
        self.first_scan_done = true;
    }

    /// Opens the backups rotated after each renamed file whose chain is still to be found.
    /// Each goes right after the file before it, so lines keep their order.
    fn open_chains(&mut self) {
        let now = Instant::now();
        let mut index = 0;
        while index < self.followers.len() {
            let (file_index, follower) = &mut self.followers[index];
            let file_index = *file_index;
            index += 1;
            if !follower.draining {
                continue;
            }
            let size = follower
                .metadata()
                .map_or(follower.offset, |metadata| metadata.len());
            follower.observe_size(size, now, self.options.drain_grace);
            if !follower.chain_pending {
                continue;
            }
            // NOTE: while the lookup is retried, the new file is read on, so lines of the
            // backups found later come after some of its lines.
            let Some(newer) = self.rotated_after(index - 1) else {
                continue;
            };
            self.followers[index - 1].1.chain_pending = false;
            for follower in self.open_rotated(index - 1, newer) {
                self.followers.insert(index, (file_index, follower));
                index += 1;
            }
        }
    }

    /// Lists the backups of `path` as [`list_backups`] does, and reports each symbolic link
    /// under a backup's name once.
    fn backups_of(&mut self, path: &Path) -> Vec<(PathBuf, FileKey)> {
        let Backups { files, links } = list_backups(path);
        for link in links {
            if self.not_regular.insert(link.clone()) {
                self.stats.not_regular_files += 1;
                warn!(path = %link.display(), "a backup's name is a symbolic link, so it is not read");
            }
        }
        files
    }

    /// Lists the backups that rotation made after the file of follower `index` and before
    /// the file now at its path, newest first, when more than one rotation happened between
    /// two reads. Backups follow the numbering of Beats and logrotate: `<path>.1` is the
    /// newest. Returns `None` while the file is not found among them but still exists, because
    /// a rotation may still be renaming the backups. After the drain grace, or 600 lookups,
    /// it gives up with a warning.
    fn rotated_after(&mut self, index: usize) -> Option<Vec<(PathBuf, FileKey)>> {
        let follower = &mut self.followers[index].1;
        follower.chain_lookups = follower.chain_lookups.saturating_add(1);
        let location = follower.location.clone();
        let backups = self.backups_of(&location);
        let follower = &self.followers[index].1;
        if let Some(found) = backups.iter().position(|(_, key)| *key == follower.key) {
            return Some(backups[..found].to_vec());
        }

        let Ok(metadata) = follower.metadata() else {
            return Some(Vec::new());
        };
        if metadata.nlink() > 0 {
            // A file still written to never settles, so the polls are bounded too.
            if !follower.is_settled() && follower.chain_lookups < MAX_CHAIN_LOOKUPS {
                return None;
            }
            self.stats.rotated_not_found += 1;
            warn!(
                path = %location.display(),
                "a rotated file was not found among the numbered backups; lines in backups \
                 rotated after it may be unread"
            );
            return Some(Vec::new());
        }

        // Deleted (the oldest backup past the count): every backup written after it is newer.
        // Its own lines are still read through the open handle, but the rotations that
        // deleted it may have deleted backups after it too.
        // NOTE: the numbering does not show whether they did, so this warns every time.
        self.stats.rotated_deleted += 1;
        warn!(
            path = %location.display(),
            "a rotated file was deleted before the backups after it were found; lines in \
             backups deleted with it may be lost"
        );
        Some(match metadata.modified() {
            Ok(deleted) => backups
                .into_iter()
                .filter(|(path, _)| modified_since(path, deleted))
                .collect(),
            Err(_) => Vec::new(),
        })
    }

    /// Opens the listed backups rotated after the file of follower `index`, oldest first.
    /// A backup already followed is left out.
    fn open_rotated(&mut self, index: usize, newer: Vec<(PathBuf, FileKey)>) -> Vec<Follower> {
        let location = self.followers[index].1.location.clone();
        let mut opened = Vec::new();
        for (path, key) in newer.into_iter().rev() {
            if self.followers.len() + opened.len() >= self.options.max_files {
                self.stats.files_over_limit += 1;
                warn!(path = %path.display(), max_files = self.options.max_files, "too many files, not reading a rotated file");
                continue;
            }
            if self
                .followers
                .iter()
                .any(|(_, follower)| follower.key == key)
            {
                continue;
            }
            // Listed a moment ago; a rotation since then moved it to another number.
            let Some(path) = (if is_regular_file_with_key(&path, key) {
                Some(path)
            } else {
                find_sibling_with_key(&path, key)
            }) else {
                continue;
            };
            match Follower::open_backup(&path, key) {
                Ok(follower) if self.was_finished(&follower) => {
                    info!(path = %path.display(), "rotated file already read, not reading it again");
                }
                Ok(mut follower) => {
                    follower.location = location.clone();
                    follower.draining = true;
                    self.stats.rotations += 1;
                    info!(path = %path.display(), "reading a file rotated in between");
                    opened.push(follower);
                }
                Err(error) => {
                    self.stats.read_errors += 1;
                    warn!(path = %path.display(), %error, "failed to open rotated file");
                }
            }
        }
        opened
    }

    fn was_finished(&self, follower: &Follower) -> bool {
        follower
            .metadata()
            .is_ok_and(|metadata| self.finished.contains(&FileStamp::from_metadata(&metadata)))
    }

    fn track(&mut self, file_index: usize, path: &Path, key: FileKey) {
        if let Some((_, follower)) = self.followers.iter_mut().find(|(_, f)| f.key == key) {
            follower.path = path.to_owned();
            follower.location = path.to_owned();
            return;
        }
        if self.followers.len() >= self.options.max_files {
            self.stats.files_over_limit += 1;
            warn!(path = %path.display(), max_files = self.options.max_files, "too many files, not following");
            return;
        }
        if !self.first_scan_done {
            self.resume_renamed(file_index, path, key);
        }
        let start = self.start_position(file_index, path, key);
        match start.and_then(|(offset, hasher)| Follower::open(path, offset, hasher)) {
            Ok(follower) => {
                info!(path = %path.display(), offset = follower.offset, "following file");
                self.followers.push((file_index, follower));
            }
            Err(error) => {
                self.stats.read_errors += 1;
                warn!(path = %path.display(), %error, "failed to open file");
            }
        }
    }

    /// Where to start reading a newly seen file, with the hash of the bytes before it.
    fn start_position(
        &self,
        file_index: usize,
        path: &Path,
        key: FileKey,
    ) -> io::Result<(u64, Sha1)> {
        if let Some(record) = self.stored_for(path, key) {
            if let Some(hasher) = verified_prefix(path, record)? {
                return Ok((record.offset, hasher));
            }
            return Ok((0, Sha1::new()));
        }
        // A path with a stored position was read before: its new file was written while
        // dnstel was stopped, so it is read whole.
        let read_before = self.stored.iter().any(|record| record.path == path);
        let from_end = self.files[file_index].only_future_events
            && !self.options.start_at_beginning
            && !self.first_scan_done
            && !read_before;
        if !from_end {
            return Ok((0, Sha1::new()));
        }
        let size = std::fs::metadata(path)?.len();
        let hasher = positions::hash_prefix(path, size)?.unwrap_or_default();
        Ok((size, hasher))
    }

    fn stored_for(&self, path: &Path, key: FileKey) -> Option<&StoredPosition> {
        self.stored.iter().find(|record| {
            record.path == path && record.device == key.device && record.inode == key.inode
        })
    }

    /// Lists, oldest first, the backups of `path` written since the positions were saved, for
    /// a restart after the file with the stored position was rotated past the backup count.
    fn backups_since_save<'a>(
        &mut self,
        path: &Path,
        backups: Vec<(PathBuf, FileKey)>,
    ) -> Vec<(PathBuf, FileKey, Option<&'a StoredPosition>)> {
        let Some(saved_at) = self.positions_saved_at else {
            return Vec::new();
        };
        let newer: Vec<(PathBuf, FileKey, Option<&StoredPosition>)> = backups
            .into_iter()
            .rev()
            .filter(|(backup, _)| modified_since(backup, saved_at))
            .map(|(backup, key)| (backup, key, None))
            .collect();
        self.stats.rotated_deleted += 1;
        warn!(
            path = %path.display(),
            backups = newer.len(),
            "the file read before the restart was rotated away and deleted while stopped; \
             reading the backups written since the positions were saved, but lines of the \
             deleted files may be lost"
        );
        newer
    }

    /// At startup, finds the files that rotation renamed while dnstel was not running, from
    /// the stored positions of `path`. They are read before the new file, oldest first, with
    /// every backup rotated after them, so no line written while stopped is lost.
    fn resume_renamed(&mut self, file_index: usize, path: &Path, key: FileKey) {
        // A record with the new file's identity but not its first bytes is of a deleted file
        // whose inode the new file reused.
        let records: Vec<StoredPosition> = self
            .stored
            .iter()
            .filter(|record| {
                record.path == path
                    && (record_key(record) != key
                        || verified_prefix(path, record).is_ok_and(|hasher| hasher.is_none()))
            })
            .cloned()
            .collect();
        if records.is_empty() {
            return;
        }
        let backups = self.backups_of(path);
        let oldest = backups
            .iter()
            .rposition(|(_, backup)| records.iter().any(|record| record_key(record) == *backup));
        let to_read: Vec<(PathBuf, FileKey, Option<&StoredPosition>)> = match oldest {
            Some(oldest) => backups[..=oldest]
                .iter()
                .rev()
                .map(|(backup_path, backup)| {
                    let record = records.iter().find(|record| record_key(record) == *backup);
                    (backup_path.clone(), *backup, record)
                })
                .collect(),
            // Renamed out of the numbering: only that file is known to contain unread lines.
            None => records
                .iter()
                .filter_map(|record| {
                    let renamed = find_sibling_with_key(&record.path, record_key(record))?;
                    (renamed != path).then_some((renamed, record_key(record), Some(record)))
                })
                .take(1)
                .collect(),
        };
        let to_read = if to_read.is_empty() {
            self.backups_since_save(path, backups)
        } else {
            to_read
        };
        for (renamed, backup, record) in to_read {
            // One place stays free for the file now at `path`.
            if self.followers.len() + 1 >= self.options.max_files {
                self.stats.files_over_limit += 1;
                warn!(path = %renamed.display(), max_files = self.options.max_files, "too many files, not reading a rotated file");
                continue;
            }
            let opened =
                Follower::open_backup(&renamed, backup).and_then(|mut follower| match record {
                    Some(record) => Ok(follower
                        .resume_at(record.offset, &record.hash)?
                        .then_some(follower)),
                    None => Ok(Some(follower)),
                });
            let opened = match opened {
                Ok(Some(follower)) => Ok(follower),
                // The file no longer starts with the bytes read from it: not the same file.
                Ok(None) => continue,
                Err(error) => Err(error),
            };
            match opened {
                Ok(mut follower) => {
                    follower.location = path.to_owned();
                    follower.draining = true;
                    self.stats.rotations += 1;
                    info!(path = %renamed.display(), "resuming a file rotated while stopped");
                    self.followers.push((file_index, follower));
                }
                Err(error) => {
                    self.stats.read_errors += 1;
                    warn!(path = %renamed.display(), %error, "failed to read rotated file");
                }
            }
        }
    }
}

fn record_key(record: &StoredPosition) -> FileKey {
    FileKey {
        device: record.device,
        inode: record.inode,
    }
}

/// The maximum number of polls that look for a renamed file among the backups.
const MAX_CHAIN_LOOKUPS: u32 = 600;

/// The maximum number of closed files remembered as read to their end. Chains list at most
/// 1024 backups per location, so this covers a few locations rotating at once.
const MAX_FINISHED_FILES: usize = 4096;

/// The highest backup number listed, the maximum `number_of_files` of Beats.
const MAX_BACKUP_NUMBER: u64 = 1024;

/// The maximum number of folder entries read when looking for backups.
const MAX_FOLDER_ENTRIES: usize = 10_000;

/// The regular-file backups of a path, newest first, and the symbolic links found under
/// backup names, which are not followed.
struct Backups {
    files: Vec<(PathBuf, FileKey)>,
    links: Vec<PathBuf>,
}

/// Lists the backups of `path` under Beats' and logrotate's numbering, newest first:
/// `<path>.1`, `<path>.2`, ... up to `<path>.1024`. The folder is read once, and missing
/// numbers are skipped: during a rotation Beats renames the oldest backup first, so one number
/// is briefly free.
fn list_backups(path: &Path) -> Backups {
    let mut links = Vec::new();
    // A configured path that is a link names a file elsewhere, and that file's writer
    // rotates it there, under the file's own name.
    let resolved = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
        _ => None,
    };
    let path = resolved.as_deref().unwrap_or(path);
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Backups {
            files: Vec::new(),
            links,
        };
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Backups {
            files: Vec::new(),
            links,
        };
    };
    let prefix = name.as_encoded_bytes();
    let mut numbered = Vec::new();
    for entry in entries.take(MAX_FOLDER_ENTRIES).flatten() {
        let entry_name = entry.file_name();
        let Some(number) = backup_number(entry_name.as_encoded_bytes(), prefix) else {
            continue;
        };
        let backup = folder.join(&entry_name);
        // Regular files only, and a symbolic link is not one: a link planted under a
        // backup's name must not make dnstel read the file it points to.
        match std::fs::symlink_metadata(&backup) {
            Ok(metadata) if metadata.is_file() => {
                numbered.push((number, backup, FileKey::from_metadata(&metadata)));
            }
            Ok(metadata) if metadata.file_type().is_symlink() => links.push(backup),
            _ => {}
        }
    }
    numbered.sort_by_key(|(number, _, _)| *number);
    let files = numbered
        .into_iter()
        .map(|(_, backup, key)| (backup, key))
        .collect();
    Backups { files, links }
}

/// Returns `N` when `name` is `<prefix>.N` with `N` a decimal number from 1 to 1024.
fn backup_number(name: &[u8], prefix: &[u8]) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_prefix(b".")?;
    if digits.is_empty()
        || digits.len() > 4
        || digits[0] == b'0'
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let number = std::str::from_utf8(digits).ok()?.parse::<u64>().ok()?;
    (1..=MAX_BACKUP_NUMBER).contains(&number).then_some(number)
}

/// Returns whether the file at `path` was last written at `time` or later. Equal times
/// count: file times have the kernel clock's tick as their resolution, so two files written
/// within one tick look alike, and reading a file twice is better than not reading it.
fn modified_since(path: &Path, time: SystemTime) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|modified| modified >= time)
}

/// Loads stored positions. A damaged file (for example cut short by a power loss) is set
/// aside as `<name>.invalid` and reading starts without positions: events may be read twice,
/// but none is lost.
fn load_positions(path: &Path) -> io::Result<Vec<StoredPosition>> {
    match positions::load(path) {
        Ok(stored) => Ok(stored),
        Err(error) if error.kind() == io::ErrorKind::InvalidData => {
            let aside = path.with_extension("json.invalid");
            warn!(
                path = %path.display(),
                moved_to = %aside.display(),
                %error,
                "read positions are damaged; setting them aside and reading the files again"
            );
            std::fs::rename(path, &aside)?;
            Ok(Vec::new())
        }
        Err(error) => Err(error),
    }
}

/// Returns whether a line, without its newline, is empty: no bytes, or carriage returns only
/// (a blank line of a file with CRLF line endings). Such a line is skipped without a count or
/// a warning. The Wazuh logcollector sends no event for it either and logs it only at debug
/// level, as a line that is not a JSON object.
pub fn is_empty_line(line: &[u8]) -> bool {
    line.iter().all(|&byte| byte == b'\r')
}

/// Returns whether the `count`th repeat of a message is logged: the first ten are, then one
/// in a thousand, so a flood cannot fill the log.
fn should_log(count: u64) -> bool {
    count <= 10 || count % 1000 == 0
}

fn record_skip(stats: &mut CollectorStats, reason: SkipReason, path: &Path) {
    let count = stats.count_skip(reason);
    if should_log(count) {
        warn!(path = %path.display(), total = count, "skipped a line: {}", reason.describe());
    }
}

/// Checks that `path` still starts with the bytes a stored position hashed.
fn verified_prefix(path: &Path, record: &StoredPosition) -> io::Result<Option<Sha1>> {
    let Some(hasher) = positions::hash_prefix(path, record.offset)? else {
        return Ok(None);
    };
    Ok((positions::hex_digest(&hasher) == record.hash).then_some(hasher))
}

/// Looks in the folder of `path` for the regular file with identity `key`, symbolic links
/// left out (bounded to 10,000 entries).
fn find_sibling_with_key(path: &Path, key: FileKey) -> Option<PathBuf> {
    let folder = path.parent()?;
    let entries = std::fs::read_dir(folder).ok()?;
    entries
        .take(MAX_FOLDER_ENTRIES)
        .flatten()
        .map(|entry| entry.path())
        .find(|candidate| is_regular_file_with_key(candidate, key))
}

fn is_regular_file_with_key(path: &Path, key: FileKey) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && FileKey::from_metadata(&metadata) == key)
}

fn is_glob(location: &str) -> bool {
    location.contains(['*', '?', '['])
}

/// Expands a location: a glob pattern gives its matches in sorted order, a plain path itself.
fn expand_location(location: &str) -> Vec<PathBuf> {
    if !is_glob(location) {
        return vec![PathBuf::from(location)];
    }
    match glob::glob(location) {
        Ok(paths) => {
            let mut matched: Vec<PathBuf> = paths.flatten().filter(|path| path.is_file()).collect();
            matched.sort();
            matched
        }
        Err(error) => {
            warn!(location, %error, "invalid glob pattern");
            Vec::new()
        }
    }
}
