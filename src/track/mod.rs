//! Connection tracking: conversations keyed by a canonical 5-tuple, roles (client, server),
//! relative sequence numbers with wrapping arithmetic (RFC 9293 §3.4), each endpoint's TCP state
//! (RFC 9293 §3.3.2), the handshake options of each side, Wireshark's analysis events, and UDP
//! request/response pairing.
//!
//! [`Tracker::observe`] is called once per packet, in order, and returns a [`TrackInfo`] that the
//! renderers use. Memory is bounded: per-connection analysis state lives only while a flow is
//! live (closed flows are dropped a while after they close, and the least recently seen beyond
//! [`Limits::live`]); each conversation leaves a compact [`Flow`] summary, the oldest of which are
//! dropped beyond [`Limits::summaries`].

pub mod analysis;
pub mod callrec;
pub mod calls;
mod index;
pub mod notes;
pub mod record;
pub mod seq;
mod shadow;
pub mod sockcalls;
pub mod state;

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::{Net, OptionFacts, Packet, TcpSummary, Transport, proto};
use crate::services::{self, Proto};
use crate::source::Timestamp;
pub use analysis::Analysis;
use analysis::{DirAnalysis, Segment};
use index::{Index, Key, Slot};
use notes::NoteDir;
use record::EventCounts;
pub use record::FlowRecord;
pub use seq::SeqNumber;
use shadow::Shadow;
pub use state::TcpState;

/// A conversation's identity, the same for both directions: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    pub protocol: u8,
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
}

/// Hashed as a few whole words rather than field by field (the derived hash feeds the hasher
/// a dozen small pieces per look-up): equal keys still hash alike, which is all a map needs.
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let word = |(ip, port): (IpAddr, u16)| -> u128 {
            match ip {
                IpAddr::V4(a) => ((u32::from(a) as u128) << 16) | port as u128,
                IpAddr::V6(a) => u128::from(a) ^ ((port as u128) << 112) ^ 1,
            }
        };
        h.write_u128(word(self.lo) ^ ((self.protocol as u128) << 120));
        h.write_u128(word(self.hi));
    }
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether `src` is the `lo` endpoint.
    pub fn of(protocol: u8, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (FlowKey, bool) {
        // Two IPv4 endpoints (the usual case) compare as one number each, address then port:
        // the order of the tuples, without comparing the enums field by field.
        let src_is_lo = match (src, dst) {
            ((IpAddr::V4(a), ap), (IpAddr::V4(b), bp)) => {
                (u64::from(u32::from(a)) << 16 | u64::from(ap))
                    <= (u64::from(u32::from(b)) << 16 | u64::from(bp))
            }
            _ => src <= dst,
        };
        if src_is_lo {
            (
                FlowKey {
                    protocol,
                    lo: src,
                    hi: dst,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    protocol,
                    lo: dst,
                    hi: src,
                },
                false,
            )
        }
    }
}

/// Direction of a packet relative to the roles of its conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

impl Dir {
    /// The endpoint that sent a packet going this way.
    pub fn sender(self) -> Endpoint {
        match self {
            Dir::ToServer => Endpoint::Client,
            Dir::ToClient => Endpoint::Server,
        }
    }
    /// Index into [`Flow::sides`]: 0 for client → server.
    pub fn index(self) -> usize {
        match self {
            Dir::ToServer => 0,
            Dir::ToClient => 1,
        }
    }
}

/// One end of a conversation, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Client,
    Server,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Client => "client",
            Endpoint::Server => "server",
        }
    }
}

/// How the roles of a conversation were decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleBasis {
    /// The client sent the first SYN (without ACK).
    Syn,
    /// The first packet seen was a SYN-ACK: its receiver is the client.
    SynAck,
    /// No handshake was seen: the sender of the first packet is taken as the client.
    FirstPacket,
    /// No handshake was seen: the server is the end on a well-known service port (or the only
    /// port below 1024, or the only one outside the ephemeral range 32768–65535).
    Port,
}

impl RoleBasis {
    /// Whether the roles are a guess (no SYN was seen).
    pub fn guessed(self) -> bool {
        !matches!(self, RoleBasis::Syn | RoleBasis::SynAck)
    }
    /// A phrase saying where the roles come from.
    pub fn explain(self) -> &'static str {
        match self {
            RoleBasis::Syn => "the client sent the SYN",
            RoleBasis::SynAck => "the capture starts at the SYN-ACK, sent by the server",
            RoleBasis::FirstPacket => {
                "roles guessed: no handshake seen, the first sender is taken as the client"
            }
            RoleBasis::Port => {
                "roles guessed: no handshake seen, the server is the end on the well-known (or non-ephemeral) port"
            }
        }
    }
}

/// Per-direction state: what one endpoint sent.
#[derive(Clone, Copy, Debug)]
pub struct Side {
    /// Base for relative numbers: the ISN when the SYN was seen.
    pub isn: Option<SeqNumber>,
    pub segments: u64,
    /// Payload bytes sent, retransmissions included.
    pub bytes: u64,
    /// Payload bytes of segments flagged `tcp.analysis.retransmission` (counted in `bytes`).
    pub retransmitted_bytes: u32,
    /// The ISN comes from a SYN this side sent (not guessed from the first segment or an ACK).
    pub isn_from_syn: bool,
    /// Options of this side's SYN: MSS (RFC 9293 §3.7.1), window scale shift (RFC 7323 §2),
    /// SACK permitted (RFC 2018), timestamps (RFC 7323 §3).
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_ok: bool,
    pub timestamps: bool,
    /// The last TSval this side sent.
    pub last_tsval: Option<u32>,
    /// The last window this side advertised, in bytes (scaled once both sides sent wscale).
    pub window: u32,
    pub state: TcpState,
    /// Absolute sequence number of this side's FIN.
    pub fin_seq: Option<SeqNumber>,
    pub sent_rst: bool,
}

impl Default for Side {
    fn default() -> Self {
        Side {
            isn: None,
            segments: 0,
            bytes: 0,
            retransmitted_bytes: 0,
            isn_from_syn: false,
            mss: None,
            wscale: None,
            sack_ok: false,
            timestamps: false,
            last_tsval: None,
            window: 0,
            state: TcpState::Closed,
            fin_seq: None,
            sent_rst: false,
        }
    }
}

/// How a conversation ended (or did not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// UDP has no connection.
    Datagrams,
    /// The SYN was answered by a RST: nothing listened on the port.
    Refused,
    /// A SYN that was never answered, or a handshake that did not finish.
    Incomplete,
    /// Aborted by a RST from this end.
    Reset(Endpoint),
    /// Both ends sent a FIN; this one first.
    ClosedByFin(Endpoint),
    /// Both ends sent a FIN at the same time (each before seeing the other's).
    SimultaneousClose,
    /// Only this end sent a FIN: the other may still send (a half-close, `shutdown(SHUT_WR)`).
    HalfClosed(Endpoint),
    /// Established and neither FIN nor RST seen.
    Open,
}

