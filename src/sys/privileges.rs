//! Dropping root after the capture socket is open, so that untrusted packets are never parsed
//! with root's powers (tcpdump's `-Z`), and giving up every capability in the commands that
//! need none. Also the CAP_NET_RAW explanation for users without it.
//!
//! One function per case, called by the command layer:
//! - [`drop_after_live_capture`]: `live`, once its socket is open;
//! - [`drop_after_lesson_capture`]: a lesson, once its capture runs: its demo servers, clients
//!   and packet parsing then run as the sudo user, or without any capability;
//! - [`drop_all`]: the commands that need no privilege (replay, flows, ladder, follow, explain,
//!   demo, interfaces), at start.
//!
//! Capabilities and `no_new_privs` belong to a thread (capabilities(7), prctl(2)): these are
//! called before the command starts threads of its own, which inherit them. Changing the user
//! id (setuid through glibc) applies to every thread.

use std::ffi::{CStr, CString};
use std::io;
use std::path::PathBuf;

/// A user to become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Who to drop to: `--drop-privileges USER` when given, else the user who ran `sudo`
/// (SUDO_USER), and only when running as root. `root` as USER means "stay root".
pub fn target(explicit: Option<&str>, sudo_user: Option<&str>, euid: u32) -> Option<String> {
    let name = match explicit {
        Some(n) => n,
        None if euid == 0 => sudo_user.filter(|u| !u.is_empty())?,
        None => return None,
    };
    (name != "root").then(|| name.to_string())
}

/// Looks `name` up in the user database.
pub fn lookup(name: &str) -> Result<Account, String> {
    let cname = CString::new(name).map_err(|_| format!("bad user name {name:?}"))?;
    // SAFETY: getpwnam_r writes into our buffers only; all pointers are valid for the call.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut res: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            cname.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut res,
        );
        if rc != 0 || res.is_null() {
            return Err(format!(
                "--drop-privileges: no user named {name:?} on this system (see /etc/passwd)"
            ));
        }
        Ok(Account {
            name: CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned(),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
        })
    }
}

/// Becomes `who` for good: supplementary groups, then group, then user. Changing the user id
/// away from 0 also clears every capability. Checks that root cannot be regained.
pub fn drop_to(who: &Account) -> io::Result<()> {
    let groups = [who.gid as libc::gid_t];
    let already =
        super::procfs::uid() == who.uid && euid() == who.uid && super::procfs::gid() == who.gid;
    if !already {
        // SAFETY: plain syscalls; `groups` is a valid array of one gid for the call.
        let failed = unsafe {
            libc::setgroups(1, groups.as_ptr()) != 0
                || libc::setgid(who.gid) != 0
                || libc::setuid(who.uid) != 0
        };
        if failed {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a plain syscall; it must fail now.
        if who.uid != 0 && unsafe { libc::setuid(0) } == 0 {
            return Err(io::Error::other(
                "could still become root after dropping privileges",
            ));
        }
    }
    // Leaving uid 0 cleared the effective, permitted and ambient sets; the inheritable set and
    // the right to gain privileges through exec go too.
    clear_capabilities()?;
    forbid_new_privileges()
}

/// In a freshly forked child, before exec: becomes `uid` and `gid`, with `gid` as its only
/// supplementary group. Raw system calls only, which are async-signal-safe: glibc's setuid
/// takes locks that a thread lost in the fork may hold. They change this thread's ids, the
/// only thread of the child. Leaving uid 0 also clears the capabilities (capabilities(7)).
pub fn become_in_child(uid: u32, gid: u32) -> io::Result<()> {
    let groups = [gid as libc::gid_t];
    // SAFETY: plain system calls; `groups` is a valid array of one gid for the call.
    let failed = unsafe {
        libc::syscall(libc::SYS_setgroups, 1 as libc::c_long, groups.as_ptr()) != 0
            || libc::syscall(libc::SYS_setresgid, gid, gid, gid) != 0
            || libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0
    };
    if failed {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `struct __user_cap_header_struct` and `__user_cap_data_struct` (include/uapi/linux/capability.h).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}
/// 64-bit capability sets, as two `CapData` words.
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// The capability bit of CAP_NET_RAW (linux/capability.h): raw and packet sockets.
pub const CAP_NET_RAW: u32 = 13;

fn cap_header() -> CapHeader {
    CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    }
}

/// Gives up every capability of this thread: effective, permitted, inheritable (capset) and
/// ambient (prctl PR_CAP_AMBIENT_CLEAR_ALL), e.g. the CAP_NET_RAW of a `setcap` binary once the
/// socket is open. The bounding set stays: without permitted capabilities it grants nothing.
pub fn clear_capabilities() -> io::Result<()> {
    let mut hdr = cap_header();
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset reads one header and two data words, all valid for the call.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: prctl with integer arguments only. EINVAL means a kernel without ambient
    // capabilities (before 4.3), where there is nothing to clear.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
    }
    Ok(())
}

