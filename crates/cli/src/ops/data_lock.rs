//! The exclusive lock on a data folder, so two processes never rotate each other's files or
//! write alerts with the same ids.
//!
//! The lock is a `flock` on `DIR/dnstel.lock`, held on an open descriptor for the life of the
//! process. It stays held after a privilege drop, and the kernel releases it when the process
//! ends, however it ends, so a lock file left behind never blocks the next start. The file
//! contains the pid of the holder, for the error message of a second process.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Creates the data folder and any missing parents with mode 0750, whatever the umask: a
/// folder others can write would let them replace the alert files with links.
///
/// # Errors
/// Returns an error naming the folder when it cannot be created.
pub fn create_data_folder(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))
}

/// Name of the lock file inside the data folder.
pub const LOCK_FILE_NAME: &str = "dnstel.lock";

/// An exclusive lock on a data folder, released when dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: Flock<File>,
}

impl DataDirLock {
    /// Takes the lock of `data_dir`, which must exist, without waiting.
    ///
    /// # Errors
    /// Returns an error naming the folder, and the holder's pid when the lock file contains
    /// one, when another process holds the lock. Returns an error naming the lock file when it
    /// cannot be opened, locked or written.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<DataDirLock> {
        let path = data_dir.join(LOCK_FILE_NAME);
        // Opened without truncation: the pid of a current holder must stay readable.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("failed to open the lock file {}", path.display()))?;
        let mut locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                return Err(in_use_error(data_dir, read_pid(&mut file)));
            }
            Err((_, errno)) => {
                return Err(anyhow::Error::new(std::io::Error::from(errno))
                    .context(format!("failed to lock {}", path.display())));
            }
        };
        write_pid(&mut locked)
            .with_context(|| format!("failed to write the lock file {}", path.display()))?;
        Ok(DataDirLock { _file: locked })
    }
}

fn in_use_error(data_dir: &Path, holder: Option<u32>) -> anyhow::Error {
    let process = match holder {
        Some(pid) => format!("another dnstel process (pid {pid})"),
        None => "another dnstel process".to_owned(),
    };
    anyhow::anyhow!(
        "the data folder {} is in use by {process}; stop that process or give another \
         --data-dir",
        data_dir.display()
    )
}

/// Reads the holder's pid from the lock file, or returns `None` when the file does not
/// contain one (the holder may not have written it yet).
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    // A pid has at most 7 digits on Linux (pid_max is at most 4,194,304), so 32 bytes hold it.
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_holder() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let first = DataDirLock::acquire(directory.path()).expect("first lock");
        let error = DataDirLock::acquire(directory.path()).expect_err("second lock fails");
        let message = error.to_string();
        assert!(
            message.contains(&directory.path().display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        drop(first);
        DataDirLock::acquire(directory.path()).expect("lock after release");
    }

    #[test]
    fn stale_lock_file_is_taken() {
        let directory = tempfile::tempdir().expect("temporary directory");
        std::fs::write(
            directory.path().join(LOCK_FILE_NAME),
            "99999999\nleft over\n",
        )
        .expect("write");
        let _lock = DataDirLock::acquire(directory.path()).expect("lock");
        let text = std::fs::read_to_string(directory.path().join(LOCK_FILE_NAME)).expect("read");
        assert_eq!(text, format!("{}\n", std::process::id()));
    }

    #[test]
    fn data_folder_not_open_to_others() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().expect("temporary directory");
        let data = directory.path().join("a/data");
        create_data_folder(&data).expect("create");
        let mode = std::fs::metadata(&data).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o750);
    }

    #[test]
    fn lock_file_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().expect("temporary directory");
        let _lock = DataDirLock::acquire(directory.path()).expect("lock");
        let mode = std::fs::metadata(directory.path().join(LOCK_FILE_NAME))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
