//! Per-segment TCP analysis with the meanings of Wireshark's `tcp.analysis.*` flags
//! (epan/dissectors/packet-tcp.c, `tcp_analyze_sequence_number`), checked in the same order
//! and with the same state per direction, so that the flags agree with tshark frame by frame.
//!
//! The rules, for a segment of `len` payload bytes sent in direction "fwd" (the reverse
//! direction is "rev"); `nextseq` is the highest sequence number plus length seen in fwd,
//! `lastack` the last ACK number fwd sent. Zero stands for "not seen yet", as in Wireshark.
//! 1. zero_window_probe: len 1, seq = nextseq, rev's window is 0. Skips 2–8.
//! 2. zero_window: window 0 and none of SYN/FIN/RST.
//! 3. lost_segment: seq > nextseq (a gap), not RST.
//! 4. keep_alive: len 0 or 1, seq = nextseq − 1, none of SYN/FIN/RST.
//! 5. window_update: len 0, window ≠ 0 and changed, seq = nextseq, ack = lastack, no SYN/FIN/RST.
//! 6. window_full: len > 0 and seq + len reaches rev's lastack + rev's window (scale known).
//! 7. keep_alive_ack / zero_window_probe_ack: a repeated ACK answering one; skips 8.
//! 8. duplicate_ack (#n): len 0, window ≠ 0 and unchanged, seq = nextseq, ack = lastack.
//! 9. ack_lost_segment: the ACK goes beyond all that rev was seen to send.
//! 10. For segments with data, SYN or FIN (not keep-alives) whose seq < nextseq:
//!     spurious_retransmission when all of it was already acknowledged by rev; else
//!     fast_retransmission after ≥ 2 duplicate ACKs for this seq within 20 ms; else out_of_order
//!     within the handshake RTT (3 ms when unknown) of the highest segment; else retransmission.
//!     Fast and spurious retransmissions carry the retransmission flag too, as in Wireshark.
//! 11. reused_ports is decided by the tracker: a new SYN with another ISN on a known 5-tuple.

use crate::source::Timestamp;

use super::SeqNumber;

/// A set of analysis events for one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Analysis(pub u16);

impl Analysis {
    pub const RETRANSMISSION: u16 = 1 << 0;
    pub const FAST_RETRANSMISSION: u16 = 1 << 1;
    pub const SPURIOUS_RETRANSMISSION: u16 = 1 << 2;
    pub const OUT_OF_ORDER: u16 = 1 << 3;
    pub const DUPLICATE_ACK: u16 = 1 << 4;
    pub const LOST_SEGMENT: u16 = 1 << 5;
    pub const ACK_LOST_SEGMENT: u16 = 1 << 6;
    pub const ZERO_WINDOW: u16 = 1 << 7;
    pub const ZERO_WINDOW_PROBE: u16 = 1 << 8;
    pub const WINDOW_FULL: u16 = 1 << 9;
    pub const WINDOW_UPDATE: u16 = 1 << 10;
    pub const KEEP_ALIVE: u16 = 1 << 11;
    pub const REUSED_PORTS: u16 = 1 << 12;
    pub const KEEP_ALIVE_ACK: u16 = 1 << 13;
    pub const ZERO_WINDOW_PROBE_ACK: u16 = 1 << 14;

    /// One row per event: bit, Wireshark's field name (`tcp.analysis.<name>`), and the words a
    /// learner reads on the ladder.
    pub const TABLE: [(u16, &'static str, &'static str); 15] = [
        (Self::REUSED_PORTS, "reused_ports", "port numbers reused"),
        (
            Self::LOST_SEGMENT,
            "lost_segment",
            "previous segment not captured",
        ),
        (
            Self::ACK_LOST_SEGMENT,
            "ack_lost_segment",
            "ACKed unseen segment",
        ),
        (Self::RETRANSMISSION, "retransmission", "retransmission"),
        (
            Self::FAST_RETRANSMISSION,
            "fast_retransmission",
            "fast retransmission",
        ),
        (
            Self::SPURIOUS_RETRANSMISSION,
            "spurious_retransmission",
            "spurious retransmission",
        ),
        (Self::OUT_OF_ORDER, "out_of_order", "out of order"),
        (Self::DUPLICATE_ACK, "duplicate_ack", "duplicate ACK"),
        (Self::ZERO_WINDOW, "zero_window", "zero window"),
        (
            Self::ZERO_WINDOW_PROBE,
            "zero_window_probe",
            "zero-window probe",
        ),
        (
            Self::ZERO_WINDOW_PROBE_ACK,
            "zero_window_probe_ack",
            "zero-window probe ACK",
        ),
        (Self::WINDOW_FULL, "window_full", "window full"),
        (Self::WINDOW_UPDATE, "window_update", "window update"),
        (Self::KEEP_ALIVE, "keep_alive", "keep-alive"),
        (Self::KEEP_ALIVE_ACK, "keep_alive_ack", "keep-alive ACK"),
    ];

