//! Switching to an unprivileged user after the capture socket is open.
//!
//! An open AF_PACKET socket and its mapped ring keep working without any capability: the
//! kernel checks CAP_NET_RAW only when the socket is created (and CAP_NET_ADMIN when
//! promiscuous mode is requested), so the sensor keeps no capabilities after the switch.

use std::ffi::CString;
use std::fs;

use libc::{c_char, c_int, gid_t, uid_t};

use crate::error::{CaptureError, Result};

/// Maximum buffer size offered to `getpwnam_r`/`getgrnam_r` before giving up.
const MAX_LOOKUP_BUFFER: usize = 1 << 20;

/// Switches the whole process to `user` and `group` (the user's primary group when `None`).
///
/// The steps are: clear ambient capabilities and the bounding set, replace the supplementary
/// groups with `group` alone, set the group id, then the user id, clear the inheritable set,
/// and set `no_new_privs` so that no later `exec` can regain privileges. The bounding set is
/// left alone when the process lacks CAP_SETPCAP, because only that capability may lower it.
/// Afterwards the function checks that the ids changed. For a non-root user it also checks
/// that root cannot be regained and that no capability is left.
///
/// Must run as root (or with CAP_SETUID and CAP_SETGID). Errors name the user or group.
/// Call it before starting other threads: the id changes apply to every thread, but
/// `no_new_privs` applies to the calling thread and the threads and processes it creates
/// afterwards.
pub fn drop_privileges(user: &str, group: Option<&str>) -> Result<()> {
    let (uid, primary_gid) = lookup_user(user)?;
    let gid = match group {
        Some(group) => lookup_group(group)?,
        None => primary_gid,
    };
    let fail = |reason: String| CaptureError::Privileges {
        target: describe(user, group),
        reason,
    };

    // SAFETY: prctl with integer arguments only; failure (old kernels) is tolerated because
    // ambient capabilities do not exist there.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    // SAFETY: prctl with integer arguments only; the result is checked.
    if unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) } != 0 {
        return Err(fail(format!("prctl(PR_SET_KEEPCAPS): {}", last_error())));
    }
    // Before setuid, which removes the CAP_SETPCAP that lowering the bounding set needs.
    clear_bounding_set().map_err(|error| fail(format!("clearing the bounding set: {error}")))?;

    let groups = [gid];
    // SAFETY: the pointer and count describe `groups`, which lives for the call.
    if unsafe { libc::setgroups(groups.len(), groups.as_ptr()) } != 0 {
        return Err(fail(format!("setgroups([{gid}]): {}", last_error())));
    }
    // SAFETY: setgid takes an integer; the result is checked.
    if unsafe { libc::setgid(gid) } != 0 {
        return Err(fail(format!("setgid({gid}): {}", last_error())));
    }
    // SAFETY: setuid takes an integer; the result is checked.
    if unsafe { libc::setuid(uid) } != 0 {
        return Err(fail(format!("setuid({uid}): {}", last_error())));
    }

    // setuid empties the permitted and effective sets but keeps the inheritable one, which a
    // service manager may have filled.
    clear_inheritable_set()
        .map_err(|error| fail(format!("clearing the inheritable set: {error}")))?;

    // SAFETY: prctl with integer arguments only; the result is checked.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(fail(format!(
            "prctl(PR_SET_NO_NEW_PRIVS): {}",
            last_error()
        )));
    }

    verify(uid, gid).map_err(fail)?;
    tracing::info!(user, uid, gid, "dropped privileges");
    Ok(())
}

/// `_LINUX_CAPABILITY_VERSION_3`: capability sets of 64 bits, as two 32-bit halves.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// CAP_SETPCAP's bit number.
const CAP_SETPCAP: u32 = 8;

/// `struct __user_cap_header_struct` of `<linux/capability.h>`.
#[repr(C)]
struct CapabilityHeader {
    version: u32,
    pid: c_int,
}

/// `struct __user_cap_data_struct` of `<linux/capability.h>`: one 32-bit half of each set.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapabilityHalves {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Reads the calling thread's effective, permitted and inheritable sets.
fn read_capabilities() -> std::io::Result<[CapabilityHalves; 2]> {
    let mut header = CapabilityHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapabilityHalves::default(); 2];
    // SAFETY: capget writes two data structs for version 3, which `data` holds, and reads the
    // header; both live for the call.
    let status = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if status != 0 {
        return Err(last_error());
    }
    Ok(data)
}

