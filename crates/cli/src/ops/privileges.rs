//! Dropping privileges once the capture socket is open, and handing the data folder over.
//!
//! With `--user`, the process switches to that user and its primary group (the capture
//! crate's `drop_privileges`, which also clears every capability and sets `no_new_privs`).
//! Without it, a process running as root stays uid 0 but loses every capability: the bounding,
//! inheritable, ambient, effective and permitted sets are cleared and `no_new_privs` is set. An
//! open AF_PACKET socket needs no capability to keep reading. What remains is plain uid 0 file
//! access: files and folders owned by root stay writable, and files owned by other users are
//! only reachable through their permission bits.
//!
//! Capability sets belong to threads. Call [`drop_privileges`] before starting any thread, so
//! every thread created afterwards inherits the reduced sets. The one exception is the stop
//! watchdog, which starts earlier and clears its own sets right after the drop
//! ([`clear_thread_capabilities`]).

use std::os::unix::ffi::OsStrExt;

use anyhow::Context;
use caps::CapSet;
use tracing::info;

/// Outcome of [`drop_privileges`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Switched to the requested user.
    SwitchedUser,
    /// Stayed the same user with no capabilities left.
    CapabilitiesCleared,
}

/// Entries given to the user by [`hand_over_folder`] at most, so that a data folder filled
/// with files cannot stall the start.
const HAND_OVER_MAX_ENTRIES: usize = 100_000;

/// Folder levels below the data folder that [`hand_over_folder`] walks: enough for the alert
/// archives in `logs/alerts/YYYY/Mon/`.
const HAND_OVER_MAX_DEPTH: usize = 4;

/// Folders that [`hand_over_folder`] keeps open at once. A folder's subfolders are opened
/// before the folder changes owner, so this bounds the descriptors a folder with very many
/// subfolders could take.
const HAND_OVER_MAX_OPEN_FOLDERS: usize = 256;

