//! `sockscope follow`: the byte stream of one TCP conversation, both directions, in the order the
//! bytes became deliverable. Each direction is put back in order by sequence number: bytes seen
//! twice (retransmissions) are written once, segments that arrive early wait for the gap before
//! them, and a gap never filled (lost before the capture) is shown as such.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{PacketContext, Renderer};
use crate::decode::Packet;
use crate::track::{Dir, Limits, SeqNumber, Tracker};

/// Text with non-printable bytes escaped, or a hex dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowFormat {
    Text,
    Hex,
}

/// Reassembly of one direction.
#[derive(Debug, Default)]
struct Stream {
    /// Relative sequence number of the next byte to deliver.
    next: Option<u32>,
    /// Segments not yet delivered, by relative sequence number: the captured bytes and the
    /// length on the wire (more when the capture's snap length cut the payload).
    pending: BTreeMap<u32, (Vec<u8>, u32)>,
    delivered: u64,
}

/// Writes the conversation's streams as they become contiguous.
pub struct FollowRenderer {
    pub flow: u32,
    pub format: FollowFormat,
    pub color: bool,
    tracker: Tracker,
    streams: [Stream; 2],
    found: bool,
    /// Direction of the last chunk written, to start a new block when it changes.
    last: Option<Dir>,
    /// The last byte written ended a line (so a block header can follow).
    line_start: bool,
}

/// Above this many bytes waiting for a gap, the gap is taken as lost.
const PENDING_LIMIT: usize = 4 << 20;
/// Above this many segments waiting for a gap, the gap is taken as lost.
const PENDING_SEGMENTS: usize = 10_000;

impl FollowRenderer {
    pub fn new(flow: u32, format: FollowFormat, color: bool) -> Self {
        FollowRenderer {
            flow,
            format,
            color,
            tracker: Tracker::with_limits(Limits::single(flow)),
            streams: Default::default(),
            found: false,
            last: None,
            line_start: true,
        }
    }

    /// Whether the conversation was in the capture, and how many conversations there were.
    pub fn found(&self) -> (bool, usize) {
        (self.found, self.tracker.conversations() as usize)
    }

    fn chunk(&mut self, out: &mut dyn Write, dir: Dir, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let s = &mut self.streams[dir.index()];
        let offset = s.delivered;
        s.delivered += bytes.len() as u64;
        let (arrow, colour) = match dir {
            Dir::ToServer => ("client → server", "\x1b[36m"),
            Dir::ToClient => ("server → client", "\x1b[35m"),
        };
        if self.last != Some(dir) {
            self.end_line(out)?;
            self.last = Some(dir);
            let h = format!("── {arrow} ──");
            if self.color {
                writeln!(out, "{colour}{h}\x1b[0m")?;
            } else {
                writeln!(out, "{h}")?;
            }
        }
        let body = match self.format {
            FollowFormat::Text => escape(bytes),
            FollowFormat::Hex => hex(bytes, offset),
        };
        if self.color {
            write!(out, "{colour}{body}\x1b[0m")?;
        } else {
            write!(out, "{body}")?;
        }
        self.line_start = body.ends_with('\n');
        Ok(())
    }

    /// Ends the current line, so that what follows starts on its own.
    fn end_line(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.line_start {
            writeln!(out)?;
            self.line_start = true;
        }
        Ok(())
    }

    /// Delivers what is contiguous in `dir`'s stream.
    fn drain(&mut self, out: &mut dyn Write, dir: Dir, force: bool) -> io::Result<()> {
        loop {
            let s = &mut self.streams[dir.index()];
            let Some(next) = s.next else { return Ok(()) };
            let Some((&seq, _)) = s.pending.iter().next() else {
                return Ok(());
            };
            if SeqNumber(seq) > SeqNumber(next) {
                if !force {
                    return Ok(());
                }
                // A gap that will not be filled: say so and go on after it.
                let gap = seq - next;
                s.next = Some(seq);
                self.gap(out, dir, gap, "not captured")?;
                continue;
            }
            let (data, wire) = s.pending.remove(&seq).unwrap_or_default();
            let end = seq.wrapping_add(wire);
            if SeqNumber(end) <= SeqNumber(next) {
                continue; // all seen before: a retransmission
            }
            s.next = Some(end);
            let skip = (next - seq) as usize;
            if skip < data.len() {
                self.chunk(out, dir, &data[skip..])?;
            }
            let cut = wire as usize - data.len().max(skip);
            if cut > 0 {
                self.streams[dir.index()].delivered += cut as u64;
                self.gap(out, dir, cut as u32, "cut by the snap length")?;
            }
        }
    }

    fn gap(&mut self, out: &mut dyn Write, dir: Dir, n: u32, why: &str) -> io::Result<()> {
        self.end_line(out)?;
        self.last = None;
        let who = match dir {
            Dir::ToServer => "client → server",
            Dir::ToClient => "server → client",
        };
        writeln!(
            out,
            "[{} {who} {why}]",
            super::fmt::plural(u64::from(n), "byte", "bytes")
        )
    }
}

impl Renderer for FollowRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        _: &PacketContext,
    ) -> io::Result<()> {
        let Some(info) = self.tracker.observe(pkt) else {
            return Ok(());
        };
        if info.flow != self.flow {
            return Ok(());
        }
        let Some(t) = pkt.tcp() else {
            if !self.found {
                self.found = true;
            }
            // UDP: every datagram is its own message.
            return self.chunk(out, info.dir, pkt.payload);
        };
        self.found = true;
        let s = &mut self.streams[info.dir.index()];
        let data_seq = info.rel_seq.wrapping_add(t.flags.syn() as u32);
        if s.next.is_none() {
            s.next = Some(data_seq);
        }
        let wire = pkt.payload_wire_len.max(pkt.payload.len() as u32);
        if wire > 0 {
            // Keep the longest copy of each starting point.
            let e = s.pending.entry(data_seq).or_default();
            if wire > e.1 || (wire == e.1 && pkt.payload.len() > e.0.len()) {
                *e = (pkt.payload.to_vec(), wire);
            }
        }
        let force = s.pending.values().map(|p| p.0.len()).sum::<usize>() > PENDING_LIMIT
            || s.pending.len() > PENDING_SEGMENTS;
        self.drain(out, info.dir, force)
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.found {
            // Nothing to write: the caller says so (see `found`).
            return Ok(());
        }
        self.drain(out, Dir::ToServer, true)?;
        self.drain(out, Dir::ToClient, true)?;
        self.end_line(out)?;
        let [a, b] = &self.streams;
        writeln!(
            out,
            "── end: client → server {}, server → client {} ──",
            super::fmt::plural(a.delivered, "byte", "bytes"),
            super::fmt::plural(b.delivered, "byte", "bytes")
        )
    }
}

/// Printable ASCII and newlines as they are; other bytes as `\xNN`, `\r` and `\t` escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => s.push('\n'),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

/// `xxd`-style lines: offset in the stream, 16 bytes in hex, then ASCII.
pub fn hex(bytes: &[u8], offset: u64) -> String {
    let mut s = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(s, "{:08x}  ", offset + (i * 16) as u64);
        for j in 0..16 {
            match line.get(j) {
                Some(b) => {
                    let _ = write!(s, "{b:02x} ");
                }
                None => s.push_str("   "),
            }
            if j == 7 {
                s.push(' ');
            }
        }
        s.push(' ');
        for &b in line {
            s.push(if (0x20..=0x7e).contains(&b) {
                b as char
            } else {
                '.'
            });
        }
        s.push('\n');
    }
    s
}
