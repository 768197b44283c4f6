//! Turns traced system calls into socket [`CallEvent`]s: which descriptors are sockets, what
//! their addresses are, what each call's arguments and result mean, and what it does on the
//! wire. The system is reached only through [`Inspect`], so this module reads no /proc itself.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::calls::{CallEvent, Family, Phase, Proto};
use crate::sys::abi as libc;
use crate::sys::trace::Syscall;

/// What the decoder asks the system about a stopped thread.
pub trait Inspect {
    /// Reads the thread's memory.
    fn read(&self, pid: u32, tid: u32, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// `Some(Some(inode))` if `fd` is a socket, `Some(None)` if it is something else, `None`
    /// if it is not open.
    fn fd_socket(&self, pid: u32, fd: i32) -> Option<Option<u64>>;
    /// The socket's (is UDP, local, remote) from the kernel's socket tables.
    fn socket_row(&self, pid: u32, inode: u64) -> Option<(bool, SocketAddr, SocketAddr)>;
    /// The open socket descriptors of `pid` with their inodes.
    fn socket_fds(&self, pid: u32) -> Vec<(i32, u64)>;
    fn comm(&self, tid: u32) -> String;
}

/// A socket address as a learner reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addr {
    Ip(SocketAddr),
    /// AF_UNIX: a path, `@name` for the abstract namespace, or empty when unnamed.
    Unix(String),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // `127.0.0.1:7007`, `[::1]:7007`.
            Addr::Ip(a) => write!(f, "{a}"),
            Addr::Unix(p) if p.is_empty() => f.write_str("(unnamed)"),
            Addr::Unix(p) => f.write_str(p),
        }
    }
}

/// One socket of the traced programs (shared by every descriptor and process that holds it).
#[derive(Clone, Debug, Default)]
pub struct Sock {
    pub family: i32,
    /// SOCK_DGRAM (UDP for the IP families).
    pub datagram: bool,
    /// TCP or UDP, for an IP socket of either (not a raw or ICMP one).
    pub proto: Option<Proto>,
    pub inode: Option<u64>,
    pub local: Option<Addr>,
    pub remote: Option<Addr>,
    /// The time of a connect's enter and, once seen, of its return: packets to the remote
    /// address in between belong to this socket even before its local port is known.
    pub connect_span: Option<(u64, Option<u64>)>,
}

