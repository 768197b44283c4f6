//! `tcp-echo`: the echo server and client of every socket tutorial. The server sends back every
//! byte it receives until the client closes; the client sends lines and prints the replies.
//!
//! The server serves one client at a time, like the tutorials' first server: while it talks to
//! one, the next client's handshake still completes (the kernel does it) and the connection
//! waits in the listen backlog until `accept()`. See `threaded` and `nonblocking` for servers
//! that talk to many clients at once.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{
    Acceptor, Counters, Narrator, Polled, Serve, ServeStats, ServerConfig, Teardown, close,
    connect, recv, recv_polled, send_all, send_counted,
};

/// A bound echo server; [`Serve::run`] it.
pub struct EchoServer {
    listener: TcpListener,
    addr: SocketAddr,
    max_clients: Option<u64>,
    n: Narrator,
}

/// Creates, binds and listens (narrated); the port is chosen now if `cfg.addr` says 0.
pub fn bind(cfg: &ServerConfig, n: Narrator) -> io::Result<EchoServer> {
    let listener = super::tcp_listener(cfg, &n)?;
    Ok(EchoServer {
        addr: listener.local_addr()?,
        listener,
        max_clients: cfg.max_clients,
        n,
    })
}

impl Serve for EchoServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats> {
        let mut clients = Acceptor::new(&self.listener, &self.n, &stop, self.max_clients);
        while let Some((stream, _peer)) = clients.next_client() {
            Counters::add(&counters.clients, 1);
            echo(stream, &self.n, &stop, &counters);
        }
        // Closing the listening socket: new SYNs to this port now get RST.
        self.n.say("close (listening socket)");
        super::close_fd(self.listener, &self.n);
        Ok(counters.snapshot())
    }
}

/// Echoes one client until it closes (FIN), resets (RST) or the server is stopped.
fn echo(mut stream: TcpStream, n: &Narrator, stop: &AtomicBool, counters: &Counters) {
    let mut buf = [0u8; 4096];
    loop {
        // recv() returns what has arrived so far: maybe part of what the client sent, maybe
        // several of its sends at once. An echo server does not care: it sends back exactly that.
        match recv_polled(&mut stream, &mut buf, n, stop, None, counters) {
            Ok(Polled::Data(0)) | Ok(Polled::Stopped) | Ok(Polled::TimedOut) => break,
            Ok(Polled::Data(len)) => {
                if send_counted(&mut stream, &buf[..len], n, counters).is_err() {
                    break;
                }
            }
            // ECONNRESET and friends: already narrated; this client is gone, the server is not.
            Err(_) => break,
        }
    }
    // Our close() sends our FIN (the client's FIN already came, if it closed normally).
    close(stream, Teardown::Fin, n);
}

/// A connected line client: sends lines, reads the reply lines.
pub struct LineClient {
    stream: TcpStream,
    n: Narrator,
    pending: Vec<u8>,
    eof: bool,
}

impl LineClient {
    /// Narrated `socket()` and `connect()` to `addr`.
    pub fn connect(addr: SocketAddr, n: Narrator) -> io::Result<LineClient> {
        // socket() makes the socket; connect() sends SYN and returns once the server's kernel
        // answered SYN-ACK and ours sent the final ACK. The server need not have called
        // accept() yet: the handshake is the kernels' business.
        Ok(LineClient {
            stream: connect(addr, &n)?,
            n,
            pending: Vec::new(),
            eof: false,
        })
    }

    /// Our own end of the connection (the ephemeral port the kernel chose).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// Gives up reading a reply after `timeout` (`None`: wait as long as it takes).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }

    /// Sends `message` and a newline.
    pub fn send(&mut self, message: &str) -> io::Result<()> {
        // sendall() copies the bytes into the kernel's send buffer and returns; TCP sends them
        // as segments (PSH, ACK) and the peer's kernel ACKs them. The newline marks where our
        // message ends, because TCP itself keeps no message boundaries.
        let mut line = message.as_bytes().to_vec();
        line.push(b'\n');
        send_all(&mut self.stream, &line, &self.n)
    }

