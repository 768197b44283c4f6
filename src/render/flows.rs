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

fn endpoint(f: &Flow, (ip, port): (std::net::IpAddr, u16)) -> String {
    let proto = if f.is_tcp() { Proto::Tcp } else { Proto::Udp };
    let mut s = match ip {
        std::net::IpAddr::V4(a) => format!("{a}:{port}"),
        std::net::IpAddr::V6(a) => format!("[{a}]:{port}"),
    };
    if let Some(n) = services::name(port, proto) {
        let _ = write!(s, " ({n})");
    }
    s
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
fn bytes_cell(s: &Side) -> String {
    if s.retransmitted_bytes > 0 {
        format!("{} ({} retr.)", s.bytes, s.retransmitted_bytes)
    } else {
        s.bytes.to_string()
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
    let named = |f: &Flow, side: usize, cell: String| match names.get(&f.index) {
        Some(n) if n[side].is_some() => format!("{} {cell}", n[side].as_deref().unwrap_or("")),
        _ => cell,
    };
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
    // Two passes over the conversations, formatting each row twice, so that no more than one
    // row's strings exist at a time: the first measures the columns.
    let row = |f: &Flow| -> [String; 12] {
        let mark = if f.is_tcp() && f.roles.guessed() {
            "*"
        } else {
            ""
        };
        [
            f.index.to_string(),
            if f.is_tcp() { "TCP" } else { "UDP" }.into(),
            named(f, 0, format!("{}{mark}", endpoint(f, f.client))),
            named(f, 1, format!("{}{mark}", endpoint(f, f.server))),
            f.sides[0].segments.to_string(),
            bytes_cell(&f.sides[0]),
            f.sides[1].segments.to_string(),
            bytes_cell(&f.sides[1]),
            duration(f.duration_ns()),
            hs_cell(f),
            if f.is_tcp() {
                f.outcome().short().to_string()
            } else if f.udp_pairs > 0 {
                format!("{} req/resp", f.udp_pairs)
            } else {
                "-".into()
            },
            analysis_cell(f),
        ]
    };
    let mut w = head.map(|h| h.chars().count());
    let (mut rows, mut tcp, mut guessed) = (0usize, 0usize, false);
    for f in t.summaries().filter(|f| listed(f)) {
        rows += 1;
        tcp += usize::from(f.is_tcp());
        guessed |= f.is_tcp() && f.roles.guessed();
        for (i, c) in row(&f).iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    if rows == 0 {
        return writeln!(out, "no TCP or UDP conversation in the capture");
    }
    // Numbers right-aligned, text left-aligned; the last column is not padded.
    let right = [
        true, false, false, false, true, true, true, true, true, true, false, false,
    ];
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i].saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if i == cells.len() - 1 {
                s.push_str(c);
            } else if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let h = line(&head.map(String::from));
    if color {
        writeln!(out, "\x1b[1m{h}\x1b[0m")?;
    } else {
        writeln!(out, "{h}")?;
    }
    for f in t.summaries().filter(|f| listed(f)) {
        writeln!(out, "{}", line(&row(&f)))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} conversation{}: {tcp} TCP, {} UDP · bytes are payload bytes · hs RTT: SYN to the ACK that completes the handshake",
        rows,
        if rows == 1 { "" } else { "s" },
        rows - tcp
    )?;
    if t.summaries()
        .filter(|f| listed(f))
        .any(|f| f.sides.iter().any(|s| s.retransmitted_bytes > 0))
    {
        writeln!(
            out,
            "bytes include retransmitted ones; (N retr.): how many of them were retransmitted"
        )?;
    }
    if t.summaries()
        .filter(|f| listed(f))
        .any(|f| f.handshake.is_some_and(|h| h.retransmitted))
    {
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

/// One line per conversation, as the ladder titles them (for `ladder --list`-like uses).
pub fn titles(t: &Tracker) -> Vec<String> {
    t.summaries()
        .map(|f| format!("#{} {}", f.index, title(&f)))
        .collect()
}