/// Sets `no_new_privs` (prctl PR_SET_NO_NEW_PRIVS): no program this process runs can gain
/// privileges through set-user-ID bits or file capabilities, and a uid-0 process without
/// capabilities does not get them back by exec.
pub fn forbid_new_privileges() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_NO_NEW_PRIVS,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// For the commands that need no privilege (replay, flows, ladder, follow, explain, demo,
/// interfaces), at start: no capability at all, and none to be gained by exec. Under sudo the
/// process keeps uid 0 (it may still open root's files) but loses what lets root override
/// permissions.
pub fn drop_all() -> Result<(), String> {
    clear_capabilities()
        .and_then(|()| forbid_new_privileges())
        .map_err(|e| format!("cannot give up capabilities: {e}"))
}

/// For `live`, once its socket is open: become `who` when given (`--drop-privileges USER`, or
/// the sudo user; see [`target`]). Without one, a process that is not root (a `setcap` binary)
/// gives up CAP_NET_RAW and every other capability; root that was asked to stay root
/// (`--drop-privileges root`, or no sudo) keeps its capabilities.
pub fn drop_after_live_capture(who: Option<&Account>) -> Result<(), String> {
    match who {
        Some(u) => drop_to(u).map_err(|e| format!("cannot drop privileges to {}: {e}", u.name)),
        None if euid() != 0 => clear_capabilities()
            .and_then(|()| forbid_new_privileges())
            .map_err(|e| format!("cannot give up capabilities: {e}")),
        None => Ok(()),
    }
}

/// The user who ran `sudo`, from SUDO_UID and SUDO_GID (sudo(8) sets both), when this process
/// is root and that user is not root.
pub fn sudo_account(sudo_uid: Option<&str>, sudo_gid: Option<&str>, euid: u32) -> Option<Account> {
    if euid != 0 {
        return None;
    }
    let uid: u32 = sudo_uid?.trim().parse().ok()?;
    let gid: u32 = sudo_gid?.trim().parse().ok()?;
    (uid != 0).then(|| Account {
        name: format!("uid {uid}"),
        uid,
        gid,
    })
}

/// For a lesson, once its capture runs: its demo servers, clients and packet parsing need no
/// privilege. Started with sudo, the process becomes the sudo user (SUDO_UID, SUDO_GID);
/// otherwise it keeps its user id and gives up every capability (CAP_NET_RAW of a `setcap`
/// binary, or all of root's).
pub fn drop_after_lesson_capture() -> Result<(), String> {
    let var = |n: &str| std::env::var(n).ok();
    let sudo = sudo_account(
        var("SUDO_UID").as_deref(),
        var("SUDO_GID").as_deref(),
        euid(),
    );
    match sudo {
        Some(u) => drop_to(&u).map_err(|e| format!("cannot drop privileges to {}: {e}", u.name)),
        None => drop_all(),
    }
}