impl Outcome {
    pub fn describe(self) -> String {
        match self {
            Outcome::Datagrams => "datagrams (no connection)".into(),
            Outcome::Refused => "refused (SYN answered by RST)".into(),
            Outcome::Incomplete => "incomplete handshake".into(),
            Outcome::Reset(e) => format!("reset by the {}", e.name()),
            Outcome::ClosedByFin(e) => format!("closed by FIN from the {}", e.name()),
            Outcome::SimultaneousClose => "simultaneous close (FINs crossed)".into(),
            Outcome::HalfClosed(e) => format!("half-closed by the {}", e.name()),
            Outcome::Open => "open".into(),
        }
    }
    /// A short word for tables.
    pub fn short(self) -> &'static str {
        match self {
            Outcome::Datagrams => "-",
            Outcome::Refused => "refused",
            Outcome::Incomplete => "incomplete",
            Outcome::Reset(Endpoint::Client) => "reset by client",
            Outcome::Reset(Endpoint::Server) => "reset by server",
            Outcome::ClosedByFin(Endpoint::Client) => "FIN by client",
            Outcome::ClosedByFin(Endpoint::Server) => "FIN by server",
            Outcome::SimultaneousClose => "simultaneous FIN",
            Outcome::HalfClosed(Endpoint::Client) => "half-closed by client",
            Outcome::HalfClosed(Endpoint::Server) => "half-closed by server",
            Outcome::Open => "open",
        }
    }
}

/// One conversation's summary.
#[derive(Clone, Debug)]
pub struct Flow {
    pub index: u32,
    pub key: FlowKey,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub roles: RoleBasis,
    /// [client → server, server → client].
    pub sides: [Side; 2],
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// From the client's SYN to the ACK that completes the handshake (Wireshark's iRTT);
    /// `None` when a SYN or SYN-ACK was retransmitted (Karn's rule, RFC 6298 §3).
    pub handshake_rtt_ns: Option<u64>,
    /// The handshake as it happened: duration, segments, retransmitted or not.
    pub handshake: Option<notes::Handshake>,
    pub established: bool,
    pub simultaneous_open: bool,
    pub simultaneous_close: bool,
    pub refused: bool,
    pub first_fin: Option<Endpoint>,
    pub first_rst: Option<Endpoint>,
    /// How many segments carried each event, in the order of [`Analysis::TABLE`].
    pub analysis_counts: [u32; Analysis::TABLE.len()],
    /// UDP: responses paired with the datagram before them (the other way).
    pub udp_pairs: u64,
}

impl Flow {
    pub fn is_tcp(&self) -> bool {
        self.key.protocol == proto::TCP
    }

    pub fn endpoint(&self, e: Endpoint) -> (IpAddr, u16) {
        match e {
            Endpoint::Client => self.client,
            Endpoint::Server => self.server,
        }
    }

    /// The window scale shift applied to `dir`'s windows: RFC 7323 §2.2 scales only when
    /// both SYNs carried the option.
    pub fn window_shift(&self, dir: Dir) -> Option<u8> {
        match (self.sides[0].wscale, self.sides[1].wscale) {
            (Some(c), Some(s)) => Some(if dir == Dir::ToServer { c } else { s }.min(14)),
            _ => None,
        }
    }

    pub fn outcome(&self) -> Outcome {
        if !self.is_tcp() {
            return Outcome::Datagrams;
        }
        if self.refused {
            return Outcome::Refused;
        }
        if let Some(e) = self.first_rst {
            return Outcome::Reset(e);
        }
        let fins = [self.sides[0].fin_seq, self.sides[1].fin_seq];
        match (fins, self.first_fin) {
            ([Some(_), Some(_)], _) if self.simultaneous_close => Outcome::SimultaneousClose,
            ([Some(_), Some(_)], Some(e)) => Outcome::ClosedByFin(e),
            (_, Some(e)) => Outcome::HalfClosed(e),
            _ if !self.established && !self.roles.guessed() => Outcome::Incomplete,
            _ => Outcome::Open,
        }
    }

    /// Count of segments with the named event.
    pub fn count(&self, bit: u16) -> u32 {
        Analysis::TABLE
            .iter()
            .position(|(b, _, _)| *b == bit)
            .map_or(0, |i| self.analysis_counts[i])
    }

    pub fn duration_ns(&self) -> u64 {
        self.last_ts.nanos_since(self.first_ts).max(0) as u64
    }
}

/// A change of one endpoint's TCP state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub endpoint: Endpoint,
    pub from: TcpState,
    pub to: TcpState,
}

/// What the tracker says about one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackInfo {
    /// Index of the conversation, in order of first appearance, from 0.
    pub flow: u32,
    pub dir: Dir,
    pub roles: RoleBasis,
    /// TCP only: sequence and acknowledgement numbers relative to each side's ISN.
    pub rel_seq: u32,
    pub rel_ack: u32,
    /// The first packet of its conversation.
    pub new_flow: bool,
    /// Wireshark's tcp.analysis events on this segment.
    pub analysis: Analysis,
    /// With `duplicate_ack`: how many duplicate ACKs in a row, from 1 (Wireshark's `#n`).
    pub dup_ack_num: u32,
    /// State changes this segment causes: the sender's first, then the receiver's.
    pub state_change: [Option<StateChange>; 2],
    /// The TCP states of (client, server) after this segment.
    pub states: [TcpState; 2],
    /// Set on the segment that completes the handshake: the handshake RTT.
    pub handshake_rtt_ns: Option<u64>,
    /// The window the sender advertised, in bytes, and whether its scale is known.
    pub window: u32,
    pub window_scaled: bool,
    /// UDP: this datagram answers the previous one (sent the other way) after this delay.
    pub reply_after_ns: Option<u64>,
    /// TCP: the facts the teaching notes are derived from.
    pub context: notes::Context,
}

/// Before any packet: a blank description.
impl Default for TrackInfo {
    fn default() -> Self {
        TrackInfo {
            flow: 0,
            dir: Dir::ToServer,
            roles: RoleBasis::FirstPacket,
            rel_seq: 0,
            rel_ack: 0,
            new_flow: false,
            analysis: Analysis::default(),
            dup_ack_num: 0,
            state_change: [None; 2],
            states: [TcpState::Closed; 2],
            handshake_rtt_ns: None,
            window: 0,
            window_scaled: false,
            reply_after_ns: None,
            context: notes::Context::default(),
        }
    }
}

