//! Brings `alerts.json` and `alerts.log` back into agreement after an interrupted write.
//!
//! The writer appends a batch of records to `alerts.log` and then the same batch to
//! `alerts.json`. A process killed between the two writes, or a disk that fills during the
//! second, leaves records in one file that the other lacks. Each `alerts.json` line carries
//! its record's `alerts.log` offset in its id (`<seconds>.<offset>`), so the last alert both
//! files hold can be found, and whatever either file has after it is cut. When the analyzer
//! reads files, those alerts are written again, because the read position saved before the
//! batch is where it starts. From standard input they are lost, in both files alike.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use dnstel_cjson::JsonValue;

/// Opening bytes of every `alerts.log` record.
const RECORD_START: &[u8] = b"** Alert ";

/// Cuts the records after the last alert that both files contain. At most `max_cut` bytes are
/// cut from either file: one interrupted batch leaves no more, so a larger difference means
/// something else changed the files, and they are left as they are with a warning.
///
/// # Errors
/// Returns an error when a file cannot be read or truncated.
pub(crate) fn reconcile(
    json: &mut File,
    json_path: &Path,
    log: &mut File,
    log_path: &Path,
    max_cut: u64,
) -> io::Result<()> {
    let json_len = json.metadata()?.len();
    let log_len = log.metadata()?.len();
    if json_len == 0 {
        // Nothing to anchor on: alerts.json may have been emptied on purpose.
        return Ok(());
    }
    // The window must hold the cut plus the whole line or record it keeps.
    let window = max_cut.saturating_mul(2);
    let json_start = json_len.saturating_sub(window);
    let json_tail = read_from(json, json_start)?;
    let log_start = log_len.saturating_sub(window);
    let log_tail = read_from(log, log_start)?;

    let mut json_keep = json_len;
    for line in json_lines_from_end(&json_tail) {
        if json_len - json_keep > max_cut {
            break;
        }
        let Some(offset) = log_offset(&json_tail[line.clone()]) else {
            // A line that is not a dnstel alert: leave both files alone.
            return Ok(());
        };
        if let Some(record_end) = record_end(&log_tail, log_start, log_len, offset) {
            let log_cut = log_len - record_end;
            let json_cut = json_len - json_keep;
            if log_cut > max_cut {
                break;
            }
            truncate(log, log_path, record_end, log_cut)?;
            truncate(json, json_path, json_keep, json_cut)?;
            return Ok(());
        }
        json_keep = json_start + line.start as u64;
    }
    tracing::warn!(
        json = %json_path.display(),
        log = %log_path.display(),
        "alerts.json and alerts.log differ by more than one interrupted write; both left as they are"
    );
    Ok(())
}

fn read_from(file: &mut File, start: u64) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    Ok(tail)
}

/// Yields the byte ranges of the lines in `tail`, last first, without their newlines.
fn json_lines_from_end(tail: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let body = tail.strip_suffix(b"\n").unwrap_or(tail);
    let mut end = body.len();
    std::iter::from_fn(move || {
        if end == 0 {
            return None;
        }
        let start = memchr::memrchr(b'\n', &body[..end]).map_or(0, |newline| newline + 1);
        let line = start..end;
        end = start.saturating_sub(1);
        Some(line).filter(|line| !line.is_empty())
    })
}

/// Returns the `alerts.log` offset in an `alerts.json` line's id, or `None` when the line is
/// not an alert with such an id.
fn log_offset(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let JsonValue::Object(members) = JsonValue::parse_prefix(text).ok()? else {
        return None;
    };
    let (_, JsonValue::String(id)) = members.iter().find(|(key, _)| key == "id")? else {
        return None;
    };
    let (_, offset) = id.split_once('.')?;
    offset.parse().ok()
}