impl Sock {
    fn is_ip(&self) -> bool {
        self.family == libc::AF_INET || self.family == libc::AF_INET6
    }
    /// Sockets a learner's program talks through (netlink and packet sockets are not shown).
    pub fn shown(&self) -> bool {
        self.is_ip() || self.family == libc::AF_UNIX
    }
    /// The local IP address and port, when known and not port 0.
    pub fn local_ip(&self) -> Option<SocketAddr> {
        match &self.local {
            Some(Addr::Ip(a)) if a.port() != 0 => Some(*a),
            _ => None,
        }
    }
    pub fn remote_ip(&self) -> Option<SocketAddr> {
        match &self.remote {
            Some(Addr::Ip(a)) if a.port() != 0 => Some(*a),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
enum Fd {
    Socket(usize),
    Other,
    /// An epoll instance and the socket descriptors it watches.
    Epoll(Vec<i32>),
}

/// A call between its enter and its return.
struct Pending {
    call: Syscall,
    fd: Option<i32>,
    sock: Option<usize>,
    args: [u64; 6],
    text: String,
}

/// The decoder's state over a whole traced run.
#[derive(Default)]
pub struct SockCalls {
    fds: HashMap<u32, HashMap<i32, Fd>>,
    socks: Vec<Sock>,
    pending: HashMap<u32, Pending>,
    comms: HashMap<u32, String>,
}

/// How many bytes of data a preview shows.
const PREVIEW: usize = 32;

impl SockCalls {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every socket seen so far, by the index in [`CallEvent`]s' `sock`.
    pub fn sockets(&self) -> &[Sock] {
        &self.socks
    }

    /// A call is about to run. Returns whether its return matters, and the enter event when
    /// the call is about a socket.
    pub fn enter(
        &mut self,
        sys: &dyn Inspect,
        pid: u32,
        tid: u32,
        ts_ns: u64,
        call: Syscall,
        a: [u64; 6],
    ) -> (bool, Option<(CallEvent, Option<usize>)>) {
        let fd0 = a[0] as i32;
        let read = |addr: u64, len: usize| sys.read(pid, tid, addr, len);
        let (fd, sock, text) = match call {
            Syscall::Socket => (
                None,
                None,
                format!(
                    "{}, {}",
                    family_name(a[0] as i32),
                    type_name(a[1] as i32 & 0xf)
                ),
            ),
            Syscall::EpollCtl => {
                self.epoll_ctl(sys, pid, a);
                return (false, None);
            }
            Syscall::Close => {
                match self.fd_kind(sys, pid, fd0) {
                    Some(Fd::Socket(s)) => (Some(fd0), Some(s), format!("{fd0}")),
                    _ => {
                        // Not a socket: forget what it was; the number may be reused.
                        self.table(pid).remove(&fd0);
                        return (false, None);
                    }
                }
            }
            Syscall::Poll | Syscall::Ppoll => match self.poll_text(sys, pid, tid, a) {
                Some(t) => (None, None, t),
                None => return (false, None),
            },
            Syscall::Select | Syscall::Pselect6 => match self.select_text(sys, pid, tid, a) {
                Some(t) => (None, None, t),
                None => return (false, None),
            },
            Syscall::EpollWait | Syscall::EpollPwait | Syscall::EpollPwait2 => {
                match self.fd_kind(sys, pid, fd0) {
                    Some(Fd::Epoll(w)) if !w.is_empty() => {
                        let list: Vec<String> = w.iter().map(|f| f.to_string()).collect();
                        (
                            Some(fd0),
                            None,
                            format!("{fd0} (watching sockets {})", list.join(", ")),
                        )
                    }
                    _ => return (false, None),
                }
            }
            _ => {
                let Some(Fd::Socket(s)) = self.fd_kind(sys, pid, fd0) else {
                    return (false, None);
                };
                let text = match call {
                    Syscall::Bind => {
                        let addr = read_sockaddr(&read, a[1], a[2]);
                        let t = format!("{fd0}, {}", show(&addr));
                        if addr.is_some() {
                            self.socks[s].local = addr;
                        }
                        t
                    }
                    Syscall::Connect => {
                        let addr = read_sockaddr(&read, a[1], a[2]);
                        let t = format!("{fd0}, {}", show(&addr));
                        if addr.is_some() {
                            self.socks[s].remote = addr;
                        }
                        self.socks[s].connect_span = Some((ts_ns, None));
                        t
                    }
                    Syscall::Listen => format!("{fd0}, backlog {}", a[1] as i32),
                    Syscall::Shutdown => format!("{fd0}, {}", how_name(a[1] as i32)),
                    Syscall::Setsockopt => match sockopt(&read, a) {
                        Some(t) => format!("{fd0}, {t}"),
                        None => return (false, None),
                    },
                    Syscall::Sendto | Syscall::Write => {
                        let mut t = format!("{fd0}, {}, {}", preview_at(&read, a[1], a[2]), a[2]);
                        if call == Syscall::Sendto && a[4] != 0 {
                            let to = read_sockaddr(&read, a[4], a[5]);
                            let _ = write!(t, ", {}", show(&to));
                            if self.socks[s].remote.is_none() {
                                self.socks[s].remote = to;
                            }
                        }
                        t
                    }
                    Syscall::Writev => {
                        let (p, n) = iov_preview(&read, a[1], a[2], u64::MAX);
                        format!("{fd0}, {p}, {n}")
                    }
                    Syscall::Sendmsg => {
                        let (name, iov, iovlen) = msghdr(&read, a[1]);
                        let (p, n) = iov_preview(&read, iov, iovlen, u64::MAX);
                        let mut t = format!("{fd0}, {p}, {n}");
                        if let Some(to) = name {
                            let _ = write!(t, ", {to}");
                        }
                        t
                    }
                    Syscall::Recvfrom | Syscall::Read => format!("{fd0}, {}", a[2]),
                    Syscall::Readv | Syscall::Recvmsg => format!("{fd0}"),
                    _ => format!("{fd0}"),
                };
                (Some(fd0), Some(s), text)
            }
        };
        let hidden = match sock {
            Some(s) => !self.socks[s].shown(),
            None => call == Syscall::Socket && !family_shown(a[0] as i32),
        };
        let mut ev = self.event(pid, tid, ts_ns, call, Phase::Enter, fd, sock, text.clone());
        if call == Syscall::Socket {
            // The socket does not exist yet: its kind is in the arguments.
            ev.family = family_of(a[0] as i32);
            ev.proto = ip_proto(a[0] as i32, a[1] as i32 & 0xf, a[2]);
        }
        self.set_comm(sys, &mut ev);
        self.pending.insert(
            tid,
            Pending {
                call,
                fd,
                sock,
                args: a,
                text,
            },
        );
        (true, (!hidden).then_some((ev, sock)))
    }

    /// The call `tid` entered has returned `ret`.
    pub fn exit(
        &mut self,
        sys: &dyn Inspect,
        pid: u32,
        tid: u32,
        ts_ns: u64,
        ret: i64,
    ) -> Option<(CallEvent, Option<usize>)> {
        let p = self.pending.remove(&tid)?;
        let read = |addr: u64, len: usize| sys.read(pid, tid, addr, len);
        let ok = ret >= 0;
        let mut sock = p.sock;
        let mut fd = p.fd;
        let mut bytes = None;
        let mut preview = None;
        match p.call {
            Syscall::Socket if ok => {
                let inode = sys.fd_socket(pid, ret as i32).flatten();
                let (family, ty, protocol) = (p.args[0] as i32, p.args[1] as i32 & 0xf, p.args[2]);
                let s = self.new_sock(Sock {
                    family,
                    datagram: ty == libc::SOCK_DGRAM,
                    proto: ip_proto(family, ty, protocol),
                    inode,
                    ..Sock::default()
                });
                self.table(pid).insert(ret as i32, Fd::Socket(s));
                fd = Some(ret as i32);
                sock = Some(s);
            }
            Syscall::Accept | Syscall::Accept4 if ok => {
                let listener = p.sock.map(|s| self.socks[s].clone()).unwrap_or_default();
                let remote = read_len_sockaddr(&read, p.args[1], p.args[2]);
                let inode = sys.fd_socket(pid, ret as i32).flatten();
                let s = self.new_sock(Sock {
                    family: listener.family,
                    datagram: false,
                    proto: listener.proto,
                    inode,
                    local: None,
                    remote,
                    connect_span: None,
                });
                self.table(pid).insert(ret as i32, Fd::Socket(s));
                self.learn(sys, pid, s);
                fd = Some(ret as i32);
                sock = Some(s);
            }
            Syscall::Getsockname if ok => {
                if let (Some(s), Some(a)) = (sock, read_len_sockaddr(&read, p.args[1], p.args[2])) {
                    self.socks[s].local = Some(a);
                }
            }
            Syscall::Close if ok => {
                self.table(pid).remove(&(p.args[0] as i32));
            }
            Syscall::Sendto | Syscall::Write | Syscall::Writev | Syscall::Sendmsg if ok => {
                bytes = Some(ret as u64);
            }
            Syscall::Recvfrom | Syscall::Read if ok => {
                bytes = Some(ret as u64);
                preview = Some(preview_at(&read, p.args[1], ret as u64));
            }
            Syscall::Readv if ok => {
                bytes = Some(ret as u64);
                preview = Some(iov_preview(&read, p.args[1], p.args[2], ret as u64).0);
            }
            Syscall::Recvmsg if ok => {
                bytes = Some(ret as u64);
                let (_, iov, n) = msghdr(&read, p.args[1]);
                preview = Some(iov_preview(&read, iov, n, ret as u64).0);
            }
            _ => {}
        }
        if let Some(s) = sock {
            if p.call == Syscall::Connect
                && let Some((enter, _)) = self.socks[s].connect_span
            {
                self.socks[s].connect_span = Some((enter, Some(ts_ns)));
            }
            if self.socks[s].local_ip().is_none()
                || matches!(p.call, Syscall::Connect | Syscall::Bind)
            {
                self.learn(sys, pid, s);
            }
        }
        let mut ev = self.event(pid, tid, ts_ns, p.call, Phase::Return, fd, sock, p.text);
        if ok {
            ev.result = Some(ret);
        } else {
            ev.errno = Some(errno_name(-ret as i32));
        }
        ev.bytes = bytes;
        ev.preview = preview;
        self.set_comm(sys, &mut ev);
        let hidden = match sock {
            Some(s) => !self.socks[s].shown(),
            None => p.call == Syscall::Socket,
        };
        (!hidden).then_some((ev, sock))
    }

    /// A new thread or process: a process gets a copy of its parent's descriptor table.
    pub fn spawned(&mut self, parent_pid: u32, child_pid: u32, child_tid: u32) {
        if child_pid != parent_pid
            && let Some(t) = self.fds.get(&parent_pid).cloned()
        {
            self.fds.insert(child_pid, t);
        }
        self.comms.remove(&child_tid);
    }

    /// After an exec the descriptors closed on exec are gone and the name changed.
    pub fn exec(&mut self, sys: &dyn Inspect, pid: u32, tid: u32) {
        self.comms.remove(&tid);
        let open = sys.socket_fds(pid);
        let table = self.fds.entry(pid).or_default();
        table.retain(|fd, kind| matches!(kind, Fd::Socket(_)) && open.iter().any(|o| o.0 == *fd));
    }

    /// The local (and remote) address of socket `s` from the kernel's tables.
    fn learn(&mut self, sys: &dyn Inspect, pid: u32, s: usize) {
        let sock = &self.socks[s];
        if !sock.is_ip() {
            return;
        }
        let Some(inode) = sock.inode else { return };
        if let Some((_, local, remote)) = sys.socket_row(pid, inode) {
            let sock = &mut self.socks[s];
            if local.port() != 0 {
                // A listener bound to 0.0.0.0 keeps the wildcard: it accepts on every address.
                sock.local = Some(Addr::Ip(local));
            }
            if remote.port() != 0 {
                sock.remote = Some(Addr::Ip(remote));
            }
        }
    }

    fn new_sock(&mut self, s: Sock) -> usize {
        self.socks.push(s);
        self.socks.len() - 1
    }

    fn table(&mut self, pid: u32) -> &mut HashMap<i32, Fd> {
        self.fds.entry(pid).or_default()
    }

    /// What `fd` is, asking /proc the first time (inherited and dup'ed descriptors).
    fn fd_kind(&mut self, sys: &dyn Inspect, pid: u32, fd: i32) -> Option<Fd> {
        if fd < 0 {
            return None;
        }
        if let Some(k) = self.fds.get(&pid).and_then(|t| t.get(&fd)) {
            return Some(k.clone());
        }
        let kind = match sys.fd_socket(pid, fd)? {
            Some(inode) => {
                let existing = self.socks.iter().position(|s| s.inode == Some(inode));
                let s = match existing {
                    Some(s) => s,
                    None => {
                        let (family, datagram) = match sys.socket_row(pid, inode) {
                            Some((udp, l, _)) => (
                                if l.is_ipv4() {
                                    libc::AF_INET
                                } else {
                                    libc::AF_INET6
                                },
                                udp,
                            ),
                            None => (libc::AF_UNIX, false),
                        };
                        let s = self.new_sock(Sock {
                            family,
                            datagram,
                            // Found in /proc/net/tcp* or udp*.
                            proto: (family != libc::AF_UNIX).then(|| Proto::of_ip(datagram)),
                            inode: Some(inode),
                            ..Sock::default()
                        });
                        self.learn(sys, pid, s);
                        s
                    }
                };
                Fd::Socket(s)
            }
            None => Fd::Other,
        };
        self.table(pid).insert(fd, kind.clone());
        Some(kind)
    }

    fn epoll_ctl(&mut self, sys: &dyn Inspect, pid: u32, a: [u64; 6]) {
        let (epfd, op, fd) = (a[0] as i32, a[1] as i32, a[2] as i32);
        let is_sock = matches!(self.fd_kind(sys, pid, fd), Some(Fd::Socket(_)));
        let t = self.table(pid);
        let Fd::Epoll(w) = t.entry(epfd).or_insert(Fd::Epoll(Vec::new())) else {
            // Known as something else: it is an epoll instance after all.
            t.insert(epfd, Fd::Epoll(Vec::new()));
            return;
        };
        match op {
            libc::EPOLL_CTL_ADD if is_sock && !w.contains(&fd) => w.push(fd),
            libc::EPOLL_CTL_DEL => w.retain(|f| *f != fd),
            _ => {}
        }
    }

    /// `3 POLLIN, 4 POLLOUT, timeout 100 ms` when one of the polled descriptors is a socket.
    fn poll_text(&mut self, sys: &dyn Inspect, pid: u32, tid: u32, a: [u64; 6]) -> Option<String> {
        let n = (a[1] as usize).min(64);
        let raw = sys.read(pid, tid, a[0], n * 8)?;
        let mut parts = Vec::new();
        let mut any = false;
        for c in raw.chunks_exact(8) {
            let fd = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            let ev = i16::from_ne_bytes([c[4], c[5]]);
            any |= matches!(self.fd_kind(sys, pid, fd), Some(Fd::Socket(_)));
            parts.push(format!("{fd} {}", poll_events(ev)));
        }
        any.then(|| {
            let mut t = parts.join(", ");
            if a[2] as i32 >= 0 && a[2] < u64::from(u32::MAX) {
                let _ = write!(t, ", timeout {} ms", a[2] as i32);
            }
            t
        })
    }

    /// `read 3, 4 write 5` when one of the descriptors in the sets is a socket.
    fn select_text(
        &mut self,
        sys: &dyn Inspect,
        pid: u32,
        tid: u32,
        a: [u64; 6],
    ) -> Option<String> {
        let nfds = (a[0] as usize).min(1024);
        let bytes = nfds.div_ceil(64) * 8;
        let mut out = Vec::new();
        let mut any = false;
        for (name, ptr) in [("read", a[1]), ("write", a[2])] {
            let Some(set) = sys.read(pid, tid, ptr, bytes) else {
                continue;
            };
            let fds: Vec<i32> = (0..nfds)
                .filter(|i| set.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
                .map(|i| i as i32)
                .collect();
            for &fd in &fds {
                any |= matches!(self.fd_kind(sys, pid, fd), Some(Fd::Socket(_)));
            }
            if !fds.is_empty() {
                let l: Vec<String> = fds.iter().map(|f| f.to_string()).collect();
                out.push(format!("{name} {}", l.join(" ")));
            }
        }
        any.then(|| out.join(", "))
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        pid: u32,
        tid: u32,
        ts_ns: u64,
        call: Syscall,
        phase: Phase,
        fd: Option<i32>,
        sock: Option<usize>,
        args: String,
    ) -> CallEvent {
        let comm = self.comms.get(&tid).cloned().unwrap_or_default();
        let s = sock.map(|s| &self.socks[s]);
        CallEvent {
            ts_ns,
            pid,
            tid,
            comm,
            call: call.name(),
            phase,
            fd,
            args,
            local: s.and_then(|s| s.local.as_ref()).map(|a| a.to_string()),
            remote: s.and_then(|s| s.remote.as_ref()).map(|a| a.to_string()),
            result: None,
            errno: None,
            bytes: None,
            preview: None,
            flow: None,
            proto: s.and_then(|s| s.proto),
            family: s.and_then(|s| family_of(s.family)),
        }
    }

    /// Fills in the command name of `tid` (asked once per thread and exec).
    pub fn set_comm(&mut self, sys: &dyn Inspect, ev: &mut CallEvent) {
        let c = self.comms.entry(ev.tid).or_insert_with(|| sys.comm(ev.tid));
        ev.comm.clone_from(c);
    }
}

/// The [`Family`] of a socket's `AF_` constant, for the ones calls are shown for.
fn family_of(f: i32) -> Option<Family> {
    match f {
        libc::AF_INET => Some(Family::Inet),
        libc::AF_INET6 => Some(Family::Inet6),
        libc::AF_UNIX => Some(Family::Unix),
        _ => None,
    }
}

/// TCP or UDP for a socket(family, type, protocol) of an IP family: a stream socket with
/// protocol 0 or IPPROTO_TCP, a datagram one with 0 or IPPROTO_UDP; `None` for anything else
/// (raw sockets, ICMP datagram sockets, other families).
fn ip_proto(family: i32, ty: i32, protocol: u64) -> Option<Proto> {
    if !matches!(family, libc::AF_INET | libc::AF_INET6) {
        return None;
    }
    match (ty, protocol) {
        (libc::SOCK_STREAM, 0 | 6) => Some(Proto::Tcp),
        (libc::SOCK_DGRAM, 0 | 17) => Some(Proto::Udp),
        _ => None,
    }
}

fn family_shown(f: i32) -> bool {
    matches!(f, libc::AF_INET | libc::AF_INET6 | libc::AF_UNIX)
}

fn show(a: &Option<Addr>) -> String {
    a.as_ref()
        .map_or_else(|| "?".to_string(), |a| a.to_string())
}

/// Decodes a `struct sockaddr` of `len` bytes: AF_INET, AF_INET6, AF_UNIX.
pub fn decode_sockaddr(b: &[u8]) -> Option<Addr> {
    let family = i32::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    match family {
        libc::AF_INET if b.len() >= 8 => Some(Addr::Ip(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7])),
            u16::from_be_bytes([b[2], b[3]]),
        ))),
        libc::AF_INET6 if b.len() >= 24 => {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&b[8..24]);
            Some(Addr::Ip(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(ip)),
                u16::from_be_bytes([b[2], b[3]]),
            )))
        }
        libc::AF_UNIX => {
            let path = &b[2..];
            Some(Addr::Unix(match path.first() {
                None => String::new(),
                // Abstract namespace: a leading NUL, the name is the rest (may contain NULs).
                Some(0) if path.len() > 1 => {
                    format!("@{}", String::from_utf8_lossy(&path[1..]))
                }
                _ => {
                    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                    String::from_utf8_lossy(&path[..end]).into_owned()
                }
            }))
        }
        _ => None,
    }
}