    /// Reads one reply line (without its newline); `None` at end of stream.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=pos).collect();
                return Ok(Some(text_of(&line)));
            }
            if self.eof {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut self.pending);
                return Ok(Some(text_of(&rest)));
            }
            let mut buf = [0u8; 4096];
            let len = recv(&mut self.stream, &mut buf, &self.n)?;
            self.eof = len == 0;
            self.pending.extend_from_slice(&buf[..len]);
        }
    }

    /// Sends `message` and waits for one reply line.
    pub fn exchange(&mut self, message: &str) -> io::Result<String> {
        self.send(message)?;
        self.read_line()?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before replying",
            )
        })
    }

    /// Ends the connection the way `teardown` says, returning any reply lines still to come:
    /// with half-close, everything the server sends until it closes.
    pub fn finish(mut self, teardown: Teardown) -> io::Result<Vec<String>> {
        let mut rest = Vec::new();
        // fin: close() sends FIN. rst: SO_LINGER 0 makes close() send RST instead.
        // half-close: shutdown(SHUT_WR) sends FIN now, and we read on until the server's FIN.
        if teardown == Teardown::HalfClose {
            super::shutdown_write(&self.stream, &self.n)?;
            while let Some(line) = self.read_line()? {
                rest.push(line);
            }
        }
        close(self.stream, teardown, &self.n);
        Ok(rest)
    }
}

fn text_of(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

/// Connects to `addr`, sends each message as a line and returns the reply lines, ending the
/// connection as `teardown` says. With `fin` and `rst` each message waits for its reply; with
/// `half-close` all messages are sent, then SHUT_WR, then every reply is read until the server
/// closes. The same client talks to the `threaded` and `nonblocking` servers.
pub fn client<I, S>(
    addr: SocketAddr,
    messages: I,
    teardown: Teardown,
    n: &Narrator,
) -> io::Result<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut c = LineClient::connect(addr, n.clone())?;
    let mut replies = Vec::new();
    for m in messages {
        if teardown == Teardown::HalfClose {
            c.send(m.as_ref())?;
        } else {
            replies.push(c.exchange(m.as_ref())?);
        }
    }
    replies.extend(c.finish(teardown)?);
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::spawn;

    fn server(max: u64) -> EchoServer {
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.max_clients = Some(max);
        bind(&cfg, Narrator::silent()).unwrap()
    }

    #[test]
    fn echoes_lines_and_narrates_the_calls() {
        let (addr, h) = spawn(server(1), Arc::default());
        let (n, t) = Narrator::capture("client");
        let replies = client(addr, ["hello", "world"], Teardown::Fin, &n).unwrap();
        assert_eq!(replies, ["hello", "world"]);
        let stats = h.join().unwrap().unwrap();
        assert_eq!(
            (stats.clients, stats.bytes_in, stats.bytes_out),
            (1, 12, 12)
        );
        let text = t.text();
        for call in [
            "client: socket(AF_INET, SOCK_STREAM)",
            &format!("client: connect {addr} -> local 127.0.0.1:"),
            "client: sendall 6 bytes",
            "client: recv 6 bytes",
            "client: close",
        ] {
            assert!(text.contains(call), "missing {call:?} in\n{text}");
        }
    }

    #[test]
    fn rst_teardown_makes_the_server_read_fail_with_econnreset() {
        let (addr, h) = spawn(server(1), Arc::default());
        let replies = client(addr, ["x"], Teardown::Rst, &Narrator::silent()).unwrap();
        assert_eq!(replies, ["x"]);
        assert_eq!(h.join().unwrap().unwrap().resets, 1);
    }

    #[test]
    fn half_close_still_gets_every_reply() {
        let (addr, h) = spawn(server(1), Arc::default());
        let replies = client(
            addr,
            ["a", "b", "c"],
            Teardown::HalfClose,
            &Narrator::silent(),
        );
        assert_eq!(replies.unwrap(), ["a", "b", "c"]);
        assert_eq!(h.join().unwrap().unwrap().resets, 0);
    }

    #[test]
    fn a_stopped_server_still_answers_what_has_arrived() {
        use std::io::{Read, Write};
        let cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, h) = spawn(bind(&cfg, Narrator::silent()).unwrap(), stop.clone());
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"late\n").unwrap();
        // In the server's receive queue (it may not have even accepted us yet) when it stops.
        crate::demo::tests::wait_acked(&c);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut reply = String::new();
        c.read_to_string(&mut reply).unwrap();
        assert_eq!(reply, "late\n");
        let s = h.join().unwrap().unwrap();
        assert_eq!((s.clients, s.bytes_in, s.bytes_out), (1, 5, 5));
    }
}
