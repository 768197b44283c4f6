//! The ladder: a two-lane sequence diagram of each conversation in the terminal, one arrow per
//! segment (flags, relative seq/ack, length, time), the TCP state of each end where it changes,
//! a teaching note beside the first SYN, SYN-ACK, ACK, data, FIN and RST, and the analysis
//! events on the arrow.
//!
//! Packets become [`Row`]s (the model, also used by the SVG/HTML/Mermaid exports); rows are
//! written as they come ([`Layout::Incremental`], for live captures) or kept per conversation
//! and written one conversation after another at the end ([`Layout::Grouped`], for files: the
//! arrows of concurrent conversations interleaved in one diagram would be hard to follow).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use super::ladder_window::{self, Place, Window, WindowState};
use super::{PacketContext, Renderer};
use crate::decode::{Packet, TcpOption, TcpSummary};
use crate::services::{self, Proto};
use crate::source::Timestamp;
use crate::track::notes::{DupAck, Echo, Point, Resend, TeachSeg};
use crate::track::{Analysis, Dir, Endpoint, Flow, Limits, TcpState, TrackInfo, Tracker};

/// How conversations are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Each arrow is written when its packet comes (live): a header when a conversation first
    /// appears, arrows tagged with the conversation number when there are several.
    Incremental,
    /// Conversations one after another, each complete, at the end (files).
    Grouped,
}

/// Ladder settings.
#[derive(Clone, Copy, Debug)]
pub struct LadderOptions {
    /// Total width in columns.
    pub width: usize,
    pub ascii: bool,
    pub color: bool,
    /// Show absolute sequence numbers beside relative ones.
    pub absolute: bool,
    /// Only this conversation.
    pub flow: Option<u32>,
    pub layout: Layout,
    /// Every line within `width` (the width of a terminal, or one asked for): notes, titles,
    /// summaries and the calls' notes wrap inside their column. Off, the layout is the same
    /// but notes may run up to two columns past and titles and summaries are not wrapped
    /// (a pipe or a file has no width to keep to).
    pub fit: bool,
}

impl Default for LadderOptions {
    fn default() -> Self {
        LadderOptions {
            width: 100,
            ascii: false,
            color: false,
            absolute: false,
            flow: None,
            layout: Layout::Grouped,
            fit: false,
        }
    }
}

/// One line of a conversation's diagram.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    /// A segment or datagram.
    Arrow(Arrow),
    /// New TCP states, under the client's and the server's lane.
    States {
        client: Option<TcpState>,
        server: Option<TcpState>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// Frame number in the capture.
    pub number: u64,
    /// Milliseconds since the first packet of the capture.
    pub time_ms: f64,
    pub dir: Dir,
    /// `SYN`, `SYN-ACK`, `PSH-ACK`, `UDP`, …
    pub flags: String,
    /// `seq 1:13  ack 1  len 12`.
    pub numbers: String,
    /// Learner's names of the analysis events (`retransmission`, `duplicate ACK #2`).
    pub analysis: Vec<String>,
    /// Teaching notes, each a line.
    pub notes: Vec<String>,
    /// Everything about the packet, for the HTML export's hover.
    pub detail: String,
}

/// A conversation's diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub index: u32,
    pub tcp: bool,
    /// `client 127.0.0.1:54321`.
    pub client_label: String,
    /// `server 127.0.0.1:7 (echo)`.
    pub server_label: String,
    /// The states before the first segment (TCP).
    pub initial: [Option<TcpState>; 2],
    pub rows: Vec<Row>,
    /// One-line title and summary, filled in at the end.
    pub title: String,
    pub summary: String,
    /// Segments not drawn because the diagram reached [`MAX_ROWS`].
    pub elided: u64,
}

/// Rows kept per diagram; beyond it segments are counted, not drawn (memory stays bounded).
pub const MAX_ROWS: usize = 20_000;
/// Conversations drawn; later ones are counted, not drawn.
pub const MAX_DIAGRAMS: usize = 10_000;

/// What the notes need to remember about a conversation.
#[derive(Clone, Debug, Default)]
struct Seen {
    syn: bool,
    synack: bool,
    handshake_ack: bool,
    data: [bool; 2],
    data_ack: [bool; 2],
    fin: u8,
    rst: bool,
    udp: bool,
    previews: u8,
    /// Analysis events already explained in a note.
    explained: u16,
    /// Rows (in the diagram) of the server's SYN-ACK arrows, in order.
    synack_rows: Vec<usize>,
    /// The teaching points' memory of the conversation.
    teach: crate::track::notes::Teach,
    /// The hole a duplicate ACK with SACK blocks was explained for.
    hole_told: Option<u32>,
    /// The UDP checksum's rule was told.
    udp_checksum: bool,
    /// Per side (client, server): its peer's last segment was a keep-alive probe (tshark).
    probed: [bool; 2],
    /// The segment just drawn is the client's RST answering a SYN-ACK no socket asked for.
    unowned_rst: bool,
}

/// Events whose sentence does not depend on the occurrence: told beside the first in a
/// conversation.
const ONCE: [(u16, &str); 6] = [
    (
        Analysis::LOST_SEGMENT,
        "a gap in seq: a segment was lost before the capture point",
    ),
    (
        Analysis::ACK_LOST_SEGMENT,
        "acks bytes the capture never saw: lost after it or not captured",
    ),
    (
        Analysis::SPURIOUS_RETRANSMISSION,
        "resent although already acknowledged: not needed",
    ),
    (
        Analysis::OUT_OF_ORDER,
        "older than what was already seen, but soon after: reordered",
    ),
    (
        Analysis::ZERO_WINDOW_PROBE,
        "1 byte sent to learn when the receiver's window opens",
    ),
    (
        Analysis::WINDOW_FULL,
        "this segment fills the receiver's advertised window",
    ),
];

/// Turns packets into diagrams, and writes them.
pub struct LadderRenderer {
    pub opts: LadderOptions,
    tracker: Tracker,
    first_ts: Option<Timestamp>,
    seen: HashMap<u32, Seen>,
    /// Grouped layout (and exports): the diagrams built so far, in order of first appearance.
    diagrams: Vec<Diagram>,
    slot: HashMap<u32, usize>,
    flows_seen: u32,
    /// Conversations beyond [`MAX_DIAGRAMS`].
    undrawn: u64,
    /// Incremental layout: diagrams whose handshake is not drawn yet, because the next
    /// segment decides what it was (a refusal, or which SYN-ACK the client got).
    pending: HashSet<usize>,
    /// Incremental layout: diagrams whose header is written but whose SYN-ACK is not drawn
    /// yet: the client's next segment tells whether it got it (an ACK) or whether no socket
    /// owned the SYN (a RST from CLOSED, RFC 9293 §3.10.7.1), which decides the client's state.
    held: HashSet<usize>,
    /// Incremental layout: diagram headers written.
    headers: u32,
    /// Names the program at each end of a new conversation, for its lanes' labels.
    namer: Option<LaneNamer>,
    /// Grouped layout: only this window of the packets is drawn (`--skip`, `-c`).
    window: Option<WindowState>,
}

/// Names the program at one end of a conversation (given that end, then the other) when it is known (`python3 server.py
/// [pid 4242]`); the lane is then labelled with that name and the address.
pub type LaneNamer = Box<dyn FnMut((IpAddr, u16), (IpAddr, u16)) -> Option<String>>;

impl LadderRenderer {
    pub fn new(opts: LadderOptions) -> Self {
        // One conversation asked for: only its summary is kept, whatever the file's size.
        let tracker = match opts.flow {
            Some(i) => Tracker::with_limits(Limits::single(i)),
            None => Tracker::new(),
        };
        LadderRenderer {
            opts,
            tracker,
            first_ts: None,
            seen: HashMap::new(),
            diagrams: Vec::new(),
            slot: HashMap::new(),
            flows_seen: 0,
            undrawn: 0,
            pending: HashSet::new(),
            held: HashSet::new(),
            headers: 0,
            namer: None,
            window: None,
        }
    }

    /// Draws only `window` of the packets given (grouped layout); every packet is still
    /// tracked, so the window's states and numbers are the full ladder's.
    pub fn set_window(&mut self, window: Window) {
        self.window = Some(WindowState::new(window));
    }

    /// Labels the lanes of the conversations that appear from now on with their programs.
    pub fn set_lane_namer(&mut self, namer: LaneNamer) {
        self.namer = Some(namer);
    }

