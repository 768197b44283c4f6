//! tcpdump's `-n` one-line format, exact for IPv4/IPv6 TCP and UDP through the `length N` field
//! (print-ip.c, print-ip6.c, print-tcp.c, print-udp.c, print-mptcp.c, print-mpls.c of tcpdump),
//! with tcpdump's relative sequence numbers (`-S` for absolute ones), MPLS labels and tunnels
//! ([`tunnel`]) in front of the inner packet, IPv6 extension headers, and ARP.
//!
//! Every packet gives exactly one line, whatever it is (where tcpdump would continue a VXLAN
//! packet or a hex dump on further lines, this view stays on one). The line is built in a reused
//! buffer with the small formatters of [`crate::render::fmt`] and written with one call, so the
//! hot path allocates nothing. The commonest parts have shortcuts that print the same text:
//! addresses copied from a bounded table of recent ones
//! ([`crate::render::text_cache`]), `Flags [..]` from a
//! table of the 256 flag bytes, and Linux's usual TCP option layouts written from their bytes
//! ([`tcp::options`]).

mod arp;
mod dns;
mod ext;
pub mod extras;
mod fast;
mod http;
mod icmp;
mod pairs;
mod pppoe;
pub mod tcp;
pub mod tunnel;
pub mod vflag;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};

use super::time::{TimeFormatter, TimeStyle};
use super::{PacketContext, Renderer};
use crate::decode::{
    Layer, Link, MplsStack, Net, Packet, StopKind, TcpSummary, Transport, UdpSummary, proto,
};
use crate::render::fmt::{self, push_u64};
use crate::render::text_cache::TextCache;
use crate::source::Timestamp;

/// tcpdump's per-connection key for relative sequence numbers (print-tcp.c `tha`): the
/// connection with the lower port (or, for equal ports, the lower address) first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeqKey {
    a: [u8; 16],
    b: [u8; 16],
    ports: u32,
    v6: bool,
}

impl std::hash::Hash for SeqKey {
    /// Three words instead of 37 bytes one slice at a time.
    fn hash<H: Hasher>(&self, h: &mut H) {
        let w = |b: &[u8; 16], i: usize| {
            u64::from_le_bytes([
                b[i],
                b[i + 1],
                b[i + 2],
                b[i + 3],
                b[i + 4],
                b[i + 5],
                b[i + 6],
                b[i + 7],
            ])
        };
        h.write_u64(w(&self.a, 0) ^ w(&self.a, 8).rotate_left(17));
        h.write_u64(w(&self.b, 0) ^ w(&self.b, 8).rotate_left(17));
        h.write_u64((self.ports as u64) << 1 | self.v6 as u64);
    }
}

#[derive(Clone, Copy, Debug)]
struct SeqBase {
    seq: u32,
    ack: u32,
}

/// A small multiplicative hasher (FxHash's constant): the keys are not attacker-chosen in a way
/// that matters here, and SipHash would cost more than the rest of the line.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Conversations remembered for relative sequence numbers before the table starts afresh, so
/// that memory stays bounded whatever the file (tcpdump's own table grows without limit; the
/// two print the same numbers until this many conversations were seen). Just under 7/8 of
/// 2^18, the load at which the hash table would double its 2^18 buckets: about 20 MB in all.
pub const SEQ_TABLE_LIMIT: usize = 229_000;

pub struct TcpdumpRenderer {
    pub time: TimeFormatter,
    /// `-S`: print absolute sequence numbers.
    pub absolute: bool,
    /// See [`SEQ_TABLE_LIMIT`].
    pub seq_table_limit: usize,
    seq_hash: HashMap<SeqKey, SeqBase, BuildHasherDefault<FxHasher>>,
    /// The line being built; reused for every packet.
    line: Vec<u8>,
    /// The timestamp text up to the fraction for `stamp_sec` (clock, date and epoch styles).
    stamp: Vec<u8>,
    stamp_sec: Option<i64>,
    /// `stamp` and its `.` for the fast line (see [`fast::keep_stamp`]).
    stamp_room: fast::Stamp,
    /// Where the fast line is built.
    fast_line: [u8; fast::LINE_ROOM],
    /// How many tunnels deep the packet being printed is.
    depth: u8,
    /// `-#`, `-e`, `-q`.
    pub options: extras::LineOptions,
    /// Packets printed so far (for `-#`).
    printed: u64,
    /// Interface names of SLL2 packets.
    interfaces: extras::InterfaceNames,
    /// The first and the previous packet's time as tcpdump holds it (seconds and signed
    /// microseconds as written), for deltas of records whose microseconds overflow.
    tv_first: Option<(i64, i64)>,
    tv_prev: Option<(i64, i64)>,
    /// The text of recent addresses, for `SRC.SPORT > DST.DPORT`.
    addr_text: TextCache,
    /// The text of recent `SRC.SPORT > DST.DPORT`.
    pair_text: pairs::PairTexts,
}

