//! File naming, directory creation and the rename chain of the rotating file output.
//!
//! Naming follows Beats 7.17's rotator with the default `count` suffix: the active file is
//! `<filename>`, backups are `<filename>.1` (newest) to `<filename>.<max_backups>` (oldest).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::OutputError;

/// Upper bound Beats puts on backups; also the limit of the purge scan.
pub(crate) const MAX_BACKUPS_LIMIT: u32 = 1024;

/// Returns the path of backup `index`, where 0 is the active file.
pub(crate) fn backup_path(active: &Path, index: u32) -> PathBuf {
    if index == 0 {
        return active.to_path_buf();
    }
    let mut name = active.as_os_str().to_os_string();
    name.push(format!(".{index}"));
    PathBuf::from(name)
}

/// Returns the mode Beats gives a directory it creates: 0700, plus group or other read and
/// search bits when the file permissions grant the group or others anything.
pub(crate) fn directory_mode(permissions: u32) -> u32 {
    let mut mode = 0o700;
    if permissions & 0o070 != 0 {
        mode |= 0o050;
    }
    if permissions & 0o007 != 0 {
        mode |= 0o005;
    }
    mode
}

/// Creates `dir` and its missing parents with the mode derived from `permissions`.
pub(crate) fn create_directory(dir: &Path, permissions: u32) -> Result<(), OutputError> {
    DirBuilder::new()
        .recursive(true)
        .mode(directory_mode(permissions))
        .create(dir)
        .map_err(|e| OutputError::io("failed to create directory", dir, e))
}

/// Creates or truncates the active file. The mode applies only to a new file and is reduced by
/// the process umask, as with Beats.
pub(crate) fn open_truncated(path: &Path, permissions: u32) -> Result<File, OutputError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(permissions)
        .open(path)
        .map_err(|e| OutputError::io("failed to create", path, e))
}

/// Returns whether `path` names an existing file that is not a regular file (a device, a FIFO
/// or a socket), following symbolic links.
pub(crate) fn is_special_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|metadata| !metadata.is_file() && !metadata.is_dir())
}

/// Opens an existing file that is not a regular file for writing, without creating,
/// truncating or reading it.
pub(crate) fn open_special(path: &Path) -> Result<File, OutputError> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| OutputError::io("failed to open", path, e))
}

/// Opens the active file for appending, creating it if missing, and returns it with its size.
///
/// When the file ends in the middle of a line (an earlier write failed part way), a newline is
/// appended first so that the next event starts on a line of its own.
pub(crate) fn open_append(path: &Path, permissions: u32) -> Result<(File, u64), OutputError> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(permissions)
        .open(path)
        .map_err(|e| OutputError::io("failed to open", path, e))?;
    let mut size = file
        .metadata()
        .map_err(|e| OutputError::io("failed to read metadata of", path, e))?
        .len();
    if size > 0
        && !ends_with_newline(&mut file).map_err(|e| OutputError::io("failed to read", path, e))?
    {
        io::Write::write_all(&mut file, b"\n")
            .map_err(|e| OutputError::io("failed to write to", path, e))?;
        size += 1;
    }
    Ok((file, size))
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Shifts `<active>.N` to `<active>.N+1` from the oldest down, moves the active file to `.1`,
/// then deletes every backup beyond `max_backups`.
pub(crate) fn rotate_files(active: &Path, max_backups: u32) -> Result<(), OutputError> {
    for index in (1..=max_backups + 1).rev() {
        let older = backup_path(active, index - 1);
        let newer_slot = backup_path(active, index);
        match fs::symlink_metadata(&older) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(OutputError::io("failed to inspect", older, e)),
        }
        remove_if_present(&newer_slot)?;
        fs::rename(&older, &newer_slot)
            .map_err(|e| OutputError::io("failed to rename", older, e))?;
    }
    purge_backups(active, max_backups)
}

/// Deletes `<active>.<max_backups + 1>` and following backups, stopping at the first gap.
fn purge_backups(active: &Path, max_backups: u32) -> Result<(), OutputError> {
    for index in max_backups + 1..=MAX_BACKUPS_LIMIT + 1 {
        let path = backup_path(active, index);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(OutputError::io("failed to delete", path, e)),
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), OutputError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::io("failed to delete", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_path_appends_index() {
        let active = Path::new("/var/log/packetbeat");
        assert_eq!(backup_path(active, 0), PathBuf::from("/var/log/packetbeat"));
        assert_eq!(
            backup_path(active, 3),
            PathBuf::from("/var/log/packetbeat.3")
        );
    }

    #[test]
    fn directory_mode_follows_permissions() {
        assert_eq!(directory_mode(0o600), 0o700);
        assert_eq!(directory_mode(0o640), 0o750);
        assert_eq!(directory_mode(0o644), 0o755);
        assert_eq!(directory_mode(0o604), 0o705);
    }
}
