//! End-to-end behaviour of the collector on real files: growth, rotation, truncation, restart.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use dnstel_logcollector::{CollectedLine, Collector, CollectorOptions, LocalFile};

fn local_file(location: &Path, only_future_events: bool) -> LocalFile {
    LocalFile {
        location: location.to_string_lossy().into_owned(),
        only_future_events,
        labels: Vec::new(),
    }
}

fn options(positions: Option<PathBuf>) -> CollectorOptions {
    CollectorOptions {
        positions_path: positions,
        ..CollectorOptions::default()
    }
}

fn append(path: &Path, numbers: std::ops::Range<u32>) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    for number in numbers {
        writeln!(file, "{{\"n\":{number}}}").expect("append line");
    }
}

fn numbers(lines: &[CollectedLine]) -> Vec<u32> {
    lines
        .iter()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line.event.as_str()).expect("event JSON");
            value["n"].as_u64().expect("n is a number") as u32
        })
        .collect()
}

fn poll_all(collector: &mut Collector) -> Vec<CollectedLine> {
    let mut lines = Vec::new();
    while !collector.poll(1000, &mut lines) {}
    lines
}

/// Polls `rounds` times, for checks that need a drained file to settle.
fn poll_rounds(collector: &mut Collector, rounds: usize) -> Vec<CollectedLine> {
    let mut lines = Vec::new();
    for _ in 0..rounds {
        lines.extend(poll_all(collector));
    }
    lines
}

#[test]
fn growing_file_reads_each_line_once() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..3);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1, 2]);
    append(&path, 3..5);
    let lines = poll_all(&mut collector);
    assert_eq!(numbers(&lines), vec![3, 4]);
    assert_eq!(&*lines[0].location, path.to_string_lossy());
}

#[test]
fn only_future_events_starts_at_end() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..3);
    let mut collector =
        Collector::new(vec![local_file(&path, true)], options(None)).expect("collector");
    assert!(poll_all(&mut collector).is_empty());
    append(&path, 3..4);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![3]);
}

#[test]
fn start_at_beginning_overrides_future_events() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..2);
    let mut settings = options(None);
    settings.start_at_beginning = true;
    let mut collector = Collector::new(vec![local_file(&path, true)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1]);
}

#[test]
fn rename_rotation_loses_no_line() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..2);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1]);

    // Lines written just before the rename must still be read from the renamed file.
    append(&path, 2..4);
    fs::rename(&path, directory.path().join("packetbeat.1")).expect("rotate");
    append(&path, 4..6);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2, 3, 4, 5]);
    assert_eq!(collector.stats().rotations, 1);
    append(&path, 6..7);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![6]);
}

/// Rotates `path` as Beats does: every backup moves one number up, the active file becomes
/// `.1`, and backups past `keep` are deleted.
fn rotate(path: &Path, keep: u32) {
    let backup = |number: u32| PathBuf::from(format!("{}.{number}", path.display()));
    if backup(keep).exists() {
        fs::remove_file(backup(keep)).expect("delete oldest backup");
    }
    for number in (1..keep).rev() {
        if backup(number).exists() {
            fs::rename(backup(number), backup(number + 1)).expect("shift backup");
        }
    }
    fs::rename(path, backup(1)).expect("rotate");
}

#[test]
fn several_rotations_between_reads_lose_no_line() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..2);
    let mut collector =
        Collector::new(vec![local_file(&path, true)], options(None)).expect("collector");
    assert!(poll_all(&mut collector).is_empty());

    append(&path, 2..3);
    for next in 3..6 {
        rotate(&path, 10);
        append(&path, next..next + 1);
    }
    let lines = poll_all(&mut collector);
    assert_eq!(numbers(&lines), vec![2, 3, 4, 5]);
    for line in &lines {
        assert_eq!(&*line.location, path.to_string_lossy());
    }
    assert_eq!(collector.stats().rotations, 3);
    append(&path, 6..7);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![6]);
}

