//! Agent identity: `agent.id`, persisted in `<path.data>/meta.json` as Beats does, and
//! `agent.ephemeral_id`, new for every process.
//!
//! `meta.json` holds `{"uuid":"<uuid>","first_start":"<RFC 3339 time>"}`. When the file is
//! missing, unreadable or holds no valid non-nil UUID, a new random (version 4) UUID is
//! written through `meta.json.new` (mode 0600, synced) and renamed over `meta.json`, so a
//! crash never leaves a half-written file. The ID therefore stays the same across restarts
//! and changes only when the data directory is wiped.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use uuid::Uuid;

use crate::error::MetaError;

/// Default `path.data` of dnstel (Packetbeat's packages use `/var/lib/packetbeat`).
pub const DEFAULT_DATA_DIR: &str = "/var/lib/dnstel";

/// Name of the file inside `path.data` that stores the agent ID.
pub const META_FILE: &str = "meta.json";

/// The persisted agent ID and when it was first created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentMeta {
    /// `agent.id`: a UUID in lowercase hyphenated form.
    pub id: String,
    /// When the ID was created (RFC 3339), as stored in `first_start`.
    pub first_start: String,
    /// Whether this call created the ID (no usable `meta.json` existed).
    pub created: bool,
}

#[derive(Deserialize)]
struct MetaFile {
    uuid: String,
    #[serde(default)]
    first_start: String,
}

/// Reads the agent ID from `<data_dir>/meta.json`, creating the directory (mode 0750) and
/// the file (mode 0600) when needed.
pub fn load_or_create_agent_meta(data_dir: &Path) -> Result<AgentMeta, MetaError> {
    let path = data_dir.join(META_FILE);
    match read_meta(&path) {
        Ok(Some(meta)) => return Ok(meta),
        Ok(None) => {}
        Err(MetaProblem::Unreadable(source)) => return Err(MetaError::Read { path, source }),
        Err(MetaProblem::Invalid(reason)) => tracing::warn!(
            path = %path.display(),
            %reason,
            "agent metadata file is invalid; writing a new agent ID"
        ),
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(data_dir)
        .map_err(|source| MetaError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
    let meta = AgentMeta {
        id: Uuid::new_v4().to_string(),
        first_start: rfc3339_now(),
        created: true,
    };
    write_meta(&path, &meta)?;
    tracing::info!(path = %path.display(), agent_id = %meta.id, "created agent ID");
    Ok(meta)
}

/// Returns a new `agent.ephemeral_id` (random UUID); call once per process.
pub fn new_ephemeral_id() -> String {
    Uuid::new_v4().to_string()
}

/// Why an existing `meta.json` gave no ID.
enum MetaProblem {
    /// Reading the file failed; it may still hold a valid ID, so it must not be replaced.
    Unreadable(std::io::Error),
    /// The file was read but holds no valid ID; the reason is for the log.
    Invalid(String),
}

/// Returns `Ok(None)` when the file does not exist, and the problem when it exists but gives
/// no usable ID.
fn read_meta(path: &Path) -> Result<Option<AgentMeta>, MetaProblem> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(MetaProblem::Unreadable(error)),
    };
    let invalid = |error: &dyn std::fmt::Display| MetaProblem::Invalid(error.to_string());
    let file: MetaFile = serde_json::from_slice(&bytes).map_err(|error| invalid(&error))?;
    let uuid = Uuid::parse_str(&file.uuid).map_err(|error| invalid(&error))?;
    if uuid.is_nil() {
        return Err(MetaProblem::Invalid("uuid is the nil UUID".to_owned()));
    }
    Ok(Some(AgentMeta {
        id: uuid.hyphenated().to_string(),
        first_start: file.first_start,
        created: false,
    }))
}

