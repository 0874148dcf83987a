//! Rotation of `alerts.json` and `alerts.log` in Wazuh's archive layout.
//!
//! Both files move together into `DIR/logs/alerts/YYYY/Mon/ossec-alerts-DD.json` and `.log`,
//! named after the local day of the alerts they contain (`Mon` is the English month
//! abbreviation). A second rotation on the same day adds a three-digit counter starting at
//! `-001` (`ossec-alerts-DD-001.json`), as Wazuh 3.12 and later name rotated alert files.
//! As in Wazuh, archives are compressed with gzip by default (`ossec-alerts-DD.json.gz`), in a
//! background thread so that alerts keep flowing. Rotation happens
//! - daily: at the first write or timer tick after local midnight, when the files are not empty;
//! - by size: before a write, when either file has reached the size limit (off by default, as
//!   in Wazuh).
//!
//! Alert files that are character devices (see [`AlertWriter`]) are never rotated.
//!
//! The new `alerts.log` starts empty, so alert ids restart at offset 0. After each rotation,
//! archived alert files of days older than the retention are deleted, and archives left
//! uncompressed (by a stop during compression, or with compression off earlier) are compressed. Rotated files keep mode
//! 0600; archive folders are created with mode 0750.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Local, NaiveDate};
use dnstel_analysis::{Alert, AlertWriter};
use tracing::{info, warn};

/// When the alert files rotate and how long archives are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// Rotate when either file reaches this many bytes; `None` disables size rotation.
    pub max_size: Option<u64>,
    /// Delete archives of days more than this many days ago; 0 keeps archives forever.
    pub keep_days: u32,
    /// Compress archives with gzip.
    pub compress: bool,
}

/// The default `--alerts-keep-days`.
pub const DEFAULT_KEEP_DAYS: u32 = 31;
/// Size rotations allowed per day; past it the last archive name would be reused, so size
/// rotation stops for the rest of the day.
const MAX_COUNTER: u32 = 999;

/// An [`AlertWriter`] that rotates its files.
#[derive(Debug)]
pub struct RotatingAlertWriter {
    writer: AlertWriter,
    policy: RotationPolicy,
    /// The local day of the alerts in the current files.
    day: NaiveDate,
    rotations: u64,
    /// Set when every archive name of `day` is taken, so size rotation waits for the next
    /// day instead of retrying (and warning) at each alert.
    archive_names_exhausted: bool,
    /// The thread that compresses archives, once a rotation has started it.
    compressor: Option<Compressor>,
}

impl RotatingAlertWriter {
    /// Opens the alert files in `directory`. Existing files are taken to belong to the day of
    /// their last modification.
    pub fn open(directory: &Path, policy: RotationPolicy) -> io::Result<RotatingAlertWriter> {
        let writer = AlertWriter::open(directory)?;
        if !writer.rotatable() && policy.max_size.is_some() {
            warn!(
                directory = %directory.display(),
                "an alert file is a device, so the alert files never rotate and --alerts-max-size has no effect"
            );
        }
        let day = fs::metadata(directory.join("alerts.log"))
            .and_then(|metadata| metadata.modified())
            .map(|modified| DateTime::<Local>::from(modified).date_naive())
            .unwrap_or_else(|_| Local::now().date_naive());
        Ok(RotatingAlertWriter {
            writer,
            policy,
            day,
            rotations: 0,
            archive_names_exhausted: false,
            compressor: None,
        })
    }

    /// Writes `alert`, rotating first when a day passed or a file is full. Returns the id.
    /// The alert's timestamp, the local time when its event was analysed, gives the day, so
    /// the clock is not read again for each alert.
    pub fn write(&mut self, alert: &Alert) -> io::Result<String> {
        self.rotate_if_due(alert.timestamp.date_naive())?;
        self.writer.write(alert)
    }