    /// The diagrams built (grouped layout), with titles and summaries once `finish` ran.
    pub fn diagrams(&self) -> &[Diagram] {
        &self.diagrams
    }

    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Adds one packet. When it belongs to a shown conversation, returns the index of its
    /// diagram, the index of its first row, and whether it opened the conversation.
    pub fn add(&mut self, pkt: &Packet<'_>, number: u64) -> Option<(usize, usize, bool)> {
        let first = *self.first_ts.get_or_insert(pkt.ts);
        let place = self.window.as_mut().map_or(Place::In, |w| w.offer(number));
        let info = self.tracker.observe(pkt)?;
        if self.opts.flow.is_some_and(|f| f != info.flow) || place == Place::After {
            return None;
        }
        let flow = self.tracker.flow(info.flow)?.clone();
        if info.new_flow {
            self.flows_seen += 1;
            if let Some(w) = &mut self.window {
                w.opened(info.flow, number);
            }
        }
        // A conversation's first drawn packet: it may have begun with packets the filter hid.
        let created = !self.slot.contains_key(&info.flow);
        if created {
            if self.diagrams.len() >= MAX_DIAGRAMS {
                self.undrawn += u64::from(info.new_flow);
                return None;
            }
            self.slot.insert(info.flow, self.diagrams.len());
            let mut d = new_diagram(&flow, &info);
            if let Some(name) = &mut self.namer {
                let proto = if flow.is_tcp() {
                    Proto::Tcp
                } else {
                    Proto::Udp
                };
                if let Some(n) = name(flow.client, flow.server) {
                    d.client_label = format!("{n} {}", addr_port(flow.client, proto));
                }
                if let Some(n) = name(flow.server, flow.client) {
                    d.server_label = format!("{n} {}", addr_port(flow.server, proto));
                }
            }
            self.diagrams.push(d);
        }
        let slot = *self.slot.get(&info.flow)?;
        if self.opts.layout == Layout::Incremental
            && !self.pending.contains(&slot)
            && !self.held.contains(&slot)
        {
            // Written already: only the title and summary are needed at the end.
            self.diagrams[slot].rows.clear();
        }
        let seen = self.seen.entry(info.flow).or_default();
        if place == Place::Before && self.diagrams[slot].rows.len() >= ladder_window::KEEP * 2 {
            // Before the window, old rows can only become the diagram's initial states; the
            // recent ones stay, for a handshake ACK that moves ESTABLISHED among them.
            let n = self.diagrams[slot].rows.len() - ladder_window::KEEP;
            ladder_window::fold(&mut self.diagrams[slot], n);
            seen.synack_rows.retain(|r| *r >= n);
            seen.synack_rows.iter_mut().for_each(|r| *r -= n);
        }
        if self.diagrams[slot].rows.len() >= MAX_ROWS {
            self.diagrams[slot].elided += 1;
            return None;
        }
        let time_ms = pkt.ts.nanos_since(first) as f64 / 1e6;
        let rows = rows_for(pkt, number, time_ms, &info, &flow, seen, self.opts.absolute);
        let d = &mut self.diagrams[slot];
        let start = d.rows.len();
        if pkt.tcp().is_some_and(|t| t.flags.syn() && t.flags.ack()) {
            seen.synack_rows.push(start);
        }
        d.rows.extend(rows);
        if let Some(Echo::Nth { n, .. }) = info.context.echo {
            move_established(&mut d.rows, &mut seen.synack_rows, n as usize);
        }
        let mut start = start;
        if std::mem::take(&mut seen.unowned_rst) {
            // Rows not drawn yet (held or pending) can be mended as in the grouped layout.
            let grouped = self.opts.layout == Layout::Grouped
                || self.held.contains(&slot)
                || self.pending.contains(&slot);
            start -= unowned_rst(&mut d.rows, &seen.synack_rows, start, grouped);
        }
        Some((slot, start, created))
    }

    /// Fills in titles and summaries from the tracker's final view of each conversation.
    pub fn complete(&mut self) {
        if let Some(w) = &self.window {
            w.cut(&mut self.diagrams);
            self.slot = (self.diagrams.iter().enumerate())
                .map(|(i, d)| (d.index, i))
                .collect();
        }
        for d in &mut self.diagrams {
            if let Some(f) = self.tracker.flow(d.index) {
                d.title = title(f);
                d.summary = summary(f);
                if let Some(note) = self.window.as_ref().and_then(|w| w.note(d)) {
                    d.summary.push_str(&note);
                }
                if d.elided > 0 {
                    let _ = write!(
                        d.summary,
                        " · {} more segments not drawn (pick a part with -c and --skip)",
                        d.elided
                    );
                }
                if f.simultaneous_close {
                    // The second closer had sent its FIN before the first one arrived: it
                    // went to FIN-WAIT-1, not CLOSE-WAIT.
                    for r in &mut d.rows {
                        if let Row::States { client, server } = r {
                            for st in [client, server] {
                                if *st == Some(TcpState::CloseWait) {
                                    *st = Some(TcpState::FinWait1);
                                }
                            }
                        }
                    }
                }
                if f.refused {
                    closed_server(d);
                }
            }
        }
    }

    fn style(&self) -> Style {
        Style::new(self.opts)
    }

    /// Writes one socket call as a row between the lanes, beside the lane of the side that
    /// made it ([`CallLane`]), with its time in the arrows' time column (the clock starts at the
    /// first packet or call; tagged `#N` like the arrows when several conversations are drawn)
    /// and `note` in the notes column, wrapped inside it. In the calls' own style ([`CALL`]),
    /// not dimmed: calls are what the learner's program did. Returns false, writing nothing,
    /// when the call's lane is not drawn.
    pub fn call_row(
        &mut self,
        out: &mut dyn Write,
        ts: Timestamp,
        lane: CallLane,
        text: &str,
        note: Option<&str>,
    ) -> io::Result<bool> {
        self.side_row(out, ts, lane, text, note, CALL)
    }

    /// Writes a packet that no conversation draws (the raw-socket lesson's ICMP echo) as a row
    /// beside its sender's lane, like [`Self::call_row`] but as a packet: in the colour the
    /// arrows of that direction have (cyan from the client, magenta from the server) and with
    /// their arrowhead as its marker (`ICMP … ▶` leaving the client, `◀ ICMP …` leaving the
    /// server), so that it is not taken for a socket call (`»`/`«`, bold green).
    pub fn packet_row(
        &mut self,
        out: &mut dyn Write,
        ts: Timestamp,
        server: bool,
        text: &str,
        note: Option<&str>,
    ) -> io::Result<bool> {
        let (right, left) = if self.opts.ascii {
            (">", "<")
        } else {
            ("▶", "◀")
        };
        let (text, colour) = if server {
            (format!("{left} {text}"), MAGENTA)
        } else {
            (format!("{text} {right}"), CYAN)
        };
        let lane = CallLane::Side { server };
        self.side_row(out, ts, lane, &text, note, colour)
    }

    /// A row of `text` painted in `colour` beside the lane of `lane`, with its time and note.
    fn side_row(
        &mut self,
        out: &mut dyn Write,
        ts: Timestamp,
        lane: CallLane,
        text: &str,
        note: Option<&str>,
        colour: &str,
    ) -> io::Result<bool> {
        let (server, tag) = match lane {
            CallLane::Side { server } => (server, None),
            CallLane::Endpoint { flow, at } => {
                let Some(f) = self.tracker.flow(flow) else {
                    return Ok(false);
                };
                let server = match at {
                    _ if at == f.client => false,
                    _ if at == f.server => true,
                    _ => return Ok(false),
                };
                if !self.slot.contains_key(&flow) {
                    return Ok(false);
                }
                (server, self.opts.flow.is_none().then_some(flow))
            }
        };
        self.flush_held(out)?;
        let first = *self.first_ts.get_or_insert(ts);
        let st = self.style();
        let bar = st.bar();
        let room = st.inner.saturating_sub(2);
        // Spelled out before it is measured: `»` as `>>` is a column wider.
        let plain;
        let text = if self.opts.ascii {
            plain = asciify(text);
            &plain
        } else {
            text
        };
        let text: String = text.chars().take(room).collect();
        let gap = " ".repeat(room.saturating_sub(width(&text)));
        // As wide as an arrow's shaft (`inner` columns between the bars): one space each side.
        let body = if server {
            format!("{gap} {} ", st.paint(colour, &text))
        } else {
            format!(" {}{gap} ", st.paint(colour, &text))
        };
        let time = time_cell(tag, ts.nanos_since(first) as f64 / 1e6, st.time_w - 2);
        let mut line = format!("{time:>w$}  {bar}{body}{bar}", w = st.time_w - 2);
        if let Some(n) = note {
            let mut notes = st.note_lines(n).into_iter();
            line.push_str("  ");
            line.push_str(&notes.next().unwrap_or_default());
            for more in notes {
                line.push('\n');
                line.push_str(&st.blank_row(&more));
            }
        }
        if self.opts.ascii {
            line = asciify(&line);
        }
        writeln!(out, "{line}").map(|()| true)
    }
}

/// Beside which lane a socket call's row goes ([`LadderRenderer::call_row`]).
#[derive(Clone, Copy, Debug)]
pub enum CallLane {
    /// The client's or the server's side, by the role that made the call (a lesson's demo).
    Side { server: bool },
    /// The lane of the endpoint `at` of conversation `flow` (a traced program's socket): drawn
    /// only when that conversation is and `at` is one of its ends.
    Endpoint { flow: u32, at: (IpAddr, u16) },
}

impl Renderer for LadderRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        if self.opts.ascii {
            let mut buf = Vec::new();
            self.packet_lines(&mut buf, pkt, ctx)?;
            return out.write_all(asciify(&String::from_utf8_lossy(&buf)).as_bytes());
        }
        self.packet_lines(out, pkt, ctx)
    }

    /// Tracked, not drawn; in a drawn conversation (grouped layout), the states it changed
    /// are drawn, so that the lanes stay true.
    fn hidden(&mut self, pkt: &Packet<'_>, ctx: &PacketContext) {
        let Some(info) = self.tracker.observe(pkt) else {
            return;
        };
        if info.new_flow
            && let Some(w) = &mut self.window
        {
            w.opened(info.flow, ctx.number);
        }
        if self.opts.layout == Layout::Grouped
            && let Some(&slot) = self.slot.get(&info.flow)
            && let Some(row) = states_row(&info)
            && self.diagrams[slot].rows.len() < MAX_ROWS
        {
            self.diagrams[slot].rows.push(row);
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.opts.ascii {
            let mut buf = Vec::new();
            self.finish_lines(&mut buf)?;
            return out.write_all(asciify(&String::from_utf8_lossy(&buf)).as_bytes());
        }
        self.finish_lines(out)
    }
}

