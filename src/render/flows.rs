//! The conversations table (`sockscope flows`, `--flows`): one row per TCP or UDP conversation,
//! like `tshark -z conv,tcp` and `conv,udp` together, with roles, handshake RTT, how it ended and
//! the analysis events counted.

use std::fmt::Write as _;
use std::io::{self, Write};

use std::collections::HashMap;
use std::convert::Infallible;

use super::fmt;
use super::ladder::{LaneNamer, duration, title};
use super::{PacketContext, Renderer};
use crate::decode::Packet;
use crate::services::{self, Proto};
use crate::track::record::Brief;
use crate::track::{Analysis, Limits, Tracker};

/// Tracks every packet and writes the table at the end.
pub struct FlowsRenderer {
    tracker: Tracker,
    pub color: bool,
    /// Names the program at each end of a conversation when it appears (live captures).
    namer: Option<LaneNamer>,
    /// [client, server] program names, by conversation.
    names: HashMap<u32, [Option<String>; 2]>,
    /// One bit per conversation number: which had a packet shown (not hidden by the filter or
    /// `--skip`); `None` while no packet was hidden (then every conversation is listed).
    shown: Option<Vec<u64>>,
    /// Whether the table is written when the input ends (see [`FlowsRenderer::without_table`]).
    table: bool,
}

impl FlowsRenderer {
    /// Lists every conversation: a compact record of each (at most 128 bytes) is kept. The
    /// table prints no teaching notes: of their facts only the handshake's are followed.
    pub fn new(color: bool) -> Self {
        FlowsRenderer {
            tracker: Tracker::with_limits(Limits {
                notes: false,
                ..Limits::records()
            }),
            color,
            namer: None,
            names: HashMap::new(),
            shown: None,
            table: true,
        }
    }
    /// Keeps at most the tracker's default number of summaries, the oldest dropped beyond
    /// (for a capture that may never end).
    pub fn bounded(color: bool) -> Self {
        FlowsRenderer {
            tracker: Tracker::with_limits(Limits {
                notes: false,
                ..Limits::default()
            }),
            color,
            namer: None,
            names: HashMap::new(),
            shown: None,
            table: true,
        }
    }

    /// Names the programs at the ends of the conversations that appear from now on.
    pub fn set_namer(&mut self, namer: LaneNamer) {
        self.namer = Some(namer);
    }
    /// Tracks without writing the table at the end, for a caller that reads the summaries
    /// afterwards (`flows --json`): they keep every conversation's live state as it was.
    pub fn without_table(mut self) -> Self {
        self.table = false;
        self
    }

    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Whether conversation `index` is listed: every one, unless the filter or `--skip` hid
    /// packets; then those with a packet shown (numbered as in the whole capture).
    pub fn listed(&self, index: u32) -> bool {
        match &self.shown {
            None => true,
            Some(bits) => bit_set(bits, index),
        }
    }

    fn mark_shown(&mut self, index: u32) {
        if let Some(bits) = &mut self.shown {
            set_bit(bits, index);
        }
    }
}

fn bit_set(bits: &[u64], index: u32) -> bool {
    bits.get((index / 64) as usize)
        .is_some_and(|w| w & (1 << (index % 64)) != 0)
}

fn set_bit(bits: &mut Vec<u64>, index: u32) {
    let (word, bit) = ((index / 64) as usize, index % 64);
    if word >= bits.len() {
        bits.resize(word + 1, 0);
    }
    bits[word] |= 1 << bit;
}

impl Renderer for FlowsRenderer {
    fn packet(&mut self, _: &mut dyn Write, pkt: &Packet<'_>, _: &PacketContext) -> io::Result<()> {
        // The table reads the summaries only, not each packet's description.
        let seen = self.tracker.observe_brief(pkt);
        if let Some((flow, _)) = seen {
            self.mark_shown(flow);
        }
        if let (Some((flow, true)), Some(name)) = (seen, &mut self.namer)
            && let Some(f) = self.tracker.flow(flow)
        {
            let ends = [name(f.client, f.server), name(f.server, f.client)];
            self.names.insert(flow, ends);
        }
        Ok(())
    }
    fn hidden(&mut self, pkt: &Packet<'_>, _: &PacketContext) {
        if self.shown.is_none() {
            // Every conversation seen so far had its packets shown.
            let mut bits = Vec::new();
            let Ok(()) = self
                .tracker
                .try_for_each_brief(|b| -> Result<(), Infallible> {
                    set_bit(&mut bits, b.index);
                    Ok(())
                });
            self.shown = Some(bits);
        }
        self.tracker.observe_brief(pkt);
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.table {
            return Ok(());
        }
        // The input has ended: every conversation is read from its record from now on.
        self.tracker.retire_live();
        let Some(shown) = &self.shown else {
            return write_named_table(out, &self.tracker, self.color, &self.names);
        };
        let listed = |index: u32| bit_set(shown, index);
        let none = self.tracker.try_for_each_brief(|b| match listed(b.index) {
            true => Err(()),
            false => Ok(()),
        });
        if none.is_ok() {
            return writeln!(
                out,
                "no TCP or UDP conversation has a packet that passed the filter (and --skip)"
            );
        }
        write_listed_table(out, &self.tracker, self.color, &self.names, &listed)?;
        writeln!(
            out,
            "listed: the conversations with a packet that passed the filter (and --skip), numbered as in the whole capture; their counts include every packet of theirs read"
        )
    }
}

