//! `sockscope run -- COMMAND [ARGS...]`: runs a program under the tracer and shows its socket
//! calls and its packets on one timeline, in timestamp order.
//!
//! Which packets are captured, and how, is in [`capture`].
//!
//! Three threads: the tracer (ptrace must be driven from the thread that started the program),
//! the capture, and this one, which merges both through a [`Timeline`] and prints. Each call is
//! stamped at its seccomp stop (enter, before it runs) and at its syscall-exit stop (return,
//! after it completed), with CLOCK_REALTIME, the clock the kernel stamps packets with.

#[path = "run_capture.rs"]
mod capture;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::Duration;

use super::config::use_color;
use super::{Error, out};
use crate::cli::{ColorChoice, RunArgs};
use crate::decode::{Packet, decode};
use crate::pcapng_writer::PcapngWriter;
use crate::render::calls::{call_line, call_text};
use crate::render::json::JsonRenderer;
use crate::render::ladder::{CallLane, LadderOptions, LadderRenderer, Layout};
use crate::render::learner::LearnerRenderer;
use crate::render::time::{TimeFormatter, TimeStyle};
use crate::render::{PacketContext, Renderer};
use crate::source::live::{CaptureSource, LiveSource, OpenError};
use crate::source::{LinkType, OwnedFrame, Source, Timestamp};
use crate::sys::term::output_width;
use crate::sys::trace::{self, Handler, IDLE, Syscall, Tracee, procfs};
use crate::track::Tracker;
use crate::track::callrec;
use crate::track::calls::{CallEvent, Timed, Timeline};
use crate::track::sockcalls::{Inspect, Sock, SockCalls, wire_note};

/// How long an event waits for earlier ones from the other thread (calls and packets come from
/// different threads, so they arrive slightly out of order).
const WINDOW_NS: u64 = 200_000_000;
/// How often the merger looks for new events.
const POLL_MS: u64 = 5;
/// Events held at most while one input is silent.
const CAPACITY: usize = 100_000;
/// The snap length written in the saved file's interface descriptions.
const SNAPLEN: u32 = 262_144;
/// After the program ended, how long packets still in flight are waited for.
const DRAIN_MS: u64 = 50;

/// The inputs of the timeline.
const CALLS: usize = 0;
const PACKETS: usize = 1;

/// What the threads send to the merger.
enum Msg {
    Call(Box<(CallEvent, Option<(usize, Sock)>)>),
    Packet(OwnedFrame),
    /// A traced process's program (`python3 server.py`), when first seen or after an exec.
    Program(u32, String),
    TraceDone(Result<i32, trace::TraceError>),
    CaptureDone,
}

/// A timeline item.
enum Item {
    Call(CallEvent),
    Packet(OwnedFrame, u64),
}

impl Timed for Item {
    fn ts_ns(&self) -> u64 {
        match self {
            Item::Call(c) => c.ts_ns,
            Item::Packet(_, ts) => *ts,
        }
    }
}

fn ts_ns(ts: Timestamp) -> u64 {
    (ts.sec.max(0) as u64) * 1_000_000_000 + u64::from(ts.nsec)
}

