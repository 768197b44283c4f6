//! Facts about this process: its user ids and the capability sets `/proc/self/status` shows
//! (proc_pid_status(5)); and the sockets of this machine from `/proc/net/{tcp,tcp6,udp,udp6}`
//! with their owners from `/proc/*/fd`, the way `ss -tulpn` finds them (proc_net(5)). Parsing is
//! pure (tested on fixed text); only [`read_all`] and [`owners`] touch the file system.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::services::Proto;

/// The effective user id (geteuid(2)).
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The real user id (getuid(2)).
pub fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The real group id (getgid(2)).
pub fn gid() -> u32 {
    // SAFETY: getgid has no preconditions and cannot fail.
    unsafe { libc::getgid() }
}

/// A capability set line of a `/proc/<pid>/status` text (`CapEff`, `CapPrm`, `CapInh`,
/// `CapAmb`, `CapBnd`) as a bit mask.
pub fn cap_set(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// Whether the `CapEff:` line of a `/proc/<pid>/status` text has capability `bit`.
pub fn cap_eff_has(status: &str, bit: u32) -> bool {
    cap_set(status, "CapEff").is_some_and(|mask| bit < 64 && (mask >> bit) & 1 == 1)
}

/// Whether this process has capability `bit` in its effective set now.
pub fn has_effective_cap(bit: u32) -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| cap_eff_has(&s, bit))
}

/// One socket line of a /proc/net table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketEntry {
    pub proto: Proto,
    /// From the `tcp6`/`udp6` table (an AF_INET6 socket, maybe dual-stack).
    pub v6_table: bool,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// Kernel state number (include/net/tcp_states.h).
    pub state: u8,
    pub uid: u32,
    pub inode: u64,
}

/// A process holding a socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub comm: String,
}

/// TCP states as `ss` names them (include/net/tcp_states.h order, from 1).
pub const STATE_NAMES: [&str; 13] = [
    "?",
    "ESTAB",
    "SYN-SENT",
    "SYN-RECV",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "TIME-WAIT",
    "UNCONN",
    "CLOSE-WAIT",
    "LAST-ACK",
    "LISTEN",
    "CLOSING",
    "NEW-SYN-RECV",
];
pub const TCP_ESTABLISHED: u8 = 1;
pub const TCP_CLOSE: u8 = 7;
pub const TCP_LISTEN: u8 = 10;

impl SocketEntry {
    /// The state as `ss` prints it (UDP sockets: UNCONN, or ESTAB once connect()ed).
    pub fn state_name(&self) -> &'static str {
        STATE_NAMES.get(self.state as usize).copied().unwrap_or("?")
    }

    /// Listening TCP or bound, unconnected UDP: what `ss -tul` lists.
    pub fn is_listening(&self) -> bool {
        match self.proto {
            Proto::Tcp => self.state == TCP_LISTEN,
            Proto::Udp => self.state == TCP_CLOSE,
        }
    }

    pub fn proto_name(&self) -> &'static str {
        match self.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Decodes the kernel's `ADDR:PORT` field: the address is the in-memory bytes of the network
/// order address printed as 32-bit words in host order (`%08X` per word), the port is `%04X`.
pub fn parse_addr(field: &str) -> Option<SocketAddr> {
    let (a, p) = field.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(a.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    let ip = match a.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Parses one /proc/net/{tcp,udp}[6] table. Lines that do not parse are skipped.
pub fn parse_table(text: &str, proto: Proto, v6_table: bool) -> Vec<SocketEntry> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        if f.len() < 10 {
            continue;
        }
        let (Some(local), Some(remote)) = (parse_addr(f[1]), parse_addr(f[2])) else {
            continue;
        };
        let (Ok(state), Ok(uid), Ok(inode)) = (
            u8::from_str_radix(f[3], 16),
            f[7].parse::<u32>(),
            f[9].parse::<u64>(),
        ) else {
            continue;
        };
        out.push(SocketEntry {
            proto,
            v6_table,
            local,
            remote,
            state,
            uid,
            inode,
        });
    }
    out
}

/// Every TCP and UDP socket of this machine's network namespace; tables that cannot be read
/// (IPv6 disabled) are skipped.
pub fn read_all() -> Vec<SocketEntry> {
    let mut out = Vec::new();
    for (file, proto, v6) in [
        ("/proc/net/tcp", Proto::Tcp, false),
        ("/proc/net/tcp6", Proto::Tcp, true),
        ("/proc/net/udp", Proto::Udp, false),
        ("/proc/net/udp6", Proto::Udp, true),
    ] {
        if let Ok(t) = std::fs::read_to_string(file) {
            out.extend(parse_table(&t, proto, v6));
        }
    }
    out
}

/// Who owns which socket inode, and how many processes could not be looked into.
#[derive(Clone, Debug, Default)]
pub struct OwnerMap {
    pub by_inode: HashMap<u64, Vec<Owner>>,
    /// Processes whose /proc/PID/fd could not be read (another user's, without privileges).
    pub hidden_processes: usize,
}

/// Reads /proc/*/fd: each `socket:[INODE]` link names a socket the process holds.
pub fn owners() -> OwnerMap {
    let mut m = OwnerMap::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return m;
    };
    for ent in dir.flatten() {
        let name = ent.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let fd_dir = ent.path().join("fd");
        let Ok(fds) = std::fs::read_dir(&fd_dir) else {
            m.hidden_processes += 1;
            continue;
        };
        let comm = std::fs::read_to_string(ent.path().join("comm"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let t = target.to_string_lossy();
            if let Some(inode) = t
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
            {
                let v = m.by_inode.entry(inode).or_default();
                if !v.iter().any(|o| o.pid == pid) {
                    v.push(Owner {
                        pid,
                        comm: comm.clone(),
                    });
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_lines() {
        let s = "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000002000\n\
                 CapEff:\t000001ffffffffff\n";
        assert_eq!(cap_set(s, "CapPrm"), Some(0x2000));
        assert_eq!(cap_set(s, "CapAmb"), None);
        assert!(cap_eff_has(s, 13));
        assert!(!cap_eff_has("CapEff:\t0000000000000000\n", 13));
        assert!(!cap_eff_has("no such line", 13));
    }

    // Written on a little-endian machine; the kernel prints words in host order.
    #[cfg(target_endian = "little")]
    #[test]
    fn proc_net_lines() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0\n\
   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 12346 1 0000000000000000 20 4 30 10 -1\n";
        let v = parse_table(tcp, Proto::Tcp, false);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].local.to_string(), "127.0.0.1:8080");
        assert_eq!(v[0].state_name(), "LISTEN");
        assert_eq!(v[0].inode, 12345);
        assert_eq!(v[1].remote.to_string(), "127.0.0.1:8080");
        assert_eq!(v[1].state_name(), "ESTAB");
        let tcp6 = "header\n   0: 0000000000000000FFFF00000100007F:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1\n\
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 998 1\n";
        let v = parse_table(tcp6, Proto::Tcp, true);
        assert_eq!(v[0].local.to_string(), "[::ffff:127.0.0.1]:22");
        assert_eq!(v[1].local.to_string(), "[::1]:631");
    }
}
