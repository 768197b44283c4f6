//! `nonblocking`: one thread serving many clients, readiness-based with mio: the counterpart of
//! Python's `selectors` server. Instead of blocking in accept() or recv() on one socket, the
//! server asks the kernel (epoll on Linux) which sockets are ready, and only then calls accept(),
//! recv() or send() on those, which therefore never block.
//!
//! Replies are the `threaded` server's `[<ctime timestamp>] <data>` (not a plain echo), so the
//! same client and tests work against both. Memory is bounded: at most `max_conns` clients
//! (more are accepted and closed at once), and a client whose replies pile up (it does not read)
//! is not read from until it catches up.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::threaded::stamped;
use super::{Counters, Narrator, POLL, Serve, ServeStats, ServerConfig, describe, is_retry};
use std::os::fd::AsRawFd;

pub use super::tcp_echo::{LineClient, client};

/// The default bound on simultaneous clients.
pub const MAX_CONNS: usize = 1024;

/// Stop reading from a client once this many reply bytes wait for it.
const OUT_LIMIT: usize = 64 * 1024;

/// The listening socket's token; clients get 1, 2, 3...
const LISTENER: Token = Token(0);

/// A bound non-blocking server; [`Serve::run`] it.
pub struct NonblockingServer {
    listener: TcpListener,
    addr: SocketAddr,
    max_clients: Option<u64>,
    max_conns: usize,
    n: Narrator,
}

/// Creates, binds and listens (narrated); at most `max_conns` clients are connected at once.
pub fn bind(cfg: &ServerConfig, max_conns: usize, n: Narrator) -> io::Result<NonblockingServer> {
    let std_listener = super::tcp_listener(cfg, &n)?;
    let addr = std_listener.local_addr()?;
    Ok(NonblockingServer {
        listener: TcpListener::from_std(std_listener),
        addr,
        max_clients: cfg.max_clients,
        max_conns: max_conns.max(1),
        n,
    })
}

/// One client's state: its socket, the replies not yet sent, and whether it sent its FIN.
struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    peer_closed: bool,
    n: Narrator,
}

impl Serve for NonblockingServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(mut self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats> {
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(256);
        // Register interest: "tell me when the listening socket has a connection to accept".
        poll.registry()
            .register(&mut self.listener, LISTENER, Interest::READABLE)?;
        let mut conns: HashMap<Token, Conn> = HashMap::new();
        let mut next = 1usize;
        let mut accepting = true;
        let mut draining = false;
        while accepting || !conns.is_empty() {
            if stop.load(Ordering::Relaxed) {
                // Stopping: serve what is ready now (queued connections, data, FINs, RSTs)
                // without waiting for more, then end.
                if !counters.may_drain() {
                    break;
                }
                draining = true;
            }
            // poll() is the one place this thread blocks: until some socket is ready, or POLL
            // passes so we can look at the stop flag.
            let wait = if draining { Duration::ZERO } else { POLL };
            // Only a wait that finds sockets ready is recorded (the others only timed out).
            let c = self
                .n
                .call("epoll_wait", None, format_args!("{} ms", wait.as_millis()));
            if let Err(e) = poll.poll(&mut events, Some(wait)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                c.done(Err(&e), None);
                return Err(e);
            }
            if !events.is_empty() {
                c.done(Ok(events.iter().count() as i64), None);
            }
            if events.is_empty() && draining {
                break;
            }
            if !events.is_empty() {
                self.n
                    .say(format_args!("poll -> {} ready", events.iter().count()));
            }
            for event in events.iter() {
                if event.token() == LISTENER {
                    accepting = self.accept_all(&poll, &mut conns, &mut next, &counters)?;
                    continue;
                }
                let token = event.token();
                let Some(conn) = conns.get_mut(&token) else {
                    continue;
                };
                if service(conn, &counters) {
                    let conn = conns.remove(&token).expect("present");
                    conn.n.say("close");
                    // Our FIN goes out.
                    super::close_fd(conn.stream, &conn.n);
                } else {
                    // Readable while replies fit; writable while replies wait.
                    let mut interest = Interest::READABLE;
                    if conn.out.len() >= OUT_LIMIT || conn.peer_closed {
                        interest = Interest::WRITABLE;
                    } else if !conn.out.is_empty() {
                        interest = interest.add(Interest::WRITABLE);
                    }
                    poll.registry()
                        .reregister(&mut conn.stream, token, interest)?;
                }
            }
        }
        if !conns.is_empty() {
            self.n
                .say(format_args!("close {} client sockets", conns.len()));
        }
        for (_, conn) in conns {
            super::close_fd(conn.stream, &conn.n);
        }
        // Closing the listening socket: new SYNs to this port now get RST.
        self.n.say("close (listening socket)");
        super::close_fd(self.listener, &self.n);
        Ok(counters.snapshot())
    }
}

