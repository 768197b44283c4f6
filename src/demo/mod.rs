//! Bundled client/server demos (`sockscope demo <name> [server|client]`): short, commented Rust
//! counterparts of the programs in the classic socket tutorials, each narrating its socket calls
//! so they can be matched with the packets they cause.
//!
//! This file holds what the demos share: the server configuration, the narrated `socket()`,
//! `bind()`, `listen()`, `connect()`, `recv()`, `sendall()`, `shutdown()` and `close()`, an
//! accept loop that notices Ctrl-C, the kinds of teardown, and errno names.
//!
//! For programs (the lesson runner), every server is used the same way: `bind` it (this picks
//! the port when the configuration says 0), read [`Serve::local_addr`], then [`Serve::run`] it in
//! a thread (or use [`spawn`], or [`spawn_watched`] to read the counts while it runs). Setting
//! the stop flag makes `run` return soon: first it still serves what has already arrived (the
//! connections waiting in the listen backlog, the bytes, FINs and RSTs waiting in its sockets,
//! for at most [`DRAIN`]), so a server stopped right after its last client finished still
//! reports complete statistics. That is best effort (the kernel may process a loopback packet a
//! little after the sender's call returned); a program that needs exact counts waits for them
//! with [`Counters::wait_for`] before setting the flag.

pub mod http;
pub mod narrate;
pub mod nonblocking;
pub mod tcp_echo;
pub mod threaded;
pub mod udp_upper;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

pub use narrate::{Narrator, Transcript};

use crate::sys::errno;
use crate::track::calls::Proto;

/// How often blocked servers look at their stop flag (accept and recv wake up this often).
pub const POLL: Duration = Duration::from_millis(100);

/// After the stop flag is set, a server goes on serving what has already arrived for at most this
/// long (a client that keeps sending cannot keep a stopped server alive).
pub const DRAIN: Duration = Duration::from_secs(1);

/// How long a client waits for the handshake before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a server waits for a client to take the bytes it sends before dropping it, so a
/// client that never reads cannot hang a server thread forever.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a client ends its TCP connection (`--teardown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Teardown {
    /// close(): the kernel sends FIN after any queued data; the peer's recv returns 0 (end of
    /// stream). The usual, orderly way.
    #[default]
    Fin,
    /// SO_LINGER {on, 0 s} then close(): the kernel throws away queued data and sends RST; the
    /// peer's next recv fails with ECONNRESET. The abortive way.
    Rst,
    /// shutdown(SHUT_WR) once everything is sent: our FIN goes out, but we keep reading until the
    /// server has sent all it has and closes its side too.
    HalfClose,
}

/// Where and how a demo server listens.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to bind; port 0 lets the kernel pick a free port.
    pub addr: SocketAddr,
    /// The `listen()` backlog: how many finished handshakes may wait for `accept()`.
    pub backlog: i32,
    /// Stop after this many clients (TCP) or datagrams (UDP); `None` serves until stopped.
    pub max_clients: Option<u64>,
}

impl ServerConfig {
    /// A configuration for `addr` with the classic `listen(5)` and no client limit.
    pub fn new(addr: SocketAddr) -> Self {
        ServerConfig {
            addr,
            backlog: 5,
            max_clients: None,
        }
    }
}

/// What a server did, returned by [`Serve::run`] (handy for tests and lesson summaries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Connections accepted (TCP) or datagrams received (UDP).
    pub clients: u64,
    /// Bytes received from clients.
    pub bytes_in: u64,
    /// Bytes sent to clients.
    pub bytes_out: u64,
    /// Connections that ended with an RST from the client (recv failed with ECONNRESET).
    pub resets: u64,
    /// Clients turned away because the server was at its limit.
    pub refused: u64,
    /// Malformed or oversized requests answered with an error status (HTTP).
    pub bad_requests: u64,
}

/// Counters a server's threads update; [`Counters::snapshot`] gives the [`ServeStats`], also
/// while the server runs (see [`spawn_watched`]).
#[derive(Default, Debug)]
pub struct Counters {
    clients: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    resets: AtomicU64,
    refused: AtomicU64,
    bad_requests: AtomicU64,
    /// When one of the server's threads first noticed the stop flag: the drain starts then.
    stopped_at: OnceLock<Instant>,
}

