//! The default view, designed for learners: one aligned line per packet with the time since the
//! first packet, `src:port → dst:port`, flags spelled out (SYN, SYN-ACK, PSH-ACK …), relative
//! seq/ack, the payload length with a short preview, and a short note where the packet teaches
//! something (the handshake, a refused connection, a FIN, an ICMP error).
//!
//! Colour (only when asked for): one colour per direction of a conversation, flags in bold,
//! notes dimmed, cut-short markers in red.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::net::IpAddr;

use super::fmt::{push_ipv4, push_ipv6_std, push_padded, push_u64, push_u64_width};
use super::tcpdump::Mac;
use super::text_cache::{self, TextCache};
use super::{PacketContext, Renderer};
use crate::decode::quoted::{Quoted, icmp_quote};
use crate::decode::{
    IcmpSummary, Link, Net, Packet, StopKind, TcpFlags, TcpOption, TcpSummary, Transport, names,
    proto,
};
use crate::services::{self, Proto};
use crate::source::Timestamp;
use crate::track::Dir;

use super::time::TimeFormatter;

/// Column widths (in characters) of the aligned part of the line. The columns marked as
/// growing start at this width and widen (never narrow) when a longer cell comes by, so a
/// capture of short loopback addresses stays compact and a later IPv6 address still aligns.
mod width {
    pub const TIME: usize = 9;
    pub const ENDPOINTS: usize = 36;
    pub const PROTO: usize = 5;
    pub const FLAGS: usize = 7;
    pub const SEQ: usize = 8;
    pub const ACK: usize = 6;
    pub const WIN: usize = 9;
    /// Growing columns stop growing here.
    pub const MAX: usize = 64;
}

/// Indexes of the growing columns in [`LearnerRenderer::widths`].
#[derive(Clone, Copy)]
enum Col {
    Endpoints = 0,
    Seq = 1,
    Ack = 2,
    Win = 3,
    Flags = 4,
}

/// How many payload characters the preview shows.
const PREVIEW: usize = 24;

/// SGR codes (ECMA-48) for each part of the line.
mod sgr {
    pub const TO_SERVER: &str = "\x1b[36m";
    pub const TO_CLIENT: &str = "\x1b[33m";
    pub const OTHER: &str = "\x1b[34m";
    pub const BOLD: &str = "\x1b[1m";
    pub const DIM: &str = "\x1b[2m";
    pub const RED: &str = "\x1b[31m";
    pub const RESET: &str = "\x1b[0m";
}

/// Flags in a learner's order, ACK last ("SYN-ACK", "FIN-ACK"); names from `FLAG_TABLE`.
const FLAG_ORDER: [u16; 9] = [
    TcpFlags::SYN,
    TcpFlags::FIN,
    TcpFlags::RST,
    TcpFlags::PSH,
    TcpFlags::URG,
    TcpFlags::ECE,
    TcpFlags::CWR,
    TcpFlags::AE,
    TcpFlags::ACK,
];

/// Writes TCP flags the way a learner reads them: `SYN`, `SYN-ACK`, `PSH-ACK`, `RST`, `none`.
pub fn write_flag_names(out: &mut dyn fmt::Write, flags: TcpFlags) -> fmt::Result {
    let mut first = true;
    for bit in FLAG_ORDER {
        if flags.has(bit) {
            if !first {
                out.write_char('-')?;
            }
            out.write_str(TcpFlags::name_of(bit))?;
            first = false;
        }
    }
    if first {
        out.write_str("none")?;
    }
    Ok(())
}

/// Appends TCP flags as [`write_flag_names`] spells them.
pub fn push_flag_names(buf: &mut Vec<u8>, flags: TcpFlags) {
    // The combinations nearly every segment carries, spelled out ahead of the loop (the same
    // text it writes: FLAG_ORDER's order, ACK last).
    const F: u16 = TcpFlags::FIN;
    const S: u16 = TcpFlags::SYN;
    const R: u16 = TcpFlags::RST;
    const P: u16 = TcpFlags::PSH;
    const A: u16 = TcpFlags::ACK;
    /// A name in 16 bytes, and its length: stored in one go, then cut back.
    const fn room(name: &str) -> ([u8; 16], usize) {
        let (b, mut r, mut i) = (name.as_bytes(), [0u8; 16], 0);
        while i < b.len() {
            r[i] = b[i];
            i += 1;
        }
        (r, b.len())
    }
    static COMMON: [([u8; 16], usize); 8] = [
        room("ACK"),
        room("PSH-ACK"),
        room("SYN"),
        room("SYN-ACK"),
        room("FIN-ACK"),
        room("FIN-PSH-ACK"),
        room("RST"),
        room("RST-ACK"),
    ];
    let common = match flags.0 {
        A => Some(0),
        x if x == P | A => Some(1),
        S => Some(2),
        x if x == S | A => Some(3),
        x if x == F | A => Some(4),
        x if x == F | P | A => Some(5),
        R => Some(6),
        x if x == R | A => Some(7),
        _ => None,
    };
    if let Some(i) = common {
        let (name, len) = &COMMON[i];
        let start = buf.len();
        buf.extend_from_slice(name);
        buf.truncate(start + len);
        return;
    }
    let mut first = true;
    for bit in FLAG_ORDER {
        if flags.has(bit) {
            if !first {
                buf.push(b'-');
            }
            buf.extend_from_slice(TcpFlags::name_of(bit).as_bytes());
            first = false;
        }
    }
    if first {
        buf.extend_from_slice(b"none");
    }
}

/// Writes a short printable preview of a payload in double quotes, escaping `\r`, `\n`, `\t`,
/// `"` and `\`, with `.` for other bytes that are not printable ASCII and `…` when cut.
pub fn write_preview(out: &mut dyn fmt::Write, payload: &[u8], max: usize) -> fmt::Result {
    out.write_char('"')?;
    for &b in payload.iter().take(max) {
        match b {
            b'\r' => out.write_str("\\r")?,
            b'\n' => out.write_str("\\n")?,
            b'\t' => out.write_str("\\t")?,
            b'"' => out.write_str("\\\"")?,
            b'\\' => out.write_str("\\\\")?,
            0x20..=0x7e => out.write_char(b as char)?,
            _ => out.write_char('.')?,
        }
    }
    out.write_char('"')?;
    if payload.len() > max {
        out.write_char('…')?;
    }
    Ok(())
}

/// Printable ASCII that a preview shows as it is.
#[inline]
fn plain(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'
}

/// Whether every byte of `b` is [`plain`]: a word at a time, with the exact tests for "some
/// byte below n", "some byte above n" and "some zero byte" (Anderson, "Bit Twiddling Hacks":
/// the borrow or carry of a byte that fails can only flag another byte when one already
/// failed).
#[inline]
fn all_plain(b: &[u8; PREVIEW]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    let mut bad = 0;
    for c in b.chunks_exact(8) {
        let x = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        bad |= x.wrapping_sub(ONES * 0x20) & !x & HIGH; // below 0x20
        bad |= (x.wrapping_add(ONES) | x) & HIGH; // above 0x7e
        bad |= zero_byte(x ^ (ONES * u64::from(b'"')));
        bad |= zero_byte(x ^ (ONES * u64::from(b'\\')));
    }
    bad == 0
}

