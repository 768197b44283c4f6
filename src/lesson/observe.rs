//! What a lesson learns from its packets while it shows them: per-conversation facts (the
//! handshake, data each way, how it ended) gathered by [`Observer`], a wrapper around the
//! lesson's view; the waits that keep narration next to its packets ([`Progress::settle`]) and
//! end the capture after the teardown ([`Progress::drain`]); and the closing summary.

use std::io::{self, Write};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::decode::{Packet, Transport};
use crate::render::fmt::plural;
use crate::render::json::JsonRenderer;
use crate::render::ladder::{CallLane, LadderRenderer};
use crate::render::learner::Endpoint;
use crate::render::{PacketContext, Renderer};
use crate::source::Timestamp;
use crate::track::callrec::{self, LINKTYPE_USER0};
use crate::track::calls::{CallEvent, Phase};
use crate::track::sockcalls::wire_note;
use crate::track::{Dir, TrackInfo, Tracker};

/// What was seen of one conversation (indexed like the tracker's flows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowFacts {
    pub tcp: bool,
    pub syn: u32,
    pub syn_ack: u32,
    /// The client's ACK of the SYN-ACK was seen.
    pub established: bool,
    /// FIN seen from [client, server].
    pub fin: [bool; 2],
    /// Who sent the first FIN (0 client, 1 server).
    pub first_fin: Option<usize>,
    /// An ACK after both FINs.
    pub last_ack: bool,
    /// Who sent the first RST.
    pub rst: Option<usize>,
    /// The RST answered a SYN: nothing listened.
    pub refused: bool,
    /// Segments or datagrams with payload, from [client, server].
    pub data_packets: [u64; 2],
}

impl FlowFacts {
    /// Whether this conversation is over as far as the wire can tell: RST, or both FINs and
    /// the ACK of the second. UDP conversations never end on the wire.
    pub fn ended(&self) -> bool {
        self.rst.is_some() || (self.fin == [true, true] && self.last_ack)
    }

    fn note(&mut self, p: &Packet<'_>, me: usize) {
        if p.payload_wire_len > 0 {
            self.data_packets[me] += 1;
        }
        let Transport::Tcp(t) = &p.transport else {
            return;
        };
        self.tcp = true;
        let f = t.flags;
        if f.rst() {
            if self.rst.is_none() {
                self.refused = me == 1 && self.syn > 0 && self.syn_ack == 0;
                self.rst = Some(me);
            }
        } else if f.syn() && !f.ack() {
            self.syn += 1;
        } else if f.syn() {
            self.syn_ack += 1;
        } else if self.syn_ack > 0 && me == 0 && f.ack() {
            self.established = true;
        }
        if f.fin() {
            self.first_fin.get_or_insert(me);
            self.fin[me] = true;
        } else if self.fin == [true, true] && f.ack() && !f.rst() && p.payload_wire_len == 0 {
            self.last_ack = true;
        }
    }
}

/// Everything observed so far.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub packets: u64,
    pub flows: Vec<FlowFacts>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// When the last packet was shown (for the waits).
    pub last_shown: Option<Instant>,
    /// Time spent waiting for the class (`--step`) so far, and since when it waits now: the
    /// waits below do not count it.
    pub paused: Duration,
    pub paused_since: Option<Instant>,
}

impl Facts {
    pub fn note(&mut self, p: &Packet<'_>, track: Option<TrackInfo>) {
        self.packets += 1;
        self.first.get_or_insert(p.ts);
        self.last = Some(p.ts);
        self.last_shown = Some(Instant::now());
        let Some(tr) = track else { return };
        let i = tr.flow as usize;
        if self.flows.len() <= i {
            self.flows.resize(i + 1, FlowFacts::default());
        }
        let me = (tr.dir == Dir::ToClient) as usize;
        self.flows[i].note(p, me);
    }

    /// TCP conversations seen, and how many of them have ended.
    pub fn tcp_counts(&self) -> (usize, usize) {
        let tcp = self.flows.iter().filter(|f| f.tcp);
        let ended = tcp.clone().filter(|f| f.ended()).count();
        (tcp.count(), ended)
    }

    /// UDP datagrams seen (both ways).
    pub fn datagrams(&self) -> u64 {
        self.flows
            .iter()
            .filter(|f| !f.tcp)
            .map(|f| f.data_packets[0] + f.data_packets[1])
            .sum()
    }
}

