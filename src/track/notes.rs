//! The facts behind the teaching notes, derived per segment from what the conversation shows:
//! which SYN-ACK a handshake ACK echoes (RFC 7323 §3), whether the handshake was retransmitted
//! (Karn's rule, RFC 6298 §3), why a segment was resent (retransmission timer, RFC 6298 §5;
//! fast retransmit, RFC 5681 §3.2; SACK-based loss recovery, RFC 6675), what a duplicate ACK
//! answers and what its SACK blocks report (RFC 2018, RFC 2883), and a RST sent from CLOSED
//! (RFC 9293 §3.10.7.1). The analysis flags stay Wireshark's (see `analysis`); these are the
//! reasons the sentences give.

use std::collections::VecDeque;

use crate::source::Timestamp;

use super::SeqNumber;

/// RFC 6298 §2.1: the RTO before any RTT sample (Linux `TCP_TIMEOUT_INIT`, 1 s).
pub const INITIAL_RTO_NS: u64 = 1_000_000_000;
/// Linux's lower bound on the RTO (`TCP_RTO_MIN`, 200 ms); RFC 6298 §2.4 suggests 1 s.
pub const MIN_RTO_NS: u64 = 200_000_000;

/// Why a segment was sent again, as far as the capture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    /// At least the RTO after the original: the retransmission timer fired (RFC 6298 §5.4).
    Timer { gap_ns: u64, rto_ns: u64 },
    /// A SYN-ACK sent again because the client repeated its SYN (Linux `tcp_check_req`).
    AnswersSyn,
    /// After three or more duplicate ACKs for its first byte (RFC 5681 §3.2).
    Fast { dups: u32, gap_ns: Option<u64> },
    /// Sooner than the RTO, with SACK blocks showing data past the hole (RFC 6675 §5).
    Sack { dups: u32, gap_ns: Option<u64> },
    /// Sooner than the RTO, without three duplicate ACKs or SACK blocks seen; `tail`: it is
    /// the last segment sent, as a tail loss probe resends (RFC 8985 §7).
    Early {
        gap_ns: Option<u64>,
        rto_ns: u64,
        tail: bool,
    },
}

/// What a duplicate ACK answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DupAck {
    /// The peer's last segment was a SYN-ACK (or SYN) again: an unacceptable segment in a
    /// synchronized state is answered by an ACK (RFC 9293 §3.10.7.4).
    AnswersSyn,
    /// It carries SACK blocks: the receiver holds data past a hole (RFC 2018 §4).
    Sack,
    /// Neither: a segment arrived that did not move the ack (RFC 5681 §2).
    Plain,
}

/// Which SYN-ACK the client's handshake ACK answers, when the server sent more than one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// The n-th SYN-ACK (from 1) of `of`, identified by the ACK's TSecr (RFC 7323 §3).
    Nth { n: u8, of: u8 },
    /// No timestamps, or no SYN-ACK's TSval matches: the capture cannot tell.
    Ambiguous { of: u8 },
}

/// The handshake as it happened: from the first SYN to the ACK that completed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake {
    pub duration_ns: u64,
    /// Segments of the conversation up to and including the completing ACK.
    pub segments: u32,
    /// A SYN or SYN-ACK was sent more than once: no RTT sample (Karn's rule, RFC 6298 §3).
    pub retransmitted: bool,
}

/// The facts of one segment that the notes use. Edges are relative to the ISN they number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub resend: Option<Resend>,
    pub dup_ack: Option<DupAck>,
    /// The first SACK block (the most recent, RFC 2018 §4), relative, and whether it reports
    /// bytes no earlier SACK block of this direction had reported.
    pub sack: Option<(u32, u32, bool)>,
    /// A D-SACK block: bytes that arrived twice (RFC 2883 §4).
    pub dsack: Option<(u32, u32)>,
    /// On the client's ACK that completes the handshake, when several SYN-ACKs were sent.
    pub echo: Option<Echo>,
    /// On the ACK that completes the handshake.
    pub handshake: Option<Handshake>,
    /// A RST answering a SYN from CLOSED: SEQ 0, ACK the SYN's seq + 1 (RFC 9293 §3.10.7.1).
    pub rst_from_closed: bool,
    /// The peer's last advertised window was 0 (for probes and window updates).
    pub peer_window_zero: bool,
    /// This window update reopens a window that was 0.
    pub reopens: bool,
}

