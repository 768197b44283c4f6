//! `sockscope demo ...`: builds the demo server or client the arguments ask for (the plain
//! configuration structs of [`crate::demo`]), prints results on stdout (`listening on ADDR`,
//! replies, the HTTP status and headers) and the narration on stderr.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::time::Duration;

use clap::ValueEnum;

use super::Error;
use crate::cli::{DemoArgs, DemoName, DemoRole, TeardownArg};
use crate::demo::http::{self, HttpConfig};
use crate::demo::tcp_echo::LineClient;
use crate::demo::udp_upper::UdpClient;
use crate::demo::{
    Narrator, Serve, ServerConfig, Teardown, describe, nonblocking, stop_on_signals, tcp_echo,
    threaded, udp_upper,
};

/// Default ports, one per demo, so a server and its client agree without options.
const DEFAULT_PORTS: &[(DemoName, u16)] = &[
    (DemoName::TcpEcho, 7007),
    (DemoName::UdpUpper, 7008),
    (DemoName::Threaded, 7009),
    (DemoName::Nonblocking, 7010),
    (DemoName::Http, 8000),
];

/// Runs `sockscope demo`.
pub fn run(a: &DemoArgs) -> Result<(), Error> {
    let default = DEFAULT_PORTS
        .iter()
        .find(|(d, _)| *d == a.name)
        .map_or(0, |p| p.1);
    let addr = SocketAddr::new(a.host, a.port.unwrap_or(default));
    let role = match a.role {
        DemoRole::Server => "server",
        DemoRole::Client => "client",
    };
    let n = if a.quiet {
        Narrator::silent()
    } else {
        Narrator::stderr(role)
    };
    if teardown(a) != Teardown::Fin && (a.role == DemoRole::Server || a.name == DemoName::UdpUpper)
    {
        return Err(Error::usage(
            "--teardown is for the TCP clients (UDP has no connection to tear down, and the \
             servers close each connection after its client)",
        ));
    }
    match a.role {
        DemoRole::Server => server(a, addr, n),
        DemoRole::Client => client(a, addr, n),
    }
}

/// An I/O error shown with its errno name and meaning ([`describe`]).
#[derive(Debug)]
struct Described(io::Error);

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&self.0))
    }
}

impl std::error::Error for Described {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The demo's name for `--teardown`.
fn teardown(a: &DemoArgs) -> Teardown {
    match a.teardown {
        TeardownArg::Fin => Teardown::Fin,
        TeardownArg::Rst => Teardown::Rst,
        TeardownArg::HalfClose => Teardown::HalfClose,
    }
}

fn seconds(t: Option<f64>, default: u64) -> Result<Duration, Error> {
    match t {
        None => Ok(Duration::from_secs(default)),
        Some(s) => Duration::try_from_secs_f64(s)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::usage(format!(
                    "--timeout must be a positive number of seconds, not {s}"
                ))
            }),
    }
}

fn server(a: &DemoArgs, addr: SocketAddr, n: Narrator) -> Result<(), Error> {
    if !a.args.is_empty() {
        return Err(Error::usage(format!(
            "a demo server takes no messages (got {:?}); to send them, run the client: \
             sockscope demo {} client ...",
            a.args[0],
            a.name
                .to_possible_value()
                .map_or("NAME".into(), |v| v.get_name().to_string())
        )));
    }
    let mut cfg = ServerConfig::new(addr);
    cfg.backlog = a
        .backlog
        .unwrap_or(if a.name == DemoName::TcpEcho { 5 } else { 128 });
    cfg.max_clients = if a.once { Some(1) } else { a.max_clients };
    let m = n.clone();
    match a.name {
        DemoName::TcpEcho => start(tcp_echo::bind(&cfg, m), n),
        DemoName::UdpUpper => start(udp_upper::bind(&cfg, m), n),
        DemoName::Threaded => {
            let max = a.max_concurrent.unwrap_or(threaded::MAX_THREADS);
            start(threaded::bind(&cfg, max, m), n)
        }
        DemoName::Nonblocking => {
            let max = a.max_concurrent.unwrap_or(nonblocking::MAX_CONNS);
            start(nonblocking::bind(&cfg, max, m), n)
        }
        DemoName::Http => {
            if !a.root.is_dir() {
                return Err(Error::usage(format!(
                    "--root must be an existing directory: {}",
                    a.root.display()
                )));
            }
            let mut h = HttpConfig::new(&a.root);
            h.read_timeout = seconds(a.timeout, 10)?;
            h.max_threads = a.max_concurrent.unwrap_or(h.max_threads);
            start(http::bind(&cfg, h, m), n)
        }
    }
}

