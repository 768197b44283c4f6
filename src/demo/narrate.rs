//! The narrator: one line per socket call (`server: bind 127.0.0.1:7007`), prefixed with the
//! role, so a learner can match each call with the packets it causes. Shared by every demo.
//!
//! A narrator can also record each socket call as two timed events ([`Narrator::with_calls`]):
//! *enter*, stamped with CLOCK_REALTIME immediately before the system call (before it can send
//! anything), and *return*, stamped immediately after it completed. Packets carry the same
//! clock, so a lesson orders calls and packets by these stamps, not by when a thread printed.

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::sys::abi as libc;
use crate::sys::trace::now_ns;
use crate::track::calls::{CallEvent, Family, Phase, Proto};
use crate::track::sockcalls::{errno_name, quote};

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Where recorded call events go (e.g. a channel into the lesson's timeline).
pub type CallSink = Arc<dyn Fn(CallEvent) + Send + Sync>;

/// The kernel's id of the calling thread, from the `/proc/thread-self` link (`PID/task/TID`).
fn thread_id() -> u32 {
    thread_local! {
        static TID: u32 = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name()?.to_str()?.parse().ok())
            .unwrap_or(0);
    }
    TID.with(|t| *t)
}

/// A call record's protocol and family from a socket's domain and type.
fn kind_of((domain, ty): (i32, i32)) -> (Option<Proto>, Option<Family>) {
    let family = match domain {
        libc::AF_INET => Some(Family::Inet),
        libc::AF_INET6 => Some(Family::Inet6),
        libc::AF_UNIX => Some(Family::Unix),
        _ => None,
    };
    let ip = matches!(family, Some(Family::Inet | Family::Inet6));
    let proto = match ty {
        libc::SOCK_STREAM if ip => Some(Proto::Tcp),
        libc::SOCK_DGRAM if ip => Some(Proto::Udp),
        _ => None,
    };
    (proto, family)
}

/// Bytes a preview shows of a send or receive.
const PREVIEW: usize = 32;

/// One socket call being made: its enter event is stamped when this is created; [`Call::done`]
/// stamps and records the return. Dropped without `done` (a retried attempt that only timed
/// out), it records nothing more.
#[must_use]
pub struct Call {
    ev: Option<(CallEvent, CallSink)>,
    entered: bool,
}

impl Call {
    /// The socket's local and remote addresses, when known.
    pub fn addrs(mut self, local: Option<SocketAddr>, remote: Option<SocketAddr>) -> Self {
        if let Some((ev, _)) = &mut self.ev {
            ev.local = local.map(|a| a.to_string()).or(ev.local.take());
            ev.remote = remote.map(|a| a.to_string()).or(ev.remote.take());
        }
        self
    }

    /// The socket's protocol and family, when the call has no socket yet (`socket()`).
    pub fn kind(mut self, proto: Proto, family: Family) -> Self {
        if let Some((ev, _)) = &mut self.ev {
            (ev.proto, ev.family) = (Some(proto), Some(family));
        }
        self
    }

    /// Records the enter event now (stamped when the call was created). Calls that may be
    /// retried quietly record it only with their return ([`Call::done`]).
    pub fn enter(mut self) -> Self {
        if let Some((ev, sink)) = &self.ev {
            sink(ev.clone());
            self.entered = true;
        }
        self
    }

    /// Stamps the return now and records it with the call's result (`value` of a success:
    /// a byte count, a descriptor, 0) or its errno; `data`: the bytes a send or receive moved.
    pub fn done(self, result: Result<i64, &io::Error>, data: Option<&[u8]>) {
        let ts = now_ns();
        let Some((mut ev, sink)) = self.ev else {
            return;
        };
        if !self.entered {
            sink(ev.clone());
        }
        ev.ts_ns = ts;
        ev.phase = Phase::Return;
        match result {
            Ok(v) => ev.result = Some(v),
            Err(e) => ev.errno = Some(e.raw_os_error().map_or("E?", errno_name)),
        }
        if let Some(d) = data {
            ev.bytes = Some(d.len() as u64);
            if !d.is_empty() {
                ev.preview = Some(quote(&d[..d.len().min(PREVIEW)], d.len()));
            }
        }
        sink(ev);
    }
}