impl Counters {
    fn add(field: &AtomicU64, n: u64) {
        field.fetch_add(n, Ordering::Relaxed);
    }
    /// The counts so far.
    pub fn snapshot(&self) -> ServeStats {
        let get = |f: &AtomicU64| f.load(Ordering::Relaxed);
        ServeStats {
            clients: get(&self.clients),
            bytes_in: get(&self.bytes_in),
            bytes_out: get(&self.bytes_out),
            resets: get(&self.resets),
            refused: get(&self.refused),
            bad_requests: get(&self.bad_requests),
        }
    }

    /// Waits until the counts satisfy `done` (checking every few milliseconds), for at most
    /// `limit`. `Ok` with the counts that satisfied it, or `Err` with the last counts seen.
    pub fn wait_for(
        &self,
        limit: Duration,
        done: impl Fn(&ServeStats) -> bool,
    ) -> Result<ServeStats, ServeStats> {
        let deadline = Instant::now() + limit;
        loop {
            let now = self.snapshot();
            if done(&now) {
                return Ok(now);
            }
            if Instant::now() >= deadline {
                return Err(now);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Called once the stop flag is seen: whether the server may still serve what has already
    /// arrived (for [`DRAIN`] after any of its threads first saw the flag).
    pub(crate) fn may_drain(&self) -> bool {
        self.stopped_at.get_or_init(Instant::now).elapsed() < DRAIN
    }
}

/// A bound demo server, ready to run.
pub trait Serve: Send + Sized + 'static {
    /// The address actually bound (with the kernel's port when the configuration said 0).
    fn local_addr(&self) -> SocketAddr;
    /// Serves until `stop` is set (then drains, see the module documentation), the client limit
    /// is reached, or a fatal error, counting in `counters` as it goes.
    fn serve(self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats>;
    /// [`Serve::serve`] with counters of its own.
    fn run(self, stop: Arc<AtomicBool>) -> io::Result<ServeStats> {
        self.serve(stop, Arc::default())
    }
}

/// Runs a bound server in a new thread; returns its address and the thread's handle.
pub fn spawn<S: Serve>(
    server: S,
    stop: Arc<AtomicBool>,
) -> (SocketAddr, JoinHandle<io::Result<ServeStats>>) {
    let addr = server.local_addr();
    (addr, std::thread::spawn(move || server.run(stop)))
}

/// A server running in its own thread (see [`spawn_watched`]).
pub struct Watched {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its counts, readable while it runs ([`Counters::snapshot`], [`Counters::wait_for`]).
    pub counters: Arc<Counters>,
    /// The thread; it returns the final counts.
    pub handle: JoinHandle<io::Result<ServeStats>>,
}

/// [`spawn`], keeping a handle on the counters so they can be read (or waited for) while the
/// server runs: e.g. wait until it has seen every client, then set the stop flag.
pub fn spawn_watched<S: Serve>(server: S, stop: Arc<AtomicBool>) -> Watched {
    let addr = server.local_addr();
    let counters = Arc::new(Counters::default());
    let c = Arc::clone(&counters);
    Watched {
        addr,
        counters,
        handle: std::thread::spawn(move || server.serve(stop, c)),
    }
}

/// A flag that SIGINT (Ctrl-C) and SIGTERM set. A second Ctrl-C ends the process at once.
pub fn stop_on_signals() -> io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Order matters: the conditional shutdown sees the flag as it was before this signal.
        flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))?;
        flag::register(sig, Arc::clone(&stop))?;
    }
    Ok(stop)
}

/// The address family constant a socket for `addr` is created with.
pub fn family(addr: &SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "AF_INET"
    } else {
        "AF_INET6"
    }
}