/// What a lesson's client did, so the capture knows what to wait for before it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// TCP connections opened (or tried).
    pub tcp: usize,
    /// UDP datagrams sent and received.
    pub datagrams: u64,
}

/// Facts shared between the thread that shows packets and the one that runs the demo.
#[derive(Default)]
pub struct Progress {
    facts: Mutex<Facts>,
    changed: Condvar,
}

/// How long the capture must be quiet before the next step of a lesson (presentation only: a
/// step's packets then appear before the next step's narration).
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest wait for quiet after a step.
pub const SETTLE_MAX: Duration = Duration::from_secs(2);

impl Progress {
    pub fn note(&self, p: &Packet<'_>, track: Option<TrackInfo>) {
        self.lock().note(p, track);
        self.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Facts> {
        self.facts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the facts so far.
    pub fn facts(&self) -> Facts {
        self.lock().clone()
    }

    /// Marks the start (`true`) or the end of a wait for the class (`--step`): while the
    /// packets wait to be shown, the time does not count against [`Progress::wait_until`].
    pub fn pause(&self, on: bool) {
        let mut f = self.lock();
        match (on, f.paused_since) {
            (true, None) => f.paused_since = Some(Instant::now()),
            (false, Some(t)) => {
                f.paused += t.elapsed();
                f.paused_since = None;
            }
            _ => {}
        }
        drop(f);
        self.changed.notify_all();
    }

    /// Waits until `done(facts)` holds and no packet has come for [`QUIET`], or `max` passes
    /// (not counting the time the lesson waited for the class). Returns whether `done` held.
    pub fn wait_until(&self, max: Duration, done: impl Fn(&Facts) -> bool) -> bool {
        let start = Instant::now();
        let mut facts = self.lock();
        let paused = |f: &Facts| f.paused + f.paused_since.map_or(Duration::ZERO, |t| t.elapsed());
        let paused_before = paused(&facts);
        loop {
            let ok = done(&facts);
            let quiet_since = facts.last_shown.map_or(start, |t| t.max(start));
            let quiet = quiet_since.elapsed();
            if ok && quiet >= QUIET {
                return true;
            }
            let waited = paused(&facts).saturating_sub(paused_before);
            let left = max.saturating_sub(start.elapsed().saturating_sub(waited));
            if left.is_zero() {
                return ok;
            }
            let wait = if ok { QUIET - quiet } else { left }.min(left);
            facts = self
                .changed
                .wait_timeout(facts, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Lets a step's packets show up before the next step: waits for [`QUIET`] (at most
    /// [`SETTLE_MAX`]).
    pub fn settle(&self) {
        self.wait_until(SETTLE_MAX, |_| true);
    }

    /// Waits until what `expect` says has been seen and every TCP conversation has ended
    /// (then [`QUIET`] more for stragglers), or `max` passes. Returns whether it all came.
    pub fn drain(&self, expect: Expect, max: Duration) -> bool {
        self.wait_until(max, |f| {
            let (tcp, ended) = f.tcp_counts();
            tcp >= expect.tcp && ended == tcp && f.datagrams() >= expect.datagrams
        })
    }
}

/// The view a lesson is shown in (chosen by [`super::view`]).
pub enum LessonView {
    /// The ladder, growing arrow by arrow, with the calls between the arrows on their side.
    Ladder(Box<LadderRenderer>),
    /// One JSON object per event (`--json`): packets with `"event":"packet"` and today's packet
    /// fields, calls with `"event":"call"` (docs/json.md).
    Json(JsonRenderer),
}

/// Wraps the lesson's view: shows each event (a packet, or a socket call carried as a
/// LINKTYPE_USER0 frame, [`crate::track::callrec`]), then records what a packet says.
pub struct Observer<'a> {
    pub view: LessonView,
    pub progress: &'a Progress,
    buf: Vec<u8>,
}

impl<'a> Observer<'a> {
    pub fn new(view: LessonView, progress: &'a Progress) -> Self {
        Observer {
            view,
            progress,
            buf: Vec::new(),
        }
    }

    /// Shows a call; in JSON with its frame `number` when known (docs/numbering.md).
    fn show_call(
        &mut self,
        out: &mut dyn Write,
        ev: &CallEvent,
        number: Option<u64>,
    ) -> io::Result<()> {
        match &mut self.view {
            LessonView::Json(_) => {
                self.buf.clear();
                self.buf.extend_from_slice(&match number {
                    Some(n) => callrec::to_bytes_numbered(ev, n),
                    None => callrec::to_bytes(ev),
                });
                self.buf.push(b'\n');
                out.write_all(&self.buf)
            }
            LessonView::Ladder(l) => {
                let ts = Timestamp::new(
                    (ev.ts_ns / 1_000_000_000) as i64,
                    (ev.ts_ns % 1_000_000_000) as u32,
                );
                let lane = CallLane::Side {
                    server: ev.comm.starts_with("server"),
                };
                l.call_row(out, ts, lane, &call_text(ev), Some(&call_who(ev)))
                    .map(drop)
            }
        }
    }
}

/// What a call row says: `» connect(3, 127.0.0.1:7007)` when it starts, `« connect = 0` (or
/// `= -1 ECONNREFUSED`, with a preview of the bytes moved) when it returns.
pub fn call_text(ev: &CallEvent) -> String {
    match ev.phase {
        Phase::Enter => format!("» {}({})", ev.call, ev.args),
        Phase::Return => {
            let r = match (ev.result, ev.errno) {
                (_, Some(e)) => format!("-1 {e}"),
                (Some(r), None) => r.to_string(),
                _ => "?".into(),
            };
            match &ev.preview {
                Some(p) => format!("« {} = {r} {p}", ev.call),
                None => format!("« {} = {r}", ev.call),
            }
        }
    }
}

/// Who made the call, and its phase: `client [pid 4242, thread 4243] enters` and, when there is
/// one, what the call does on the wire.
pub fn call_who(ev: &CallEvent) -> String {
    let what = match ev.phase {
        Phase::Enter => "enters",
        Phase::Return => "returns",
    };
    let mut s = format!("{} [pid {}, thread {}] {what}", ev.comm, ev.pid, ev.tid);
    if let Some(n) = wire_note(ev) {
        s.push_str(": ");
        s.push_str(n);
    }
    s
}

impl Renderer for Observer<'_> {
    /// The pipeline hands call records (the demo's timed calls) here, in their place among the
    /// packets.
    fn call(&mut self, out: &mut dyn Write, ev: &CallEvent) -> io::Result<()> {
        self.show_call(out, ev, None)?;
        out.flush()
    }

    /// A call record with its frame number, counted with the packets as in the recording.
    fn numbered_call(
        &mut self,
        out: &mut dyn Write,
        ev: &CallEvent,
        number: u64,
    ) -> io::Result<()> {
        self.show_call(out, ev, Some(number))?;
        out.flush()
    }

    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        if pkt.link_type.0 == LINKTYPE_USER0 {
            // A record that is not a call (another tool's USER0 data) is not shown.
            if let Ok(ev) = callrec::from_bytes(pkt.data) {
                self.show_call(out, &ev, Some(ctx.number))?;
                out.flush()?;
            }
            return Ok(());
        }
        // Frames count from 1 over every record, calls included, as in `replay` of the
        // recording and tshark's frame.number (docs/numbering.md).
        match &mut self.view {
            // The ladder draws conversations (TCP, UDP); an ICMP message (the raw-socket
            // lesson's echo) gets a row of its own on the side of its sender.
            LessonView::Ladder(l) if ctx.track.is_none() && icmp_row(pkt).is_some() => {
                if let Some((reply, text)) = icmp_row(pkt) {
                    let who = format!("frame {} · {} bytes on the wire", ctx.number, pkt.orig_len);
                    l.packet_row(out, pkt.ts, reply, &text, Some(&who))?;
                }
            }
            LessonView::Ladder(l) => l.packet(out, pkt, ctx)?,
            LessonView::Json(j) => {
                self.buf.clear();
                j.packet(&mut self.buf, pkt, ctx)?;
                // Today's packet object, with "event":"packet" first.
                out.write_all(b"{\"event\":\"packet\",")?;
                out.write_all(self.buf.get(1..).unwrap_or_default())?;
            }
        }
        out.flush()?;
        self.progress.note(pkt, ctx.track);
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.view {
            LessonView::Ladder(l) => l.finish(out),
            LessonView::Json(j) => j.finish(out),
        }
    }
}

/// An ICMPv4 message as a lesson row: whether it is an echo reply (drawn on the answering
/// side), and `ICMP echo request  id 0x5353 seq 1` (RFC 792: the identifier and sequence
/// number of an echo or echo reply; other messages by their name only).
fn icmp_row(pkt: &Packet<'_>) -> Option<(bool, String)> {
    let Transport::Icmpv4(m) = &pkt.transport else {
        return None;
    };
    let name = crate::decode::names::icmpv4(m.kind, m.code);
    let text = if matches!(m.kind, 0 | 8) {
        let (id, seq) = m.echo_id_seq();
        format!("ICMP {name}  id {id:#06x} seq {seq}")
    } else {
        format!("ICMP {name}")
    };
    Some((m.kind == 0, text))
}

/// " (incl. N retransmitted)" when the count includes bytes sent again (tshark
/// `tcp.analysis.retransmission`), as the ladder's summary says it.
fn retransmitted(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" (incl. {n} retransmitted)")
    }
}