/// Plain ASCII for `--ascii`: the non-ASCII characters the ladder prints (in titles, notes,
/// arrows and socket calls' rows) spelled out; any other (a program's name, say) becomes `?`.
pub fn asciify(s: &str) -> String {
    const MAP: [(char, &str); 19] = [
        ('⇄', "<->"),
        ('↔', "<->"),
        ('·', "-"),
        ('µ', "u"),
        ('→', "->"),
        ('←', "<-"),
        ('…', "..."),
        ('─', "-"),
        ('│', "|"),
        ('×', "x"),
        ('▶', ">"),
        ('◀', "<"),
        // A socket call starts (`»`) and returns (`«`).
        ('»', ">>"),
        ('«', "<<"),
        ('≥', ">="),
        ('≤', "<="),
        // RFC section signs in the notes: `RFC 8985 §7` reads `RFC 8985 sec. 7`.
        ('§', "sec. "),
        ('—', "--"),
        ('−', "-"),
    ];
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match MAP.iter().find(|(k, _)| *k == c) {
            Some((_, r)) => o.push_str(r),
            None if c.is_ascii() => o.push(c),
            None => o.push('?'),
        }
    }
    o
}

impl LadderRenderer {
    fn packet_lines(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        let Some((slot, start, new)) = self.add(pkt, ctx.number) else {
            return Ok(());
        };
        if self.opts.layout == Layout::Grouped {
            return Ok(());
        }
        // A conversation's opening SYN is drawn once its next segment tells a refusal (the
        // server lane is then CLOSED, not LISTEN, RFC 9293 §3.10.7.1); a packet of another
        // conversation draws it first, so that rows stay in time order.
        let lone_syn = pkt.tcp().is_some_and(|t| t.flags.syn() && !t.flags.ack());
        let synack = pkt.tcp().is_some_and(|t| t.flags.syn() && t.flags.ack());
        let mut others: Vec<(usize, bool)> = (self.pending.iter().map(|s| (*s, true)))
            .chain(self.held.iter().map(|s| (*s, false)))
            .filter(|(s, _)| *s != slot)
            .collect();
        others.sort_unstable();
        for (o, header) in others {
            self.pending.remove(&o);
            self.held.remove(&o);
            self.write_rows(out, o, 0, header)?;
        }
        if new && lone_syn {
            self.pending.insert(slot);
            return Ok(());
        }
        let (mut start, mut new) = (start, new);
        if self.held.remove(&slot) {
            start = 0;
        }
        if self.pending.contains(&slot) {
            if lone_syn {
                return Ok(());
            }
            self.pending.remove(&slot);
            if synack {
                // The SYN is drawn now (with the header); its SYN-ACK waits as below.
                let tail = self.diagrams[slot].rows.split_off(start);
                self.write_rows(out, slot, 0, true)?;
                self.diagrams[slot].rows = tail;
                self.rows_dropped(slot, start);
                self.held.insert(slot);
                return Ok(());
            }
            (start, new) = (0, true);
            let d = &mut self.diagrams[slot];
            if self.tracker.flow(d.index).is_some_and(|f| f.refused) {
                closed_server(d);
            }
        } else if synack {
            // Drawn with the client's next segment, or before anything else is drawn.
            self.diagrams[slot].rows.drain(..start);
            self.rows_dropped(slot, start);
            self.held.insert(slot);
            return Ok(());
        }
        self.write_rows(out, slot, start, new)
    }

    /// The first `n` rows of diagram `slot` were written and dropped: its SYN-ACK rows move up.
    fn rows_dropped(&mut self, slot: usize, n: usize) {
        if let Some(seen) = self.seen.get_mut(&self.diagrams[slot].index) {
            for r in &mut seen.synack_rows {
                *r = r.saturating_sub(n);
            }
        }
    }

    /// Incremental layout: draws the SYN-ACKs held for the client's next segment, so that a row
    /// written now by someone else (a socket call) comes after them, in time order.
    pub fn flush_held(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let mut held: Vec<usize> = self.held.drain().collect();
        held.sort_unstable();
        for slot in held {
            self.write_rows(out, slot, 0, false)?;
        }
        Ok(())
    }

    /// Writes a diagram's rows from `start`, after its header when `new`.
    fn write_rows(
        &mut self,
        out: &mut dyn Write,
        slot: usize,
        start: usize,
        new: bool,
    ) -> io::Result<()> {
        let st = self.style();
        let d = &self.diagrams[slot];
        if new {
            if self.headers > 0 {
                writeln!(out)?;
            }
            self.headers += 1;
            st.header(out, d, &format!("#{} {}", d.index, first_title(d)))?;
        }
        // Arrows of concurrent conversations interleave: each carries its conversation's number.
        let tag = self.opts.flow.is_none().then_some(d.index);
        for r in &d.rows[start..] {
            st.row(out, r, tag)?;
        }
        Ok(())
    }

