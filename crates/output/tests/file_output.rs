//! Rotation, retention, permissions and reopen behaviour of the file output on a real directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use dnstel_output::{FileOutput, FileOutputOptions, JsonCodec, Output, OutputError};

fn options(dir: &Path, rotate_every_kb: u64, number_of_files: u32) -> FileOutputOptions {
    FileOutputOptions {
        rotate_every_kb,
        number_of_files,
        ..FileOutputOptions::new(dir)
    }
}

/// Returns an event of exactly `len` bytes (before the newline), unique by `id`.
fn event(id: usize, len: usize) -> String {
    let head = format!("{{\"id\":{id},\"pad\":\"");
    let tail = "\"}";
    let pad = len.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

/// Returns the names of files in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("test directory is readable")
        .map(|entry| {
            entry
                .expect("directory entry is readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Concatenates `packetbeat.N` ... `packetbeat.1`, `packetbeat` (oldest first).
fn concatenate_oldest_first(dir: &Path) -> String {
    let mut backups: Vec<u32> = file_names(dir)
        .iter()
        .filter_map(|name| name.strip_prefix("packetbeat.")?.parse().ok())
        .collect();
    backups.sort_unstable_by(|a, b| b.cmp(a));
    let mut text = String::new();
    for index in backups {
        let path = dir.join(format!("packetbeat.{index}"));
        text.push_str(&fs::read_to_string(path).expect("backup is readable"));
    }
    text.push_str(&fs::read_to_string(dir.join("packetbeat")).expect("active file is readable"));
    text
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn rotation_loses_and_splits_nothing() {
    check_rotation(|output, line| {
        output.write_event(line.as_bytes()).expect("write succeeds");
    });
}

/// Writes 400 events of up to 919 bytes with `write` into 1 KiB files, and checks that the
/// files contain them all, in order, in whole lines.
fn check_rotation(write: impl Fn(&mut FileOutput, &str)) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 1, 1024)).expect("output opens");
    let mut expected = String::new();
    for id in 0..400 {
        let line = event(id, 20 + (id * 37) % 900);
        write(&mut output, &line);
        expected.push_str(&line);
        expected.push('\n');
    }
    output.flush().expect("flush succeeds");
    assert_eq!(concatenate_oldest_first(dir.path()), expected);
    for name in file_names(dir.path()) {
        let text = fs::read_to_string(dir.path().join(&name)).expect("file is readable");
        assert!(text.len() <= 1024, "{name} has {} bytes", text.len());
        assert!(text.ends_with('\n'), "{name} ends inside a line");
    }
    let stats = output.stats();
    assert_eq!(stats.events_written, 400);
    assert_eq!(stats.bytes_written, expected.len() as u64);
    assert_eq!(stats.rotations as usize, file_names(dir.path()).len() - 1);
    assert_eq!(stats.write_errors, 0);
}

#[test]
fn rotation_at_exact_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 1, 7)).expect("output opens");
    output.write_event(event(1, 511).as_bytes()).expect("write");
    output.write_event(event(2, 511).as_bytes()).expect("write");
    output.flush().expect("flush");
    assert_eq!(
        file_names(dir.path()),
        ["packetbeat"],
        "1024 bytes fit in 1 KiB"
    );
    output.write_event(event(3, 10).as_bytes()).expect("write");
    output.flush().expect("flush");
    assert_eq!(file_names(dir.path()), ["packetbeat", "packetbeat.1"]);
}

#[test]
fn number_of_files_keeps_backups() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 1, 2)).expect("output opens");
    let lines: Vec<String> = (0..20).map(|id| event(id, 600)).collect();
    for line in &lines {
        output.write_event(line.as_bytes()).expect("write succeeds");
    }
    output.flush().expect("flush succeeds");
    assert_eq!(
        file_names(dir.path()),
        ["packetbeat", "packetbeat.1", "packetbeat.2"]
    );
    let kept: String = lines[17..].iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(concatenate_oldest_first(dir.path()), kept);
}

#[test]
fn oversize_event_gets_own_file() {
    check_oversize_event(|output, line| {
        output.write_event(line.as_bytes()).expect("write succeeds");
    });
}