    /// Rotates when the day changed, even without a new alert; called from the loop's timer.
    pub fn tick(&mut self) -> io::Result<()> {
        self.rotate_if_due(Local::now().date_naive())
    }

    /// Flushes both files.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// Reopens both files, after something else moved them away.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.writer.reopen()
    }

    /// Number of alerts written to both files since the writer was opened.
    pub fn written(&self) -> u64 {
        self.writer.written()
    }

    /// Number of rotations since the writer was opened.
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    fn rotate_if_due(&mut self, today: NaiveDate) -> io::Result<()> {
        if !self.writer.rotatable() {
            return Ok(());
        }
        let empty = self.writer.log_size() == 0 && self.writer.json_size() == 0;
        if today != self.day {
            if !empty {
                self.rotate()?;
            }
            self.day = today;
            self.archive_names_exhausted = false;
            return Ok(());
        }
        if self.archive_names_exhausted {
            return Ok(());
        }
        let full = self
            .policy
            .max_size
            .is_some_and(|max| self.writer.log_size() >= max || self.writer.json_size() >= max);
        if full && !empty {
            self.rotate()?;
        }
        Ok(())
    }

    /// Moves both files into the archive, reopens fresh ones and applies the retention.
    fn rotate(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        let directory = self.writer.directory().to_path_buf();
        let Some(base) = archive_base(&directory, self.day)? else {
            warn!(
                day = %self.day,
                "alert files not rotated: {MAX_COUNTER} archives exist for the day, so the files \
                 grow until the next day"
            );
            self.archive_names_exhausted = true;
            return Ok(());
        };
        for extension in ["json", "log"] {
            let from = directory.join(format!("alerts.{extension}"));
            let to = base.with_extension(extension);
            fs::rename(&from, &to).map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!(
                        "failed to move {} to {}: {error}",
                        from.display(),
                        to.display()
                    ),
                )
            })?;
        }
        self.writer.reopen()?;
        self.rotations += 1;
        info!(archive = %base.display(), "alert files rotated");
        if self.policy.keep_days > 0 {
            let oldest =
                Local::now().date_naive() - chrono::Days::new(self.policy.keep_days.into());
            prune_archives(&directory.join("logs/alerts"), oldest);
        }
        if self.policy.compress {
            self.start_compressor(directory.join("logs/alerts"));
        }
        Ok(())
    }

    /// Asks the compression thread, started on first use, to compress every uncompressed
    /// archive under `root`. Requests that arrive while it works are handled by one more pass.
    fn start_compressor(&mut self, root: PathBuf) {
        if self.compressor.is_none() {
            let (requests, received) = mpsc::channel::<PathBuf>();
            let spawned = std::thread::Builder::new()
                .name("alert-compress".into())
                .spawn(move || {
                    while let Ok(mut root) = received.recv() {
                        while let Ok(newer) = received.try_recv() {
                            root = newer;
                        }
                        compress_archives(&root);
                    }
                });
            match spawned {
                Ok(thread) => self.compressor = Some(Compressor { requests, thread }),
                Err(error) => {
                    warn!(%error, "failed to start the alert archive compression thread");
                    return;
                }
            }
        }
        if let Some(compressor) = &self.compressor {
            // The send fails only when the thread has panicked. The archives then stay
            // uncompressed and whole.
            let _ = compressor.requests.send(root);
        }
    }

    /// Waits for the compression thread, if any, to finish its requests.
    #[cfg(test)]
    fn wait_for_compression(&mut self) {
        if let Some(compressor) = self.compressor.take() {
            drop(compressor.requests);
            let _ = compressor.thread.join();
        }
    }
}

/// The background thread that compresses archives, and its request channel.
#[derive(Debug)]
struct Compressor {
    requests: mpsc::Sender<PathBuf>,
    thread: JoinHandle<()>,
}

/// Maximum wait for the compression thread when the writer is dropped at a stop. Past it the
/// process ends anyway, and the next rotation compresses what is left.
const COMPRESSION_STOP_WAIT: Duration = Duration::from_secs(5);