fn read_sockaddr(read: &dyn Fn(u64, usize) -> Option<Vec<u8>>, ptr: u64, len: u64) -> Option<Addr> {
    decode_sockaddr(&read(ptr, (len as usize).min(128))?)
}

/// A sockaddr whose length is behind a pointer (accept, getsockname, recvfrom).
fn read_len_sockaddr(
    read: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ptr: u64,
    lenp: u64,
) -> Option<Addr> {
    let l = read(lenp, 4)?;
    let len = u32::from_ne_bytes(l.get(..4)?.try_into().ok()?);
    read_sockaddr(read, ptr, u64::from(len))
}

/// `msg_name` (decoded), `msg_iov` and `msg_iovlen` of a `struct msghdr` (64-bit layout).
fn msghdr(read: &dyn Fn(u64, usize) -> Option<Vec<u8>>, ptr: u64) -> (Option<Addr>, u64, u64) {
    let Some(h) = read(ptr, 32) else {
        return (None, 0, 0);
    };
    if h.len() < 32 {
        return (None, 0, 0);
    }
    let u = |i: usize| u64::from_ne_bytes(h[i..i + 8].try_into().unwrap_or([0; 8]));
    let namelen = u32::from_ne_bytes(h[8..12].try_into().unwrap_or([0; 4]));
    let name = (u(0) != 0)
        .then(|| read_sockaddr(read, u(0), u64::from(namelen)))
        .flatten();
    (name, u(16), u(24))
}