fn ts_of(ns: u64) -> Timestamp {
    Timestamp::new((ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as u32)
}

/// The system side of the decoder: memory of the tracee and /proc.
struct ProcInspect;

impl Inspect for ProcInspect {
    fn read(&self, pid: u32, tid: u32, addr: u64, len: usize) -> Option<Vec<u8>> {
        Tracee { pid, tid }.read(addr, len)
    }
    fn fd_socket(&self, pid: u32, fd: i32) -> Option<Option<u64>> {
        procfs::fd_socket(pid, fd)
    }
    fn socket_row(&self, pid: u32, inode: u64) -> Option<(bool, SocketAddr, SocketAddr)> {
        use crate::services::Proto;
        use crate::sys::procfs::parse_table;
        for (table, proto, v6) in [
            ("tcp", Proto::Tcp, false),
            ("tcp6", Proto::Tcp, true),
            ("udp", Proto::Udp, false),
            ("udp6", Proto::Udp, true),
        ] {
            let text = procfs::net_table(pid, table).unwrap_or_default();
            if let Some(e) = parse_table(&text, proto, v6)
                .into_iter()
                .find(|e| e.inode == inode)
            {
                return Some((proto == Proto::Udp, e.local, e.remote));
            }
        }
        None
    }
    fn socket_fds(&self, pid: u32) -> Vec<(i32, u64)> {
        procfs::socket_fds(pid)
    }
    fn comm(&self, tid: u32) -> String {
        procfs::comm(tid)
    }
}

/// The tracer's handler: decodes each stop and sends the events to the merger.
struct Glue {
    dec: SockCalls,
    tx: Sender<Msg>,
    /// Processes whose program was reported.
    named: std::collections::HashSet<u32>,
    /// The captures, whose filter follows the sockets' addresses.
    captures: Option<Arc<capture::Captures>>,
    /// Each socket's addresses as last given to the captures.
    watched: HashMap<usize, (Option<SocketAddr>, Option<SocketAddr>)>,
}

impl Glue {
    /// Gives the captures the addresses of the event's socket when they changed. The thread is
    /// still stopped: a connect's SYN cannot leave before its filter is in place.
    fn watch(&mut self, e: &Option<(CallEvent, Option<usize>)>) {
        let (Some(c), Some((_, Some(i)))) = (&self.captures, e) else {
            return;
        };
        let s = &self.dec.sockets()[*i];
        let now = (s.local_ip(), s.remote_ip());
        if self.watched.insert(*i, now) != Some(now) {
            c.learn(s);
        }
    }

    fn send(&mut self, e: Option<(CallEvent, Option<usize>)>) {
        self.watch(&e);
        if let Some((ev, sock)) = e {
            // Read while the thread is stopped: the process still exists.
            if self.named.insert(ev.pid) {
                let p = crate::sys::sockowners::program(ev.pid, &ev.comm);
                let _ = self.tx.send(Msg::Program(ev.pid, p));
            }
            let snap = sock.map(|s| (s, self.dec.sockets()[s].clone()));
            let _ = self.tx.send(Msg::Call(Box::new((ev, snap))));
        }
    }
}

impl Handler for Glue {
    fn enter(&mut self, t: Tracee, ts_ns: u64, call: Syscall, args: [u64; 6]) -> bool {
        let (want, ev) = self
            .dec
            .enter(&ProcInspect, t.pid, t.tid, ts_ns, call, args);
        self.send(ev);
        want
    }
    fn exit(&mut self, t: Tracee, ts_ns: u64, ret: i64) {
        let ev = self.dec.exit(&ProcInspect, t.pid, t.tid, ts_ns, ret);
        self.send(ev);
    }
    fn spawned(&mut self, parent: Tracee, child: Tracee) {
        self.dec.spawned(parent.pid, child.pid, child.tid);
    }
    fn exec(&mut self, t: Tracee) {
        self.named.remove(&t.pid);
        self.dec.exec(&ProcInspect, t.pid, t.tid);
    }
}

/// `sockscope run`.
pub fn run(a: RunArgs) -> Result<(), Error> {
    let stop: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let (tx, rx) = mpsc::channel();
    let mut no_capture_note = None;
    let mut captures = None;
    let mut capture_link = None;
    if !a.no_capture {
        // Opened before the program starts; more interfaces join as its connections use them.
        let c = capture::Captures::new(stop, tx.clone());
        match c.open(&a.interface) {
            Ok(link) => {
                capture_link = Some(link);
                captures = Some(c);
            }
            Err(OpenError::Permission(_)) => {
                no_capture_note = Some(
                    "only the calls are shown: capturing their packets needs CAP_NET_RAW \
                     (run as root, or once: sudo setcap cap_net_raw+eip $(command -v sockscope))",
                );
            }
            Err(e) => return Err(Error::usage(e)),
        }
    }
    let calls_progress = Arc::new(AtomicU64::new(IDLE));
    let (ready_tx, ready_rx) = mpsc::channel();
    // Under sudo the program runs as the user who ran it (its files, its home), not as root.
    let var = |n: &str| std::env::var(n).ok();
    let user = crate::sys::privileges::sudo_account(
        var("SUDO_UID").as_deref(),
        var("SUDO_GID").as_deref(),
        crate::sys::privileges::euid(),
    )
    .map(|a| (a.uid, a.gid));
    let tracer = {
        let tx = tx.clone();
        let argv = a.command.clone();
        let progress = calls_progress.clone();
        let captures = captures.clone();
        std::thread::spawn(move || {
            let traced: Vec<Syscall> = Syscall::all().collect();
            let child = match trace::spawn(&argv, &traced, user) {
                Ok(c) => {
                    let _ = ready_tx.send(Ok(c.pid()));
                    c
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let mut glue = Glue {
                dec: SockCalls::new(),
                tx: tx.clone(),
                named: Default::default(),
                captures,
                watched: HashMap::new(),
            };
            let r = child.run(&mut glue, &progress);
            let _ = tx.send(Msg::TraceDone(r));
        })
    };
    drop(tx);
    let started = ready_rx.recv().unwrap_or_else(|_| {
        Err(trace::TraceError::Io {
            what: "the tracer thread ended",
            err: io::Error::other("no report"),
        })
    });
    if let Err(e) = started {
        stop.store(true, Ordering::SeqCst);
        let _ = tracer.join();
        if let Some(c) = &captures {
            c.join();
        }
        return Err(trace_failure(e));
    }
    // Ctrl-C reaches the program (same process group); sockscope waits for it to end.
    ignore_interrupts();
    if let Some(n) = no_capture_note {
        out::say(n);
    }
    let color = use_color(a.color, io::stdout().is_terminal()) && a.color != ColorChoice::Never;
    let stdout = io::stdout();
    let ui = super::tui::start_for_run(a.tui, color)?;
    // With --tui the explorer writes to the terminal: standard output stays unlocked.
    let mut out: Box<dyn Write> = match ui {
        Some(_) => Box::new(io::sink()),
        None => Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock())),
    };
    let mut view = View::new(a.json, color);
    if a.ladder {
        view.ladder = Some(run_ladder(color, view.owners.clone()));
    }
    if let Some(path) = &a.write {
        view.saved = Some(
            Saved::create(path, capture_link, &a.interface).map_err(|e| {
                Error::usage(io::Error::new(
                    e.kind(),
                    format!("cannot write {}: {e}", path.display()),
                ))
            })?,
        );
    }
    view.tui = ui.as_ref().map(|u| u.0.clone());
    let status = merge(
        &rx,
        &mut view,
        &mut out,
        &calls_progress,
        captures.as_deref(),
        stop,
    );
    if let Some(l) = &mut view.ladder {
        let _ = l.finish(&mut out);
    }
    let _ = out.flush();
    if let Some(Err(e)) = view.saved.take().map(|mut s| s.file.flush()) {
        out::warn(format!("the saved file is incomplete: {e}"));
    }
    let shown = view.shown;
    drop(view);
    super::tui::wait_for_run(ui, &status)?;
    let _ = tracer.join();
    if let Some(c) = &captures {
        c.join();
        // tcpdump's counts: "received by filter" counts what the kernel filter let through.
        let summary = super::live::CaptureSummary {
            captured: shown,
            kernel: c.stats(),
        };
        out::stderr(&summary.report());
    }
    match status {
        Ok(0) => Ok(()),
        Ok(code) => {
            drop(out);
            std::process::exit(code)
        }
        Err(e) => Err(trace_failure(e)),
    }
}

/// A program that cannot be started is a usage error; anything else failed at run time.
fn trace_failure(e: trace::TraceError) -> Error {
    match e {
        trace::TraceError::Exec { .. } => Error::usage(e),
        _ => Error::runtime(e),
    }
}

fn ignore_interrupts() {
    // The program gets SIGINT from the terminal too; sockscope ends when it ends.
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGINT,
        Arc::new(AtomicBool::new(false)),
    );
}