/// Appends a preview as [`write_preview`] writes it.
#[inline]
pub fn push_preview(s: &mut Vec<u8>, payload: &[u8], max: usize) {
    // The usual case: the learner's preview, a payload longer than it, all plain text. One
    // fixed-size check and copy.
    if max == PREVIEW
        && let Some(head) = payload.first_chunk::<PREVIEW>()
        && all_plain(head)
    {
        s.push(b'"');
        s.extend_from_slice(head);
        s.push(b'"');
        if payload.len() > max {
            s.push_str("…");
        }
        return;
    }
    push_preview_escaped(s, payload, max);
}

/// [`push_preview`] of any payload.
fn push_preview_escaped(s: &mut Vec<u8>, payload: &[u8], max: usize) {
    s.push(b'"');
    let mut rest = &payload[..payload.len().min(max)];
    // Runs of printable ASCII that need no escape are copied in one go.
    while !rest.is_empty() {
        let n = rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
        s.extend_from_slice(&rest[..n]);
        let Some(&b) = rest.get(n) else { break };
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            _ => s.push(b'.'),
        }
        rest = &rest[n + 1..];
    }
    s.push(b'"');
    if payload.len() > max {
        s.push_str("…");
    }
}

/// An address and port as a learner writes them: `127.0.0.1:7`, `[::1]:7`.
pub struct Endpoint(pub IpAddr, pub u16);

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.1),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.1),
        }
    }
}

/// What the view remembers about a conversation, for its notes.
#[derive(Clone, Copy, Debug, Default)]
struct FlowNotes {
    syn: bool,
    syn_ack: bool,
    established: bool,
    /// FIN seen from [client, server].
    fin: [bool; 2],
    closed: bool,
    /// Highest relative ack sent by [client, server].
    acked: [u32; 2],
    /// Datagrams seen from [client, server] (UDP).
    datagrams: [u64; 2],
}

/// The learner renderer.
pub struct LearnerRenderer {
    color: bool,
    /// `-S`: show absolute sequence numbers beside relative ones.
    absolute: bool,
    /// A tcpdump time style asked for with `-t…`; by default the time since the first packet.
    time: Option<TimeFormatter>,
    first: Option<Timestamp>,
    flows: HashMap<u32, FlowNotes, foldhash::fast::RandomState>,
    /// The line being built, reused for every packet.
    line: Vec<u8>,
    /// The note of the line being built, written last.
    note: Vec<u8>,
    /// Current widths of the growing columns ([`Col`]).
    widths: [usize; 5],
    /// The width every line keeps to, when there is one ([`LearnerRenderer::fit`]).
    fit: Option<usize>,
    /// The text of recently shown endpoints.
    endpoints: TextCache,
    /// The text of recently shown endpoints cells.
    cells: Cells,
}

impl LearnerRenderer {
    /// `time`: `None` for seconds since the first packet (the default), or a tcpdump style.
    pub fn new(color: bool, absolute: bool, time: Option<TimeFormatter>) -> Self {
        LearnerRenderer {
            color,
            absolute,
            time,
            first: None,
            flows: HashMap::default(),
            line: Vec::with_capacity(256),
            note: Vec::with_capacity(128),
            widths: [
                width::ENDPOINTS,
                width::SEQ,
                width::ACK,
                width::WIN,
                width::FLAGS,
            ],
            fit: None,
            endpoints: TextCache::default(),
            cells: Cells::default(),
        }
    }

    /// Keeps every line within `width` columns (a terminal's): the endpoints' column starts as
    /// narrow as its cells, the window is left out unless it is zero, TCP options are left out except
    /// SACK blocks (the ladder and `-v` show them), and what still does not fit is cut,
    /// marked with `…`. Each packet stays on one row.
    pub fn fit(mut self, width: Option<usize>) -> Self {
        self.fit = width;
        if width.is_some() {
            self.widths[Col::Endpoints as usize] = 0;
        }
        self
    }
}

/// Cuts `s` (a line without its newline, maybe with SGR codes) to `w` visible characters, the
/// last one `…` when something was cut; colour is reset after the cut.
fn cut_visible(s: &mut Vec<u8>, w: usize, color: bool) {
    if char_count(s) <= w {
        return;
    }
    let (mut seen, mut i, mut in_sgr) = (0, 0, false);
    while i < s.len() {
        let b = s[i];
        if in_sgr {
            in_sgr = !b.is_ascii_alphabetic();
        } else if b == 0x1b {
            in_sgr = true;
        } else if (b as i8) >= -0x40 {
            if seen == w.saturating_sub(1) {
                break;
            }
            seen += 1;
        }
        i += 1;
    }
    s.truncate(i);
    s.push_str("…");
    if color {
        s.push_str(sgr::RESET);
    }
}

/// What the view remembers of a conversation just before one of its packets, as far as that
/// packet's line depends on it: what [`LearnerRenderer::memo`] takes and
/// [`LearnerRenderer::recall`] gives back, so that a view drawing a packet without those before
/// it (the terminal explorer) writes the note `replay` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memo {
    /// SYN, SYN-ACK, established, FIN from the client, FIN from the server, closed (bits 0–5),
    /// then the datagrams seen from the client and from the server, 2 bits each, at most 3
    /// (the notes only ask whether there were none or one).
    pub bits: u16,
    /// The highest relative ack the packet's sender had sent.
    pub acked: u32,
}

impl LearnerRenderer {
    /// What the view remembers of conversation `flow` before a packet going `dir`.
    pub fn memo(&self, flow: u32, dir: Dir) -> Memo {
        let Some(n) = self.flows.get(&flow) else {
            return Memo::default();
        };
        let flags = [
            n.syn,
            n.syn_ack,
            n.established,
            n.fin[0],
            n.fin[1],
            n.closed,
        ];
        let mut bits = flags
            .iter()
            .enumerate()
            .fold(0u16, |b, (i, &f)| b | (u16::from(f) << i));
        for (k, &d) in n.datagrams.iter().enumerate() {
            bits |= (d.min(3) as u16) << (6 + 2 * k);
        }
        Memo {
            bits,
            acked: n.acked[(dir == Dir::ToClient) as usize],
        }
    }

    /// Makes the view remember conversation `flow` as `m` says, before a packet going `dir`.
    pub fn recall(&mut self, flow: u32, dir: Dir, m: Memo) {
        let bit = |i: u32| m.bits & (1 << i) != 0;
        let mut acked = [0; 2];
        acked[(dir == Dir::ToClient) as usize] = m.acked;
        let n = FlowNotes {
            syn: bit(0),
            syn_ack: bit(1),
            established: bit(2),
            fin: [bit(3), bit(4)],
            closed: bit(5),
            acked,
            datagrams: [u64::from(m.bits >> 6 & 3), u64::from(m.bits >> 8 & 3)],
        };
        self.flows.insert(flow, n);
    }
}