/// Memory limits of a tracker.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Conversations followed at once; beyond it the least recently seen is dropped.
    pub live: usize,
    /// Summaries kept; beyond it the oldest are dropped (see [`Tracker::dropped_summaries`]).
    pub summaries: usize,
    /// A closed connection is forgotten this long (capture time) after its last packet.
    pub closed_linger_ns: u64,
    /// Any conversation is forgotten after this long without packets.
    pub idle_ns: u64,
    /// Keep a compact [`FlowRecord`] of every conversation (at most 128 bytes each), for
    /// [`Tracker::summaries`]: a table of all conversations of a file.
    pub records: bool,
    /// Keep the summary of this conversation whatever `summaries` says (a view of one).
    pub pinned: Option<u32>,
    /// Derive every fact of [`TrackInfo::context`]. Without it only the handshake is followed
    /// (its duration and Karn's rule, which the summaries and the learner view use): the other
    /// facts stay empty, for views that print no teaching notes.
    pub notes: bool,
}

impl Limits {
    /// Whether conversation `i` is kept only for numbering (see [`shadow`]).
    fn shadowed(&self, i: u32) -> bool {
        !self.records && self.pinned.is_some_and(|p| p != i)
    }

    /// For a table of every conversation: compact records of each instead of summaries.
    pub fn records() -> Self {
        Limits {
            summaries: 0,
            records: true,
            ..Limits::default()
        }
    }

    /// For a view of the one conversation numbered `index`: no other summary is kept.
    pub fn single(index: u32) -> Self {
        Limits {
            summaries: 0,
            pinned: Some(index),
            ..Limits::default()
        }
    }

    /// For per-packet views that stream a file (learner, JSON, verbose, quiet): only the
    /// conversations in progress matter, so few are kept and no summaries beyond a handful.
    /// About 1 KiB a conversation: this keeps `replay` under 50 MB whatever the file size.
    pub fn streaming() -> Self {
        Limits {
            live: 16_384,
            summaries: 64,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            live: 100_000,
            summaries: 200_000,
            closed_linger_ns: 60_000_000_000,
            idle_ns: 600_000_000_000,
            records: false,
            pinned: None,
            notes: true,
        }
    }
}

/// Analysis state of a live conversation.
#[derive(Clone, Debug)]
struct Live {
    index: u32,
    /// The client is the key's `lo` end (both, when the two ends are the same): a packet whose
    /// sender is the `lo` end goes to the server exactly then.
    client_is_lo: bool,
    /// The conversation's state while it is followed: the authority for roles, numbers and
    /// states. Its summary in `Tracker::flows` (while kept) is a copy refreshed after each
    /// packet, so dropping summaries to bound memory never loses what tracking needs.
    flow: Flow,
    dirs: [DirAnalysis; 2],
    /// What the notes need per direction.
    notes: Notes,
    earlier: Earlier,
}

/// What a live conversation keeps of earlier packets, by protocol: a conversation is TCP or
/// UDP, and a TCP one needs its latest SYN only until the handshake RTT is timed, so one field
/// serves all three (24 bytes less per live conversation than three).
#[derive(Clone, Copy, Debug)]
enum Earlier {
    Nothing,
    /// TCP: the latest SYN (without ACK), from which the handshake RTT is timed.
    Syn(Timestamp),
    /// TCP: the handshake RTT as Wireshark times it (its iRTT), once timed: later SYNs no
    /// longer matter.
    Timed(u64),
    /// UDP: the previous datagram's direction and time, until one the other way answers it.
    Datagram(Dir, Timestamp),
}

impl Earlier {
    /// The handshake RTT once timed (the out-of-order threshold of [`analysis::analyze`]).
    fn rtt_ns(self) -> Option<u64> {
        match self {
            Earlier::Timed(rtt) => Some(rtt),
            _ => None,
        }
    }
}

/// What the notes remember of a conversation, per direction: every fact they use (see
/// [`Limits::notes`]), boxed apart so that a conversation whose notes nobody prints stays
/// small; else only its SYNs, which the handshake needs.
#[derive(Clone, Debug)]
enum Notes {
    Full(Box<[NoteDir; 2]>),
    Handshake([notes::Syns; 2]),
}

impl Notes {
    fn new(full: bool) -> Notes {
        if full {
            Notes::Full(Box::default())
        } else {
            Notes::Handshake(Default::default())
        }
    }

    /// The SYNs the client (0) or the server (1) sent.
    fn syns(&self, i: usize) -> &notes::Syns {
        match self {
            Notes::Full(d) => &d[i].syn,
            Notes::Handshake(s) => &s[i],
        }
    }
}

impl Live {
    /// This box made ready for conversation `index` (its summary apart: see [`Flow::reset`]),
    /// as a new one would be, its notes' storage kept when of the same kind.
    fn reset(&mut self, index: u32, client_is_lo: bool, full_notes: bool) {
        self.index = index;
        self.client_is_lo = client_is_lo;
        self.dirs = [DirAnalysis::default(); 2];
        self.earlier = Earlier::Nothing;
        match (&mut self.notes, full_notes) {
            (Notes::Full(d), true) => **d = Default::default(),
            (Notes::Handshake(s), false) => *s = Default::default(),
            (n, _) => *n = Notes::new(full_notes),
        }
    }

    /// Reused ports (Wireshark): a SYN with another ISN on a 5-tuple seen before starts a new
    /// conversation. `src_is_lo`: the sender of `t` is the key's `lo` end.
    fn reused_by(&self, t: &TcpSummary<'_>, src_is_lo: bool) -> bool {
        if !t.flags.syn() || t.flags.ack() {
            return false;
        }
        let sender_side = if src_is_lo == self.client_is_lo { 0 } else { 1 };
        self.flow.sides[sender_side]
            .isn
            .is_some_and(|isn| isn != SeqNumber(t.seq))
    }

