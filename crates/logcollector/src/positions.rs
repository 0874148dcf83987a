//! Persistent read positions, so a restart resumes where the last run stopped.
//!
//! The file is JSON: `{"files":[{"path":..,"device":..,"inode":..,"offset":..,"hash":..}]}` where
//! `hash` is the SHA-1 of the file's first `offset` bytes. A stored position is used only when the
//! file still has those bytes, so a replaced file is read from its start.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// One file's stored read position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPosition {
    /// The path the file had when the position was saved.
    pub path: PathBuf,
    /// The file system device number.
    pub device: u64,
    /// The inode number.
    pub inode: u64,
    /// The byte offset after the last line handed to the caller.
    pub offset: u64,
    /// Hex SHA-1 of the bytes before `offset`.
    pub hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PositionsFile {
    files: Vec<StoredPosition>,
}

/// Loads stored positions; a missing file gives an empty list.
///
/// # Errors
/// Returns an error when the file exists but cannot be read or is not valid positions JSON.
pub fn load(path: &Path) -> io::Result<Vec<StoredPosition>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let parsed: PositionsFile = serde_json::from_str(&text).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("invalid positions file {}: {error}", path.display()),
        )
    })?;
    Ok(parsed.files)
}

/// Writes positions atomically (a temporary file renamed over the old one), with mode 0600.
///
/// # Errors
/// Returns the I/O error of the write or the rename.
pub fn save(path: &Path, positions: &[StoredPosition]) -> io::Result<()> {
    let document = PositionsFile {
        files: positions.to_vec(),
    };
    let text = serde_json::to_string(&document).map_err(io::Error::other)?;
    let temporary = path.with_extension("tmp");
    // Created exclusively after removing a leftover, so a link placed under the temporary
    // name is never followed.
    match fs::remove_file(&temporary) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    // The rename is durable only once the folder itself is synced.
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// Returns the SHA-1 state of the first `length` bytes of `path`, or `None` when the file is
/// shorter.
pub fn hash_prefix(path: &Path, length: u64) -> io::Result<Option<Sha1>> {
    hash_prefix_of(&fs::File::open(path)?, length)
}

/// Returns the SHA-1 state of the next `length` bytes read from `file`, or `None` when the
/// file ends before them. The file's read position moves past the bytes read.
pub fn hash_prefix_of(file: &fs::File, length: u64) -> io::Result<Option<Sha1>> {
    let mut reader = io::BufReader::with_capacity(64 * 1024, file.take(length));
    let mut hasher = Sha1::new();
    let copied = io::copy(&mut reader, &mut HashWriter(&mut hasher))?;
    Ok((copied == length).then_some(hasher))
}

/// Renders a SHA-1 state as lowercase hex without consuming it.
pub fn hex_digest(hasher: &Sha1) -> String {
    hex::encode(hasher.clone().finalize())
}

struct HashWriter<'a>(&'a mut Sha1);

impl Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn save_and_load_round_trip() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("positions.json");
        assert!(load(&path).expect("missing file loads").is_empty());
        let stored = vec![StoredPosition {
            path: PathBuf::from("/var/log/packetbeat"),
            device: 1,
            inode: 2,
            offset: 3,
            hash: "abc".to_owned(),
        }];
        save(&path, &stored).expect("save");
        assert_eq!(load(&path).expect("load"), stored);
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn save_ignores_planted_link() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let victim = directory.path().join("victim");
        fs::write(&victim, "keep me").expect("write victim");
        std::os::unix::fs::symlink(&victim, directory.path().join("positions.tmp"))
            .expect("plant link");
        let path = directory.path().join("positions.json");
        save(&path, &[]).expect("save");
        assert_eq!(fs::read_to_string(&victim).expect("read victim"), "keep me");
        assert!(load(&path).expect("load").is_empty());
    }

    #[test]
    fn load_rejects_garbage() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("positions.json");
        fs::write(&path, "not json").expect("write");
        let error = load(&path).expect_err("garbage must fail");
        assert!(error.to_string().contains("invalid positions file"));
    }

    #[test]
    fn hash_prefix_checks_length() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("events");
        fs::write(&path, "hello world").expect("write");
        let hasher = hash_prefix(&path, 5).expect("read").expect("long enough");
        assert_eq!(hex_digest(&hasher), hex::encode(Sha1::digest(b"hello")));
        assert!(hash_prefix(&path, 50).expect("read").is_none());
    }
}
