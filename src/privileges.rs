//! Dropping root after the capture socket is open, so that untrusted packets are never parsed
//! with root's powers (tcpdump's `-Z`). Also the CAP_NET_RAW explanation for users without it.

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
    // SAFETY: plain syscalls with valid arguments.
    unsafe {
        if libc::getuid() == who.uid && libc::geteuid() == who.uid && libc::getgid() == who.gid {
            return Ok(()); // already that user
        }
        if libc::setgroups(1, groups.as_ptr()) != 0
            || libc::setgid(who.gid) != 0
            || libc::setuid(who.uid) != 0
        {
            return Err(io::Error::last_os_error());
        }
        if who.uid != 0 && libc::setuid(0) == 0 {
            return Err(io::Error::other(
                "could still become root after dropping privileges",
            ));
        }
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

/// Gives up every capability of this process (e.g. the CAP_NET_RAW of a `setcap` binary) once
/// the socket is open: nothing after that needs one.
pub fn clear_capabilities() -> io::Result<()> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset reads one header and two data words, all valid.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The effective user id.
pub fn euid() -> u32 {
    // SAFETY: always succeeds.
    unsafe { libc::geteuid() }
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
    fn help_has_the_exact_setcap_line() {
        let h = cap_net_raw_help(std::path::Path::new("/opt/bin/sockscope"));
        assert!(
            h.contains("\n      sudo setcap cap_net_raw+eip /opt/bin/sockscope\n"),
            "{h}"
        );
        assert!(h.contains("sockscope replay captures/"));
    }
}
