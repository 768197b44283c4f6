//! `threaded`: a TCP server with one thread per client, so a slow client does not hold up the
//! others. Each recv is answered with `[<ctime timestamp>] <data>`, like the tutorials' time
//! servers. The number of threads is bounded (`max_threads`): at the limit the server stops
//! calling accept(), and new connections wait in the kernel's listen backlog until a thread is
//! free. The client is `tcp_echo`'s line client.

use crate::sys::tz::{self, Tm};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};

use super::{
    Acceptor, Counters, Narrator, Polled, Serve, ServeStats, ServerConfig, Teardown, close,
    describe, recv_polled, send_counted,
};

pub use super::tcp_echo::{LineClient, client};

/// The default bound on client threads.
pub const MAX_THREADS: usize = 256;

/// Stack size of a client thread: they need little, and 256 of them should not reserve 512 MiB.
const STACK: usize = 128 * 1024;

/// A bound threaded server; [`Serve::run`] it.
pub struct ThreadedServer {
    listener: TcpListener,
    addr: SocketAddr,
    max_clients: Option<u64>,
    max_threads: usize,
    n: Narrator,
}

/// Creates, binds and listens (narrated); at most `max_threads` clients are served at once.
pub fn bind(cfg: &ServerConfig, max_threads: usize, n: Narrator) -> io::Result<ThreadedServer> {
    let listener = super::tcp_listener(cfg, &n)?;
    Ok(ThreadedServer {
        addr: listener.local_addr()?,
        listener,
        max_clients: cfg.max_clients,
        max_threads: max_threads.max(1),
        n,
    })
}

/// The number of client threads running, with a condition variable to wait for a change.
type Active = Arc<(Mutex<usize>, Condvar)>;

/// Decrements the active count when a client thread ends, however it ends.
struct Slot(Active);

impl Drop for Slot {
    fn drop(&mut self) {
        let (count, changed) = &*self.0;
        *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        changed.notify_all();
    }
}

/// Waits until `pred(count)` holds. Client threads end by themselves (their client closes, or
/// they notice the stop flag and finish draining), so the wait ends too.
fn wait_active(active: &Active, pred: impl Fn(usize) -> bool) {
    let (count, changed) = &**active;
    let mut c = count.lock().unwrap_or_else(|p| p.into_inner());
    while !pred(*c) {
        c = changed.wait(c).unwrap_or_else(|p| p.into_inner());
    }
}

impl Serve for ThreadedServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats> {
        let limits = (self.max_clients, self.max_threads);
        Ok(run_threads(
            self.listener,
            &self.n,
            (stop, counters),
            limits,
            reply_with_time,
        ))
    }
}

/// A handler for one client connection, run in that client's thread.
pub(crate) trait Handler:
    Fn(TcpStream, &Narrator, &AtomicBool, &Counters) + Send + Sync + 'static
{
}
impl<F: Fn(TcpStream, &Narrator, &AtomicBool, &Counters) + Send + Sync + 'static> Handler for F {}