impl TcpdumpRenderer {
    pub fn new(time: TimeFormatter, absolute: bool) -> Self {
        TcpdumpRenderer {
            time,
            absolute,
            seq_table_limit: SEQ_TABLE_LIMIT,
            seq_hash: HashMap::default(),
            line: Vec::with_capacity(512),
            stamp: Vec::with_capacity(32),
            stamp_sec: None,
            stamp_room: fast::Stamp::default(),
            fast_line: [0; fast::LINE_ROOM],
            depth: 0,
            options: extras::LineOptions::default(),
            printed: 0,
            interfaces: extras::InterfaceNames::default(),
            tv_first: None,
            tv_prev: None,
            addr_text: TextCache::default(),
            pair_text: pairs::PairTexts::default(),
        }
    }
}

impl Renderer for TcpdumpRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        _ctx: &PacketContext,
    ) -> io::Result<()> {
        if let Some(written) = self.fast_line(out, p) {
            return written;
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.printed += 1;
        if self.options.number {
            extras::number(&mut line, self.printed);
        }
        self.timestamp(&mut line, p.ts)?;
        let linked = match &p.link {
            Link::Sll(s) if s.version == 2 => {
                extras::sll2_prefix(&mut line, s, p, &mut self.interfaces, &self.options)
            }
            _ => self.options.link_header && extras::link_header(&mut line, p),
        };
        let body_at = line.len();
        self.body(&mut line, p)?;
        if self.options.quick {
            extras::quick(&mut line, body_at, p);
        }
        if self.options.verbose > 0 && vflag::supported(p) {
            let quoted = vflag::quoted_datagram(p).map(|q| self.quoted(q));
            vflag::apply(&mut line, body_at, p, quoted, self.options.verbose);
        }
        if linked {
            extras::strip_protocol(&mut line, body_at);
        }
        line.push(b'\n');
        let r = out.write_all(&line);
        self.line = line;
        r
    }
}

/// Formats the rare, non-IP parts of a line; `write!` into a `Vec` cannot fail.
macro_rules! w {
    ($buf:expr, $($arg:tt)*) => {
        write!($buf, $($arg)*)
    };
}

impl TcpdumpRenderer {
    /// The timestamp and its space. Styles that depend only on the packet's own time reuse the
    /// text of the whole seconds, formatted once per second by [`TimeFormatter`], and append the
    /// fraction here; the others (deltas) go through the formatter every time.
    fn timestamp(&mut self, line: &mut Vec<u8>, ts: Timestamp) -> io::Result<()> {
        // Without --nano, libpcap hands tcpdump microseconds (cut, not rounded), and tcpdump
        // computes deltas from those: cut first, so that -ttt and -ttttt agree to the digit.
        let ts = if self.time.nano {
            ts
        } else {
            Timestamp {
                nsec: ts.nsec / 1000 * 1000,
                ..ts
            }
        };
        let absolute = matches!(
            self.time.style,
            TimeStyle::Clock | TimeStyle::Date | TimeStyle::Epoch
        );
        if ts.written_us != 0 && absolute && !self.time.nano {
            // tcpdump prints the microsecond field as written (`%06u`) after the seconds as
            // written: `00:01:40.1500000`.
            self.stamp_sec = None;
            self.stamp.clear();
            self.time
                .write(&mut self.stamp, Timestamp::new(ts.written_sec(), 0))?;
            let cut = self.stamp.iter().rposition(|b| *b == b'.');
            self.stamp.truncate(cut.unwrap_or(self.stamp.len()));
            line.extend_from_slice(&self.stamp);
            line.push(b'.');
            fmt::push_u64_width(line, ts.written_us as u64, 6);
            line.push(b' ');
            return Ok(());
        }
        if !absolute {
            let start = line.len();
            self.time.write(line, ts)?;
            if !self.time.nano {
                self.overflowing_delta(line, start, ts);
            }
            // tcpdump keeps a column for the sign of a time difference: ' ' or '-'.
            if matches!(self.time.style, TimeStyle::Delta | TimeStyle::SinceFirst)
                && line.get(start) != Some(&b'-')
            {
                line.insert(start, b' ');
            }
            return Ok(());
        }
        if self.stamp_sec != Some(ts.sec) {
            self.stamp.clear();
            self.time
                .write(&mut self.stamp, Timestamp::new(ts.sec, 0))?;
            // Keep the text before the fraction: "... HH:MM:SS" of "... HH:MM:SS.000000 ".
            let cut = self
                .stamp
                .iter()
                .rposition(|b| *b == b'.')
                .unwrap_or(self.stamp.len());
            self.stamp.truncate(cut);
            self.stamp_sec = Some(ts.sec);
            fast::keep_stamp(&mut self.stamp_room, &self.stamp);
        }
        line.extend_from_slice(&self.stamp);
        line.push(b'.');
        let (frac, width) = if self.time.nano {
            (ts.nsec as u64, 9)
        } else {
            ((ts.nsec / 1000) as u64, 6)
        };
        fmt::push_u64_width(line, frac, width);
        line.push(b' ');
        Ok(())
    }