/// Removes every capability from the calling thread's bounding set, when it has
/// CAP_SETPCAP.
fn clear_bounding_set() -> std::io::Result<()> {
    let [low, _] = read_capabilities()?;
    if low.effective & (1 << CAP_SETPCAP) == 0 {
        return Ok(());
    }
    for capability in 0..64 {
        // SAFETY: prctl with integer arguments only. It returns -1 (EINVAL) past the highest
        // capability number of the running kernel.
        let present = unsafe { libc::prctl(libc::PR_CAPBSET_READ, capability, 0, 0, 0) };
        if present < 0 {
            break;
        }
        // SAFETY: prctl with integer arguments only; the result is checked.
        if present == 1 && unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) } != 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

/// Empties the calling thread's inheritable set, keeping the other sets.
fn clear_inheritable_set() -> std::io::Result<()> {
    let mut data = read_capabilities()?;
    if data.iter().all(|half| half.inheritable == 0) {
        return Ok(());
    }
    for half in &mut data {
        half.inheritable = 0;
    }
    let mut header = CapabilityHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: capset reads the header and two data structs for version 3, which live for the
    // call. Lowering a set needs no privilege.
    let status = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if status != 0 {
        return Err(last_error());
    }
    Ok(())
}

fn describe(user: &str, group: Option<&str>) -> String {
    match group {
        Some(group) => format!("user {user:?} and group {group:?}"),
        None => format!("user {user:?}"),
    }
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Checks the ids, that root cannot be regained, and that no capability is left.
fn verify(uid: uid_t, gid: gid_t) -> Result<(), String> {
    // SAFETY: these getters take no arguments and cannot fail.
    let (real, effective, group) = unsafe { (libc::getuid(), libc::geteuid(), libc::getgid()) };
    if real != uid || effective != uid || group != gid {
        return Err(format!(
            "ids are uid {real}/{effective} gid {group} after the switch, \
             expected uid {uid} gid {gid}"
        ));
    }
    if uid == 0 {
        return Ok(());
    }
    // SAFETY: setuid takes an integer; success here means the drop did not take effect.
    if unsafe { libc::setuid(0) } == 0 {
        return Err("root could be regained after setuid".to_owned());
    }
    match fs::read_to_string("/proc/thread-self/status") {
        Ok(status) => check_capabilities(&status),
        Err(error) => {
            tracing::debug!(
                %error,
                "capabilities not verified: /proc/thread-self/status unreadable"
            );
            Ok(())
        }
    }
}

/// Checks that the effective, permitted, inheritable and ambient capability sets in a
/// `/proc/.../status` text are empty.
fn check_capabilities(status: &str) -> Result<(), String> {
    for line in status.lines() {
        for set in ["CapEff:", "CapPrm:", "CapInh:", "CapAmb:"] {
            if let Some(value) = line.strip_prefix(set) {
                let value = value.trim();
                if !value.trim_start_matches('0').is_empty() {
                    return Err(format!("capability set {set} is {value} after the switch"));
                }
            }
        }
    }
    Ok(())
}

fn lookup_user(user: &str) -> Result<(uid_t, gid_t)> {
    let fail = |reason: String| CaptureError::Privileges {
        target: format!("user {user:?}"),
        reason,
    };
    let name = CString::new(user).map_err(|_| fail("name contains a NUL byte".to_owned()))?;
    let found = lookup_with_buffer(|buffer| {
        // SAFETY: passwd is plain data for which all-zero bytes are valid.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: all pointers refer to live values and `buffer` matches its length. Only the
        // integer fields of `entry` are read, so nothing outlives `buffer`.
        let status = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
            )
        };
        (
            status,
            (!result.is_null()).then_some((entry.pw_uid, entry.pw_gid)),
        )
    });
    match found {
        Ok(Some(ids)) => Ok(ids),
        Ok(None) => Err(fail("no such user".to_owned())),
        Err(error) => Err(fail(format!("user lookup failed: {error}"))),
    }
}

fn lookup_group(group: &str) -> Result<gid_t> {
    let fail = |reason: String| CaptureError::Privileges {
        target: format!("group {group:?}"),
        reason,
    };
    let name = CString::new(group).map_err(|_| fail("name contains a NUL byte".to_owned()))?;
    let found = lookup_with_buffer(|buffer| {
        // SAFETY: group is plain data for which all-zero bytes are valid.
        let mut entry: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: all pointers refer to live values and `buffer` matches its length. Only the
        // integer fields of `entry` are read, so nothing outlives `buffer`.
        let status = unsafe {
            libc::getgrnam_r(
                name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
            )
        };
        (status, (!result.is_null()).then_some(entry.gr_gid))
    });
    match found {
        Ok(Some(gid)) => Ok(gid),
        Ok(None) => Err(fail("no such group".to_owned())),
        Err(error) => Err(fail(format!("group lookup failed: {error}"))),
    }
}

