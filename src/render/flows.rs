//! The conversations table (`sockscope flows`, `--flows`): one row per TCP or UDP conversation,
//! like `tshark -z conv,tcp` and `conv,udp` together, with roles, handshake RTT, how it ended and
//! the analysis events counted.

use std::fmt::Write as _;
use std::io::{self, Write};

use std::collections::HashMap;

use super::ladder::{LaneNamer, duration, title};
use super::{PacketContext, Renderer};
use crate::decode::Packet;
use crate::services::{self, Proto};
use crate::track::{Analysis, Flow, Limits, Side, Tracker};

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
}

impl FlowsRenderer {
    /// Lists every conversation: a compact record of each (at most 128 bytes) is kept.
    pub fn new(color: bool) -> Self {
        FlowsRenderer {
            tracker: Tracker::with_limits(Limits::records()),
            color,
            namer: None,
            names: HashMap::new(),
            shown: None,
        }
    }
    /// Keeps at most the tracker's default number of summaries, the oldest dropped beyond
    /// (for a capture that may never end).
    pub fn bounded(color: bool) -> Self {
        FlowsRenderer {
            tracker: Tracker::new(),
            color,
            namer: None,
            names: HashMap::new(),
            shown: None,
        }
    }

    /// Names the programs at the ends of the conversations that appear from now on.
    pub fn set_namer(&mut self, namer: LaneNamer) {
        self.namer = Some(namer);
    }
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Whether conversation `index` is listed: every one, unless the filter or `--skip` hid
    /// packets; then those with a packet shown (numbered as in the whole capture).
    pub fn listed(&self, index: u32) -> bool {
        match &self.shown {
            None => true,
            Some(bits) => bits
                .get((index / 64) as usize)
                .is_some_and(|w| w & (1 << (index % 64)) != 0),
        }
    }

