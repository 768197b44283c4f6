//! `http`: a minimal HTTP/1.1 file server for one directory, and a client that fetches a URL.
//!
//! HTTP is text on top of a TCP byte stream: the client sends a request head (request line,
//! header lines, an empty line), the server answers with a status line, header lines, an empty
//! line and the body, whose length `Content-Length` announces so the connection can carry the
//! next request (keep-alive, the default in HTTP/1.1; `Connection: close` ends it). RFC 9110
//! (semantics) and RFC 9112 (the message syntax) are the references.
//!
//! The server supports GET and HEAD only, one thread per connection (bounded, as in `threaded`),
//! and is careful about what it serves: never a file outside its root, whatever the request
//! says (`..` segments, `%2e%2e`, encoded slashes, NUL bytes, symlinks pointing out). A
//! malformed, oversized or slow request gets an error status (or a close) on its own connection
//! and harms nobody else.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::threaded::{DAYS, MONTHS, run_threads};
use super::{
    Counters, Narrator, POLL, Polled, Serve, ServeStats, ServerConfig, Teardown, close, connect,
    recv, recv_polled, send_counted,
};

/// The server's settings beyond where it listens.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The directory served; nothing outside it ever is.
    pub root: PathBuf,
    /// At most this many connections are served at once (one thread each).
    pub max_threads: usize,
    /// A request head must arrive completely within this time (also the keep-alive idle time).
    pub read_timeout: Duration,
    /// The largest request head (request line and headers) accepted, in bytes.
    pub max_head: usize,
}

impl HttpConfig {
    /// Serves `root` with 64 threads, a 10 s read timeout and 8 KiB request heads.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        HttpConfig {
            root: root.into(),
            max_threads: 64,
            read_timeout: Duration::from_secs(10),
            max_head: 8 * 1024,
        }
    }
}

/// Status codes this server sends, with their reason phrases (RFC 9110 §15, RFC 6585 §5).
const STATUSES: &[(u16, &str)] = &[
    (200, "OK"),
    (400, "Bad Request"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (431, "Request Header Fields Too Large"),
    (500, "Internal Server Error"),
];

fn reason(code: u16) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Unknown", |(_, r)| r)
}

/// Content-Type by file extension (lower case); anything else is application/octet-stream.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/plain; charset=utf-8"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("pdf", "application/pdf"),
    ("wasm", "application/wasm"),
    ("pcap", "application/vnd.tcpdump.pcap"),
];

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    CONTENT_TYPES
        .iter()
        .find(|(e, _)| Some(*e) == ext.as_deref())
        .map_or("application/octet-stream", |(_, t)| t)
}

/// A request refused before any file is touched: the status and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status code to answer with.
    pub status: u16,
    /// A short explanation (sent as the body, and narrated).
    pub why: String,
}

fn refuse(status: u16, why: impl Into<String>) -> Refusal {
    Refusal {
        status,
        why: why.into(),
    }
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target as sent, e.g. `/docs/a%20b.html?x=1`.
    pub target: String,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

/// The value of the first header called `name` (case-insensitive).
fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Request {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        if self.minor >= 1 {
            !self.connection_has("close")
        } else {
            self.connection_has("keep-alive")
        }
    }
}

/// RFC 9110 §5.6.2 token characters (method and header names).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The most header lines accepted in one request.
const MAX_HEADERS: usize = 100;

/// Parses a request head (everything up to and including the empty line).
pub fn parse_head(head: &[u8]) -> Result<Request, Refusal> {
    let text = std::str::from_utf8(head)
        .map_err(|_| refuse(400, "the request head must be ASCII text"))?;
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .skip_while(|l| l.is_empty());
    let line = lines.next().unwrap_or("");
    // The request line is exactly: method SP target SP version (RFC 9112 §3).
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(refuse(
            400,
            "the request line must be `METHOD /path HTTP/1.1`",
        ));
    };
    if !is_token(method) || target.is_empty() {
        return Err(refuse(400, "malformed method or request target"));
    }
    let minor = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        _ => return Err(refuse(400, "only HTTP/1.0 and HTTP/1.1 are understood")),
    };
    let mut headers = Vec::new();
    for l in lines.take_while(|l| !l.is_empty()) {
        // No whitespace is allowed between the field name and the colon (RFC 9112 §5.1).
        let Some((name, value)) = l.split_once(':').filter(|(n, _)| is_token(n)) else {
            return Err(refuse(400, "a header line must be `Name: value`"));
        };
        if headers.len() == MAX_HEADERS {
            return Err(refuse(431, format!("more than {MAX_HEADERS} header lines")));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        minor,
        headers,
    })
}