    /// `-v`'s form of the datagram an ICMP error quotes, as print-icmp.c prints it: decoded as
    /// an IP packet as long as its own header says (only its start was quoted).
    fn quoted(&mut self, bytes: &[u8]) -> Vec<u8> {
        let frame = crate::source::Frame {
            ts: Timestamp::new(0, 0),
            link: crate::source::LinkType::RAW,
            orig_len: bytes.len() as u32,
            data: bytes,
        };
        let mut q = crate::decode::decode(&frame);
        if let Net::Ipv4(h) = &q.net {
            q.orig_len = q.orig_len.max(h.total_len as u32);
        }
        let mut out = Vec::new();
        if self.body(&mut out, &q).is_ok() && vflag::supported(&q) {
            vflag::apply(&mut out, 0, &q, None, self.options.verbose);
        }
        // With -e, print-ip.c leaves out `IP ` here too.
        if self.options.link_header {
            extras::strip_protocol(&mut out, 0);
        }
        out
    }

    /// `-ttt` and `-ttttt` where this record's or the other's microseconds were written as a
    /// second or more: tcpdump subtracts the fields as written (libpcap reads the microseconds
    /// as a signed 32-bit number), borrows one second at most, and prints the microseconds
    /// with `%06u` (tcpdump 4.99.3's output on such a file); the line from `start` is replaced.
    fn overflowing_delta(&mut self, line: &mut Vec<u8>, start: usize, ts: Timestamp) {
        let tv = if ts.written_us != 0 {
            (ts.written_sec(), i64::from(ts.written_us as i32))
        } else {
            (ts.sec, i64::from(ts.nsec / 1000))
        };
        let first = *self.tv_first.get_or_insert(tv);
        let base = match self.time.style {
            TimeStyle::Delta => self.tv_prev.replace(tv).unwrap_or(tv),
            TimeStyle::SinceFirst => first,
            _ => return,
        };
        let overflowed = |t: (i64, i64)| !(0..1_000_000).contains(&t.1);
        if !overflowed(tv) && !overflowed(base) {
            return;
        }
        let (mut s, mut us) = (tv.0 - base.0, tv.1 - base.1);
        if us < 0 {
            s -= 1;
            us += 1_000_000;
        }
        if s < 0 {
            return;
        }
        line.truncate(start);
        let text = format!(
            "{:02}:{:02}:{:02}.{:06} ",
            s / 3600,
            s / 60 % 60,
            s % 60,
            us as u32
        );
        line.extend_from_slice(text.as_bytes());
    }

    /// Everything after the timestamp (and `-e`'s link header). Inlined, as is
    /// [`Self::body_after_link`]: one call fewer on every line, the rare PPPoE path apart.
    #[inline]
    fn body(&mut self, line: &mut Vec<u8>, p: &Packet<'_>) -> io::Result<()> {
        match &p.pppoe {
            Some(s) => self.pppoe_body(line, p, s),
            None => self.body_after_link(line, p),
        }
    }