#[derive(Clone, Copy, Debug)]
struct Sent {
    start: u32,
    end: u32,
    ts: Timestamp,
    resent: bool,
}

/// The TSvals of the SYNs one direction sent (the caller keeps at most 16): the first two
/// inline, so that a handshake, even with one retransmitted SYN, allocates nothing.
#[derive(Clone, Debug, Default)]
struct SynTsvals {
    head: [Option<u32>; 2],
    more: Vec<Option<u32>>,
    len: u8,
}

impl SynTsvals {
    fn len(&self) -> usize {
        usize::from(self.len)
    }
    fn push(&mut self, v: Option<u32>) {
        let n = self.len();
        match self.head.get_mut(n) {
            Some(slot) => *slot = v,
            None => self.more.push(v),
        }
        self.len += 1;
    }
    fn iter(&self) -> impl Iterator<Item = &Option<u32>> {
        self.head[..self.len().min(2)].iter().chain(&self.more)
    }
}

/// The SYNs (or SYN-ACKs) one direction sent: all that the handshake needs (see [`syns`],
/// [`first_syn`] and [`echo`]), kept without the rest of [`NoteDir`] by a tracker that
/// derives no other note.
#[derive(Clone, Debug, Default)]
pub struct Syns {
    /// When the first was sent.
    first: Option<Timestamp>,
    tsvals: SynTsvals,
}

/// What one direction remembers for the notes.
#[derive(Clone, Debug, Default)]
pub struct NoteDir {
    sent: VecDeque<Sent>,
    /// RFC 6298 §2: smoothed RTT and its variation, in ns, once sampled.
    srtt: Option<f64>,
    rttvar: f64,
    /// The last ack this direction sent and how many duplicate ACKs of it followed.
    last_ack: Option<u32>,
    dups: u32,
    /// The highest SACK right edge this direction reported (absolute).
    sack_right: Option<u32>,
    /// This direction's last segment was a SYN (with or without ACK).
    last_syn: bool,
    /// When and how often this direction sent its SYN (or SYN-ACK), and the TSvals.
    pub syn: Syns,
    /// When this direction last sent a SYN, and last sent one again.
    last_syn_ts: Option<Timestamp>,
    repeat_syn_ts: Option<Timestamp>,
    window: Option<u32>,
}

impl NoteDir {
    /// RFC 6298 §2: RTO = SRTT + max(G, 4·RTTVAR), at least Linux's 200 ms; 1 s before a
    /// sample.
    pub fn rto_ns(&self) -> u64 {
        match self.srtt {
            None => INITIAL_RTO_NS,
            Some(s) => ((s + 4.0 * self.rttvar) as u64).max(MIN_RTO_NS),
        }
    }

    /// RFC 6298 §2.2–§2.3, α = 1/8, β = 1/4.
    fn sample(&mut self, r: f64) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(s) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (s - r).abs();
                self.srtt = Some(0.875 * s + 0.125 * r);
            }
        }
    }

    fn original(&self, seq: u32) -> Option<&Sent> {
        self.sent
            .iter()
            .find(|s| SeqNumber(s.start) <= SeqNumber(seq) && SeqNumber(seq) < SeqNumber(s.end))
    }
}

/// The segment as the notes need it.
#[derive(Clone, Copy, Debug)]
pub struct Seg<'a> {
    /// The numbers and flags, as the analysis reads them.
    pub base: super::analysis::Segment,
    pub tsval: Option<u32>,
    pub tsecr: Option<u32>,
    pub sack: &'a [(u32, u32)],
    /// Wireshark's verdicts on it.
    pub retransmission: bool,
    pub duplicate_ack: bool,
    pub window_update: bool,
}

impl std::ops::Deref for Seg<'_> {
    type Target = super::analysis::Segment;
    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

const SENT_KEPT: usize = 1024;

