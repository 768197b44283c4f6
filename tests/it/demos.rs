//! The bundled demos end to end: each client/server pair over IPv4 and IPv6, each server with
//! independent clients (nc, curl, Python's socket), the HTTP server's path rules and limits,
//! 200 concurrent clients, every teardown kind, and the CLI (port 0, Ctrl-C).
//!
//! Everything binds 127.0.0.1 or ::1 with port 0. IPv6 cases, and the nc, curl and python3
//! cases, need ::1 or the tool: without it they print a SKIP line, or fail when `CI` is set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use sockscope::demo::http::{self, HttpConfig};
use sockscope::demo::tcp_echo::{self, LineClient};
use sockscope::demo::{
    Counters, Narrator, Serve, ServeStats, ServerConfig, Teardown, nonblocking, spawn_watched,
    threaded, udp_upper,
};

use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");
const LONG: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Helpers

/// 127.0.0.1:0, and [::1]:0 when this machine has IPv6 loopback.
fn loopbacks() -> Vec<SocketAddr> {
    let mut v = vec!["127.0.0.1:0".parse().unwrap()];
    if support::ipv6_loopback() {
        v.push("[::1]:0".parse().unwrap());
    }
    v
}

fn config(addr: SocketAddr, max_clients: Option<u64>) -> ServerConfig {
    let mut c = ServerConfig::new(addr);
    c.max_clients = max_clients;
    c.backlog = 128;
    c
}

/// Runs `f` in a thread and fails the test if it takes longer than `limit` (so a broken server
/// fails the test instead of hanging it).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?} (or panicked)"))
}

/// A spawned server whose counts can be watched while it runs.
struct Running {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    handle: Option<thread::JoinHandle<std::io::Result<ServeStats>>>,
}