    /// [`Self::body`] of a PPPoE packet: its header, then (for a session) the packet it carries.
    #[cold]
    #[inline(never)]
    fn pppoe_body(
        &mut self,
        line: &mut Vec<u8>,
        p: &Packet<'_>,
        s: &crate::decode::pppoe::PppoeSummary,
    ) -> io::Result<()> {
        let mut head = String::new();
        let done = pppoe::pppoe(&mut head, s, p, self.options.link_header);
        line.extend_from_slice(head.as_bytes());
        if done {
            return Ok(());
        }
        if self.options.link_header {
            // -e named the protocol already: the network layer prints without its word.
            let at = line.len();
            self.body_after_link(line, p)?;
            if let Some(i) = [&b"IP6 "[..], b"IP "]
                .iter()
                .filter_map(|w| line[at..].windows(w.len()).position(|x| x == *w))
                .min()
            {
                let w = if line[at + i..].starts_with(b"IP6 ") {
                    4
                } else {
                    3
                };
                line.drain(at + i..at + i + w);
            }
            return Ok(());
        }
        self.body_after_link(line, p)
    }

    /// The line after the link layer: MPLS labels, then the network layer.
    #[inline]
    fn body_after_link(&mut self, line: &mut Vec<u8>, p: &Packet<'_>) -> io::Result<()> {
        mpls(line, &p.mpls);
        match &p.net {
            Net::Ipv4(_) | Net::Ipv6(_) => self.ip(line, p),
            Net::Arp(_) => {
                arp::arp(line, p);
                Ok(())
            }
            Net::Other {
                ether_type: tunnel::ETHERTYPE_NSH,
            } => {
                let data = p.data.get(p.net_offset as usize..).unwrap_or(&[]);
                self.nsh(line, p, data)
            }
            Net::Other { ether_type } => match p.link {
                Link::Loopback { family } => w!(line, "AF {family}, length {}", p.orig_len),
                _ => w!(line, "ethertype 0x{ether_type:04x}, length {}", p.orig_len),
            },
            Net::None => match p.link {
                Link::Unsupported => {
                    w!(line, "[link type {}] length {}", p.link_type, p.orig_len)
                }
                _ => {
                    match &p.stop {
                        Some(s) => w!(line, "[|{}]", s.layer.name())?,
                        None => w!(line, "[{}] length {}", p.link_type, p.orig_len)?,
                    }
                    Ok(())
                }
            },
        }
    }

