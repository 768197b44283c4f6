//! `udp-upper`: a UDP server that sends each datagram back upper-cased to whoever sent it, and a
//! client that sends datagrams and waits (with a timeout) for the replies.
//!
//! UDP has no connection: no handshake before the first datagram, no teardown after the last,
//! no acknowledgements and no retransmission. A datagram that is lost stays lost, so the client
//! must decide for itself how long to wait, and says so plainly when nothing comes back.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socket2::Type;

use super::{Counters, Narrator, POLL, Serve, ServeStats, ServerConfig, describe, is_retry};

/// The largest datagram we accept (the largest a UDP/IPv4 datagram can carry).
const MAX_DATAGRAM: usize = 65_507;

/// A bound upper-casing server; [`Serve::run`] it. `max_clients` counts datagrams here.
pub struct UpperServer {
    sock: UdpSocket,
    addr: SocketAddr,
    max_datagrams: Option<u64>,
    n: Narrator,
}

/// Creates and binds the UDP socket (narrated). There is no listen() and no accept() in UDP:
/// once bound, datagrams to this port simply queue up for recvfrom().
pub fn bind(cfg: &ServerConfig, n: Narrator) -> io::Result<UpperServer> {
    let sock = super::new_socket(&cfg.addr, Type::DGRAM, &n)?;
    let addr = super::bind_socket(&sock, &cfg.addr, &n)?;
    let sock: UdpSocket = sock.into();
    sock.set_read_timeout(Some(POLL))?;
    Ok(UpperServer {
        sock,
        addr,
        max_datagrams: cfg.max_clients,
        n,
    })
}

impl Serve for UpperServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats> {
        let n = &self.n;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut draining = false;
        while self.max_datagrams != Some(counters.snapshot().clients) {
            if stop.load(Ordering::Relaxed) {
                if !counters.may_drain() {
                    break;
                }
                if !draining {
                    // Stopping: still answer the datagrams already queued, without waiting.
                    draining = true;
                    self.sock.set_nonblocking(true)?;
                }
            }
            // recvfrom() returns one whole datagram and who sent it: the sender's address is
            // the only thing that ties a reply to a request.
            let (len, peer) = match recv_from(&self.sock, &mut buf, n) {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && draining => break,
                Err(e) if is_retry(&e) => {
                    continue;
                }
                Err(e) => {
                    n.say(format_args!("recvfrom failed: {}", describe(&e)));
                    continue;
                }
            };
            n.say(format_args!("recvfrom {len} bytes <- {peer}"));
            Counters::add(&counters.clients, 1);
            Counters::add(&counters.bytes_in, len as u64);
            let reply = buf[..len].to_ascii_uppercase();
            // sendto() puts one datagram on the wire, addressed to that sender. Nothing tells us
            // whether it arrives.
            n.say(format_args!("sendto {} bytes -> {peer}", reply.len()));
            match send_to(&self.sock, &reply, peer, n) {
                Ok(sent) => Counters::add(&counters.bytes_out, sent as u64),
                Err(e) => n.say(format_args!("sendto failed: {}", describe(&e))),
            }
        }
        n.say("close");
        super::close_fd(self.sock, n);
        Ok(counters.snapshot())
    }
}

/// A UDP client socket that sends datagrams to one server and waits for replies from it.
pub struct UdpClient {
    sock: UdpSocket,
    server: SocketAddr,
    timeout: Duration,
    n: Narrator,
    buf: Vec<u8>,
}

impl UdpClient {
    /// Narrated `socket()`; nothing is sent yet (and nothing will be, before the first message).
    pub fn new(server: SocketAddr, timeout: Duration, n: Narrator) -> io::Result<UdpClient> {
        Ok(UdpClient {
            sock: super::new_socket(&server, Type::DGRAM, &n)?.into(),
            server,
            timeout,
            n,
            buf: vec![0u8; MAX_DATAGRAM],
        })
    }

    /// Sends `message` as one datagram and waits up to the timeout for the reply: `None` when
    /// nothing came back in time (the narration says why that can happen).
    pub fn ask(&mut self, message: &str) -> io::Result<Option<String>> {
        let (n, addr) = (&self.n, self.server);
        let data = message.as_bytes();
        // The first sendto() binds us to an ephemeral port; no handshake, the data goes at once.
        n.say(format_args!("sendto {} bytes -> {addr}", data.len()));
        send_to(&self.sock, data, addr, n).inspect_err(|e| {
            n.say(format_args!("sendto failed: {}", describe(e)));
        })?;
        wait_reply(&self.sock, addr, &mut self.buf, self.timeout, n)
    }

