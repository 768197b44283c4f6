//! The explorer fed while it runs (`live --tui`, `run --tui`): the producer (the capture loop,
//! or `run`'s merger) keeps its own thread and hands owned events to a bounded channel; the
//! explorer runs on a thread of its own, takes what has arrived between two frames and draws at
//! most about 30 frames a second. A packet never waits for the drawing: when the channel is
//! full it is shed and counted, and the status line shows that count beside the kernel's drops.
//! Calls are never shed (their producer waits instead: the tracer does not depend on it).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::index::{Event, Index};
use super::model::{App, LiveStatus};
use super::term::{self, Input};
use crate::source::live::KernelStats;

/// Events waiting for the explorer, at most.
pub const CHANNEL: usize = 1 << 16;

/// Longest time the explorer spends taking events before it draws again.
const PUMP: Duration = Duration::from_millis(25);

/// What the producer and the explorer share besides the channel.
#[derive(Default)]
struct Shared {
    shed: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    /// Set by the explorer when it ends (`q`): the producer stops.
    closed: AtomicBool,
    /// Why the input ended, once it did.
    ended: Mutex<Option<String>>,
}

/// A started explorer: the producer's end and the explorer's thread.
pub type Explorer = (Feed, JoinHandle<io::Result<()>>);

/// The producer's end.
#[derive(Clone)]
pub struct Feed {
    tx: SyncSender<Event>,
    shared: Arc<Shared>,
}

impl Feed {
    /// Hands over one event: a packet is shed (and counted) when the explorer is behind, a call
    /// waits for room. Returns false once the explorer has ended.
    pub fn send(&self, e: Event) -> bool {
        let r = match e {
            Event::Call(_) => self.tx.send(e).map_err(|_| ()),
            Event::Packet(_) => match self.tx.try_send(e) {
                Err(TrySendError::Full(_)) => {
                    self.shared.shed.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Err(TrySendError::Disconnected(_)) => Err(()),
                Ok(()) => Ok(()),
            },
        };
        r.is_ok()
    }

    /// The capture's kernel counts so far (cumulative, as `KernelStats` keeps them).
    pub fn kernel(&self, k: KernelStats) {
        self.shared.received.store(k.received, Ordering::Relaxed);
        self.shared.dropped.store(k.dropped, Ordering::Relaxed);
    }

    /// Says why the input ended (shown in the status line).
    pub fn end(&self, why: String) {
        if let Ok(mut e) = self.shared.ended.lock() {
            *e = Some(why);
        }
    }

    /// Whether the explorer has ended.
    pub fn closed(&self) -> bool {
        self.shared.closed.load(Ordering::Relaxed)
    }

    /// Packets shed so far.
    pub fn shed(&self) -> u64 {
        self.shared.shed.load(Ordering::Relaxed)
    }
}

/// The explorer's end: takes events for up to [`PUMP`] per frame.
pub struct Taker {
    rx: Receiver<Event>,
    shared: Arc<Shared>,
    kernel: bool,
}

impl Input for Taker {
    fn pump(&mut self, app: &mut App) -> bool {
        let start = Instant::now();
        let mut changed = false;
        while start.elapsed() < PUMP {
            match self.rx.try_recv() {
                Ok(e) => {
                    app.push(e);
                    changed = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if app.done.is_none() {
                        let why = self.shared.ended.lock().ok().and_then(|e| e.clone());
                        app.done = Some(why);
                        changed = true;
                    }
                    break;
                }
            }
        }
        let s = &self.shared;
        let status = LiveStatus {
            kernel: self.kernel.then(|| KernelStats {
                received: s.received.load(Ordering::Relaxed),
                dropped: s.dropped.load(Ordering::Relaxed),
            }),
            shed: s.shed.load(Ordering::Relaxed),
        };
        changed |= app.live != Some(status);
        app.live = Some(status);
        changed
    }
}

/// Starts the explorer on its own thread over an empty in-memory index; `kernel` says whether
/// kernel counts will come (a live capture), `stop` is set when the explorer ends (it stops a
/// capture waiting for packets). Returns the producer's end and the thread, which ends with
/// the terminal restored when the user quits (`q`, Ctrl-C, SIGTERM).
pub fn start(
    name: &str,
    color: bool,
    kernel: bool,
    stop: Option<&'static AtomicBool>,
) -> io::Result<Explorer> {
    let (feed, mut taker) = channel(kernel);
    let mut app = App::new(Index::in_memory(), name, color, false);
    app.tail = true;
    app.live = Some(LiveStatus::default());
    let done = Arc::clone(&feed.shared);
    let ui = std::thread::Builder::new()
        .name("explorer".into())
        .spawn(move || {
            let r = term::run(app, &mut taker);
            done.closed.store(true, Ordering::Relaxed);
            if let Some(s) = stop {
                s.store(true, Ordering::SeqCst);
            }
            r
        })?;
    Ok((feed, ui))
}

/// The two ends, without a terminal (tests).
pub fn channel(kernel: bool) -> (Feed, Taker) {
    let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL);
    let shared = Arc::new(Shared::default());
    let taker = Taker {
        rx,
        shared: Arc::clone(&shared),
        kernel,
    };
    (Feed { tx, shared }, taker)
}