/// Derives the context of a segment from `fwd` (its direction) and `rev`, then updates them.
/// `peer_isn` numbers the ack and SACK edges; `client` says whether the client sent it.
pub fn observe(
    fwd: &mut NoteDir,
    rev: &mut NoteDir,
    s: &Seg<'_>,
    peer_isn: Option<SeqNumber>,
) -> Context {
    let mut c = Context {
        peer_window_zero: rev.window == Some(0),
        ..Context::default()
    };
    let rel = |x: u32| peer_isn.map_or(x, |b| SeqNumber(x) - b);
    // SACK blocks above the ack report data past a hole (RFC 2018 §4); a first block below
    // the ack, or inside the second, is a D-SACK (RFC 2883 §4).
    if let Some(&(l, r)) = s.sack.first() {
        let below_ack = s.has_ack && SeqNumber(r) <= SeqNumber(s.ack);
        let inside_next = s.sack.get(1).is_some_and(|&(l2, r2)| {
            SeqNumber(l2) <= SeqNumber(l) && SeqNumber(r) <= SeqNumber(r2)
        });
        if below_ack || inside_next {
            c.dsack = Some((rel(l), rel(r)));
        }
        let above: Vec<(u32, u32)> = s
            .sack
            .iter()
            .copied()
            .filter(|&(_, r)| !s.has_ack || SeqNumber(r) > SeqNumber(s.ack))
            .collect();
        if let Some(&(l, r)) = above.first().filter(|_| c.dsack.is_none()) {
            let right = above
                .iter()
                .map(|b| b.1)
                .fold(r, |m, x| if SeqNumber(x) > SeqNumber(m) { x } else { m });
            let new = fwd
                .sack_right
                .is_none_or(|m| SeqNumber(right) > SeqNumber(m));
            if new {
                fwd.sack_right = Some(right);
            }
            c.sack = Some((rel(l), rel(r), new));
        }
    }
    if s.duplicate_ack {
        c.dup_ack = Some(if rev.last_syn {
            DupAck::AnswersSyn
        } else if c.sack.is_some() {
            DupAck::Sack
        } else {
            DupAck::Plain
        });
    }
    if s.window_update && fwd.window == Some(0) {
        c.reopens = true;
    }
    if s.retransmission {
        c.resend = Some(resend(fwd, rev, s));
    }
    // RFC 9293 §3.10.7.1: from CLOSED, a SYN (ACK bit off) is answered <SEQ=0><ACK=SEG.SEQ+1>.
    c.rst_from_closed = s.rst && s.seq == 0 && rev.syn.first.is_some() && fwd.syn.first.is_none();
    update(fwd, rev, s);
    c
}

/// Why `s` was sent again (RFC 6298 §5, RFC 5681 §3.2, RFC 6675 §5).
fn resend(fwd: &NoteDir, rev: &NoteDir, s: &Seg<'_>) -> Resend {
    let rto_ns = fwd.rto_ns();
    if s.syn {
        // The client repeated its SYN after this end's last SYN-ACK.
        if s.has_ack
            && rev
                .repeat_syn_ts
                .is_some_and(|r| fwd.last_syn_ts.is_none_or(|l| r > l))
        {
            return Resend::AnswersSyn;
        }
        let gap_ns = fwd
            .syn
            .first
            .map_or(0, |t| s.ts.nanos_since(t).max(0) as u64);
        return if gap_ns >= INITIAL_RTO_NS {
            Resend::Timer {
                gap_ns,
                rto_ns: INITIAL_RTO_NS,
            }
        } else {
            Resend::Early {
                gap_ns: Some(gap_ns),
                rto_ns: INITIAL_RTO_NS,
                tail: false,
            }
        };
    }
    let gap_ns = fwd
        .original(s.seq)
        .map(|o| s.ts.nanos_since(o.ts).max(0) as u64);
    let dups = if rev.last_ack == Some(s.seq) {
        rev.dups
    } else {
        0
    };
    if dups >= 3 {
        return Resend::Fast { dups, gap_ns };
    }
    if let Some(g) = gap_ns
        && g >= rto_ns
    {
        return Resend::Timer { gap_ns: g, rto_ns };
    }
    if rev
        .sack_right
        .is_some_and(|r| SeqNumber(r) > SeqNumber(s.seq))
    {
        return Resend::Sack { dups, gap_ns };
    }
    // RFC 8985 §7.3: the probe resends the most recently sent segment.
    let tail = fwd
        .sent
        .back()
        .is_some_and(|b| b.end == s.seq.wrapping_add(s.len) && s.len > 0);
    Resend::Early {
        gap_ns,
        rto_ns,
        tail,
    }
}