/// Builds one line: cells padded to their column width, colour codes not counted.
struct Line<'a> {
    s: &'a mut Vec<u8>,
    note: &'a mut Vec<u8>,
    widths: &'a mut [usize; 5],
    color: bool,
    fit: Option<usize>,
}

/// The bytes of `→` past its first: an endpoints cell is as wide as its bytes less these.
const ARROW_WIDE_BYTES: usize = "→".len() - 1;

/// Spaces for padding, copied in one go.
const SPACES: &str = "                                                                ";

/// Appends `n` spaces. Up to 16 (nearly every pad) as one fixed-size store cut back: a
/// variable-length copy of spaces becomes a `memset` call, which costs more than the pad.
#[inline]
fn pad(s: &mut Vec<u8>, mut n: usize) {
    if n <= 16 {
        let start = s.len();
        s.extend_from_slice(&[b' '; 16]);
        s.truncate(start + n);
        return;
    }
    while n > 0 {
        let k = n.min(SPACES.len());
        s.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// The number of characters in UTF-8 text: the bytes that do not continue a character
/// (continuation bytes are 0b10xxxxxx). Eight bytes at a time: a cell is counted per packet.
fn char_count(b: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut continuing = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // Bit 7 set and bit 6 clear, in each byte.
        continuing += (w & !(w << 1) & HIGH).count_ones() as usize;
    }
    continuing += chunks
        .remainder()
        .iter()
        .filter(|&&c| c & 0xc0 == 0x80)
        .count();
    b.len() - continuing
}

/// Appending text to the line, which is kept as bytes: every piece is a `&str` or ASCII from
/// the `render::fmt` functions, so the line is UTF-8 without anything having to promise it.
trait PushStr {
    fn push_str(&mut self, s: &str);
}

impl PushStr for Vec<u8> {
    #[inline]
    fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

/// Appends the decimal digits of `n`. Most numbers of a line are below 10 000 (lengths,
/// relative sequence numbers, seconds): their four digits are made in a register and stored in
/// one go, cut back to the digits, with no call.
#[inline(always)]
fn num(s: &mut Vec<u8>, n: u64) {
    if n >= 10_000 {
        return push_u64(s, n);
    }
    let n = n as u32;
    // Two lanes of 16 bits, the high pair of digits first (little-endian), each split into
    // tens and units by multiplying: x * 103 >> 10 is x / 10 for x below 100.
    let x = (n / 100) | ((n % 100) << 16);
    let tens = ((x * 103) >> 10) & 0x000f_000f;
    let digits = ((x - tens * 10) << 8) | tens;
    // The leading zeros are the low zero bytes; the units digit is kept even when 0.
    let skip = (digits | (1 << 24)).trailing_zeros() / 8;
    let start = s.len();
    s.extend_from_slice(&((digits | 0x3030_3030) >> (8 * skip)).to_le_bytes());
    s.truncate(start + 4 - skip as usize);
}

/// Appends an address as `Display` writes it.
fn push_addr(s: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => push_ipv4(s, a.octets()),
        IpAddr::V6(a) => push_ipv6_std(s, &a.octets()),
    }
}

/// Appends an [`Endpoint`].
fn push_endpoint(s: &mut Vec<u8>, ip: IpAddr, port: u16) {
    match ip {
        IpAddr::V4(_) => push_addr(s, ip),
        IpAddr::V6(_) => {
            s.push(b'[');
            push_addr(s, ip);
            s.push(b']');
        }
    }
    s.push(b':');
    num(s, port as u64);
}

/// Appends an endpoint and its service as [`push_endpoint`] and [`push_service`] write them,
/// copied from `cache` when it was shown recently: a packet's two endpoints usually appeared
/// a few packets before, and copying their text costs far less than formatting the address,
/// the port and looking up the service again.
#[inline]
fn push_endpoint_service(cache: &mut TextCache, s: &mut Vec<u8>, ip: IpAddr, port: u16, pr: Proto) {
    let (key, v6) = addr_key(ip);
    // The text depends on the family (brackets), the port and the protocol (its service).
    let tag = v6 | ((pr == Proto::Udp) as u32) << 1 | (port as u32) << 16;
    cache.push_words(s, &key, tag, |t| {
        push_endpoint(t, ip, port);
        push_service(t, services::name(port, pr));
    });
}

/// An address as a text cache's key (IPv4 in the first four bytes, the rest zero), and 1 for
/// IPv6 (whose text differs: brackets).
#[inline]
fn addr_key(ip: IpAddr) -> ([u64; 2], u32) {
    match ip {
        IpAddr::V4(a) => ([u64::from(u32::from_le_bytes(a.octets())), 0], 0),
        IpAddr::V6(a) => (text_cache::words(&a.octets()), 1),
    }
}

/// The text of an endpoints cell, `source → destination` with their services: a cache's key
/// of both addresses, the family and the protocol, its tag both ports.
type Cells = TextCache<5, CELL_TEXT>;

/// The longest endpoints cell kept (two IPv4 endpoints with services take about 60 bytes).
const CELL_TEXT: usize = 112;

/// Appends the endpoints cell of a TCP or UDP packet, copied from `cells` when the same
/// packet's pair was shown recently (a conversation's packets come in runs), otherwise made
/// from the endpoints' texts.
#[inline]
fn push_endpoints(
    cells: &mut Cells,
    cache: &mut TextCache,
    s: &mut Vec<u8>,
    (src, sp): (IpAddr, u16),
    (dst, dp): (IpAddr, u16),
    pr: Proto,
) {
    let ((a, v6), (b, _)) = (addr_key(src), addr_key(dst));
    let key = [
        a[0],
        a[1],
        b[0],
        b[1],
        u64::from(v6 | ((pr == Proto::Udp) as u32) << 1),
    ];
    cells.push_words(s, &key, u32::from(sp) | u32::from(dp) << 16, |t| {
        push_endpoint_service(cache, t, src, sp, pr);
        t.push_str(" → ");
        push_endpoint_service(cache, t, dst, dp, pr);
    });
}

/// Appends a [`Service`]: ` (echo)` or nothing.
fn push_service(s: &mut Vec<u8>, name: Option<&str>) {
    if let Some(n) = name {
        s.push_str(" (");
        s.push_str(n);
        s.push(b')');
    }
}

/// Appends an [`Abs`]: ` (3210987654)` or nothing.
fn push_abs(s: &mut Vec<u8>, n: Option<u32>) {
    if let Some(n) = n {
        s.push_str(" (");
        num(s, n as u64);
        s.push(b')');
    }
}

impl Line<'_> {
    /// Appends what `f` writes as a cell in `style` (when colour is on), padded with spaces to
    /// `width` characters.
    /// A cell of width 0 (the last ones of a line) is not counted: nothing pads it.
    fn put(&mut self, style: &str, width: usize, f: impl FnOnce(&mut Vec<u8>)) {
        self.put_counted(style, width, |s| {
            let start = s.len();
            f(s);
            if width == 0 {
                0
            } else {
                char_count(&s[start..])
            }
        });
    }

    /// [`Self::put`] for a cell whose writer `f` returns its width in characters, so that it
    /// is not counted: the cells of every line know theirs (ASCII but for an arrow or a `×`).
    #[inline]
    fn put_counted(
        &mut self,
        style: &str,
        width: usize,
        f: impl FnOnce(&mut Vec<u8>) -> usize,
    ) -> usize {
        let styled = self.color && !style.is_empty();
        if styled {
            self.s.push_str(style);
        }
        let chars = f(self.s);
        if styled {
            self.s.push_str(sgr::RESET);
        }
        pad(self.s, width.saturating_sub(chars));
        chars
    }

    /// Writes a cell in `style` (when colour is on), padded with spaces to `width` characters.
    fn cell(&mut self, style: &str, width: usize, args: fmt::Arguments<'_>) {
        self.put(style, width, |s| {
            let _ = s.write_fmt(args);
        });
    }

    /// A cell of fixed ASCII text already padded to its column's width (`"TCP  "`), so that
    /// nothing is counted or padded.
    #[inline]
    fn text(&mut self, padded: &'static str) {
        debug_assert!(padded.is_ascii());
        self.s.push_str(padded);
    }

    /// A cell of a growing column, written by `f`: padded to the column's width, which grows to
    /// fit it.
    fn grow_with(&mut self, style: &str, col: Col, f: impl FnOnce(&mut Vec<u8>)) {
        self.grow_counted(style, col, |s| {
            let start = s.len();
            f(s);
            char_count(&s[start..])
        })
    }

    /// A cell of a growing column, written by `f` in ASCII and so as wide as its bytes, less
    /// `wide_bytes`: the bytes past the first of its few other characters (2 for an arrow).
    #[inline]
    fn grow_ascii(
        &mut self,
        style: &str,
        col: Col,
        wide_bytes: usize,
        f: impl FnOnce(&mut Vec<u8>),
    ) {
        self.grow_counted(style, col, |s| {
            let start = s.len();
            f(s);
            debug_assert_eq!(char_count(&s[start..]), s.len() - start - wide_bytes);
            s.len() - start - wide_bytes
        })
    }

    /// A cell of a growing column, written by `f`, which returns its width in characters.
    #[inline]
    fn grow_counted(&mut self, style: &str, col: Col, f: impl FnOnce(&mut Vec<u8>) -> usize) {
        let chars = self.put_counted(style, 0, f);
        let w = &mut self.widths[col as usize];
        if chars > *w && chars <= width::MAX {
            *w = chars;
        }
        pad(self.s, w.saturating_sub(chars));
    }

    /// A cell of a growing column.
    fn grow(&mut self, style: &str, col: Col, args: fmt::Arguments<'_>) {
        self.grow_with(style, col, |s| {
            let _ = s.write_fmt(args);
        });
    }

    /// A cell written by `f`, right-aligned in `width` characters (at most 10 spaces of
    /// padding).
    fn right_with(&mut self, width: usize, f: impl FnOnce(&mut Vec<u8>)) {
        let start = self.s.len();
        f(self.s);
        let chars = char_count(&self.s[start..]);
        if chars < width {
            let pad = (width - chars).min(10);
            let end = self.s.len();
            self.s.resize(end + pad, b' ');
            self.s.copy_within(start..end, start + pad);
            self.s[start..start + pad].fill(b' ');
        }
    }

    fn gap(&mut self) {
        self.s.push_str("  ");
    }

    /// The note at the end of the line, dimmed; written after every other cell.
    fn note(&mut self, args: fmt::Arguments<'_>) {
        self.note_with(|n| {
            let _ = n.write_fmt(args);
        });
    }

    /// The note, written by `f`.
    fn note_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        self.note.clear();
        f(self.note);
    }

    fn finish(&mut self) {
        if !self.note.is_empty() {
            self.gap();
            let note = std::mem::take(self.note);
            self.put(sgr::DIM, 0, |s| s.extend_from_slice(&note));
            *self.note = note;
        }
        let t = self.s.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        self.s.truncate(t);
        if let Some(w) = self.fit {
            cut_visible(self.s, w, self.color);
        }
        self.s.push(b'\n');
    }
}