impl Running {
    fn start<S: Serve>(server: S) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let w = spawn_watched(server, Arc::clone(&stop));
        Running {
            addr: w.addr,
            stop,
            counters: w.counters,
            handle: Some(w.handle),
        }
    }

    /// Waits (up to a generous limit) until the server's counts satisfy `done`: a client's
    /// calls can return before the server has accepted it or read its last bytes, FIN or RST.
    fn wait_for(&self, done: impl Fn(&ServeStats) -> bool) {
        if let Err(last) = self.counters.wait_for(LONG, done) {
            panic!("the server did not get there within {LONG:?}: {last:?}");
        }
    }

    /// Stops the server and returns its stats. Anything the caller is going to assert about
    /// must be waited for first ([`Running::wait_for`], or [`Running::finish`] for a server
    /// with a client limit): the stop flag ends the server soon, whatever is still on its way.
    fn stop(mut self) -> ServeStats {
        self.stop.store(true, Ordering::Relaxed);
        self.join()
    }

    /// Waits for a server with a client limit to end by itself after its last client, without
    /// setting the stop flag, and returns its stats.
    fn finish(mut self) -> ServeStats {
        self.join()
    }

    fn join(&mut self) -> ServeStats {
        let h = self.handle.take().unwrap();
        within(LONG, move || h.join().unwrap().unwrap())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs a command with `input` on stdin, within a time limit.
fn run_with_input(cmd: &mut Command, input: &[u8], limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn host_of(addr: SocketAddr) -> String {
    addr.ip().to_string()
}

// ---------------------------------------------------------------------------------------------
// Each pair over IPv4 and IPv6

#[test]
fn tcp_echo_pair_over_v4_and_v6() {
    for any in loopbacks() {
        let srv =
            Running::start(tcp_echo::bind(&config(any, Some(1)), Narrator::silent()).unwrap());
        let (n, t) = Narrator::capture("client");
        let replies = tcp_echo::client(srv.addr, ["hello", "wörld", ""], Teardown::Fin, &n);
        assert_eq!(replies.unwrap(), ["hello", "wörld", ""]);
        let family = if any.is_ipv4() {
            "AF_INET,"
        } else {
            "AF_INET6,"
        };
        assert!(t.text().contains(family), "{}", t.text());
        let s = srv.finish();
        assert_eq!((s.clients, s.bytes_in, s.bytes_out), (1, 14, 14));
    }
}

#[test]
fn udp_upper_pair_over_v4_and_v6() {
    for any in loopbacks() {
        let srv = Running::start(udp_upper::bind(&config(any, None), Narrator::silent()).unwrap());
        let r = udp_upper::client(srv.addr, ["abc", "Mixed 123"], LONG, &Narrator::silent());
        assert_eq!(
            r.unwrap(),
            [Some("ABC".to_string()), Some("MIXED 123".to_string())]
        );
        assert_eq!(srv.stop().clients, 2);
    }
}

fn assert_stamped(reply: &str, msg: &str) {
    let (stamp, data) = reply
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .unwrap_or_else(|| panic!("not `[time] data`: {reply:?}"));
    assert_eq!(data, msg);
    // `Sun Nov 22 06:00:52 2026`: weekday, month, day, time, year.
    let parts: Vec<&str> = stamp.split_whitespace().collect();
    assert_eq!(parts.len(), 5, "{stamp:?}");
    assert_eq!(stamp.len(), 24, "{stamp:?}");
}

#[test]
fn threaded_and_nonblocking_pairs_over_v4_and_v6() {
    for any in loopbacks() {
        let servers = [
            Running::start(threaded::bind(&config(any, Some(1)), 8, Narrator::silent()).unwrap()),
            Running::start(
                nonblocking::bind(&config(any, Some(1)), 8, Narrator::silent()).unwrap(),
            ),
        ];
        for srv in servers {
            let r = tcp_echo::client(srv.addr, ["one", "two"], Teardown::Fin, &Narrator::silent());
            let r = r.unwrap();
            assert_eq!(r.len(), 2);
            assert_stamped(&r[0], "one");
            assert_stamped(&r[1], "two");
            assert_eq!(srv.finish().clients, 1);
        }
    }
}

/// A directory to serve: files, a subdirectory, and symlinks pointing out of it.
struct Site {
    base: PathBuf,
}

impl Site {
    fn new() -> Site {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir().join(format!(
            "sockscope-demos-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret.txt"), "TOP SECRET\n").unwrap();
        std::fs::write(root.join("hello.txt"), "hello\n").unwrap();
        std::fs::write(root.join("index.html"), "<h1>home</h1>\n").unwrap();
        std::fs::write(root.join("sub/data.json"), "{\"a\": 1}\n").unwrap();
        std::os::unix::fs::symlink(base.join("outside"), root.join("escape")).unwrap();
        std::os::unix::fs::symlink(base.join("outside/secret.txt"), root.join("secret.txt"))
            .unwrap();
        std::os::unix::fs::symlink("sub/data.json", root.join("inside.json")).unwrap();
        Site { base }
    }

    fn root(&self) -> PathBuf {
        self.base.join("root")
    }

    fn serve(&self, any: SocketAddr, tweak: impl FnOnce(&mut HttpConfig)) -> Running {
        let mut h = HttpConfig::new(self.root());
        tweak(&mut h);
        Running::start(http::bind(&config(any, None), h, Narrator::silent()).unwrap())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

#[test]
fn http_pair_over_v4_and_v6() {
    let site = Site::new();
    for any in loopbacks() {
        let srv = site.serve(any, |_| {});
        let url = match srv.addr {
            SocketAddr::V4(a) => format!("http://{a}/hello.txt"),
            SocketAddr::V6(a) => format!("http://[{}]:{}/hello.txt", a.ip(), a.port()),
        };
        let (n, t) = Narrator::capture("client");
        let r = http::get(&url, Teardown::Fin, &n).unwrap();
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("content-length"), Some("6"));
        assert_eq!(r.body, b"hello\n");
        assert!(t.text().contains("client: sendall"), "{}", t.text());
        let r = http::get(&url.replace("hello.txt", ""), Teardown::Fin, &n).unwrap();
        assert_eq!(r.body, b"<h1>home</h1>\n");
        let r = http::get(&url.replace("hello.txt", "sub/"), Teardown::HalfClose, &n).unwrap();
        assert_eq!(r.status, 200);
        assert!(String::from_utf8_lossy(&r.body).contains("href=\"/sub/data.json\""));
        srv.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Independent clients: nc, Python, curl

#[test]
fn servers_work_with_nc() {
    if !support::tool("nc") {
        return;
    }
    for any in loopbacks() {
        let echo = Running::start(tcp_echo::bind(&config(any, None), Narrator::silent()).unwrap());
        // -N: shut down the writing side (FIN) at end of input, then read until the server closes.
        let out = run_with_input(
            Command::new("nc").args(["-N", &host_of(echo.addr), &echo.addr.port().to_string()]),
            b"hello from nc\nsecond line\n",
            LONG,
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "hello from nc\nsecond line\n"
        );
        assert_eq!(echo.stop().clients, 1);

        for srv in [
            Running::start(threaded::bind(&config(any, None), 8, Narrator::silent()).unwrap()),
            Running::start(nonblocking::bind(&config(any, None), 8, Narrator::silent()).unwrap()),
        ] {
            let out = run_with_input(
                Command::new("nc").args(["-N", &host_of(srv.addr), &srv.addr.port().to_string()]),
                b"hi\n",
                LONG,
            );
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert_stamped(text.trim_end_matches('\n'), "hi");
            srv.stop();
        }

        let udp = Running::start(udp_upper::bind(&config(any, None), Narrator::silent()).unwrap());
        // UDP has no end: -w1 makes nc give up one second after the reply.
        let out = run_with_input(
            Command::new("nc").args([
                "-u",
                "-w1",
                &host_of(udp.addr),
                &udp.addr.port().to_string(),
            ]),
            b"shout\n",
            LONG,
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "SHOUT\n");
        udp.stop();
    }
}

const PY_TCP: &str = r#"
import socket, sys
host, port, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with socket.create_connection((host, port), timeout=30) as s:
    s.sendall(msg)
    data = b""
    while not data.endswith(msg):
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    s.shutdown(socket.SHUT_WR)
    rest = s.recv(1024)  # the server closes after our FIN: b""
    print(data.decode(), "|", repr(rest))
"#;

const PY_UDP: &str = r#"
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family, socket.SOCK_DGRAM) as s:
    s.settimeout(30)
    s.sendto(b"python datagram", (host, port))
    data, addr = s.recvfrom(65535)
    print(data.decode())
"#;

fn python(script: &str, addr: SocketAddr, msg: &str) -> String {
    let out = run_with_input(
        Command::new("python3").args(["-c", script, &host_of(addr), &addr.port().to_string(), msg]),
        b"",
        LONG,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[test]
fn servers_work_with_python_sockets() {
    if !support::tool("python3") {
        return;
    }
    for any in loopbacks() {
        let echo = Running::start(tcp_echo::bind(&config(any, None), Narrator::silent()).unwrap());
        assert_eq!(
            python(PY_TCP, echo.addr, "Hello, world"),
            "Hello, world | b''"
        );
        echo.stop();
        for srv in [
            Running::start(threaded::bind(&config(any, None), 8, Narrator::silent()).unwrap()),
            Running::start(nonblocking::bind(&config(any, None), 8, Narrator::silent()).unwrap()),
        ] {
            let out = python(PY_TCP, srv.addr, "Hello, world");
            let reply = out
                .strip_suffix(" | b''")
                .expect("server closed after our FIN");
            assert_stamped(reply, "Hello, world");
            srv.stop();
        }
        let udp = Running::start(udp_upper::bind(&config(any, None), Narrator::silent()).unwrap());
        assert_eq!(python(PY_UDP, udp.addr, ""), "PYTHON DATAGRAM");
        udp.stop();
    }
}

fn curl(args: &[&str]) -> String {
    let out = run_with_input(
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .args(args),
        b"",
        LONG,
    );
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn http_server_works_with_curl() {
    if !support::tool("curl") {
        return;
    }
    let site = Site::new();
    for any in loopbacks() {
        let srv = site.serve(any, |_| {});
        let base = match srv.addr {
            SocketAddr::V4(a) => format!("http://{a}"),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        };
        let get = curl(&["-g", "-i", &format!("{base}/sub/data.json")]);
        assert!(get.starts_with("HTTP/1.1 200 OK\r\n"), "{get}");
        assert!(get.contains("Content-Type: application/json\r\n"), "{get}");
        assert!(get.contains("Content-Length: 9\r\n"), "{get}");
        assert!(get.ends_with("\r\n\r\n{\"a\": 1}\n"), "{get}");
        // HEAD: the same head, no body.
        let head = curl(&["-g", "-I", &format!("{base}/hello.txt")]);
        assert!(head.contains("Content-Length: 6\r\n"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "{head}");
        // Two URLs in one curl: the second reuses the kept-alive connection.
        let two = curl(&[
            "-g",
            &format!("{base}/hello.txt"),
            &format!("{base}/hello.txt"),
        ]);
        assert_eq!(two, "hello\nhello\n");
        let code = |path: &str, extra: &[&str]| {
            let mut args = vec![
                "-g",
                "--path-as-is",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ];
            args.extend_from_slice(extra);
            let url = format!("{base}{path}");
            args.push(&url);
            curl(&args)
        };
        assert_eq!(code("/missing", &[]), "404");
        assert_eq!(code("/../etc/passwd", &[]), "400");
        assert_eq!(code("/%2e%2e/%2e%2e/etc/passwd", &[]), "400");
        assert_eq!(code("/escape/secret.txt", &[]), "403");
        assert_eq!(code("/hello.txt", &["-X", "DELETE"]), "405");
        let stats = srv.stop();
        assert!(stats.clients >= 7, "{stats:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP: path rules, malformed and oversized requests, keep-alive

/// Sends raw bytes, then reads everything until the server closes.
fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LONG)).unwrap();
    // The server may answer and close before taking everything: write errors are fine.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

fn get_req(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").into_bytes()
}

#[test]
fn http_never_serves_outside_its_root() {
    let site = Site::new();
    let srv = site.serve("127.0.0.1:0".parse().unwrap(), |_| {});
    for (path, code) in [
        ("/../etc/passwd", 400),
        ("/../../../../../../etc/passwd", 400),
        ("/%2e%2e/%2e%2e/etc/passwd", 400),
        ("/%2E%2E/outside/secret.txt", 400),
        ("/..%2fetc/passwd", 400),
        ("/..%2Foutside%2Fsecret.txt", 400),
        ("/sub/..%5c..%5coutside", 400),
        ("/hello.txt%00.html", 400),
        ("//etc/passwd", 404),
        ("http://t/../outside/secret.txt", 400),
        ("/escape/secret.txt", 403),
        ("/secret.txt", 403),
        ("/escape/", 403),
    ] {
        let r = raw(srv.addr, &get_req(path));
        assert_eq!(status(&r), code, "{path}: {r}");
        assert!(
            !r.contains("TOP SECRET") && !r.contains("root:"),
            "{path}: {r}"
        );
    }
    // A symlink that stays inside the root is fine.
    let r = raw(srv.addr, &get_req("/inside.json"));
    assert_eq!(status(&r), 200, "{r}");
    let stats = srv.stop();
    assert_eq!(stats.bad_requests, 12, "{stats:?}");
}

#[test]
fn bad_requests_get_400_and_the_server_keeps_serving() {
    let site = Site::new();
    let srv = site.serve("127.0.0.1:0".parse().unwrap(), |h| {
        h.read_timeout = Duration::from_millis(500)
    });
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(10_000));
    let long_head = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "b".repeat(10_000)
    );
    for (req, code) in [
        (&b"GARBAGE\r\n\r\n"[..], 400),
        (b"\x00\x01\x02\xff\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\nHost: t\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
            400,
        ),
        (
            b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
            405,
        ),
        (long_line.as_bytes(), 400),
        (long_head.as_bytes(), 431),
    ] {
        let r = raw(srv.addr, req);
        assert_eq!(status(&r), code, "{:?}: {r}", String::from_utf8_lossy(req));
        if code == 405 {
            assert!(r.contains("\r\nAllow: GET, HEAD\r\n"), "{r}");
        }
        // ...and the next client is served normally.
        assert_eq!(status(&raw(srv.addr, &get_req("/hello.txt"))), 200);
    }
    // A client that sends half a request and stalls does not block others, and is dropped
    // after the read timeout.
    let mut slow = TcpStream::connect(srv.addr).unwrap();
    slow.write_all(b"GET /hello.txt HTTP/1.1\r\nHo").unwrap();
    assert_eq!(status(&raw(srv.addr, &get_req("/hello.txt"))), 200);
    slow.set_read_timeout(Some(LONG)).unwrap();
    let mut rest = Vec::new();
    assert_eq!(
        slow.read_to_end(&mut rest).unwrap(),
        0,
        "closed without a response"
    );
    let stats = srv.stop();
    assert_eq!(stats.bad_requests, 8, "{stats:?}");
}

#[test]
fn http_keep_alive_pipelining_and_connection_close() {
    let site = Site::new();
    let srv = site.serve("127.0.0.1:0".parse().unwrap(), |_| {});
    // Two requests on one connection; the second asks to close, so the server closes after it.
    let two = b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nHEAD /sub/data.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let r = raw(srv.addr, two);
    assert_eq!(r.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{r}");
    assert_eq!(r.matches("Connection: close").count(), 1, "{r}");
    assert!(r.contains("\r\n\r\nhello\nHTTP/1.1 200 OK"), "{r}");
    assert!(
        r.ends_with("Connection: close\r\n\r\n"),
        "HEAD has no body: {r}"
    );
    // HTTP/1.0 closes by default.
    let r = raw(srv.addr, b"GET /hello.txt HTTP/1.0\r\n\r\n");
    assert!(
        r.ends_with("\r\n\r\nhello\n") && r.contains("Connection: close"),
        "{r}"
    );
    // A 404 keeps the connection open for the next request.
    let r = raw(
        srv.addr,
        b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert!(
        r.starts_with("HTTP/1.1 404 Not Found\r\n") && r.ends_with("hello\n"),
        "{r}"
    );
    assert_eq!(srv.stop().clients, 3);
}

// ---------------------------------------------------------------------------------------------
// 200 concurrent clients

fn two_hundred_clients(addr: SocketAddr) {
    const CLIENTS: usize = 200;
    within(Duration::from_secs(120), move || {
        let barrier = Arc::new(Barrier::new(CLIENTS));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        let c = LineClient::connect(addr, Narrator::silent());
                        // Everybody is connected before anybody talks: 200 open at once.
                        barrier.wait();
                        let mut c = c.unwrap();
                        c.set_read_timeout(Some(LONG)).unwrap();
                        for j in 0..3 {
                            let msg = format!("client {i} message {j}");
                            assert_stamped(&c.exchange(&msg).unwrap(), &msg);
                        }
                        c.finish(Teardown::Fin).unwrap()
                    })
                    .unwrap()
            })
            .collect();
        for c in clients {
            assert!(c.join().expect("a client failed").is_empty());
        }
    });
}

fn serves_200<S: Serve>(server: S) {
    let srv = Running::start(server);
    two_hundred_clients(srv.addr);
    let s = srv.stop();
    assert_eq!((s.clients, s.refused, s.resets), (200, 0, 0));
}

#[test]
fn threaded_server_serves_200_concurrent_clients() {
    let cfg = config("127.0.0.1:0".parse().unwrap(), None);
    serves_200(threaded::bind(&cfg, 256, Narrator::silent()).unwrap());
}

#[test]
fn nonblocking_server_serves_200_concurrent_clients() {
    let cfg = config("127.0.0.1:0".parse().unwrap(), None);
    serves_200(nonblocking::bind(&cfg, 1024, Narrator::silent()).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Teardown kinds

#[test]
fn each_teardown_has_its_socket_behaviour() {
    for any in loopbacks() {
        // fin: the server reads end of stream, then closes.
        let (sn, st) = Narrator::capture("server");
        let srv = Running::start(tcp_echo::bind(&config(any, Some(1)), sn).unwrap());
        let (cn, ct) = Narrator::capture("client");
        assert_eq!(
            tcp_echo::client(srv.addr, ["a"], Teardown::Fin, &cn).unwrap(),
            ["a"]
        );
        // The client's close() returns before the server has read the FIN: with its client
        // limit of 1, the server ends by itself once it has.
        assert_eq!(srv.finish().resets, 0);
        assert!(
            st.text().contains("server: recv 0 bytes (end of stream"),
            "{}",
            st.text()
        );
        assert!(ct.text().ends_with("client: close\n"), "{}", ct.text());

        // rst: SO_LINGER 0 then close; the server's recv fails with ECONNRESET.
        let (sn, st) = Narrator::capture("server");
        let srv = Running::start(tcp_echo::bind(&config(any, Some(1)), sn).unwrap());
        let (cn, ct) = Narrator::capture("client");
        assert_eq!(
            tcp_echo::client(srv.addr, ["a"], Teardown::Rst, &cn).unwrap(),
            ["a"]
        );
        assert_eq!(srv.finish().resets, 1);
        assert!(
            st.text().contains("server: recv failed: ECONNRESET"),
            "{}",
            st.text()
        );
        assert!(
            ct.text()
                .contains("setsockopt(SO_LINGER, on, 0s)\nclient: close (sends RST)")
        );

        // half-close: FIN first, replies still arrive, the server closes last.
        let (sn, st) = Narrator::capture("server");
        let srv = Running::start(tcp_echo::bind(&config(any, Some(1)), sn).unwrap());
        let (cn, ct) = Narrator::capture("client");
        let r = tcp_echo::client(srv.addr, ["a", "b"], Teardown::HalfClose, &cn).unwrap();
        assert_eq!(r, ["a", "b"]);
        assert_eq!(srv.finish().resets, 0);
        let c = ct.text();
        let shut = c.find("shutdown(SHUT_WR)").expect("shutdown narrated");
        let eof = c.find("client: recv 0 bytes").expect("server closed");
        let got = c[shut..]
            .find("client: recv ")
            .expect("replies after shutdown");
        assert!(shut + got < eof, "{c}");
        assert!(st.text().contains("server: recv 0 bytes"), "{}", st.text());
    }
}

#[test]
fn rst_teardown_seen_by_an_independent_peer() {
    // The same check without our server: a plain std listener reads ECONNRESET.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 16];
        let len = s.read(&mut buf).unwrap();
        s.write_all(&buf[..len]).unwrap();
        // Read again: this blocks until the client's RST comes, which makes it fail.
        s.read(&mut buf).map_err(|e| e.raw_os_error())
    });
    tcp_echo::client(addr, ["x"], Teardown::Rst, &Narrator::silent()).unwrap();
    assert_eq!(peer.join().unwrap(), Err(Some(libc::ECONNRESET)));

    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut all = Vec::new();
        // Half-close: the client's FIN ends our reading, but we can still send afterwards.
        s.read_to_end(&mut all).unwrap();
        s.write_all(b"late reply\n").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        all
    });
    let r = tcp_echo::client(addr, ["q1", "q2"], Teardown::HalfClose, &Narrator::silent());
    assert_eq!(r.unwrap(), ["late reply"]);
    assert_eq!(peer.join().unwrap(), b"q1\nq2\n");
}

#[test]
fn udp_client_says_when_nothing_comes_back() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let out = run_with_input(
        Command::new(BIN).args([
            "demo",
            "udp-upper",
            "client",
            "--port",
            &port,
            "--timeout",
            "0.2",
            "ping",
        ]),
        b"",
        LONG,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply within 0.2s"), "{err}");
    assert!(err.contains("UDP does not retransmit"), "{err}");
    let mut buf = [0u8; 16];
    assert_eq!(silent.recv(&mut buf).unwrap(), 4, "the datagram did arrive");
}

// ---------------------------------------------------------------------------------------------
// The command line: port 0, clients, Ctrl-C

/// Starts `sockscope demo <args> --port 0` and reads its `listening on ADDR` line.
fn start_cli(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(BIN)
        .arg("demo")
        .args(args)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("no `listening on` line: {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

fn wait_exit(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop within {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn cli_server_and_client_with_port_zero() {
    let (server, addr) = start_cli(&["tcp-echo", "--once", "--host", "127.0.0.1"]);
    let port = addr.port().to_string();
    let out = run_with_input(
        Command::new(BIN).args(["demo", "tcp-echo", "client", "--port", &port, "one", "two"]),
        b"",
        LONG,
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ntwo\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("client: socket(AF_INET, SOCK_STREAM)\n"),
        "{err}"
    );
    let done = wait_exit(server, LONG);
    assert!(done.status.success());
    let err = String::from_utf8_lossy(&done.stderr);
    for call in [
        "server: listen backlog=5",
        "server: accept -> 127.0.0.1:",
        "server: sendall 4 bytes",
    ] {
        assert!(err.contains(call), "missing {call:?}: {err}");
    }

    // Messages from standard input, over IPv6 when available; and the http client.
    if support::ipv6_loopback() {
        let (server, addr) = start_cli(&["threaded", "--once", "--host", "::1", "-q"]);
        let port = addr.port().to_string();
        let out = run_with_input(
            Command::new(BIN).args([
                "demo", "threaded", "client", "--host", "::1", "--port", &port,
            ]),
            b"from stdin\n",
            LONG,
        );
        assert_stamped(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            "from stdin",
        );
        assert!(wait_exit(server, LONG).status.success());
    }
    let site = Site::new();
    let root = site.root();
    let (server, addr) = start_cli(&["http", "--once", "--root", root.to_str().unwrap()]);
    let url = format!("http://{addr}/hello.txt");
    let out = run_with_input(
        Command::new(BIN).args(["demo", "http", "client", &url, "--body", "-q"]),
        b"",
        LONG,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\n"), "{text}");
    assert!(
        text.contains("\nContent-Length: 6\n") && text.ends_with("\n\nhello\n"),
        "{text}"
    );
    assert!(wait_exit(server, LONG).status.success());
}

#[test]
fn cli_servers_stop_cleanly_on_sigint_and_sigterm() {
    let site = Site::new();
    let root = site.root();
    let root = root.to_str().unwrap();
    for (demo, signal) in [
        (&["tcp-echo"][..], libc::SIGINT),
        (&["udp-upper"], libc::SIGTERM),
        (&["threaded"], libc::SIGINT),
        (&["nonblocking"], libc::SIGTERM),
        (&["http", "--root", root], libc::SIGINT),
    ] {
        let (mut server, addr) = start_cli(demo);
        // The narration, line by line as it comes, and all of it at the end.
        let (lines, narration) = mpsc::channel();
        let stderr = BufReader::new(server.stderr.take().unwrap());
        let reader = thread::spawn(move || {
            let mut all = String::new();
            for line in stderr.lines().map_while(Result::ok) {
                all += &line;
                all.push('\n');
                let _ = lines.send(line);
            }
            all
        });
        // An idle client is connected while the signal comes (TCP demos): wait until the
        // server has accepted it, so that the signal finds it being served.
        let idle = (demo[0] != "udp-upper").then(|| TcpStream::connect(addr).unwrap());
        if idle.is_some() {
            let deadline = Instant::now() + LONG;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match narration.recv_timeout(left) {
                    Ok(line) if line.starts_with("server: accept -> ") => break,
                    Ok(_) => {}
                    Err(_) => panic!("{demo:?}: the server never accepted the idle client"),
                }
            }
        }
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(server.id() as libc::pid_t, signal) }, 0);
        let out = wait_exit(server, Duration::from_secs(10));
        assert!(out.status.success(), "{demo:?}: {out:?}");
        let err = reader.join().unwrap();
        assert!(err.contains("server: done: "), "{demo:?}: {err}");
        drop(idle);
    }
}

#[test]
fn cli_usage_errors_exit_2() {
    for args in [
        &["demo", "http", "client"][..],
        &["demo", "http", "client", "ftp://x/"],
        &["demo", "http", "--root", "/nonexistent/dir"],
        &["demo", "tcp-echo", "server", "stray"],
        &["demo", "udp-upper", "client", "--timeout", "-1", "x"],
        &["demo", "udp-upper", "client", "--teardown", "rst", "x"],
        &["demo", "threaded", "--teardown", "half-close"],
    ] {
        let out = run_with_input(Command::new(BIN).args(args), b"", LONG);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_with_input(
        Command::new(BIN).args(["demo", "tcp-echo", "--port", &port]),
        b"",
        LONG,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EADDRINUSE"));
}

#[test]
fn tcp_servers_stay_up_after_resets_and_garbage() {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let q = Narrator::silent();
    let servers = [
        Running::start(tcp_echo::bind(&config(any, None), q.clone()).unwrap()),
        Running::start(threaded::bind(&config(any, None), 4, q.clone()).unwrap()),
        Running::start(nonblocking::bind(&config(any, None), 4, q.clone()).unwrap()),
    ];
    for srv in servers {
        // A reset in the middle of a conversation, binary junk, a connect-and-vanish...
        tcp_echo::client(srv.addr, ["x"], Teardown::Rst, &q).unwrap();
        let mut junk = TcpStream::connect(srv.addr).unwrap();
        junk.write_all(&[0, 0xff, 0xfe, b'\r', 0]).unwrap();
        socket2::SockRef::from(&junk)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(junk);
        drop(TcpStream::connect(srv.addr).unwrap());
        // ...and the next client is served as usual.
        let r = tcp_echo::client(srv.addr, ["still here"], Teardown::Fin, &q).unwrap();
        assert!(r[0].ends_with("still here"), "{r:?}");
        // The clients' calls return before the server has necessarily accepted the short-lived
        // connections or read the RST (the kernel may even queue them after the last client's),
        // so wait for the counts before stopping.
        srv.wait_for(|s| s.clients >= 4 && s.resets >= 1);
        let s = srv.stop();
        assert_eq!(s.clients, 4, "{s:?}");
        assert!(s.resets >= 1, "{s:?}");
    }
}