/// Decodes `%XX` escapes; `None` if one is malformed.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Maps a request target to a file or directory inside `root` (which must be canonical), or
/// refuses. The rules, in order:
/// 1. the target must be a path starting with `/` (no `http://...` or `*` forms);
/// 2. the query (`?...`) is ignored;
/// 3. each `/`-separated segment is percent-decoded on its own, and refused if it decodes to
///    `..`, or contains `/`, `\` or NUL (so `%2e%2e`, `..%2f` and `%00` are caught);
/// 4. the joined path is canonicalized (every symlink resolved), and refused unless it is still
///    inside `root`: a symlink pointing out of the root is no way out.
pub fn resolve(root: &Path, target: &str) -> Result<PathBuf, Refusal> {
    if !target.starts_with('/') {
        return Err(refuse(400, "the request target must start with /"));
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    let mut rel = PathBuf::new();
    for seg in path.split('/') {
        let bytes = percent_decode(seg).ok_or_else(|| refuse(400, "malformed %-escape"))?;
        if bytes.iter().any(|b| matches!(b, b'/' | b'\\' | 0)) {
            return Err(refuse(400, "encoded /, \\ or NUL in the path"));
        }
        match &bytes[..] {
            b"" | b"." => {}
            b".." => return Err(refuse(400, "`..` in the path: nothing above the root")),
            name => rel.push(OsStr::from_bytes(name)),
        }
    }
    let full = root
        .join(&rel)
        .canonicalize()
        .map_err(|_| refuse(404, format!("no such file: {path}")))?;
    if !full.starts_with(root) {
        return Err(refuse(403, "that path leads outside the served directory"));
    }
    Ok(full)
}

/// A bound HTTP server; [`Serve::run`] it.
pub struct HttpServer {
    listener: TcpListener,
    addr: SocketAddr,
    max_clients: Option<u64>,
    cfg: Arc<HttpConfig>,
    n: Narrator,
}

/// Creates, binds and listens (narrated), serving `http.root` (which must be a directory).
pub fn bind(cfg: &ServerConfig, mut http: HttpConfig, n: Narrator) -> io::Result<HttpServer> {
    // Canonical once, so that every resolved path can be checked against it by prefix.
    http.root = http.root.canonicalize().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot serve {}: {e}", http.root.display()),
        )
    })?;
    if !http.root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--root must be a directory: {}", http.root.display()),
        ));
    }
    let listener = super::tcp_listener(cfg, &n)?;
    Ok(HttpServer {
        addr: listener.local_addr()?,
        listener,
        max_clients: cfg.max_clients,
        cfg: Arc::new(http),
        n,
    })
}

impl HttpServer {
    /// The canonical directory being served.
    pub fn root(&self) -> &Path {
        &self.cfg.root
    }
}

impl Serve for HttpServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self, stop: Arc<AtomicBool>, counters: Arc<Counters>) -> io::Result<ServeStats> {
        let cfg = self.cfg;
        let limits = (self.max_clients, cfg.max_threads.max(1));
        Ok(run_threads(
            self.listener,
            &self.n,
            (stop, counters),
            limits,
            move |stream, n: &Narrator, stop: &AtomicBool, counters: &Counters| {
                serve_connection(stream, &cfg, n, stop, counters)
            },
        ))
    }
}

/// What reading a request head gave.
enum Head {
    Complete(Vec<u8>),
    /// The client closed, went quiet, or the server is stopping: just close.
    Gone,
    TooLarge(Refusal),
}

/// Where the head in `buf` ends (after its empty line), accepting bare LF line ends too.
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    crlf.into_iter().chain(lf).min()
}