    /// Whether any of the bits in `bit` is set.
    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn insert(&mut self, bit: u16) {
        self.0 |= bit;
    }

    /// Wireshark's names of the events in this set (`retransmission`, `duplicate_ack`, …).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::TABLE
            .into_iter()
            .filter(move |(b, _, _)| self.has(*b))
            .map(|(_, n, _)| n)
    }

    /// The learner's words for the events in this set ("retransmission" is implied by the
    /// fast and spurious kinds, so it is not repeated beside them).
    pub fn labels(self) -> impl Iterator<Item = &'static str> {
        let shown = if self.has(Self::FAST_RETRANSMISSION | Self::SPURIOUS_RETRANSMISSION) {
            self.0 & !Self::RETRANSMISSION
        } else {
            self.0
        };
        Self::TABLE
            .into_iter()
            .filter(move |(b, _, _)| shown & *b != 0)
            .map(|(_, _, l)| l)
    }

    /// The bit of a Wireshark name, for comparisons with tshark.
    pub fn bit_of(name: &str) -> Option<u16> {
        Self::TABLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(b, _, _)| *b)
    }
}

/// One segment as the analysis needs it.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub seq: u32,
    pub ack: u32,
    /// Payload length on the wire.
    pub len: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub has_ack: bool,
    /// The advertised window, scaled when the scale is known.
    pub window: u32,
    pub ts: Timestamp,
}

impl Segment {
    /// The segment `t` of packet `p`, with its window already scaled.
    pub fn of(
        p: &crate::decode::Packet<'_>,
        t: &crate::decode::TcpSummary<'_>,
        window: u32,
    ) -> Self {
        Segment {
            seq: t.seq,
            ack: t.ack,
            len: p.payload_wire_len,
            syn: t.flags.syn(),
            fin: t.flags.fin(),
            rst: t.flags.rst(),
            has_ack: t.flags.ack(),
            window,
            ts: p.ts,
        }
    }
}

/// What one direction remembers between segments (Wireshark's `tcp_flow_t` and
/// `tcp_analyze_seq_info`). Numbers are absolute; 0 means "not seen yet".
#[derive(Clone, Copy, Debug, Default)]
pub struct DirAnalysis {
    pub nextseq: u32,
    nextseq_ts: Timestamp,
    pub lastack: u32,
    lastack_ts: Timestamp,
    /// Last advertised window (scaled as far as known).
    pub window: u32,
    /// Duplicate ACKs in a row; −1 after an "ACKed unseen segment" (Wireshark's neutralizer).
    dupacknum: i32,
    maxseqtobeacked: u32,
    lastsegmentflags: Analysis,
    /// Whether the window scale is known (after the SYN-ACK; Wireshark's −1 while unknown).
    pub scale_known: bool,
    /// Applies the ×2^shift of RFC 7323 to raw windows of this direction.
    pub shift: u8,
}

const TWENTY_MS: i128 = 20_000_000;
const DEFAULT_OOO_NS: i128 = 3_000_000;

fn gt(a: u32, b: u32) -> bool {
    SeqNumber(a) > SeqNumber(b)
}
fn lt(a: u32, b: u32) -> bool {
    SeqNumber(a) < SeqNumber(b)
}
fn le(a: u32, b: u32) -> bool {
    SeqNumber(a) <= SeqNumber(b)
}

