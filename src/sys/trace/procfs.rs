//! What /proc says about traced processes: thread group, command name, which descriptors are
//! sockets, and a socket's addresses from the kernel's socket tables (as `ss -p` finds them).

/// The process (thread group) a thread belongs to (`Tgid:` in /proc/TID/status).
pub fn tgid(tid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The thread's command name (/proc/TID/comm).
pub fn comm(tid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{tid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default()
}

/// What descriptor `fd` of process `pid` is: `Some(Some(inode))` for a socket, `Some(None)` for
/// anything else, `None` when it is not open (or the process is gone).
pub fn fd_socket(pid: u32, fd: i32) -> Option<Option<u64>> {
    let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    Some(socket_inode(&target.to_string_lossy()))
}

/// `socket:[12345]` → 12345.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The descriptors of `pid` that are sockets, with their inodes.
pub fn socket_fds(pid: u32) -> Vec<(i32, u64)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let fd: i32 = e.file_name().to_str()?.parse().ok()?;
        let inode = socket_inode(&std::fs::read_link(e.path()).ok()?.to_string_lossy())?;
        Some((fd, inode))
    })
    .collect()
}

/// The text of /proc/PID/net/TABLE (`tcp`, `tcp6`, `udp`, `udp6`): the socket tables of the
/// process's network namespace.
pub fn net_table(pid: u32, table: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[99]"), Some(99));
        assert_eq!(socket_inode("/dev/null"), None);
    }
}