/// Reads until `buf` holds a whole request head, within the limits.
fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    cfg: &HttpConfig,
    n: &Narrator,
    stop: &AtomicBool,
    counters: &Counters,
) -> Head {
    // The whole head must come within the timeout, so a client sending one byte a second
    // cannot hold a thread for ever.
    let deadline = Instant::now() + cfg.read_timeout;
    let mut chunk = [0u8; 4096];
    loop {
        // Empty lines before a request line are allowed (RFC 9112 §2.2).
        let blank = buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        buf.drain(..blank);
        if let Some(end) = head_end(buf) {
            if end > cfg.max_head {
                break;
            }
            return Head::Complete(buf.drain(..end).collect());
        }
        if buf.len() > cfg.max_head {
            break;
        }
        match recv_polled(stream, &mut chunk, n, stop, Some(deadline), counters) {
            Ok(Polled::Data(0)) => {
                if !buf.is_empty() {
                    n.say("the client closed in the middle of a request head");
                }
                return Head::Gone;
            }
            Ok(Polled::Data(len)) => buf.extend_from_slice(&chunk[..len]),
            Ok(Polled::TimedOut) => {
                n.say(format_args!(
                    "no complete request within {}s",
                    cfg.read_timeout.as_secs_f64()
                ));
                return Head::Gone;
            }
            Ok(Polled::Stopped) | Err(_) => return Head::Gone,
        }
    }
    let limit = cfg.max_head;
    Head::TooLarge(if buf.iter().take(limit).any(|&b| b == b'\n') {
        refuse(
            431,
            format!("the request head is longer than {limit} bytes"),
        )
    } else {
        refuse(
            400,
            format!("the request line is longer than {limit} bytes"),
        )
    })
}

/// Serves the requests of one connection until it closes, asks to close, or misbehaves.
fn serve_connection(
    mut stream: TcpStream,
    cfg: &HttpConfig,
    n: &Narrator,
    stop: &AtomicBool,
    counters: &Counters,
) {
    let mut buf = Vec::new();
    let refused = loop {
        let head = match read_head(&mut stream, &mut buf, cfg, n, stop, counters) {
            Head::Complete(head) => head,
            Head::Gone => break false,
            Head::TooLarge(r) => {
                Counters::add(&counters.bad_requests, 1);
                let _ = send_refusal(&mut stream, &r, false, n, counters);
                break true;
            }
        };
        let after = match parse_head(&head) {
            Ok(req) => {
                n.say(format_args!(
                    "{} {} HTTP/1.{}",
                    req.method, req.target, req.minor
                ));
                respond(&mut stream, &req, cfg, n, counters)
            }
            Err(r) => {
                Counters::add(&counters.bad_requests, 1);
                send_refusal(&mut stream, &r, false, n, counters).map(|()| After::Refused)
            }
        };
        match after {
            Ok(After::Next) => {}
            Ok(After::Close) => break !buf.is_empty(),
            Ok(After::Refused) => break true,
            Err(_) => break false,
        }
    };
    if refused {
        drain_before_close(&mut stream, n);
    }
    close(stream, Teardown::Fin, n);
}

/// Closing a socket with unread data makes the kernel send RST, which can destroy our error
/// response before the client reads it. So: send FIN first (SHUT_WR), then read and discard
/// what the client still sends, for a short while, and only then close.
fn drain_before_close(stream: &mut TcpStream, n: &Narrator) {
    let _ = super::shutdown_write(stream, n);
    let until = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 4096];
    let mut total = 0usize;
    while Instant::now() < until && total < 1 << 20 {
        // Reads time out every POLL: only the attempts that return something are recorded.
        let c = super::recv_call(stream, n);
        match stream.read(&mut sink) {
            Ok(len) => {
                c.done(Ok(len as i64), Some(&sink[..len]));
                if len == 0 {
                    break;
                }
                total += len;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                std::thread::sleep(POLL / 10);
            }
            Err(e) => {
                c.done(Err(&e), None);
                break;
            }
        }
    }
    if total > 0 {
        n.say(format_args!("discarded {total} more bytes from the client"));
    }
}