/// Writes a 3000-byte event between two small ones with `write` into 1 KiB files, and
/// checks that it gets a file of its own.
fn check_oversize_event(write: impl Fn(&mut FileOutput, &str)) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 1, 7)).expect("output opens");
    let small_before = event(1, 100);
    let large = event(2, 3000);
    let small_after = event(3, 100);
    for line in [&small_before, &large, &small_after] {
        write(&mut output, line);
    }
    output.flush().expect("flush succeeds");
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).expect("file exists");
    assert_eq!(read("packetbeat.2"), format!("{small_before}\n"));
    assert_eq!(read("packetbeat.1"), format!("{large}\n"));
    assert_eq!(read("packetbeat"), format!("{small_after}\n"));
    assert_eq!(output.stats().oversize_events, 1);
    assert_eq!(output.stats().write_errors, 0);
}

#[test]
fn created_files_get_permissions() {
    let root = tempfile::tempdir().expect("temporary directory");
    let dir = root.path().join("new").join("events");
    let mut output = FileOutput::open(options(&dir, 1, 3)).expect("output opens");
    for id in 0..10 {
        output
            .write_event(event(id, 700).as_bytes())
            .expect("write");
    }
    output.flush().expect("flush");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("new")), 0o700);
    let names = file_names(&dir);
    assert_eq!(names.len(), 4);
    for name in names {
        assert_eq!(mode(&dir.join(&name)), 0o600, "{name}");
    }
}

#[test]
fn group_permissions_widen_directory() {
    let root = tempfile::tempdir().expect("temporary directory");
    let dir = root.path().join("events");
    let opts = FileOutputOptions {
        permissions: 0o640,
        ..FileOutputOptions::new(&dir)
    };
    let output = FileOutput::open(opts).expect("output opens");
    assert_eq!(mode(&dir), 0o750);
    assert_eq!(mode(output.active_path()), 0o640);
}

#[test]
fn rotate_on_startup_moves_old_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    fs::write(dir.path().join("packetbeat"), "{\"old\":1}\n").expect("seed file");
    let mut output = FileOutput::open(FileOutputOptions::new(dir.path())).expect("output opens");
    output.write_event(br#"{"new":1}"#).expect("write");
    output.flush().expect("flush");
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).expect("file exists");
    assert_eq!(read("packetbeat.1"), "{\"old\":1}\n");
    assert_eq!(read("packetbeat"), "{\"new\":1}\n");
    assert_eq!(output.stats().rotations, 1);
}

#[test]
fn rotate_on_startup_ends_cut_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    fs::write(dir.path().join("packetbeat"), "{\"old\":1}\n{\"cut").expect("seed file");
    let output = FileOutput::open(FileOutputOptions::new(dir.path())).expect("output opens");
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).expect("file exists");
    assert_eq!(read("packetbeat.1"), "{\"old\":1}\n{\"cut\n");
    assert_eq!(read("packetbeat"), "");
    assert_eq!(output.stats().rotations, 1);
}