    /// Counts `p` in its direction and starts its description: in full with `full`, else only
    /// the conversation's number and the direction, which the later steps read.
    /// `src_is_lo`: its sender is the key's `lo` end.
    fn count(
        &mut self,
        p: &Packet<'_>,
        src_is_lo: bool,
        new_flow: bool,
        full: bool,
        info: &mut TrackInfo,
    ) {
        let flow = &mut self.flow;
        let dir = if src_is_lo == self.client_is_lo {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let me = dir.index();
        flow.last_ts = p.ts;
        flow.sides[me].segments += 1;
        flow.sides[me].bytes += p.payload_wire_len as u64;
        if !full {
            info.flow = self.index;
            info.dir = dir;
            return;
        }
        *info = TrackInfo {
            flow: self.index,
            dir,
            roles: flow.roles,
            rel_seq: 0,
            rel_ack: 0,
            new_flow,
            analysis: Analysis::default(),
            dup_ack_num: 0,
            state_change: [None; 2],
            states: [flow.sides[0].state, flow.sides[1].state],
            handshake_rtt_ns: None,
            window: 0,
            window_scaled: false,
            reply_after_ns: None,
            context: notes::Context::default(),
        };
    }

    /// Counts `p` and describes it in `info` (written in place: a view that reads only the
    /// summaries never copies the description): its direction, and for TCP its numbers, analysis and
    /// states; for UDP, whether it answers the datagram before it. For TCP, returns whether the
    /// connection is now closed (see [`Slot::closed`]).
    fn describe(
        &mut self,
        p: &Packet<'_>,
        src_is_lo: bool,
        new_flow: bool,
        reused: bool,
        full: bool,
        info: &mut TrackInfo,
    ) -> Option<bool> {
        self.count(p, src_is_lo, new_flow, full, info);
        match p.tcp() {
            // UDP request/response: a datagram the other way after one is a reply.
            None => {
                self.udp_reply(p, info);
                None
            }
            Some(t) => Some(self.tcp(p, t, reused, full, info)),
        }
    }

    /// A UDP datagram the other way after one is a reply: its delay and the pair count.
    fn udp_reply(&mut self, p: &Packet<'_>, info: &mut TrackInfo) {
        let dir = info.dir;
        if let Earlier::Datagram(d, at) = self.earlier
            && d != dir
        {
            info.reply_after_ns = Some(p.ts.nanos_since(at).max(0) as u64);
            self.flow.udp_pairs += 1;
            self.earlier = Earlier::Nothing;
        } else {
            self.earlier = Earlier::Datagram(dir, p.ts);
        }
    }

    /// A TCP segment: options and window, relative numbers, handshake RTT, analysis, states.
    fn tcp(
        &mut self,
        p: &Packet<'_>,
        t: &TcpSummary<'_>,
        reused: bool,
        full: bool,
        info: &mut TrackInfo,
    ) -> bool {
        // The options are walked once per segment; each step reads what it needs. Most
        // segments have none: their (empty) facts need no call, and are not built either.
        let walked;
        let opts = if t.options.is_empty() {
            &NO_OPTIONS
        } else {
            walked = t.option_facts();
            &walked
        };
        let window = self.options_and_window(t, opts, full, info);
        self.relative_numbers(t, full, info);
        self.handshake_rtt(p, t, full, info);
        let seg = Segment::of(p, t, window);
        self.analyze(&seg, reused, full, info);
        self.note_context(&seg, opts, full, info);
        self.step_states(p, t, full, info)
    }

    /// The facts behind the notes (see [`notes`]); on the ACK that completes the handshake,
    /// the handshake's duration and segments, and Karn's rule for its RTT (RFC 6298 §3).
    ///
    /// Without [`Limits::notes`], only the SYNs are followed, and `info.context` keeps the blank
    /// facts that [`Live::count`] wrote but for the handshake's.
    /// Without `full` (the description is not read), the handshake's facts go to the summary
    /// only.
    fn note_context(
        &mut self,
        seg: &Segment,
        opts: &OptionFacts,
        full: bool,
        info: &mut TrackInfo,
    ) {
        let me = info.dir.index();
        let peer = 1 - me;
        let tsval = opts.timestamp.map(|(val, _)| val);
        let tsecr = opts.timestamp.map(|(_, ecr)| ecr);
        let a = info.analysis;
        match &mut self.notes {
            Notes::Full(dirs) => {
                let seg = notes::Seg {
                    base: *seg,
                    tsval,
                    tsecr,
                    sack: opts.sack_blocks(),
                    retransmission: a.has(Analysis::RETRANSMISSION),
                    duplicate_ack: a.has(Analysis::DUPLICATE_ACK),
                    window_update: a.has(Analysis::WINDOW_UPDATE),
                };
                let [c, s] = &mut **dirs;
                let (fwd, rev) = if me == 0 { (c, s) } else { (s, c) };
                let peer_isn = self.flow.sides[peer].isn;
                info.context = notes::observe(fwd, rev, &seg, peer_isn);
            }
            Notes::Handshake(syns) if seg.syn => notes::observe_syn(&mut syns[me], seg.ts, tsval),
            Notes::Handshake(_) => {}
        }
        if a.has(Analysis::RETRANSMISSION) {
            let r = &mut self.flow.sides[me].retransmitted_bytes;
            *r = r.saturating_add(seg.len);
        }
        let completes = info.dir == Dir::ToServer
            && seg.has_ack
            && !seg.syn
            && !seg.rst
            && self.flow.handshake.is_none()
            && notes::syns(self.notes.syns(1)) > 0;
        if completes && let Some(first) = notes::first_syn(self.notes.syns(0)) {
            let (client, server) = (self.notes.syns(0), self.notes.syns(1));
            let retransmitted = notes::syns(client) > 1 || notes::syns(server) > 1;
            let hs = notes::Handshake {
                duration_ns: seg.ts.nanos_since(first).max(0) as u64,
                segments: (self.flow.sides[0].segments + self.flow.sides[1].segments) as u32,
                retransmitted,
            };
            self.flow.handshake = Some(hs);
            if full {
                info.context.handshake = Some(hs);
                info.context.echo = notes::echo(server, tsecr);
            }
            if retransmitted {
                // Karn's rule (RFC 6298 §3): no RTT sample from a retransmitted segment.
                self.flow.handshake_rtt_ns = None;
                info.handshake_rtt_ns = None;
            }
        }
    }

    /// Handshake options (RFC 9293 §3.7.1, RFC 7323, RFC 2018), the latest TSval, and the
    /// window scaled once the SYN-ACK has decided the scaling. Returns the window.
    fn options_and_window(
        &mut self,
        t: &TcpSummary<'_>,
        opts: &OptionFacts,
        full: bool,
        info: &mut TrackInfo,
    ) -> u32 {
        let me = info.dir.index();
        let (syn, ack_flag) = (t.flags.syn(), t.flags.ack());
        let flow = &mut self.flow;
        if syn {
            let s = &mut flow.sides[me];
            if opts.mss.is_some() {
                s.mss = opts.mss;
            }
            if opts.wscale.is_some() {
                s.wscale = opts.wscale;
            }
            s.sack_ok |= opts.sack_permitted;
            s.timestamps |= opts.timestamp.is_some();
            if ack_flag {
                // The SYN-ACK decides scaling for both directions.
                let known = flow.sides[0].wscale.is_some() && flow.sides[1].wscale.is_some();
                for d in [Dir::ToServer, Dir::ToClient] {
                    let a = &mut self.dirs[d.index()];
                    a.scale_known = true;
                    a.shift = if known {
                        flow.window_shift(d).unwrap_or(0)
                    } else {
                        0
                    };
                }
            }
        }
        if let Some((val, _)) = opts.timestamp {
            flow.sides[me].last_tsval = Some(val);
        }
        let shift = if syn { 0 } else { self.dirs[me].shift };
        let window = (t.window as u32) << shift;
        flow.sides[me].window = window;
        if full {
            info.window = window;
            info.window_scaled = self.dirs[me].scale_known;
        }
        window
    }

    /// Relative numbers. Without a SYN, the first byte seen is numbered 1, as Wireshark does.
    /// Without `full`, only the ISNs are followed (the numbers are not described).
    fn relative_numbers(&mut self, t: &TcpSummary<'_>, full: bool, info: &mut TrackInfo) {
        let me = info.dir.index();
        let peer = 1 - me;
        let (syn, ack_flag) = (t.flags.syn(), t.flags.ack());
        let seq = SeqNumber(t.seq);
        let flow = &mut self.flow;
        if flow.sides[me].isn.is_none() {
            // RFC 9293 §3.10.7.1: a RST from CLOSED answering a SYN has SEQ 0 and no ISN
            // behind it, so its number is shown as it is: 0.
            let from_closed = t.flags.rst() && t.seq == 0 && flow.sides[peer].isn_from_syn;
            flow.sides[me].isn = Some(if syn || from_closed { seq } else { seq - 1 });
            flow.sides[me].isn_from_syn = syn;
        }
        let ack = SeqNumber(t.ack);
        if ack_flag {
            let peer_base = *flow.sides[peer].isn.get_or_insert(ack - 1);
            if full {
                info.rel_ack = ack - peer_base;
            }
        }
        if full {
            info.rel_seq = seq - flow.sides[me].isn.unwrap_or(seq);
        }
    }

    /// Handshake RTT, as Wireshark's iRTT: from the latest SYN to the first plain ACK.
    fn handshake_rtt(
        &mut self,
        p: &Packet<'_>,
        t: &TcpSummary<'_>,
        full: bool,
        info: &mut TrackInfo,
    ) {
        let (syn, ack_flag, rst) = (t.flags.syn(), t.flags.ack(), t.flags.rst());
        if syn && !ack_flag && self.earlier.rtt_ns().is_none() {
            self.earlier = Earlier::Syn(p.ts);
        }
        if ack_flag
            && !syn
            && let Earlier::Syn(at) = self.earlier
        {
            let rtt = p.ts.nanos_since(at).max(0) as u64;
            self.earlier = Earlier::Timed(rtt);
            // A RST answering the SYN completes no handshake, though Wireshark times it too.
            if !rst {
                self.flow.handshake_rtt_ns = Some(rtt);
                if full {
                    info.handshake_rtt_ns = Some(rtt);
                }
            }
        }
    }

    /// The analysis of the segment in its direction (retransmissions, duplicate ACKs, window
    /// events ...), counted per conversation.
    /// Without `full`, only the events are described (the notes' step reads them).
    fn analyze(&mut self, seg: &Segment, reused: bool, full: bool, info: &mut TrackInfo) {
        let (fwd, rev) = if info.dir.index() == 0 {
            let [a, b] = &mut self.dirs;
            (a, b)
        } else {
            let [b, a] = &mut self.dirs;
            (a, b)
        };
        let (mut a, dup) = analysis::analyze(fwd, rev, seg, self.earlier.rtt_ns());
        if reused {
            a.insert(Analysis::REUSED_PORTS);
        }
        info.analysis = a;
        if full {
            info.dup_ack_num = dup;
        }
        if a.is_empty() {
            return;
        }
        for (i, (bit, _, _)) in Analysis::TABLE.iter().enumerate() {
            if a.has(*bit) {
                self.flow.analysis_counts[i] += 1;
            }
        }
    }

    /// States (RFC 9293 figure 5): both endpoints' transitions, the conversation's outcome
    /// (established, refused, simultaneous open or close, who closed first). Returns whether
    /// the connection is closed.
    /// Without `full`, the state changes are not described (the summary has the states).
    fn step_states(
        &mut self,
        p: &Packet<'_>,
        t: &TcpSummary<'_>,
        full: bool,
        info: &mut TrackInfo,
    ) -> bool {
        let dir = info.dir;
        let me = dir.index();
        let peer = 1 - me;
        let (syn, ack_flag, fin, rst) =
            (t.flags.syn(), t.flags.ack(), t.flags.fin(), t.flags.rst());
        let ack = SeqNumber(t.ack);
        let flow = &mut self.flow;
        let acks = |of: SeqNumber| ack_flag && ack > of;
        let acks_syn = match flow.sides[peer].isn {
            Some(isn) if flow.sides[peer].isn_from_syn => acks(isn),
            _ => ack_flag,
        };
        let acks_fin = flow.sides[peer].fin_seq.is_some_and(acks);
        let before = [flow.sides[me].state, flow.sides[peer].state];
        let tr = state::step(
            before[0],
            before[1],
            state::Ctl {
                syn,
                ack: ack_flag,
                fin,
                rst,
                acks_syn,
                acks_fin,
            },
        );
        let who = [dir.sender(), other(dir.sender())];
        for (k, new) in [tr.sender, tr.receiver].into_iter().enumerate() {
            if let Some(to) = new {
                let side = if k == 0 { me } else { peer };
                flow.sides[side].state = to;
                if !full {
                    continue;
                }
                info.state_change[k] = Some(StateChange {
                    endpoint: who[k],
                    from: before[k],
                    to,
                });
            }
        }
        if flow.sides[0].state == TcpState::Established
            || flow.sides[1].state == TcpState::Established
        {
            flow.established = true;
        }
        flow.simultaneous_open |= tr.simultaneous_open;
        flow.simultaneous_close |= tr.simultaneous_close;
        if fin && flow.sides[me].fin_seq.is_none() {
            flow.sides[me].fin_seq = Some(SeqNumber(t.seq) + p.payload_wire_len);
            flow.first_fin.get_or_insert(dir.sender());
        }
        if rst {
            flow.sides[me].sent_rst = true;
            // Refused: the answer to a SYN is a RST, before any SYN-ACK.
            if before[1] == TcpState::SynSent && !flow.established && flow.first_rst.is_none() {
                flow.refused = true;
            }
            flow.first_rst.get_or_insert(dir.sender());
        }
        if full {
            info.states = [flow.sides[0].state, flow.sides[1].state];
        }
        flow.sides.iter().all(|s| s.state.is_closed()) || rst
    }
}

/// The facts of a segment whose options are not read: referred to, not built per segment.
static NO_OPTIONS: OptionFacts = OptionFacts {
    mss: None,
    wscale: None,
    sack_permitted: false,
    timestamp: None,
    sack: [(0, 0); 4],
    sack_count: 0,
};

/// Packets between sweeps of finished conversations.
const SWEEP_EVERY: u64 = 4096;

/// Follows every TCP and UDP conversation seen.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Hashed with foldhash: SipHash cost a tenth of the replay time; the seed is still random
    /// per process, so a crafted capture cannot aim at collisions. Each conversation's state is
    /// boxed (one allocation per conversation, none per packet), so that the table itself
    /// stays small: growing it moves 48-byte entries, sweeps scan a compact array.
    index: Index,
    flows: Vec<Flow>,
    /// Index of `flows[0]`: summaries before it were dropped.
    base: u32,
    next_index: u32,
    limits: Limits,
    observed: u64,
    evicted: u64,
    /// With [`Limits::records`]: one record per conversation, by index.
    records: Vec<FlowRecord>,
    /// Analysis counts of the records that have any.
    events: Vec<EventCounts>,
    /// With [`Limits::pinned`]: that conversation's summary, once seen.
    pinned: Option<Flow>,
    /// With [`Limits::pinned`]: the other live conversations, kept only for numbering.
    shadows: HashMap<Key, Shadow, foldhash::fast::RandomState>,
    /// The description of the last packet observed (see [`Tracker::observe_brief`]).
    info: TrackInfo,
    /// A live conversation's box, reused to expand shadows.
    spare: Option<Box<Live>>,
    /// No conversation can expire before this time (nanoseconds since the epoch), so sweeps
    /// before it would remove nothing and are skipped: a lower bound of every live
    /// conversation's deadline, kept by the last sweep and by each packet since.
    quiet_until: Option<i128>,
    /// The earliest packet since `quiet_until` was last brought up to date: the packets'
    /// deadlines are folded into it at the next sweep (a comparison per packet, not a sum).
    earliest: Option<Timestamp>,
    /// The live conversations' last packets, gathered by [`Tracker::evict_lru`]: kept between
    /// evictions (at most [`Limits::live`] of them) rather than allocated for each.
    ages: Vec<Timestamp>,
    /// The latest packet's time, and whether any packet came earlier than one before it: until
    /// then the table's order of last packets is the order of their times, and the least
    /// recently seen are simply the first in it (see [`Tracker::evict_lru`]).
    latest: Option<Timestamp>,
    disordered: bool,
    /// Boxes of conversations no longer followed, reused for new ones rather than freed and
    /// allocated again: at most a tenth of [`Limits::live`] (an eviction's worth). Boxes, not
    /// values: a slot owns its conversation by a box, which moves here and back as it is.
    #[allow(clippy::vec_box)]
    spares: Vec<Box<Live>>,
}