/// `Date:` value, RFC 9110 §5.6.7 IMF-fixdate: `Sun, 22 Nov 2026 06:00:52 GMT`.
pub fn http_date(unix: i64) -> String {
    let Some(tm) = crate::sys::tz::utc(unix) else {
        return String::new();
    };
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[tm.wday.clamp(0, 6) as usize],
        tm.mday,
        MONTHS[tm.month0.clamp(0, 11) as usize],
        tm.year,
        tm.hour,
        tm.min,
        tm.sec
    )
}

/// Status line and header section of a response.
fn response_head(status: u16, extra: &[(&str, &str)], len: u64, keep: bool, minor: u8) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut h = format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nServer: sockscope-demo\r\nContent-Length: {len}\r\n",
        reason(status),
        http_date(now)
    );
    for (name, value) in extra {
        h += &format!("{name}: {value}\r\n");
    }
    if !keep {
        h += "Connection: close\r\n";
    } else if minor == 0 {
        h += "Connection: keep-alive\r\n";
    }
    h += "\r\n";
    h.into_bytes()
}

/// Sends an error status with a one-line explanation as its body.
fn send_refusal(
    stream: &mut TcpStream,
    r: &Refusal,
    keep: bool,
    n: &Narrator,
    counters: &Counters,
) -> io::Result<()> {
    n.say(format_args!(
        "-> {} {}: {}",
        r.status,
        reason(r.status),
        r.why
    ));
    let body = format!("{} {}: {}\n", r.status, reason(r.status), r.why);
    let mut extra = vec![("Content-Type", "text/plain; charset=utf-8")];
    if r.status == 405 {
        // 405 must say which methods would work (RFC 9110 §15.5.6).
        extra.push(("Allow", "GET, HEAD"));
    }
    let mut msg = response_head(r.status, &extra, body.len() as u64, keep, 1);
    msg.extend_from_slice(body.as_bytes());
    send_counted(stream, &msg, n, counters)
}

/// What happens to a connection after a response.
enum After {
    /// Keep it open for the next request.
    Next,
    /// Close it (the client asked to, or HTTP/1.0).
    Close,
    /// Close it after an error status (so: drain what the client still sends first).
    Refused,
}