/// Runs a reentrant passwd or group lookup, doubling the string buffer while the lookup reports
/// ERANGE. Returns `None` when the name does not exist.
fn lookup_with_buffer<T>(
    mut lookup: impl FnMut(&mut [c_char]) -> (c_int, Option<T>),
) -> std::result::Result<Option<T>, std::io::Error> {
    let mut buffer = vec![0 as c_char; 1024];
    loop {
        let (status, found) = lookup(&mut buffer);
        if status == libc::ERANGE && buffer.len() < MAX_LOOKUP_BUFFER {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if status != 0 {
            return Err(std::io::Error::from_raw_os_error(status));
        }
        return Ok(found);
    }
}

/// Returns the name of the user with `uid`, for messages.
#[cfg(test)]
fn user_name(uid: uid_t) -> Option<String> {
    // SAFETY: getpwuid returns null or a pointer to a static entry; it is read at once, and
    // tests are the only callers.
    let entry = unsafe { libc::getpwuid(uid) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: pw_name of a non-null entry is a valid NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr((*entry).pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const CHILD_VARIABLE: &str = "DNSTEL_CAPTURE_PRIVILEGE_CHILD";

    #[test]
    fn unknown_user_error_names_user() {
        let error = drop_privileges("dnstel-no-such-user", None).expect_err("unknown user");
        let message = error.to_string();
        assert!(message.contains("dnstel-no-such-user"), "{message}");
        assert!(message.contains("no such user"), "{message}");
    }

    #[test]
    fn unknown_group_error_names_group() {
        let error = drop_privileges("root", Some("dnstel-no-such-group")).expect_err("unknown");
        assert!(
            error.to_string().contains("dnstel-no-such-group"),
            "{error}"
        );
    }

    #[test]
    fn capability_check_reads_status() {
        let clean = "Name:\tx\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";
        assert!(check_capabilities(clean).is_ok());
        let dirty = "CapEff:\t0000000000002000\n";
        assert!(check_capabilities(dirty).is_err());
        let inheritable = "CapInh:\t0000000000002000\n";
        assert!(check_capabilities(inheritable).is_err());
    }

    /// Runs the drop in a fresh copy of this test binary, because it changes the ids of the
    /// whole process.
    #[test]
    fn drop_to_nobody_in_child() {
        if std::env::var_os(CHILD_VARIABLE).is_some() {
            child_body();
            return;
        }
        // SAFETY: geteuid takes no arguments and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            println!("skipped: dropping privileges needs root");
            return;
        }
        if lookup_user("nobody").is_err() {
            println!("skipped: no user named nobody");
            return;
        }
        let output = Command::new(std::env::current_exe().expect("test binary path"))
            .args(["--exact", "privileges::tests::drop_to_nobody_in_child"])
            .args(["--nocapture", "--test-threads=1"])
            .env(CHILD_VARIABLE, "1")
            .output()
            .expect("test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("privilege drop verified"), "{stdout}");
    }

    fn child_body() {
        let (uid, gid) = lookup_user("nobody").expect("nobody exists");
        // A service manager may start the process with inheritable capabilities.
        let mut data = read_capabilities().expect("capget");
        data[0].inheritable |= 1 << 13;
        let mut header = CapabilityHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        // SAFETY: as in clear_inheritable_set; root may raise CAP_NET_RAW (13) into the
        // inheritable set because it is in the bounding set.
        let status = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
        assert_eq!(status, 0, "capset: {}", last_error());
        let had_setpcap =
            read_capabilities().expect("capget")[0].effective & (1 << CAP_SETPCAP) != 0;

        drop_privileges("nobody", None).expect("drop to nobody");
        // SAFETY: the getters take no arguments and cannot fail.
        let (real, effective) = unsafe { (libc::getuid(), libc::geteuid()) };
        assert_eq!(real, uid);
        assert_eq!(effective, uid);
        // SAFETY: getgid takes no arguments and cannot fail.
        assert_eq!(unsafe { libc::getgid() }, gid);
        assert_eq!(user_name(effective).as_deref(), Some("nobody"));
        let status = fs::read_to_string("/proc/thread-self/status").expect("status readable");
        assert!(check_capabilities(&status).is_ok(), "{status}");
        if had_setpcap {
            let bounding = status
                .lines()
                .find_map(|line| line.strip_prefix("CapBnd:"))
                .map(str::trim);
            assert_eq!(bounding, Some("0000000000000000"), "{status}");
        }
        println!("privilege drop verified");
    }
}
