//! [`AlertWriter`]: appends alerts to `alerts.json` and `alerts.log` in one directory.
//!
//! The alert id is `<seconds>.<offset>`, where the offset is the size of `alerts.log` before
//! the record is written, as in Wazuh. Files are created with mode 0600.
//!
//! Either file may instead be an existing character device such as `/dev/null`. Such a file is
//! written in place and never rotated, and its id offsets count the bytes written since the
//! writer was opened. Named pipes are rejected: a pipe without a reader, or with one that stops
//! reading, would block the writer, and with it every stop and reload, for as long as it lasts.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::alert::Alert;
use crate::alerts_log::write_record_at;
use crate::timestamps::AlertTimestamps;

/// Bytes of records held in memory per file before they are written out.
const PENDING_LIMIT: usize = 256 * 1024;

/// Appends alerts to `alerts.json` and `alerts.log`. Records are collected in memory and
/// written out when [`PENDING_LIMIT`] bytes are pending, on [`AlertWriter::flush`], before a
/// reopen, and when the writer is dropped.
#[derive(Debug)]
pub struct AlertWriter {
    directory: PathBuf,
    json: File,
    log: File,
    pending_json: String,
    pending_log: String,
    log_offset: u64,
    json_size: u64,
    /// Alerts in `pending_json` and `pending_log`.
    pending_alerts: u64,
    /// True when either file is a character device, which must not be rotated.
    special: bool,
    written: u64,
    lost: u64,
    timestamps: AlertTimestamps,
}

impl AlertWriter {
    /// Opens (creating when missing) `alerts.json` and `alerts.log` in `directory`.
    pub fn open(directory: impl AsRef<Path>) -> io::Result<AlertWriter> {
        let directory = directory.as_ref().to_path_buf();
        let opened = open_files(&directory)?;
        Ok(AlertWriter {
            directory,
            json: opened.json.file,
            log: opened.log.file,
            pending_json: String::new(),
            pending_log: String::new(),
            log_offset: opened.log.size,
            json_size: opened.json.size,
            pending_alerts: 0,
            special: opened.json.special || opened.log.special,
            written: 0,
            lost: 0,
            timestamps: AlertTimestamps::default(),
        })
    }

    /// Closes and reopens both files, for use after they were rotated away.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.write_pending()?;
        let opened = open_files(&self.directory)?;
        self.json = opened.json.file;
        self.log = opened.log.file;
        self.json_size = opened.json.size;
        self.log_offset = opened.log.size;
        self.special = opened.json.special || opened.log.special;
        Ok(())
    }

    /// Writes `alert` to both files and returns its id.
    pub fn write(&mut self, alert: &Alert) -> io::Result<String> {
        let mut alert_id = String::with_capacity(32);
        alert_id.push_str(itoa::Buffer::new().format(alert.timestamp.timestamp()));
        alert_id.push('.');
        alert_id.push_str(itoa::Buffer::new().format(self.log_offset));
        let (json_time, log_time) = self.timestamps.format(alert.timestamp);
        let log_start = self.pending_log.len();
        write_record_at(alert, log_time, &alert_id, &mut self.pending_log);
        self.log_offset += (self.pending_log.len() - log_start) as u64;
        let json_start = self.pending_json.len();
        alert.write_json_at(json_time, Some(&alert_id), &mut self.pending_json);
        self.pending_json.push('\n');
        self.json_size += (self.pending_json.len() - json_start) as u64;
        self.pending_alerts += 1;
        if self.pending_log.len() >= PENDING_LIMIT || self.pending_json.len() >= PENDING_LIMIT {
            self.write_pending()?;
        }
        Ok(alert_id)
    }

    /// Writes the pending records to both files.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.log.flush()?;
        self.json.flush()
    }

    fn write_pending(&mut self) -> io::Result<()> {
        // The buffers are emptied even when a write fails, so a later flush does not write a
        // record twice.
        let log = self.log.write_all(self.pending_log.as_bytes());
        self.pending_log.clear();
        let json = self.json.write_all(self.pending_json.as_bytes());
        self.pending_json.clear();
        let count = std::mem::take(&mut self.pending_alerts);
        match log.and(json) {
            Ok(()) => {
                self.written += count;
                Ok(())
            }
            Err(error) => {
                self.lost += count;
                Err(io::Error::new(
                    error.kind(),
                    format!("up to {count} alerts were not written whole to both files: {error}"),
                ))
            }
        }
    }

    /// Number of alerts written to both files since the writer was opened. Alerts still in
    /// memory count once they are written out.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Number of alerts in buffers whose write failed. Some of them may have reached one file
    /// or both, because a failed write does not say how far it got.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// The directory that contains `alerts.json` and `alerts.log`.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Size of `alerts.log` in bytes: the id offset of the next alert.
    pub fn log_size(&self) -> u64 {
        self.log_offset
    }

    /// Size of `alerts.json` in bytes.
    pub fn json_size(&self) -> u64 {
        self.json_size
    }

    /// Returns whether the files may be renamed for rotation: false when either is a
    /// character device.
    pub fn rotatable(&self) -> bool {
        !self.special
    }
}