/// Gives `folder` and everything below it (up to [`HAND_OVER_MAX_DEPTH`] levels and
/// [`HAND_OVER_MAX_ENTRIES`] entries) to `user` and its primary group, so the process can
/// still rotate, archive and reopen its files there after switching to that user.
///
/// The folder may already belong to that user from an earlier run, who may then change it
/// while it is walked. So every step goes through a handle of the folder it is in, never a
/// path: a subfolder swapped for a link cannot lead the walk, or a change of owner, outside
/// the tree. Links are never followed, and a link itself changes owner instead of its
/// target. An entry that disappears during the walk is skipped.
///
/// # Errors
/// Returns an error naming the user or the path that could not be changed.
pub fn hand_over_folder(folder: &std::path::Path, user: &str) -> anyhow::Result<()> {
    use nix::dir::Dir;
    use nix::fcntl::{AtFlags, OFlag};
    use nix::sys::stat::{Mode, SFlag};
    use std::os::fd::AsRawFd;

    let account = nix::unistd::User::from_name(user)
        .with_context(|| format!("failed to look up user {user}"))?
        .with_context(|| format!("user {user} does not exist"))?;
    let (uid, gid) = (Some(account.uid), Some(account.gid));
    let folder_flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let root = Dir::open(folder, folder_flags, Mode::empty())
        .with_context(|| format!("failed to open {}", folder.display()))?;

    // Each pending folder comes with its path (for messages) and its level: 1 for the folders
    // directly inside `folder`.
    let mut pending = vec![(root, folder.to_path_buf(), 0usize)];
    let mut changed = 0usize;
    let mut limit_reached = false;
    while let Some((mut dir, path, depth)) = pending.pop() {
        let dir_fd = dir.as_raw_fd();
        let mut subfolders = Vec::new();
        for entry in dir.iter() {
            let entry = entry.with_context(|| format!("failed to list {}", path.display()))?;
            let name = entry.file_name();
            if name.to_bytes() == b"." || name.to_bytes() == b".." {
                continue;
            }
            if changed == HAND_OVER_MAX_ENTRIES {
                limit_reached = true;
                break;
            }
            let entry_path = path.join(std::ffi::OsStr::from_bytes(name.to_bytes()));
            let stat =
                match nix::sys::stat::fstatat(Some(dir_fd), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                    Ok(stat) => stat,
                    Err(nix::errno::Errno::ENOENT) => continue,
                    Err(error) => {
                        return Err(error)
                            .with_context(|| format!("failed to read {}", entry_path.display()))
                    }
                };
            let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
            // A file with a second name may be a hard link to a file outside the folder, so
            // it keeps its owner rather than give that file away.
            // NOTE: a hard link swapped in between this fstatat and the fchownat below would
            // still change owner. Linux's default fs.protected_hardlinks=1 stops the user
            // from linking files it does not own, which closes that gap on most hosts.
            if kind == SFlag::S_IFREG && stat.st_nlink > 1 {
                tracing::warn!(file = %entry_path.display(), user, "file has more than one hard link; its owner is left as it is");
                continue;
            }
            changed += 1;
            if kind == SFlag::S_IFDIR && depth < HAND_OVER_MAX_DEPTH {
                if pending.len() + subfolders.len() >= HAND_OVER_MAX_OPEN_FOLDERS {
                    limit_reached = true;
                    continue;
                }
                // Opened now, while this folder still lets root in. O_NOFOLLOW rejects a
                // link swapped in since the fstatat above.
                match Dir::openat(Some(dir_fd), name, folder_flags, Mode::empty()) {
                    Ok(subfolder) => subfolders.push((subfolder, entry_path, depth + 1)),
                    Err(
                        nix::errno::Errno::ENOENT
                        | nix::errno::Errno::ELOOP
                        | nix::errno::Errno::ENOTDIR,
                    ) => {}
                    Err(error) => {
                        return Err(error)
                            .with_context(|| format!("failed to open {}", entry_path.display()))
                    }
                }
                continue;
            }
            match nix::unistd::fchownat(Some(dir_fd), name, uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
            {
                Ok(()) | Err(nix::errno::Errno::ENOENT) => {}
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("failed to give {} to user {user}", entry_path.display())
                    })
                }
            }
        }
        // The folder changes owner after its entries and once its subfolders are open, so a
        // root process without CAP_DAC_READ_SEARCH never needs to enter a folder it gave away.
        nix::unistd::fchown(dir_fd, uid, gid)
            .with_context(|| format!("failed to give {} to user {user}", path.display()))?;
        pending.extend(subfolders);
        if limit_reached {
            break;
        }
    }
    // Folders still open when a limit stopped the walk are given away too, so every folder the
    // process writes into belongs to the user.
    for (dir, path, _) in &pending {
        nix::unistd::fchown(dir.as_raw_fd(), uid, gid)
            .with_context(|| format!("failed to give {} to user {user}", path.display()))?;
    }
    if limit_reached {
        tracing::warn!(folder = %folder.display(), user, "data folder has more than {HAND_OVER_MAX_ENTRIES} entries or {HAND_OVER_MAX_OPEN_FOLDERS} open subfolders; the rest keep their owner");
    }
    info!(folder = %folder.display(), user, "gave the data folder to the user");
    Ok(())
}

/// Checks that `user` exists, so a misspelt `--user` fails before any socket or file is
/// opened.
///
/// # Errors
/// Returns a usage error naming the user when it does not exist or cannot be looked up.
pub fn check_user(user: &str) -> anyhow::Result<()> {
    match nix::unistd::User::from_name(user) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(crate::exit::usage_error(anyhow::anyhow!(
            "user {user} does not exist; give an existing user to --user"
        ))),
        Err(error) => Err(crate::exit::usage_error(anyhow::anyhow!(
            "failed to look up user {user}: {error}"
        ))),
    }
}

/// Switches to `user`, or clears every capability when no user is given.
pub fn drop_privileges(user: Option<&str>) -> anyhow::Result<Dropped> {
    if let Some(user) = user {
        dnstel_capture::drop_privileges(user, None)
            .with_context(|| format!("failed to switch to user {user}"))?;
        return Ok(Dropped::SwitchedUser);
    }
    clear_capabilities()?;
    info!(
        uid = nix::unistd::geteuid().as_raw(),
        "cleared all capabilities; no --user given, so the user id stays"
    );
    Ok(Dropped::CapabilitiesCleared)
}