    /// Narrated `close()`, which sends nothing: there is no connection to end.
    pub fn close(self) {
        self.n
            .say("close (nothing goes on the wire: UDP has no connection to end)");
        super::close_fd(self.sock, &self.n);
    }
}

/// Sends each message as one datagram to `addr` and waits up to `timeout` for its reply.
/// Returns one entry per message: the reply, or `None` when nothing came back in time.
/// Datagrams from anyone but `addr` are ignored.
pub fn client<I, S>(
    addr: SocketAddr,
    messages: I,
    timeout: Duration,
    n: &Narrator,
) -> io::Result<Vec<Option<String>>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut c = UdpClient::new(addr, timeout, n.clone())?;
    let replies = messages
        .into_iter()
        .map(|m| c.ask(m.as_ref()))
        .collect::<io::Result<_>>()?;
    c.close();
    Ok(replies)
}

/// Recorded `recvfrom()`: an attempt that only timed out is not recorded.
fn recv_from(sock: &UdpSocket, buf: &mut [u8], n: &Narrator) -> io::Result<(usize, SocketAddr)> {
    let fd = sock.as_raw_fd();
    let c = n.call("recvfrom", Some(fd), fd);
    let r = sock.recv_from(buf);
    match &r {
        Ok((len, peer)) => c
            .addrs(sock.local_addr().ok(), Some(*peer))
            .done(Ok(*len as i64), Some(&buf[..*len])),
        Err(e) if is_retry(e) => {}
        Err(e) => c.done(Err(e), None),
    }
    r
}

/// Recorded `sendto()`: the kernel sends one datagram.
fn send_to(sock: &UdpSocket, data: &[u8], to: SocketAddr, n: &Narrator) -> io::Result<usize> {
    let fd = sock.as_raw_fd();
    let c = n
        .call(
            "sendto",
            Some(fd),
            format_args!("{fd}, {} bytes, {to}", data.len()),
        )
        .addrs(sock.local_addr().ok(), Some(to))
        .enter();
    let r = sock.send_to(data, to);
    c.addrs(sock.local_addr().ok(), None)
        .done(r.as_ref().map(|&k| k as i64), Some(data));
    r
}

fn wait_reply(
    sock: &UdpSocket,
    from: SocketAddr,
    buf: &mut [u8],
    timeout: Duration,
    n: &Narrator,
) -> io::Result<Option<String>> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            n.say(format_args!(
                "no reply within {:.1}s: UDP has no connection and no retransmission, so a lost \
                 datagram (or a server that is not there) just means silence",
                timeout.as_secs_f64()
            ));
            return Ok(None);
        }
        sock.set_read_timeout(Some(left))?;
        match recv_from(sock, buf, n) {
            Ok((len, peer)) if peer == from => {
                n.say(format_args!("recvfrom {len} bytes <- {peer}"));
                return Ok(Some(String::from_utf8_lossy(&buf[..len]).into_owned()));
            }
            Ok((len, peer)) => n.say(format_args!("ignoring {len} bytes from {peer}")),
            Err(e) if is_retry(&e) => {}
            Err(e) => {
                n.say(format_args!("recvfrom failed: {}", describe(&e)));
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::spawn;

    #[test]
    fn replies_upper_cased_and_counts_datagrams() {
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.max_clients = Some(2);
        let (addr, h) = spawn(bind(&cfg, Narrator::silent()).unwrap(), Arc::default());
        let (n, t) = Narrator::capture("client");
        let r = client(addr, ["hello", "Wörld"], Duration::from_secs(5), &n).unwrap();
        assert_eq!(r, [Some("HELLO".to_string()), Some("WöRLD".to_string())]);
        assert_eq!(h.join().unwrap().unwrap().clients, 2);
        assert!(t.text().contains("client: socket(AF_INET, SOCK_DGRAM)"));
        assert!(
            t.text()
                .contains(&format!("client: sendto 5 bytes -> {addr}"))
        );
    }

    #[test]
    fn says_so_when_nothing_comes_back() {
        // A bound socket that never answers stands in for a lost datagram.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (n, t) = Narrator::capture("client");
        let addr = silent.local_addr().unwrap();
        let r = client(addr, ["ping"], Duration::from_millis(200), &n).unwrap();
        assert_eq!(r, [None]);
        assert!(t.text().contains("no reply within 0.2s"), "{}", t.text());
    }
}