fn capture_loop(src: &mut LiveSource, tx: &Sender<Msg>, progress: &Arc<AtomicU64>) {
    let idle = progress.clone();
    src.set_idle_hook(Box::new(move || idle.store(IDLE, Ordering::SeqCst)));
    while let Ok(Some(f)) = src.next_frame() {
        progress.store(ts_ns(f.ts), Ordering::SeqCst);
        let frame = OwnedFrame {
            ts: f.ts,
            link: f.link,
            orig_len: f.orig_len,
            data: f.data.to_vec(),
        };
        if tx.send(Msg::Packet(frame)).is_err() {
            break;
        }
    }
    progress.store(IDLE, Ordering::SeqCst);
}

/// The watermark an input's progress gives: a time before which nothing more will come.
fn mark(p: &AtomicU64, now: u64) -> u64 {
    match p.load(Ordering::SeqCst) {
        IDLE => now,
        t => t,
    }
}

/// Merges until the program and the capture have ended; returns the program's exit status.
fn merge(
    rx: &Receiver<Msg>,
    view: &mut View,
    out: &mut dyn Write,
    calls: &AtomicU64,
    packets: Option<&capture::Captures>,
    stop: &'static AtomicBool,
) -> Result<i32, trace::TraceError> {
    let inputs = if packets.is_some() { 2 } else { 1 };
    let mut tl: Timeline<Item> = Timeline::new(inputs, WINDOW_NS, CAPACITY);
    let mut status = None;
    let mut capture_done = packets.is_none();
    let mut out_ok = true;
    loop {
        let now = trace::now_ns();
        let cm = mark(calls, now);
        let pm = packets.map(|p| p.mark(now));
        while let Ok(m) = rx.try_recv() {
            handle(m, &mut tl, view, &mut status, &mut capture_done, packets);
        }
        if status.is_none() {
            tl.advance(CALLS, cm);
        } else {
            tl.advance(CALLS, u64::MAX);
        }
        if let Some(pm) = pm {
            tl.advance(PACKETS, pm);
        }
        let mut wrote = false;
        while let Some(item) = tl.pop_ready() {
            out_ok &= view.item(out, item).is_ok();
            wrote = true;
        }
        if wrote {
            out_ok &= out.flush().is_ok();
        }
        if status.is_some() && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(DRAIN_MS));
            stop.store(true, Ordering::SeqCst);
        }
        if status.is_some() && capture_done {
            while let Ok(m) = rx.try_recv() {
                handle(m, &mut tl, view, &mut status, &mut capture_done, packets);
            }
            while let Some(item) = tl.flush() {
                out_ok &= view.item(out, item).is_ok();
            }
            let _ = out.flush();
            break;
        }
        // Polled, not waited on: a receiver blocked on the channel would be woken by every
        // event, a thread switch per call that the traced program pays for on a busy machine.
        // The timeline holds events for WINDOW_NS anyway, so a few milliseconds cost nothing.
        match rx.try_recv() {
            Ok(m) => handle(m, &mut tl, view, &mut status, &mut capture_done, packets),
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(POLL_MS)),
            Err(TryRecvError::Disconnected) => {
                capture_done = true;
                status.get_or_insert(Ok(0));
            }
        }
    }
    let _ = out_ok;
    status.unwrap_or(Ok(0))
}