#[test]
fn rotated_file_drained_across_polls() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    // More lines than one poll takes, and a new file shorter than the read position.
    append(&path, 1..50);
    rotate(&path, 10);
    append(&path, 50..51);
    let mut lines = Vec::new();
    loop {
        let mut batch = Vec::new();
        let at_end = collector.poll(10, &mut batch);
        lines.extend(batch);
        if at_end {
            break;
        }
    }
    assert_eq!(numbers(&lines), (1..51).collect::<Vec<u32>>());
}

#[test]
fn deleted_file_reads_newer_backups() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    // With one backup kept, the file being read is deleted by the second rotation.
    append(&path, 1..2);
    rotate(&path, 1);
    append(&path, 2..3);
    rotate(&path, 1);
    append(&path, 3..4);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2, 3]);
}

#[test]
fn restart_after_several_rotations_while_stopped() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..2);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, true)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert!(poll_all(&mut collector).is_empty());
        append(&path, 2..3);
        assert_eq!(numbers(&poll_all(&mut collector)), vec![2]);
        collector.save_positions().expect("save positions");
    }
    append(&path, 3..4);
    for next in 4..7 {
        rotate(&path, 10);
        append(&path, next..next + 1);
    }
    let mut collector =
        Collector::new(vec![local_file(&path, true)], options(Some(positions))).expect("collector");
    let lines = poll_all(&mut collector);
    assert_eq!(numbers(&lines), vec![3, 4, 5, 6]);
    for line in &lines {
        assert_eq!(&*line.location, path.to_string_lossy());
    }
}

#[test]
fn wildcard_does_not_reread_rotated_file() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let pattern = directory.path().join("packetbeat*");
    append(&path, 0..2);
    let mut collector =
        Collector::new(vec![local_file(&pattern, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1]);
    fs::rename(&path, directory.path().join("packetbeat.1")).expect("rotate");
    append(&path, 2..3);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2]);
}

#[test]
fn truncation_reads_from_start() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..5);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(poll_all(&mut collector).len(), 5);
    File::create(&path).expect("truncate");
    append(&path, 10..11);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![10]);
    assert_eq!(collector.stats().truncations, 1);
}

#[test]
fn restart_resumes_without_loss_or_repeat() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..3);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, true)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert!(poll_all(&mut collector).is_empty());
        append(&path, 3..5);
        assert_eq!(numbers(&poll_all(&mut collector)), vec![3, 4]);
        collector.save_positions().expect("save positions");
    }
    // Written while stopped: a stored position wins over only-future-events.
    append(&path, 5..7);
    let mut collector =
        Collector::new(vec![local_file(&path, true)], options(Some(positions))).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![5, 6]);
}

#[test]
fn restart_after_rotation_while_stopped() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..2);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, false)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1]);
        collector.save_positions().expect("save positions");
    }
    append(&path, 2..4);
    fs::rename(&path, directory.path().join("packetbeat.1")).expect("rotate");
    append(&path, 4..5);
    let mut collector = Collector::new(vec![local_file(&path, false)], options(Some(positions)))
        .expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2, 3, 4]);
}

#[test]
fn replaced_file_is_read_from_start() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..3);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, false)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert_eq!(poll_all(&mut collector).len(), 3);
        collector.save_positions().expect("save positions");
    }
    // Same inode, different content: the stored hash no longer matches.
    fs::write(
        &path,
        "{\"n\":100}\n{\"n\":101}\n{\"n\":102}\n{\"n\":103}\n",
    )
    .expect("rewrite");
    let mut collector = Collector::new(vec![local_file(&path, false)], options(Some(positions)))
        .expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![100, 101, 102, 103]);
}

#[test]
fn bad_lines_are_counted() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let mut content = b"{\"n\":1}\nnot json\n[1,2]\n{\"n\":\0}\n".to_vec();
    content.extend(std::iter::repeat_n(b'a', 70_000));
    content.extend_from_slice(b"\n{\"n\":2}\n");
    fs::write(&path, content).expect("write");
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2]);
    let stats = collector.stats();
    assert_eq!(stats.not_json_object, 2);
    assert_eq!(stats.nul_byte, 1);
    assert_eq!(stats.too_long, 1);
    assert_eq!(stats.events, 2);
}