fn epoch_ns(t: Timestamp) -> i128 {
    t.nanos_since(Timestamp::default())
}

/// Writes the record of a conversation the tracker stops following.
fn retire(records: &mut [FlowRecord], events: &mut Vec<EventCounts>, live: &Live) {
    let Some(r) = records.get_mut(live.index as usize) else {
        return;
    };
    let f = &live.flow;
    let at = f.analysis_counts.iter().any(|&n| n > 0).then(|| {
        events.push(EventCounts::of(f));
        (events.len() - 1) as u32
    });
    *r = FlowRecord::of(f, at, false);
}

/// Where the conversations the tracker stops following go: their records are written, and
/// their boxes kept for new ones while fewer than a tenth of `limits.live` are kept.
struct Retired<'a> {
    records: &'a mut [FlowRecord],
    events: &'a mut Vec<EventCounts>,
    #[allow(clippy::vec_box)]
    spares: &'a mut Vec<Box<Live>>,
    limits: &'a Limits,
}

impl Retired<'_> {
    fn take(&mut self, s: Slot) {
        retire(self.records, self.events, &s.live);
        if self.spares.len() < (self.limits.live / 10).max(1) {
            self.spares.push(s.live);
        }
    }
}

impl Tracker {
    pub fn new() -> Self {
        Tracker::default()
    }