/// Notes are kept for at most this many recent conversations (flow indexes only grow), so that
/// memory stays bounded on a capture with millions of conversations.
const NOTES_KEPT: u32 = 16_384;

impl Renderer for LearnerRenderer {
    /// A recorded call: its time in the packets' time column, then `run`'s call line.
    fn call(&mut self, out: &mut dyn Write, ev: &crate::track::calls::CallEvent) -> io::Result<()> {
        let ts = Timestamp::new(
            (ev.ts_ns / 1_000_000_000) as i64,
            (ev.ts_ns % 1_000_000_000) as u32,
        );
        let mut b = Vec::with_capacity(128);
        match &mut self.time {
            Some(tf) => {
                // `call_line`, with the time's end known.
                tf.push(&mut b, ts);
                let from = b.len();
                super::calls::call_text(&mut b, ev);
                if self.color {
                    super::calls::paint_call(&mut b, from);
                }
            }
            None => {
                let since = ts.nanos_since(*self.first.get_or_insert(ts));
                let n = since.unsigned_abs();
                let t = format!(
                    "{}{}.{:06}",
                    if since < 0 { "-" } else { "" },
                    n / 1_000_000_000,
                    (n % 1_000_000_000) / 1000
                );
                let _ = write!(b, "{t:>w$}  ", w = width::TIME);
                let from = b.len();
                super::calls::call_text(&mut b, ev);
                if self.color {
                    super::calls::paint_call(&mut b, from);
                }
            }
        }
        if let Some(w) = self.fit
            && b.last() == Some(&b'\n')
        {
            b.pop();
            cut_visible(&mut b, w, self.color);
            b.push(b'\n');
        }
        out.write_all(&b)
    }

    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        if let Some(t) = ctx.track
            && t.new_flow
            && self.flows.len() >= 2 * NOTES_KEPT as usize
        {
            self.flows.retain(|&f, _| f + NOTES_KEPT > t.flow);
        }
        let mut s = std::mem::take(&mut self.line);
        let mut note = std::mem::take(&mut self.note);
        let mut widths = self.widths;
        s.clear();
        note.clear();
        let first = *self.first.get_or_insert(p.ts);
        let since = p.ts.nanos_since(first);
        let mut line = Line {
            s: &mut s,
            note: &mut note,
            widths: &mut widths,
            color: self.color,
            fit: self.fit,
        };
        match &mut self.time {
            None if (0..1_000_000_000 * 1_000_000_000).contains(&since) => {
                // Nearly always: seconds and microseconds in a machine word, the width known
                // before writing, so the padding goes first.
                let n = since as u64;
                let (secs, micros) = (n / 1_000_000_000, n % 1_000_000_000 / 1000);
                let chars = secs.checked_ilog10().unwrap_or(0) as usize + 1 + 1 + 6;
                pad(line.s, width::TIME.saturating_sub(chars).min(10));
                num(line.s, secs);
                line.s.push(b'.');
                push_u64_width(line.s, micros, 6);
                line.gap();
            }
            None => {
                let n = since.unsigned_abs();
                line.right_with(width::TIME, |s| {
                    if since < 0 {
                        s.push(b'-');
                    }
                    let secs = n / 1_000_000_000;
                    match u64::try_from(secs) {
                        Ok(secs) => num(s, secs),
                        Err(_) => {
                            let _ = write!(s, "{secs}");
                        }
                    }
                    s.push(b'.');
                    let micros = (n % 1_000_000_000) / 1000;
                    push_padded(s, micros as u64, 6);
                });
                line.gap();
            }
            Some(tf) => {
                let start = line.s.len();
                tf.push(line.s, p.ts);
                if line.s.len() > start {
                    // The formatter ends with a space, for tcpdump's line.
                    let end = start + line.s[start..].trim_ascii_end().len();
                    line.s.truncate(end);
                    line.gap();
                }
            }
        }
        self.body(&mut line, p, ctx);
        // The application message, when nothing else is noted (render::app).
        if line.note.is_empty()
            && let Some(a) = crate::decode::app::of(p)
        {
            line.note_with(|n| crate::render::app::note(n, &a));
        }
        if let Some(t) = ctx.track
            && !t.analysis.is_empty()
        {
            // Wireshark's analysis of the segment, in words, before the note.
            line.gap();
            line.put(sgr::RED, 0, |s| {
                s.push(b'[');
                for (i, l) in t.analysis.labels().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(l);
                    if l == "duplicate ACK" && t.dup_ack_num > 0 {
                        s.push_str(" #");
                        num(s, t.dup_ack_num as u64);
                    }
                }
                s.push(b']');
            });
        }
        line.finish();
        let r = out.write_all(&s);
        self.line = s;
        self.note = note;
        self.widths = widths;
        r
    }
}