/// Appends [`duration`]'s text for `ns`, with integers only when the result is sure to be the
/// same: `{:.3}` rounds the `f64` quotient, which lies within 1e-13 of the exact one below
/// 1000 s, while an exact quotient not halfway between two printed values is at least 1e-9
/// (one nanosecond) from the midpoint; halfway cases and larger values take `duration` itself.
fn push_duration(s: &mut Vec<u8>, ns: u64) {
    if ns < 1_000_000 {
        fmt::push_u64(s, ns / 1000);
        s.extend_from_slice(" µs".as_bytes());
        return;
    }
    let (unit, per_digit, word): (u64, u64, &[u8]) = if ns < 1_000_000_000 {
        (1_000_000, 1_000, b" ms")
    } else {
        (1_000_000_000, 1_000_000, b" s")
    };
    let rest = ns % per_digit;
    if ns >= 1_000_000_000_000 || rest * 2 == per_digit {
        s.extend_from_slice(duration(ns).as_bytes());
        return;
    }
    // Thousandths of the unit, rounded to the nearest.
    let milli = ns / per_digit + u64::from(rest * 2 > per_digit);
    let per_unit = unit / per_digit;
    fmt::push_u64(s, milli / per_unit);
    s.push(b'.');
    let frac = milli % per_unit;
    s.extend_from_slice(&[
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
    s.extend_from_slice(word);
}

fn push_endpoint(s: &mut Vec<u8>, proto: Proto, (ip, port): Endpoint) {
    match ip {
        std::net::IpAddr::V4(a) => fmt::push_ipv4(s, a.octets()),
        std::net::IpAddr::V6(a) => {
            s.push(b'[');
            fmt::push_ipv6_std(s, &a.octets());
            s.push(b']');
        }
    }
    s.push(b':');
    fmt::push_u64(s, u64::from(port));
    if let Some(n) = services::name(port, proto) {
        s.extend_from_slice(b" (");
        s.extend_from_slice(n.as_bytes());
        s.push(b')');
    }
}

/// Short names for the analysis column.
fn short(name: &str) -> &str {
    match name {
        "retransmission" => "retrans",
        "fast_retransmission" => "fast-retrans",
        "spurious_retransmission" => "spurious",
        "out_of_order" => "out-of-order",
        "duplicate_ack" => "dup-ACK",
        "lost_segment" => "lost",
        "ack_lost_segment" => "ACKed-unseen",
        "zero_window" => "zero-win",
        "zero_window_probe" => "zw-probe",
        "zero_window_probe_ack" => "zw-probe-ACK",
        "window_full" => "win-full",
        "window_update" => "win-update",
        "keep_alive" => "keep-alive",
        "keep_alive_ack" => "keep-alive-ACK",
        "reused_ports" => "ports-reused",
        other => other,
    }
}

/// Payload bytes, retransmitted ones included and counted apart: `6000 (1448 retr.)`.
fn push_bytes(s: &mut Vec<u8>, bytes: u64, retransmitted: u32) {
    fmt::push_u64(s, bytes);
    if retransmitted > 0 {
        s.extend_from_slice(b" (");
        fmt::push_u64(s, u64::from(retransmitted));
        s.extend_from_slice(b" retr.)");
    }
}

/// The handshake RTT; with a retransmitted SYN or SYN-ACK no sample (Karn's rule, RFC 6298
/// §3) but the handshake's duration and segments.
fn push_hs(s: &mut Vec<u8>, f: &Brief<'_>) {
    match (f.handshake_rtt_ns, f.handshake) {
        (Some(rtt), _) => push_duration(s, rtt),
        (None, Some(hs)) if hs.retransmitted => {
            let _ = write!(
                s,
                "no sample (retr.; {}, {} segs)",
                duration(hs.duration_ns),
                hs.segments
            );
        }
        _ => s.push(b'-'),
    }
}

/// `retrans 34 (6 fast)`: fast and spurious retransmissions are among the retransmissions
/// (tshark flags them `retransmission` too).
fn analysis_cell(f: &Brief<'_>, counts: &[u32; Analysis::TABLE.len()]) -> String {
    let sub = Analysis::FAST_RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION;
    let v: Vec<String> = Analysis::TABLE
        .iter()
        .zip(*counts)
        .filter(|((bit, _, _), n)| *n > 0 && bit & sub == 0)
        .map(|((bit, name, _), n)| {
            let mut c = format!("{} {n}", short(name));
            if *bit == Analysis::RETRANSMISSION {
                let parts: Vec<String> = [
                    (Analysis::FAST_RETRANSMISSION, "fast"),
                    (Analysis::SPURIOUS_RETRANSMISSION, "spurious"),
                ]
                .iter()
                .filter(|(b, _)| f.count(*b) > 0)
                .map(|(b, w)| format!("{} {w}", f.count(*b)))
                .collect();
                if !parts.is_empty() {
                    let _ = write!(c, " ({})", parts.join(", "));
                }
            }
            c
        })
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// Columns of the table; which hold numbers (right-aligned).
const COLUMNS: usize = 12;
const RIGHT: [bool; COLUMNS] = [
    true, false, false, false, true, true, true, true, true, true, false, false,
];

/// The program names at the ends of `f`, when known.
fn named(names: &HashMap<u32, [Option<String>; 2]>, index: u32) -> Option<&[Option<String>; 2]> {
    if names.is_empty() {
        None
    } else {
        names.get(&index)
    }
}

/// What [`write_row`] does after each cell: pad it ([`Padding`]), or measure it (the tests).
/// The cells that [`Padding`] writes its own faster way come through the provided methods,
/// which show the general way.
trait CellEnd {
    /// Called after cell `i` of a row, written to `s` from `start`.
    fn end(&mut self, s: &mut Vec<u8>, i: usize, start: usize);

    /// Cell `i`: the digits of `n`, then [`CellEnd::end`].
    fn number(&mut self, s: &mut Vec<u8>, i: usize, n: u64) {
        let start = s.len();
        fmt::push_u64(s, n);
        self.end(s, i, start);
    }

    /// Cell `i`: an endpoint with no program name ([`push_shown`]), then [`CellEnd::end`].
    fn endpoint(&mut self, s: &mut Vec<u8>, i: usize, shown: Shown) {
        let start = s.len();
        push_shown(s, shown);
        self.end(s, i, start);
    }
}

impl<F: FnMut(&mut Vec<u8>, usize, usize)> CellEnd for F {
    fn end(&mut self, s: &mut Vec<u8>, i: usize, start: usize) {
        self(s, i, start)
    }
}

/// An address and port.
type Endpoint = (std::net::IpAddr, u16);

/// Pads each cell to its column's width, inlined in [`write_row`] where the column is known.
struct Padding {
    w: [usize; COLUMNS],
    /// What each column's cells may hold, for their width.
    text: [Text; COLUMNS],
    /// Recent padded cells of each endpoint column still in the buffer, by [`slot`]: what
    /// each showed (address, port, TCP, roles' mark) and where it is. A few servers usually
    /// serve row after row: their cells are copied, not formatted again.
    recent: [[Recent; SLOTS]; 2],
}

/// A padded endpoint cell already in the buffer: what it shows and where.
type Recent = Option<(Shown, (usize, usize))>;

/// Recent endpoint cells kept per column.
const SLOTS: usize = 8;

/// The slot of [`Padding::recent`] for an endpoint: the top bits of its port times 2^32
/// over the golden ratio (Fibonacci hashing), which set the usual service ports apart.
fn slot((_, port): Endpoint) -> usize {
    (u32::from(port).wrapping_mul(0x9e37_79b1) >> (32 - SLOTS.ilog2())) as usize
}

/// What an endpoint cell shows: the address and port, TCP or not, the roles' mark or not.
type Shown = (Endpoint, bool, bool);

/// Appends an endpoint cell's text after any program name: the endpoint and its service,
/// then the mark of guessed roles.
fn push_shown(s: &mut Vec<u8>, (at, tcp, guessed): Shown) {
    push_endpoint(s, if tcp { Proto::Tcp } else { Proto::Udp }, at);
    if guessed {
        s.push(b'*');
    }
}

impl Padding {
    fn new(w: [usize; COLUMNS], text: [Text; COLUMNS]) -> Self {
        Padding {
            w,
            text,
            recent: [[None; SLOTS], [None; SLOTS]],
        }
    }

    /// Forgets the cells kept in the buffer, about to be emptied.
    fn forget(&mut self) {
        self.recent = [[None; SLOTS], [None; SLOTS]];
    }
}

impl CellEnd for Padding {
    #[inline(always)]
    fn end(&mut self, s: &mut Vec<u8>, i: usize, start: usize) {
        pad_cell(s, &self.w, i, start, self.text[i]);
    }

    /// Of at most 8 digits, in a column at most 30 wide: [`push_right`].
    #[inline(always)]
    fn number(&mut self, s: &mut Vec<u8>, i: usize, n: u64) {
        match u32::try_from(n) {
            Ok(n) if n < 100_000_000 && self.w[i] <= 30 && RIGHT[i] => push_right(s, n, self.w[i]),
            _ => {
                let start = s.len();
                fmt::push_u64(s, n);
                self.end(s, i, start);
            }
        }
    }

    fn endpoint(&mut self, s: &mut Vec<u8>, i: usize, shown: Shown) {
        let at = slot(shown.0);
        if let Some((recent, cell)) = &self.recent[i - 2][at]
            && *recent == shown
        {
            s.extend_from_within(cell.0..cell.1);
            return;
        }
        let start = s.len();
        push_shown(s, shown);
        self.end(s, i, start);
        self.recent[i - 2][at] = Some((shown, (start, s.len())));
    }
}

/// Appends `n` (below 10^8) right-aligned in `w` (at most 30) characters, and the two spaces
/// that end a cell: with no digit count, 32 spaces stored, then the eight digits with their
/// leading zeros made spaces stored whole so that they end at `w` (cut to the last `w` when
/// `w` is narrower).
#[inline(always)]
fn push_right(s: &mut Vec<u8>, n: u32, w: usize) {
    let start = s.len();
    s.extend_from_slice(&[b' '; 32]);
    let (at, text) = right_word(n, w);
    s[start + at..start + at + 8].copy_from_slice(&text);
    s.truncate(start + w + 2);
}

/// `n` (below 10^8) right-aligned in `w` characters as eight bytes to store whole, and where
/// they go from the cell's start: the digits with their leading zeros made spaces, ending at
/// `w` (cut to the last `w` digits' bytes, then spaces, when `w` is narrower than 8).
#[inline(always)]
fn right_word(n: u32, w: usize) -> (usize, [u8; 8]) {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);
    let d = fmt::eight_digits(n);
    // The leading zeros are the low zero bytes; the units digit is kept even when 0.
    let zeros = (d | 1 << 56).trailing_zeros() / 8;
    let blank = (1u64 << (8 * zeros)) - 1;
    let text = ((d | ZEROS) & !blank) | (SPACES & blank);
    match w.checked_sub(8) {
        Some(at) => (at, text.to_le_bytes()),
        None => (
            0,
            ((text >> (8 * (8 - w))) | (SPACES << (8 * w))).to_le_bytes(),
        ),
    }
}

/// Bytes of an endpoint cell kept whole by [`Fixed`], spaces after its text.
const CACHED: usize = 48;

/// Bytes past a row's padded cells that [`Fixed`] may store spaces over (a whole endpoint cell
/// or number word from a cell's start); cut off before the last cell is written.
const SLACK: usize = 64;

/// Writes the rows of a table with no program names into a region of spaces as long as the
/// row's padded cells, one resize per row: each cell is stored at its place (numbers ending at
/// their column's edge, text from its start) and the spaces around it are already there, so no
/// cell is padded, measured or moved; the last cell is appended after. What it writes equals
/// [`write_row`] with [`Padding`] (the tests compare them).
struct Fixed {
    w: [usize; COLUMNS],
    text: [Text; COLUMNS],
    /// The padded cells' bytes before the last, when every cell is ASCII.
    region: usize,
    /// Recent endpoint cells of each column by [`slot`]: what each showed, its text followed
    /// by spaces ([`CACHED`] bytes): IPv6 ones, and IPv4 ones on a service's port.
    recent: [[Stored; SLOTS]; 2],
    scratch: Vec<u8>,
}

/// An endpoint cell kept by [`Fixed`]: what it shows, its text then spaces.
type Stored = Option<(Shown, [u8; CACHED])>;

/// Stores `a.b.c.d:port` at `at` of `row` as [`push_endpoint`] writes it (no service name),
/// followed by spaces, in two whole words: the address's octets from [`fmt::IPV4_OCTETS`] with the last
/// dot made the colon, then the port's digits as [`fmt::push_u32`] cuts them. Returns where
/// the text ends. Up to 24 bytes from `at` are stored.
#[inline(always)]
fn store_ipv4_port(row: &mut [u8], at: usize, a: [u8; 4], port: u16) -> usize {
    const SPACES: u128 = u128::from_le_bytes([b' '; 16]);
    let (mut word, mut n) = (0u128, 0);
    for o in a {
        let (text, len) = fmt::IPV4_OCTETS[usize::from(o)];
        word |= u128::from(text) << (8 * n);
        n += u32::from(len);
    }
    // The bytes past the text are spaces (none when all 16 are text).
    word |= SPACES.checked_shl(8 * n).unwrap_or(0);
    row[at..at + 16].copy_from_slice(&word.to_le_bytes());
    let colon = at + n as usize - 1;
    row[colon] = b':';
    let d = fmt::eight_digits(port.into());
    // The leading zeros are the low bytes; the units digit is kept even when 0.
    let skip = (d | 1 << 56).trailing_zeros() / 8;
    let d = d | u64::from_le_bytes([b'0'; 8]);
    let digits = (d >> (8 * skip)) | (SPACES as u64) << (8 * (8 - skip));
    row[colon + 1..colon + 9].copy_from_slice(&digits.to_le_bytes());
    colon + 1 + (8 - skip) as usize
}

impl Fixed {
    fn new(w: [usize; COLUMNS], text: [Text; COLUMNS]) -> Self {
        let region = w[..COLUMNS - 1].iter().sum::<usize>() + 2 * (COLUMNS - 1);
        Fixed {
            w,
            text,
            region,
            recent: [[None; SLOTS]; 2],
            scratch: Vec::new(),
        }
    }

    /// Appends `f`'s row (without its line's end) to `l`.
    fn write(&mut self, l: &mut Vec<u8>, f: &Brief<'_>) {
        let start = l.len();
        // Two more bytes for the durations' `µs` (a character of two bytes).
        l.resize(start + self.region + 2 + SLACK, b' ');
        let row = &mut l[start..];
        let w = self.w;
        let mut at = self.number(row, 0, 0, f.index.into());
        at = left(row, at, w[1], if f.tcp { b"TCP" } else { b"UDP" });
        for (side, end) in [(0, f.client), (1, f.server)] {
            at = self.endpoint(row, at, side, (end, f.tcp, f.guessed));
        }
        for (side, col) in [(0, 4), (1, 6)] {
            at = self.number(row, at, col, f.segments[side]);
            at = match f.retransmitted_bytes[side] {
                0 => self.number(row, at, col + 1, f.bytes[side]),
                r => {
                    self.scratch.clear();
                    push_bytes(&mut self.scratch, f.bytes[side], r);
                    right(row, at, w[col + 1], &self.scratch, Text::Ascii)
                }
            };
        }
        at = self.duration(row, at, 8, f.duration_ns);
        at = match (f.handshake_rtt_ns, f.handshake) {
            (Some(rtt), _) => self.duration(row, at, 9, rtt),
            (None, Some(hs)) if hs.retransmitted => {
                self.scratch.clear();
                push_hs(&mut self.scratch, f);
                right(row, at, w[9], &self.scratch, self.text[9])
            }
            _ => right(row, at, w[9], b"-", Text::Ascii),
        };
        at = if f.tcp {
            left(row, at, w[10], f.outcome.short().as_bytes())
        } else {
            self.scratch.clear();
            push_outcome(&mut self.scratch, f);
            left(row, at, w[10], &self.scratch)
        };
        l.truncate(start + at);
        match f.analysis_counts {
            Some(c) if c.iter().any(|&n| n > 0) => {
                l.extend_from_slice(analysis_cell(f, c).as_bytes());
            }
            _ => l.push(b'-'),
        }
    }

    /// Stores number cell `i` at `at` of `row`; where the next cell starts.
    #[inline(always)]
    fn number(&mut self, row: &mut [u8], at: usize, i: usize, n: u64) -> usize {
        let w = self.w[i];
        match u32::try_from(n) {
            Ok(n) if n < 100_000_000 && w <= 30 => {
                let (to, text) = right_word(n, w);
                row[at + to..at + to + 8].copy_from_slice(&text);
                at + w + 2
            }
            _ => {
                self.scratch.clear();
                fmt::push_u64(&mut self.scratch, n);
                right(row, at, w, &self.scratch, Text::Ascii)
            }
        }
    }

    /// Stores duration cell `i` at `at` of `row`: below a millisecond the microseconds stored
    /// as a number right-aligned before ` µs` (as [`push_duration`] writes them), otherwise
    /// [`push_duration`]'s text; where the next cell starts.
    #[inline(always)]
    fn duration(&mut self, row: &mut [u8], at: usize, i: usize, ns: u64) -> usize {
        const MICROS: &[u8] = " µs".as_bytes();
        let w = self.w[i];
        // A micro sign is two bytes and one character; the headers make `w` at least 6.
        match w.checked_sub(3) {
            Some(digits @ 1..=30) if ns < 1_000_000 => {
                let (to, text) = right_word((ns / 1000) as u32, digits);
                row[at + to..at + to + 8].copy_from_slice(&text);
                row[at + digits..at + digits + MICROS.len()].copy_from_slice(MICROS);
                at + w + 1 + 2
            }
            _ => {
                self.scratch.clear();
                push_duration(&mut self.scratch, ns);
                right(row, at, w, &self.scratch, self.text[i])
            }
        }
    }

    /// Stores endpoint cell `side` (client, server) at `at` of `row`, copied whole from
    /// [`Fixed::recent`] when it showed the same; where the next cell starts.
    fn endpoint(&mut self, row: &mut [u8], at: usize, side: usize, shown: Shown) -> usize {
        let next = at + self.w[2 + side] + 2;
        let kept = &mut self.recent[side][slot(shown.0)];
        if let Some((recent, cell)) = kept
            && *recent == shown
        {
            row[at..at + CACHED].copy_from_slice(cell);
            return next;
        }
        let ((ip, port), tcp, guessed) = shown;
        let proto = if tcp { Proto::Tcp } else { Proto::Udp };
        if let std::net::IpAddr::V4(a) = ip {
            let mut to = store_ipv4_port(row, at, a.octets(), port);
            let name = services::name(port, proto);
            if let Some(name) = name {
                row[to..to + 2].copy_from_slice(b" (");
                row[to + 2..to + 2 + name.len()].copy_from_slice(name.as_bytes());
                to += 2 + name.len();
                row[to] = b')';
                to += 1;
            }
            if guessed {
                row[to] = b'*';
            }
            // Kept when on a service's port (most often a server's, seen again): the cell then
            // spaces, as the later cells are not written yet. An ephemeral port is not.
            if name.is_some() && to - at <= CACHED {
                let mut cell = [0; CACHED];
                cell.copy_from_slice(&row[at..at + CACHED]);
                *kept = Some((shown, cell));
            }
            return next;
        }
        self.scratch.clear();
        push_shown(&mut self.scratch, shown);
        let len = self.scratch.len();
        if len <= CACHED {
            let mut cell = [b' '; CACHED];
            cell[..len].copy_from_slice(&self.scratch);
            row[at..at + CACHED].copy_from_slice(&cell);
            *kept = Some((shown, cell));
        } else {
            row[at..at + len].copy_from_slice(&self.scratch);
        }
        next
    }
}

/// Stores text cell `cell` left-aligned at `at` of `row`, in a column `w` characters wide;
/// where the next cell starts. ASCII only.
#[inline(always)]
fn left(row: &mut [u8], at: usize, w: usize, cell: &[u8]) -> usize {
    row[at..at + cell.len()].copy_from_slice(cell);
    at + w + 2
}

/// Stores `cell` right-aligned at `at` of `row`, in a column `w` characters wide, the cell's
/// width found as `text` says; where the next cell starts (further by the bytes that are not
/// characters).
#[inline(always)]
fn right(row: &mut [u8], at: usize, w: usize, cell: &[u8], text: Text) -> usize {
    let chars = match text {
        Text::Ascii => cell.len(),
        Text::Micros => cell.len() - usize::from(cell.ends_with("µs".as_bytes())),
        Text::Any => width(cell),
    };
    let end = at + w.max(chars) + (cell.len() - chars);
    row[end - cell.len()..end].copy_from_slice(cell);
    end + 2
}

/// Appends the cells of `f`'s row to `s`, calling `end.end(s, i, start)` after cell `i`,
/// which began at `start` (or `end`'s other methods for whole cells): the one place that
/// formats a row.
fn write_row(
    s: &mut Vec<u8>,
    f: &Brief<'_>,
    named: Option<&[Option<String>; 2]>,
    end: &mut impl CellEnd,
) {
    end.number(s, 0, f.index.into());
    cell(s, end, 1, |s| {
        s.extend_from_slice(if f.tcp { b"TCP" } else { b"UDP" });
    });
    for (side, at) in [(0, f.client), (1, f.server)] {
        match named.map(|n| &n[side]) {
            Some(Some(n)) => cell(s, end, 2 + side, |s| {
                s.extend_from_slice(n.as_bytes());
                s.push(b' ');
                push_shown(s, (at, f.tcp, f.guessed));
            }),
            _ => end.endpoint(s, 2 + side, (at, f.tcp, f.guessed)),
        }
    }
    for (side, at) in [(0, 4), (1, 6)] {
        end.number(s, at, f.segments[side]);
        match f.retransmitted_bytes[side] {
            0 => end.number(s, at + 1, f.bytes[side]),
            r => cell(s, end, at + 1, |s| push_bytes(s, f.bytes[side], r)),
        }
    }
    cell(s, end, 8, |s| push_duration(s, f.duration_ns));
    cell(s, end, 9, |s| push_hs(s, f));
    cell(s, end, 10, |s| push_outcome(s, f));
    cell(s, end, 11, |s| match f.analysis_counts {
        Some(c) if c.iter().any(|&n| n > 0) => {
            s.extend_from_slice(analysis_cell(f, c).as_bytes());
        }
        _ => s.push(b'-'),
    });
}

/// Cell `i`: what `push` writes, then `end`.
#[inline(always)]
fn cell(s: &mut Vec<u8>, end: &mut impl CellEnd, i: usize, push: impl FnOnce(&mut Vec<u8>)) {
    let start = s.len();
    push(s);
    end.end(s, i, start);
}

/// The outcome cell: TCP's short word, UDP's request/response pairs.
fn push_outcome(s: &mut Vec<u8>, f: &Brief<'_>) {
    if f.tcp {
        s.extend_from_slice(f.outcome.short().as_bytes());
    } else if f.udp_pairs > 0 {
        fmt::push_u64(s, f.udp_pairs);
        s.extend_from_slice(b" req/resp");
    } else {
        s.push(b'-');
    }
}

/// Decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Which of [`duration`]'s units (µs, ms, s) prints `ns`.
fn unit(ns: u64) -> usize {
    usize::from(ns >= 1_000_000) + usize::from(ns >= 1_000_000_000)
}

/// The widths of a table's columns, gathered a row at a time by [`Widths::add`] without
/// formatting the rows: what the first pass over a long table needs. A cell whose width never
/// shrinks as one number grows (a count; bytes without retransmissions; a duration within one
/// unit, whose rounded value grows with it) keeps only the largest number, measured once at
/// the end; other cells are counted as they come. The tests check this against the text.
#[derive(Default)]
struct Widths {
    /// The cells counted row by row.
    w: [usize; COLUMNS],
    index: u32,
    segments: [u64; 2],
    /// Byte totals of the rows with no retransmitted bytes on that side.
    bytes: [u64; 2],
    /// The longest duration and handshake RTT in each unit of [`duration`].
    durations: [[Option<u64>; 3]; 2],
    udp_pairs: u64,
}

impl Widths {
    fn add(&mut self, f: &Brief<'_>, named: Option<&[Option<String>; 2]>, scratch: &mut Vec<u8>) {
        let w = &mut self.w;
        let mark = usize::from(f.guessed);
        let proto = if f.tcp { Proto::Tcp } else { Proto::Udp };
        for (side, (ip, port)) in [(0, f.client), (1, f.server)] {
            let name = match named.map(|n| &n[side]) {
                Some(Some(n)) => n.chars().count() + 1,
                _ => 0,
            };
            let ip = match ip {
                // The octets' digits and dots, less the last dot.
                std::net::IpAddr::V4(a) => {
                    a.octets()
                        .map(|o| usize::from(fmt::IPV4_OCTETS[usize::from(o)].1))
                        .iter()
                        .sum::<usize>()
                        - 1
                }
                std::net::IpAddr::V6(a) => {
                    scratch.clear();
                    fmt::push_ipv6_std(scratch, &a.octets());
                    scratch.len() + 2
                }
            };
            // Service names are ASCII.
            let service = services::name(port, proto).map_or(0, |n| n.len() + 3);
            let cell = name + ip + 1 + digits(port.into()) + service + mark;
            w[2 + side] = w[2 + side].max(cell);
        }
        self.index = self.index.max(f.index);
        for side in 0..2 {
            self.segments[side] = self.segments[side].max(f.segments[side]);
            match f.retransmitted_bytes[side] {
                0 => self.bytes[side] = self.bytes[side].max(f.bytes[side]),
                r => {
                    let cell = digits(f.bytes[side]) + digits(r.into()) + 9;
                    w[5 + 2 * side] = w[5 + 2 * side].max(cell);
                }
            }
        }
        let d = &mut self.durations[0][unit(f.duration_ns)];
        *d = (*d).max(Some(f.duration_ns));
        match f.handshake_rtt_ns {
            Some(rtt) => {
                let d = &mut self.durations[1][unit(rtt)];
                *d = (*d).max(Some(rtt));
            }
            None => {
                scratch.clear();
                push_hs(scratch, f);
                w[9] = w[9].max(width(scratch));
            }
        }
        if f.tcp {
            // The short words are ASCII.
            w[10] = w[10].max(f.outcome.short().len());
        } else if f.udp_pairs > 0 {
            self.udp_pairs = self.udp_pairs.max(f.udp_pairs);
        } else {
            w[10] = w[10].max(1);
        }
    }

    /// The widths of two parts' rows together: each kept maximum the larger of the two.
    fn merge(self, o: Widths) -> Widths {
        let max2 = |a: [u64; 2], b: [u64; 2]| [a[0].max(b[0]), a[1].max(b[1])];
        let mut durations = self.durations;
        for (mine, theirs) in durations
            .iter_mut()
            .flatten()
            .zip(o.durations.iter().flatten())
        {
            *mine = (*mine).max(*theirs);
        }
        let mut w = self.w;
        for (mine, theirs) in w.iter_mut().zip(o.w) {
            *mine = (*mine).max(theirs);
        }
        Widths {
            w,
            index: self.index.max(o.index),
            segments: max2(self.segments, o.segments),
            bytes: max2(self.bytes, o.bytes),
            durations,
            udp_pairs: self.udp_pairs.max(o.udp_pairs),
        }
    }

    /// The width of each column over the rows added, at least `w`'s; the last column's is
    /// never used (not padded) and left as it is.
    fn columns(&self, mut w: [usize; COLUMNS], scratch: &mut Vec<u8>) -> [usize; COLUMNS] {
        let bytes = |b: u64| digits(b);
        let mut counted = self.w;
        counted[0] = digits(self.index.into());
        counted[1] = 3;
        counted[4] = digits(self.segments[0]);
        counted[5] = counted[5].max(bytes(self.bytes[0]));
        counted[6] = digits(self.segments[1]);
        counted[7] = counted[7].max(bytes(self.bytes[1]));
        for (col, longest) in [(8, self.durations[0]), (9, self.durations[1])] {
            for ns in longest.into_iter().flatten() {
                scratch.clear();
                push_duration(scratch, ns);
                counted[col] = counted[col].max(width(scratch));
            }
        }
        if self.udp_pairs > 0 {
            counted[10] = counted[10].max(digits(self.udp_pairs) + 9);
        }
        for (w, c) in w.iter_mut().zip(counted).take(COLUMNS - 1) {
            *w = (*w).max(c);
        }
        w
    }
}

/// Writes the table of the tracker's conversations.
pub fn write_table(out: &mut dyn Write, t: &Tracker, color: bool) -> io::Result<()> {
    write_named_table(out, t, color, &HashMap::new())
}

/// The table, each end preceded by the program holding it when `names` knows it.
pub fn write_named_table(
    out: &mut dyn Write,
    t: &Tracker,
    color: bool,
    names: &HashMap<u32, [Option<String>; 2]>,
) -> io::Result<()> {
    write_listed_table(out, t, color, names, &|_| true)
}

/// Bytes of rows gathered before they are written out together.
const CHUNK: usize = 1 << 16;

/// Which conversations (by number) a table lists; shared by the threads writing it.
type Listed<'a> = dyn Fn(u32) -> bool + Sync + 'a;

/// Conversations from which a table's passes are shared with a second thread: below, the
/// thread's start would cost more than it saves.
const PARALLEL_ROWS: usize = 16_384;

/// Conversations formatted at a time by each thread: a chunk's text (about 150 bytes a row)
/// is all that is held at once.
const CHUNK_ROWS: usize = 2048;

/// Ends the line begun at `start` of `s`: its trailing spaces cut, then a newline.
fn end_line(s: &mut Vec<u8>, start: usize) {
    s.truncate(start + trimmed_len(&s[start..]));
    s.push(b'\n');
}

/// What the first pass over a table finds: how many rows, of which TCP, which footnotes
/// apply, and the columns' widths.
#[derive(Default)]
struct Tally {
    rows: usize,
    tcp: usize,
    guessed: bool,
    retransmitted: bool,
    hs_retransmitted: bool,
    widths: Widths,
}

impl Tally {
    /// The tally of the listed conversations among `rows` of `t`'s order.
    fn of(
        t: &Tracker,
        names: &HashMap<u32, [Option<String>; 2]>,
        listed: &Listed<'_>,
        rows: std::ops::Range<usize>,
    ) -> Tally {
        let mut n = Tally::default();
        let mut scratch = Vec::new();
        let Ok(()) = t.try_for_each_brief_in(rows, |f| -> Result<(), Infallible> {
            if listed(f.index) {
                n.rows += 1;
                n.tcp += usize::from(f.tcp);
                n.guessed |= f.guessed;
                n.retransmitted |= f.retransmitted_bytes.iter().any(|&r| r > 0);
                n.hs_retransmitted |= f.handshake.is_some_and(|h| h.retransmitted);
                n.widths.add(f, named(names, f.index), &mut scratch);
            }
            Ok(())
        });
        n
    }

    /// The tally of two parts' rows together.
    fn merge(self, o: Tally) -> Tally {
        Tally {
            rows: self.rows + o.rows,
            tcp: self.tcp + o.tcp,
            guessed: self.guessed | o.guessed,
            retransmitted: self.retransmitted | o.retransmitted,
            hs_retransmitted: self.hs_retransmitted | o.hs_retransmitted,
            widths: self.widths.merge(o.widths),
        }
    }
}

/// `part` of the first half of `0..n` on this thread and of the second half on another, at
/// the same time; the results joined by `join` (first, second).
fn both_halves<R: Send>(
    n: usize,
    part: impl Fn(std::ops::Range<usize>) -> R + Sync,
    join: impl FnOnce(R, R) -> R,
) -> R {
    let mid = n / 2;
    std::thread::scope(|s| {
        let second = s.spawn(|| part(mid..n));
        let first = part(0..mid);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        join(first, second)
    })
}

/// Appends the listed rows among `rows` of `t`'s order to `l`, each ended.
fn fixed_rows(
    t: &Tracker,
    listed: &Listed<'_>,
    fixed: &mut Fixed,
    rows: std::ops::Range<usize>,
    l: &mut Vec<u8>,
) {
    let Ok(()) = t.try_for_each_brief_in(rows, |f| -> Result<(), Infallible> {
        if listed(f.index) {
            let start = l.len();
            fixed.write(l, f);
            end_line(l, start);
        }
        Ok(())
    });
}

/// Writes the rows of a table with no program names, `chunk` conversations at a time, on two
/// threads: while this one formats a chunk, a second formats the next; each chunk is written
/// as soon as those before it are. Each thread keeps its own [`Fixed`] (whose cache of recent
/// cells changes no text), so the rows are the same as one thread writes.
fn write_rows_in_two(
    out: &mut dyn Write,
    t: &Tracker,
    listed: &Listed<'_>,
    (w, text): ([usize; COLUMNS], [Text; COLUMNS]),
    chunk: usize,
) -> io::Result<()> {
    use std::sync::mpsc::sync_channel;
    let n = t.brief_rows();
    std::thread::scope(|s| {
        let (jobs, their_jobs) = sync_channel::<(std::ops::Range<usize>, Vec<u8>)>(1);
        let (their_done, done) = sync_channel::<Vec<u8>>(1);
        s.spawn(move || {
            let mut fixed = Fixed::new(w, text);
            for (rows, mut l) in their_jobs {
                l.clear();
                fixed_rows(t, listed, &mut fixed, rows, &mut l);
                if their_done.send(l).is_err() {
                    break;
                }
            }
        });
        let mut fixed = Fixed::new(w, text);
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at < n {
            let first = at..(at + chunk).min(n);
            let second = first.end..(first.end + chunk).min(n);
            at = second.end;
            let shared = !second.is_empty();
            if shared {
                // The other thread has ended only if it panicked; the scope passes that on.
                let _ = jobs.send((second, std::mem::take(&mut theirs)));
            }
            mine.clear();
            fixed_rows(t, listed, &mut fixed, first, &mut mine);
            out.write_all(&mine)?;
            if shared {
                let Ok(l) = done.recv() else { break };
                theirs = l;
                out.write_all(&theirs)?;
            }
        }
        Ok(())
    })
}

/// [`write_named_table`] of the conversations `listed` keeps (by number).
pub fn write_listed_table(
    out: &mut dyn Write,
    t: &Tracker,
    color: bool,
    names: &HashMap<u32, [Option<String>; 2]>,
    listed: &Listed<'_>,
) -> io::Result<()> {
    let head = [
        "#",
        "proto",
        "client",
        "server",
        "c→s pkts",
        "c→s bytes",
        "s→c pkts",
        "s→c bytes",
        "duration",
        "hs RTT",
        "outcome",
        "analysis",
    ];
    // Two passes over the conversations, each reading what the table prints straight from
    // the tracker's records: the first measures the columns without formatting the rows (see
    // [`Widths`]), the second formats each row once, padded as it goes, into a buffer written
    // out a chunk of rows at a time, so that the rows' text is never all kept. Rows are built
    // as bytes (every piece is UTF-8) and written as they are.
    // A long table's passes are each shared with a second thread: the first measures half of
    // the rows (the halves' maxima are merged), the second formats every other chunk of rows
    // (written in their order). What is written is the same as on one thread (a test compares
    // them).
    let all = t.brief_rows();
    let parallel = all >= PARALLEL_ROWS;
    let Tally {
        rows,
        tcp,
        guessed,
        retransmitted,
        hs_retransmitted,
        widths,
    } = match parallel {
        true => both_halves(all, |rows| Tally::of(t, names, listed, rows), Tally::merge),
        false => Tally::of(t, names, listed, 0..all),
    };
    if rows == 0 {
        return writeln!(out, "no TCP or UDP conversation in the capture");
    }
    let mut scratch = Vec::new();
    let w = widths.columns(head.map(|h| h.chars().count()), &mut scratch);
    // Each cell padded to its column's width as soon as it is written: numbers right-aligned,
    // text left-aligned; the last column is not padded.
    let mut head_pad = Padding::new(w, [Text::Any; COLUMNS]);
    let text = row_text(!names.is_empty(), hs_retransmitted);
    let mut pad = Padding::new(w, text);
    // Without program names every cell's width is known before it is written.
    let mut fixed = names.is_empty().then(|| Fixed::new(w, text));
    let mut l = Vec::with_capacity(CHUNK + 1024);
    for (i, h) in head.iter().enumerate() {
        let start = l.len();
        l.extend_from_slice(h.as_bytes());
        head_pad.end(&mut l, i, start);
    }
    end_line(&mut l, 0);
    if color {
        out.write_all(b"\x1b[1m")?;
        out.write_all(&l[..trimmed_len(&l)])?;
        out.write_all(b"\x1b[0m\n")?;
    } else {
        out.write_all(&l)?;
    }
    l.clear();
    match fixed {
        Some(_) if parallel => write_rows_in_two(out, t, listed, (w, text), CHUNK_ROWS)?,
        _ => {
            t.try_for_each_brief(|f| -> io::Result<()> {
                if !listed(f.index) {
                    return Ok(());
                }
                let start = l.len();
                match &mut fixed {
                    Some(fixed) => fixed.write(&mut l, f),
                    None => write_row(&mut l, f, named(names, f.index), &mut pad),
                }
                end_line(&mut l, start);
                if l.len() >= CHUNK {
                    out.write_all(&l)?;
                    l.clear();
                    pad.forget();
                }
                Ok(())
            })?;
            out.write_all(&l)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} conversation{}: {tcp} TCP, {} UDP · bytes are payload bytes · hs RTT: SYN to the ACK that completes the handshake",
        rows,
        if rows == 1 { "" } else { "s" },
        rows - tcp
    )?;
    if retransmitted {
        writeln!(
            out,
            "bytes include retransmitted ones; (N retr.): how many of them were retransmitted"
        )?;
    }
    if hs_retransmitted {
        writeln!(
            out,
            "no sample (retr.): a SYN or SYN-ACK was retransmitted, so the handshake gives no RTT sample (Karn's rule, RFC 6298 §3); its duration and segments instead"
        )?;
    }
    if guessed {
        writeln!(
            out,
            "* roles guessed: no handshake seen, the server is taken to be on the service port (or the first receiver)"
        )?;
    }
    if t.dropped_summaries() > 0 {
        writeln!(
            out,
            "{} older conversations were dropped to bound memory",
            t.dropped_summaries()
        )?;
    }
    Ok(())
}

/// Characters in `b`, UTF-8 text: its bytes that do not continue a character.
fn width(b: &[u8]) -> usize {
    if b.is_ascii() {
        return b.len();
    }
    b.iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

/// Appends `n` spaces; up to 32 with one fixed-size store cut back (no `memset` call).
fn push_spaces(s: &mut Vec<u8>, n: usize) {
    let end = s.len() + n;
    if n <= 32 {
        s.extend_from_slice(&[b' '; 32]);
        s.truncate(end);
    } else {
        s.resize(end, b' ');
    }
}

/// What a column's cells may hold, which tells their width in characters.
#[derive(Clone, Copy, Debug)]
enum Text {
    /// ASCII only: a cell's width is its length.
    Ascii,
    /// ASCII but for a last `µs` (a duration): a character less than its length then.
    Micros,
    /// Any UTF-8 text: its characters counted.
    Any,
}

/// What the rows' cells hold ([`Text`]): all ASCII but durations' `µs`, program names before
/// endpoints when `named`, and with `hs_retransmitted` a handshake's duration within its cell.
fn row_text(named: bool, hs_retransmitted: bool) -> [Text; COLUMNS] {
    let mut text = [Text::Ascii; COLUMNS];
    if named {
        text[2..4].fill(Text::Any);
    }
    text[8] = Text::Micros;
    text[9] = if hs_retransmitted {
        Text::Any
    } else {
        Text::Micros
    };
    text
}

/// Pads cell `i`, written from `start`, to its column's width `w[i]` and separates it from
/// the next; the last column is not padded. The cell's width is found as `text` says. A
/// right-aligned cell of at most 30 bytes moves by fixed-size copies (a few vector stores, no `memmove` or `memset` call): after 64 spaces
/// are appended, the 32 bytes from `start` are the cell then spaces, and are stored again `n`
/// bytes later over 32 spaces.
#[inline(always)]
fn pad_cell(s: &mut Vec<u8>, w: &[usize; COLUMNS], i: usize, start: usize, text: Text) {
    if i == COLUMNS - 1 {
        return;
    }
    let len = s.len();
    let chars = match text {
        Text::Ascii => len - start,
        Text::Micros => len - start - usize::from(s[start..].ends_with("µs".as_bytes())),
        Text::Any => width(&s[start..]),
    };
    let n = w[i].saturating_sub(chars);
    let end = len + n + 2;
    if RIGHT[i] && n > 0 {
        if len - start <= 30 && n <= 32 {
            s.extend_from_slice(&[b' '; 64]);
            let mut cell = [0; 32];
            cell.copy_from_slice(&s[start..start + 32]);
            s[start..start + 32].copy_from_slice(&[b' '; 32]);
            s[start + n..start + n + 32].copy_from_slice(&cell);
        } else {
            s.resize(end, b' ');
            s[start..end - 2].rotate_right(n);
        }
    } else {
        push_spaces(s, n + 2);
    }
    s.truncate(end);
}

/// The length of UTF-8 text `b` without its trailing white space (as `str::trim_end`).
fn trimmed_len(b: &[u8]) -> usize {
    match b.last() {
        Some(&c) if c.is_ascii() && !char::from(c).is_whitespace() => b.len(),
        _ => std::str::from_utf8(b).map_or(b.len(), |s| s.trim_end().len()),
    }
}

/// One line per conversation, as the ladder titles them (for `ladder --list`-like uses).
pub fn titles(t: &Tracker) -> Vec<String> {
    t.summaries()
        .map(|f| format!("#{} {}", f.index, title(&f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::Flow;

    /// The integer path of the duration cell prints what `duration` prints, around every
    /// unit's limits and rounding midpoints.
    #[test]
    fn push_duration_agrees_with_duration() {
        let mut values = vec![0, 1, 999, 1000, 999_999, 1_000_000, 999_999_999, u64::MAX];
        for base in [
            1_000_000u64,
            1_000_000_000,
            999_000_000,
            999_999_000_000,
            1_000_000_000_000,
        ] {
            for k in 0..2000u64 {
                values.push(base + k * 7919 % 3_000_000);
                values.push(base + k * 500);
                values.push((base + k * 500_000).saturating_sub(1));
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x % 2_000_000_000_000) >> (x % 40));
        }
        let mut s = Vec::new();
        for ns in values {
            s.clear();
            push_duration(&mut s, ns);
            assert_eq!(String::from_utf8_lossy(&s), duration(ns), "{ns} ns");
        }
    }

    /// The widths of the cells [`write_row`] writes for `f`, measured on the text.
    fn formatted_widths(f: &Brief<'_>, named: Option<&[Option<String>; 2]>) -> [usize; COLUMNS] {
        let w = std::cell::Cell::new([0; COLUMNS]);
        let mut s = Vec::new();
        write_row(
            &mut s,
            f,
            named,
            &mut |s: &mut Vec<u8>, i: usize, start: usize| {
                let mut v = w.get();
                v[i] = std::str::from_utf8(&s[start..]).unwrap().chars().count();
                w.set(v);
            },
        );
        let mut v = w.get();
        v[COLUMNS - 1] = 0;
        v
    }

    /// The widths [`Widths`] finds for `rows`.
    fn measure(rows: &[(Brief<'_>, Option<&[Option<String>; 2]>)]) -> [usize; COLUMNS] {
        let (mut w, mut scratch) = (Widths::default(), Vec::new());
        for (f, named) in rows {
            w.add(f, *named, &mut scratch);
        }
        w.columns([0; COLUMNS], &mut scratch)
    }

    /// Summaries of every conversation of every bundled capture, and edge rows made from them:
    /// IPv6 and long IPv4 addresses, service and ephemeral ports, retransmitted bytes, large
    /// numbers, durations and RTTs around their units' limits.
    fn sample_flows() -> Vec<Flow> {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let mut flows = Vec::new();
        for p in &crate::track::tests::bundled_captures() {
            let mut t = Tracker::with_limits(Limits::records());
            let mut src = crate::source::FileSource::open(p).unwrap();
            while let Ok(Some(fr)) = crate::source::Source::next_frame(&mut src) {
                t.observe(&crate::decode::decode(&fr));
            }
            flows.extend(t.summaries().map(|f| f.into_owned()));
        }
        assert!(flows.len() > 20);
        let addrs: [IpAddr; 5] = [
            Ipv4Addr::new(255, 255, 255, 255).into(),
            Ipv4Addr::new(0, 0, 0, 0).into(),
            Ipv4Addr::new(10, 99, 100, 9).into(),
            Ipv6Addr::LOCALHOST.into(),
            "2001:db8:0:1:1:1:1:1".parse::<Ipv6Addr>().unwrap().into(),
        ];
        let times = [
            0,
            999_999,
            999_999_499,
            999_999_500,
            9_999_999,
            999_999_999_999,
            1_000_000_000_000,
            u64::MAX / 4,
        ];
        let mut edges = Vec::new();
        for (k, f) in flows.iter().enumerate() {
            let mut edge = f.clone();
            edge.index = [0, 9, 10, 99_999, u32::MAX][k % 5];
            edge.client = (addrs[k % 5], [0, 80, 53, 65535, 1024][k % 5]);
            edge.server = (addrs[(k + 2) % 5], [443, 9, 5353, 10_000, 22][k % 5]);
            edge.sides[0].retransmitted_bytes = [0, 1, 1448, u32::MAX][k % 4];
            edge.sides[1].bytes = [0, 9, 10, u64::MAX][k % 4];
            edge.sides[1].segments = [1, 99, 100, u64::MAX][k % 4];
            edge.udp_pairs = [0, 1, 12345][k % 3];
            let ns = times[k % times.len()];
            edge.last_ts = crate::source::Timestamp::new(
                edge.first_ts.sec + (ns / 1_000_000_000) as i64,
                edge.first_ts.nsec,
            );
            edge.last_ts.nsec += (ns % 1_000_000_000) as u32;
            edge.handshake_rtt_ns = [None, Some(times[(k + 3) % times.len()])][k % 2];
            edges.push(edge);
        }
        flows.extend(edges);
        flows
    }

    /// [`Widths`] counts what [`write_row`] writes, for each row of [`sample_flows`] alone
    /// with program names (non-ASCII too) or none, and for runs of them together.
    #[test]
    fn measure_agrees_with_write_row() {
        let flows = sample_flows();
        let names = [
            None,
            Some([Some("curl".to_string()), None]),
            Some([Some("nginx: wörker".to_string()), Some("ß".to_string())]),
        ];
        let mut n = 0;
        for f in &flows {
            let f = Brief::of(f);
            for named in &names {
                let named = named.as_ref();
                assert_eq!(
                    measure(&[(f, named)]),
                    formatted_widths(&f, named),
                    "{f:?} {named:?}"
                );
                n += 1;
            }
        }
        assert!(n > 100);
        // Runs of rows: the widest cell of each column, whichever rows hold them.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in (1..200).step_by(7) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let rows: Vec<_> = (0..len)
                .map(|k| {
                    let i = (x as usize).wrapping_add(k * 7919) % flows.len();
                    (Brief::of(&flows[i]), names[(i + k) % 3].as_ref())
                })
                .collect();
            let mut most = [0; COLUMNS];
            for (f, named) in &rows {
                for (m, w) in most.iter_mut().zip(formatted_widths(f, *named)) {
                    *m = (*m).max(w);
                }
            }
            assert_eq!(measure(&rows), most, "{len} rows");
        }
    }

    /// Rows padded by [`Padding`] (its whole number and endpoint cells, endpoints repeated
    /// from the row before), and without program names rows stored in place by [`Fixed`],
    /// equal rows padded cell by cell the general way.
    #[test]
    fn padding_agrees_with_padding_each_cell() {
        let flows = sample_flows();
        let mut rows: Vec<_> = flows.iter().map(Brief::of).collect();
        // Runs of rows with the same server, or the same client.
        let n = rows.len();
        for k in 0..n {
            let mut r = rows[k];
            r.server = rows[(k + 1) % n].server;
            r.tcp = rows[(k + 1) % n].tcp;
            rows.push(r);
            r.client = rows[k / 2].client;
            rows.push(r);
        }
        let names = Some([Some("nginx: wörker".to_string()), None]);
        // The whole table (wide columns), the conversations of the captures (narrower), each
        // alone (columns as narrow as its cells); with program names or none.
        let captured = flows.len() / 2;
        let mut tables = vec![rows.clone(), rows[..captured].to_vec()];
        tables.extend(rows[..captured].iter().map(|r| vec![*r]));
        for (rows, named) in tables.iter().flat_map(|t| [(t, None), (t, names.as_ref())]) {
            let mut widths = Widths::default();
            let mut scratch = Vec::new();
            for r in rows {
                widths.add(r, named, &mut scratch);
            }
            let w = widths.columns([0; COLUMNS], &mut scratch);
            let hs_retransmitted = rows
                .iter()
                .any(|r| r.handshake.is_some_and(|h| h.retransmitted));
            let text = row_text(named.is_some(), hs_retransmitted);
            let mut pad = Padding::new(w, text);
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            // Rows stored in place, one after another with no line's end between them.
            let (mut fixed, mut stored) = (Fixed::new(w, text), Vec::new());
            for (k, r) in rows.iter().enumerate() {
                if k % 17 == 0 {
                    fast.clear();
                    general.clear();
                    pad.forget();
                }
                write_row(&mut fast, r, named, &mut pad);
                write_row(&mut general, r, named, &mut |s: &mut Vec<u8>, i, start| {
                    pad_cell(s, &w, i, start, Text::Any)
                });
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&general),
                    "{r:?}"
                );
                if named.is_none() {
                    let start = stored.len();
                    fixed.write(&mut stored, r);
                    let row = start..stored.len();
                    // The general row ends with the last cell, written as it is.
                    let from = general.len() - (row.len());
                    assert_eq!(
                        String::from_utf8_lossy(&stored[row]),
                        String::from_utf8_lossy(&general[from..]),
                        "{r:?}"
                    );
                }
            }
        }
    }

    /// The shared IPv4 writer gives std's text, for every value of every octet.
    #[test]
    fn push_ipv4_agrees_with_std() {
        let (mut a, mut b) = (vec![b'x'], vec![b'x']);
        for o in 0..=255u8 {
            for at in 0..4 {
                let mut octets = [1, 22, 255, 0];
                octets[at] = o;
                for (k, v) in octets.iter_mut().enumerate() {
                    *v = v.wrapping_add(o.wrapping_mul(k as u8 * 37));
                }
                a.truncate(1);
                b.truncate(1);
                fmt::push_ipv4(&mut a, octets);
                b.extend_from_slice(std::net::Ipv4Addr::from(octets).to_string().as_bytes());
                assert_eq!(a, b, "{octets:?}");
            }
        }
    }

    /// An IPv4 endpoint stored in place is the endpoint's text followed by spaces, for every
    /// octet value and ports of each number of digits (with no service name).
    #[test]
    fn store_ipv4_port_agrees_with_push_endpoint() {
        let (mut text, mut n) = (Vec::new(), 0);
        for o in 0..=255u8 {
            let ports = [
                0, 1, 8, 10, 99, 100, 1024, 4321, 9999, 10_000, 49_152, 65_535,
            ];
            // Those with a service name are written the general way.
            for port in ports
                .into_iter()
                .filter(|&p| services::name(p, Proto::Tcp).is_none())
            {
                let a = [o, o.wrapping_mul(7), 255 - o, o / 3];
                let mut row = [b' '; 40];
                let end = store_ipv4_port(&mut row, 3, a, port);
                text.clear();
                let ip = std::net::Ipv4Addr::from(a).into();
                push_endpoint(&mut text, Proto::Tcp, (ip, port));
                let mut want = [b' '; 40];
                want[3..3 + text.len()].copy_from_slice(&text);
                assert_eq!((row, end), (want, 3 + text.len()), "{a:?}:{port}");
                n += 1;
            }
        }
        assert!(n > 256 * 8, "{n}");
    }

    #[test]
    fn width_and_trim_agree_with_str() {
        for t in [
            "",
            "a",
            "µs  ",
            "18 µs",
            "x \u{0b}",
            " \u{a0}",
            "ab\u{2003}",
        ] {
            assert_eq!(width(t.as_bytes()), t.chars().count(), "{t:?}");
            assert_eq!(trimmed_len(t.as_bytes()), t.trim_end().len(), "{t:?}");
        }
    }
}

#[cfg(test)]
mod retire_tests {
    use super::*;
    use crate::source::{FileSource, Source};

    /// The table printed once every live conversation is retired to its record equals the
    /// table printed from their live states, whole and listed (every other conversation), for
    /// every bundled capture, also with few conversations followed at once.
    #[test]
    fn the_table_is_the_same_from_retired_records() {
        let tables = |t: &Tracker| {
            let (mut whole, mut listed) = (Vec::new(), Vec::new());
            write_table(&mut whole, t, false).unwrap();
            let odd = |i: u32| i % 2 == 1;
            write_listed_table(&mut listed, t, false, &HashMap::new(), &odd).unwrap();
            (whole, listed)
        };
        for p in &crate::track::tests::bundled_captures() {
            for live in [2, 100_000] {
                let mut t = Tracker::with_limits(Limits {
                    live,
                    notes: false,
                    ..Limits::records()
                });
                let mut src = FileSource::open(p).unwrap();
                while let Ok(Some(f)) = src.next_frame() {
                    t.observe_brief(&crate::decode::decode(&f));
                }
                assert!(t.live_flows() > 0, "{p}");
                let before = tables(&t);
                t.retire_live();
                assert_eq!(t.live_flows(), 0, "{p}");
                assert_eq!(tables(&t), before, "{p}, live {live}");
            }
        }
    }

    /// The passes shared with a second thread write what one thread writes: the halves'
    /// tally merged equals the whole's, and rows formatted in alternating chunks (of one, two
    /// and seven rows, so that every split and a short last chunk occur) equal the rows
    /// written in one go, whole and listed, with some conversations still live and none.
    #[test]
    fn two_threads_write_what_one_writes() {
        let no_names = HashMap::new();
        let all = |_: u32| true;
        let odd = |i: u32| i % 2 == 1;
        for p in &crate::track::tests::bundled_captures() {
            let mut t = Tracker::with_limits(Limits {
                notes: false,
                ..Limits::records()
            });
            let mut src = FileSource::open(p).unwrap();
            while let Ok(Some(f)) = src.next_frame() {
                t.observe_brief(&crate::decode::decode(&f));
            }
            for retired in [false, true] {
                if retired {
                    t.retire_live();
                }
                let n = t.brief_rows();
                for listed in [&all as &Listed<'_>, &odd] {
                    let one = Tally::of(&t, &no_names, listed, 0..n);
                    let two = both_halves(n, |r| Tally::of(&t, &no_names, listed, r), Tally::merge);
                    assert_eq!((one.rows, one.tcp), (two.rows, two.tcp), "{p}");
                    let flags = |x: &Tally| (x.guessed, x.retransmitted, x.hs_retransmitted);
                    assert_eq!(flags(&one), flags(&two), "{p}");
                    let mut scratch = Vec::new();
                    let w = one.widths.columns([0; COLUMNS], &mut scratch);
                    assert_eq!(w, two.widths.columns([0; COLUMNS], &mut scratch), "{p}");
                    let text = row_text(false, one.hs_retransmitted);
                    let mut alone = Vec::new();
                    fixed_rows(&t, listed, &mut Fixed::new(w, text), 0..n, &mut alone);
                    for chunk in [1, 2, 7] {
                        let mut shared = Vec::new();
                        write_rows_in_two(&mut shared, &t, listed, (w, text), chunk).unwrap();
                        assert_eq!(shared, alone, "{p}, chunks of {chunk}, retired {retired}");
                    }
                }
            }
        }
    }
}