fn update(fwd: &mut NoteDir, rev: &mut NoteDir, s: &Seg<'_>) {
    // RTT samples from ACKs of segments sent once (Karn's rule, RFC 6298 §3).
    if s.has_ack {
        let mut last = None;
        while let Some(front) = rev.sent.front() {
            if SeqNumber(front.end) <= SeqNumber(s.ack) {
                last = rev.sent.pop_front();
            } else {
                break;
            }
        }
        if let Some(o) = last
            && !o.resent
        {
            rev.sample(s.ts.nanos_since(o.ts).max(0) as f64);
        }
        // Once the ack passes every byte SACKed, the hole is filled.
        if s.sack.is_empty()
            && fwd
                .sack_right
                .is_some_and(|r| SeqNumber(r) <= SeqNumber(s.ack))
        {
            fwd.sack_right = None;
        }
        if fwd.last_ack == Some(s.ack) && s.len == 0 && !(s.syn || s.fin || s.rst) {
            fwd.dups += 1;
        } else if fwd.last_ack != Some(s.ack) {
            fwd.dups = 0;
        }
        fwd.last_ack = Some(s.ack);
    }
    let end = s
        .seq
        .wrapping_add(s.len)
        .wrapping_add((s.syn || s.fin) as u32);
    if end != s.seq {
        if let Some(o) = fwd.sent.iter_mut().find(|o| o.start == s.seq) {
            o.resent = true;
        } else if fwd
            .sent
            .back()
            .is_none_or(|b| SeqNumber(end) > SeqNumber(b.end))
        {
            if fwd.sent.len() >= SENT_KEPT {
                fwd.sent.pop_front();
            }
            fwd.sent.push_back(Sent {
                start: s.seq,
                end,
                ts: s.ts,
                resent: s.retransmission,
            });
        }
    }
    if s.syn {
        if fwd.syn.first.is_some() {
            fwd.repeat_syn_ts = Some(s.ts);
        }
        fwd.last_syn_ts = Some(s.ts);
        observe_syn(&mut fwd.syn, s.ts, s.tsval);
    }
    fwd.last_syn = s.syn;
    if !s.syn {
        fwd.window = Some(s.window);
    }
}

/// Only what the handshake needs of a SYN sent at `ts` with `tsval` (see [`syns`],
/// [`first_syn`] and [`echo`]): when `fwd` sent its first, how many and their TSvals.
/// [`observe`] does this too.
pub fn observe_syn(fwd: &mut Syns, ts: Timestamp, tsval: Option<u32>) {
    fwd.first.get_or_insert(ts);
    if fwd.tsvals.len() < 16 {
        fwd.tsvals.push(tsval);
    }
}

/// Which of the server's SYN-ACKs the client's ACK answers, by its TSecr (RFC 7323 §3:
/// TSecr echoes the TSval of the segment being acknowledged). Only when there were several.
pub fn echo(server: &Syns, tsecr: Option<u32>) -> Option<Echo> {
    let of = server.tsvals.len().min(u8::MAX as usize) as u8;
    if of < 2 {
        return None;
    }
    let hits: Vec<usize> = server
        .tsvals
        .iter()
        .enumerate()
        .filter(|(_, v)| tsecr.is_some() && **v == tsecr)
        .map(|(i, _)| i)
        .collect();
    Some(match hits.as_slice() {
        [i] => Echo::Nth {
            n: *i as u8 + 1,
            of,
        },
        _ => Echo::Ambiguous { of },
    })
}

/// How many SYNs this direction sent (SYN or SYN-ACK).
pub fn syns(d: &Syns) -> usize {
    d.tsvals.len()
}

/// When this direction sent its first SYN.
pub fn first_syn(d: &Syns) -> Option<Timestamp> {
    d.first
}

/// Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`, 32768–60999).
pub const LINUX_EPHEMERAL: std::ops::RangeInclusive<u16> = 32768..=60999;

/// A pure ACK this long after the data it acknowledges, beyond the handshake RTT, was held by
/// the receiver: Linux's delayed-ACK timer starts at 40 ms (`TCP_DELACK_MIN`).
const DELAYED_ACK_MIN_NS: u64 = 20_000_000;
/// RFC 9293 §3.8.6.3: an ACK must not be delayed by more than 0.5 s.
const DELAYED_ACK_MAX_NS: u64 = 500_000_000;
/// A segment this soon after the ACK that cleared the outstanding data was waiting for it.
const RIGHT_AFTER_NS: u64 = 1_000_000;
/// ... after a silence at least this long.
const NAGLE_WAIT_NS: u64 = 10_000_000;