/// A preview of the first bytes of an iovec array (at most `limit` bytes in all) and the total.
fn iov_preview(
    read: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    iov: u64,
    n: u64,
    limit: u64,
) -> (String, u64) {
    let n = n.min(64) as usize;
    let Some(raw) = read(iov, n * 16) else {
        return ("?".into(), 0);
    };
    let mut data = Vec::new();
    let mut total = 0u64;
    for c in raw.chunks_exact(16) {
        let base = u64::from_ne_bytes(c[..8].try_into().unwrap_or([0; 8]));
        let len = u64::from_ne_bytes(c[8..].try_into().unwrap_or([0; 8]));
        let room = limit.saturating_sub(total);
        total += len.min(room);
        let want = (PREVIEW + 1)
            .saturating_sub(data.len())
            .min(len.min(room) as usize);
        if want > 0
            && let Some(b) = read(base, want)
        {
            data.extend_from_slice(&b);
        }
    }
    (quote(&data, total as usize), total)
}

fn preview_at(read: &dyn Fn(u64, usize) -> Option<Vec<u8>>, ptr: u64, len: u64) -> String {
    let want = (len as usize).min(PREVIEW + 1);
    match read(ptr, want) {
        Some(b) => quote(&b, len as usize),
        None if len == 0 => "\"\"".into(),
        None => "?".into(),
    }
}

