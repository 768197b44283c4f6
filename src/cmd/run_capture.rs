//! The captures of `sockscope run`: one socket on loopback (or `-i`), one more on each interface
//! that holds a traced connection's local address (and, once a traced socket is bound to the
//! wildcard address 0.0.0.0 or ::, on every interface with an address, so that a listener's
//! first SYN from another host is captured), all sharing one kernel filter built from the ports
//! the tracer learned from the program's calls.
//!
//! # The kernel filter
//! Every capture socket starts with a reject-all program, attached before the socket is bound,
//! so nothing is queued before the first ports are known. Each time the tracer learns a traced
//! socket's local port (bind, connect, accept, getsockname, or /proc after a send) or the
//! address a connect or sendto goes to, the filter becomes `tcp port A or udp port B or (tcp
//! and host H and port C) …` and replaces the one on every capture socket (SO_ATTACH_FILTER
//! replaces a socket's filter at once). The tracer does this while the calling thread is
//! stopped, at the call's enter for connect and sendto: the filter lets the SYN or the first
//! datagram through before the call can send it.
//!
//! The filter only ever grows, so the swap needs no reject-all-and-drain step (which would
//! discard the program's packets already queued): whatever the old program let through, the new
//! one lets through too. The user-space check in `run` stays: the filter matches by port, and
//! it also lets through packets of the same ports from programs that are not traced.

use std::collections::{BTreeSet, HashSet};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{Msg, capture_loop, mark};
use crate::filter::{Filter, bpf};
use crate::source::LinkType;
use crate::source::live::socket::{self, REJECT_ALL};
use crate::source::live::{
    CaptureSource, KernelStats, LiveConfig, LiveSource, OpenError, SockFilter, sock_filter,
};
use crate::sys::trace::IDLE;
use crate::track::sockcalls::Sock;

/// The most instructions a classic BPF program may have (BPF_MAXINSNS, linux/bpf_common.h).
const BPF_MAXINSNS: usize = 4096;

/// What lets every TCP and UDP packet through: the fallback when the learned ports no longer
/// fit in one program.
const ALL_PORTS: &str = "tcp or udp";

/// The capture threads of one run and the filter they share.
pub(super) struct Captures {
    stop: &'static AtomicBool,
    tx: Sender<Msg>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The open capture sockets and their link types.
    socks: Vec<(RawFd, LinkType)>,
    /// What the filter lets through, one `tcp port 7007`-like term each.
    terms: BTreeSet<String>,
    /// Interfaces captured on, or whose capture could not be opened: each is tried once.
    ifaces: HashSet<String>,
    /// Local addresses already looked up.
    addrs: HashSet<IpAddr>,
    /// Each capture thread's progress (see [`mark`]).
    progress: Vec<Arc<AtomicU64>>,
    threads: Vec<JoinHandle<()>>,
    /// Capture threads not yet ended.
    running: usize,
    /// The kernel's counts of the captures that ended.
    stats: KernelStats,
}