impl LearnerRenderer {
    fn dir_style(ctx: &PacketContext) -> &'static str {
        match ctx.track.map(|t| t.dir) {
            Some(Dir::ToServer) => sgr::TO_SERVER,
            Some(Dir::ToClient) => sgr::TO_CLIENT,
            None => sgr::OTHER,
        }
    }

    fn body(&mut self, line: &mut Line<'_>, p: &Packet<'_>, ctx: &PacketContext) {
        let style = Self::dir_style(ctx);
        match (&p.net, p.src_ip(), p.dst_ip()) {
            (Net::Ipv4(_) | Net::Ipv6(_), Some(src), Some(dst)) => {
                self.ip(line, p, ctx, style, src, dst)
            }
            (Net::Arp(a), _, _) => {
                let (s, d) = match p.link {
                    Link::Ethernet(e) => (e.src, e.dst),
                    _ => (a.sender_hw, a.target_hw),
                };
                line.grow(
                    style,
                    Col::Endpoints,
                    format_args!("{} → {}", Mac(s), Mac(d)),
                );
                line.gap();
                line.cell("", width::PROTO, format_args!("ARP"));
                line.gap();
                let ip = |b: [u8; 4]| std::net::Ipv4Addr::from(b);
                match (a.ethernet_ipv4, a.operation) {
                    (true, 1) => {
                        line.cell(
                            "",
                            0,
                            format_args!("who has {}? tell {}", ip(a.target_ip), ip(a.sender_ip)),
                        );
                        line.note(format_args!(
                            "ARP asks the whole LAN which MAC address owns an IPv4 address"
                        ));
                    }
                    (true, 2) => {
                        line.cell(
                            "",
                            0,
                            format_args!("{} is at {}", ip(a.sender_ip), Mac(a.sender_hw)),
                        );
                        line.note(format_args!(
                            "the owner answers; frames to {} now go to this MAC",
                            ip(a.sender_ip)
                        ));
                    }
                    (_, op) => line.cell(
                        "",
                        0,
                        format_args!(
                            "operation {op}, hardware type {}, protocol 0x{:04x}",
                            a.hw_type, a.proto_type
                        ),
                    ),
                }
                self.vlan_and_stop(line, p);
            }
            (Net::Other { ether_type }, _, _) => {
                match p.link {
                    Link::Ethernet(e) => line.grow(
                        style,
                        Col::Endpoints,
                        format_args!("{} → {}", Mac(e.src), Mac(e.dst)),
                    ),
                    _ => line.grow("", Col::Endpoints, format_args!("")),
                }
                line.gap();
                match p.link {
                    Link::Loopback { family } => {
                        line.cell("", 0, format_args!("address family {family}"))
                    }
                    _ => line.cell(
                        "",
                        0,
                        format_args!("ethertype 0x{ether_type:04x}  len {}", p.orig_len),
                    ),
                }
                line.note(format_args!("a protocol sockscope does not decode"));
                self.vlan_and_stop(line, p);
            }
            _ => {
                match p.link {
                    Link::Ethernet(e) => {
                        line.grow(
                            style,
                            Col::Endpoints,
                            format_args!("{} → {}", Mac(e.src), Mac(e.dst)),
                        );
                        line.gap();
                        line.cell(
                            "",
                            width::PROTO,
                            format_args!("{}", ether_name(e.ether_type)),
                        );
                        line.gap();
                        line.cell("", 0, format_args!("{} bytes", p.orig_len));
                    }
                    Link::Unsupported => line.cell(
                        "",
                        0,
                        format_args!(
                            "link type {}, {} bytes: not decoded",
                            p.link_type, p.orig_len
                        ),
                    ),
                    _ => line.cell("", 0, format_args!("{} bytes", p.orig_len)),
                }
                self.vlan_and_stop(line, p);
            }
        }
    }

    fn ip(
        &mut self,
        line: &mut Line<'_>,
        p: &Packet<'_>,
        ctx: &PacketContext,
        style: &str,
        src: IpAddr,
        dst: IpAddr,
    ) {
        match (&p.transport, p.ports()) {
            (Transport::Tcp(_) | Transport::Udp(_) | Transport::Partial { .. }, Some((sp, dp))) => {
                let pr = if p.ip_protocol() == Some(proto::UDP) {
                    Proto::Udp
                } else {
                    Proto::Tcp
                };
                let (cells, cache) = (&mut self.cells, &mut self.endpoints);
                // Addresses, ports and service names are ASCII: the arrow is the one character
                // of several bytes.
                line.grow_ascii(style, Col::Endpoints, ARROW_WIDE_BYTES, |s| {
                    push_endpoints(cells, cache, s, (src, sp), (dst, dp), pr)
                });
            }
            _ => line.grow_ascii(style, Col::Endpoints, ARROW_WIDE_BYTES, |s| {
                push_addr(s, src);
                s.push_str(" → ");
                push_addr(s, dst);
            }),
        }
        line.gap();
        match &p.transport {
            Transport::Tcp(t) => {
                line.text("TCP  ");
                line.gap();
                self.tcp(line, p, ctx, t);
            }
            Transport::Udp(u) => {
                line.text("UDP  ");
                line.gap();
                payload(line, p);
                if let Some(tr) = ctx.track {
                    let notes = self.flows.entry(tr.flow).or_default();
                    let me = (tr.dir == Dir::ToClient) as usize;
                    notes.datagrams[me] += 1;
                    if notes.datagrams == [1, 0] && me == 0 {
                        line.note(format_args!("UDP: no connection, no handshake"));
                    } else if notes.datagrams == [1, 1] && me == 1 {
                        line.note(format_args!(
                            "a reply, sent back to the port the datagram came from"
                        ));
                    }
                } else if u.length < 8 {
                    line.note(format_args!("UDP length {} is below 8", u.length));
                }
            }
            Transport::Icmpv4(i) => {
                line.text("ICMP ");
                line.gap();
                self.icmp(line, p, i, false);
            }
            Transport::Icmpv6(i) => {
                line.text("ICMP6");
                line.gap();
                self.icmp(line, p, i, true);
            }
            Transport::Partial { protocol, .. } => {
                let name = if *protocol == proto::TCP {
                    "TCP"
                } else {
                    "UDP"
                };
                line.cell("", width::PROTO, format_args!("{name}"));
            }
            Transport::Other { protocol } => {
                line.cell("", width::PROTO, format_args!("{}", proto_name(*protocol)));
                line.gap();
                line.cell("", 0, format_args!("len {}", p.payload_wire_len));
                if p.is_later_fragment() {
                    line.note(format_args!(
                        "a later fragment: its transport header travelled in the first one"
                    ));
                }
            }
            Transport::None => {
                if let Some(pr) = p.ip_protocol() {
                    line.cell("", width::PROTO, format_args!("{}", proto_name(pr)));
                }
            }
        }
        self.vlan_and_stop(line, p);
    }

    fn tcp(
        &mut self,
        line: &mut Line<'_>,
        p: &Packet<'_>,
        ctx: &PacketContext,
        t: &TcpSummary<'_>,
    ) {
        let f = t.flags;
        line.grow_ascii(sgr::BOLD, Col::Flags, 0, |s| push_flag_names(s, f));
        line.gap();
        let (mut rseq, rack) = match ctx.track {
            Some(tr) => (tr.rel_seq, tr.rel_ack),
            None => (t.seq, t.ack),
        };
        // A reset that answers a SYN comes from a side that never chose an ISN: there is no
        // base to count from, so its sequence number is shown as sent (Linux sends 0).
        if f.rst()
            && let Some(tr) = ctx.track
            && tr.dir == Dir::ToClient
            && self
                .flows
                .get(&tr.flow)
                .is_some_and(|n| n.syn && !n.syn_ack)
        {
            rseq = t.seq;
        }
        let len = p.payload_wire_len;
        let abs_seq = self.absolute.then_some(t.seq);
        if len > 0 {
            line.grow_ascii("", Col::Seq, 0, |s| {
                s.push_str("seq ");
                num(s, rseq as u64);
                s.push(b':');
                num(s, rseq.wrapping_add(len) as u64);
                push_abs(s, abs_seq);
            });
        } else if f.syn() || f.fin() || f.rst() {
            line.grow_ascii("", Col::Seq, 0, |s| {
                s.push_str("seq ");
                num(s, rseq as u64);
                push_abs(s, abs_seq);
            });
        } else {
            line.grow_counted("", Col::Seq, |_| 0);
        }
        line.gap();
        if f.ack() {
            let abs_ack = self.absolute.then_some(t.ack);
            line.grow_ascii("", Col::Ack, 0, |s| {
                s.push_str("ack ");
                num(s, rack as u64);
                push_abs(s, abs_ack);
            });
        } else {
            line.grow_counted("", Col::Ack, |_| 0);
        }
        // Fitting a width, the window is left out unless it is zero (a zero window stops the
        // sender until the window opens, RFC 9293 §3.8.6).
        let win = self.fit.is_none() || t.window == 0;
        if win {
            line.gap();
        }
        // The window in bytes once the scale agreed in the SYNs is known (RFC 7323 §2).
        match ctx.track {
            _ if !win => {}
            Some(tr) if tr.window_scaled && t.window > 0 && tr.window / t.window as u32 > 1 => {
                let scale = tr.window / t.window as u32;
                // `×` is two bytes.
                line.grow_ascii("", Col::Win, 1, |s| {
                    s.push_str("win ");
                    num(s, t.window as u64);
                    s.push_str("×");
                    num(s, scale as u64);
                    s.push_str(" = ");
                    num(s, tr.window as u64);
                });
            }
            _ => line.grow_ascii("", Col::Win, 0, |s| {
                s.push_str("win ");
                num(s, t.window as u64);
            }),
        }
        if f.urg() {
            line.gap();
            line.cell("", 0, format_args!("urg {}", t.urgent));
        }
        // Options that say something: all of them on a SYN, SACK blocks and rarities later
        // (the timestamps that Linux puts in every segment would only add noise).
        let shown = |o: &TcpOption<'_>| !matches!(o, TcpOption::Nop | TcpOption::Eol);
        let notable = |o: &TcpOption<'_>| shown(o) && !matches!(o, TcpOption::Timestamp { .. });
        // Fitting a width, only SACK blocks: they say which bytes arrived past a hole
        // (RFC 2018 §3).
        let notable = |o: &TcpOption<'_>| {
            notable(o) && (self.fit.is_none() || matches!(o, TcpOption::Sack { .. }))
        };
        // No options, or Linux's NOP, NOP, timestamps after the handshake: nothing to walk.
        let plain = t.options.is_empty() || t.nop_nop_timestamps().is_some();
        let syn_options = f.syn() && self.fit.is_none() && t.options().any(|o| shown(&o));
        if (!plain || f.syn()) && (syn_options || t.options().any(|o| notable(&o))) {
            // SACK edges number the other side's bytes, like the ack: shown relative to the same
            // base, so that `ack 1449 sack 2897:4345` reads as "missing 1449 to 2896".
            let sack_base = ctx
                .track
                .filter(|_| f.ack())
                .map(|tr| t.ack.wrapping_sub(tr.rel_ack));
            line.gap();
            line.put("", 0, |s| {
                s.push(b'[');
                push_options(s, t, sack_base);
                s.push(b']');
            });
        }
        if len > 0 {
            line.gap();
            payload(line, p);
        }
        // By reference: the tracker's description is large, and a copy is a `memcpy` call.
        if let Some(tr) = &ctx.track {
            self.tcp_note(line, p, tr, t);
        }
    }

    fn tcp_note(
        &mut self,
        line: &mut Line<'_>,
        p: &Packet<'_>,
        tr: &crate::track::TrackInfo,
        t: &TcpSummary<'_>,
    ) {
        let f = t.flags;
        let n = self.flows.entry(tr.flow).or_default();
        let me = (tr.dir == Dir::ToClient) as usize;
        let who = ["client", "server"][me];
        let src = p.src_ip();
        let svc = |port: u16| Service(services::name(port, Proto::Tcp));
        let acked_before = n.acked[me];
        if f.ack() {
            n.acked[me] = n.acked[me].max(tr.rel_ack);
        }
        if f.rst() {
            if me == 1 && n.syn && !n.syn_ack {
                n.closed = true;
                return line.note(format_args!(
                    "RST: connection refused — nothing listens on port {}{}",
                    t.src_port,
                    svc(t.src_port)
                ));
            }
            n.closed = true;
            if me == 0 && n.syn_ack && acked_before == 0 && !f.ack() && tr.rel_seq == 1 {
                // RFC 9293 §3.10.7.1: a SYN-ACK for no connection is answered from CLOSED with
                // <SEQ=SEG.ACK><CTL=RST>; a SYN-SENT socket would have ACKed it (§3.10.7.3).
                return line.note(format_args!(
                    "RST: no client socket owns this connection, so its kernel answers the \
                     SYN-ACK from CLOSED (seq = the SYN-ACK's ack); nothing was established"
                ));
            }
            return line.note(format_args!(
                "RST: the {who} aborts the connection; no more data either way"
            ));
        }
        if f.syn() && !f.ack() {
            n.syn = true;
            if let Some(src) = src {
                return line.note_with(|s| {
                    s.push_str("SYN: client ");
                    push_endpoint(s, src, t.src_port);
                    s.push_str(" opens a connection to port ");
                    num(s, t.dst_port as u64);
                    push_service(s, services::name(t.dst_port, Proto::Tcp));
                    s.push_str("; ISN ");
                    num(s, t.seq as u64);
                    s.push_str(" shown as 0");
                });
            }
            return;
        }
        if f.syn() && f.ack() {
            n.syn_ack = true;
            return line.note_with(|s| {
                // The kernel answers the SYN by itself; accept() later picks up the finished
                // connection (RFC 9293 §3.5, Linux's accept queue).
                s.push_str("SYN-ACK: the server's kernel answers; ack ");
                num(s, tr.rel_ack as u64);
                s.push_str(" = client ISN + 1");
            });
        }
        if f.fin() {
            let first = !n.fin[1 - me];
            n.fin[me] = true;
            return line.note_with(|s| {
                s.push_str("FIN: the ");
                s.push_str(who);
                if first {
                    s.push_str(" closes its side (the FIN uses one sequence number)");
                } else {
                    s.push_str(" closes its side too; ack ");
                    num(s, tr.rel_ack as u64);
                    s.push_str(" acknowledges the other FIN");
                }
            });
        }
        if n.syn_ack && !n.established && me == 0 && f.ack() {
            n.established = true;
            if let Some(hs) = tr.context.handshake.filter(|h| h.retransmitted) {
                // Karn's rule (RFC 6298 §3): no RTT sample from a retransmitted SYN or SYN-ACK.
                let d = crate::render::ladder::duration(hs.duration_ns);
                return line.note(format_args!(
                    "handshake complete after {d} and {} segments; no RTT sample (retransmitted)",
                    hs.segments
                ));
            }
            return line.note(format_args!("handshake complete"));
        }
        if n.fin == [true, true] && !n.closed && p.payload_wire_len == 0 {
            n.closed = true;
            return line.note_with(|s| {
                s.push_str("last ACK: the connection is closed; the ");
                s.push_str(who);
                s.push_str(" waits in TIME-WAIT");
            });
        }
        if p.payload_wire_len == 0 && f.ack() && tr.rel_ack > acked_before && acked_before > 0 {
            let new = tr.rel_ack - acked_before;
            line.note_with(|s| {
                s.push_str("ack ");
                num(s, tr.rel_ack as u64);
                s.push_str(" = ");
                num(s, acked_before as u64);
                s.push_str(" + ");
                num(s, new as u64);
                s.push_str(if new == 1 {
                    " byte received"
                } else {
                    " bytes received"
                });
            });
        }
    }

    fn icmp(&mut self, line: &mut Line<'_>, p: &Packet<'_>, i: &IcmpSummary, v6: bool) {
        let name = names::icmp(v6, i.kind, i.code);
        let (id, seq) = i.echo_id_seq();
        let (req, rep) = if v6 { (128, 129) } else { (8, 0) };
        if i.kind == req || i.kind == rep {
            line.cell(
                "",
                0,
                format_args!("{name}  id {id} seq {seq}  len {}", p.payload_wire_len),
            );
            if i.kind == req {
                line.note(format_args!("ping: please send these bytes back"));
            } else {
                line.note(format_args!(
                    "the answer to ping, with the same id, seq and data"
                ));
            }
            return;
        }
        line.cell("", 0, format_args!("{name}"));
        if let Some(q) = icmp_quote(p) {
            line.gap();
            line.cell("", 0, format_args!("about {}", QuotedFlow(q)));
            let unreachable_port = if v6 { (1, 4) } else { (3, 3) };
            if (i.kind, i.code) == unreachable_port
                && let Some((_, dport)) = q.ports
            {
                line.note(format_args!(
                    "nothing listens on {} port {dport}: the kernel answers with ICMP instead",
                    proto_name(q.protocol)
                ));
            }
        }
    }

    fn vlan_and_stop(&self, line: &mut Line<'_>, p: &Packet<'_>) {
        if let Link::Ethernet(e) = p.link {
            for v in e.vlans() {
                line.gap();
                line.cell("", 0, format_args!("[vlan {}]", v.id));
            }
        }
        if let Some(stop) = p.stop {
            line.gap();
            match stop.kind {
                StopKind::Truncated { needed, available } => line.cell(
                    sgr::RED,
                    0,
                    format_args!(
                        "[cut short: {} header needs {needed} bytes, {available} captured]",
                        stop.layer.name()
                    ),
                ),
                StopKind::Malformed(why) => line.cell(
                    sgr::RED,
                    0,
                    format_args!("[malformed {} header: {why}]", stop.layer.name()),
                ),
            }
        }
    }
}