#[test]
fn startup_without_rotation_appends() {
    let dir = tempfile::tempdir().expect("temporary directory");
    fs::write(dir.path().join("packetbeat"), "{\"old\":1}\n{\"cut").expect("seed file");
    let opts = FileOutputOptions {
        rotate_on_startup: false,
        ..FileOutputOptions::new(dir.path())
    };
    let mut output = FileOutput::open(opts).expect("output opens");
    output.write_event(br#"{"new":1}"#).expect("write");
    output.flush().expect("flush");
    let text = fs::read_to_string(dir.path().join("packetbeat")).expect("file exists");
    assert_eq!(text, "{\"old\":1}\n{\"cut\n{\"new\":1}\n");
    assert_eq!(file_names(dir.path()), ["packetbeat"]);
}

#[test]
fn reopen_after_external_rename() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(FileOutputOptions::new(dir.path())).expect("output opens");
    output.write_event(br#"{"n":1}"#).expect("write");
    output.flush().expect("flush");
    fs::rename(dir.path().join("packetbeat"), dir.path().join("moved")).expect("rename");
    output.write_event(br#"{"n":2}"#).expect("write");
    output.reopen().expect("reopen");
    output.write_event(br#"{"n":3}"#).expect("write");
    output.flush().expect("flush");
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).expect("file exists");
    assert_eq!(read("moved"), "{\"n\":1}\n{\"n\":2}\n");
    assert_eq!(read("packetbeat"), "{\"n\":3}\n");
    assert_eq!(mode(&dir.path().join("packetbeat")), 0o600);
}

#[test]
fn pretty_and_escape_html_in_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let opts = FileOutputOptions {
        codec: JsonCodec {
            pretty: true,
            escape_html: true,
        },
        ..FileOutputOptions::new(dir.path())
    };
    let mut output = FileOutput::open(opts).expect("output opens");
    output
        .write_event(br#"{"z":"<b>","a":[1]}"#)
        .expect("write");
    output.flush().expect("flush");
    let text = fs::read_to_string(dir.path().join("packetbeat")).expect("file exists");
    assert_eq!(
        text,
        "{\n  \"z\": \"\\u003cb\\u003e\",\n  \"a\": [\n    1\n  ]\n}\n"
    );
}

#[test]
fn invalid_options_rejected() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cases = [
        ("number_of_files", options(dir.path(), 10, 1)),
        ("number_of_files", options(dir.path(), 10, 1025)),
        ("rotate_every_kb", options(dir.path(), 0, 7)),
        (
            "permissions",
            FileOutputOptions {
                permissions: 0o1600,
                ..FileOutputOptions::new(dir.path())
            },
        ),
        (
            "filename",
            FileOutputOptions {
                filename: "a/b".into(),
                ..FileOutputOptions::new(dir.path())
            },
        ),
    ];
    for (expected, opts) in cases {
        match FileOutput::open(opts) {
            Err(OutputError::InvalidOption { option, .. }) => assert_eq!(option, expected),
            other => panic!("expected an invalid {expected} error, got {other:?}"),
        }
    }
}

#[test]
fn invalid_event_counted_not_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(FileOutputOptions::new(dir.path())).expect("output opens");
    assert!(output.write_event(b"{\"a\":\n1}").is_err());
    output.write_event(br#"{"a":1}"#).expect("write");
    output.flush().expect("flush");
    assert_eq!(output.stats().write_errors, 1);
    assert_eq!(output.stats().events_written, 1);
    let text = fs::read_to_string(dir.path().join("packetbeat")).expect("file exists");
    assert_eq!(text, "{\"a\":1}\n");
}

#[test]
fn unwritable_directory_is_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let blocker = dir.path().join("file");
    fs::write(&blocker, "").expect("create file");
    let result = FileOutput::open(FileOutputOptions::new(blocker.join("sub")));
    assert!(matches!(result, Err(OutputError::Io { .. })));
}

#[test]
fn full_device_error_counted() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::os::unix::fs::symlink("/dev/full", dir.path().join("packetbeat")).expect("symlink");
    let opts = FileOutputOptions {
        rotate_on_startup: false,
        ..FileOutputOptions::new(dir.path())
    };
    let mut output = FileOutput::open(opts).expect("output opens");
    output
        .write_event(br#"{"a":1}"#)
        .expect("buffered write succeeds");
    output
        .write_event(br#"{"b":2}"#)
        .expect("buffered write succeeds");
    let error = output.flush().expect_err("writing to /dev/full fails");
    assert!(matches!(error, OutputError::Io { .. }), "{error:?}");
    assert_eq!(output.stats().write_errors, 1);
    assert_eq!(output.stats().lost_events, 2);
    assert_eq!(output.stats().events_written, 2);
}

#[test]
fn buffer_spill_keeps_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 256, 7)).expect("output opens");
    let mut expected = String::new();
    for id in 0..1500 {
        let line = event(id, 100 + id % 300);
        output.write_event(line.as_bytes()).expect("write succeeds");
        expected.push_str(&line);
        expected.push('\n');
    }
    output.flush().expect("flush succeeds");
    assert!(expected.len() > 256 * 1024, "test must cross one rotation");
    assert_eq!(concatenate_oldest_first(dir.path()), expected);
    assert_eq!(output.stats().rotations, 1);
}

/// Creates a FIFO at `path` with the `mkfifo` command.
fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo failed");
}

#[test]
fn fifo_written_in_place() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fifo = dir.path().join("packetbeat");
    make_fifo(&fifo);
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || fs::read_to_string(reader_path).expect("read FIFO"));
    // A second writer keeps the reader from seeing the end of input while the output reopens.
    let keep_open = fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open FIFO for writing");

    let mut output = FileOutput::open(options(dir.path(), 10, 2)).expect("open FIFO output");
    assert!(!output.is_rotating());
    let events: Vec<String> = (0..40).map(|id| event(id, 1000)).collect();
    for line in &events {
        output.write_event(line.as_bytes()).expect("write event");
    }
    output.reopen().expect("reopen the FIFO");
    output
        .write_event(b"{\"last\":true}")
        .expect("write after reopen");
    drop(output);
    drop(keep_open);

    let received = reader.join().expect("reader thread");
    assert_eq!(received.lines().count(), 41);
    assert_eq!(received.lines().next(), Some(events[0].as_str()));
    assert_eq!(file_names(dir.path()), vec!["packetbeat".to_owned()]);
    let file_type = fs::symlink_metadata(&fifo)
        .expect("FIFO exists")
        .file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&file_type));
}

