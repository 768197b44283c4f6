//! Running a lesson's demo live: its server in a thread and its client script, both recording
//! their socket calls as timed events (the lesson merges them with the packets by time), with a
//! pause after each step until the capture has shown the step's packets.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::observe::{Expect, Progress};
use super::table::{Demo, Lesson, Script};
use super::trials::{self, Prepared};
use crate::demo::http::{self, HttpConfig};
use crate::demo::narrate::CallSink;
use crate::demo::tcp_echo::LineClient;
use crate::demo::udp_upper::UdpClient;
use crate::demo::{
    Narrator, Serve, ServeStats, ServerConfig, Teardown, describe, spawn, tcp_echo, threaded,
    udp_upper,
};

/// How long the client waits for any reply before calling the lesson failed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The page the http lesson serves.
const PAGE: &str = "<!doctype html>\n<title>sockscope</title>\n<p>Hello from the http demo.</p>\n";

/// A directory with the http lesson's page, removed when dropped.
struct Site(PathBuf);

impl Site {
    fn create() -> io::Result<Site> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("sockscope-lesson-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)?;
        let site = Site(dir);
        std::fs::write(site.0.join("index.html"), PAGE)?;
        Ok(site)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Server = JoinHandle<io::Result<ServeStats>>;

fn started<S: Serve>(bound: io::Result<S>, stop: &Arc<AtomicBool>) -> Result<Server, String> {
    let server = bound.map_err(|e| format!("cannot start the demo server: {}", describe(&e)))?;
    Ok(spawn(server, Arc::clone(stop)).1)
}

/// How many clients (TCP) or datagrams (UDP) the script will bring to the server.
fn clients(script: Script) -> u64 {
    match script {
        Script::Datagrams { messages } | Script::Concurrent { messages } => messages.len() as u64,
        _ => 1,
    }
}

/// Starts the lesson's server on `addr` (nothing for [`Demo::Nothing`]).
fn start_server(
    lesson: &Lesson,
    addr: SocketAddr,
    n: Narrator,
    stop: &Arc<AtomicBool>,
) -> Result<(Option<Server>, Option<Site>), String> {
    let mut cfg = ServerConfig::new(addr);
    cfg.max_clients = Some(clients(lesson.script));
    let server = match lesson.demo {
        Demo::TcpEcho => started(tcp_echo::bind(&cfg, n), stop)?,
        Demo::UdpUpper => started(udp_upper::bind(&cfg, n), stop)?,
        Demo::Threaded => {
            cfg.backlog = 128;
            started(threaded::bind(&cfg, 8, n), stop)?
        }
        Demo::Http => {
            let site = Site::create()
                .map_err(|e| format!("cannot create the http lesson's directory: {e}"))?;
            n.say(format_args!("serving {}", site.0.display()));
            cfg.backlog = 128;
            let server = started(http::bind(&cfg, HttpConfig::new(&site.0), n), stop)?;
            return Ok((Some(server), Some(site)));
        }
        Demo::Nothing => return Ok((None, None)),
    };
    Ok((Some(server), None))
}

/// A silent narrator for `role` that records its socket calls into `calls`.
pub fn narrator(calls: &CallSink, role: &str) -> Narrator {
    Narrator::silent().with_role(role).with_calls(calls.clone())
}

/// Runs the lesson's server and client against `addr`, narrating into `console`. Returns what
/// the capture should wait for before it stops. `prepared`: what the lesson opened while it
/// still had its privileges ([`trials::prepare`]).
pub fn perform(
    lesson: &Lesson,
    addr: SocketAddr,
    calls: CallSink,
    progress: &Progress,
    prepared: Prepared,
) -> Result<Expect, String> {
    // The narration is the calls' timed events: text lines would be printed when a thread gets
    // to them, out of order with the packets.
    let narrator = |role: &str| narrator(&calls, role);
    let stop = Arc::new(AtomicBool::new(false));
    let (server, site) = start_server(lesson, addr, narrator("server"), &stop)?;
    progress.settle();
    let result = match lesson.script {
        Script::Loss | Script::FlowControl | Script::RawSocket => {
            trials::run(lesson.script, addr, &narrator("client"), progress, prepared)
        }
        script => client(script, addr, &narrator("client"), progress),
    };
    progress.settle();
    // Every server has a client budget and ends by itself; the flag is for a client that
    // failed half-way.
    stop.store(true, Ordering::Relaxed);
    if let Some(server) = server {
        match server.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => narrator("server").say(format_args!("failed: {}", describe(&e))),
            Err(_) => return Err("the demo server panicked".into()),
        }
    }
    drop(site);
    result
}

fn failed(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {}", describe(&e))
}

fn client(
    script: Script,
    addr: SocketAddr,
    n: &Narrator,
    progress: &Progress,
) -> Result<Expect, String> {
    let tcp = |count| Expect {
        tcp: count,
        datagrams: 0,
    };
    match script {
        Script::Lines { messages, teardown } => {
            let mut c = LineClient::connect(addr, n.clone()).map_err(failed("connect failed"))?;
            c.set_read_timeout(Some(REPLY_TIMEOUT))
                .map_err(failed("setsockopt failed"))?;
            progress.settle();
            for m in messages {
                if teardown == Teardown::HalfClose {
                    // No pause: the FIN should go out while the echoes are still coming.
                    c.send(m).map_err(failed("send failed"))?;
                } else {
                    let reply = c.exchange(m).map_err(failed("no reply"))?;
                    n.say(format_args!("reply {reply:?}"));
                    progress.settle();
                }
            }
            for reply in c.finish(teardown).map_err(failed("closing failed"))? {
                n.say(format_args!("reply {reply:?}"));
            }
            Ok(tcp(1))
        }
        Script::Datagrams { messages } => {
            let mut c =
                UdpClient::new(addr, REPLY_TIMEOUT, n.clone()).map_err(failed("socket failed"))?;
            let mut datagrams = 0;
            for m in messages {
                datagrams += 1;
                if let Some(reply) = c.ask(m).map_err(failed("sendto failed"))? {
                    datagrams += 1;
                    n.say(format_args!("reply {reply:?}"));
                }
                progress.settle();
            }
            c.close();
            Ok(Expect { tcp: 0, datagrams })
        }
        Script::Concurrent { messages } => {
            let mut clients = Vec::new();
            for i in 1..=messages.len() {
                let c = LineClient::connect(addr, n.with_role(&format!("client{i}")))
                    .map_err(failed("connect failed"))?;
                c.set_read_timeout(Some(REPLY_TIMEOUT))
                    .map_err(failed("setsockopt failed"))?;
                clients.push(c);
                progress.settle();
            }
            for (i, (c, m)) in clients.iter_mut().zip(messages).enumerate() {
                let reply = c.exchange(m).map_err(failed("no reply"))?;
                n.with_role(&format!("client{}", i + 1))
                    .say(format_args!("reply {reply:?}"));
                progress.settle();
            }
            let count = clients.len();
            for c in clients {
                c.finish(Teardown::Fin).map_err(failed("closing failed"))?;
                progress.settle();
            }
            Ok(tcp(count))
        }
        Script::HttpGet { path } => {
            let host = match addr {
                SocketAddr::V4(a) => a.to_string(),
                SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            };
            let r = http::fetch(addr, &host, path, Teardown::Fin, n)
                .map_err(failed("the GET failed"))?;
            n.say(format_args!(
                "response {:?}, {} bytes of body",
                r.status_line,
                r.body.len()
            ));
            Ok(tcp(1))
        }
        Script::Loss | Script::FlowControl | Script::RawSocket => {
            Err("this lesson runs its own server (trials)".into())
        }
        Script::Refused => {
            // connect() narrates its own failure (ECONNREFUSED): that is the lesson.
            match crate::demo::connect(addr, n) {
                Err(e) if e.raw_os_error() == Some(crate::sys::errno::ECONNREFUSED) => Ok(tcp(1)),
                Err(e) => Err(format!(
                    "connect failed, but not with ECONNREFUSED: {}",
                    describe(&e)
                )),
                Ok(_) => Err(format!(
                    "something listens on {addr}: the refused lesson needs a port nobody uses \
                     (leave out --port to get one)"
                )),
            }
        }
    }
}