    pub fn with_limits(limits: Limits) -> Self {
        Tracker {
            limits,
            ..Tracker::default()
        }
    }

    /// Summaries of the conversations still kept, in order of first appearance.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    pub fn flow(&self, i: u32) -> Option<&Flow> {
        if let Some(f) = &self.pinned
            && f.index == i
        {
            return Some(f);
        }
        self.flows.get(i.checked_sub(self.base)? as usize)
    }

    /// Conversations seen, kept or not.
    pub fn conversations(&self) -> u32 {
        self.next_index
    }

    /// Every conversation's summary in order of first appearance: from the records with
    /// [`Limits::records`] (all of them; see [`FlowRecord`] for what a finished one keeps),
    /// else the summaries still kept.
    pub fn summaries(&self) -> impl Iterator<Item = Cow<'_, Flow>> {
        let kept = (!self.limits.records).then(|| self.flows.iter().map(Cow::Borrowed));
        let recorded = self
            .limits
            .records
            .then(|| (self.records.iter().zip(0u32..)).map(|(r, i)| self.recorded(r, i)));
        kept.into_iter()
            .flatten()
            .chain(recorded.into_iter().flatten())
    }

    /// [`Tracker::summaries`] lent to `f` one at a time, in the same order, until `f` fails:
    /// for a long table, cheaper than moving each summary through the iterator's stages.
    pub fn try_for_each_summary<E>(
        &self,
        mut f: impl FnMut(&Flow) -> Result<(), E>,
    ) -> Result<(), E> {
        if !self.limits.records {
            return self.flows.iter().try_for_each(f);
        }
        for (r, i) in self.records.iter().zip(0u32..) {
            f(&self.recorded(r, i))?;
        }
        Ok(())
    }

    /// The summary of conversation `i` from its record `r`: the live state while followed.
    fn recorded(&self, r: &FlowRecord, i: u32) -> Cow<'_, Flow> {
        if r.is_live()
            && let Some(s) = self.index.get(&Key::of_flow(&r.key()))
            && s.live.index == i
        {
            return Cow::Borrowed(&s.live.flow);
        }
        Cow::Owned(r.expand(i, &self.events))
    }

    /// Summaries dropped to bound memory (the oldest conversations).
    pub fn dropped_summaries(&self) -> u32 {
        self.base
    }

    /// Conversations whose analysis state is currently held.
    pub fn live_flows(&self) -> usize {
        self.index.len() + self.shadows.len()
    }

    /// Conversations whose analysis state was dropped (closed, idle or beyond the cap).
    pub fn evicted_flows(&self) -> u64 {
        self.evicted
    }

    /// Updates the conversation of `p` and describes `p` within it. `None` for packets that
    /// are not TCP or UDP over IP.
    pub fn observe(&mut self, p: &Packet<'_>) -> Option<TrackInfo> {
        self.track(p, true)?;
        Some(self.info)
    }

    /// [`Tracker::observe`] for views that read only the summaries: updates the conversation of
    /// `p` and returns its number and whether `p` started it. The summaries are the same; the
    /// description of `p` is neither copied out nor written in full (see [`Tracker::track`]).
    pub fn observe_brief(&mut self, p: &Packet<'_>) -> Option<(u32, bool)> {
        self.track(p, false)
    }

    /// Updates the conversation of `p`: [`Tracker::observe`] with `full`, else
    /// [`Tracker::observe_brief`], which leaves in `self.info` only what tracking itself reads
    /// (the conversation's number and the packet's direction), the rest stale. One body for
    /// both, the steps inlined into it (`full` is tested where it matters).
    #[inline(never)]
    fn track(&mut self, p: &Packet<'_>, full: bool) -> Option<(u32, bool)> {
        let (sp, dp, protocol) = match &p.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, proto::TCP),
            Transport::Udp(u) => (u.src_port, u.dst_port, proto::UDP),
            _ => return None,
        };
        // IPv4 (the usual case) is keyed straight from the header's addresses.
        let (key, src_is_lo) = match &p.net {
            Net::Ipv4(h) => Key::v4(protocol, (h.src, sp), (h.dst, dp)),
            _ => Key::of(protocol, (p.src_ip()?, sp), (p.dst_ip()?, dp)),
        };
        self.observed += 1;
        let in_order = self.latest.is_none_or(|l| p.ts >= l);
        if in_order {
            self.latest = Some(p.ts);
        } else {
            self.disordered = true;
        }
        if self.observed.is_multiple_of(SWEEP_EVERY) {
            self.sweep(p.ts);
        }
        // This packet's conversation expires at the earliest a linger after it. A packet in
        // order is no earlier than any before it (`latest` is their maximum), so it only
        // starts `earliest` after a sweep has taken it.
        if self.earliest.is_none_or(|e| !in_order && p.ts < e) {
            self.earliest = Some(p.ts);
        }
        self.wake(&key);
        let tcp = p.tcp();
        // One look-up for a conversation already followed (the usual case), which also tells
        // whether a SYN reuses its ports: then the old conversation is forgotten.
        let found = self.index.get_seen(&key);
        let reused = match (&found, tcp) {
            (Some(s), Some(t)) => s.live.reused_by(t, src_is_lo),
            _ => false,
        };
        let (slot, new_flow) = match found {
            Some(slot) if !reused => (slot, false),
            _ => {
                if reused && let Some(old) = self.index.remove(&key) {
                    self.parts().1.take(old);
                }
                let slot = self.start_flow(key, src_is_lo, p);
                (self.index.insert(key, slot), true)
            }
        };
        let closed = (slot.live).describe(p, src_is_lo, new_flow, reused, full, &mut self.info);
        slot.seen(p.ts, closed);
        let flow = self.info.flow;
        if self.flows.is_empty() && self.limits.pinned.is_none() {
            // No summary to refresh, none pinned, none shadowed (a table of records).
            return Some((flow, new_flow));
        }
        if self.limits.shadowed(flow) {
            // Neither a kept summary nor the pinned one: the conversation is only numbered.
            self.sleep(&key);
            return Some((flow, new_flow));
        }
        let live = &slot.live;
        // Refresh the summary, if it is still kept.
        if let Some(i) = flow.checked_sub(self.base)
            && let Some(summary) = self.flows.get_mut(i as usize)
        {
            summary.clone_from(&live.flow);
        }
        if self.limits.pinned == Some(flow) {
            match &mut self.pinned {
                Some(f) => f.clone_from(&live.flow),
                None => self.pinned = Some(live.flow.clone()),
            }
        }
        Some((flow, new_flow))
    }

    /// The live conversations, and where those the tracker stops following go.
    fn parts(&mut self) -> (&mut Index, Retired<'_>) {
        let gone = Retired {
            records: &mut self.records,
            events: &mut self.events,
            spares: &mut self.spares,
            limits: &self.limits,
        };
        (&mut self.index, gone)
    }

    /// Moves the shadow of `key`, if any, to the live table, expanded.
    fn wake(&mut self, key: &Key) {
        // Most trackers keep no shadows: no need to hash the key then.
        if self.shadows.is_empty() {
            return;
        }
        if let Some(s) = self.shadows.remove(key) {
            let slot = s.expand(&key.flow_key(), self.spare.take());
            self.index.insert(*key, slot);
        }
    }

    /// Folds the live conversation of `key` into a shadow.
    fn sleep(&mut self, key: &Key) {
        if let Some(slot) = self.index.remove(key) {
            let (s, spare) = Shadow::fold(slot, &key.flow_key());
            self.spare = Some(spare);
            self.shadows.insert(*key, s);
        }
    }

    /// Starts following the conversation `key` that `p` opens; returns its live state, for the
    /// caller to insert.
    fn start_flow(&mut self, key: Key, src_is_lo: bool, p: &Packet<'_>) -> Slot {
        let flow_key = key.flow_key();
        let (src, dst) = if src_is_lo {
            (flow_key.lo, flow_key.hi)
        } else {
            (flow_key.hi, flow_key.lo)
        };
        let i = self.next_index;
        self.next_index += 1;
        let tcp = p.tcp();
        let (client, server, roles) = match tcp {
            Some(t) if t.flags.syn() && !t.flags.ack() => (src, dst, RoleBasis::Syn),
            Some(t) if t.flags.syn() => (dst, src, RoleBasis::SynAck),
            _ => guess_roles(src, dst, tcp.is_some()),
        };
        // A spare box is reset where it is (no new value built and copied in); its summary
        // is then filled in place.
        let client_is_lo = client == flow_key.lo;
        let mut live = match self.spares.pop() {
            Some(mut b) => {
                b.reset(i, client_is_lo, self.limits.notes);
                b.flow.reset(i, flow_key, client, server);
                b
            }
            None => Box::new(Live {
                index: i,
                client_is_lo,
                flow: scratch_flow(i, flow_key, client, server),
                dirs: [DirAnalysis::default(); 2],
                notes: Notes::new(self.limits.notes),
                earlier: Earlier::Nothing,
            }),
        };
        let f = &mut live.flow;
        f.roles = roles;
        f.first_ts = p.ts;
        f.last_ts = p.ts;
        if tcp.is_some() {
            let (c, s) = match roles {
                RoleBasis::Syn => (TcpState::Closed, TcpState::Listen),
                RoleBasis::SynAck => (TcpState::SynSent, TcpState::Listen),
                _ => (TcpState::Established, TcpState::Established),
            };
            f.sides[0].state = c;
            f.sides[1].state = s;
            f.established = roles.guessed();
        }
        if self.limits.records {
            self.records.push(FlowRecord::live(f));
        }
        if self.limits.summaries > 0 {
            self.flows.push(f.clone());
        }
        if self.flows.len() > self.limits.summaries {
            // Drop the oldest half at once so the cost is amortised.
            let n = self.flows.len() / 2;
            self.flows.drain(..n);
            self.base += n as u32;
        }
        if self.live_flows() >= self.limits.live.max(1) {
            self.evict_lru();
        }
        Slot {
            last_seen: p.ts,
            closed: false,
            live,
        }
    }

    /// Forgets closed conversations after a while, and any after a long silence.
    fn sweep(&mut self, now: Timestamp) {
        let lim = self.limits;
        let now_ns = epoch_ns(now);
        let linger = lim.closed_linger_ns.min(lim.idle_ns) as i128;
        if let Some(e) = self.earliest.take() {
            let soonest = epoch_ns(e) + linger;
            self.quiet_until = Some(self.quiet_until.map_or(soonest, |q| q.min(soonest)));
        }
        if self.quiet_until.is_some_and(|q| now_ns < q) {
            return;
        }
        let mut quiet = now_ns + linger;
        let before = self.live_flows();
        let mut keep = |last_seen: Timestamp, closed: bool| {
            let idle = now.nanos_since(last_seen).max(0) as u64;
            let keep = !(idle >= lim.idle_ns || (closed && idle >= lim.closed_linger_ns));
            if keep {
                let wait = if closed { linger } else { lim.idle_ns as i128 };
                quiet = quiet.min(epoch_ns(last_seen) + wait);
            }
            keep
        };
        let (index, mut gone) = self.parts();
        index.retain(|s| keep(s.last_seen, s.closed), |s| gone.take(s));
        self.shadows.retain(|_, s| keep(s.last_seen, s.closed));
        self.quiet_until = Some(quiet);
        self.evicted += (before - self.live_flows()) as u64;
    }

    /// Drops the least recently seen tenth of the live conversations: the first in the table's
    /// order of last packets while that is the order of their times (packets in time order,
    /// and no shadows, which are kept apart); else by their times, gathered and partitioned.
    fn evict_lru(&mut self) {
        let n = (self.live_flows() / 10).max(1);
        if !self.disordered && self.shadows.is_empty() {
            let (index, mut gone) = self.parts();
            index.oldest(n, |s| gone.take(s));
            self.evicted += n as u64;
            return;
        }
        let seen = &mut self.ages;
        seen.clear();
        seen.extend(self.index.values().map(|s| s.last_seen));
        seen.extend(self.shadows.values().map(|s| s.last_seen));
        let (_, cut, _) = seen.select_nth_unstable(n - 1);
        let cut = *cut;
        let before = self.live_flows();
        let mut budget = n;
        let mut evict = |last_seen: Timestamp| {
            let out = budget > 0 && last_seen <= cut;
            budget -= usize::from(out);
            out
        };
        let (index, mut gone) = self.parts();
        index.retain(|s| !evict(s.last_seen), |s| gone.take(s));
        self.shadows.retain(|_, s| !evict(s.last_seen));
        self.evicted += (before - self.live_flows()) as u64;
    }

    /// With [`Limits::records`], at the end of the input: writes the record of every
    /// conversation still followed and stops following them, so that a table printed from
    /// the records reads each from its record in turn rather than looking its live state up
    /// (twice per row, at random places in memory). The table is the same either way (the
    /// tests compare them); summaries of those conversations afterwards have only what a record
    /// keeps. Without records, does nothing.
    pub fn retire_live(&mut self) {
        if !self.limits.records {
            return;
        }
        let (index, mut gone) = self.parts();
        index.drain(|s| gone.take(s));
    }

    /// What the conversations table prints of each conversation ([`record::Brief`]), lent one
    /// at a time in the order of [`Tracker::summaries`] until `f` fails: read from the records
    /// as they are (no summary rebuilt), the live state looked up only while some remains.
    pub fn try_for_each_brief<E>(
        &self,
        f: impl FnMut(&record::Brief<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.try_for_each_brief_in(0..self.brief_rows(), f)
    }

    /// How many conversations [`Tracker::try_for_each_brief`] goes through.
    pub fn brief_rows(&self) -> usize {
        match self.limits.records {
            true => self.records.len(),
            false => self.flows.len(),
        }
    }

    /// [`Tracker::try_for_each_brief`] over the conversations at `rows` of its order only (a
    /// part of a table written by several threads).
    pub fn try_for_each_brief_in<E>(
        &self,
        rows: std::ops::Range<usize>,
        mut f: impl FnMut(&record::Brief<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if !self.limits.records {
            return (self.flows[rows].iter()).try_for_each(|s| f(&record::Brief::of(s)));
        }
        let live = !self.index.is_empty();
        let first = rows.start as u32;
        for (r, i) in self.records[rows].iter().zip(first..) {
            if live && r.is_live() {
                f(&record::Brief::of(&self.recorded(r, i)))?;
            } else {
                f(&r.brief(i, &self.events))?;
            }
        }
        Ok(())
    }
}

fn other(e: Endpoint) -> Endpoint {
    match e {
        Endpoint::Client => Endpoint::Server,
        Endpoint::Server => Endpoint::Client,
    }
}

impl Flow {
    /// This summary made blank for conversation `index`, as [`scratch_flow`] builds one, field
    /// by field where it is (no value built apart and copied in).
    fn reset(&mut self, index: u32, key: FlowKey, client: (IpAddr, u16), server: (IpAddr, u16)) {
        self.index = index;
        self.key = key;
        self.client = client;
        self.server = server;
        self.roles = RoleBasis::FirstPacket;
        self.sides = [Side::default(); 2];
        self.first_ts = Timestamp::default();
        self.last_ts = Timestamp::default();
        self.handshake_rtt_ns = None;
        self.handshake = None;
        self.established = false;
        self.simultaneous_open = false;
        self.simultaneous_close = false;
        self.refused = false;
        self.first_fin = None;
        self.first_rst = None;
        self.analysis_counts = [0; Analysis::TABLE.len()];
        self.udp_pairs = 0;
    }
}

fn scratch_flow(index: u32, key: FlowKey, client: (IpAddr, u16), server: (IpAddr, u16)) -> Flow {
    Flow {
        index,
        key,
        client,
        server,
        roles: RoleBasis::FirstPacket,
        sides: [Side::default(); 2],
        first_ts: Timestamp::default(),
        last_ts: Timestamp::default(),
        handshake_rtt_ns: None,
        handshake: None,
        established: false,
        simultaneous_open: false,
        simultaneous_close: false,
        refused: false,
        first_fin: None,
        first_rst: None,
        analysis_counts: [0; Analysis::TABLE.len()],
        udp_pairs: 0,
    }
}

/// Ephemeral ports as Linux and IANA (RFC 6335 §6) allocate them.
const EPHEMERAL: std::ops::RangeInclusive<u16> = 32768..=65535;

/// Roles without a handshake: the server is the end whose port looks like a service's.
fn guess_roles(
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    tcp: bool,
) -> ((IpAddr, u16), (IpAddr, u16), RoleBasis) {
    let proto = if tcp { Proto::Tcp } else { Proto::Udp };
    let service = |p: u16| services::name(p, proto).is_some();
    let tests: [fn(u16) -> bool; 2] = [|p| p < 1024, |p| !EPHEMERAL.contains(&p)];
    let rules = [service(src.1), service(dst.1)];
    let verdict = |a: bool, b: bool| match (a, b) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    let src_is_server = verdict(rules[0], rules[1])
        .or_else(|| tests.iter().find_map(|t| verdict(t(src.1), t(dst.1))));
    match src_is_server {
        Some(true) => (dst, src, RoleBasis::Port),
        Some(false) => (src, dst, RoleBasis::Port),
        None => (src, dst, RoleBasis::FirstPacket),
    }
}

#[cfg(test)]
pub(crate) mod tests;
