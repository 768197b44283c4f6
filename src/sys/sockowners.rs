//! Which local program holds the socket at one end of a conversation, as `ss -p` finds it: the
//! socket's inode from /proc/net/{tcp,tcp6,udp,udp6}, matched to the `socket:[INODE]` links of
//! /proc/*/fd, the program from /proc/PID/cmdline. Answers are cached; the tables are read
//! again only when an address not seen yet is asked about (at most every [`REFRESH_MS`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::sys::procfs::{owners, read_all};

/// The shortest time between two reads of the tables.
pub const REFRESH_MS: u64 = 50;

/// Local sockets' owners, by address.
#[derive(Default)]
pub struct SockOwners {
    /// (local, remote) of connected sockets, and (local, unspecified) of listening or
    /// unconnected ones → `python3 server.py [pid 4242]`.
    by_addr: HashMap<(SocketAddr, Option<SocketAddr>), String>,
    last: Option<Instant>,
}

impl SockOwners {
    pub fn new() -> Self {
        Self::default()
    }

    /// The program holding the local socket `local` talking to `remote` (`remote` may be the
    /// other end of the conversation), when it is on this machine and can be seen.
    pub fn name(&mut self, local: SocketAddr, remote: SocketAddr) -> Option<String> {
        if let Some(n) = self.find(local, remote) {
            return Some(n);
        }
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(REFRESH_MS))
        {
            return None;
        }
        self.refresh();
        self.find(local, remote)
    }

    fn find(&self, local: SocketAddr, remote: SocketAddr) -> Option<String> {
        let any = |a: SocketAddr| match a.ip() {
            IpAddr::V4(_) => SocketAddr::new(IpAddr::from([0u8; 4]), a.port()),
            IpAddr::V6(_) => SocketAddr::new(IpAddr::from([0u16; 8]), a.port()),
        };
        [
            (local, Some(remote)),
            (local, None),
            (any(local), None),
            // An IPv4 peer of a dual-stack socket appears as ::ffff:a.b.c.d in tcp6.
            (mapped(local), Some(mapped(remote))),
            (mapped(local), None),
            (SocketAddr::new(IpAddr::from([0u16; 8]), local.port()), None),
        ]
        .iter()
        .find_map(|k| self.by_addr.get(k).cloned())
    }

    /// Reads the tables and the descriptors again.
    pub fn refresh(&mut self) {
        self.last = Some(Instant::now());
        let owners = owners();
        self.by_addr.clear();
        for e in read_all() {
            let Some(o) = owners.by_inode.get(&e.inode).and_then(|v| v.first()) else {
                continue;
            };
            let remote = (e.remote.port() != 0).then_some(e.remote);
            self.by_addr.insert(
                (e.local, remote),
                format!("{} [pid {}]", program(o.pid, &o.comm), o.pid),
            );
        }
    }
}

fn mapped(a: SocketAddr) -> SocketAddr {
    match a.ip() {
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
        IpAddr::V6(_) => a,
    }
}

/// `python3 server.py`: the program's file name and its first argument, from
/// /proc/PID/cmdline; its command name when that cannot be read.
pub fn program(pid: u32, comm: &str) -> String {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return comm.to_string();
    };
    let mut args = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned());
    let Some(first) = args.next() else {
        return comm.to_string();
    };
    let base = first.rsplit('/').next().unwrap_or(&first).to_string();
    match args.next() {
        Some(a) if !a.starts_with('-') => format!("{base} {}", a.rsplit('/').next().unwrap_or(&a)),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_its_own_listening_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        let mut o = SockOwners::new();
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let n = o.name(a, peer).expect("own socket found");
        assert!(n.ends_with(&format!("[pid {}]", std::process::id())), "{n}");
    }
}