/// Answers one parsed request; says what happens to the connection next.
fn respond(
    stream: &mut TcpStream,
    req: &Request,
    cfg: &HttpConfig,
    n: &Narrator,
    counters: &Counters,
) -> io::Result<After> {
    let keep = req.keep_alive();
    let after = if keep { After::Next } else { After::Close };
    let mut fail = |status, why: &str| {
        if status != 404 {
            Counters::add(&counters.bad_requests, 1);
        }
        // A 404 is an ordinary answer; after anything worse the connection is closed.
        let (keep, after) = match status {
            404 if keep => (true, After::Next),
            404 => (false, After::Close),
            _ => (false, After::Refused),
        };
        send_refusal(stream, &refuse(status, why), keep, n, counters).map(|()| after)
    };
    if req.method != "GET" && req.method != "HEAD" {
        return fail(405, "this server only does GET and HEAD");
    }
    let has_body = req.header("transfer-encoding").is_some()
        || req
            .header("content-length")
            .is_some_and(|v| v.trim() != "0");
    if has_body {
        return fail(400, "a GET or HEAD request has no body here");
    }
    if req.minor == 1 && req.header("host").is_none() {
        return fail(400, "HTTP/1.1 requests must have a Host header");
    }
    let mut path = match resolve(&cfg.root, &req.target) {
        Ok(p) => p,
        Err(r) => return fail(r.status, &r.why),
    };
    if path.is_dir() {
        let index = path.join("index.html");
        match index.canonicalize() {
            Ok(p) if p.starts_with(&cfg.root) && p.is_file() => path = p,
            Ok(_) => return fail(403, "index.html leads outside the served directory"),
            Err(_) => return send_listing(stream, req, &path, keep, n, counters).map(|()| after),
        }
    }
    let file = match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
        Ok((f, m)) if m.is_file() => (f, m.len()),
        _ => return fail(404, "not a readable file"),
    };
    let (mut file, len) = file;
    let ty = content_type(&path);
    n.say(format_args!("-> 200 OK, {ty}, {len} bytes"));
    let head = response_head(200, &[("Content-Type", ty)], len, keep, req.minor);
    send_counted(stream, &head, n, counters)?;
    if req.method == "GET" {
        // HEAD gets the same head and no body. For GET, copy the file to the socket (std uses
        // sendfile() here: the kernel copies file to socket without our buffers).
        n.say(format_args!("sendall {len} bytes (the file)"));
        let fd = stream.as_raw_fd();
        let c = super::socket_call(
            stream,
            n,
            "sendfile",
            format_args!("{fd}, file, {len} bytes"),
        )
        .enter();
        let r = io::copy(&mut file.by_ref().take(len), stream);
        c.done(r.as_ref().map(|&sent| sent as i64), None);
        let sent = r?;
        Counters::add(&counters.bytes_out, sent);
        if sent < len {
            n.say("the file shrank while being sent: close");
            return Ok(After::Close);
        }
    }
    Ok(after)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn percent_encode(name: &[u8]) -> String {
    name.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A directory without index.html: an HTML list of its entries.
fn send_listing(
    stream: &mut TcpStream,
    req: &Request,
    dir: &Path,
    keep: bool,
    n: &Narrator,
    counters: &Counters,
) -> io::Result<()> {
    let mut names: Vec<(Vec<u8>, bool)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name().as_bytes().to_vec(), is_dir)
        })
        .collect();
    names.sort();
    let base = req.target.split(['?', '#']).next().unwrap_or("/");
    let base = base.trim_end_matches('/');
    let title = html_escape(&String::from_utf8_lossy(
        &percent_decode(base).unwrap_or_default(),
    ));
    let mut body = format!("<!doctype html>\n<title>{title}/</title>\n<h1>{title}/</h1>\n<ul>\n");
    for (name, is_dir) in &names {
        let slash = if *is_dir { "/" } else { "" };
        body += &format!(
            "<li><a href=\"{base}/{}{slash}\">{}{slash}</a></li>\n",
            percent_encode(name),
            html_escape(&String::from_utf8_lossy(name))
        );
    }
    body += "</ul>\n";
    n.say(format_args!(
        "-> 200 OK, listing of {} entries",
        names.len()
    ));
    let ty = [("Content-Type", "text/html; charset=utf-8")];
    let mut msg = response_head(200, &ty, body.len() as u64, keep, req.minor);
    if req.method == "GET" {
        msg.extend_from_slice(body.as_bytes());
    }
    send_counted(stream, &msg, n, counters)
}

/// A response as the client read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// E.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    /// E.g. 200.
    pub status: u16,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body (by Content-Length, or everything until the server closed).
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The parts of an `http://host[:port][/path]` URL: the host as written (for the Host header),
/// the port (80 if absent) and the path (`/` if absent).
pub fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed [ in {url}"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?} in {url}"))?,
        None => 80,
    };
    if host.is_empty() {
        return Err(format!("no host in {url}"));
    }
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok((host_header, port, path.to_string()))
}

/// The largest response the client keeps in memory.
const MAX_RESPONSE: usize = 256 << 20;