impl Drop for AlertWriter {
    fn drop(&mut self) {
        if let Err(error) = self.write_pending() {
            tracing::error!(%error, directory = %self.directory.display(), "failed to write the last alerts");
        }
    }
}

/// An opened alert file.
struct Opened {
    file: File,
    /// Bytes in the file; 0 for a character device.
    size: u64,
    special: bool,
}

struct OpenedPair {
    json: Opened,
    log: Opened,
}

fn open_files(directory: &Path) -> io::Result<OpenedPair> {
    let json_path = directory.join("alerts.json");
    let log_path = directory.join("alerts.log");
    let mut json = open_alert_file(&json_path, RecordEnd::Line)?;
    let mut log = open_alert_file(&log_path, RecordEnd::AlertsLog)?;
    if !json.special && !log.special {
        // One batch and the largest record it can end with.
        let max_cut = (2 * PENDING_LIMIT) as u64;
        crate::reconcile::reconcile(
            &mut json.file,
            &json_path,
            &mut log.file,
            &log_path,
            max_cut,
        )
        .map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "failed to compare {} with {}: {error}",
                    json_path.display(),
                    log_path.display()
                ),
            )
        })?;
        json.size = json.file.metadata()?.len();
        log.size = log.file.metadata()?.len();
    }
    Ok(OpenedPair { json, log })
}

fn open_alert_file(path: &Path, record_end: RecordEnd) -> io::Result<Opened> {
    let with_path =
        |error: io::Error| io::Error::new(error.kind(), format!("{}: {error}", path.display()));
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Err(with_path(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a folder; alert files must be regular files or character devices",
        ))),
        Ok(metadata) if metadata.file_type().is_char_device() => {
            // Neither read nor truncated: a device has no records to repair.
            let file = OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(with_path)?;
            Ok(Opened {
                file,
                size: 0,
                special: true,
            })
        }
        Ok(metadata) if !metadata.is_file() => Err(with_path(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file or a character device (a named pipe could block every \
             stop); alert files must be regular files or character devices such as /dev/null",
        ))),
        _ => {
            let file = open_append(path, record_end).map_err(with_path)?;
            let size = file.metadata().map_err(with_path)?.len();
            Ok(Opened {
                file,
                size,
                special: false,
            })
        }
    }
}

/// The way records end in an alert file.
#[derive(Clone, Copy)]
enum RecordEnd {
    /// `alerts.json`: one alert per line.
    Line,
    /// `alerts.log`: each record starts with `** Alert ` and ends with a blank line.
    AlertsLog,
}

/// Bytes at the end of a file searched for the end of its last whole record.
const TAIL_SEARCH_BYTES: u64 = 8 << 20;

/// Opens a file for appending. A record cut short at the end of the file (the process was
/// killed, or the disk filled, during a write) is removed first, so no reader ever sees half
/// an alert. The analyzer writes that alert again, because its read position was not saved.
/// When no record end is found in the last [`TAIL_SEARCH_BYTES`], a newline is appended
/// instead, so the next alert still starts a line of its own.
fn open_append(path: &Path, record_end: RecordEnd) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    cut_partial_record(&mut file, path, record_end)?;
    Ok(file)
}