/// `"Hello World!\n"` with escapes, `…` when `total` is more than what is shown (the
/// ladder's preview).
pub fn quote(b: &[u8], total: usize) -> String {
    let mut shown = b[..b.len().min(PREVIEW)].to_vec();
    if total > shown.len() {
        // One more byte than shown makes the preview mark the cut.
        shown.push(b' ');
    }
    crate::render::ladder::preview(&shown, PREVIEW)
}

/// setsockopt of the options the lessons teach, as `SO_REUSEADDR=1`; `None` for the others.
fn sockopt(read: &dyn Fn(u64, usize) -> Option<Vec<u8>>, a: [u64; 6]) -> Option<String> {
    let (level, name) = (a[1] as i32, a[2] as i32);
    let opt = match (level, name) {
        (libc::SOL_SOCKET, libc::SO_REUSEADDR) => "SOL_SOCKET, SO_REUSEADDR",
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE) => "SOL_SOCKET, SO_KEEPALIVE",
        (libc::SOL_SOCKET, libc::SO_RCVBUF) => "SOL_SOCKET, SO_RCVBUF",
        (libc::SOL_SOCKET, libc::SO_SNDBUF) => "SOL_SOCKET, SO_SNDBUF",
        (libc::SOL_SOCKET, libc::SO_LINGER) => {
            let v = read(a[3], 8)?;
            let on = i32::from_ne_bytes(v.get(..4)?.try_into().ok()?);
            let secs = i32::from_ne_bytes(v.get(4..8)?.try_into().ok()?);
            return Some(format!(
                "SOL_SOCKET, SO_LINGER, {{onoff={on}, linger={secs}}}"
            ));
        }
        (libc::IPPROTO_TCP, libc::TCP_NODELAY) => "IPPROTO_TCP, TCP_NODELAY",
        _ => return None,
    };
    let v = read(a[3], 4)
        .and_then(|v| Some(i32::from_ne_bytes(v.get(..4)?.try_into().ok()?)))
        .map_or_else(|| "?".to_string(), |v| v.to_string());
    Some(format!("{opt}, {v}"))
}