/// Returns where the `alerts.log` record at `offset` ends, or `None` when no record starts
/// there. `tail` contains the file from `tail_start` to `log_len`.
fn record_end(tail: &[u8], tail_start: u64, log_len: u64, offset: u64) -> Option<u64> {
    let at = usize::try_from(offset.checked_sub(tail_start)?).ok()?;
    if offset >= log_len || !tail.get(at..)?.starts_with(RECORD_START) {
        return None;
    }
    let after = at + RECORD_START.len();
    match memchr::memmem::find(&tail[after..], b"\n\n** Alert ") {
        Some(next) => Some(tail_start + (after + next + 2) as u64),
        None => Some(log_len),
    }
}

fn truncate(file: &File, path: &Path, keep: u64, cut: u64) -> io::Result<()> {
    if cut == 0 {
        return Ok(());
    }
    file.set_len(keep)?;
    tracing::warn!(
        path = %path.display(),
        removed_bytes = cut,
        "removed alerts that the other alert file lacks, left by an interrupted write"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: usize) -> String {
        format!("** Alert 1.{offset}: - g,\nRule: 5 (level 3) -> 'd'\n\n")
    }

    fn json_line(offset: usize) -> String {
        format!("{{\"rule\":{{\"id\":\"5\"}},\"id\":\"1.{offset}\"}}\n")
    }

    /// Returns an alerts.log text of `log_records` records and an alerts.json text with the
    /// lines of the first `json_records` of them.
    fn files(log_records: usize, json_records: usize) -> (String, String) {
        let (mut json, mut log) = (String::new(), String::new());
        for index in 0..log_records {
            let offset = log.len();
            log.push_str(&record(offset));
            if index < json_records {
                json.push_str(&json_line(offset));
            }
        }
        (json, log)
    }

    /// Writes both texts to files, reconciles them and returns the texts afterwards.
    fn reconciled(json_text: &str, log_text: &str, max_cut: u64) -> (String, String) {
        let directory = tempfile::tempdir().expect("temporary directory");
        let json_path = directory.path().join("alerts.json");
        let log_path = directory.path().join("alerts.log");
        std::fs::write(&json_path, json_text).expect("write alerts.json");
        std::fs::write(&log_path, log_text).expect("write alerts.log");
        let open = |path: &Path| {
            std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .open(path)
                .expect("open")
        };
        let (mut json, mut log) = (open(&json_path), open(&log_path));
        reconcile(&mut json, &json_path, &mut log, &log_path, max_cut).expect("reconcile");
        (
            std::fs::read_to_string(&json_path).expect("read alerts.json"),
            std::fs::read_to_string(&log_path).expect("read alerts.log"),
        )
    }

    #[test]
    fn log_records_missing_from_json_cut() {
        let (json, log) = files(5, 3);
        let (json_after, log_after) = reconciled(&json, &log, 1 << 20);
        assert_eq!(json_after, json);
        let (_, three_records) = files(3, 0);
        assert_eq!(log_after, three_records);
    }

    #[test]
    fn json_lines_without_log_record_cut() {
        let (json, log) = files(3, 3);
        let ahead = format!(
            "{json}{}{}",
            json_line(log.len()),
            json_line(log.len() + 40)
        );
        let (json_after, log_after) = reconciled(&ahead, &log, 1 << 20);
        assert_eq!(json_after, json);
        assert_eq!(log_after, log);
    }

    #[test]
    fn agreeing_files_untouched() {
        let (json, log) = files(4, 4);
        assert_eq!(reconciled(&json, &log, 1 << 20), (json, log));
    }

    #[test]
    fn large_difference_left_alone() {
        let (json, log) = files(40, 2);
        assert_eq!(reconciled(&json, &log, 100), (json, log));
    }

    #[test]
    fn empty_json_leaves_log_alone() {
        let (json, log) = files(3, 0);
        assert_eq!(reconciled(&json, &log, 1 << 20), (json, log));
    }

    #[test]
    fn foreign_json_lines_left_alone() {
        let (_, log) = files(3, 0);
        let json = "{\"whole\":1}\n".to_owned();
        assert_eq!(reconciled(&json, &log, 1 << 20), (json, log));
    }
}