impl NonblockingServer {
    /// Accepts every queued connection; returns whether to keep accepting (the client budget).
    fn accept_all(
        &mut self,
        poll: &Poll,
        conns: &mut HashMap<Token, Conn>,
        next: &mut usize,
        counters: &Counters,
    ) -> io::Result<bool> {
        loop {
            if self.max_clients == Some(counters.snapshot().clients) {
                poll.registry().deregister(&mut self.listener)?;
                return Ok(false);
            }
            // Readiness said a connection is queued, so this accept() does not block. The
            // attempt that finds the queue empty (EAGAIN) is not recorded.
            let lfd = self.listener.as_raw_fd();
            let c = self.n.call("accept4", Some(lfd), lfd);
            let (mut stream, peer) = match self.listener.accept() {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    c.done(Err(&e), None);
                    self.n.say(format_args!("accept failed: {}", describe(&e)));
                    return Ok(true);
                }
            };
            c.addrs(stream.local_addr().ok(), Some(peer))
                .done(Ok(stream.as_raw_fd().into()), None);
            self.n.say(format_args!("accept -> {peer}"));
            Counters::add(&counters.clients, 1);
            if conns.len() >= self.max_conns {
                self.n.say(format_args!(
                    "busy ({} clients): close {peer} at once",
                    conns.len()
                ));
                Counters::add(&counters.refused, 1);
                super::close_fd(stream, &self.n);
                continue;
            }
            let token = Token(*next);
            *next += 1;
            poll.registry()
                .register(&mut stream, token, Interest::READABLE)?;
            let n = self.n.with_role(&format!("{}[{}]", self.n.role(), token.0));
            conns.insert(
                token,
                Conn {
                    stream,
                    out: Vec::new(),
                    peer_closed: false,
                    n,
                },
            );
        }
    }
}