/// Takes one message from the threads.
fn handle(
    m: Msg,
    tl: &mut Timeline<Item>,
    view: &mut View,
    status: &mut Option<Result<i32, trace::TraceError>>,
    capture_done: &mut bool,
    captures: Option<&capture::Captures>,
) {
    match m {
        Msg::Call(c) => {
            let (ev, snap) = *c;
            if let Some((i, s)) = snap {
                view.learn(i, s);
            }
            view.owners.borrow_mut().learn(&ev);
            tl.push(CALLS, Item::Call(ev));
        }
        Msg::Packet(f) => {
            let ts = ts_ns(f.ts);
            tl.push(PACKETS, Item::Packet(f, ts));
        }
        Msg::Program(pid, p) => {
            view.owners.borrow_mut().programs.insert(pid, p);
        }
        Msg::TraceDone(r) => *status = Some(r),
        Msg::CaptureDone => *capture_done = captures.is_none_or(|c| c.all_done()),
    }
}

/// The output: calls and the program's packets, as learner lines or JSON objects.
struct View {
    json: bool,
    time: TimeFormatter,
    packets: Box<dyn Renderer>,
    tracker: Tracker,
    /// The traced sockets, as last reported by the tracer.
    socks: HashMap<usize, Sock>,
    /// Conversation index of each (local, remote) pair seen in packets.
    flows: HashMap<(SocketAddr, SocketAddr), u32>,
    number: u64,
    /// Packets of the program shown (or saved).
    shown: u64,
    buf: Vec<u8>,
    /// `-w FILE`: where the program's packets and calls are saved.
    saved: Option<Saved>,
    /// `--ladder`: the packets as arrows, the calls on their program's lane.
    ladder: Option<LadderRenderer>,
    /// Which traced process holds which address, for the ladder's lanes.
    owners: Rc<RefCell<Owners>>,
    /// `--tui`: the explorer takes the program's calls and packets instead of `out`.
    tui: Option<crate::tui::live::Feed>,
}

/// The traced programs and the local addresses their calls showed.
#[derive(Default)]
struct Owners {
    programs: HashMap<u32, String>,
    by_addr: HashMap<SocketAddr, u32>,
}