/// Fetches `url` (`http://host:port/path`) with GET and `Connection: close`, ending the
/// connection as `teardown` says (half-close sends our FIN right after the request).
pub fn get(url: &str, teardown: Teardown, n: &Narrator) -> io::Result<Response> {
    let (host, port, path) =
        parse_url(url).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let addr = (name, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no address for {name}")))?;
    fetch(addr, &host, &path, teardown, n)
}

/// GETs `path` from the server at `addr`, sending `host` as the Host header.
pub fn fetch(
    addr: SocketAddr,
    host: &str,
    path: &str,
    teardown: Teardown,
    n: &Narrator,
) -> io::Result<Response> {
    let mut stream = connect(addr, n)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sockscope-demo\r\nConnection: close\r\n\r\n"
    );
    super::send_all(&mut stream, request.as_bytes(), n)?;
    super::after_sending(&stream, teardown, n)?;
    let mut data = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut parsed: Option<(usize, Option<usize>)> = None; // (head length, content length)
    loop {
        if parsed.is_none()
            && let Some(end) = head_end(&data)
        {
            let head = String::from_utf8_lossy(&data[..end]);
            let cl = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok());
            parsed = Some((end, cl));
        }
        if let Some((end, Some(len))) = parsed
            && data.len() >= end + len
        {
            data.truncate(end + len);
            break;
        }
        if data.len() > MAX_RESPONSE {
            return Err(io::Error::other("response larger than 256 MiB"));
        }
        let got = recv(&mut stream, &mut chunk, n)?;
        if got == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..got]);
    }
    close(stream, teardown, n);
    let Some((end, _)) = parsed else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the server closed before sending a whole response head",
        ));
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let mut lines = head.lines().filter(|l| !l.is_empty());
    let status_line = lines.next().unwrap_or("").to_string();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an HTTP status line: {status_line:?}"),
            )
        })?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Response {
        status_line,
        status,
        headers,
        body: data[end..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_head() {
        let r = parse_head(
            b"GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, close\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.minor),
            ("GET", "/a%20b?x=1", 1)
        );
        assert_eq!(r.header("host"), Some("h"));
        assert!(!r.keep_alive());
        let r = parse_head(b"HEAD / HTTP/1.0\n\n").unwrap();
        assert!(!r.keep_alive());
        let r = parse_head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        assert!(r.keep_alive());
    }

    #[test]
    fn refuses_malformed_heads() {
        for (head, status) in [
            (&b"GET /\r\n\r\n"[..], 400),
            (b"GET  / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400),
            (b"GET /\xff HTTP/1.1\r\n\r\n", 400),
        ] {
            assert_eq!(parse_head(head).unwrap_err().status, status, "{head:?}");
        }
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(101));
        assert_eq!(parse_head(many.as_bytes()).unwrap_err().status, 431);
    }

    #[test]
    fn resolve_stays_inside_the_root() {
        let dir = std::env::temp_dir().join(format!("sockscope-resolve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a b.txt"), "x").unwrap();
        let root = dir.canonicalize().unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        std::os::unix::fs::symlink("sub", root.join("in")).unwrap();
        assert_eq!(
            resolve(&root, "/sub/a%20b.txt?q").unwrap(),
            root.join("sub/a b.txt")
        );
        assert_eq!(
            resolve(&root, "//in/./a%20b.txt").unwrap(),
            root.join("sub/a b.txt")
        );
        for (target, status) in [
            ("/../etc/passwd", 400),
            ("/sub/../../etc/passwd", 400),
            ("/%2e%2e/%2e%2e/etc/passwd", 400),
            ("/%2E%2E/etc/passwd", 400),
            ("/..%2fetc/passwd", 400),
            ("/%2fetc/passwd", 400),
            ("/..%5cetc", 400),
            ("/sub%00.txt", 400),
            ("/%zz", 400),
            ("http://x/etc/passwd", 400),
            ("*", 400),
            ("/out/passwd", 403),
            ("/nope", 404),
        ] {
            assert_eq!(
                resolve(&root, target).unwrap_err().status,
                status,
                "{target}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn content_types_and_dates() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.bin")), "application/octet-stream");
        assert_eq!(
            content_type(Path::new("Makefile")),
            "application/octet-stream"
        );
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_327_252), "Sun, 22 Nov 2026 06:00:52 GMT");
    }

    #[test]
    fn parses_urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:8000/a?b").unwrap(),
            ("127.0.0.1:8000".into(), 8000, "/a?b".into())
        );
        assert_eq!(
            parse_url("http://[::1]:81").unwrap(),
            ("[::1]:81".into(), 81, "/".into())
        );
        assert_eq!(
            parse_url("http://h").unwrap(),
            ("h:80".into(), 80, "/".into())
        );
        assert!(parse_url("https://h/").is_err());
        assert!(parse_url("http://h:x/").is_err());
        assert!(parse_url("http://[::1/").is_err());
    }
}