fn cut_partial_record(file: &mut File, path: &Path, record_end: RecordEnd) -> io::Result<()> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let start = len.saturating_sub(TAIL_SEARCH_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let complete = match record_end {
        RecordEnd::Line => tail.ends_with(b"\n"),
        RecordEnd::AlertsLog => tail.ends_with(b"\n\n"),
    };
    if complete {
        return Ok(());
    }
    let whole = match record_end {
        RecordEnd::Line => memchr::memrchr(b'\n', &tail).map(|end| end + 1),
        RecordEnd::AlertsLog => crate::reconcile::last_record_start(&tail, start),
    };
    let keep = match whole {
        Some(end) => start + end as u64,
        None if start == 0 && matches!(record_end, RecordEnd::Line) => 0,
        None => {
            tracing::warn!(path = %path.display(), "alert file ends with a partial record; starting a new line after it");
            file.write_all(b"\n")?;
            return Ok(());
        }
    };
    file.set_len(keep)?;
    tracing::warn!(
        path = %path.display(),
        removed_bytes = len - keep,
        "removed a partial alert record left by an interrupted write"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AgentInfo, AlertRule};
    use crate::event::Event;
    use chrono::DateTime;
    use std::os::unix::fs::PermissionsExt;

    fn alert() -> Alert {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00+00:00").unwrap();
        Alert {
            timestamp: time,
            rule: AlertRule {
                id: 5,
                level: 3,
                description: "d".into(),
                group_string: "g,".into(),
                ..AlertRule::default()
            },
            agent: AgentInfo {
                id: "000".into(),
                ..AgentInfo::default()
            }
            .into(),
            manager_name: "m".into(),
            previous_output: Vec::new(),
            event: Event::new("{}".into(), "stdin".into(), time).into(),
        }
    }

    #[test]
    fn writer_ids_follow_log_offset() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = AlertWriter::open(&dir).unwrap();
        let first = writer.write(&alert()).unwrap();
        let second = writer.write(&alert()).unwrap();
        writer.flush().unwrap();
        let log_len = std::fs::metadata(dir.join("alerts.log")).unwrap().len();
        let json_len = std::fs::metadata(dir.join("alerts.json")).unwrap().len();
        assert_eq!(writer.log_size(), log_len);
        assert_eq!(writer.json_size(), json_len);
        assert_eq!(first, "1704067200.0");
        assert_eq!(second, format!("1704067200.{}", log_len / 2));
        writer.reopen().unwrap();
        let third = writer.write(&alert()).unwrap();
        assert_eq!(third, format!("1704067200.{log_len}"));
        writer.flush().unwrap();
        let json = std::fs::read_to_string(dir.join("alerts.json")).unwrap();
        assert_eq!(json.lines().count(), 3);
        let mode = std::fs::metadata(dir.join("alerts.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_write_counts_lost_alerts() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-lost-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = AlertWriter::open(&dir).unwrap();
        writer.write(&alert()).unwrap();
        writer.flush().unwrap();
        assert_eq!(writer.written(), 1);
        writer.write(&alert()).unwrap();
        writer.write(&alert()).unwrap();
        assert_eq!(writer.written(), 1, "buffered alerts are not counted yet");
        // A read-only handle makes the next write fail, as a full disk would.
        writer.json = File::open(dir.join("alerts.json")).unwrap();
        let error = writer.flush().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("up to 2 alerts were not written"),
            "{error}"
        );
        assert_eq!(writer.written(), 1);
        assert_eq!(writer.lost(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn partial_records_removed_on_open() {
        let dir =
            std::env::temp_dir().join(format!("dnstel-writer-partial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test folder");
        std::fs::write(dir.join("alerts.json"), "{\"whole\":1}\n{\"partial\":tru")
            .expect("write alerts.json");
        let whole_record = "** Alert 1.0: - g,\nRule: 5 (level 3) -> 'd'\n\n";
        std::fs::write(
            dir.join("alerts.log"),
            format!("{whole_record}** Alert 1.{}: cut", whole_record.len()),
        )
        .expect("write alerts.log");
        let mut writer = AlertWriter::open(&dir).expect("open writer");
        let id = writer.write(&alert()).expect("write alert");
        writer.flush().expect("flush");

        let json = std::fs::read_to_string(dir.join("alerts.json")).expect("read alerts.json");
        let lines: Vec<&str> = json.lines().collect();
        assert_eq!(lines.len(), 2, "{json}");
        assert_eq!(lines[0], "{\"whole\":1}");
        assert!(lines[1].contains(&format!("\"id\":\"{id}\"")), "{json}");
        let log = std::fs::read_to_string(dir.join("alerts.log")).expect("read alerts.log");
        assert!(log.starts_with(whole_record), "{log}");
        assert!(!log.contains("cut"), "{log}");
        assert!(log.contains(&format!("\n** Alert {id}:")), "{log}");
        // The id offset is where the new record starts: right after the whole one.
        assert_eq!(id, format!("1704067200.{}", whole_record.len()));
        std::fs::remove_dir_all(&dir).expect("remove test folder");
    }

    #[test]
    fn interrupted_batch_trimmed_on_open() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut writer = AlertWriter::open(directory.path()).expect("open writer");
        writer.write(&alert()).expect("write alert");
        writer.flush().expect("flush");
        let log_path = directory.path().join("alerts.log");
        let one_record = std::fs::read_to_string(&log_path).expect("read alerts.log");
        // alerts.log took the next batch and the process died before alerts.json did.
        writer.write(&alert()).expect("write alert");
        writer.write(&alert()).expect("write alert");
        writer
            .log
            .write_all(writer.pending_log.as_bytes())
            .expect("write batch");
        writer.pending_log.clear();
        writer.pending_json.clear();
        writer.pending_alerts = 0;
        drop(writer);

        let mut reopened = AlertWriter::open(directory.path()).expect("reopen writer");
        assert_eq!(
            std::fs::read_to_string(&log_path).expect("read alerts.log"),
            one_record
        );
        let id = reopened.write(&alert()).expect("write alert");
        assert_eq!(id, format!("1704067200.{}", one_record.len()));
    }

    #[test]
    fn cut_header_removed_alone() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut writer = AlertWriter::open(directory.path()).expect("open writer");
        for _ in 0..3 {
            writer.write(&alert()).expect("write alert");
        }
        drop(writer);
        let log_path = directory.path().join("alerts.log");
        let json_path = directory.path().join("alerts.json");
        let (log, json) = (
            std::fs::read_to_string(&log_path).expect("read alerts.log"),
            std::fs::read_to_string(&json_path).expect("read alerts.json"),
        );
        let mut file = OpenOptions::new()
            .append(true)
            .open(&log_path)
            .expect("open");
        file.write_all(b"** Ale").expect("append a cut header");

        drop(AlertWriter::open(directory.path()).expect("reopen writer"));
        assert_eq!(std::fs::read_to_string(&log_path).expect("read"), log);
        assert_eq!(std::fs::read_to_string(&json_path).expect("read"), json);
    }

    #[test]
    fn device_alert_files_written_in_place() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-device-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test folder");
        std::os::unix::fs::symlink("/dev/null", dir.join("alerts.log")).expect("link /dev/null");

        let mut writer = AlertWriter::open(&dir).expect("a device is accepted");
        assert!(!writer.rotatable());
        let first = writer.write(&alert()).expect("write alert");
        let second = writer.write(&alert()).expect("write alert");
        writer.flush().expect("flush");
        assert_eq!(writer.written(), 2);
        drop(writer);

        let json = std::fs::read_to_string(dir.join("alerts.json")).expect("read alerts.json");
        assert_eq!(json.lines().count(), 2, "{json}");
        // Ids count the bytes written to the device since the writer opened it.
        assert_eq!(first, "1704067200.0");
        assert!(json.contains(&format!("\"id\":\"{second}\"")), "{json}");
        assert_ne!(second, first);
        assert!(
            dir.join("alerts.log").is_symlink(),
            "the device link is not replaced"
        );
        std::fs::remove_dir_all(&dir).expect("remove test folder");
    }

    #[test]
    fn fifo_alert_file_rejected() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test folder");
        let status = std::process::Command::new("mkfifo")
            .arg(dir.join("alerts.json"))
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let error = AlertWriter::open(&dir).expect_err("a FIFO is rejected");
        assert!(
            error
                .to_string()
                .contains("not a regular file or a character device"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).expect("remove test folder");
    }

    #[test]
    fn folder_as_alert_file_rejected() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-folder-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("alerts.json")).expect("create test folders");
        let error = AlertWriter::open(&dir).expect_err("a folder is rejected");
        assert!(
            error.to_string().contains("alerts.json: is a folder"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).expect("remove test folder");
    }

    #[test]
    fn partial_only_record_removed() {
        let dir = std::env::temp_dir().join(format!("dnstel-writer-only-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test folder");
        std::fs::write(dir.join("alerts.json"), "{\"partial\":tru").expect("write alerts.json");
        std::fs::write(dir.join("alerts.log"), "** Alert 1.0: cut").expect("write alerts.log");
        let mut writer = AlertWriter::open(&dir).expect("open writer");
        let id = writer.write(&alert()).expect("write alert");
        writer.flush().expect("flush");
        let json = std::fs::read_to_string(dir.join("alerts.json")).expect("read alerts.json");
        assert_eq!(json.lines().count(), 1, "{json}");
        assert!(!json.contains("partial"), "{json}");
        assert_eq!(id, "1704067200.0");
        std::fs::remove_dir_all(&dir).expect("remove test folder");
    }
}