fn family_name(f: i32) -> String {
    match f {
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET".into(),
        _ => format!("family {f}"),
    }
}

fn type_name(t: i32) -> String {
    match t {
        libc::SOCK_STREAM => "SOCK_STREAM".into(),
        libc::SOCK_DGRAM => "SOCK_DGRAM".into(),
        libc::SOCK_RAW => "SOCK_RAW".into(),
        libc::SOCK_SEQPACKET => "SOCK_SEQPACKET".into(),
        _ => format!("type {t}"),
    }
}

fn how_name(h: i32) -> &'static str {
    match h {
        libc::SHUT_RD => "SHUT_RD",
        libc::SHUT_WR => "SHUT_WR",
        libc::SHUT_RDWR => "SHUT_RDWR",
        _ => "?",
    }
}

fn poll_events(ev: i16) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (libc::POLLIN, "POLLIN"),
        (libc::POLLOUT, "POLLOUT"),
        (libc::POLLPRI, "POLLPRI"),
        (libc::POLLRDHUP, "POLLRDHUP"),
    ] {
        if ev & bit != 0 {
            v.push(name);
        }
    }
    if v.is_empty() {
        "0".into()
    } else {
        v.join("|")
    }
}

/// The errno's name (Linux numbers, the same on x86_64 and aarch64).
pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::EPIPE => "EPIPE",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENETDOWN => "ENETDOWN",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ECONNABORTED => "ECONNABORTED",
        libc::ECONNRESET => "ECONNRESET",
        libc::ENOBUFS => "ENOBUFS",
        libc::EISCONN => "EISCONN",
        libc::ENOTCONN => "ENOTCONN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        // Kernel-internal: the call was interrupted by a signal and will be restarted.
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        516 => "ERESTART_RESTARTBLOCK",
        _ => "E?",
    }
}