fn write_meta(path: &Path, meta: &AgentMeta) -> Result<(), MetaError> {
    let temporary = temporary_path(path);
    let write_error = |source| MetaError::Write {
        path: temporary.clone(),
        source,
    };
    let mut body = serde_json::json!({"uuid": meta.id, "first_start": meta.first_start})
        .to_string()
        .into_bytes();
    body.push(b'\n');

    // A leftover file from an interrupted write is removed, and the new one must not exist:
    // creating it exclusively never follows a link someone placed under that name.
    match fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(write_error(error)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(write_error)?;
    let written = file
        .write_all(&body)
        .and_then(|()| file.sync_all())
        .map_err(write_error);
    drop(file);
    let renamed = written.and_then(|()| {
        fs::rename(&temporary, path).map_err(|source| MetaError::Write {
            path: path.to_owned(),
            source,
        })
    });
    if renamed.is_err() {
        // A full disk leaves an empty or partial file; the next start would remove it anyway.
        let _ = fs::remove_file(&temporary);
    }
    renamed
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Formats the current time as RFC 3339 UTC with nanoseconds, trailing zeros trimmed (Go's
/// `RFC3339Nano`).
fn rfc3339_now() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX)
        });
    let millis_text = crate::time::format_timestamp(nanos);
    let fraction = format!("{:09}", nanos.rem_euclid(1_000_000_000));
    let fraction = fraction.trim_end_matches('0');
    let seconds_text = &millis_text[..19];
    if fraction.is_empty() {
        format!("{seconds_text}Z")
    } else {
        format!("{seconds_text}.{fraction}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dnstel-event-agent-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn failed_meta_write_leaves_no_temporary() {
        let dir = temp_dir("failed");
        // A non-empty folder where meta.json belongs makes the final rename fail.
        fs::create_dir_all(dir.join("meta.json/inside")).expect("create folders");
        let meta = AgentMeta {
            id: "00000000-0000-0000-0000-000000000000".into(),
            first_start: "2026-01-01T00:00:00Z".into(),
            created: true,
        };
        write_meta(&dir.join("meta.json"), &meta).expect_err("rename onto a folder fails");
        assert!(!dir.join("meta.json.new").exists());
        fs::remove_dir_all(&dir).expect("remove folder");
    }

    #[test]
    fn meta_write_ignores_planted_link() {
        let dir = temp_dir("link");
        fs::create_dir_all(&dir).expect("create folder");
        let victim = dir.join("victim");
        fs::write(&victim, "keep me").expect("write victim");
        std::os::unix::fs::symlink(&victim, dir.join("meta.json.new")).expect("plant link");
        let meta = load_or_create_agent_meta(&dir).expect("create");
        assert!(meta.created);
        assert_eq!(fs::read_to_string(&victim).expect("read victim"), "keep me");
        assert!(fs::read_to_string(dir.join("meta.json"))
            .expect("read meta.json")
            .contains(&meta.id));
        fs::remove_dir_all(&dir).expect("remove folder");
    }

    #[test]
    fn agent_id_persists_across_loads() {
        let dir = temp_dir("persist");
        let first = load_or_create_agent_meta(&dir).expect("create");
        assert!(first.created);
        let second = load_or_create_agent_meta(&dir).expect("reload");
        assert!(!second.created);
        assert_eq!(first.id, second.id);
        assert_eq!(first.first_start, second.first_start);
        let mode = fs::metadata(dir.join(META_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!dir.join("meta.json.new").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn unreadable_meta_left_alone() {
        let dir = temp_dir("unreadable");
        // A folder in place of the file fails to read whatever the user's privileges are.
        fs::create_dir_all(dir.join(META_FILE)).expect("folder in place of meta.json");
        let error = load_or_create_agent_meta(&dir).expect_err("unreadable file is an error");
        assert!(matches!(error, MetaError::Read { .. }), "{error}");
        assert!(dir.join(META_FILE).is_dir());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn agent_id_reads_beats_file() {
        let dir = temp_dir("beats");
        fs::create_dir_all(&dir).expect("dir");
        let body = r#"{"uuid":"B77BC49C-ABB8-44F3-A4FF-95CA558EC080","first_start":"2021-12-01T10:00:00.5+01:00"}"#;
        fs::write(dir.join(META_FILE), body).expect("write");
        let meta = load_or_create_agent_meta(&dir).expect("load");
        assert_eq!(meta.id, "b77bc49c-abb8-44f3-a4ff-95ca558ec080");
        assert_eq!(meta.first_start, "2021-12-01T10:00:00.5+01:00");
        assert!(!meta.created);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn agent_id_replaces_invalid_file() {
        let dir = temp_dir("invalid");
        fs::create_dir_all(&dir).expect("dir");
        for body in [
            "not json",
            r#"{"uuid":"00000000-0000-0000-0000-000000000000"}"#,
        ] {
            fs::write(dir.join(META_FILE), body).expect("write");
            let meta = load_or_create_agent_meta(&dir).expect("regenerate");
            assert!(meta.created, "{body}");
            assert_ne!(meta.id, "00000000-0000-0000-0000-000000000000");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn ephemeral_ids_differ() {
        let first = new_ephemeral_id();
        assert_eq!(first.len(), 36);
        assert_ne!(first, new_ephemeral_id());
    }

    #[test]
    fn first_start_is_rfc3339() {
        let text = rfc3339_now();
        assert!(text.ends_with('Z'));
        assert_eq!(&text[4..5], "-");
        assert_eq!(&text[10..11], "T");
    }
}