/// ` (echo)` after a port with a known service, nothing otherwise.
pub struct Service(pub Option<&'static str>);

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, " ({n})"),
            None => Ok(()),
        }
    }
}

struct QuotedFlow(Quoted);

impl fmt::Display for QuotedFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.0;
        write!(f, "{} ", proto_name(q.protocol))?;
        match q.ports {
            Some((s, d)) => write!(f, "{} → {}", Endpoint(q.src, s), Endpoint(q.dst, d)),
            None => write!(f, "{} → {}", q.src, q.dst),
        }
    }
}

/// `len N  "preview"`, saying how much was captured when the capture was cut.
fn payload(line: &mut Line<'_>, p: &Packet<'_>) {
    let wire = p.payload_wire_len;
    let got = p.payload.len() as u32;
    line.put("", 0, |s| {
        s.push_str("len ");
        num(s, wire as u64);
        if got < wire {
            s.push_str(" (");
            num(s, got as u64);
            s.push_str(" captured)");
        }
    });
    if !p.payload.is_empty() {
        line.gap();
        line.put("", 0, |s| push_preview(s, p.payload, PREVIEW));
    }
}

/// TCP flags as [`write_flag_names`] spells them.
pub struct FlagNames(pub TcpFlags);

impl fmt::Display for FlagNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_flag_names(f, self.0)
    }
}