impl Owners {
    fn learn(&mut self, ev: &CallEvent) {
        if let Some(l) = ev
            .local
            .as_deref()
            .and_then(|l| l.parse::<SocketAddr>().ok())
            && l.port() != 0
        {
            self.by_addr.insert(l, ev.pid);
        }
    }

    /// `python3 server.py [pid 4242]` for a traced process holding `a` (or its port on any
    /// address).
    fn name(&self, a: SocketAddr) -> Option<String> {
        let pid = self.by_addr.get(&a).or_else(|| {
            self.by_addr
                .iter()
                .find(|(k, _)| k.port() == a.port() && k.ip().is_unspecified())
                .map(|(_, p)| p)
        })?;
        let prog = self.programs.get(pid).map_or("?", String::as_str);
        Some(format!("{prog} [pid {pid}]"))
    }
}

/// The ladder of `run --ladder`: written as packets come, lanes named after their programs.
fn run_ladder(color: bool, traced: Rc<RefCell<Owners>>) -> LadderRenderer {
    let mut l = LadderRenderer::new(LadderOptions {
        width: output_width(),
        color,
        layout: Layout::Incremental,
        ..LadderOptions::default()
    });
    // The tracer's knowledge first (the programs may be gone when their packets are drawn),
    // then /proc's socket tables for the other end when it is another local program.
    let mut others = super::live::owner_namer();
    l.set_lane_namer(Box::new(move |end, other| {
        let a = SocketAddr::new(end.0, end.1);
        traced.borrow().name(a).or_else(|| others(end, other))
    }));
    l
}

/// The pcapng file of `run -w`: the capture's interface, and the calls' interface whose frames
/// are call records (see [`callrec`]).
struct Saved {
    file: PcapngWriter<io::BufWriter<std::fs::File>>,
    packets: Option<(u32, LinkType)>,
    calls: u32,
}

impl Saved {
    fn create(path: &std::path::Path, link: Option<LinkType>, iface: &str) -> io::Result<Saved> {
        let f = std::fs::File::create(path)?;
        let mut file = PcapngWriter::new(io::BufWriter::with_capacity(1 << 16, f))?;
        let packets = match link {
            Some(l) => Some((file.add_interface(l.0, SNAPLEN, iface)?, l)),
            None => None,
        };
        let calls =
            file.add_interface(callrec::LINKTYPE_USER0, SNAPLEN, callrec::INTERFACE_NAME)?;
        Ok(Saved {
            file,
            packets,
            calls,
        })
    }
}

impl View {
    fn new(json: bool, color: bool) -> Self {
        let packets: Box<dyn Renderer> = if json {
            Box::new(JsonRenderer::new())
        } else {
            Box::new(LearnerRenderer::new(
                color,
                false,
                Some(TimeFormatter::new(TimeStyle::Clock, false)),
            ))
        };
        View {
            json,
            time: TimeFormatter::new(TimeStyle::Clock, false),
            packets,
            tracker: Tracker::new(),
            socks: HashMap::new(),
            flows: HashMap::new(),
            number: 0,
            shown: 0,
            buf: Vec::with_capacity(512),
            saved: None,
            ladder: None,
            owners: Rc::default(),
            tui: None,
        }
    }

    fn learn(&mut self, i: usize, s: Sock) {
        self.socks.insert(i, s);
    }

    fn item(&mut self, out: &mut dyn Write, item: Item) -> io::Result<()> {
        if let Some(feed) = &self.tui {
            match item {
                Item::Call(ev) => feed.send(crate::tui::index::Event::Call(ev)),
                Item::Packet(f, _) if self.ours(&decode(&f.as_frame())) => {
                    feed.send(crate::tui::index::Event::Packet(f))
                }
                Item::Packet(..) => true,
            };
            return Ok(());
        }
        match item {
            Item::Call(ev) => self.call(out, ev),
            Item::Packet(f, _) => {
                self.number += 1;
                let frame = f.as_frame();
                let p = decode(&frame);
                if !self.ours(&p) {
                    return Ok(());
                }
                self.shown += 1;
                let track = self.tracker.observe(&p);
                if let (Some(t), Some(key)) = (track, tuple(&p)) {
                    self.flows.insert(key, t.flow);
                    self.flows.insert((key.1, key.0), t.flow);
                }
                // One interface description for the packets: frames of another link type (a
                // tun interface beside lo) cannot be written on it.
                if let Some(s) = &mut self.saved
                    && let Some((id, link)) = s.packets
                    && link == f.link
                {
                    s.file.write(id, ts_ns(f.ts), f.orig_len, &f.data)?;
                }
                let ctx = PacketContext {
                    number: self.number,
                    track,
                };
                if let Some(l) = &mut self.ladder {
                    l.packet(out, &p, &ctx)
                } else if self.json {
                    self.buf.clear();
                    self.packets.packet(&mut self.buf, &p, &ctx)?;
                    // Today's packet object, with "event":"packet" first.
                    out.write_all(b"{\"event\":\"packet\",")?;
                    out.write_all(&self.buf[1..])
                } else {
                    self.packets.packet(out, &p, &ctx)
                }
            }
        }
    }