impl Drop for RotatingAlertWriter {
    fn drop(&mut self) {
        let Some(Compressor { requests, thread }) = self.compressor.take() else {
            return;
        };
        drop(requests);
        let deadline = Instant::now() + COMPRESSION_STOP_WAIT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            warn!("stopping while alert archives are still being compressed; the next rotation finishes them");
        }
    }
}

/// Compresses each uncompressed archive (`ossec-alerts-*.json` or `.log`) under `root` into
/// `NAME.gz` and deletes the original. The data goes to `NAME.gz.part`, which is renamed when
/// complete, so a stop part way leaves the original whole. The next pass overwrites a stale
/// `.part` file.
fn compress_archives(root: &Path) {
    for year_dir in subdirectories(root) {
        for month_dir in subdirectories(&year_dir) {
            let Ok(entries) = fs::read_dir(&month_dir) else {
                continue;
            };
            for path in entries.flatten().map(|entry| entry.path()) {
                if !is_uncompressed_archive(&path) {
                    continue;
                }
                match compress_file(&path) {
                    Ok(compressed) => {
                        info!(archive = %compressed.display(), "alert archive compressed")
                    }
                    Err(error) => {
                        warn!(file = %path.display(), %error, "failed to compress an alert archive")
                    }
                }
            }
        }
    }
}

fn is_uncompressed_archive(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    name.starts_with("ossec-alerts-")
        && (name.ends_with(".json") || name.ends_with(".log"))
        && path.is_file()
}

/// Writes `path.gz` with mode 0600 and removes `path`; returns the new path.
fn compress_file(path: &Path) -> io::Result<PathBuf> {
    let mut compressed_name = path.as_os_str().to_owned();
    compressed_name.push(".gz");
    let compressed = PathBuf::from(compressed_name);
    let mut part_name = compressed.as_os_str().to_owned();
    part_name.push(".part");
    let part = PathBuf::from(part_name);

    let mut source = File::open(path)?;
    // A stale `.part` file is removed and the new one created exclusively, so a link left
    // under that name is never followed and the file always gets mode 0600.
    match fs::remove_file(&part) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let target = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&part)?;
    let mut encoder = flate2::write::GzEncoder::new(
        io::BufWriter::with_capacity(1 << 16, target),
        flate2::Compression::default(),
    );
    io::copy(&mut source, &mut encoder)?;
    let writer = encoder.finish()?;
    writer
        .into_inner()
        .map_err(|error| error.into_error())?
        .sync_all()?;
    fs::rename(&part, &compressed)?;
    fs::remove_file(path)?;
    Ok(compressed)
}

/// Returns the archive path without extension for `day`, creating its folders: the first free
/// name among `ossec-alerts-DD`, `ossec-alerts-DD-001`, ... `-999`.
fn archive_base(directory: &Path, day: NaiveDate) -> io::Result<Option<PathBuf>> {
    let folder = directory
        .join("logs/alerts")
        .join(day.year().to_string())
        .join(day.format("%b").to_string());
    DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(&folder)
        .map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("failed to create {}: {error}", folder.display()),
            )
        })?;
    for counter in 0..=MAX_COUNTER {
        let name = match counter {
            0 => format!("ossec-alerts-{:02}", day.day()),
            _ => format!("ossec-alerts-{:02}-{counter:03}", day.day()),
        };
        let base = folder.join(name);
        let name_in_use = ["json", "log", "json.gz", "log.gz"]
            .iter()
            .any(|extension| base.with_extension(extension).exists());
        if !name_in_use {
            return Ok(Some(base));
        }
    }
    Ok(None)
}