/// errno → (name, what it usually means in these demos).
const ERRNOS: &[(i32, &str, &str)] = &[
    (errno::ECONNRESET, "ECONNRESET", "the peer sent RST"),
    (
        errno::ECONNREFUSED,
        "ECONNREFUSED",
        "nothing listens there (a SYN is answered by RST, a datagram by ICMP port unreachable)",
    ),
    (
        errno::EPIPE,
        "EPIPE",
        "we wrote after the connection was closed",
    ),
    (errno::ETIMEDOUT, "ETIMEDOUT", "no answer in time"),
    (
        errno::EADDRINUSE,
        "EADDRINUSE",
        "another socket already has this address: choose another --port, or 0 for any free one",
    ),
    (
        errno::EADDRNOTAVAIL,
        "EADDRNOTAVAIL",
        "this machine has no such address: use 127.0.0.1 or ::1",
    ),
    (
        errno::EAFNOSUPPORT,
        "EAFNOSUPPORT",
        "this address family is not available here (IPv6 disabled?)",
    ),
    (
        errno::ENETUNREACH,
        "ENETUNREACH",
        "no route to that network",
    ),
    (errno::EHOSTUNREACH, "EHOSTUNREACH", "no route to that host"),
    (errno::EMFILE, "EMFILE", "out of file descriptors"),
];

/// A one-line description of a socket error with its errno name and meaning, e.g.
/// `ECONNRESET (Connection reset by peer: the peer sent RST)`.
pub fn describe(e: &io::Error) -> String {
    let code = e.raw_os_error();
    match ERRNOS.iter().find(|(c, _, _)| Some(*c) == code) {
        Some((_, name, meaning)) => {
            let text = io::Error::from_raw_os_error(code.unwrap_or(0)).to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            format!("{name} ({text}: {meaning})")
        }
        None => e.to_string(),
    }
}

/// Narrated `socket()`: a TCP or UDP socket of the family `addr` needs.
pub fn new_socket(addr: &SocketAddr, ty: Type, n: &Narrator) -> io::Result<Socket> {
    let (tname, proto) = if ty == Type::DGRAM {
        ("SOCK_DGRAM", Protocol::UDP)
    } else {
        ("SOCK_STREAM", Protocol::TCP)
    };
    n.say(format_args!("socket({}, {tname})", family(addr)));
    let c = n
        .call("socket", None, format_args!("{}, {tname}", family(addr)))
        .kind(
            Proto::of_ip(ty == Type::DGRAM),
            crate::track::calls::Family::of(addr),
        )
        .enter();
    // socket() only creates the kernel object: nothing goes on the wire yet.
    let r = Socket::new(Domain::for_address(*addr), ty, Some(proto));
    c.done(r.as_ref().map(|s| s.as_raw_fd().into()), None);
    r.inspect_err(|e| {
        n.say(format_args!("socket failed: {}", describe(e)));
    })
}

/// A narrated call's result as [`narrate::Call::done`] takes it: 0 on success.
fn zero<T>(r: &io::Result<T>) -> Result<i64, &io::Error> {
    r.as_ref().map(|_| 0)
}

/// Narrated `bind()`, with the options every demo server sets first: SO_REUSEADDR (so a
/// restarted server can bind while old connections sit in TIME_WAIT) and, for IPv6,
/// IPV6_V6ONLY (so `::` does not also take the IPv4 port). Returns the bound address.
pub fn bind_socket(sock: &Socket, addr: &SocketAddr, n: &Narrator) -> io::Result<SocketAddr> {
    n.say("setsockopt(SO_REUSEADDR, 1)");
    let fd = Some(sock.as_raw_fd());
    let c = n.call("setsockopt", fd, "SO_REUSEADDR, 1").enter();
    let r = sock.set_reuse_address(true);
    c.done(zero(&r), None);
    r?;
    if addr.is_ipv6() {
        n.say("setsockopt(IPV6_V6ONLY, 1)");
        sock.set_only_v6(true)?;
    }
    // bind() claims the local address and port; still nothing on the wire.
    let c = n.call("bind", fd, addr).addrs(Some(*addr), None).enter();
    let r = sock.bind(&(*addr).into());
    c.done(zero(&r), None);
    if let Err(e) = r {
        n.say(format_args!("bind {addr} failed: {}", describe(&e)));
        return Err(e);
    }
    let bound = sock
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("bound address is not an IP address"))?;
    if addr.port() == 0 {
        n.say(format_args!("bind {addr} -> kernel chose {bound}"));
    } else {
        n.say(format_args!("bind {bound}"));
    }
    Ok(bound)
}

