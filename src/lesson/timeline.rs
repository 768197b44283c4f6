//! A live lesson's one stream of events: the capture's packets and the demo's socket calls,
//! merged in timestamp order through the [`Timeline`] reorder window, never in the order the
//! threads happen to deliver them. Calls travel as frames of link type LINKTYPE_USER0 whose
//! bytes are the call's JSON record ([`crate::track::callrec`]), so the pipeline, the recording
//! (`--record`, pcapng) and a replayed recording all carry them the same way.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::capture::{Capture, CaptureError, Stopper};
use crate::source::{Frame, LinkType, OwnedFrame, Source, SourceError, Timestamp};
use crate::sys::trace::now_ns;
use crate::track::callrec::{self, LINKTYPE_USER0};
use crate::track::calls::{CallEvent, Timed, Timeline};

/// How long an event waits for earlier ones from the other threads. A packet is stamped by the
/// kernel when it is sent and reaches us a little later; a call's return is stamped after the
/// call, its enter (of a retried read) can be sent with the return.
pub const WINDOW: Duration = Duration::from_millis(300);
/// Events held at most (a bound, should the clock misbehave).
const CAPACITY: usize = 100_000;

/// The link type of call frames.
pub const CALLS: LinkType = LinkType(LINKTYPE_USER0);

/// What the capture thread and the demo's threads send.
pub enum Event {
    Packet(OwnedFrame),
    Call(CallEvent),
    /// The capture failed; the frames before it stay valid.
    Failed(SourceError),
}

/// A call event as a frame (see the module documentation).
pub fn call_frame(ev: &CallEvent) -> OwnedFrame {
    let data = callrec::to_bytes(ev);
    OwnedFrame {
        ts: Timestamp::new(
            (ev.ts_ns / 1_000_000_000) as i64,
            (ev.ts_ns % 1_000_000_000) as u32,
        ),
        link: CALLS,
        orig_len: data.len() as u32,
        data,
    }
}

struct Item(OwnedFrame, u64);

impl Timed for Item {
    fn ts_ns(&self) -> u64 {
        self.1
    }
}

fn ns(ts: Timestamp) -> u64 {
    (ts.sec.max(0) as u64) * 1_000_000_000 + u64::from(ts.nsec)
}

/// The merged stream, as a [`Source`]: it ends when every sender is gone.
pub struct Merged {
    rx: Receiver<Event>,
    tl: Timeline<Item>,
    current: Option<OwnedFrame>,
    failed: Option<SourceError>,
    ended: bool,
}

impl Merged {
    pub fn new(rx: Receiver<Event>) -> Self {
        Merged {
            rx,
            tl: Timeline::new(1, WINDOW.as_nanos() as u64, CAPACITY),
            current: None,
            failed: None,
            ended: false,
        }
    }

    fn take(&mut self, e: Event) {
        match e {
            Event::Packet(f) => {
                let t = ns(f.ts);
                self.tl.push(0, Item(f, t));
            }
            Event::Call(c) => {
                let f = call_frame(&c);
                self.tl.push(0, Item(f, c.ts_ns));
            }
            Event::Failed(e) => self.failed = Some(e),
        }
    }

    fn next_item(&mut self) -> Option<OwnedFrame> {
        loop {
            while let Ok(e) = self.rx.try_recv() {
                self.take(e);
            }
            if self.ended {
                return self.tl.flush().map(|i| i.0);
            }
            // One input, advanced to the clock: an event is released once it is WINDOW old.
            self.tl.advance(0, now_ns());
            if let Some(i) = self.tl.pop_ready() {
                return Some(i.0);
            }
            match self.rx.recv_timeout(Duration::from_millis(10)) {
                Ok(e) => self.take(e),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
            }
        }
    }
}

impl Source for Merged {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        self.current = self.next_item();
        if self.current.is_none()
            && let Some(e) = self.failed.take()
        {
            return Err(e);
        }
        Ok(self.current.as_ref().map(OwnedFrame::as_frame))
    }
}

/// Opens a capture in a thread of its own (`open` runs there) that sends every frame to `tx`;
/// returns the capture's stopper and backend name once it runs (see
/// [`super::capture::LiveCapture`]'s contract), or why it could not start.
pub fn spawn_capture(
    open: impl FnOnce() -> Result<Capture, CaptureError> + Send + 'static,
    tx: Sender<Event>,
) -> Result<(Stopper, &'static str), CaptureError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Capture {
            mut source,
            stop,
            backend,
        } = match open() {
            Ok(c) => c,
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        if ready_tx.send(Ok((stop, backend))).is_err() {
            return;
        }
        loop {
            let e = match source.next_frame() {
                Ok(Some(f)) => Event::Packet(OwnedFrame {
                    ts: f.ts,
                    link: f.link,
                    orig_len: f.orig_len,
                    data: f.data.to_vec(),
                }),
                Ok(None) => break,
                Err(e) => Event::Failed(e),
            };
            let last = matches!(e, Event::Failed(_));
            if tx.send(e).is_err() || last {
                break;
            }
        }
    });
    ready_rx
        .recv()
        .unwrap_or_else(|_| Err(CaptureError::Failed("the capture thread ended".into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::calls::Phase;

    /// A call event as the demos make it, restamped.
    fn call(ts_ns: u64, phase: Phase) -> CallEvent {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = std::sync::Arc::clone(&got);
        let n = crate::demo::Narrator::silent()
            .with_calls(std::sync::Arc::new(move |e| keep.lock().unwrap().push(e)));
        drop(n.call("connect", Some(3), "3").enter());
        let mut ev = got.lock().unwrap().remove(0);
        (ev.ts_ns, ev.phase) = (ts_ns, phase);
        ev
    }

    #[test]
    fn events_come_out_in_timestamp_order_not_arrival_order() {
        let (tx, rx) = std::sync::mpsc::channel();
        let base = now_ns();
        let packet = |off: u64| {
            Event::Packet(OwnedFrame {
                ts: Timestamp::new(
                    ((base + off) / 1_000_000_000) as i64,
                    ((base + off) % 1_000_000_000) as u32,
                ),
                link: LinkType::ETHERNET,
                orig_len: 1,
                data: vec![off as u8],
            })
        };
        // The return is delivered before the packets it waited for.
        tx.send(Event::Call(call(base + 30, Phase::Return)))
            .unwrap();
        tx.send(Event::Call(call(base, Phase::Enter))).unwrap();
        tx.send(packet(10)).unwrap();
        tx.send(packet(20)).unwrap();
        drop(tx);
        let mut m = Merged::new(rx);
        let mut order = Vec::new();
        while let Some(f) = m.next_frame().unwrap() {
            order.push(if f.link == CALLS {
                callrec::from_bytes(f.data)
                    .unwrap()
                    .phase
                    .name()
                    .to_string()
            } else {
                format!("packet {}", f.data[0])
            });
        }
        assert_eq!(order, ["enter", "packet 10", "packet 20", "return"]);
    }
}