/// One true sentence about what the call does on the wire, for the learner view; `None` when
/// there is nothing to add. The TCP and UDP sentences need the event's `proto`.
pub fn wire_note(ev: &CallEvent) -> Option<&'static str> {
    let tcp = ev.proto == Some(Proto::Tcp);
    let udp = ev.proto == Some(Proto::Udp);
    match (ev.phase, ev.call, ev.errno) {
        // RFC 9293 §3.5: the active open sends SYN; connect returns once the SYN-ACK came
        // (and the kernel's ACK was sent).
        (Phase::Enter, "connect", _) if tcp => {
            Some("connect: the kernel sends SYN and returns when the SYN-ACK arrives")
        }
        (Phase::Enter, "connect", _) if udp => {
            Some("connect (UDP): the kernel only records the peer's address; nothing is sent")
        }
        // RFC 9293 §3.10.7.1: a SYN to a port nobody listens on is answered by RST.
        (Phase::Return, "connect", Some("ECONNREFUSED")) => {
            Some("refused: the peer answered the SYN with RST (nothing listens on that port)")
        }
        (Phase::Return, "connect", Some("EINPROGRESS")) => {
            Some("non-blocking: SYN sent, connect returns at once; the handshake goes on")
        }
        (Phase::Return, "connect", Some("ETIMEDOUT")) => {
            Some("no answer to the SYN and its retransmissions")
        }
        (Phase::Enter, "socket", _) => {
            Some("socket: creates an endpoint in the kernel; nothing is sent")
        }
        (Phase::Enter, "bind", _) => {
            Some("bind: picks the local address and port; nothing is sent")
        }
        (Phase::Return, "bind", Some("EADDRINUSE")) => Some(
            "the address is taken (another socket or a TIME_WAIT connection; see SO_REUSEADDR)",
        ),
        // RFC 9293 §3.5 (passive open): the kernel completes handshakes itself.
        (Phase::Enter, "listen", _) => {
            Some("listen: from now on the kernel answers SYNs to this port itself; nothing is sent")
        }
        (Phase::Enter, "accept" | "accept4", _) if tcp => Some(
            "accept: waits for a connection whose handshake the kernel completed; nothing is sent",
        ),
        (Phase::Enter, "sendto" | "sendmsg" | "write" | "writev" | "sendfile", _) if tcp => {
            Some("send: copies the bytes to the kernel's send buffer; TCP sends them as segments")
        }
        (Phase::Enter, "sendto" | "sendmsg" | "write" | "writev", _) if udp => {
            Some("send (UDP): the kernel sends one datagram")
        }
        (Phase::Return, "recvfrom" | "recvmsg" | "read" | "readv", None)
            if tcp && ev.result == Some(0) =>
        {
            // RFC 9293 §3.6: the peer's FIN is the end of its stream.
            Some("0 bytes: the peer's FIN arrived, end of stream")
        }
        (Phase::Enter, "recvfrom" | "recvmsg" | "read" | "readv", _) if tcp => {
            Some("recv: returns bytes the kernel has already received (waits for some if none)")
        }
        (Phase::Enter, "recvfrom" | "recvmsg" | "read" | "readv", _) if udp => {
            Some("recv (UDP): returns one datagram that arrived (waits for one if none)")
        }
        (Phase::Return, _, Some("ECONNRESET")) => Some("the peer sent RST: the connection is gone"),
        (Phase::Return, _, Some("EAGAIN")) => Some("non-blocking: nothing ready yet"),
        (Phase::Return, _, Some("EPIPE")) => Some("the connection is closed for sending"),
        // RFC 9293 §3.6: a close of the sending side sends FIN once queued data is sent.
        (Phase::Enter, "shutdown", _) if tcp => {
            Some("shutdown: SHUT_WR sends FIN after queued data; SHUT_RD sends nothing")
        }
        // RFC 9293 §3.6; RST instead when unread data is waiting (RFC 2525 §2.17) or with
        // SO_LINGER 0.
        (Phase::Enter, "close", _) if tcp && ev.remote.is_none() => Some(
            "close: the socket has no peer, so no FIN is sent (a listener resets connections not yet accepted)",
        ),
        (Phase::Enter, "close", _) if tcp => Some(
            "close: on the socket's last descriptor the kernel sends FIN (RST if unread data waits or SO_LINGER is 0)",
        ),
        (Phase::Enter, "close", _) if udp => Some("close (UDP): nothing is sent"),
        (Phase::Enter, "setsockopt", _) => {
            Some("setsockopt: changes the socket's behaviour; nothing is sent")
        }
        (Phase::Enter, "getsockname", _) => {
            Some("getsockname: reads the local address; nothing is sent")
        }
        (
            Phase::Enter,
            "poll" | "ppoll" | "select" | "pselect6" | "epoll_wait" | "epoll_pwait"
            | "epoll_pwait2",
            _,
        ) => Some("waits until a socket can be read or written; nothing is sent"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_three_address_families() {
        let mut v4 = vec![0u8; 16];
        v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        v4[2..4].copy_from_slice(&7007u16.to_be_bytes());
        v4[4..8].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(decode_sockaddr(&v4).unwrap().to_string(), "127.0.0.1:7007");
        let mut v6 = vec![0u8; 28];
        v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        v6[2..4].copy_from_slice(&7007u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(decode_sockaddr(&v6).unwrap().to_string(), "[::1]:7007");
        let mut un = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        un.extend_from_slice(b"/tmp/s\0\0\0");
        assert_eq!(decode_sockaddr(&un).unwrap().to_string(), "/tmp/s");
        let mut ab = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        ab.extend_from_slice(b"\0name");
        assert_eq!(decode_sockaddr(&ab).unwrap().to_string(), "@name");
    }

    #[test]
    fn previews_are_short_and_escaped() {
        assert_eq!(quote(b"Hello World!", 12), "\"Hello World!\"");
        assert_eq!(quote(b"hi\r\n", 4), "\"hi\\r\\n\"");
        assert_eq!(quote(&[b'x'; 40], 40), format!("\"{}\"…", "x".repeat(32)));
    }

    #[test]
    fn only_tcp_and_udp_sockets_have_a_proto() {
        assert_eq!(
            ip_proto(libc::AF_INET, libc::SOCK_STREAM, 0),
            Some(Proto::Tcp)
        );
        assert_eq!(
            ip_proto(libc::AF_INET6, libc::SOCK_DGRAM, 17),
            Some(Proto::Udp)
        );
        // ping's ICMP datagram socket (IPPROTO_ICMP 1), a raw socket, a Unix stream socket.
        assert_eq!(ip_proto(libc::AF_INET, libc::SOCK_DGRAM, 1), None);
        assert_eq!(ip_proto(libc::AF_INET, libc::SOCK_RAW, 6), None);
        assert_eq!(ip_proto(libc::AF_UNIX, libc::SOCK_STREAM, 0), None);
    }

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(libc::ECONNREFUSED), "ECONNREFUSED");
        assert_eq!(errno_name(libc::EINPROGRESS), "EINPROGRESS");
        assert_eq!(errno_name(512), "ERESTARTSYS");
    }
}