/// A teaching point a segment shows, with what its sentence needs. Each is derived from the
/// conversation so far (see [`Teach::observe`]); the renderer words it and says it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// A pure ACK of the peer's data sent `after_ns` after that data with nothing else sent
    /// either way between, well beyond the handshake RTT (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2).
    DelayedAck { after_ns: u64 },
    /// A data segment whose ack acknowledges new bytes of the peer: a piggybacked ACK
    /// (RFC 9293 §3.8.6.3).
    Piggyback { acked: u32 },
    /// A small segment sent right after a pure ACK acknowledged everything outstanding, after a
    /// silence, its previous segment small too: Nagle's algorithm (RFC 1122 §4.2.3.4, RFC 896).
    Nagle {
        len: u32,
        after_ack_ns: u64,
        waited_ns: u64,
    },
    /// A small segment sent while an earlier small one is unacknowledged and the window is
    /// wide open: Nagle's algorithm is off (TCP_NODELAY; Linux `tcp_nagle_check`).
    NoDelay { outstanding: u32 },
    /// A segment as large as the MSS allows: the peer's MSS less this segment's options
    /// (RFC 6691 §2, RFC 9293 §3.7.1; tshark `tcp.len`, `tcp.hdr_len`, `tcp.options.mss_val`).
    FullSize { mss: u16, options: u8, sack: bool },
    /// The first FIN's sender acknowledged data sent after its FIN: it had only shut down
    /// its sending side (RFC 9293 §3.6; Linux resets data arriving after close()).
    HalfClose,
    /// The second FIN, and no data followed the first: shutdown(SHUT_WR) and close() send the
    /// same FIN (RFC 9293 §3.6).
    CloseOrHalfClose,
    /// A RST from an end that had not sent a FIN: an abortive close; `received` bytes had come
    /// from the peer (RFC 9293 §3.6, RFC 2525 §2.17; Linux `tcp_close`).
    Abort { received: u32 },
    /// A second HTTP/1.1 request on the same connection (RFC 9112 §9.3).
    HttpReuse,
    /// The server closes first after answering an HTTP/1.0 request without keep-alive
    /// (RFC 1945 §1.3, RFC 9112 §9.3).
    Http10Close,
}

/// What one direction showed so far, in numbers relative to its ISN.
#[derive(Clone, Copy, Debug, Default)]
struct TeachDir {
    mss: Option<u16>,
    /// The end of the data sent (relative), and the highest ack received for it.
    next: u32,
    acked: u32,
    /// The last ack this direction sent.
    ack_sent: u32,
    /// When this direction last sent anything, and its last new data and whether it was small.
    last_tx: Option<Timestamp>,
    last_data: Option<Timestamp>,
    last_small: bool,
    /// The end of the last small segment sent.
    small_end: Option<u32>,
    /// When a pure ACK of the peer last acknowledged everything this direction had sent.
    cleared: Option<Timestamp>,
    window: u32,
    fin: Option<u32>,
    data_after_peer_fin: Option<u32>,
    full_size_told: Option<u8>,
    nodelay_told: bool,
    /// The smallest size (payload plus options) of a data segment this direction sent without
    /// PSH: one cut inside a write, so as large as the sender's own segment size allowed.
    cut: Option<u32>,
}

/// The teaching points' memory of one conversation; kept by the renderer that prints them,
/// so nothing is computed for views that print no notes.
#[derive(Clone, Debug, Default)]
pub struct Teach {
    dirs: [TeachDir; 2],
    piggyback_told: bool,
    delayed_told: bool,
    nagle_told: bool,
    http_requests: u32,
    http_version: Option<[u8; 3]>,
    http_keep_alive: bool,
    http_response: bool,
}

/// One segment as the teaching points read it: its numbers relative to each side's ISN.
#[derive(Clone, Copy, Debug)]
pub struct TeachSeg<'a> {
    pub base: super::analysis::Segment,
    /// 0: client → server, 1: server → client.
    pub from: usize,
    pub retransmission: bool,
    /// TCP header length minus 20.
    pub options_len: u8,
    /// The MSS option of a SYN.
    pub mss: Option<u16>,
    /// It carries SACK blocks.
    pub sack: bool,
    /// Its PSH flag.
    pub psh: bool,
    pub payload: &'a [u8],
    /// The handshake RTT, once known.
    pub rtt_ns: Option<u64>,
}