/// Narrated `socket()`, `bind()`, `listen()`: a TCP listener, non-blocking so that the accept
/// loop can notice the stop flag.
pub fn tcp_listener(cfg: &ServerConfig, n: &Narrator) -> io::Result<TcpListener> {
    let sock = new_socket(&cfg.addr, Type::STREAM, n)?;
    bind_socket(&sock, &cfg.addr, n)?;
    // listen() turns the socket passive: from now on the kernel answers SYNs to this port with
    // SYN-ACK by itself and queues finished handshakes (up to the backlog) for accept().
    n.say(format_args!("listen backlog={}", cfg.backlog));
    let c = n
        .call("listen", Some(sock.as_raw_fd()), cfg.backlog)
        .addrs(sock.local_addr()?.as_socket(), None)
        .enter();
    let r = sock.listen(cfg.backlog);
    c.done(zero(&r), None);
    r?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

/// Waits until `fd` is readable or `timeout` passes; `Ok(true)` when readable (an interrupted
/// wait counts as not readable).
pub(crate) fn wait_readable(fd: &impl AsRawFd, timeout: Duration) -> io::Result<bool> {
    match crate::sys::fd::wait_readable(fd, timeout) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
        r => r,
    }
}

/// The accept loop's iterator: yields accepted connections until the client budget
/// (`--max-clients`) is spent, or the stop flag is set and no connection is waiting any more
/// (or [`DRAIN`] has passed). Transient accept errors are narrated, not fatal.
pub struct Acceptor<'a> {
    listener: &'a TcpListener,
    n: &'a Narrator,
    stop: &'a AtomicBool,
    remaining: Option<u64>,
    /// Set when the stop flag is first seen: until then, the connections already queued in
    /// the backlog are still accepted.
    drain_until: Option<Instant>,
}

impl<'a> Acceptor<'a> {
    /// An accept loop over `listener` (which [`tcp_listener`] made non-blocking).
    pub fn new(
        listener: &'a TcpListener,
        n: &'a Narrator,
        stop: &'a AtomicBool,
        max_clients: Option<u64>,
    ) -> Self {
        Acceptor {
            listener,
            n,
            stop,
            remaining: max_clients,
            drain_until: None,
        }
    }

    /// Whether the stop flag is set: then the loop only takes what is already queued.
    fn stopping(&mut self) -> bool {
        if self.drain_until.is_none() && self.stop.load(Ordering::Relaxed) {
            self.drain_until = Some(Instant::now() + DRAIN);
        }
        self.drain_until.is_some()
    }

    /// The next connection, as a blocking stream with [`POLL`] read timeouts (so handlers can
    /// notice the stop flag too) and a [`WRITE_TIMEOUT`]. `None` when the loop should end.
    pub fn next_client(&mut self) -> Option<(TcpStream, SocketAddr)> {
        loop {
            // Look at the flag before accept(): once stopping, an empty queue ends the loop.
            let stopping = self.stopping();
            if self.remaining == Some(0) || self.drain_until.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            // accept() takes a connection whose handshake the kernel already finished
            // (SYN, SYN-ACK, ACK all happened before this call returns).
            // Non-blocking: an attempt that finds nothing (EAGAIN) is not recorded.
            let lfd = self.listener.as_raw_fd();
            let c = self.n.call("accept4", Some(lfd), lfd);
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    c.addrs(stream.local_addr().ok(), Some(peer))
                        .done(Ok(stream.as_raw_fd().into()), None);
                    self.n.say(format_args!("accept -> {peer}"));
                    if let Some(r) = &mut self.remaining {
                        *r -= 1;
                    }
                    let setup = stream
                        .set_nonblocking(false)
                        .and_then(|()| stream.set_read_timeout(Some(POLL)))
                        .and_then(|()| stream.set_write_timeout(Some(WRITE_TIMEOUT)));
                    if let Err(e) = setup {
                        self.n.say(format_args!("setup failed: {}", describe(&e)));
                        continue;
                    }
                    return Some((stream, peer));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && stopping => return None,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Nobody waiting: sleep in poll() until a connection is queued or POLL passes.
                    if let Err(e) = wait_readable(self.listener, POLL) {
                        self.n.say(format_args!("poll failed: {}", describe(&e)));
                        std::thread::sleep(POLL);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if stopping {
                        self.n.say(format_args!("accept failed: {}", describe(&e)));
                        return None;
                    }
                    // E.g. ECONNABORTED (the client gave up before we accepted) or EMFILE: say so,
                    // breathe, and keep serving.
                    self.n.say(format_args!("accept failed: {}", describe(&e)));
                    std::thread::sleep(POLL);
                }
            }
        }
    }
}