/// Reads what is ready, queues the replies, sends what the socket takes. Returns true when the
/// connection is finished (the client closed and got everything, or an error).
fn service(conn: &mut Conn, counters: &Counters) -> bool {
    let mut buf = [0u8; 4096];
    // Readiness is edge-triggered: read until WouldBlock, or the next poll() will not tell again.
    while !conn.peer_closed && conn.out.len() < OUT_LIMIT {
        // The read that finds nothing more (EAGAIN) is not recorded.
        let c = super::recv_call(&conn.stream, &conn.n);
        let r = conn.stream.read(&mut buf);
        match &r {
            Ok(len) => c.done(Ok(*len as i64), Some(&buf[..*len])),
            Err(e) if is_retry(e) => {}
            Err(e) => c.done(Err(e), None),
        }
        match r {
            Ok(0) => {
                super::narrate_recv(0, &conn.n);
                conn.peer_closed = true;
            }
            Ok(len) => {
                super::narrate_recv(len, &conn.n);
                Counters::add(&counters.bytes_in, len as u64);
                conn.out.extend_from_slice(&stamped(&buf[..len]));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if e.raw_os_error() == Some(crate::sys::errno::ECONNRESET) {
                    Counters::add(&counters.resets, 1);
                }
                conn.n.say(format_args!("recv failed: {}", describe(&e)));
                return true;
            }
        }
    }
    // send() takes what fits in the socket's send buffer; the rest waits for "writable".
    while !conn.out.is_empty() {
        let c = super::send_call(&conn.stream, conn.out.len(), &conn.n);
        let r = conn.stream.write(&conn.out);
        match &r {
            Ok(sent) => c.done(Ok(*sent as i64), Some(&conn.out[..*sent])),
            Err(e) if is_retry(e) => {}
            Err(e) => c.done(Err(e), None),
        }
        match r {
            Ok(sent) => {
                conn.n.say(format_args!("send {sent} bytes"));
                Counters::add(&counters.bytes_out, sent as u64);
                conn.out.drain(..sent);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                conn.n.say(format_args!("send failed: {}", describe(&e)));
                return true;
            }
        }
    }
    conn.peer_closed && conn.out.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Teardown, spawn};

    #[test]
    fn serves_interleaved_clients_from_one_thread() {
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.max_clients = Some(2);
        let (n, t) = Narrator::capture("server");
        let (addr, h) = spawn(bind(&cfg, 8, n).unwrap(), Arc::default());
        let q = Narrator::silent();
        let mut a = LineClient::connect(addr, q.clone()).unwrap();
        let mut b = LineClient::connect(addr, q.clone()).unwrap();
        assert!(a.exchange("a1").unwrap().ends_with("] a1"));
        assert!(b.exchange("b1").unwrap().ends_with("] b1"));
        assert!(a.exchange("a2").unwrap().ends_with("] a2"));
        a.finish(Teardown::Fin).unwrap();
        b.finish(Teardown::Rst).unwrap();
        let stats = h.join().unwrap().unwrap();
        assert_eq!((stats.clients, stats.resets), (2, 1));
        assert!(t.text().contains("server[2]: recv 3 bytes"), "{}", t.text());
    }

    #[test]
    fn records_its_calls_as_timed_events() {
        use crate::track::calls::{Phase, Proto};
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = Arc::clone(&got);
        let n = Narrator::silent()
            .with_role("server")
            .with_calls(Arc::new(move |e| keep.lock().unwrap().push(e)));
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.max_clients = Some(1);
        let (addr, h) = spawn(bind(&cfg, 8, n).unwrap(), Arc::default());
        let mut a = LineClient::connect(addr, Narrator::silent()).unwrap();
        assert!(a.exchange("hi").unwrap().ends_with("] hi"));
        a.finish(Teardown::Fin).unwrap();
        h.join().unwrap().unwrap();
        let evs = got.lock().unwrap();
        for call in ["epoll_wait", "accept4", "recvfrom", "sendto", "close"] {
            let of: Vec<_> = evs.iter().filter(|e| e.call == call).collect();
            assert!(of.len() >= 2, "{call}: {evs:#?}");
            // Each enter is followed by its return, stamped no earlier.
            for pair in of.chunks(2) {
                assert_eq!(
                    (pair[0].phase, pair[1].phase),
                    (Phase::Enter, Phase::Return)
                );
                assert!(pair[0].ts_ns <= pair[1].ts_ns);
            }
            if call != "epoll_wait" {
                assert!(of.iter().all(|e| e.proto == Some(Proto::Tcp)), "{of:#?}");
            }
        }
        let eof = evs
            .iter()
            .find(|e| e.call == "recvfrom" && e.result == Some(0));
        assert!(
            eof.is_some(),
            "the client's FIN is read as 0 bytes: {evs:#?}"
        );
    }

    #[test]
    fn refuses_beyond_max_conns() {
        let cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, h) = spawn(bind(&cfg, 1, Narrator::silent()).unwrap(), stop.clone());
        let q = Narrator::silent();
        let mut a = LineClient::connect(addr, q.clone()).unwrap();
        assert!(a.exchange("a").unwrap().ends_with("] a"));
        let mut b = LineClient::connect(addr, q).unwrap();
        // The server closes the second client at once: it reads end of stream (or a reset).
        assert!(!matches!(b.exchange("b"), Ok(r) if r.ends_with("] b")));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(h.join().unwrap().unwrap().refused, 1);
    }

    #[test]
    fn a_stopped_server_still_answers_what_has_arrived() {
        use std::io::Read;
        let cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, h) = spawn(bind(&cfg, 8, Narrator::silent()).unwrap(), stop.clone());
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"late\n").unwrap();
        crate::demo::tests::wait_acked(&c);
        stop.store(true, Ordering::Relaxed);
        c.set_read_timeout(Some(POLL * 300)).unwrap();
        let mut reply = [0u8; 64];
        let len = c.read(&mut reply).unwrap();
        assert!(reply[..len].ends_with(b"] late\n"), "{:?}", &reply[..len]);
        let s = h.join().unwrap().unwrap();
        assert_eq!((s.clients, s.bytes_in), (1, 5));
    }
}