    fn ip(&mut self, line: &mut Vec<u8>, p: &Packet<'_>) -> io::Result<()> {
        let mut addrs = Addrs::of(p);
        line.extend_from_slice(if addrs.v6 { b"IP6 " } else { b"IP " });
        // The IP length claims more than the frame brought (print-ip.c, print-ip6.c).
        let on_wire = (p.orig_len as usize).saturating_sub(p.net_offset as usize);
        let claimed = match &p.net {
            Net::Ipv4(h) => h.total_len as usize,
            Net::Ipv6(h) if h.payload_len > 0 => h.payload_len as usize + 40,
            _ => 0,
        };
        if claimed > on_wire {
            line.extend_from_slice(if addrs.v6 {
                b"truncated-ip6 - "
            } else {
                b"truncated-ip - "
            });
            push_u64(line, (claimed - on_wire) as u64);
            // print-ip6.c leaves out the space before the addresses.
            line.extend_from_slice(if addrs.v6 {
                b" bytes missing!"
            } else {
                b" bytes missing! "
            });
        }
        if let Net::Ipv6(h) = &p.net
            && h.ext_count > 0
            && !ext::leaves_addresses_to_transport(h.next_header)
        {
            addrs.lead(line);
            addrs.shown = true;
            if !ext::headers(line, p, h) {
                return Ok(());
            }
        }
        match &p.transport {
            Transport::Tcp(t) => {
                self.tcp(line, p, t, &addrs);
                Ok(())
            }
            Transport::Udp(u) => {
                addrs.pair_ports(
                    line,
                    &mut self.addr_text,
                    &mut self.pair_text,
                    u.src_port,
                    u.dst_port,
                );
                line.extend_from_slice(b": ");
                if u.length >= 8 && self.udp_application(line, p, u) {
                    return Ok(());
                }
                if u.length >= 8 && self.udp_tunnel(line, p, u.src_port, u.dst_port)? {
                    return Ok(());
                }
                udp(line, p, u);
                Ok(())
            }
            Transport::Icmpv4(_) => {
                addrs.lead(line);
                icmp::icmp(line, transport_bytes(p), segment_len(p));
                Ok(())
            }
            Transport::Icmpv6(_) => {
                addrs.lead(line);
                icmp::icmp6(line, transport_bytes(p), segment_len(p));
                Ok(())
            }
            Transport::Partial {
                protocol: proto::TCP,
                ..
            } if matches!(p.stop, Some(s) if matches!(s.kind, StopKind::Truncated { .. }))
                && crate::decode::tcp_header_prefix(p.payload).is_some() =>
            {
                if let Some(t) = crate::decode::tcp_header_prefix(p.payload) {
                    self.tcp(line, p, &t, &addrs);
                }
                Ok(())
            }
            Transport::Partial { protocol, ports } => {
                let tcp = *protocol == proto::TCP;
                // tcpdump prints the addresses (and ports when it has them), then reports the
                // cut with a leading space: two spaces after the colon, except for TCP
                // without ports, whose address part ends at the colon.
                match ports {
                    Some((s, d)) => {
                        addrs.pair_ports(line, &mut self.addr_text, &mut self.pair_text, *s, *d);
                        line.extend_from_slice(b": ");
                    }
                    None if tcp && !addrs.shown => {
                        addrs.lead(line);
                        line.pop();
                    }
                    None => addrs.lead(line),
                }
                match p.stop {
                    Some(s)
                        if matches!(s.kind, StopKind::Malformed(_)) && s.layer == Layer::Tcp =>
                    {
                        let hl = crate::decode::tcp_claimed_header_len(p.payload);
                        w!(
                            line,
                            " tcp {} [bad hdr length {hl} - too short, < 20]",
                            p.payload_wire_len.saturating_sub(hl)
                        )
                    }
                    _ => w!(line, " [|{}]", if tcp { "tcp" } else { "udp" }),
                }
            }
            Transport::Other {
                protocol: proto::ICMP,
            } if !is_fragment(p) => {
                addrs.lead(line);
                icmp::icmp(line, transport_bytes(p), segment_len(p));
                Ok(())
            }
            Transport::Other {
                protocol: proto::ICMPV6,
            } if !is_fragment(p) => {
                addrs.lead(line);
                icmp::icmp6(line, transport_bytes(p), segment_len(p));
                Ok(())
            }
            Transport::Other { .. } | Transport::None if is_fragment(p) => {
                addrs.lead(line);
                w!(line, "ip-proto-{}", p.ip_protocol().unwrap_or(0))
            }
            Transport::Other { protocol } => {
                addrs.lead(line);
                match *protocol {
                    proto::IPIP => self.ip_in_ip(line, p, false),
                    proto::IPV6_IN_IP => self.ip_in_ip(line, p, true),
                    proto::GRE => self.gre(line, p),
                    // print-ip.c's ip_demux_print starts with a space of its own after the
                    // "SRC > DST: " of ip_print: two spaces in all.
                    _ => w!(line, " ip-proto-{protocol} {}", p.payload_wire_len),
                }
            }
            Transport::None => {
                addrs.lead(line);
                match p.stop {
                    Some(s) => w!(line, "[|{}]", s.layer.name()),
                    None => w!(line, "ip-proto-{}", p.ip_protocol().unwrap_or(0)),
                }
            }
        }
    }