impl std::ops::Deref for TeachSeg<'_> {
    type Target = super::analysis::Segment;
    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

fn since(a: Timestamp, b: Timestamp) -> u64 {
    a.nanos_since(b).max(0) as u64
}

impl Teach {
    /// The teaching points `s` shows, given the conversation before it; then remembers it.
    pub fn observe(&mut self, s: &TeachSeg<'_>) -> Vec<Point> {
        let mut out = Vec::new();
        let (me, peer) = (s.from, 1 - s.from);
        let d = self.dirs[me];
        let p = self.dirs[peer];
        let new_data = s.len > 0 && !s.retransmission && SeqNumber(s.seq) >= SeqNumber(d.next);
        let acks_new = s.has_ack && !s.syn && SeqNumber(s.ack) > SeqNumber(d.ack_sent);
        if s.syn {
            self.dirs[me].mss = s.mss;
        }
        // A pure ACK that acknowledges all the peer's data, nothing sent since that data.
        if acks_new
            && s.len == 0
            && !(s.syn || s.fin || s.rst)
            && !self.delayed_told
            && s.ack == p.next
            && let (Some(t), Some(rtt)) = (p.last_data, s.rtt_ns)
            && d.last_tx.is_none_or(|x| x < t)
            && p.last_tx == Some(t)
        {
            let after = since(s.ts, t);
            if after >= rtt + DELAYED_ACK_MIN_NS && after <= DELAYED_ACK_MAX_NS {
                self.delayed_told = true;
                out.push(Point::DelayedAck { after_ns: after });
            }
        }
        if acks_new
            && new_data
            && !self.piggyback_told
            && d.ack_sent > 0
            && SeqNumber(d.ack_sent) < SeqNumber(p.next)
        {
            self.piggyback_told = true;
            out.push(Point::Piggyback { acked: s.ack });
        }
        if new_data && !s.syn {
            // The segment size the peer's MSS allows, less this segment's options (RFC 6691 §2).
            if let Some(m) = p.mss
                && s.len + s.options_len as u32 == m as u32
                && d.full_size_told != Some(s.options_len)
            {
                self.dirs[me].full_size_told = Some(s.options_len);
                out.push(Point::FullSize {
                    mss: m,
                    options: s.options_len,
                    sack: s.sack,
                });
            }
            // Linux marks PSH on the last segment of each write (`tcp_push`), so a data
            // segment without PSH was cut inside a write at the size the sender sends: the
            // peer's MSS, or less when the path's MTU is smaller (Linux still advertises at
            // least `net.ipv4.route.min_adv_mss`, 256). "Small" is below that size, so
            // segments of one write cut to a small MTU are not mistaken for small writes.
            let size = s.len + s.options_len as u32;
            if !s.psh && !s.fin {
                let c = &mut self.dirs[me].cut;
                *c = Some(c.map_or(size, |c| c.min(size)));
            }
            let cut = self.dirs[me].cut;
            let small = p
                .mss
                .is_some_and(|m| size < cut.map_or(m as u32, |c| c.min(m as u32)));
            if small && d.last_small && !self.nagle_told {
                if let (Some(c), Some(t)) = (d.cleared, d.last_data)
                    && c > t
                    && since(s.ts, c) <= RIGHT_AFTER_NS
                    && since(c, t) >= NAGLE_WAIT_NS
                {
                    self.nagle_told = true;
                    out.push(Point::Nagle {
                        len: s.len,
                        after_ack_ns: since(s.ts, c),
                        waited_ns: since(c, t),
                    });
                }
                // Linux's Nagle test (Minshall's variant): a small segment waits while an
                // earlier small one is unacknowledged, unless TCP_NODELAY is set. Only with a
                // window far wider than what is in flight, so the window did not cut it short.
                let in_flight = d.next.wrapping_sub(d.acked).saturating_add(s.len);
                if let Some(e) = d.small_end
                    && SeqNumber(e) > SeqNumber(d.acked)
                    && !d.nodelay_told
                    && in_flight.saturating_mul(2) <= p.window
                {
                    self.dirs[me].nodelay_told = true;
                    out.push(Point::NoDelay {
                        outstanding: e.wrapping_sub(d.acked),
                    });
                }
            }
            let dm = &mut self.dirs[me];
            dm.last_data = Some(s.ts);
            dm.last_small = small;
            if small {
                dm.small_end = Some(s.seq.wrapping_add(s.len));
            }
            if p.fin.is_some() {
                dm.data_after_peer_fin = Some(s.seq.wrapping_add(s.len));
            }
            self.http(s, &mut out);
        }
        // The first FIN's sender acknowledges data sent after its FIN: a half-close.
        if s.has_ack
            && !s.rst
            && d.fin.is_some()
            && let Some(e) = p.data_after_peer_fin
            && SeqNumber(s.ack) >= SeqNumber(e)
        {
            self.dirs[peer].data_after_peer_fin = None;
            out.push(Point::HalfClose);
        }
        if s.fin && d.fin.is_none() {
            if p.fin.is_some() && d.data_after_peer_fin.is_none() && p.data_after_peer_fin.is_none()
            {
                out.push(Point::CloseOrHalfClose);
            }
            if me == 1
                && p.fin.is_none()
                && self.http_response
                && self.http_version == Some(*b"1.0")
                && !self.http_keep_alive
            {
                out.push(Point::Http10Close);
            }
        }
        // Only from an end that had acknowledged the peer's SYN (its ack moved past 0): a
        // RST answering a SYN-ACK that no socket asked for (RFC 9293 §3.10.7.1) is no close.
        if s.rst && d.fin.is_none() && d.last_tx.is_some() && d.ack_sent > 0 {
            out.push(Point::Abort {
                received: p.next.saturating_sub(1),
            });
        }
        self.update(s);
        out
    }