    /// Whether a packet belongs to one of the traced sockets: one of its ends is a socket's
    /// local address (a wildcard address matches any), or it goes to or comes from the address
    /// a socket was connecting to while that connect was running (its local port is learned
    /// only when connect returns, and not at all when it failed).
    fn ours(&self, p: &Packet<'_>) -> bool {
        let Some(((src, dst), udp)) = tuple(p).map(|t| (t, p.tcp().is_none())) else {
            return false;
        };
        let ts = ts_ns(p.ts);
        let same = |a: SocketAddr, b: SocketAddr| {
            a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified())
        };
        self.socks.values().any(|s| {
            if s.datagram != udp {
                return false;
            }
            if let Some(l) = s.local_ip()
                && (same(l, src) || same(l, dst))
            {
                return true;
            }
            match (s.remote_ip(), s.connect_span) {
                (Some(r), Some((enter, ret))) => {
                    (r == src || r == dst) && ts >= enter && ret.is_none_or(|r| ts <= r)
                }
                _ => false,
            }
        })
    }

    fn flow_of(&self, ev: &CallEvent) -> Option<u32> {
        let l: SocketAddr = ev.local.as_deref()?.parse().ok()?;
        let r: SocketAddr = ev.remote.as_deref()?.parse().ok()?;
        self.flows.get(&(l, r)).copied()
    }

    fn call(&mut self, out: &mut dyn Write, mut ev: CallEvent) -> io::Result<()> {
        ev.flow = self.flow_of(&ev);
        if let Some(s) = &mut self.saved {
            s.file
                .write(s.calls, ev.ts_ns, 0, &callrec::to_bytes(&ev))?;
        }
        let b = &mut self.buf;
        b.clear();
        if self.json {
            b.extend_from_slice(&callrec::to_bytes(&ev));
            b.push(b'\n');
        } else if let Some(l) = &mut self.ladder {
            let note = wire_note(&ev);
            call_text(
                b,
                &CallEvent {
                    preview: None,
                    ..ev.clone()
                },
            );
            let full = String::from_utf8_lossy(b.trim_ascii_end()).into_owned();
            // The call alone on its lane (its preview and note beside the lanes).
            let text = full
                .split("   # ")
                .next()
                .unwrap_or(&full)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let side_note = match (&ev.preview, note) {
                (Some(p), Some(n)) => Some(format!("{p}  {n}")),
                (Some(p), None) => Some(p.clone()),
                (None, n) => n.map(str::to_string),
            };
            let at = ev
                .local
                .as_deref()
                .and_then(|a| a.parse::<SocketAddr>().ok());
            let drawn = match (ev.flow, at) {
                (Some(flow), Some(at)) => l.call_row(
                    out,
                    ts_of(ev.ts_ns),
                    CallLane::Endpoint {
                        flow,
                        at: (at.ip(), at.port()),
                    },
                    &text,
                    side_note.as_deref(),
                )?,
                _ => false,
            };
            if drawn {
                return Ok(());
            }
            b.clear();
            call_text(b, &ev);
            let line = String::from_utf8_lossy(b).into_owned();
            b.clear();
            let _ = write!(b, "{:>12}{line}", "");
        } else {
            call_line(b, &mut self.time, &ev);
        }
        out.write_all(b)
    }
}

/// A packet's (source, destination) addresses with ports.
fn tuple(p: &Packet<'_>) -> Option<(SocketAddr, SocketAddr)> {
    let (sp, dp) = p.ports()?;
    let (s, d): (IpAddr, IpAddr) = (p.src_ip()?, p.dst_ip()?);
    Some((SocketAddr::new(s, sp), SocketAddr::new(d, dp)))
}