    /// The sequence and acknowledgement numbers to print, relative to the connection's first
    /// ones unless `-S` (print-tcp.c's `tha` table, updated here), and the bases for SACK
    /// blocks.
    #[inline(always)]
    fn relative(&mut self, t: &TcpSummary<'_>, addrs: &Addrs) -> (u32, u32, tcp::SackBase) {
        let (mut seq, mut ack) = (t.seq, t.ack);
        let mut sb = tcp::SackBase::default();
        if !self.absolute && t.flags.ack() {
            let rev =
                t.src_port > t.dst_port || (t.src_port == t.dst_port && addrs.src > addrs.dst);
            let key = if rev {
                SeqKey {
                    a: addrs.dst,
                    b: addrs.src,
                    ports: (t.dst_port as u32) << 16 | t.src_port as u32,
                    v6: addrs.v6,
                }
            } else {
                SeqKey {
                    a: addrs.src,
                    b: addrs.dst,
                    ports: (t.src_port as u32) << 16 | t.dst_port as u32,
                    v6: addrs.v6,
                }
            };
            let base = match self.seq_hash.get(&key) {
                Some(b) if !t.flags.syn() => {
                    if rev {
                        seq = seq.wrapping_sub(b.ack);
                        ack = ack.wrapping_sub(b.seq);
                    } else {
                        seq = seq.wrapping_sub(b.seq);
                        ack = ack.wrapping_sub(b.ack);
                    }
                    *b
                }
                _ => {
                    let b = if rev {
                        SeqBase {
                            ack: seq,
                            seq: ack.wrapping_sub(1),
                        }
                    } else {
                        SeqBase {
                            seq,
                            ack: ack.wrapping_sub(1),
                        }
                    };
                    if self.seq_hash.len() >= self.seq_table_limit {
                        self.seq_hash.clear();
                    }
                    self.seq_hash.insert(key, b);
                    b
                }
            };
            sb = tcp::SackBase {
                thseq: base.seq,
                thack: base.ack,
                rev,
                segment_captured: false,
            };
        }
        (seq, ack, sb)
    }

    fn tcp(&mut self, line: &mut Vec<u8>, p: &Packet<'_>, t: &TcpSummary<'_>, addrs: &Addrs) {
        addrs.pair_ports(
            line,
            &mut self.addr_text,
            &mut self.pair_text,
            t.src_port,
            t.dst_port,
        );
        line.extend_from_slice(b": ");
        tcp::flags(line, t.flags);
        let (seq, ack, mut sb) = self.relative(t, addrs);
        let hlen = t.header_len as u32;
        let seg = segment_len(p);
        if hlen > seg {
            line.extend_from_slice(b" [bad hdr length ");
            push_u64(line, hlen as u64);
            line.extend_from_slice(b" - too long, > ");
            push_u64(line, seg as u64);
            line.push(b']');
            return;
        }
        let length = seg - hlen;
        sb.segment_captured = p.payload.len() as u32 >= length;
        // print-tcp.c: `-vv` prints the sequence number of every segment.
        if self.options.verbose > 1 || length > 0 || t.flags.syn() || t.flags.fin() || t.flags.rst()
        {
            line.extend_from_slice(b", seq ");
            push_u64(line, seq as u64);
            if length > 0 {
                line.push(b':');
                push_u64(line, seq.wrapping_add(length) as u64);
            }
        }
        if t.flags.ack() {
            line.extend_from_slice(b", ack ");
            push_u64(line, ack as u64);
        }
        line.extend_from_slice(b", win ");
        push_u64(line, t.window as u64);
        if t.flags.urg() {
            line.extend_from_slice(b", urg ");
            push_u64(line, t.urgent as u64);
        }
        if hlen > 20 && tcp::options(line, t, sb) != tcp::OptionsEnd::Closed {
            return;
        }
        line.extend_from_slice(b", length ");
        push_u64(line, length as u64);
        let captured = (20 + t.options.len()) as u32;
        if captured < hlen {
            line.extend_from_slice(b" [remaining caplen(");
            push_u64(line, captured as u64);
            line.extend_from_slice(b") < header length(");
            push_u64(line, hlen as u64);
            line.extend_from_slice(b")] [|tcp]");
            return;
        }
        if length > 0 {
            let data = transport_bytes(p).get(hlen as usize..).unwrap_or(&[]);
            let vflag = self.options.verbose;
            tcp_application(line, (t.src_port, t.dst_port), data, length, vflag);
        }
    }
}

/// The application printers print-tcp.c calls after `length N`, by port, for the ones this
/// view has (HTTP, DNS); ports print-tcp.c tries first are left alone.
fn tcp_application(line: &mut Vec<u8>, ports: (u16, u16), data: &[u8], length: u32, vflag: u8) {
    let (sport, dport) = ports;
    let is = |p: u16| sport == p || dport == p;
    // telnet, SMTP, whois, BGP, PPTP, Redis, SSH, BEEP, OpenFlow, FTP (NetBIOS and SMB only
    // in builds with ENABLE_SMB, which Debian's 4.99 is not).
    // One `match` each way: a compare-and-branch tree, where a loop over a list costs two
    // compares per port of it.
    let earlier = |p: u16| {
        matches!(
            p,
            21..=23 | 25 | 43 | 179 | 1723 | 6379 | 6633 | 6653 | 10288
        )
    };
    if earlier(sport) || earlier(dport) {
        return;
    }
    if is(crate::decode::http::PORT) || is(crate::decode::http::PORT_ALT) {
        http::http(line, data, length as usize);
    } else if is(554) || is(8554) {
        // RTSP comes before DNS in print-tcp.c; this view does not print it.
    } else if is(crate::decode::dns::PORT) {
        dns::domain(line, data, length, true, false, vflag);
    }
}