/// The accept loop of the thread-per-client servers (`threaded` and `http`): accepts up to
/// `max_clients` (all if `None`) with at most `max_threads` threads at once, each running
/// `handler`, until `stop` (and the drain: the connections already queued are still served);
/// then waits for the client threads to finish.
pub(crate) fn run_threads(
    listener: TcpListener,
    n: &Narrator,
    (stop, counters): (Arc<AtomicBool>, Arc<Counters>),
    (max_clients, max_threads): (Option<u64>, usize),
    handler: impl Handler,
) -> ServeStats {
    let handler = Arc::new(handler);
    let active: Active = Arc::default();
    let mut clients = Acceptor::new(&listener, n, &stop, max_clients);
    let mut id = 0u64;
    loop {
        // At the limit, do not accept: the next handshakes complete in the kernel and wait.
        wait_active(&active, |c| c < max_threads);
        let Some((stream, _peer)) = clients.next_client() else {
            break;
        };
        id += 1;
        Counters::add(&counters.clients, 1);
        *active.0.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let slot = Slot(Arc::clone(&active));
        let cn = n.with_role(&format!("{}[{id}]", n.role()));
        let (stop, counters2, handler) = (
            Arc::clone(&stop),
            Arc::clone(&counters),
            Arc::clone(&handler),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(STACK)
            .spawn(move || {
                let _slot = slot;
                handler(stream, &cn, &stop, &counters2);
            });
        if let Err(e) = spawned {
            // The closure (with the stream and the slot) was dropped: the client sees a FIN.
            n.say(format_args!(
                "cannot start a thread: {}; client closed",
                describe(&e)
            ));
            Counters::add(&counters.refused, 1);
        }
    }
    // Let the client threads finish (they notice the stop flag within POLL, then drain).
    wait_active(&active, |c| c == 0);
    // Closing the listening socket: new SYNs to this port now get RST.
    n.say("close (listening socket)");
    super::close_fd(listener, n);
    counters.snapshot()
}

/// Serves one client in its own thread: every recv is answered with `[timestamp] data`.
fn reply_with_time(mut stream: TcpStream, n: &Narrator, stop: &AtomicBool, counters: &Counters) {
    let mut buf = [0u8; 1024];
    // recv() blocks only this thread; the other clients' threads carry on.
    while let Ok(Polled::Data(len @ 1..)) =
        recv_polled(&mut stream, &mut buf, n, stop, None, counters)
    {
        let reply = stamped(&buf[..len]);
        if send_counted(&mut stream, &reply, n, counters).is_err() {
            break;
        }
    }
    close(stream, Teardown::Fin, n);
}

/// `[<ctime now>] <data>`: the reply of the threaded and non-blocking servers.
pub fn stamped(data: &[u8]) -> Vec<u8> {
    let mut reply = format!("[{}] ", ctime_now()).into_bytes();
    reply.extend_from_slice(data);
    reply
}

/// The local time as C's ctime() and Python's time.ctime() print it: `Sun Nov 22 06:00:52 2026`.
pub fn ctime_now() -> String {
    let now = tz::now();
    match tz::local(now) {
        Some(tm) => format_ctime(&tm),
        None => format!("{now}"),
    }
}

/// Day names by `tm_wday` (C locale, as ctime() and HTTP dates use them).
pub(crate) const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// Month names by `tm_mon`.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats a broken-down time like ctime() (without its newline).
pub fn format_ctime(tm: &Tm) -> String {
    let day = usize::try_from(tm.wday).ok().and_then(|d| DAYS.get(d));
    let month = usize::try_from(tm.month0).ok().and_then(|m| MONTHS.get(m));
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        day.unwrap_or(&"???"),
        month.unwrap_or(&"???"),
        tm.mday,
        tm.hour,
        tm.min,
        tm.sec,
        tm.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{POLL, spawn};
    use std::sync::atomic::Ordering;

    fn utc(t: i64) -> String {
        format_ctime(&tz::utc(t).unwrap())
    }

    #[test]
    fn ctime_format_matches_c_and_python() {
        assert_eq!(utc(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(utc(1_795_327_252), "Sun Nov 22 06:00:52 2026");
    }

    #[test]
    fn replies_are_stamped() {
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.max_clients = Some(1);
        let (addr, h) = spawn(bind(&cfg, 4, Narrator::silent()).unwrap(), Arc::default());
        let r = client(addr, ["hi"], Teardown::Fin, &Narrator::silent()).unwrap();
        assert_eq!(r.len(), 1);
        let (stamp, data) = r[0].split_once("] ").unwrap();
        assert_eq!(data, "hi");
        assert_eq!(stamp.len(), "[Sun Nov 22 06:00:52 2026".len(), "{stamp}");
        h.join().unwrap().unwrap();
    }

    type Handle = std::thread::JoinHandle<io::Result<ServeStats>>;

    /// A server with one thread, busy with a first client that has had one reply.
    fn one_thread_busy() -> (SocketAddr, Handle, Arc<AtomicBool>, LineClient) {
        let cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, h) = spawn(bind(&cfg, 1, Narrator::silent()).unwrap(), stop.clone());
        let mut first = LineClient::connect(addr, Narrator::silent()).unwrap();
        assert!(first.exchange("one").unwrap().ends_with("] one"));
        (addr, h, stop, first)
    }

    #[test]
    fn clients_beyond_the_limit_wait_their_turn() {
        let (addr, h, stop, first) = one_thread_busy();
        let n = Narrator::silent();
        // The second connection completes its handshake but is not served while `first` is.
        let second = std::thread::spawn(move || client(addr, ["two"], Teardown::Fin, &n));
        std::thread::sleep(POLL * 3);
        assert!(!second.is_finished());
        first.finish(Teardown::Fin).unwrap();
        assert!(second.join().unwrap().unwrap()[0].ends_with("] two"));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(h.join().unwrap().unwrap().clients, 2);
    }

    #[test]
    fn a_stopped_server_still_serves_the_connections_in_its_backlog() {
        let (addr, h, stop, first) = one_thread_busy();
        // The second client waits in the backlog (the one thread is busy), its request in its
        // socket's receive queue, when the stop comes.
        let mut second = TcpStream::connect(addr).unwrap();
        std::io::Write::write_all(&mut second, b"two\n").unwrap();
        crate::demo::tests::wait_acked(&second);
        stop.store(true, Ordering::Relaxed);
        first.finish(Teardown::Fin).unwrap();
        second.set_read_timeout(Some(POLL * 300)).unwrap();
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut second, &mut reply).unwrap();
        assert!(reply.ends_with("] two\n"), "{reply:?}");
        let s = h.join().unwrap().unwrap();
        assert_eq!((s.clients, s.bytes_in), (2, 8));
    }
}