/// Whether a read error only means "nothing yet": a timeout (EAGAIN from SO_RCVTIMEO or a
/// non-blocking socket) or a signal (EINTR). Anything else is a real error.
pub(crate) fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// The result of a server-side read that also watches the stop flag and a deadline.
#[derive(Debug, PartialEq, Eq)]
pub enum Polled {
    /// This many bytes arrived (0: the peer sent FIN, end of stream).
    Data(usize),
    /// The stop flag was set.
    Stopped,
    /// The deadline passed with no data.
    TimedOut,
}

/// Narrated `recv()` on a stream with [`POLL`] read timeouts: retries quietly until data, end of
/// stream, an error, the stop flag or `deadline`. An ECONNRESET is counted in `counters`.
///
/// Once the stop flag is set, what has already arrived (data, FIN, RST) is still returned, for
/// at most [`DRAIN`]; `Stopped` comes when nothing more is waiting.
pub fn recv_polled(
    stream: &mut TcpStream,
    buf: &mut [u8],
    n: &Narrator,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    counters: &Counters,
) -> io::Result<Polled> {
    loop {
        if stop.load(Ordering::Relaxed)
            && !(counters.may_drain() && wait_readable(stream, Duration::ZERO)?)
        {
            return Ok(Polled::Stopped);
        }
        // Reads time out every POLL: only the attempt that returns something is recorded.
        let c = recv_call(stream, n);
        match stream.read(buf) {
            Ok(len) => {
                c.done(Ok(len as i64), Some(&buf[..len]));
                narrate_recv(len, n);
                Counters::add(&counters.bytes_in, len as u64);
                return Ok(Polled::Data(len));
            }
            Err(e) if is_retry(&e) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(Polled::TimedOut);
                }
            }
            Err(e) => {
                c.done(Err(&e), None);
                if e.raw_os_error() == Some(errno::ECONNRESET) {
                    Counters::add(&counters.resets, 1);
                }
                n.say(format_args!("recv failed: {}", describe(&e)));
                return Err(e);
            }
        }
    }
}

/// A recorded call on a connected socket (not yet entered), with the socket's local and
/// remote addresses. The addresses are read before the enter stamp is taken.
pub(crate) fn socket_call<S: std::os::fd::AsFd + AsRawFd>(
    sock: &S,
    n: &Narrator,
    call: &'static str,
    args: impl std::fmt::Display,
) -> narrate::Call {
    let sref = SockRef::from(sock);
    let local = sref.local_addr().ok().and_then(|a| a.as_socket());
    let remote = sref.peer_addr().ok().and_then(|a| a.as_socket());
    n.call(call, Some(sock.as_raw_fd()), args)
        .addrs(local, remote)
}

/// The recorded `recvfrom` of a stream (not yet entered).
pub(crate) fn recv_call<S: std::os::fd::AsFd + AsRawFd>(stream: &S, n: &Narrator) -> narrate::Call {
    socket_call(stream, n, "recvfrom", stream.as_raw_fd())
}

fn narrate_recv(len: usize, n: &Narrator) {
    if len == 0 {
        n.say("recv 0 bytes (end of stream: the peer sent FIN)");
    } else {
        n.say(format_args!("recv {len} bytes"));
    }
}