impl TcpdumpRenderer {
    /// DNS on port 53 (tried first by print-udp.c) and multicast DNS on 5353 (tried after
    /// ports this view does not decode, which keep `UDP, length N`).
    fn udp_application(&mut self, line: &mut Vec<u8>, p: &Packet<'_>, u: &UdpSummary) -> bool {
        let is = |port: u16| u.src_port == port || u.dst_port == port;
        let mdns = !is(crate::decode::dns::PORT) && is(crate::decode::dns::MDNS_PORT);
        if !is(crate::decode::dns::PORT) && (!mdns || udp_tried_before_mdns(u)) {
            return false;
        }
        let length = p.payload_wire_len.min(u.length as u32 - 8);
        let data = transport_bytes(p).get(8..).unwrap_or(&[]);
        dns::domain(line, data, length, false, mdns, self.options.verbose);
        true
    }
}

/// print-udp.c's ports tried before multicast DNS (BOOTP, TFTP, Kerberos, NTP, NetBIOS, SNMP,
/// PTP, Cisco Auto-RP, ISAKMP, syslog, RIP, RIPng, timed, DHCPv6, LDP, AODV, OLSR, LMP,
/// Kerberos-sec, lwres).
fn udp_tried_before_mdns(u: &UdpSummary) -> bool {
    const PORTS: [u16; 25] = [
        67, 68, 69, 88, 123, 137, 138, 161, 162, 319, 320, 496, 500, 514, 520, 521, 525, 546, 547,
        646, 654, 698, 701, 750, 921,
    ];
    PORTS.contains(&u.src_port) || PORTS.contains(&u.dst_port)
}

/// `UDP, length N` as print-udp.c computes it: the UDP length field, checked against what the
/// IP header leaves for it (a datagram cut into IP fragments is not checked).
fn udp(line: &mut Vec<u8>, p: &Packet<'_>, u: &UdpSummary) {
    let ip_len = p.payload_wire_len + 8;
    let mut ulen = u.length as u32;
    // IPv6 jumbograms (RFC 2675) carry 0 here.
    if ulen == 0 && ip_len > 65535 {
        ulen = ip_len;
    }
    if ulen < 8 {
        line.extend_from_slice(b"undersized-udplength ");
        push_u64(line, ulen as u64);
        line.extend_from_slice(b" < 8");
        return;
    }
    let ulen = ulen - 8;
    let length = p.payload_wire_len.min(ulen);
    if ulen > length && !is_fragmented(p) {
        line.extend_from_slice(b"UDP, bad length ");
        push_u64(line, ulen as u64);
        line.extend_from_slice(b" > ");
        push_u64(line, length as u64);
    } else {
        line.extend_from_slice(b"UDP, length ");
        push_u64(line, ulen as u64);
    }
}

/// `MPLS (label L, tc T, [S], ttl N) ` for each label stack entry (print-mpls.c, RFC 3032).
fn mpls(line: &mut Vec<u8>, m: &MplsStack) {
    if m.count == 0 {
        return;
    }
    line.extend_from_slice(b"MPLS");
    for e in m.entries() {
        line.extend_from_slice(b" (label ");
        push_u64(line, (e >> 12) as u64);
        line.extend_from_slice(b", tc ");
        push_u64(line, ((e >> 9) & 7) as u64);
        if e & 0x100 != 0 {
            line.extend_from_slice(b", [S]");
        }
        line.extend_from_slice(b", ttl ");
        push_u64(line, (e & 0xff) as u64);
        line.push(b')');
    }
    line.push(b' ');
}

/// The two addresses of an IP packet as bytes (IPv4 in the first four).
struct Addrs {
    src: [u8; 16],
    dst: [u8; 16],
    v6: bool,
    /// `SRC > DST: ` was already printed (by the IPv6 extension headers): ports stand alone.
    shown: bool,
}