/// Clears every capability set of the calling thread and sets its `no_new_privs`, for a
/// thread started before the process drops its privileges.
pub fn clear_thread_capabilities() -> anyhow::Result<()> {
    clear_capabilities()
}

/// Clears the bounding, ambient and inheritable capability sets of the calling thread and
/// sets its `no_new_privs`, but keeps its effective and permitted sets. A thread started
/// before a switch of user ids needs those to take part in it, because the switch applies
/// to every thread.
pub fn limit_thread_capabilities() -> anyhow::Result<()> {
    // The bounding set goes first because removing from it needs CAP_SETPCAP in the effective
    // set. Without CAP_SETPCAP (an unprivileged process) the bounding set cannot change and
    // exec cannot gain capabilities anyway once no_new_privs is set, so that failure is
    // tolerated.
    let effective = caps::read(None, CapSet::Effective).context("failed to read capabilities")?;
    if effective.contains(&caps::Capability::CAP_SETPCAP) {
        caps::clear(None, CapSet::Bounding)
            .context("failed to clear the capability bounding set")?;
    }
    for set in [CapSet::Ambient, CapSet::Inheritable] {
        caps::clear(None, set)
            .with_context(|| format!("failed to clear capability set {set:?}"))?;
    }
    nix::sys::prctl::set_no_new_privs().context("failed to set no_new_privs")
}

/// Clears every capability set of the calling thread and sets `no_new_privs`.
fn clear_capabilities() -> anyhow::Result<()> {
    limit_thread_capabilities()?;
    for set in [CapSet::Effective, CapSet::Permitted] {
        caps::clear(None, set)
            .with_context(|| format!("failed to clear capability set {set:?}"))?;
    }
    verify_cleared()
}