/// Writes "what happened": per conversation its endpoints, handshake, data each way (from the
/// tracker) and ending (from the facts), then the totals.
pub fn summary(out: &mut dyn Write, tracker: &Tracker, facts: &Facts) -> io::Result<()> {
    writeln!(out, "What happened:")?;
    if facts.packets == 0 {
        writeln!(out, "  no packets were captured")?;
        return Ok(());
    }
    let flows = tracker.flows();
    let tcp: Vec<_> = flows
        .iter()
        .filter(|f| facts.flows.get(f.index as usize).is_some_and(|x| x.tcp))
        .collect();
    let handshakes = tcp
        .iter()
        .filter(|f| facts.flows[f.index as usize].established)
        .count();
    if tcp.len() > 1 {
        let ports: Vec<String> = tcp.iter().map(|f| f.client.1.to_string()).collect();
        writeln!(
            out,
            "  {} TCP connections to the same server port, {} complete handshakes; the client ports \
             {} tell them apart",
            tcp.len(),
            handshakes,
            ports.join(", ")
        )?;
    }
    for flow in flows {
        let Some(fx) = facts.flows.get(flow.index as usize) else {
            continue;
        };
        let (c, s) = (
            Endpoint(flow.client.0, flow.client.1),
            Endpoint(flow.server.0, flow.server.1),
        );
        let [up, down] = flow.sides;
        if !fx.tcp {
            writeln!(
                out,
                "  UDP {c} → {s}: no handshake and no teardown, only datagrams"
            )?;
            writeln!(
                out,
                "    {} ({}) from the client, {} ({}) from the server",
                plural(fx.data_packets[0], "datagram", "datagrams"),
                plural(up.bytes, "byte", "bytes"),
                plural(fx.data_packets[1], "datagram", "datagrams"),
                plural(down.bytes, "byte", "bytes"),
            )?;
            continue;
        }
        writeln!(out, "  TCP {c} → {s}")?;
        // The client's RST answered the SYN-ACK: no handshake ACK, no data, no FIN before it.
        let unowned = !fx.established
            && fx.syn_ack > 0
            && fx.rst == Some(0)
            && fx.first_fin.is_none()
            && up.bytes + down.bytes == 0;
        let hs = if fx.refused {
            format!(
                "SYN answered by RST: refused, nothing listened on port {}",
                flow.server.1
            )
        } else if fx.established {
            "SYN, SYN-ACK, ACK: complete".to_string()
        } else if fx.syn_ack > 0 && unowned {
            // RFC 9293 §3.10.7.1: the SYN-ACK found no socket, and the answer is a RST.
            "SYN, SYN-ACK, then RST from the client instead of the final ACK".to_string()
        } else if fx.syn_ack > 0 {
            "SYN, SYN-ACK, but the final ACK was not seen".to_string()
        } else if fx.syn > 0 {
            format!("{} and no answer", plural(fx.syn.into(), "SYN", "SYNs"))
        } else {
            "not seen (the capture started after it)".to_string()
        };
        writeln!(out, "    handshake  {hs}")?;
        if up.bytes + down.bytes == 0 {
            writeln!(out, "    data       none")?;
        } else {
            writeln!(
                out,
                "    data       client → server {}{} in {}; server → client {}{} in {}",
                plural(up.bytes, "byte", "bytes"),
                retransmitted(up.retransmitted_bytes),
                plural(fx.data_packets[0], "segment", "segments"),
                plural(down.bytes, "byte", "bytes"),
                retransmitted(down.retransmitted_bytes),
                plural(fx.data_packets[1], "segment", "segments"),
            )?;
        }
        let who = ["client", "server"];
        let end = match (fx.rst, fx.first_fin) {
            _ if fx.refused => "no connection existed, so there was nothing to end".to_string(),
            _ if unowned => {
                "RST from the client: no connection was established, so nothing was aborted"
                    .to_string()
            }
            // RFC 9293 §3.10.7.4: a RST aborts; queued data is discarded. Without data, the
            // clause would claim what did not happen.
            (Some(r), None) if up.bytes + down.bytes == 0 => {
                format!("RST from the {}: aborted, without FINs", who[r])
            }
            // The packets do not show whether the programs had read everything: say "if any".
            (Some(r), None) => format!(
                "RST from the {}: aborted, without FINs; data not yet read, if any, is thrown away",
                who[r]
            ),
            (Some(r), Some(f)) => format!(
                "FIN from the {}, then RST from the {}: aborted during the close",
                who[f], who[r]
            ),
            (None, Some(f)) if fx.fin == [true, true] => format!(
                "FIN from the {} first, then from the {}{}: an orderly close",
                who[f],
                who[1 - f],
                if fx.last_ack {
                    ", and the last ACK"
                } else {
                    " (the last ACK was not seen)"
                }
            ),
            (None, Some(f)) => format!("only the {} sent FIN: half closed", who[f]),
            (None, None) => "not seen: the connection was still open".to_string(),
        };
        writeln!(out, "    ending     {end}")?;
    }
    let span = match (facts.first, facts.last) {
        (Some(a), Some(b)) => b.nanos_since(a).max(0) as f64 / 1e9,
        _ => 0.0,
    };
    writeln!(
        out,
        "  {} in {span:.3} s",
        plural(facts.packets, "packet", "packets")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::source::{FileSource, Source};

    /// Feeds the first `n` packets of a bundled capture to `progress`.
    fn feed(progress: &Progress, file: &str, n: usize) -> Tracker {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/").to_string() + file;
        let mut src = FileSource::open(&path).unwrap();
        let mut tracker = Tracker::new();
        for _ in 0..n {
            let Some(f) = src.next_frame().unwrap() else {
                break;
            };
            let p = decode(&f);
            let t = tracker.observe(&p);
            progress.note(&p, t);
        }
        tracker
    }

    const TCP1: Expect = Expect {
        tcp: 1,
        datagrams: 0,
    };
    const SHORT: Duration = Duration::from_millis(300);

    #[test]
    fn drain_waits_for_the_last_ack_of_the_teardown() {
        let p = Progress::default();
        // Up to the server's FIN: the last ACK is missing, so the conversation has not ended.
        feed(&p, "synthetic-handshake.pcap", 9);
        assert!(!p.drain(TCP1, SHORT));
        let p = Progress::default();
        let tracker = feed(&p, "synthetic-handshake.pcap", 10);
        assert!(p.drain(TCP1, SHORT));
        // More connections than were seen: not done.
        assert!(!p.drain(
            Expect {
                tcp: 2,
                datagrams: 0
            },
            SHORT
        ));
        let f = p.facts();
        assert_eq!(f.flows[0].first_fin, Some(0));
        assert!(f.flows[0].established && f.flows[0].last_ack);
        let mut out = Vec::new();
        summary(&mut out, &tracker, &f).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("client → server 12 bytes in 1 segment; server → client 12 bytes"),
            "{out}"
        );
        assert!(out.contains("FIN from the client first"), "{out}");
    }

    #[test]
    fn a_refused_connection_ends_with_its_rst() {
        let p = Progress::default();
        let tracker = feed(&p, "synthetic-refused.pcap", 10);
        assert!(p.drain(TCP1, SHORT));
        let f = p.facts();
        assert!(f.flows[0].refused);
        let mut out = Vec::new();
        summary(&mut out, &tracker, &f).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("SYN answered by RST")
        );
    }

    #[test]
    fn udp_is_done_when_the_datagrams_came() {
        let p = Progress::default();
        feed(&p, "synthetic-udp.pcap", 10);
        assert_eq!(p.facts().datagrams(), 4);
        assert!(p.drain(
            Expect {
                tcp: 0,
                datagrams: 4
            },
            SHORT
        ));
        assert!(!p.drain(
            Expect {
                tcp: 0,
                datagrams: 5
            },
            SHORT
        ));
    }
}