impl Addrs {
    fn of(p: &Packet<'_>) -> Addrs {
        let mut a = Addrs {
            src: [0; 16],
            dst: [0; 16],
            v6: false,
            shown: false,
        };
        match &p.net {
            Net::Ipv4(h) => {
                a.src[..4].copy_from_slice(&h.src.octets());
                a.dst[..4].copy_from_slice(&h.dst.octets());
            }
            Net::Ipv6(h) => {
                a.src = h.src.octets();
                a.dst = h.dst.octets();
                a.v6 = true;
            }
            _ => {}
        }
        a
    }

    fn addr(&self, line: &mut Vec<u8>, a: &[u8; 16]) {
        if self.v6 {
            fmt::push_ipv6(line, a);
        } else {
            fmt::push_ipv4(line, [a[0], a[1], a[2], a[3]]);
        }
    }

    /// `SRC > DST: ` unless already shown.
    fn lead(&self, line: &mut Vec<u8>) {
        if !self.shown {
            self.addr(line, &self.src);
            line.extend_from_slice(b" > ");
            self.addr(line, &self.dst);
            line.extend_from_slice(b": ");
        }
    }

    /// `SRC.SPORT > DST.DPORT`, or `SPORT > DPORT` when the addresses were shown. The whole
    /// text of a pair comes from `pairs` when it was written lately; otherwise each
    /// `ADDRESS.PORT` comes from `names`, keyed by the address with the port and family as its
    /// tag (the same text [`Addrs::addr`] and the port write).
    #[inline]
    fn pair_ports(
        &self,
        line: &mut Vec<u8>,
        names: &mut TextCache,
        pairs: &mut pairs::PairTexts,
        sport: u16,
        dport: u16,
    ) {
        if self.shown {
            fmt::push_u32(line, sport as u32);
            line.extend_from_slice(b" > ");
            fmt::push_u32(line, dport as u32);
            return;
        }
        let key = pairs::PairKey::new(self.src, self.dst, sport, dport, self.v6);
        pairs.push(line, &key, |line| {
            self.endpoint(line, names, &self.src, sport);
            line.extend_from_slice(b" > ");
            self.endpoint(line, names, &self.dst, dport);
        });
    }

    /// `ADDRESS.PORT` through `names`.
    #[inline(always)]
    fn endpoint(&self, line: &mut Vec<u8>, names: &mut TextCache, a: &[u8; 16], port: u16) {
        let tag = self.v6 as u32 | (port as u32) << 1;
        names.push(line, a, tag, |t| {
            self.addr(t, a);
            t.push(b'.');
            fmt::push_u32(t, port as u32);
        });
    }
}

/// Length on the wire of what follows the IP header(s), which tcpdump's transport printers
/// receive as `length` (the captured length when the IP length field is 0).
fn segment_len(p: &Packet<'_>) -> u32 {
    let wire = match &p.net {
        Net::Ipv4(h) => (h.total_len as u32).saturating_sub(h.header_len as u32),
        Net::Ipv6(h) => (h.payload_len as u32).saturating_sub(h.ext_len()),
        _ => 0,
    };
    if wire == 0 {
        p.data.len().saturating_sub(p.transport_offset as usize) as u32
    } else {
        wire
    }
}

/// The captured bytes of the transport header and what follows, up to the IP length.
fn transport_bytes<'a>(p: &Packet<'a>) -> &'a [u8] {
    let start = p.transport_offset as usize;
    let end = start
        .saturating_add(segment_len(p) as usize)
        .min(p.data.len());
    p.data.get(start..end).unwrap_or(&[])
}

/// A later fragment: no transport header in it.
fn is_fragment(p: &Packet<'_>) -> bool {
    match &p.net {
        Net::Ipv4(h) => h.frag_offset != 0,
        Net::Ipv6(h) => h.fragment.map(|f| f.offset != 0).unwrap_or(false),
        _ => false,
    }
}

/// Any piece of a fragmented datagram (print-ip.c: `off & (IP_MF|IP_OFFMASK)`).
fn is_fragmented(p: &Packet<'_>) -> bool {
    match &p.net {
        Net::Ipv4(h) => h.frag_offset != 0 || h.more_fragments,
        Net::Ipv6(h) => h.fragment.is_some(),
        _ => false,
    }
}

/// A MAC address in tcpdump's lower-case colon form.
pub struct Mac(pub [u8; 6]);

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests;