/// Appends options as a learner reads them, space-separated, without the padding (`nop`, `eol`);
/// SACK edges relative to `sack_base` when it is known.
fn push_options(s: &mut Vec<u8>, t: &TcpSummary<'_>, sack_base: Option<u32>) {
    let mut sep = "";
    for o in t.options() {
        if matches!(o, TcpOption::Eol | TcpOption::Nop) {
            continue;
        }
        s.push_str(sep);
        sep = " ";
        match o {
            TcpOption::Eol | TcpOption::Nop => {}
            TcpOption::Mss(m) => {
                s.push_str("mss ");
                num(s, m as u64);
            }
            TcpOption::WindowScale(w) => {
                s.push_str("wscale ");
                num(s, w as u64);
            }
            TcpOption::SackPermitted => s.push_str("sackOK"),
            TcpOption::Sack { blocks, count } => {
                s.push_str("sack");
                let base = sack_base.unwrap_or(0);
                for (l, r) in &blocks[..count as usize] {
                    s.push(b' ');
                    num(s, l.wrapping_sub(base) as u64);
                    s.push(b':');
                    num(s, r.wrapping_sub(base) as u64);
                }
            }
            TcpOption::Timestamp { .. } => s.push_str("TS"),
            TcpOption::Unknown { kind, .. } => {
                s.push_str("option ");
                num(s, kind as u64);
            }
            TcpOption::Bad { kind, len } => {
                s.push_str("option ");
                num(s, kind as u64);
                s.push_str(" with bad length ");
                num(s, len as u64);
            }
        }
    }
}