/// Deletes archived alert files of days before `oldest` under `root` (`logs/alerts`), and
/// month and year folders left empty. Failures are logged and skipped.
fn prune_archives(root: &Path, oldest: NaiveDate) {
    for year_dir in subdirectories(root) {
        for month_dir in subdirectories(&year_dir) {
            prune_month(&year_dir, &month_dir, oldest);
            let _ = fs::remove_dir(&month_dir);
        }
        let _ = fs::remove_dir(&year_dir);
    }
}

fn prune_month(year_dir: &Path, month_dir: &Path, oldest: NaiveDate) {
    let Ok(entries) = fs::read_dir(month_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(day) = archive_day(year_dir, month_dir, &path) else {
            continue;
        };
        if day < oldest {
            match fs::remove_file(&path) {
                Ok(()) => info!(file = %path.display(), "deleted an alert archive past retention"),
                Err(error) => {
                    warn!(file = %path.display(), %error, "failed to delete an alert archive")
                }
            }
        }
    }
}

/// Returns the day an archive file belongs to, from its year folder, month folder and name.
/// Files that do not follow the layout are left alone.
fn archive_day(year_dir: &Path, month_dir: &Path, file: &Path) -> Option<NaiveDate> {
    let year: i32 = year_dir.file_name()?.to_str()?.parse().ok()?;
    let month = month_dir.file_name()?.to_str()?;
    let name = file.file_name()?.to_str()?;
    let day = name.strip_prefix("ossec-alerts-")?.get(..2)?;
    let day: u32 = day.parse().ok()?;
    NaiveDate::parse_from_str(&format!("{year}-{month}-{day:02}"), "%Y-%b-%d").ok()
}