impl Captures {
    pub(super) fn new(stop: &'static AtomicBool, tx: Sender<Msg>) -> Arc<Captures> {
        Arc::new(Captures {
            stop,
            tx,
            state: Mutex::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a capture on `iface` on a thread of its own (the socket stays there); returns its
    /// link type once the socket is open and filtered.
    pub(super) fn open(self: &Arc<Self>, iface: &str) -> Result<LinkType, OpenError> {
        self.state().ifaces.insert(iface.to_string());
        let (open_tx, open_rx) = mpsc::channel();
        let progress = Arc::new(AtomicU64::new(IDLE));
        let me = self.clone();
        let p = progress.clone();
        let name = iface.to_string();
        let t = std::thread::spawn(move || {
            let mut cfg = LiveConfig::new(&name);
            // Our own connections only: no promiscuous mode; nothing queued before the bind.
            cfg.promiscuous = false;
            cfg.filter = Some(REJECT_ALL.to_vec());
            match LiveSource::open(&cfg, me.stop) {
                Ok(mut src) => {
                    me.register(&src);
                    let _ = open_tx.send(Ok(src.link_type()));
                    capture_loop(&mut src, &me.tx, &p);
                    me.unregister(&mut src);
                    drop(src);
                    let _ = me.tx.send(Msg::CaptureDone);
                }
                Err(e) => {
                    let _ = open_tx.send(Err(e));
                }
            }
        });
        let r = open_rx.recv().unwrap_or_else(|_| {
            Err(OpenError::Io {
                what: "the capture thread ended",
                err: std::io::Error::other(iface.to_string()),
            })
        });
        let mut s = self.state();
        s.threads.push(t);
        if r.is_ok() {
            s.progress.push(progress);
        }
        r
    }

    /// The socket is open: it gets the filter of the ports known so far.
    fn register(&self, src: &LiveSource) {
        let mut s = self.state();
        let (fd, link) = (src.raw_fd(), src.link_type());
        let _ = socket::attach_filter(fd, &program(&s.terms, link));
        s.socks.push((fd, link));
        s.running += 1;
    }

    /// The capture ended: its socket is closed next, so it leaves the list first.
    fn unregister(&self, src: &mut LiveSource) {
        let stats = src.kernel_stats().unwrap_or_default();
        let mut s = self.state();
        s.socks.retain(|&(fd, _)| fd != src.raw_fd());
        s.stats.received += stats.received;
        s.stats.dropped += stats.dropped;
        s.running -= 1;
    }

    /// Whether every capture thread has ended.
    pub(super) fn all_done(&self) -> bool {
        self.state().running == 0
    }

    /// The watermark of the packets: the earliest of the captures'.
    pub(super) fn mark(&self, now: u64) -> u64 {
        let s = self.state();
        s.progress.iter().map(|p| mark(p, now)).min().unwrap_or(now)
    }

    /// The kernel's counts over every capture, once they ended.
    pub(super) fn stats(&self) -> KernelStats {
        self.state().stats
    }

    /// Waits for the capture threads (after the stop flag is set).
    pub(super) fn join(&self) {
        let threads = std::mem::take(&mut self.state().threads);
        for t in threads {
            let _ = t.join();
        }
    }

    /// A traced socket's addresses changed: its ports join the filter, and its interface is
    /// captured on when it is not loopback. Called by the tracer while the thread is stopped.
    pub(super) fn learn(self: &Arc<Self>, sock: &Sock) {
        let add = terms(sock);
        {
            let mut s = self.state();
            let before = s.terms.len();
            s.terms.extend(add);
            if s.terms.len() != before {
                let mut compiled: Vec<(LinkType, Vec<SockFilter>)> = Vec::new();
                for i in 0..s.socks.len() {
                    let (fd, link) = s.socks[i];
                    if !compiled.iter().any(|(l, _)| *l == link) {
                        compiled.push((link, program(&s.terms, link)));
                    }
                    if let Some((_, p)) = compiled.iter().find(|(l, _)| *l == link) {
                        let _ = socket::attach_filter(fd, p);
                    }
                }
            }
        }
        // A wildcard address (0.0.0.0, ::) takes connections and datagrams on every interface:
        // capture on each interface that has an address now, while the thread is stopped at
        // its bind, so that the first SYN from another host is seen, not only the packets after
        // an accept names the interface.
        if let Some(l) = sock.local_ip().filter(|l| l.ip().is_unspecified()) {
            for name in interfaces_for(l.ip()) {
                let seen = self.state().ifaces.contains(&name);
                if !seen && let Err(e) = self.open(&name) {
                    super::out::warn(format!("cannot capture on {name}: {e}"));
                }
            }
        }
        // The local address, or for a connect or sendto not bound yet the address the kernel
        // will pick: the source address of the route to the destination.
        let local = sock
            .local_ip()
            .map(|a| a.ip())
            .filter(|ip| !ip.is_unspecified())
            .or_else(|| sock.remote_ip().and_then(route_source));
        let Some(ip) = local.map(|ip| ip.to_canonical()) else {
            return;
        };
        if ip.is_loopback() || ip.is_unspecified() || !self.state().addrs.insert(ip) {
            return;
        }
        let Some(name) = interface_of(ip) else {
            return;
        };
        let seen = self.state().ifaces.contains(&name);
        if !seen && let Err(e) = self.open(&name) {
            super::out::warn(format!("cannot capture on {name}: {e}"));
        }
    }
}

/// The filter terms of one traced socket: its local port, and the address it connects or
/// sends to.
fn terms(s: &Sock) -> Vec<String> {
    let proto = if s.datagram { "udp" } else { "tcp" };
    let mut v = Vec::new();
    if let Some(l) = s.local_ip() {
        v.push(format!("{proto} port {}", l.port()));
    }
    if let Some(r) = s.remote_ip() {
        v.push(format!(
            "({proto} and host {} and port {})",
            r.ip().to_canonical(),
            r.port()
        ));
    }
    v
}

/// The socket filter for `terms` on a `link` socket: reject-all while there are none, every
/// TCP and UDP packet when they do not fit in one program.
fn program(terms: &BTreeSet<String>, link: LinkType) -> Vec<SockFilter> {
    if terms.is_empty() {
        return REJECT_ALL.to_vec();
    }
    let expr = terms.iter().cloned().collect::<Vec<_>>().join(" or ");
    let compile = |e: &str| {
        Filter::parse(e)
            .ok()
            .and_then(|f| bpf::compile(&f, link))
            .filter(|p| p.len() <= BPF_MAXINSNS)
    };
    compile(&expr)
        .or_else(|| compile(ALL_PORTS))
        .map_or_else(|| REJECT_ALL.to_vec(), |p| sock_filter(&p))
}

/// The address this machine sends from to reach `to` (the route's source address), found by
/// connecting a UDP socket, which sends nothing.
fn route_source(to: SocketAddr) -> Option<IpAddr> {
    let to = SocketAddr::new(to.ip().to_canonical(), to.port());
    if to.ip().is_loopback() || to.ip().is_unspecified() {
        return None;
    }
    let any: SocketAddr = if to.is_ipv4() {
        "0.0.0.0:0".parse().ok()?
    } else {
        "[::]:0".parse().ok()?
    };
    let s = UdpSocket::bind(any).ok()?;
    s.connect(to).ok()?;
    Some(s.local_addr().ok()?.ip())
}

/// The interfaces a socket bound to the wildcard address `any` can be reached on: each one with
/// an address other than loopback, of the same family (`::` also takes IPv4 unless the socket
/// is IPV6_V6ONLY, which the tracer does not know, so both families count for it).
fn interfaces_for(any: IpAddr) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in crate::sys::ifaddrs::all().unwrap_or_default() {
        let fits = any.is_ipv6() || a.addr.is_ipv4();
        if fits && !a.addr.is_loopback() && !names.contains(&a.name) {
            names.push(a.name);
        }
    }
    names
}

/// The interface holding the address `ip`.
fn interface_of(ip: IpAddr) -> Option<String> {
    crate::sys::ifaddrs::all()?
        .into_iter()
        .find(|a| a.addr == ip)
        .map(|a| a.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::sockcalls::Addr;

    fn sock(datagram: bool, local: Option<&str>, remote: Option<&str>) -> Sock {
        let a = |s: &str| Addr::Ip(s.parse().unwrap());
        Sock {
            family: libc::AF_INET,
            datagram,
            local: local.map(a),
            remote: remote.map(a),
            ..Sock::default()
        }
    }

    #[test]
    fn a_socket_gives_its_port_and_its_peer() {
        assert_eq!(
            terms(&sock(false, Some("0.0.0.0:7007"), None)),
            ["tcp port 7007"]
        );
        assert_eq!(
            terms(&sock(true, Some("127.0.0.1:0"), Some("[::1]:53"))),
            ["(udp and host ::1 and port 53)"]
        );
    }

    #[test]
    fn the_terms_compile_to_one_program() {
        let mut t = BTreeSet::new();
        assert_eq!(program(&t, LinkType::ETHERNET).len(), 1);
        t.extend(terms(&sock(
            false,
            Some("127.0.0.1:40000"),
            Some("127.0.0.1:7007"),
        )));
        t.extend(terms(&sock(true, Some("[::]:5353"), None)));
        let p = program(&t, LinkType::ETHERNET);
        assert!(p.len() > 10, "{}", p.len());
        // Thousands of ports do not fit: every TCP and UDP packet then.
        let many: BTreeSet<String> = (1..3000).map(|p| format!("tcp port {p}")).collect();
        let all = Filter::parse(ALL_PORTS).unwrap();
        let want = sock_filter(&bpf::compile(&all, LinkType::ETHERNET).unwrap());
        let got = program(&many, LinkType::ETHERNET);
        assert_eq!(got.len(), want.len());
    }
}