/// Writes narration lines for one role (`server`, `client`, `server[3]`, ...).
///
/// Clones share the same output, so the threads of a server can all narrate into one stream
/// without tearing lines. A silent narrator drops everything. Write errors are ignored: the
/// narration must never break the demo it describes.
#[derive(Clone)]
pub struct Narrator {
    sink: Option<Sink>,
    role: Arc<str>,
    calls: Option<CallSink>,
}

impl Narrator {
    /// A narrator writing to `out`, each line prefixed with `role: `.
    pub fn new(out: Box<dyn Write + Send>, role: &str) -> Self {
        Narrator {
            sink: Some(Arc::new(Mutex::new(out))),
            role: role.into(),
            calls: None,
        }
    }

    /// A narrator writing to standard error (the demos' default: stdout keeps the results).
    pub fn stderr(role: &str) -> Self {
        Narrator::new(Box::new(io::stderr()), role)
    }

    /// A narrator that says nothing (`--quiet`).
    pub fn silent() -> Self {
        Narrator {
            sink: None,
            role: "".into(),
            calls: None,
        }
    }

    /// A narrator writing into memory, and the [`Transcript`] to read it back (for tests and for
    /// the lesson runner, which interleaves narration with its own output).
    pub fn capture(role: &str) -> (Self, Transcript) {
        let t = Transcript::default();
        (Narrator::new(Box::new(t.clone()), role), t)
    }

    /// The same output under another role, e.g. `server[3]` for the thread serving client 3.
    pub fn with_role(&self, role: &str) -> Self {
        Narrator {
            sink: self.sink.clone(),
            role: role.into(),
            calls: self.calls.clone(),
        }
    }

    /// The same narrator, also recording each socket call as timed events into `calls`
    /// (the events' `comm` is the role).
    pub fn with_calls(mut self, calls: CallSink) -> Self {
        self.calls = Some(calls);
        self
    }

    /// Starts a socket call: stamps its enter event now, immediately before the system call.
    /// `fd`: the socket's descriptor; `args`: the arguments as a learner reads them.
    /// The socket's protocol and family are read from `fd` first, before the stamp.
    pub fn call(&self, call: &'static str, fd: Option<i32>, args: impl fmt::Display) -> Call {
        let kind = match (&self.calls, fd) {
            (Some(_), Some(fd)) => crate::sys::fd::socket_kind(fd).map_or((None, None), kind_of),
            _ => (None, None),
        };
        let ts_ns = now_ns();
        let ev = self.calls.as_ref().map(|sink| {
            let ev = CallEvent {
                ts_ns,
                pid: std::process::id(),
                tid: thread_id(),
                comm: self.role.to_string(),
                call,
                phase: Phase::Enter,
                fd,
                args: args.to_string(),
                local: None,
                remote: None,
                result: None,
                errno: None,
                bytes: None,
                preview: None,
                flow: None,
                proto: kind.0,
                family: kind.1,
            };
            (ev, Arc::clone(sink))
        });
        Call { ev, entered: false }
    }

    /// The role this narrator prefixes its lines with.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// Writes one line: `role: what`.
    pub fn say(&self, what: impl fmt::Display) {
        if let Some(sink) = &self.sink {
            let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(out, "{}: {what}", self.role);
            let _ = out.flush();
        }
    }
}

/// An in-memory narration buffer, shared between its clones.
#[derive(Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Transcript {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Write for Transcript {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_the_role_and_clones_share_the_output() {
        let (n, t) = Narrator::capture("server");
        n.say("bind 127.0.0.1:7007");
        n.with_role("server[1]")
            .say(format_args!("recv {} bytes", 12));
        assert_eq!(
            t.text(),
            "server: bind 127.0.0.1:7007\nserver[1]: recv 12 bytes\n"
        );
    }

    #[test]
    fn silent_narrator_writes_nothing() {
        let n = Narrator::silent();
        n.say("close");
        assert_eq!(n.role(), "");
    }
}