    fn mark_shown(&mut self, index: u32) {
        if let Some(bits) = &mut self.shown {
            set_bit(bits, index);
        }
    }
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
        let info = self.tracker.observe(pkt);
        if let Some(i) = info {
            self.mark_shown(i.flow);
        }
        if let (Some(i), Some(name)) = (info, &mut self.namer)
            && i.new_flow
            && let Some(f) = self.tracker.flow(i.flow)
        {
            let ends = [name(f.client, f.server), name(f.server, f.client)];
            self.names.insert(i.flow, ends);
        }
        Ok(())
    }
    fn hidden(&mut self, pkt: &Packet<'_>, _: &PacketContext) {
        if self.shown.is_none() {
            // Every conversation seen so far had its packets shown.
            let mut bits = Vec::new();
            for f in self.tracker.summaries() {
                set_bit(&mut bits, f.index);
            }
            self.shown = Some(bits);
        }
        self.tracker.observe(pkt);
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.shown.is_none() {
            return write_named_table(out, &self.tracker, self.color, &self.names);
        }
        let listed = |f: &Flow| self.listed(f.index);
        if !self.tracker.summaries().any(|f| listed(&f)) {
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

/// Appends `n` in decimal (as `{n}` would, without the formatting machinery: the table
/// writes several numbers per conversation).
fn push_num(s: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().for_each(|&d| s.push(char::from(d)));
}

/// Appends `ip:port` (`[ip]:port` for IPv6) and the service's name, `10.0.0.1:80 (http)`.
fn push_endpoint(s: &mut String, f: &Flow, (ip, port): (std::net::IpAddr, u16)) {
    let proto = if f.is_tcp() { Proto::Tcp } else { Proto::Udp };
    match ip {
        std::net::IpAddr::V4(a) => {
            for (i, o) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                push_num(s, u64::from(o));
            }
        }
        std::net::IpAddr::V6(a) => {
            let _ = write!(s, "[{a}]");
        }
    }
    s.push(':');
    push_num(s, u64::from(port));
    if let Some(n) = services::name(port, proto) {
        let _ = write!(s, " ({n})");
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
fn push_bytes(s: &mut String, side: &Side) {
    push_num(s, side.bytes);
    if side.retransmitted_bytes > 0 {
        s.push_str(" (");
        push_num(s, u64::from(side.retransmitted_bytes));
        s.push_str(" retr.)");
    }
}

/// The handshake RTT; with a retransmitted SYN or SYN-ACK no sample (Karn's rule, RFC 6298
/// §3) but the handshake's duration and segments.
fn hs_cell(f: &Flow) -> String {
    match (f.handshake_rtt_ns, f.handshake) {
        (Some(rtt), _) => duration(rtt),
        (None, Some(hs)) if hs.retransmitted => format!(
            "no sample (retr.; {}, {} segs)",
            duration(hs.duration_ns),
            hs.segments
        ),
        _ => "-".into(),
    }
}

/// `retrans 34 (6 fast)`: fast and spurious retransmissions are among the retransmissions
/// (tshark flags them `retransmission` too).
fn analysis_cell(f: &Flow) -> String {
    if f.analysis_counts.iter().all(|&n| n == 0) {
        return "-".into();
    }
    let sub = Analysis::FAST_RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION;
    let v: Vec<String> = Analysis::TABLE
        .iter()
        .zip(f.analysis_counts)
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

/// [`write_named_table`] of the conversations `listed` keeps.
pub fn write_listed_table(
    out: &mut dyn Write,
    t: &Tracker,
    color: bool,
    names: &HashMap<u32, [Option<String>; 2]>,
    listed: &dyn Fn(&Flow) -> bool,
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
    // Two passes over the conversations, formatting each row twice into one reused buffer, so
    // that no more than one row exists at a time: the first measures the columns.
    let fill = |row: &mut Row, f: &Flow| {
        let mark = if f.is_tcp() && f.roles.guessed() {
            "*"
        } else {
            ""
        };
        let s = &mut row.buf;
        s.clear();
        let mut ends = [0; 12];
        push_num(s, u64::from(f.index));
        ends[0] = s.len();
        s.push_str(if f.is_tcp() { "TCP" } else { "UDP" });
        ends[1] = s.len();
        for (side, at) in [(0, f.client), (1, f.server)] {
            if let Some(Some(n)) = names.get(&f.index).map(|n| &n[side]) {
                s.push_str(n);
                s.push(' ');
            }
            push_endpoint(s, f, at);
            s.push_str(mark);
            ends[2 + side] = s.len();
        }
        for (side, at) in [(0, 4), (1, 6)] {
            push_num(s, f.sides[side].segments);
            ends[at] = s.len();
            push_bytes(s, &f.sides[side]);
            ends[at + 1] = s.len();
        }
        s.push_str(&duration(f.duration_ns()));
        ends[8] = s.len();
        s.push_str(&hs_cell(f));
        ends[9] = s.len();
        if f.is_tcp() {
            s.push_str(f.outcome().short());
        } else if f.udp_pairs > 0 {
            push_num(s, f.udp_pairs);
            s.push_str(" req/resp");
        } else {
            s.push('-');
        }
        ends[10] = s.len();
        s.push_str(&analysis_cell(f));
        ends[11] = s.len();
        row.ends = ends;
    };
    let mut w = head.map(|h| h.chars().count());
    let (mut rows, mut tcp, mut guessed) = (0usize, 0usize, false);
    let (mut retransmitted, mut hs_retransmitted) = (false, false);
    let mut row = Row::default();
    for f in t.summaries().filter(|f| listed(f)) {
        rows += 1;
        tcp += usize::from(f.is_tcp());
        guessed |= f.is_tcp() && f.roles.guessed();
        retransmitted |= f.sides.iter().any(|s| s.retransmitted_bytes > 0);
        hs_retransmitted |= f.handshake.is_some_and(|h| h.retransmitted);
        fill(&mut row, &f);
        for (i, w) in w.iter_mut().enumerate() {
            *w = (*w).max(row.cell(i).chars().count());
        }
    }
    if rows == 0 {
        return writeln!(out, "no TCP or UDP conversation in the capture");
    }
    // Numbers right-aligned, text left-aligned; the last column is not padded.
    let right = [
        true, false, false, false, true, true, true, true, true, true, false, false,
    ];
    let line = |s: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        s.clear();
        for (i, c) in cells.enumerate() {
            let pad = w[i].saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if i == w.len() - 1 {
                s.push_str(c);
            } else if right[i] {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    };
    let mut l = String::new();
    line(&mut l, &mut head.into_iter());
    if color {
        writeln!(out, "\x1b[1m{}\x1b[0m", l.trim_end())?;
    } else {
        out.write_all(l.as_bytes())?;
    }
    for f in t.summaries().filter(|f| listed(f)) {
        fill(&mut row, &f);
        line(&mut l, &mut (0..12).map(|i| row.cell(i)));
        out.write_all(l.as_bytes())?;
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

/// One row's cells in one buffer: cell `i` ends at `ends[i]`.
#[derive(Default)]
struct Row {
    buf: String,
    ends: [usize; 12],
}

impl Row {
    fn cell(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

/// One line per conversation, as the ladder titles them (for `ladder --list`-like uses).
pub fn titles(t: &Tracker) -> Vec<String> {
    t.summaries()
        .map(|f| format!("#{} {}", f.index, title(&f)))
        .collect()
}
