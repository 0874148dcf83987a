//! Brings `alerts.json` and `alerts.log` back into agreement after an interrupted write.
//!
//! The writer appends a batch of records to `alerts.log` and then the same batch to
//! `alerts.json`. A process killed between the two writes, or a disk that fills during the
//! second, leaves records in one file that the other lacks. Each `alerts.json` line carries
//! its record's `alerts.log` offset in its id (`<seconds>.<offset>`), so the last alert both
//! files contain can be found, and whatever either file has after it is cut. When the analyzer
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
        let Some((id, offset)) = alert_id(&json_tail[line.clone()]) else {
            // A line that is not a dnstel alert: leave both files alone.
            return Ok(());
        };
        if offset >= log_len {
            // alerts.json got this alert and alerts.log did not.
            json_keep = json_start + line.start as u64;
            continue;
        }
        if let Some(record_end) = record_end(&log_tail, log_start, log_len, &id, offset) {
            let log_cut = log_len - record_end;
            let json_cut = json_len - json_keep;
            if log_cut > max_cut {
                break;
            }
            truncate(log, log_path, record_end, log_cut)?;
            truncate(json, json_path, json_keep, json_cut)?;
            return Ok(());
        }
        // An id that names a place inside alerts.log where its record is not: the files were
        // changed by something other than an interrupted write.
        break;
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

/// Yields the byte ranges of the lines in `tail`, last first, without their newlines. An
/// empty line is yielded too, and is not an alert.
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
        Some(line)
    })
}

/// Returns an `alerts.json` line's id with the `alerts.log` offset in it, or `None` when the
/// line is not an alert with such an id.
fn alert_id(line: &[u8]) -> Option<(String, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let JsonValue::Object(members) = JsonValue::parse_prefix(text).ok()? else {
        return None;
    };
    let (_, JsonValue::String(id)) = members.iter().find(|(key, _)| key == "id")? else {
        return None;
    };
    let (_, offset) = id.split_once('.')?;
    let offset = offset.parse().ok()?;
    Some((id.clone(), offset))
}

/// Returns where the `alerts.log` record of alert `id`, at `offset`, ends, or `None` when that
/// record does not start there (or lies before `tail`). `tail` contains the file from `tail_start` to `log_len`.
fn record_end(tail: &[u8], tail_start: u64, log_len: u64, id: &str, offset: u64) -> Option<u64> {
    let at = usize::try_from(offset.checked_sub(tail_start)?).ok()?;
    let header = format!("** Alert {id}:");
    if !tail.get(at..)?.starts_with(header.as_bytes()) {
        return None;
    }
    let after = at + header.len();
    let next = memchr::memmem::find_iter(&tail[after..], b"\n\n")
        .map(|found| after + found + 2)
        .find(|&start| header_state(&tail[start..], tail_start + start as u64) == Header::Whole);
    Some(next.map_or(log_len, |start| tail_start + start as u64))
}

/// The kind of a line that may start an `alerts.log` record.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// `** Alert <seconds>.<offset>:` where the offset is the line's own position in the file,
    /// as every record dnstel writes has it.
    Whole,
    /// The start of such a header, cut short by the end of the file.
    Cut,
    /// A header whose offset is not its position: written by other software, or text inside
    /// a record that looks like a header.
    Other,
    /// Not a header.
    None,
}

/// Classifies `text`, which starts at byte `position` of `alerts.log`.
fn header_state(text: &[u8], position: u64) -> Header {
    // A header is "** Alert ", an id of two integers, and a colon: well under 64 bytes.
    const MAX_ID_BYTES: usize = 48;
    if text.is_empty() {
        return Header::None;
    }
    if text.len() < RECORD_START.len() {
        return if RECORD_START.starts_with(text) {
            Header::Cut
        } else {
            Header::None
        };
    }
    if !text.starts_with(RECORD_START) {
        return Header::None;
    }
    let id = &text[RECORD_START.len()..];
    let Some(colon) = memchr::memchr(b':', &id[..id.len().min(MAX_ID_BYTES)]) else {
        let cut =
            id.len() < MAX_ID_BYTES && id.iter().all(|byte| byte.is_ascii_digit() || *byte == b'.');
        return if cut { Header::Cut } else { Header::Other };
    };
    let offset = std::str::from_utf8(&id[..colon])
        .ok()
        .and_then(|id| id.split_once('.'))
        .and_then(|(_, offset)| offset.parse::<u64>().ok());
    if offset == Some(position) {
        Header::Whole
    } else {
        Header::Other
    }
}

/// Returns where the last record of `alerts.log` starts in `tail`, which contains the file
/// from byte `tail_start` on, or `None` when `tail` shows no record start. A record start
/// follows a blank line. One whose header carries its own position, or is cut short by the
/// end of the file, wins over one that only looks like a header. A field value that contains
/// a blank line and `** Alert ` is therefore not taken for a record.
pub(crate) fn last_record_start(tail: &[u8], tail_start: u64) -> Option<usize> {
    let mut lookalike = None;
    let mut classify = |at: usize| match header_state(&tail[at..], tail_start + at as u64) {
        Header::Whole | Header::Cut => Some(at),
        Header::Other => {
            lookalike.get_or_insert(at);
            None
        }
        Header::None => None,
    };
    let mut end = tail.len();
    while let Some(blank) = memchr::memmem::rfind(&tail[..end], b"\n\n") {
        if let Some(at) = classify(blank + 2) {
            return Some(at);
        }
        end = blank + 1;
    }
    if tail_start == 0 {
        if let Some(at) = classify(0) {
            return Some(at);
        }
    }
    lookalike
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
    fn cut_header_starts_last_record() {
        let (_, log) = files(3, 0);
        let whole = log.len();
        for cut in ["** Ale", "** Alert ", "** Alert 1.", "** Alert 1.3"] {
            let text = format!("{log}{cut}");
            assert_eq!(
                last_record_start(text.as_bytes(), 0),
                Some(whole),
                "{cut:?}"
            );
        }
    }

    #[test]
    fn lookalike_header_in_value_ignored() {
        let (_, log) = files(2, 0);
        let last = log.len() - record(0).len();
        // A field value with a blank line and a header whose offset is not its position.
        let text = format!(
            "{log}** Alert 1.{}: - g,\nfield: a\n\n** Alert 1.0: - fake\nmore",
            log.len()
        );
        assert_eq!(last_record_start(text.as_bytes(), 0), Some(log.len()));
        assert!(last < log.len());
        let foreign = "** Alert 9.9: - g,\nx\n\n** Alert 9.9: - g,\ncut";
        assert_eq!(
            last_record_start(foreign.as_bytes(), 0),
            Some(foreign.rfind("** Alert").expect("header"))
        );
    }

    #[test]
    fn json_id_must_match_record() {
        let (json, log) = files(4, 4);
        // The last JSON line names the first record's offset with another id.
        let last_line = json.lines().last().expect("a line");
        let id_start = last_line.rfind("\"id\"").expect("id");
        let edited_line = format!("{}\"id\":\"7.0\"}}", &last_line[..id_start]);
        let edited = json.replace(last_line, &edited_line);
        assert_ne!(edited, json);
        assert_eq!(reconciled(&edited, &log, 1 << 20), (edited, log));
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
        assert_eq!(reconciled(&json, &log, 1 << 20), (json, log.clone()));

        // An empty line after the alerts is not one of them either.
        let (json, log) = files(4, 3);
        let blank = format!("{json}\n");
        assert_eq!(reconciled(&blank, &log, 1 << 20), (blank, log));
    }
}