/// Analyses one segment sent in direction `fwd`; returns its events and the duplicate-ACK
/// number (0 when not a duplicate ACK). `first_rtt_ns` is the handshake RTT when known.
/// Inlined into its one caller, once per segment.
#[inline]
pub fn analyze(
    fwd: &mut DirAnalysis,
    rev: &mut DirAnalysis,
    s: &Segment,
    first_rtt_ns: Option<u64>,
) -> (Analysis, u32) {
    let mut a = Analysis::default();
    let mut dup_num = 0u32;
    let ctl = s.syn || s.fin || s.rst;
    'fwd: {
        if s.len == 1 && s.seq == fwd.nextseq && rev.window == 0 {
            a.insert(Analysis::ZERO_WINDOW_PROBE);
            break 'fwd;
        }
        if s.window == 0 && !ctl {
            a.insert(Analysis::ZERO_WINDOW);
        }
        if fwd.nextseq != 0 && gt(s.seq, fwd.nextseq) && !s.rst {
            a.insert(Analysis::LOST_SEGMENT);
        }
        if s.len <= 1 && s.seq == fwd.nextseq.wrapping_sub(1) && !ctl {
            a.insert(Analysis::KEEP_ALIVE);
        }
        let same_point = s.len == 0 && s.seq == fwd.nextseq && s.ack == fwd.lastack && !ctl;
        if same_point && s.window != 0 && s.window != fwd.window {
            a.insert(Analysis::WINDOW_UPDATE);
        }
        if s.len > 0
            && rev.scale_known
            && s.seq.wrapping_add(s.len) == rev.lastack.wrapping_add(rev.window)
            && !ctl
        {
            a.insert(Analysis::WINDOW_FULL);
        }
        if same_point
            && s.window != 0
            && s.window == fwd.window
            && rev.lastsegmentflags.has(Analysis::KEEP_ALIVE)
        {
            a.insert(Analysis::KEEP_ALIVE_ACK);
            break 'fwd;
        }
        if same_point
            && s.window == 0
            && fwd.window == 0
            && rev.lastsegmentflags.has(Analysis::ZERO_WINDOW_PROBE)
        {
            a.insert(Analysis::ZERO_WINDOW_PROBE_ACK);
            break 'fwd;
        }
        if same_point && s.window != 0 && s.window == fwd.window {
            fwd.dupacknum = if fwd.dupacknum == -1 {
                1
            } else {
                fwd.dupacknum + 1
            };
            a.insert(Analysis::DUPLICATE_ACK);
            dup_num = fwd.dupacknum as u32;
        }
    }
    if s.ack != fwd.lastack {
        fwd.dupacknum = 0;
    }
    if rev.maxseqtobeacked != 0 && gt(s.ack, rev.maxseqtobeacked) && s.has_ack {
        if gt(rev.maxseqtobeacked, rev.nextseq) {
            rev.maxseqtobeacked = rev.nextseq;
            a.insert(Analysis::ACK_LOST_SEGMENT);
        } else {
            if rev.dupacknum == 0 {
                a.insert(Analysis::ACK_LOST_SEGMENT);
            }
            rev.dupacknum = -1;
        }
    }
    'retrans: {
        if !(s.len > 0 || s.syn || s.fin) || a.has(Analysis::KEEP_ALIVE) {
            break 'retrans;
        }
        let mut not_advanced = fwd.nextseq != 0 && lt(s.seq, fwd.nextseq);
        if s.len > 1 && fwd.nextseq.wrapping_sub(1) == s.seq {
            not_advanced = false;
        }
        if s.len > 0 && rev.lastack != 0 && le(s.seq.wrapping_add(s.len), rev.lastack) {
            a.insert(Analysis::SPURIOUS_RETRANSMISSION);
            break 'retrans;
        }
        if not_advanced
            && rev.dupacknum >= 2
            && rev.lastack == s.seq
            && s.ts.nanos_since(rev.lastack_ts) < TWENTY_MS
        {
            a.insert(Analysis::FAST_RETRANSMISSION);
            break 'retrans;
        }
        let thres = first_rtt_ns.map_or(DEFAULT_OOO_NS, |n| n as i128);
        let end = s
            .seq
            .wrapping_add(s.len)
            .wrapping_add((s.syn || s.fin) as u32);
        if not_advanced && s.ts.nanos_since(fwd.nextseq_ts) < thres && fwd.nextseq != end {
            a.insert(Analysis::OUT_OF_ORDER);
            break 'retrans;
        }
        if not_advanced {
            a.insert(Analysis::RETRANSMISSION);
        }
    }
    // Wireshark adds its "retransmission" expert info to fast and spurious retransmissions
    // too, so `tcp.analysis.retransmission` is present on them.
    if a.has(Analysis::FAST_RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION) {
        a.insert(Analysis::RETRANSMISSION);
    }
    let mut nextseq = s.seq.wrapping_add(s.len);
    if s.syn || s.fin {
        nextseq = nextseq.wrapping_add(1);
    }
    let probe = a.has(Analysis::ZERO_WINDOW_PROBE);
    if (gt(nextseq, fwd.nextseq) || fwd.nextseq == 0) && !probe {
        fwd.nextseq = nextseq;
        fwd.nextseq_ts = s.ts;
    }
    if (s.seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !probe {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = s.window;
    fwd.lastack = s.ack;
    fwd.lastack_ts = s.ts;
    fwd.lastsegmentflags = a;
    (a, dup_num)
}