/// Narrated blocking `recv()` for clients.
pub fn recv(stream: &mut TcpStream, buf: &mut [u8], n: &Narrator) -> io::Result<usize> {
    loop {
        let c = recv_call(stream, n).enter();
        match stream.read(buf) {
            Ok(len) => {
                c.done(Ok(len as i64), Some(&buf[..len]));
                narrate_recv(len, n);
                return Ok(len);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => c.done(Err(&e), None),
            Err(e) => {
                c.done(Err(&e), None);
                n.say(format_args!("recv failed: {}", describe(&e)));
                return Err(e);
            }
        }
    }
}

/// Narrated `sendall()`: writes every byte (the kernel may split them into several segments, or
/// merge them with others; TCP keeps no message boundaries).
pub fn send_all(stream: &mut TcpStream, data: &[u8], n: &Narrator) -> io::Result<()> {
    n.say(format_args!("sendall {} bytes", data.len()));
    let c = send_call(stream, data.len(), n).enter();
    let r = stream.write_all(data);
    c.done(r.as_ref().map(|()| data.len() as i64), Some(data));
    r.inspect_err(|e| {
        n.say(format_args!("send failed: {}", describe(e)));
    })
}

/// The recorded `sendto` of `len` bytes on a stream (not yet entered).
pub(crate) fn send_call<S: std::os::fd::AsFd + AsRawFd>(
    stream: &S,
    len: usize,
    n: &Narrator,
) -> narrate::Call {
    let fd = stream.as_raw_fd();
    socket_call(stream, n, "sendto", format_args!("{fd}, {len} bytes"))
}

/// [`send_all`] that also counts the bytes in `counters`.
pub(crate) fn send_counted(
    stream: &mut TcpStream,
    data: &[u8],
    n: &Narrator,
    counters: &Counters,
) -> io::Result<()> {
    send_all(stream, data, n)?;
    Counters::add(&counters.bytes_out, data.len() as u64);
    Ok(())
}

/// Narrated client `socket()` + `connect()`.
pub fn connect(addr: SocketAddr, n: &Narrator) -> io::Result<TcpStream> {
    let sock = new_socket(&addr, Type::STREAM, n)?;
    // connect() sends a SYN; it returns when the SYN-ACK arrives and our ACK is sent (the
    // three-way handshake). The kernel picks our ephemeral port here.
    let fd = sock.as_raw_fd();
    let c = n
        .call("connect", Some(fd), format_args!("{fd}, {addr}"))
        .addrs(None, Some(addr))
        .enter();
    let r = sock.connect_timeout(&addr.into(), CONNECT_TIMEOUT);
    let local = sock.local_addr().ok().and_then(|a| a.as_socket());
    c.addrs(local.filter(|a| a.port() != 0), None)
        .done(zero(&r), None);
    if let Err(e) = r {
        n.say(format_args!("connect {addr} failed: {}", describe(&e)));
        return Err(e);
    }
    let stream: TcpStream = sock.into();
    n.say(format_args!(
        "connect {addr} -> local {}",
        stream.local_addr()?
    ));
    Ok(stream)
}

/// Narrated `shutdown(SHUT_WR)`: sends our FIN now, but the socket can still receive.
pub fn shutdown_write(stream: &TcpStream, n: &Narrator) -> io::Result<()> {
    n.say("shutdown(SHUT_WR) (sends FIN; we can still receive)");
    let fd = stream.as_raw_fd();
    let c = socket_call(stream, n, "shutdown", format_args!("{fd}, SHUT_WR")).enter();
    let r = stream.shutdown(Shutdown::Write);
    c.done(zero(&r), None);
    r
}

/// Narrated `close()`, the way `teardown` says: FIN (and half-close, whose FIN already went
/// out) just close; RST sets SO_LINGER to {on, 0 s} first so close() sends RST.
pub fn close(stream: TcpStream, teardown: Teardown, n: &Narrator) {
    if teardown == Teardown::Rst {
        n.say("setsockopt(SO_LINGER, on, 0s)");
        let c = n
            .call("setsockopt", Some(stream.as_raw_fd()), "SO_LINGER, on, 0s")
            .enter();
        let r = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        c.done(zero(&r), None);
        if let Err(e) = r {
            n.say(format_args!("setsockopt failed: {}", describe(&e)));
        }
        n.say("close (sends RST)");
    } else {
        n.say("close");
    }
    close_fd(stream, n);
}

/// Recorded `close()` of a socket (the last descriptor: a connected TCP socket sends FIN, or
/// RST with SO_LINGER 0).
pub fn close_fd<S: std::os::fd::AsFd + AsRawFd>(sock: S, n: &Narrator) {
    let c = socket_call(&sock, n, "close", sock.as_raw_fd()).enter();
    drop(sock);
    c.done(Ok(0), None);
}

/// `--teardown half-close` clients: after sending, shut down writing if that is the teardown.
pub fn after_sending(stream: &TcpStream, teardown: Teardown, n: &Narrator) -> io::Result<()> {
    if teardown == Teardown::HalfClose {
        shutdown_write(stream, n)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_errno_and_its_meaning() {
        let e = io::Error::from_raw_os_error(errno::ECONNRESET);
        let d = describe(&e);
        assert!(d.starts_with("ECONNRESET (Connection reset by peer"), "{d}");
        assert!(d.contains("the peer sent RST"), "{d}");
        assert_eq!(describe(&io::Error::other("boom")), "boom");
    }

    #[test]
    fn listener_on_port_zero_reports_the_chosen_port() {
        let (n, t) = Narrator::capture("server");
        let cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let l = tcp_listener(&cfg, &n).unwrap();
        let port = l.local_addr().unwrap().port();
        assert_ne!(port, 0);
        let text = t.text();
        assert!(text.contains("socket(AF_INET, SOCK_STREAM)"), "{text}");
        assert!(
            text.contains(&format!("kernel chose 127.0.0.1:{port}")),
            "{text}"
        );
        assert!(text.contains("listen backlog=5"), "{text}");
    }

    #[test]
    fn acceptor_ends_when_stopped() {
        let n = Narrator::silent();
        let l = tcp_listener(&ServerConfig::new("127.0.0.1:0".parse().unwrap()), &n).unwrap();
        let stop = AtomicBool::new(true);
        assert!(Acceptor::new(&l, &n, &stop, None).next_client().is_none());
    }

    const LONG: Duration = Duration::from_secs(30);

    /// Waits until the peer's kernel has acknowledged everything sent on `s` (TIOCOUTQ: bytes
    /// not yet acknowledged), i.e. until it sits in the peer's receive queue.
    pub(crate) fn wait_acked(s: &TcpStream) {
        let deadline = Instant::now() + LONG;
        loop {
            let queued = crate::sys::fd::unacked_bytes(s).unwrap();
            if queued == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{queued} bytes never acknowledged"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn acceptor_still_takes_queued_connections_after_stop() {
        let n = Narrator::silent();
        let l = tcp_listener(&ServerConfig::new("127.0.0.1:0".parse().unwrap()), &n).unwrap();
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        // The handshake is done and the connection waits in the backlog.
        assert!(wait_readable(&l, LONG).unwrap());
        let stop = AtomicBool::new(true);
        let mut a = Acceptor::new(&l, &n, &stop, None);
        assert!(a.next_client().is_some(), "the queued connection is served");
        assert!(a.next_client().is_none(), "then the loop ends");
    }

    #[test]
    fn recv_polled_returns_what_arrived_before_it_says_stopped() {
        let n = Narrator::silent();
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(POLL)).unwrap();
        c.write_all(b"hi").unwrap();
        wait_acked(&c);
        let (stop, counters) = (AtomicBool::new(true), Counters::default());
        let mut buf = [0u8; 16];
        let got = recv_polled(&mut s, &mut buf, &n, &stop, None, &counters).unwrap();
        assert_eq!(got, Polled::Data(2));
        let got = recv_polled(&mut s, &mut buf, &n, &stop, None, &counters).unwrap();
        assert_eq!(got, Polled::Stopped);
        assert_eq!(counters.snapshot().bytes_in, 2);
    }

    #[test]
    fn counters_can_be_waited_for() {
        let c = Counters::default();
        assert_eq!(
            c.wait_for(Duration::ZERO, |s| s.clients == 1),
            Err(c.snapshot())
        );
        Counters::add(&c.clients, 1);
        assert_eq!(c.wait_for(LONG, |s| s.clients == 1).unwrap().clients, 1);
    }
}