    fn finish_lines(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.complete();
        let st = self.style();
        match self.opts.layout {
            Layout::Grouped => {
                for (i, d) in self.diagrams.iter().enumerate() {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    st.header(out, d, &format!("#{} {}", d.index, d.title))?;
                    for r in &d.rows {
                        st.row(out, r, None)?;
                    }
                    writeln!(out)?;
                    for l in st.fitted(&d.summary, 0) {
                        writeln!(out, "{}", st.dim(&l))?;
                    }
                }
                if self.diagrams.is_empty() {
                    writeln!(out, "no TCP or UDP conversation to draw")?;
                }
                if self.undrawn > 0 {
                    writeln!(
                        out,
                        "{} more conversations not drawn (pick one with --flow N)",
                        self.undrawn
                    )?;
                }
            }
            Layout::Incremental => {
                self.flush_held(out)?;
                let mut pending: Vec<usize> = self.pending.drain().collect();
                pending.sort_unstable();
                for slot in pending {
                    self.write_rows(out, slot, 0, true)?;
                }
                let st = self.style();
                writeln!(out)?;
                for d in &self.diagrams {
                    for l in st.fitted(&format!("#{} {}", d.index, d.title), 0) {
                        writeln!(out, "{l}")?;
                    }
                    for l in st.fitted(&d.summary, 3) {
                        writeln!(out, "   {}", st.dim(&l))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Nothing listened: the server end was CLOSED all along (RFC 9293 §3.10.7.1), not LISTEN.
fn closed_server(d: &mut Diagram) {
    d.initial[1] = Some(TcpState::Closed);
    for r in &mut d.rows {
        if let Row::States { server, .. } = r {
            *server = None;
        }
    }
    d.rows.retain(|r| {
        !matches!(
            r,
            Row::States {
                client: None,
                server: None
            }
        )
    });
}

/// The client's RST answered the SYN-ACK from CLOSED (RFC 9293 §3.10.7.1): no socket of the
/// client was ever in SYN-SENT or ESTABLISHED, so the ESTABLISHED drawn after the SYN-ACK goes
/// (when `grouped`: the incremental ladder has written that row already, and its RST note says
/// "the client was never ESTABLISHED"). The server's half-open connection came from a passive
/// OPEN, so the RST returns it to LISTEN (§3.10.7.4, SYN-RECEIVED: "return this connection to
/// LISTEN state"), which Linux does by dropping the request and keeping the listener. Returns
/// how many rows before `start` were removed.
fn unowned_rst(rows: &mut Vec<Row>, synacks: &[usize], start: usize, grouped: bool) -> usize {
    for r in &mut rows[start..] {
        if let Row::States { server, .. } = r
            && *server == Some(TcpState::Closed)
        {
            *server = Some(TcpState::Listen);
        }
    }
    let Some(&first) = synacks.first().filter(|_| grouped) else {
        return 0;
    };
    if let Some(Row::States { client, server }) = rows.get_mut(first + 1)
        && *client == Some(TcpState::Established)
    {
        *client = None;
        if server.is_none() && first + 1 < start {
            rows.remove(first + 1);
            return 1;
        }
    }
    0
}

/// The client's handshake ACK echoes the `n`-th SYN-ACK (RFC 7323 §3): the client was in
/// SYN-SENT until that one, so its ESTABLISHED moves from after the first SYN-ACK to after it.
fn move_established(rows: &mut Vec<Row>, synacks: &mut [usize], n: usize) {
    let (Some(&first), Some(&nth)) = (synacks.first(), synacks.get(n - 1)) else {
        return;
    };
    if n < 2 {
        return;
    }
    let mut nth = nth;
    if let Some(Row::States { client, server }) = rows.get_mut(first + 1)
        && *client == Some(TcpState::Established)
    {
        *client = None;
        if server.is_none() {
            rows.remove(first + 1);
            nth -= 1;
            for r in synacks.iter_mut().skip(1) {
                *r -= 1;
            }
        }
    } else {
        return;
    }
    match rows.get_mut(nth + 1) {
        Some(Row::States { client, .. }) => *client = Some(TcpState::Established),
        _ => rows.insert(
            nth + 1,
            Row::States {
                client: Some(TcpState::Established),
                server: None,
            },
        ),
    }
}

fn endpoint_label(role: &str, (ip, port): (IpAddr, u16), proto: Proto) -> String {
    let addr = match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    };
    match services::name(port, proto) {
        Some(s) => format!("{role} {addr} ({s})"),
        None => format!("{role} {addr}"),
    }
}

fn new_diagram(f: &Flow, info: &TrackInfo) -> Diagram {
    let proto = if f.is_tcp() { Proto::Tcp } else { Proto::Udp };
    let initial = if f.is_tcp() {
        // The states before the first segment: undo its changes.
        let mut s = [Some(info.states[0]), Some(info.states[1])];
        for c in info.state_change.iter().flatten() {
            s[(c.endpoint == Endpoint::Server) as usize] = Some(c.from);
        }
        s
    } else {
        [None, None]
    };
    Diagram {
        index: f.index,
        tcp: f.is_tcp(),
        client_label: endpoint_label("client", f.client, proto),
        server_label: endpoint_label("server", f.server, proto),
        initial,
        rows: Vec::new(),
        title: String::new(),
        summary: String::new(),
        elided: 0,
    }
}

fn addr_port((ip, port): (IpAddr, u16), proto: Proto) -> String {
    endpoint_label("", (ip, port), proto)
        .trim_start()
        .to_string()
}

fn first_title(d: &Diagram) -> String {
    let proto = if d.tcp { "TCP" } else { "UDP" };
    format!(
        "{proto} {} ⇄ {}",
        d.client_label.trim_start_matches("client "),
        d.server_label.trim_start_matches("server ")
    )
}

/// `TCP 127.0.0.1:54321 ⇄ 127.0.0.1:7 (echo) · handshake RTT 28 µs · closed by FIN from the client`.
pub fn title(f: &Flow) -> String {
    let proto = if f.is_tcp() { Proto::Tcp } else { Proto::Udp };
    let mut s = format!(
        "{} {} ⇄ {}",
        if f.is_tcp() { "TCP" } else { "UDP" },
        addr_port(f.client, proto),
        addr_port(f.server, proto)
    );
    if let Some(rtt) = f.handshake_rtt_ns {
        let _ = write!(s, " · handshake RTT {}", duration(rtt));
    } else if let Some(hs) = f.handshake.filter(|h| h.retransmitted) {
        // Karn's rule (RFC 6298 §3): no RTT sample from a retransmitted SYN or SYN-ACK.
        let _ = write!(
            s,
            " · handshake {} in {} segments, no RTT sample (retransmitted)",
            duration(hs.duration_ns),
            hs.segments
        );
    }
    if f.is_tcp() {
        let _ = write!(s, " · {}", f.outcome().describe());
    }
    if f.is_tcp() && f.roles.guessed() {
        let _ = write!(s, " · {}", f.roles.explain());
    }
    s
}

/// `13 segments · client→server 23 bytes in 2 segments · …`.
pub fn summary(f: &Flow) -> String {
    let unit = if f.is_tcp() { "segment" } else { "datagram" };
    let n = f.sides[0].segments + f.sides[1].segments;
    let mut s = format!("{n} {}", plural(n, unit));
    for (name, side) in [
        ("client→server", &f.sides[0]),
        ("server→client", &f.sides[1]),
    ] {
        let _ = write!(s, " · {name} {} {}", side.bytes, plural(side.bytes, "byte"));
        if side.retransmitted_bytes > 0 {
            let _ = write!(s, " (incl. {} retransmitted)", side.retransmitted_bytes);
        }
        let _ = write!(s, " in {} {}", side.segments, plural(side.segments, unit));
    }
    if !f.is_tcp() && f.udp_pairs > 0 {
        let _ = write!(
            s,
            " · {} request/response {}",
            f.udp_pairs,
            plural(f.udp_pairs, "pair")
        );
    }
    let events = event_counts(f);
    if !events.is_empty() {
        let _ = write!(s, " · {}", events.join(", "));
    }
    s
}

/// `34 retransmissions, 6 of them fast, 12 duplicate ACKs`: fast and spurious retransmissions
/// are retransmissions (tshark flags them `retransmission` too), so they are not added.
fn event_counts(f: &Flow) -> Vec<String> {
    let mut v = Vec::new();
    for ((bit, _, label), n) in Analysis::TABLE.iter().zip(f.analysis_counts) {
        if n == 0 || *bit & (Analysis::FAST_RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION) != 0
        {
            continue;
        }
        let invariable = [
            "port numbers reused",
            "previous segment not captured",
            "out of order",
            "window full",
        ];
        if n == 1 || invariable.contains(label) {
            v.push(format!("{n} {label}"));
        } else {
            v.push(format!("{n} {label}s"));
        }
        if *bit == Analysis::RETRANSMISSION {
            for (kind, word) in [
                (Analysis::FAST_RETRANSMISSION, "fast"),
                (Analysis::SPURIOUS_RETRANSMISSION, "spurious"),
            ] {
                let k = f.count(kind);
                if k > 0 {
                    v.push(format!("{k} of them {word}"));
                }
            }
        }
    }
    v
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `28 µs`, `1.250 ms`, `2.000 s`.
pub fn duration(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{} µs", ns / 1000)
    } else if ns < 1_000_000_000 {
        format!("{:.3} ms", ns as f64 / 1e6)
    } else {
        format!("{:.3} s", ns as f64 / 1e9)
    }
}

/// `SYN`, `SYN-ACK`, `PSH-ACK`, `FIN-ACK`, `RST-ACK`, …: the set flags joined, ACK last.
pub fn flag_label(t: &TcpSummary<'_>) -> String {
    let f = t.flags;
    let mut parts: Vec<&str> = Vec::new();
    for (on, name) in [
        (f.syn(), "SYN"),
        (f.fin(), "FIN"),
        (f.rst(), "RST"),
        (f.psh(), "PSH"),
        (f.urg(), "URG"),
        (f.has(crate::decode::TcpFlags::ECE), "ECE"),
        (f.has(crate::decode::TcpFlags::CWR), "CWR"),
        (f.ack(), "ACK"),
    ] {
        if on {
            parts.push(name);
        }
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("-")
    }
}

/// The payload as a short quoted text: printable ASCII kept, the rest escaped.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let mut s = String::from("\"");
    let printable = bytes
        .iter()
        .take(max)
        .filter(|b| (0x20..=0x7e).contains(*b) || b"\r\n\t".contains(*b))
        .count();
    if printable * 4 < bytes.len().min(max) * 3 {
        return format!("binary: {}", hex_bytes(&bytes[..bytes.len().min(8)]));
    }
    for &b in bytes.iter().take(max) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    if bytes.len() > max {
        s.push('…');
    }
    s
}

fn hex_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    for x in b {
        let _ = write!(s, "{x:02x} ");
    }
    s.push('…');
    s
}

fn options_line(t: &TcpSummary<'_>) -> String {
    let mut v = Vec::new();
    for o in t.options() {
        match o {
            TcpOption::Mss(m) => v.push(format!("mss {m}")),
            TcpOption::WindowScale(w) => v.push(format!("wscale {w}")),
            TcpOption::SackPermitted => v.push("sackOK".into()),
            TcpOption::Timestamp { .. } => v.push("TS".into()),
            _ => {}
        }
    }
    v.join(" · ")
}

/// The rows one packet adds to its conversation's diagram: its arrow (numbers, analysis,
/// teaching notes, the detail line) and, when an endpoint changed state, a states row.
fn rows_for(
    p: &Packet<'_>,
    number: u64,
    time_ms: f64,
    info: &TrackInfo,
    f: &Flow,
    seen: &mut Seen,
    absolute: bool,
) -> Vec<Row> {
    let len = p.payload_wire_len;
    let proto = if f.is_tcp() { Proto::Tcp } else { Proto::Udp };
    let (src, dst) = match info.dir {
        Dir::ToServer => (f.client, f.server),
        Dir::ToClient => (f.server, f.client),
    };
    let mut detail = format!(
        "frame {number} · {:.3} ms · {} → {}",
        time_ms,
        addr_port(src, proto),
        addr_port(dst, proto)
    );
    let Some(t) = p.tcp() else {
        let _ = write!(detail, " · UDP · {}", bytes(len));
        return vec![Row::Arrow(Arrow {
            number,
            time_ms,
            dir: info.dir,
            flags: "UDP".into(),
            numbers: format!("len {len}"),
            analysis: Vec::new(),
            notes: udp_notes(p, info, seen),
            detail,
        })];
    };
    let flags = flag_label(t);
    let numbers = tcp_numbers(t, info, len, absolute);
    let opts = if t.flags.syn() {
        options_line(t)
    } else {
        String::new()
    };
    let analysis = analysis_labels(info);
    tcp_detail(&mut detail, t, info, &flags, len, &opts, &analysis);
    let mut notes = handshake_and_teardown_notes(t, info, f, seen);
    data_notes(&mut notes, p, t, info, seen);
    teaching_points(&mut notes, p, t, info, f, seen);
    if t.flags.syn() && !opts.is_empty() {
        notes.insert(1.min(notes.len()), opts);
    }
    let mut rows = vec![Row::Arrow(Arrow {
        number,
        time_ms,
        dir: info.dir,
        flags,
        numbers,
        analysis,
        notes,
        detail,
    })];
    rows.extend(states_row(info));
    rows
}

/// Notes beside a UDP datagram: no connection (once), the reply time, a payload preview.
fn udp_notes(p: &Packet<'_>, info: &TrackInfo, seen: &mut Seen) -> Vec<String> {
    let mut notes = Vec::new();
    if !seen.udp {
        seen.udp = true;
        notes.push("UDP: no connection, no handshake".into());
    }
    if let crate::decode::Transport::Udp(u) = &p.transport
        && !seen.udp_checksum
    {
        match (&p.net, u.checksum) {
            // RFC 8200 §8.1: an IPv6 sender must compute the UDP checksum.
            (crate::decode::Net::Ipv6(_), _) => {
                seen.udp_checksum = true;
                notes.push(
                    "over IPv6 the UDP checksum is mandatory (IPv4 lets a sender skip it)".into(),
                );
            }
            // RFC 768: an all-zero checksum means the sender computed none; only IPv4 allows it.
            (crate::decode::Net::Ipv4(_), 0) => {
                seen.udp_checksum = true;
                notes.push(
                    "checksum 0: the sender computed none, which UDP allows over IPv4 only".into(),
                );
            }
            _ => {}
        }
    }
    if let Some(ns) = info.reply_after_ns {
        notes.push(format!("reply after {}", duration(ns)));
    }
    if seen.previews < 6 && p.payload_wire_len > 0 {
        seen.previews += 1;
        notes.push(preview(p.payload, 24));
    }
    notes
}

/// `seq a:b  ack c  len n  win w`: seq a:b for segments that carry data, seq a alone for SYN,
/// FIN, RST; absolute numbers in brackets with -S.
fn tcp_numbers(t: &TcpSummary<'_>, info: &TrackInfo, len: u32, absolute: bool) -> String {
    let (syn, fin, rst, ack) = (t.flags.syn(), t.flags.fin(), t.flags.rst(), t.flags.ack());
    let mut numbers = if len > 0 {
        format!("seq {}:{}", info.rel_seq, info.rel_seq.wrapping_add(len))
    } else if syn || fin || rst || !ack {
        format!("seq {}", info.rel_seq)
    } else {
        String::new()
    };
    if absolute && !numbers.is_empty() {
        let _ = write!(numbers, " ({})", t.seq);
    }
    if ack {
        if !numbers.is_empty() {
            numbers.push_str("  ");
        }
        let _ = write!(numbers, "ack {}", info.rel_ack);
        if absolute {
            let _ = write!(numbers, " ({})", t.ack);
        }
    }
    if len > 0 {
        let _ = write!(numbers, "  len {len}");
    }
    // SACK blocks (RFC 2018 §3), numbered like the ack: the bytes that arrived past the hole.
    if let Some((l, r, _)) = info.context.sack {
        let _ = write!(numbers, "  sack {l}:{r}");
    } else if let Some((l, r)) = info.context.dsack {
        let _ = write!(numbers, "  dsack {l}:{r}");
    }
    if info.analysis.has(Analysis::ZERO_WINDOW) || info.analysis.has(Analysis::WINDOW_UPDATE) {
        let _ = write!(numbers, "  win {}", info.window);
    }
    numbers
}

/// The tracker's analysis labels, the duplicate ACK numbered.
fn analysis_labels(info: &TrackInfo) -> Vec<String> {
    info.analysis
        .labels()
        .map(|l| {
            if l == "duplicate ACK" {
                format!("duplicate ACK #{}", info.dup_ack_num)
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// The rest of a TCP segment's detail line: flags, numbers, window, options, analysis.
fn tcp_detail(
    detail: &mut String,
    t: &TcpSummary<'_>,
    info: &TrackInfo,
    flags: &str,
    len: u32,
    opts: &str,
    analysis: &[String],
) {
    let _ = write!(
        detail,
        " · {flags} · seq {} (abs {}) · ack {} (abs {}) · win {}{} · len {len}",
        info.rel_seq,
        t.seq,
        info.rel_ack,
        t.ack,
        info.window,
        if info.window_scaled {
            ""
        } else {
            " (scale unknown)"
        }
    );
    if !opts.is_empty() {
        let _ = write!(detail, " · {opts}");
    }
    if !analysis.is_empty() {
        let _ = write!(detail, " · [{}]", analysis.join(", "));
    }
}

/// Teaching notes on the connection's life, short, beside the first of each kind of segment:
/// the ISNs, the handshake's end, a refusal or an abort, each FIN, TIME-WAIT.
fn handshake_and_teardown_notes(
    t: &TcpSummary<'_>,
    info: &TrackInfo,
    f: &Flow,
    seen: &mut Seen,
) -> Vec<String> {
    let mut notes = Vec::new();
    let sender = info.dir.sender();
    let who = sender.name();
    let (syn, fin, rst, ack) = (t.flags.syn(), t.flags.fin(), t.flags.rst(), t.flags.ack());
    let retrans = info.analysis.has(Analysis::RETRANSMISSION);
    if syn && !ack {
        if !seen.syn {
            seen.syn = true;
            notes.push(format!("{who} picks ISN {}, shown as 0", t.seq));
            if sender == Endpoint::Client {
                notes.push(ports_note(f));
            }
        } else if retrans {
            notes.push(resend_note(info, "SYN"));
        }
    } else if syn && ack {
        if !seen.synack {
            seen.synack = true;
            notes.push(format!(
                "ack {} = ISN+1: the SYN used one number",
                info.rel_ack
            ));
            notes.push(format!("{who} picks ISN {}, shown as 0", t.seq));
        } else if retrans {
            notes.push(resend_note(info, "SYN-ACK"));
        }
    } else if rst {
        if !seen.rst {
            seen.rst = true;
            if f.refused && sender == Endpoint::Server {
                notes.push(format!(
                    "nothing listens on port {}: connection refused",
                    f.server.1
                ));
                if info.context.rst_from_closed {
                    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
                    notes.push(
                        "sent from CLOSED: no ISN, so seq is 0; ack = the SYN's seq + 1".into(),
                    );
                }
            } else if sender == Endpoint::Client
                && seen.synack
                && !seen.handshake_ack
                && !seen.data[0]
                && info.rel_seq == 1
            {
                // RFC 9293 §3.10.7.1: a segment for no connection is answered from CLOSED,
                // an ACK-bearing one with <SEQ=SEG.ACK><CTL=RST>. A client socket in SYN-SENT
                // would have answered the SYN-ACK with its ACK instead (§3.10.7.3).
                seen.unowned_rst = true;
                notes.push(
                    "RST with seq = the SYN-ACK's ack: no socket on the client's side owns this \
                     connection (its SYN did not come from one), so the kernel answers from \
                     CLOSED; the client was never ESTABLISHED"
                        .into(),
                );
            } else {
                notes.push("RST aborts at once: no FIN exchange".into());
            }
        }
    } else if fin {
        seen.fin += 1;
        if seen.fin == 1 {
            notes.push(format!("{who} closes: the FIN uses one number"));
        } else if seen.fin == 2 {
            let crossed = info
                .state_change
                .iter()
                .flatten()
                .any(|c| c.to == TcpState::Closing);
            if crossed {
                notes.push("the FINs crossed: both ends wait in CLOSING".into());
            } else {
                notes.push(format!("{who} closes its side too"));
            }
        }
    } else if let Some(hs) = info.context.handshake.filter(|_| !seen.handshake_ack) {
        seen.handshake_ack = true;
        if hs.retransmitted {
            // Karn's rule (RFC 6298 §3): a retransmitted SYN or SYN-ACK gives no RTT sample.
            notes.push(format!(
                "handshake done in {} and {} segments; no RTT sample (retransmitted)",
                duration(hs.duration_ns),
                hs.segments
            ));
        } else {
            let rtt = info
                .handshake_rtt_ns
                .map(|n| format!(", RTT {}", duration(n)))
                .unwrap_or_default();
            notes.push(format!("handshake done in {} segments{rtt}", hs.segments));
        }
        if sender == Endpoint::Client && f.roles == crate::track::RoleBasis::Syn {
            // RFC 9293 §3.5: the client is ESTABLISHED on the SYN-ACK (connect() returns);
            // the server's kernel completes the handshake by itself and queues the connection
            // for accept() (Linux's accept queue).
            notes.push(
                "connect() returned on the SYN-ACK; the server's kernel completes the connection by itself, and accept() only hands it over".into(),
            );
        }
        match info.context.echo {
            // RFC 7323 §3: TSecr echoes the TSval of the segment acknowledged.
            Some(Echo::Nth { n, of }) => notes.push(format!(
                "its TS echo names SYN-ACK {n} of {of}: the client was in SYN-SENT until that one{}",
                if n > 1 {
                    "; the earlier one never reached it"
                } else {
                    ""
                }
            )),
            Some(Echo::Ambiguous { of }) => notes.push(format!(
                "{of} SYN-ACKs and no timestamp echo to tell which one the client got"
            )),
            None => {}
        }
    }
    for c in info.state_change.iter().flatten() {
        if c.from == TcpState::LastAck && c.to == TcpState::Closed {
            // RFC 9293 §3.6 and §3.10.7.4: the end that closed first waits 2·MSL in TIME-WAIT
            // so that a lost last ACK can be repeated and old duplicates die out; Linux waits
            // TCP_TIMEWAIT_LEN, 60 s.
            notes.push(format!(
                "the {who} closed first, so it waits 2·MSL in TIME-WAIT (60 s on Linux): a lost last ACK can still be repeated, late segments die out"
            ));
        }
    }
    notes
}

/// Teaching notes on the data: the first bytes each way and their numbers, payload previews,
/// the ACK that covers them, a full receive buffer, and the first of each analysis event.
fn data_notes(
    notes: &mut Vec<String>,
    p: &Packet<'_>,
    t: &TcpSummary<'_>,
    info: &TrackInfo,
    seen: &mut Seen,
) {
    let len = p.payload_wire_len;
    let me = info.dir.index();
    let sender = info.dir.sender();
    let who = sender.name();
    let other = if sender == Endpoint::Client {
        "server"
    } else {
        "client"
    };
    let (syn, ack) = (t.flags.syn(), t.flags.ack());
    let retrans = info.analysis.has(Analysis::RETRANSMISSION);
    let preview_data = len > 0 && seen.previews < 6 && !retrans;
    if len > 0 && !seen.data[me] {
        seen.data[me] = true;
        notes.push(numbered(len, info.rel_seq));
        if preview_data {
            notes.push(preview(p.payload, 24));
            seen.previews += 1;
        }
    } else if preview_data {
        seen.previews += 1;
        notes.push(preview(p.payload, 24));
    }
    if ack && !syn && len == 0 && !seen.data_ack[me] && seen.data[1 - me] && info.rel_ack > 1 {
        seen.data_ack[me] = true;
        notes.push(format!(
            "ack {} = 1 + {} received",
            info.rel_ack,
            bytes(info.rel_ack - 1)
        ));
    }
    if info.analysis.has(Analysis::ZERO_WINDOW) && seen.explained & Analysis::ZERO_WINDOW == 0 {
        seen.explained |= Analysis::ZERO_WINDOW;
        // RFC 9293 §3.8.6: the window is the room left in the receive buffer; it reaches 0
        // when the receiving application does not read what arrived.
        notes.push(format!(
            "{who}'s receive buffer is full: its application is not reading, so the {other} must wait"
        ));
    }
    event_notes(notes, t, info, seen, len);
}

/// The first duplicate ACK of a hole: which bytes are missing (from the ack to the lowest SACK
/// block above it) and which arrived past it (every block, RFC 2018 §3), numbered like the ack.
fn sack_hole_note(t: &TcpSummary<'_>, ack: u32) -> String {
    let base = t.ack.wrapping_sub(ack);
    let mut blocks: Vec<(u32, u32)> = Vec::new();
    for o in t.options() {
        if let TcpOption::Sack { blocks: b, count } = o {
            blocks.extend(
                b[..count as usize]
                    .iter()
                    .map(|&(l, r)| (l.wrapping_sub(base), r.wrapping_sub(base)))
                    .filter(|&(l, _)| l > ack),
            );
        }
    }
    blocks.sort_unstable();
    let hole_end = blocks.first().map_or(ack, |b| b.0);
    let arrived: Vec<String> = blocks
        .iter()
        .map(|(l, r)| format!("{l} to {}", r.wrapping_sub(1)))
        .collect();
    // RFC 6675 §4 (NextSeg): a SACK sender resends only bytes no SACK block covers.
    format!(
        "the hole: bytes {ack} to {} are missing; bytes {} arrived past it (SACK), so the sender need resend only what no block covers",
        hole_end.wrapping_sub(1),
        arrived.join(", ")
    )
}

/// `1 byte`, `2 bytes`.
fn bytes(n: u32) -> String {
    super::fmt::plural(u64::from(n), "byte", "bytes")
}

/// The bytes a segment carries and their relative numbers: `4 bytes, numbered 1 to 4`, and for
/// one byte `1 byte, numbered 5` (the range's ends are the same byte).
fn numbered(len: u32, first: u32) -> String {
    if len == 1 {
        format!("1 byte, numbered {first}")
    } else {
        format!(
            "{len} bytes, numbered {first} to {}",
            first.wrapping_add(len).wrapping_sub(1)
        )
    }
}

/// The first SYN's ports: the client's ephemeral one, the server's fixed one, the 4-tuple.
fn ports_note(f: &Flow) -> String {
    let (c, sv) = (f.client.1, f.server.1);
    // RFC 6056 §2, RFC 6335 §6: the kernel picks a client port from the ephemeral range at
    // connect() (Linux net.ipv4.ip_local_port_range, 32768-60999 by default).
    let client = if crate::track::notes::LINUX_EPHEMERAL.contains(&c) {
        format!("client port {c}: ephemeral (Linux's range 32768-60999)")
    } else {
        format!("client port {c}")
    };
    // RFC 9293 §3.2: the socket pair (both addresses and ports) identifies the connection.
    format!(
        "{client}; {sv}: the server's fixed port; both addresses and ports (the 4-tuple) name this connection"
    )
}

/// `28 µs after the original`, or that the original was not captured.
fn gap(ns: Option<u64>) -> String {
    ns.map_or("the original not captured".into(), |n| {
        format!("{} after the original", duration(n))
    })
}

/// Why a segment was resent, from the timing, the duplicate ACKs and SACK blocks before it.
fn resend_note(info: &TrackInfo, what: &str) -> String {
    match info.context.resend {
        // RFC 6298 §2.1 (1 s before any RTT sample) and §5.4.
        Some(Resend::Timer { gap_ns, rto_ns }) if what == "SYN" => format!(
            "the SYN is sent again, same ISN: no SYN-ACK within {} (≥ the RTO, {}), the timer fired",
            duration(gap_ns),
            duration(rto_ns)
        ),
        // RFC 6298 §5.4.
        Some(Resend::Timer { gap_ns, rto_ns }) => format!(
            "{what} resent {} after the original, ≥ the RTO ({}): the retransmission timer fired",
            duration(gap_ns),
            duration(rto_ns)
        ),
        // Linux tcp_check_req: a repeated SYN is answered with the SYN-ACK again.
        Some(Resend::AnswersSyn) => "the client's SYN came again: the SYN-ACK is repeated".into(),
        // RFC 5681 §3.2.
        Some(Resend::Fast { dups, gap_ns }) => format!(
            "fast retransmit after {dups} duplicate ACKs ({}), not the timer",
            gap(gap_ns)
        ),
        // RFC 6675 §5: SACK-based loss recovery.
        Some(Resend::Sack {
            dups,
            gap_ns: Some(g),
        }) => format!(
            "resent {} after the original, before the RTO: SACK loss recovery, the SACK blocks showed later bytes arrived ({dups} dup ACKs)",
            duration(g)
        ),
        Some(Resend::Sack { dups, gap_ns: None }) => format!(
            "resent after SACK blocks showed later bytes arrived ({dups} dup ACKs): SACK loss recovery; the original was not captured"
        ),
        // Neither RFC 6298 §5 (the timer) nor RFC 5681 §3.2 (fast retransmit). Linux's other
        // triggers are RACK's reordering timer and the tail loss probe (RFC 8985 §6, §7); the
        // probe resends the last segment sent (§7.3) about 2·SRTT after it (§7.2; Linux adds
        // 2 ms, tcp_schedule_loss_probe). The capture cannot prove which: say "most likely".
        Some(Resend::Early {
            gap_ns: Some(g),
            rto_ns,
            tail,
        }) => format!(
            "resent {} after the original, sooner than the RTO ({}), with no 3 dup ACKs or SACK seen: not the timer, not fast retransmit; {}",
            duration(g),
            duration(rto_ns),
            if tail {
                "the last segment sent, so most likely a tail loss probe (RFC 8985 §7), resent when no ACK came for about two round trips"
            } else {
                "the capture does not show what triggered it (RFC 8985's RACK timer or a tail loss probe)"
            }
        ),
        Some(Resend::Early { gap_ns: None, .. }) => {
            "resent; the original was not captured, so its timing is unknown".into()
        }
        None => format!("the {what} is sent again"),
    }
}

/// Notes on the analysis events of a segment, derived from its context: each kind whose
/// sentence depends on the occurrence is told every time; fixed sentences once per
/// conversation.
fn event_notes(
    notes: &mut Vec<String>,
    t: &TcpSummary<'_>,
    info: &TrackInfo,
    seen: &mut Seen,
    len: u32,
) {
    let a = info.analysis;
    let c = info.context;
    // The peer's last segment was a keep-alive or zero-window probe: this one answers it.
    let me = (info.dir == Dir::ToClient) as usize;
    let answers_probe = std::mem::take(&mut seen.probed[me]);
    seen.probed[1 - me] = a.has(Analysis::KEEP_ALIVE);
    let ack = info.rel_ack;
    // SYNs and SYN-ACKs are told in the handshake notes.
    if a.has(Analysis::RETRANSMISSION)
        && !a.has(Analysis::SPURIOUS_RETRANSMISSION)
        && !t.flags.syn()
    {
        notes.push(resend_note(info, "segment"));
    }
    if let Some(d) = c.dup_ack {
        notes.push(match (d, c.sack) {
            // RFC 9293 §3.10.7.4: an unacceptable segment is answered by an ACK.
            (DupAck::AnswersSyn, _) => {
                "the same ack again: it answers the repeated SYN-ACK, no data involved".into()
            }
            // RFC 2018 §4: the first block holds the most recently received bytes.
            (DupAck::Sack, Some(_)) if seen.hole_told != Some(ack) => {
                seen.hole_told = Some(ack);
                sack_hole_note(t, ack)
            }
            (DupAck::Sack, Some((l, r, _))) => format!(
                "still missing byte {ack}: SACK {l}:{r} says later bytes arrived past the hole"
            ),
            // RFC 5681 §2.
            _ => {
                format!("the same ack again: a segment arrived that did not fill the gap at {ack}")
            }
        });
    } else if let Some((l, r, true)) = c.sack
        && a.has(Analysis::WINDOW_UPDATE)
    {
        notes.push(format!(
            "SACK {l}:{r} grew: more bytes arrived past the hole at {ack} (a duplicate ACK with new SACK information; the window changed too)"
        ));
    } else if a.has(Analysis::WINDOW_UPDATE) {
        notes.push(if c.reopens {
            format!(
                "the window reopens ({}): the application read",
                bytes(info.window)
            )
        } else if answers_probe {
            // tshark `tcp.analysis.window_update`: the window differs from this side's last
            // segment (here the SYN-ACK's unscaled one); the segment exists because the probe
            // forced an ACK (RFC 9293 §3.8.4, §3.10.7.4).
            format!(
                "the ACK the probe forced; tshark calls it a window update because the window \
                 ({} bytes) differs from the last one this side sent",
                info.window
            )
        } else {
            format!("only the window changed, now {}", bytes(info.window))
        });
    }
    if let Some((l, r)) = c.dsack {
        // RFC 2883 §4.
        notes.push(format!("D-SACK {l}:{r}: these bytes arrived twice"));
    }
    if a.has(Analysis::KEEP_ALIVE) {
        notes.push(if c.peer_window_zero {
            // Linux's zero-window probe: no data, seq one below the next byte (tcp_xmit_probe_skb).
            "zero-window probe: no data, seq one below the next byte, to make the receiver tell its window (tshark labels it keep-alive)".into()
        } else {
            // RFC 9293 §3.8.4 (RFC 1122 §4.2.3.6).
            format!(
                "keep-alive probe: seq one below the next byte, {}: the ACK it forces shows the peer is there",
                if len > 0 { "one old byte" } else { "no data" }
            )
        });
    }
    for (bit, why) in ONCE {
        if a.has(bit) && seen.explained & bit == 0 {
            seen.explained |= bit;
            notes.push(why.to_string());
        }
    }
}

/// The teaching points this segment shows (`track::notes::Teach`), worded; each cites beside
/// it what it follows.
fn teaching_points(
    notes: &mut Vec<String>,
    p: &Packet<'_>,
    t: &TcpSummary<'_>,
    info: &TrackInfo,
    f: &Flow,
    seen: &mut Seen,
) {
    let (mut mss, mut sack) = (None, false);
    for o in t.options() {
        match o {
            TcpOption::Mss(m) => mss = Some(m),
            TcpOption::Sack { .. } => sack = true,
            _ => {}
        }
    }
    let mut base = crate::track::analysis::Segment::of(p, t, info.window);
    (base.seq, base.ack) = (info.rel_seq, info.rel_ack);
    let seg = TeachSeg {
        base,
        from: info.dir.index(),
        retransmission: info.analysis.has(Analysis::RETRANSMISSION),
        options_len: t.header_len.saturating_sub(20),
        mss,
        sack,
        psh: t.flags.psh(),
        payload: p.payload,
        rtt_ns: f.handshake_rtt_ns,
    };
    let who = info.dir.sender().name();
    let other = if info.dir.sender() == Endpoint::Client {
        "server"
    } else {
        "client"
    };
    for point in seen.teach.observe(&seg) {
        notes.push(match point {
            // RFC 9293 §3.8.6.3 (RFC 1122 §4.2.3.2): an ACK may wait, less than 0.5 s, for
            // data to ride on; Linux's delayed-ACK timer is at least 40 ms.
            Point::DelayedAck { after_ns } => format!(
                "a delayed ACK: the {who} waited {} for data of its own to carry it",
                duration(after_ns)
            ),
            // RFC 9293 §3.8.6.3: the ack rides on a data segment.
            Point::Piggyback { acked } => format!(
                "ack {acked} rides on this data: a piggybacked ACK, no separate segment"
            ),
            // RFC 1122 §4.2.3.4 (RFC 896): Nagle's algorithm.
            Point::Nagle {
                len,
                after_ack_ns,
                waited_ns,
            } => format!(
                "{} sent {} after the ACK, after {} of silence: Nagle's algorithm held them until the small segment before was acknowledged, and small writes made meanwhile leave together (TCP_NODELAY turns it off)",
                bytes(len),
                duration(after_ack_ns),
                duration(waited_ns)
            ),
            // Linux tcp_nagle_check (Minshall's variant of RFC 1122 §4.2.3.4).
            Point::NoDelay { outstanding } => format!(
                "another small segment while the last one ({}) is unacknowledged: Nagle's algorithm would have held it, so it is off (TCP_NODELAY)",
                bytes(outstanding)
            ),
            // RFC 6691 §2, RFC 9293 §3.7.1: the MSS counts no options; RFC 7323 §3: the
            // timestamp option takes 10 bytes, 12 with its two NOPs.
            Point::FullSize {
                mss,
                options,
                sack,
            } => {
                let what = match (options, sack) {
                    (0, _) => String::new(),
                    (12, false) => " less 12 bytes of timestamp option".into(),
                    (o, true) => format!(" less {o} bytes of options (timestamps and SACK blocks)"),
                    (o, false) => format!(" less {o} bytes of options"),
                };
                format!("a full-sized segment: the {other}'s MSS {mss}{what}")
            }
            // RFC 9293 §3.6: a FIN says "no more data from me"; Linux answers data arriving
            // after close() with RST, so an ACK of it shows the end still reads.
            Point::HalfClose => format!(
                "the {who} acknowledges data sent after its FIN: it had only shut down its sending side (shutdown(SHUT_WR), a half-close)"
            ),
            Point::CloseOrHalfClose => format!(
                "no data followed the {other}'s FIN: on the wire, shutdown(SHUT_WR) and close() look the same"
            ),
            // RFC 9293 §3.6 (abort), RFC 2525 §2.17; Linux tcp_close sends RST when received
            // data is unread, or with SO_LINGER 0.
            Point::Abort { received } if received > 0 => format!(
                "an abortive close: close() sends RST, not FIN, while received data is unread ({} came in) or with SO_LINGER 0; no TIME-WAIT",
                bytes(received)
            ),
            Point::Abort { .. } => {
                "an abortive close (such as close() with SO_LINGER 0): no FIN, no TIME-WAIT".into()
            }
            // RFC 9112 §9.3: HTTP/1.1 connections persist unless "close" is signalled.
            Point::HttpReuse => {
                "a second request on the same connection: HTTP/1.1 keeps it open, no new handshake".into()
            }
            // RFC 1945 §1.3, RFC 9112 §9.3: without keep-alive, an HTTP/1.0 server closes
            // after each response.
            Point::Http10Close => {
                "HTTP/1.0 without keep-alive: the server closes after its response".into()
            }
        });
    }
}

/// A row with the endpoints' new states, when the packet changed any.
fn states_row(info: &TrackInfo) -> Option<Row> {
    let mut client = None;
    let mut server = None;
    for c in info.state_change.iter().flatten() {
        match c.endpoint {
            Endpoint::Client => client = Some(c.to),
            Endpoint::Server => server = Some(c.to),
        }
    }
    (client.is_some() || server.is_some()).then_some(Row::States { client, server })
}

/// Glyphs and colours.
struct Style {
    opts: LadderOptions,
    time_w: usize,
    /// Columns between the two lane bars.
    inner: usize,
}

const CYAN: &str = "\x1b[36m";
const MAGENTA: &str = "\x1b[35m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";
use super::calls::CALL;

impl Style {
    fn new(opts: LadderOptions) -> Style {
        let time_w = 12;
        // The arrows get a bit more than half of what is left; notes take the rest.
        let rest = opts.width.saturating_sub(time_w + 2);
        let inner = (rest * 53 / 100).clamp(34, 64);
        Style {
            opts,
            time_w,
            inner,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.opts.color && !s.is_empty() {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    }

    fn dim(&self, s: &str) -> String {
        self.paint(DIM, s)
    }

    fn bar(&self) -> &'static str {
        if self.opts.ascii { "|" } else { "│" }
    }

    /// `text` as lines for a row that starts `indent` columns in: wrapped to the width when
    /// fitting, else whole.
    fn fitted(&self, text: &str, indent: usize) -> Vec<String> {
        if self.opts.fit {
            self.wrap(text, self.opts.width.saturating_sub(indent).max(16))
        } else {
            vec![text.to_string()]
        }
    }

    /// [`wrap`], and when fitting, a word longer than `w` (a payload preview) cut into pieces.
    fn wrap(&self, s: &str, w: usize) -> Vec<String> {
        let lines = wrap(s, w);
        if !self.opts.fit || lines.iter().all(|l| width(l) <= w) {
            return lines;
        }
        let chars: Vec<char> = lines.join(" ").chars().collect();
        chars.chunks(w.max(1)).map(|c| c.iter().collect()).collect()
    }

    /// The width of the notes column.
    fn note_width(&self) -> usize {
        // A row is the time, two spaces, the lanes (two bars around `inner`), two spaces and
        // the note: the note gets the rest. Without `fit`, as before (two columns more).
        let used = self.time_w + self.inner + if self.opts.fit { 4 } else { 2 };
        self.opts.width.saturating_sub(used).max(24)
    }

    /// A note's lines in the notes column: wrapped when fitting, else whole.
    fn note_lines(&self, note: &str) -> Vec<String> {
        if self.opts.fit {
            self.wrap(note, self.note_width())
        } else {
            vec![note.to_string()]
        }
    }

    /// A row with empty lanes and `note` in the notes column.
    fn blank_row(&self, note: &str) -> String {
        let bar = self.bar();
        format!(
            "{:w$}{bar}{}{bar}  {note}",
            "",
            " ".repeat(self.inner),
            w = self.time_w
        )
    }

    fn header(&self, out: &mut dyn Write, d: &Diagram, title: &str) -> io::Result<()> {
        for t in self.fitted(title, 0) {
            writeln!(out, "{}", self.paint(BOLD, &t))?;
        }
        writeln!(out)?;
        let left = pad(&d.client_label, self.inner + 1);
        writeln!(
            out,
            "{:>w$}  {}{}",
            "ms",
            self.paint(CYAN, &left),
            self.paint(MAGENTA, &d.server_label),
            w = self.time_w - 2
        )?;
        if d.tcp {
            let l = d.initial[0].map_or("", |s| s.name());
            let r = d.initial[1].map_or("", |s| s.name());
            writeln!(
                out,
                "{:w$}{}{}",
                "",
                pad(l, self.inner + 1),
                r,
                w = self.time_w
            )?;
        }
        Ok(())
    }

    fn row(&self, out: &mut dyn Write, r: &Row, tag: Option<u32>) -> io::Result<()> {
        match r {
            Row::States { client, server } => {
                let bar = self.bar();
                let l = client.map_or(bar.to_string(), |s| s.name().to_string());
                let r = server.map_or(bar.to_string(), |s| s.name().to_string());
                let line = format!("{}{}", pad(&l, self.inner + 1), r);
                writeln!(out, "{:w$}{}", "", self.paint(DIM, &line), w = self.time_w)
            }
            Row::Arrow(a) => self.arrow(out, a, tag),
        }
    }

    fn arrow(&self, out: &mut dyn Write, a: &Arrow, tag: Option<u32>) -> io::Result<()> {
        let (bar, dash, right, left) = if self.opts.ascii {
            ("|", "-", ">", "<")
        } else {
            ("│", "─", "▶", "◀")
        };
        let mut label = a.flags.clone();
        if !a.numbers.is_empty() {
            label.push_str("  ");
            label.push_str(&a.numbers);
        }
        let marks = if a.analysis.is_empty() {
            String::new()
        } else {
            format!("[{}]", a.analysis.join(", "))
        };
        // The shaft: at least 3 dashes each side of the label; label and marks that do not
        // fit go to the notes column.
        // The shaft keeps at least two dashes before the label and one after; the label's
        // fields that do not fit stay whole and go to the notes column, as do the marks.
        let room = self.inner.saturating_sub(7);
        let mut notes: Vec<String> = Vec::new();
        let mut on_arrow = a.flags.clone();
        let mut spill: Vec<&str> = Vec::new();
        for field in a.numbers.split("  ").filter(|f| !f.is_empty()) {
            if spill.is_empty() && width(&on_arrow) + 2 + width(field) <= room {
                on_arrow.push_str("  ");
                on_arrow.push_str(field);
            } else {
                spill.push(field);
            }
        }
        if !spill.is_empty() {
            notes.push(spill.join("  "));
        }
        if !marks.is_empty() {
            if spill.is_empty() && width(&on_arrow) + 1 + width(&marks) <= room {
                on_arrow = format!("{on_arrow} {marks}");
            } else {
                notes.insert(0, marks.clone());
            }
        }
        notes.extend(a.notes.iter().cloned());
        let fill = self.inner.saturating_sub(2 + width(&on_arrow) + 2);
        let colour = match a.dir {
            Dir::ToServer => CYAN,
            Dir::ToClient => MAGENTA,
        };
        let lbl = self.paint_label(&on_arrow, &a.flags, &marks);
        let shaft = match a.dir {
            Dir::ToServer => format!(
                "{}{} {} {}{}{}",
                bar,
                self.paint(colour, &dash.repeat(2)),
                lbl,
                self.paint(colour, &dash.repeat(fill.saturating_sub(1))),
                self.paint(colour, right),
                bar
            ),
            Dir::ToClient => format!(
                "{}{}{} {} {}{}",
                bar,
                self.paint(colour, left),
                self.paint(colour, &dash.repeat(fill.saturating_sub(1))),
                lbl,
                self.paint(colour, &dash.repeat(2)),
                bar
            ),
        };
        let time = time_cell(tag, a.time_ms, self.time_w - 2);
        let note_w = self.note_width();
        let mut lines = notes.iter().flat_map(|n| self.wrap(n, note_w));
        let first = lines.next();
        write!(out, "{:>w$}  {shaft}", time, w = self.time_w - 2)?;
        if let Some(n) = first {
            write!(out, "  {}", self.note(&n, &marks))?;
        }
        writeln!(out)?;
        for n in lines {
            writeln!(
                out,
                "{:w$}{}{}{}  {}",
                "",
                bar,
                " ".repeat(self.inner),
                bar,
                self.note(&n, &marks),
                w = self.time_w
            )?;
        }
        Ok(())
    }

    /// A row of text on one lane: on the client's, from its bar rightwards; on the server's,
    /// ending at its bar. Text longer than the space between the bars is cut with `…`.
    fn paint_label(&self, label: &str, flags: &str, marks: &str) -> String {
        if !self.opts.color {
            return label.to_string();
        }
        let mut s = label.to_string();
        if let Some(rest) = s.strip_prefix(flags) {
            s = format!("{BOLD}{flags}{RESET}{rest}");
        }
        if !marks.is_empty() {
            s = s.replace(marks, &format!("{RED}{marks}{RESET}"));
        }
        s
    }

    fn note(&self, n: &str, marks: &str) -> String {
        if !marks.is_empty() && n == marks {
            self.paint(RED, n)
        } else {
            self.paint(DIM, n)
        }
    }
}

/// The time column's text: the conversation's tag (`#2 `) when there is one, and the time in
/// milliseconds with three decimals, or fewer when that would not fit in `w` columns (past
/// 1000 ms with a tag, past 10 s, ...), then whole seconds marked `s`: the column never grows,
/// so the lanes never move.
fn time_cell(tag: Option<u32>, ms: f64, w: usize) -> String {
    let tag = tag.map_or(String::new(), |i| format!("#{i} "));
    for d in (0..=3).rev() {
        let s = format!("{tag}{ms:.d$}");
        if width(&s) <= w {
            return s;
        }
    }
    let s = format!("{tag}{:.0}s", ms / 1e3);
    if width(&s) <= w {
        return s;
    }
    format!("{:.0}s", ms / 1e3)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    let n = width(s);
    if n >= w {
        format!("{s} ")
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

/// Splits a note into lines of at most `w` characters, at spaces when possible.
fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && width(&cur) + 1 + width(word) > w {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod plural_tests {
    use super::{bytes, numbered};

    #[test]
    fn one_byte_is_singular_and_has_one_number() {
        assert_eq!(numbered(1, 1), "1 byte, numbered 1");
        assert_eq!(numbered(4, 1), "4 bytes, numbered 1 to 4");
        assert_eq!(numbered(6, 9), "6 bytes, numbered 9 to 14");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(65536), "65536 bytes");
    }
}

#[cfg(test)]
mod time_column_tests {
    use super::time_cell;

    #[test]
    fn the_time_column_never_grows() {
        assert_eq!(time_cell(None, 154.2021, 10), "154.202");
        assert_eq!(time_cell(Some(0), 154.2021, 10), "#0 154.202");
        assert_eq!(time_cell(Some(0), 1014.1304, 10), "#0 1014.13");
        assert_eq!(time_cell(None, 21014.1304, 10), "21014.130");
        assert_eq!(time_cell(Some(3), 21014.1304, 10), "#3 21014.1");
        assert_eq!(time_cell(Some(12), 21014.1304, 10), "#12 21014");
        assert_eq!(time_cell(Some(12), 3_600_000.0, 10), "#12 3600s");
        assert_eq!(time_cell(Some(1234), 360_000_000.0, 10), "360000s");
        for ms in [0.0, 999.9996, 1000.0, 9999.9, 10_000.0, 123_456.7, 9e9] {
            for tag in [None, Some(0), Some(99), Some(99_999)] {
                assert!(time_cell(tag, ms, 10).chars().count() <= 10, "{tag:?} {ms}");
            }
        }
    }
}

#[cfg(test)]
mod ascii_tests {
    use super::{CallLane, LadderOptions, LadderRenderer, asciify};
    use crate::source::Timestamp;

    #[test]
    fn every_character_the_ladder_prints_is_spelled_out() {
        let s = asciify("⇄↔·µ→←…─│×▶◀»«≥≤§—− RFC 8985 §7");
        assert!(s.is_ascii() && !s.contains('?'), "{s}");
        assert!(s.ends_with("RFC 8985 sec. 7"), "{s}");
        assert_eq!(asciify("comm ñ"), "comm ?");
    }

    /// A socket call's row is spelled out before it is padded: its right-hand bar stays in the
    /// lane's column although `»` became `>>`.
    #[test]
    fn an_ascii_call_row_keeps_its_bars_aligned() {
        let rows = |ascii: bool| {
            let mut l = LadderRenderer::new(LadderOptions {
                width: 80,
                ascii,
                ..LadderOptions::default()
            });
            let mut out = Vec::new();
            let ts = Timestamp::new(1, 0);
            for server in [false, true] {
                let lane = CallLane::Side { server };
                l.call_row(&mut out, ts, lane, "» connect(3, 127.0.0.1:7007)", None)
                    .unwrap();
                l.call_row(&mut out, ts, lane, "« connect = 0", None)
                    .unwrap();
            }
            String::from_utf8(out).unwrap()
        };
        let (drawn, plain) = (rows(false), rows(true));
        assert!(
            plain.contains(">> connect(3") && plain.contains("<< connect = 0"),
            "{plain}"
        );
        let bars = |s: &str, bar: char| -> Vec<Vec<usize>> {
            s.lines()
                .map(|l| {
                    l.chars()
                        .enumerate()
                        .filter(|(_, c)| *c == bar)
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect()
        };
        assert_eq!(bars(&plain, '|'), bars(&drawn, '│'), "{drawn}\n{plain}");
    }
}
