//! Dropping privileges once the capture socket and the output files are open.
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
//! every thread created afterwards inherits the reduced sets.

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

/// Gives `folder` and the entries directly inside it to `user` and its primary group, so the
/// process can still rotate and reopen its files there after switching to that user.
///
/// # Errors
/// Returns an error naming the user or the path that could not be changed.
pub fn hand_over_folder(folder: &std::path::Path, user: &str) -> anyhow::Result<()> {
    let account = nix::unistd::User::from_name(user)
        .with_context(|| format!("failed to look up user {user}"))?
        .with_context(|| format!("user {user} does not exist"))?;
    let change = |path: &std::path::Path| {
        std::os::unix::fs::chown(path, Some(account.uid.as_raw()), Some(account.gid.as_raw()))
            .with_context(|| format!("failed to give {} to user {user}", path.display()))
    };
    change(folder)?;
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("failed to list {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list {}", folder.display()))?;
        change(&entry.path())?;
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

/// Clears every capability set of the calling thread and sets `no_new_privs`.
fn clear_capabilities() -> anyhow::Result<()> {
    // The bounding set goes first because removing from it needs CAP_SETPCAP in the effective
    // set, which the last steps remove. Without CAP_SETPCAP (an unprivileged process) the
    // bounding set cannot change and exec cannot gain capabilities anyway once no_new_privs is
    // set, so that failure is tolerated.
    let effective = caps::read(None, CapSet::Effective).context("failed to read capabilities")?;
    if effective.contains(&caps::Capability::CAP_SETPCAP) {
        caps::clear(None, CapSet::Bounding)
            .context("failed to clear the capability bounding set")?;
    }
    for set in [
        CapSet::Ambient,
        CapSet::Inheritable,
        CapSet::Effective,
        CapSet::Permitted,
    ] {
        caps::clear(None, set)
            .with_context(|| format!("failed to clear capability set {set:?}"))?;
    }
    nix::sys::prctl::set_no_new_privs().context("failed to set no_new_privs")?;
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
}