#[test]
fn empty_lines_skipped_uncounted() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    fs::write(&path, "\n{\"n\":1}\n\n\r\n\r\r\n{\"n\":2}\r\n \n").expect("write");
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2]);
    let stats = collector.stats();
    assert_eq!(stats.events, 2);
    // A line of spaces is not empty: Wazuh's cJSON rejects it as JSON too.
    assert_eq!(stats.not_json_object, 1);
    assert_eq!(stats.too_long, 0);
    assert_eq!(stats.nul_byte, 0);
}

#[test]
fn labels_are_added() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut file = local_file(&path, false);
    file.labels = vec![("site.name".to_owned(), "lab".to_owned())];
    let mut collector = Collector::new(vec![file], options(None)).expect("collector");
    let lines = poll_all(&mut collector);
    assert_eq!(lines[0].event.as_str(), r#"{"n":0,"site":{"name":"lab"}}"#);
}

#[test]
fn damaged_positions_are_set_aside() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..2);
    fs::write(&positions, "{\"files\":[{\"pa").expect("write a cut-off positions file");
    let mut collector = Collector::new(
        vec![local_file(&path, true)],
        options(Some(positions.clone())),
    )
    .expect("a damaged positions file must not stop the collector");
    assert!(directory.path().join("positions.json.invalid").exists());
    // Without a usable position the file is treated as new: only-future-events applies.
    assert!(poll_all(&mut collector).is_empty());
    append(&path, 2..3);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2]);
    collector.save_positions().expect("save positions");
    assert!(positions.exists());
}

#[test]
fn idle_collector_does_not_rewrite_positions() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..2);
    let mut collector = Collector::new(
        vec![local_file(&path, false)],
        options(Some(positions.clone())),
    )
    .expect("collector");
    poll_all(&mut collector);
    collector.save_positions().expect("first save");
    fs::remove_file(&positions).expect("remove positions");
    poll_all(&mut collector);
    collector.save_positions().expect("second save");
    assert!(
        !positions.exists(),
        "nothing changed, so nothing was written"
    );
    append(&path, 2..3);
    poll_all(&mut collector);
    collector.save_positions().expect("third save");
    assert!(positions.exists(), "a new line moves the position");
}

#[test]
fn devices_are_not_followed() {
    let mut collector = Collector::new(
        vec![local_file(Path::new("/dev/zero"), false)],
        options(None),
    )
    .expect("collector");
    let mut lines = Vec::new();
    assert!(
        collector.poll(1000, &mut lines),
        "nothing to read means at end"
    );
    assert!(lines.is_empty());
    assert_eq!(collector.stats().not_regular_files, 1);
    collector.poll(1000, &mut lines);
    assert_eq!(collector.stats().not_regular_files, 1, "reported once");
}

fn backup(path: &Path, number: u32) -> PathBuf {
    PathBuf::from(format!("{}.{number}", path.display()))
}

#[test]
fn backup_chain_skips_missing_number() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    append(&path, 1..2);
    for next in 2..5 {
        rotate(&path, 10);
        append(&path, next..next + 1);
    }
    // Seen in the middle of a fourth rotation: the oldest backup has moved up one number,
    // and the next one has not yet.
    fs::rename(backup(&path, 3), backup(&path, 4)).expect("shift oldest backup");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2, 3, 4]);
    assert_eq!(collector.stats().rotated_not_found, 0);
}

#[test]
fn backup_chain_waits_for_rename() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut settings = options(None);
    settings.drain_grace = std::time::Duration::from_secs(3600);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    append(&path, 1..2);
    rotate(&path, 10);
    append(&path, 2..3);
    rotate(&path, 10);
    append(&path, 3..4);
    // The followed file is between two names while the rotation renames it.
    let moving = directory.path().join("moving");
    fs::rename(backup(&path, 2), &moving).expect("start renaming");
    let mut lines = poll_all(&mut collector);
    lines.extend(poll_all(&mut collector));
    fs::rename(&moving, backup(&path, 2)).expect("finish renaming");
    lines.extend(poll_all(&mut collector));
    let mut read = numbers(&lines);
    read.sort_unstable();
    assert_eq!(read, vec![1, 2, 3]);
    assert_eq!(collector.stats().rotated_not_found, 0);
}