/// Prints `listening on ADDR`, serves until Ctrl-C, SIGTERM or the client limit, and narrates
/// a summary.
fn start<S: Serve>(bound: io::Result<S>, n: Narrator) -> Result<(), Error> {
    let server = bound.map_err(|e| Error::failed("cannot start the server", Described(e)))?;
    let stop =
        stop_on_signals().map_err(|e| Error::failed("cannot install the Ctrl-C handler", e))?;
    let mut out = io::stdout();
    // One machine-readable line, so scripts and lessons can learn the port.
    let _ = writeln!(out, "listening on {}", server.local_addr());
    let _ = out.flush();
    let s = server
        .run(stop)
        .map_err(|e| Error::failed("the server failed", Described(e)))?;
    n.say(format_args!(
        "done: {} clients, {} bytes in, {} bytes out, {} resets, {} refused, {} bad requests",
        s.clients, s.bytes_in, s.bytes_out, s.resets, s.refused, s.bad_requests
    ));
    Ok(())
}

/// The client's messages: the arguments, or else standard input's lines as they come.
fn messages(a: &DemoArgs) -> Box<dyn Iterator<Item = io::Result<String>> + '_> {
    if a.args.is_empty() {
        Box::new(io::stdin().lock().lines())
    } else {
        Box::new(a.args.iter().cloned().map(Ok))
    }
}

fn runtime(what: &str) -> impl Fn(io::Error) -> Error + '_ {
    move |e| Error::failed(what, Described(e))
}

fn client(a: &DemoArgs, addr: SocketAddr, n: Narrator) -> Result<(), Error> {
    let mut out = io::stdout();
    match a.name {
        DemoName::Http => {
            let [url] = &a.args[..] else {
                return Err(Error::usage(
                    "the http client takes one URL, e.g. http://127.0.0.1:8000/",
                ));
            };
            http::parse_url(url).map_err(Error::usage)?;
            let r =
                http::get(url, teardown(a), &n).map_err(runtime(&format!("cannot fetch {url}")))?;
            let _ = writeln!(out, "{}", r.status_line);
            for (k, v) in &r.headers {
                let _ = writeln!(out, "{k}: {v}");
            }
            if a.body {
                let _ = writeln!(out);
                let _ = out.write_all(&r.body);
            } else {
                let _ = writeln!(out, "\n({} bytes of body; --body prints it)", r.body.len());
            }
            Ok(())
        }
        DemoName::UdpUpper => {
            let timeout = seconds(a.timeout, 2)?;
            let mut c =
                UdpClient::new(addr, timeout, n).map_err(runtime("cannot create the socket"))?;
            let mut lost = 0;
            for m in messages(a) {
                let m = m.map_err(runtime("cannot read standard input"))?;
                match c
                    .ask(&m)
                    .map_err(runtime(&format!("cannot send to {addr}")))?
                {
                    Some(reply) => {
                        let _ = writeln!(out, "{reply}");
                    }
                    // The narration has said why; the exit code says it to scripts.
                    None => lost += 1,
                }
                let _ = out.flush();
            }
            c.close();
            if lost > 0 {
                return Err(Error::runtime(format!(
                    "{lost} datagram(s) got no reply: UDP does not retransmit, so a lost \
                     datagram, or a server that is not running, just means silence"
                )));
            }
            Ok(())
        }
        DemoName::TcpEcho | DemoName::Threaded | DemoName::Nonblocking => {
            let mut c = LineClient::connect(addr, n)
                .map_err(runtime(&format!("cannot connect to {addr}")))?;
            let talk = runtime("the connection failed");
            for m in messages(a) {
                let m = m.map_err(runtime("cannot read standard input"))?;
                if teardown(a) == Teardown::HalfClose {
                    c.send(&m).map_err(&talk)?;
                } else {
                    let reply = c.exchange(&m).map_err(&talk)?;
                    let _ = writeln!(out, "{reply}");
                    let _ = out.flush();
                }
            }
            for line in c.finish(teardown(a)).map_err(&talk)? {
                let _ = writeln!(out, "{line}");
            }
            Ok(())
        }
    }
}