/// For a lesson's capture thread, right after it opened its socket. Capabilities belong to each
/// thread (capabilities(7)): without sudo, [`drop_after_lesson_capture`] on the main thread
/// leaves this one's, so it gives up its own here. Under sudo it keeps them for the moment: the
/// main thread's change of user reaches every thread (glibc's setxid broadcast), and it would
/// fail in a thread that had already given up CAP_SETUID; it only forbids new privileges, which
/// is per thread too (PR_SET_NO_NEW_PRIVS, prctl(2)).
pub fn drop_in_capture_thread() -> Result<(), String> {
    let var = |n: &str| std::env::var(n).ok();
    match sudo_account(
        var("SUDO_UID").as_deref(),
        var("SUDO_GID").as_deref(),
        euid(),
    ) {
        Some(_) => {
            forbid_new_privileges().map_err(|e| format!("cannot forbid new privileges: {e}"))
        }
        None => drop_all(),
    }
}

/// Adds capability `bit` to this thread's inheritable set when it is permitted (capget and
/// capset, capabilities(7)). Uses raw syscalls only, so it may run between fork and exec.
pub(super) fn add_inheritable(bit: u32) {
    let mut header = cap_header();
    let mut data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    let (word, mask) = ((bit / 32) as usize, 1u32 << (bit % 32));
    // SAFETY: the kernel reads the header and fills two data structs, as version 3 says.
    let got = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if got != 0 || word >= data.len() || data[word].permitted & mask == 0 {
        return;
    }
    data[word].inheritable |= mask;
    // SAFETY: as above; capset only reads the header and the two data structs.
    unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
}

/// The effective user id.
pub fn euid() -> u32 {
    super::procfs::euid()
}

/// This binary's absolute path, for the setcap hint.
pub fn this_binary() -> PathBuf {
    std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .unwrap_or_else(|_| PathBuf::from("sockscope"))
}

/// What to tell a user whose live capture was refused.
pub fn cap_net_raw_help(binary: &std::path::Path) -> String {
    format!(
        "live capture needs the CAP_NET_RAW capability (to open an AF_PACKET raw socket), and this \
         process does not have it.\n\
         \x20 Grant it once to this binary (only CAP_NET_RAW is needed; scripts/setcap.sh does this):\n\
         \x20     sudo setcap cap_net_raw+eip {}\n\
         \x20 or run it with sudo: sockscope drops to your user once the socket is open.\n\
         \x20 Reading a saved capture needs no privilege at all: sockscope replay captures/<file>.pcap",
        binary.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whom_to_become() {
        assert_eq!(target(None, Some("alice"), 0), Some("alice".into()));
        assert_eq!(target(None, Some("alice"), 1000), None);
        assert_eq!(target(None, None, 0), None);
        assert_eq!(target(None, Some("root"), 0), None);
        assert_eq!(target(Some("bob"), Some("alice"), 0), Some("bob".into()));
        assert_eq!(target(Some("root"), Some("alice"), 0), None);
    }

    #[test]
    fn lookup_finds_root_and_rejects_strangers() {
        let root = lookup("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert!(
            lookup("no-such-user-sockscope")
                .unwrap_err()
                .contains("no user")
        );
    }

    #[test]
    fn the_sudo_user_comes_from_sudo_uid_and_gid() {
        let a = sudo_account(Some("1000"), Some("1001"), 0).unwrap();
        assert_eq!((a.uid, a.gid), (1000, 1001));
        assert_eq!(sudo_account(Some("1000"), Some("1001"), 1000), None);
        assert_eq!(sudo_account(Some("0"), Some("0"), 0), None);
        assert_eq!(sudo_account(None, Some("1001"), 0), None);
        assert_eq!(sudo_account(Some("x"), Some("1001"), 0), None);
    }

    #[test]
    fn help_has_the_exact_setcap_line() {
        let h = cap_net_raw_help(std::path::Path::new("/opt/bin/sockscope"));
        assert!(
            h.contains("\n      sudo setcap cap_net_raw+eip /opt/bin/sockscope\n"),
            "{h}"
        );
        assert!(h.contains("sockscope replay captures/"));
    }
}