/// Writes `line` through [`Output::write_event_with`], which encodes into the write buffer.
fn write_in_place(output: &mut FileOutput, line: &str) -> Result<bool, OutputError> {
    let mut scratch = Vec::new();
    output.write_event_with(&mut scratch, &mut |out| {
        out.extend_from_slice(line.as_bytes());
        true
    })
}

/// Writes `line` through [`Output::write_compact_event_with`], which trusts the encoder.
fn write_compact_in_place(output: &mut FileOutput, line: &str) -> Result<bool, OutputError> {
    let mut scratch = Vec::new();
    output.write_compact_event_with(&mut scratch, &mut |out| {
        out.extend_from_slice(line.as_bytes());
        true
    })
}

#[test]
fn compact_in_place_rotation_splits_nothing() {
    check_rotation(|output, line| {
        let written = write_compact_in_place(output, line).expect("write succeeds");
        assert!(written, "event not written: {line}");
    });
}

#[test]
fn compact_in_place_oversize_event_gets_own_file() {
    check_oversize_event(|output, line| {
        let written = write_compact_in_place(output, line).expect("write succeeds");
        assert!(written, "event not written: {line}");
    });
}

#[test]
fn in_place_rotation_splits_nothing() {
    check_rotation(|output, line| {
        let written = write_in_place(output, line).expect("write succeeds");
        assert!(written, "event not written: {line}");
    });
}

#[test]
fn in_place_oversize_event_gets_own_file() {
    check_oversize_event(|output, line| {
        let written = write_in_place(output, line).expect("write succeeds");
        assert!(written, "event not written: {line}");
    });
}

#[test]
fn in_place_skips_and_rejects() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(FileOutputOptions::new(dir.path())).expect("output opens");
    let mut scratch = Vec::new();
    let skipped = output.write_event_with(&mut scratch, &mut |out| {
        out.extend_from_slice(b"partial");
        false
    });
    assert!(!skipped.expect("a skipped event is no error"));
    let invalid = write_in_place(&mut output, "{\"a\":\n1}");
    assert!(matches!(invalid, Err(OutputError::InvalidEvent(_))));
    assert!(write_in_place(&mut output, "{\"a\":1}\n").expect("write succeeds"));
    output.flush().expect("flush succeeds");
    let stats = output.stats();
    assert_eq!(stats.write_errors, 1);
    assert_eq!(stats.events_written, 1);
    let text = fs::read_to_string(dir.path().join("packetbeat")).expect("file exists");
    assert_eq!(text, "{\"a\":1}\n");
}

#[test]
fn fifo_replacing_file_not_rotated() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut output = FileOutput::open(options(dir.path(), 10, 2)).expect("open file output");
    assert!(output.is_rotating());
    output
        .write_event(b"{\"first\":true}")
        .expect("write event");
    output.flush().expect("flush succeeds");

    // The file is moved away and a FIFO put in its place before the reopen, as an operator
    // would do to stream the events elsewhere.
    let fifo = dir.path().join("packetbeat");
    fs::rename(&fifo, dir.path().join("moved")).expect("move the file away");
    make_fifo(&fifo);
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || fs::read_to_string(reader_path).expect("read FIFO"));

    output.reopen().expect("reopen onto the FIFO");
    assert!(!output.is_rotating());
    let events: Vec<String> = (0..40).map(|id| event(id, 1000)).collect();
    for line in &events {
        output.write_event(line.as_bytes()).expect("write event");
    }
    drop(output);

    let received = reader.join().expect("reader thread");
    assert_eq!(received.lines().count(), 40);
    assert_eq!(received.lines().next(), Some(events[0].as_str()));
    assert_eq!(
        file_names(dir.path()),
        vec!["moved".to_owned(), "packetbeat".to_owned()]
    );
    let file_type = fs::symlink_metadata(&fifo)
        .expect("FIFO exists")
        .file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&file_type));
}