#[test]
fn unfound_rotated_file_is_counted() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut settings = options(None);
    settings.drain_grace = std::time::Duration::ZERO;
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    append(&path, 1..2);
    fs::rename(&path, directory.path().join("elsewhere")).expect("rename out");
    append(&path, 2..3);
    let mut lines = Vec::new();
    for _ in 0..10 {
        lines.extend(poll_all(&mut collector));
    }
    assert_eq!(numbers(&lines), vec![1, 2]);
    assert_eq!(collector.stats().rotated_not_found, 1);
}

#[test]
fn finished_backup_not_read_again() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    append(&path, 1..2);
    rotate(&path, 3);
    append(&path, 2..3);
    // Written in the same clock tick as the file after it, as far as file times can tell.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    File::options()
        .write(true)
        .open(&path)
        .expect("open")
        .set_modified(later)
        .expect("set modification time");
    rotate(&path, 3);
    append(&path, 3..4);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2, 3]);

    // The followed file is deleted: backups modified after it are read, but not one
    // already read to its end.
    fs::remove_file(&path).expect("delete followed file");
    append(&path, 4..5);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![4]);
}

#[test]
fn unterminated_rotated_file_is_closed() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    fs::write(&path, "{\"n\":0}\n{\"n\":").expect("write");
    let mut settings = options(None);
    settings.max_files = 2;
    settings.drain_grace = std::time::Duration::ZERO;
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    rotate(&path, 10);
    append(&path, 1..2);
    let lines = poll_rounds(&mut collector, 5);
    assert_eq!(numbers(&lines), vec![1]);
    assert_eq!(collector.stats().unterminated_lines, 1);

    // The closed file no longer takes one of the two places.
    rotate(&path, 10);
    append(&path, 2..3);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2]);
    assert_eq!(collector.stats().files_over_limit, 0);
}

#[test]
fn rotated_files_count_toward_max_files() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut settings = options(None);
    settings.max_files = 2;
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    for next in 1..4 {
        rotate(&path, 10);
        append(&path, next..next + 1);
    }
    // The renamed file and the new one take both places: the two backups in between are
    // counted, not read.
    assert_eq!(numbers(&poll_all(&mut collector)), vec![3]);
    assert_eq!(collector.stats().files_over_limit, 2);
}

#[test]
fn restart_after_rotation_past_backup_count() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..2);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, false)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert_eq!(numbers(&poll_all(&mut collector)), vec![0, 1]);
        collector.save_positions().expect("save positions");
    }
    // While stopped, the file read last is rotated past the two backups kept and deleted.
    append(&path, 2..3);
    for next in 3..6 {
        rotate(&path, 2);
        append(&path, next..next + 1);
    }
    let mut collector = Collector::new(vec![local_file(&path, false)], options(Some(positions)))
        .expect("collector");
    let lines = poll_all(&mut collector);
    assert_eq!(numbers(&lines), vec![3, 4, 5]);
    for line in &lines {
        assert_eq!(&*line.location, path.to_string_lossy());
    }
    assert_eq!(collector.stats().rotated_deleted, 1);
}

#[test]
fn linked_backup_is_not_read() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let secret = directory.path().join("secret");
    append(&secret, 99..100);
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    // The followed file lands at .2, and a link to another file sits at .1.
    append(&path, 1..2);
    fs::rename(&path, backup(&path, 2)).expect("rotate");
    std::os::unix::fs::symlink(&secret, backup(&path, 1)).expect("plant link");
    append(&path, 2..3);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2]);
    assert_eq!(collector.stats().not_regular_files, 1);

    // The link is seen again at the next rotation, and counted and logged only once.
    append(&path, 3..4);
    fs::rename(&path, backup(&path, 3)).expect("rotate");
    append(&path, 4..5);
    assert_eq!(numbers(&poll_all(&mut collector)), vec![3, 4]);
    assert_eq!(collector.stats().not_regular_files, 1);
}