/// Short names of IP protocols for the protocol column.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        proto::ICMP => "ICMP",
        proto::IGMP => "IGMP",
        proto::TCP => "TCP",
        proto::UDP => "UDP",
        proto::ICMPV6 => "ICMP6",
        proto::ESP => "ESP",
        proto::AH => "AH",
        132 => "SCTP",
        _ => "IP",
    }
}

/// Short names of ethertypes for the protocol column.
fn ether_name(et: u16) -> &'static str {
    use crate::decode::ethertype;
    match et {
        ethertype::IPV4 => "IP",
        ethertype::IPV6 => "IP6",
        ethertype::ARP => "ARP",
        ethertype::VLAN | ethertype::QINQ => "VLAN",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spelled-out common combinations write what the loop writes, for every flag byte.
    #[test]
    fn pushed_flag_names_equal_written_ones() {
        for bits in 0..0x200u16 {
            let mut written = String::new();
            write_flag_names(&mut written, TcpFlags(bits)).unwrap();
            let mut pushed = Vec::new();
            push_flag_names(&mut pushed, TcpFlags(bits));
            assert_eq!(String::from_utf8(pushed).unwrap(), written, "{bits:#x}");
        }
    }

    #[test]
    fn flag_names() {
        let name = |bits| {
            let mut s = String::new();
            write_flag_names(&mut s, TcpFlags(bits)).unwrap();
            s
        };
        assert_eq!(name(TcpFlags::SYN), "SYN");
        assert_eq!(name(TcpFlags::SYN | TcpFlags::ACK), "SYN-ACK");
        assert_eq!(name(TcpFlags::PSH | TcpFlags::ACK), "PSH-ACK");
        assert_eq!(name(TcpFlags::FIN | TcpFlags::ACK), "FIN-ACK");
        assert_eq!(name(TcpFlags::RST), "RST");
        assert_eq!(name(TcpFlags::RST | TcpFlags::ACK), "RST-ACK");
        assert_eq!(
            name(TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR),
            "SYN-ECE-CWR"
        );
        assert_eq!(name(TcpFlags::AE | TcpFlags::ACK), "AE-ACK");
        assert_eq!(name(0), "none");
    }

    #[test]
    fn preview_escapes_and_cuts() {
        let mut s = String::new();
        write_preview(&mut s, b"GET / HTTP/1.1\r\n\x00\"", 40).unwrap();
        assert_eq!(s, r#""GET / HTTP/1.1\r\n.\"""#);
        s.clear();
        write_preview(&mut s, b"abcdef", 3).unwrap();
        assert_eq!(s, "\"abc\"…");
    }

    #[test]
    fn pushed_previews_match_written_ones() {
        let all: Vec<u8> = (0..=255).collect();
        for (payload, max) in [
            (&b"GET / HTTP/1.1\r\n\x00\"\\\t"[..], 40),
            (b"abcdef", 3),
            (b"", 5),
            (b"\n\n", 1),
            (&all[..], 300),
            (&all[..], 100),
        ] {
            let mut written = String::new();
            write_preview(&mut written, payload, max).unwrap();
            let mut pushed = Vec::new();
            push_preview(&mut pushed, payload, max);
            assert_eq!(pushed, written.as_bytes());
        }
    }

    /// The word-at-a-time test agrees with the byte one, for every byte in every place.
    #[test]
    fn plain_words_agree_with_plain_bytes() {
        for b in 0..=255u8 {
            for at in 0..PREVIEW {
                let mut t = [b'a'; PREVIEW];
                t[at] = b;
                assert_eq!(all_plain(&t), plain(b), "{b:#x} at {at}");
                // Beside bytes that borrow or carry.
                t[(at + 1) % PREVIEW] = 0xff;
                assert!(!all_plain(&t));
            }
        }
        let mut t = [0u8; PREVIEW];
        for (i, b) in (0x20..=0x7e)
            .filter(|&b| plain(b))
            .cycle()
            .take(PREVIEW)
            .enumerate()
        {
            t[i] = b;
        }
        assert!(all_plain(&t));
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in (0..20_000).chain([99_999, 100_000, u32::MAX as u64, u64::MAX]) {
            let mut s = Vec::new();
            num(&mut s, n);
            assert_eq!(s, n.to_string().as_bytes());
        }
    }

    #[test]
    fn characters_are_counted_as_str_counts_them() {
        for t in [
            "",
            "win 5×128 = 640",
            "client → server",
            "a→b→c→d→e→f→g→h→",
            "ééééééééé",
            "x",
        ] {
            assert_eq!(char_count(t.as_bytes()), t.chars().count(), "{t}");
        }
    }

    #[test]
    fn cells_pad_without_counting_colour() {
        let mut s = Vec::new();
        let (mut note, mut widths) = (Vec::new(), [0; 5]);
        let mut l = Line {
            s: &mut s,
            note: &mut note,
            widths: &mut widths,
            color: true,
            fit: None,
        };
        l.cell(sgr::BOLD, 6, format_args!("→ab"));
        l.cell("", 0, format_args!("|"));
        assert_eq!(s, "\x1b[1m→ab\x1b[0m   |".as_bytes());
    }
}