fn verify_cleared() -> anyhow::Result<()> {
    for set in [CapSet::Effective, CapSet::Permitted, CapSet::Ambient] {
        let left = caps::read(None, set).context("failed to read capabilities")?;
        anyhow::ensure!(
            left.is_empty(),
            "capability set {set:?} still contains {left:?} after clearing it"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clears the capabilities of a fresh thread only, so the rest of the test binary keeps its
    /// own.
    #[test]
    fn clearing_empties_thread_sets() {
        let outcome = std::thread::spawn(|| {
            clear_capabilities().expect("clear capabilities");
            let status =
                std::fs::read_to_string("/proc/thread-self/status").expect("read thread status");
            let no_new_privs = status
                .lines()
                .find_map(|line| line.strip_prefix("NoNewPrivs:"))
                .map(str::trim)
                .map(str::to_owned);
            (
                caps::read(None, CapSet::Effective).expect("read effective"),
                caps::read(None, CapSet::Permitted).expect("read permitted"),
                no_new_privs,
            )
        })
        .join()
        .expect("thread ends");
        assert!(outcome.0.is_empty(), "effective: {:?}", outcome.0);
        assert!(outcome.1.is_empty(), "permitted: {:?}", outcome.1);
        assert_eq!(outcome.2.as_deref(), Some("1"));
    }

    /// Creates a data folder with one alert archive and returns the uid of `nobody` with the
    /// folder and its month folder. Returns `None` when not root, because chown needs root.
    fn archive_tree(
        directory: &std::path::Path,
    ) -> Option<(u32, std::path::PathBuf, std::path::PathBuf)> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("not root: chown needs root, so this check cannot run");
            return None;
        }
        let nobody = nix::unistd::User::from_name("nobody")
            .expect("look up nobody")
            .expect("user nobody exists");
        let data = directory.join("data");
        let month = data.join("logs/alerts/2026/Dec");
        std::fs::create_dir_all(&month).expect("create archive folders");
        std::fs::write(month.join("ossec-alerts-04.json.gz"), "x").expect("write archive");
        Some((nobody.uid.as_raw(), data, month))
    }

    /// A root process without the capabilities that bypass permission checks must still be
    /// able to list every folder it hands over, so each folder changes owner last.
    #[test]
    fn hand_over_without_dac_capabilities() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let directory = tempfile::tempdir().expect("temporary directory");
        let Some((nobody, data, month)) = archive_tree(directory.path()) else {
            return;
        };
        for folder in [&data, &month] {
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o750))
                .expect("set folder mode");
        }

        // Capabilities belong to threads: only this one loses them.
        let data_for_thread = data.clone();
        let outcome = std::thread::spawn(move || {
            for capability in [
                caps::Capability::CAP_DAC_OVERRIDE,
                caps::Capability::CAP_DAC_READ_SEARCH,
            ] {
                caps::drop(None, CapSet::Effective, capability).expect("drop capability");
            }
            hand_over_folder(&data_for_thread, "nobody").map_err(|error| error.to_string())
        })
        .join()
        .expect("thread ends");

        assert_eq!(outcome, Ok(()));
        let owner = |path: &std::path::Path| std::fs::symlink_metadata(path).expect("stat").uid();
        assert_eq!(owner(&data), nobody);
        assert_eq!(owner(&month), nobody);
        assert_eq!(owner(&month.join("ossec-alerts-04.json.gz")), nobody);
    }

    /// The user who owns the data folder swaps a subfolder for a link to a folder outside it,
    /// over and over, while the folder is handed over: no file outside may change owner.
    #[test]
    fn hand_over_survives_swapped_links() {
        use std::os::unix::fs::MetadataExt;
        use std::sync::atomic::{AtomicBool, Ordering};
        let directory = tempfile::tempdir().expect("temporary directory");
        let Some((nobody, data, _)) = archive_tree(directory.path()) else {
            return;
        };
        let victim = directory.path().join("victim");
        let sub = data.join("sub");
        std::fs::create_dir_all(&victim).expect("create victim folder");
        std::fs::create_dir_all(&sub).expect("create subfolder");
        for index in 0..2000 {
            std::fs::write(victim.join(format!("f{index}")), "root's").expect("write victim");
            std::fs::write(sub.join(format!("f{index}")), "data").expect("write data");
        }
        std::os::unix::fs::symlink(&victim, data.join("swap")).expect("plant link");

        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, sub, swap) = (std::sync::Arc::clone(&stop), sub.clone(), data.join("swap"));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = nix::fcntl::renameat2(
                        None,
                        &sub,
                        None,
                        &swap,
                        nix::fcntl::RenameFlags::RENAME_EXCHANGE,
                    );
                }
            })
        };
        for _ in 0..5 {
            hand_over_folder(&data, "nobody").expect("hand over");
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().expect("swapper ends");

        let given_away = std::fs::read_dir(&victim)
            .expect("list victim folder")
            .flatten()
            .filter(|entry| entry.metadata().expect("stat").uid() == nobody)
            .count();
        assert_eq!(given_away, 0, "files outside the data folder changed owner");
        assert_eq!(
            std::fs::symlink_metadata(&victim).expect("stat").uid(),
            0,
            "the linked folder keeps its owner"
        );
    }

    /// A link placed in the data folder changes owner itself, and its target keeps its owner,
    /// while files in the alert archive folders change owner.
    #[test]
    fn hand_over_changes_links_not_targets() {
        use std::os::unix::fs::MetadataExt;
        let directory = tempfile::tempdir().expect("temporary directory");
        let Some((nobody, data, month)) = archive_tree(directory.path()) else {
            return;
        };
        let victim = directory.path().join("victim");
        std::fs::write(&victim, "root's file").expect("write victim");
        std::os::unix::fs::symlink(&victim, data.join("alerts.json")).expect("plant link");
        std::os::unix::fs::symlink(directory.path(), data.join("outside")).expect("plant link");
        std::fs::hard_link(&victim, data.join("hard")).expect("plant hard link");

        hand_over_folder(&data, "nobody").expect("hand over");

        let owner = |path: &std::path::Path| std::fs::symlink_metadata(path).expect("stat").uid();
        assert_eq!(owner(&victim), 0, "link target keeps its owner");
        assert_eq!(
            owner(&data.join("hard")),
            0,
            "hard-linked file keeps its owner"
        );
        assert_eq!(owner(directory.path()), 0, "linked folder keeps its owner");
        assert_eq!(owner(&data.join("alerts.json")), nobody);
        assert_eq!(owner(&month.join("ossec-alerts-04.json.gz")), nobody);
        assert_eq!(owner(&month), nobody);
    }
}