#[test]
fn linked_backup_not_resumed() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..1);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, false)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);
        collector.save_positions().expect("save positions");
    }
    // While stopped, the file read last moves to .2 behind a link at .1.
    let secret = directory.path().join("secret");
    append(&secret, 99..100);
    append(&path, 1..2);
    fs::rename(&path, backup(&path, 2)).expect("rotate");
    std::os::unix::fs::symlink(&secret, backup(&path, 1)).expect("plant link");
    append(&path, 2..3);
    let mut collector = Collector::new(vec![local_file(&path, false)], options(Some(positions)))
        .expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2]);
}

#[test]
fn wildcard_deleted_backup_not_reported() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let pattern = directory.path().join("packetbeat*");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&pattern, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    // Every backup is matched by the pattern and read as it appears, so deleting one that
    // was read to its end loses nothing.
    for next in 1..4 {
        rotate(&path, 1);
        append(&path, next..next + 1);
        assert_eq!(numbers(&poll_all(&mut collector)), vec![next]);
    }
    assert_eq!(collector.stats().rotated_deleted, 0);
}

#[test]
fn deleted_followed_file_is_reported() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], options(None)).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    for next in 1..4 {
        rotate(&path, 1);
        append(&path, next..next + 1);
    }
    assert_eq!(numbers(&poll_all(&mut collector)), vec![2, 3]);
    assert_eq!(collector.stats().rotated_deleted, 1);
}

#[test]
fn resumed_backups_count_toward_max_files() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    let positions = directory.path().join("positions.json");
    append(&path, 0..1);
    {
        let mut collector = Collector::new(
            vec![local_file(&path, false)],
            options(Some(positions.clone())),
        )
        .expect("collector");
        assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);
        collector.save_positions().expect("save positions");
    }
    append(&path, 1..2);
    for next in 2..5 {
        rotate(&path, 10);
        append(&path, next..next + 1);
    }
    let mut settings = options(Some(positions));
    settings.max_files = 2;
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    // The file read last and the new file take both places: the two backups in between are
    // counted, not read.
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 4]);
    assert_eq!(collector.stats().files_over_limit, 2);
}

#[test]
fn backup_lookup_is_bounded() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    append(&path, 0..1);
    let mut settings = options(None);
    settings.drain_grace = std::time::Duration::from_secs(3600);
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);

    // Renamed out of the numbering and still written to, so its size never settles.
    let elsewhere = directory.path().join("elsewhere");
    fs::rename(&path, &elsewhere).expect("rename out");
    append(&path, 0..1);
    for next in 1..700 {
        append(&elsewhere, next..next + 1);
        poll_all(&mut collector);
    }
    assert_eq!(collector.stats().rotated_not_found, 1);
}

#[test]
fn linked_path_finds_backups_beside_target() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let real = directory.path().join("real");
    let links = directory.path().join("log");
    fs::create_dir_all(&real).expect("create real folder");
    fs::create_dir_all(&links).expect("create link folder");
    let target = real.join("pb");
    let path = links.join("pb");
    std::os::unix::fs::symlink(&target, &path).expect("link the configured path");
    append(&target, 0..1);
    let mut collector =
        Collector::new(vec![local_file(&path, true)], options(None)).expect("collector");
    assert!(poll_all(&mut collector).is_empty());

    // Two rotations beside the target between two reads.
    append(&target, 1..2);
    for next in 2..4 {
        rotate(&target, 10);
        append(&target, next..next + 1);
    }
    assert_eq!(numbers(&poll_all(&mut collector)), vec![1, 2, 3]);
    assert_eq!(collector.stats().rotated_not_found, 0);
}

#[test]
fn long_unterminated_line_counted_once() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("packetbeat");
    fs::write(&path, format!("{{\"n\":0}}\n{}", "x".repeat(70_000))).expect("write");
    let mut settings = options(None);
    settings.drain_grace = std::time::Duration::ZERO;
    let mut collector =
        Collector::new(vec![local_file(&path, false)], settings).expect("collector");
    assert_eq!(numbers(&poll_all(&mut collector)), vec![0]);
    assert_eq!(collector.stats().too_long, 1);

    rotate(&path, 10);
    append(&path, 1..2);
    let lines = poll_rounds(&mut collector, 5);
    assert_eq!(numbers(&lines), vec![1]);
    assert_eq!(collector.stats().too_long, 1);
    assert_eq!(collector.stats().unterminated_lines, 0);
}