fn subdirectories(path: &Path) -> Vec<PathBuf> {
    fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_count_from_001() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let day = NaiveDate::from_ymd_opt(2026, 3, 7).expect("valid date");
        let first = archive_base(directory.path(), day)
            .expect("create")
            .expect("free");
        assert!(
            first.ends_with("logs/alerts/2026/Mar/ossec-alerts-07"),
            "{first:?}"
        );
        fs::write(first.with_extension("log"), "x").expect("write");
        let second = archive_base(directory.path(), day)
            .expect("create")
            .expect("free");
        assert!(second.ends_with("ossec-alerts-07-001"), "{second:?}");
    }

    const OLD_RECORD: &str = "** Alert 1.0: - g,\nold record\n\n";

    /// Opens a writer over an alerts.log holding [`OLD_RECORD`], dated yesterday, and lets the
    /// timer rotate it. Returns the writer and yesterday's date.
    fn rotate_yesterdays_file(
        directory: &Path,
        compress: bool,
    ) -> (RotatingAlertWriter, NaiveDate) {
        let policy = RotationPolicy {
            max_size: None,
            keep_days: 0,
            compress,
        };
        fs::write(directory.join("alerts.log"), OLD_RECORD).expect("write");
        tick_after_midnight(directory, policy)
    }

    /// Opens a writer in `directory` whose files date from yesterday and lets the timer tick.
    /// Returns the writer and yesterday's date.
    fn tick_after_midnight(
        directory: &Path,
        policy: RotationPolicy,
    ) -> (RotatingAlertWriter, NaiveDate) {
        let mut writer = RotatingAlertWriter::open(directory, policy).expect("open");
        let yesterday = Local::now().date_naive() - chrono::Days::new(1);
        writer.day = yesterday;
        writer.tick().expect("tick");
        (writer, yesterday)
    }

    #[test]
    fn new_day_alert_rotates_first() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let policy = RotationPolicy {
            max_size: None,
            keep_days: 0,
            compress: false,
        };
        fs::write(directory.path().join("alerts.log"), OLD_RECORD).expect("write");
        let mut writer = RotatingAlertWriter::open(directory.path(), policy).expect("open");
        let day = NaiveDate::from_ymd_opt(2026, 3, 7).expect("valid date");
        writer.day = day;
        let time = DateTime::parse_from_rfc3339("2026-03-08T00:00:01+01:00").expect("time");
        let alert = Alert {
            timestamp: time,
            rule: dnstel_analysis::AlertRule {
                id: 5,
                level: 3,
                description: "d".into(),
                group_string: "g,".into(),
                ..Default::default()
            },
            agent: dnstel_analysis::AgentInfo::default().into(),
            manager_name: "m".into(),
            previous_output: Vec::new(),
            event: dnstel_analysis::Event::new("{}".into(), "stdin".into(), time).into(),
        };
        writer.write(&alert).expect("write");
        writer.flush().expect("flush");

        assert_eq!(writer.rotations(), 1);
        assert_eq!(writer.day, time.date_naive());
        let archived = archive_base(directory.path(), day)
            .expect("folders")
            .expect("free name")
            .with_file_name("ossec-alerts-07.log");
        assert_eq!(fs::read_to_string(archived).expect("archive"), OLD_RECORD);
        let current = fs::read_to_string(directory.path().join("alerts.log")).expect("log");
        assert!(current.starts_with("** Alert 1772924401.0:"), "{current}");
    }

    #[test]
    fn day_change_archives_under_old_day() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let (mut writer, yesterday) = rotate_yesterdays_file(directory.path(), false);

        let base = directory
            .path()
            .join("logs/alerts")
            .join(yesterday.year().to_string())
            .join(yesterday.format("%b").to_string())
            .join(format!("ossec-alerts-{:02}", yesterday.day()));
        let archived = fs::read_to_string(base.with_extension("log")).expect("archived log");
        assert_eq!(archived, OLD_RECORD);
        assert!(base.with_extension("json").exists());
        assert_eq!(writer.rotations(), 1);
        assert_eq!(writer.writer.log_size(), 0, "id offsets restart");
        writer.tick().expect("no second rotation");
        assert_eq!(writer.rotations(), 1);
    }

    #[test]
    fn rotated_archives_compressed() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let (mut writer, yesterday) = rotate_yesterdays_file(directory.path(), true);
        writer.wait_for_compression();

        let base = archive_base(directory.path(), yesterday)
            .expect("folders")
            .expect("free name");
        assert!(base.ends_with(format!("ossec-alerts-{:02}-001", yesterday.day())));
        let first = base.with_file_name(format!("ossec-alerts-{:02}", yesterday.day()));
        assert!(!first.with_extension("log").exists());
        let compressed = fs::File::open(first.with_extension("log.gz")).expect("log.gz");
        let mut text = String::new();
        io::Read::read_to_string(&mut flate2::read::GzDecoder::new(compressed), &mut text)
            .expect("gunzip");
        assert_eq!(text, OLD_RECORD);
        let mode = fs::metadata(first.with_extension("json.gz"))
            .expect("json.gz")
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    #[test]
    fn stale_partial_archive_redone() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let month = directory.path().join("logs/alerts/2026/Mar");
        fs::create_dir_all(&month).expect("create folders");
        fs::write(month.join("ossec-alerts-07.json"), "{\"a\":1}\n").expect("write");
        fs::write(month.join("ossec-alerts-07.json.gz.part"), "cut").expect("write");
        fs::write(month.join("notes.txt"), "x").expect("write");
        let victim = directory.path().join("victim");
        fs::write(&victim, "keep me").expect("write victim");
        fs::write(month.join("ossec-alerts-07.log"), "** Alert 1.0: - g,\n\n").expect("write");
        std::os::unix::fs::symlink(&victim, month.join("ossec-alerts-07.log.gz.part"))
            .expect("plant link");

        compress_archives(&directory.path().join("logs/alerts"));

        assert_eq!(fs::read_to_string(&victim).expect("read victim"), "keep me");
        let compressed_log = month.join("ossec-alerts-07.log.gz");
        assert!(
            !compressed_log.is_symlink(),
            "the archive is a file of its own"
        );
        let mode = fs::metadata(month.join("ossec-alerts-07.json.gz"))
            .expect("json.gz")
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        assert!(!month.join("ossec-alerts-07.json").exists());
        assert!(!month.join("ossec-alerts-07.json.gz.part").exists());
        assert!(month.join("ossec-alerts-07.json.gz").exists());
        assert!(
            month.join("notes.txt").exists(),
            "other files are left alone"
        );
    }

    #[test]
    fn device_alert_files_never_rotated() {
        let directory = tempfile::tempdir().expect("temporary directory");
        fs::write(
            directory.path().join("alerts.log"),
            "** Alert 1.0: - g,\nx\n\n",
        )
        .expect("write");
        std::os::unix::fs::symlink("/dev/null", directory.path().join("alerts.json"))
            .expect("link /dev/null");
        let policy = RotationPolicy {
            max_size: Some(1),
            keep_days: 0,
            compress: false,
        };
        let (writer, _) = tick_after_midnight(directory.path(), policy);
        assert_eq!(writer.rotations(), 0);
        assert!(!directory.path().join("logs").exists());
        assert!(directory.path().join("alerts.json").is_symlink());
    }

    #[test]
    fn full_day_stops_size_rotation() {
        let directory = tempfile::tempdir().expect("temporary directory");
        fs::write(directory.path().join("alerts.log"), OLD_RECORD).expect("write");
        let policy = RotationPolicy {
            max_size: Some(1),
            keep_days: 0,
            compress: false,
        };
        let mut writer = RotatingAlertWriter::open(directory.path(), policy).expect("open");
        let today = writer.day;
        let folder = archive_base(directory.path(), today)
            .expect("create")
            .expect("free")
            .with_file_name("");
        for counter in 0..=MAX_COUNTER {
            let name = match counter {
                0 => format!("ossec-alerts-{:02}.log", today.day()),
                _ => format!("ossec-alerts-{:02}-{counter:03}.log", today.day()),
            };
            fs::write(folder.join(name), "x").expect("write archive");
        }

        writer.tick().expect("tick");
        assert_eq!(writer.rotations(), 0);
        assert!(writer.archive_names_exhausted);

        // A freed name is not looked for again the same day.
        fs::remove_file(folder.join(format!("ossec-alerts-{:02}-500.log", today.day())))
            .expect("remove");
        writer.tick().expect("tick");
        assert_eq!(writer.rotations(), 0);

        writer.day = today - chrono::Days::new(1);
        writer.tick().expect("tick");
        assert_eq!(writer.rotations(), 1);
        assert!(!writer.archive_names_exhausted);
    }

    #[test]
    fn empty_files_not_rotated_at_day_change() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let policy = RotationPolicy {
            max_size: Some(1),
            keep_days: 0,
            compress: false,
        };
        let (writer, _) = tick_after_midnight(directory.path(), policy);
        assert_eq!(writer.rotations(), 0);
        assert!(!directory.path().join("logs").exists());
    }

    #[test]
    fn pruning_keeps_recent_days() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let root = directory.path().join("logs/alerts");
        let old = root.join("2025/Dec");
        let recent = root.join("2026/Jan");
        fs::create_dir_all(&old).expect("create");
        fs::create_dir_all(&recent).expect("create");
        fs::write(old.join("ossec-alerts-30.json"), "x").expect("write");
        fs::write(old.join("ossec-alerts-31-001.log"), "x").expect("write");
        fs::write(recent.join("ossec-alerts-02.json"), "x").expect("write");
        fs::write(recent.join("notes.txt"), "x").expect("write");
        let oldest = NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date");
        prune_archives(&root, oldest);
        assert!(!old.exists(), "empty old month folder removed");
        assert!(!root.join("2025").exists(), "empty old year folder removed");
        assert!(recent.join("ossec-alerts-02.json").exists());
        assert!(recent.join("notes.txt").exists());
    }
}