    /// HTTP/1.x start lines (RFC 9112 §3, §4; tshark `http.request.version`).
    fn http(&mut self, s: &TeachSeg<'_>, out: &mut Vec<Point>) {
        let Some(h) = crate::decode::http::parse(s.payload) else {
            return;
        };
        match h.kind {
            crate::decode::http::Kind::Request { version, .. } if s.from == 0 => {
                self.http_requests += 1;
                let v = version
                    .strip_prefix(b"HTTP/")
                    .and_then(|v| v.try_into().ok());
                if self.http_requests == 2 && self.http_version == Some(*b"1.1") {
                    out.push(Point::HttpReuse);
                }
                self.http_version = v;
                // RFC 9112 §9.3: "Connection: keep-alive" asks an HTTP/1.0 server to persist.
                self.http_keep_alive = s
                    .payload
                    .windows(10)
                    .any(|w| w.eq_ignore_ascii_case(b"keep-alive"));
            }
            crate::decode::http::Kind::Response { .. } if s.from == 1 => {
                self.http_response = true;
            }
            _ => {}
        }
    }

    fn update(&mut self, s: &TeachSeg<'_>) {
        let (me, peer) = (s.from, 1 - s.from);
        let end = s.seq.wrapping_add(s.len);
        let p = &mut self.dirs[peer];
        if s.has_ack && SeqNumber(s.ack) > SeqNumber(p.acked) {
            p.acked = s.ack;
            if s.len == 0 && !(s.syn || s.fin || s.rst) && SeqNumber(s.ack) >= SeqNumber(p.next) {
                p.cleared = Some(s.ts);
            }
        }
        let d = &mut self.dirs[me];
        if s.len > 0 && SeqNumber(end) > SeqNumber(d.next) {
            d.next = end;
        }
        if s.syn {
            d.next = 1;
        }
        if s.has_ack && SeqNumber(s.ack) > SeqNumber(d.ack_sent) {
            d.ack_sent = s.ack;
        }
        if s.fin && d.fin.is_none() {
            d.fin = Some(end);
        }
        d.last_tx = Some(s.ts);
        d.window = s.window;
    }
}

#[cfg(test)]
mod tests {
    use super::SynTsvals;

    /// The inline TSvals hold what a vector would, in order, however many are pushed.
    #[test]
    fn syn_tsvals_keep_order_like_a_vector() {
        for n in 0..20u32 {
            let (mut t, mut v) = (SynTsvals::default(), Vec::new());
            for i in 0..n {
                let x = (i % 3 != 1).then_some(i * 7);
                t.push(x);
                v.push(x);
            }
            assert_eq!(t.len(), v.len());
            assert_eq!(t.iter().copied().collect::<Vec<_>>(), v);
        }
    }
}
