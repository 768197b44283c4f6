//! tcpdump's `-n` one-line format, exact for IPv4/IPv6 TCP and UDP through the `length N` field
//! (print-ip.c, print-ip6.c, print-tcp.c, print-udp.c of tcpdump 4.99), with tcpdump's relative
//! sequence numbers (`-S` for absolute ones).

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;

use super::time::TimeFormatter;
use super::{PacketContext, Renderer};
use crate::decode::{
    FLAG_TABLE, Layer, Link, Net, Packet, StopKind, TcpOption, TcpSummary, Transport, proto,
};

/// tcpdump's per-connection base for relative sequence numbers (print-tcp.c `tcp_seq_hash`):
/// the key is the connection with the lower port first, the value the two bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct SeqKey {
    a: IpAddr,
    b: IpAddr,
    ports: u32,
}

#[derive(Clone, Copy, Debug)]
struct SeqBase {
    seq: u32,
    ack: u32,
}

pub struct TcpdumpRenderer {
    pub time: TimeFormatter,
    /// `-S`: print absolute sequence numbers.
    pub absolute: bool,
    seq_hash: HashMap<SeqKey, SeqBase>,
}

impl TcpdumpRenderer {
    pub fn new(time: TimeFormatter, absolute: bool) -> Self {
        TcpdumpRenderer {
            time,
            absolute,
            seq_hash: HashMap::new(),
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
        self.time.write(out, p.ts)?;
        match &p.net {
            Net::Ipv4(_) | Net::Ipv6(_) => self.ip(out, p)?,
            Net::Arp(a) => {
                if a.ethernet_ipv4 {
                    let ip = |b: [u8; 4]| std::net::Ipv4Addr::from(b);
                    match a.operation {
                        1 => write!(
                            out,
                            "ARP, Request who-has {} tell {}",
                            ip(a.target_ip),
                            ip(a.sender_ip)
                        )?,
                        2 => write!(
                            out,
                            "ARP, Reply {} is-at {}",
                            ip(a.sender_ip),
                            Mac(a.sender_hw)
                        )?,
                        op => write!(out, "ARP, op {op}")?,
                    }
                } else {
                    write!(
                        out,
                        "ARP, hardware type {}, protocol 0x{:04x}",
                        a.hw_type, a.proto_type
                    )?;
                }
                write!(
                    out,
                    ", length {}",
                    p.data.len().saturating_sub(p.net_offset as usize)
                )?;
            }
            Net::Other { ether_type } => match p.link {
                Link::Loopback { family } => write!(out, "AF {family}, length {}", p.orig_len)?,
                _ => write!(out, "ethertype 0x{ether_type:04x}, length {}", p.orig_len)?,
            },
            Net::None => match p.link {
                Link::Unsupported => {
                    write!(out, "[link type {}] length {}", p.link_type, p.orig_len)?
                }
                _ => {
                    if let Some(s) = &p.stop {
                        write!(out, "[|{}]", s.layer.name())?;
                    }
                }
            },
        }
        out.write_all(b"\n")
    }
}

impl TcpdumpRenderer {
    fn ip(&mut self, out: &mut dyn Write, p: &Packet<'_>) -> io::Result<()> {
        let (src, dst) = (
            p.src_ip().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            p.dst_ip().unwrap_or(IpAddr::from([0, 0, 0, 0])),
        );
        out.write_all(if src.is_ipv4() { b"IP " } else { b"IP6 " })?;
        match &p.transport {
            Transport::Tcp(t) => self.tcp(out, p, t, src, dst),
            Transport::Udp(u) => {
                write!(out, "{src}.{} > {dst}.{}: ", u.src_port, u.dst_port)?;
                let ulen = u.length as u32;
                if ulen < 8 {
                    return write!(out, "UDP, bad length {ulen} < 8");
                }
                let ip_len = p.payload_wire_len + 8;
                if ulen > ip_len {
                    return write!(out, "UDP, bad length {ulen} > {ip_len}");
                }
                write!(out, "UDP, length {}", ulen - 8)
            }
            Transport::Icmpv4(i) => {
                write!(out, "{src} > {dst}: ICMP ")?;
                let id = u16::from_be_bytes([i.rest[0], i.rest[1]]);
                let seq = u16::from_be_bytes([i.rest[2], i.rest[3]]);
                match i.kind {
                    0 => write!(out, "echo reply, id {id}, seq {seq}")?,
                    8 => write!(out, "echo request, id {id}, seq {seq}")?,
                    _ => write!(out, "{}", crate::decode::names::icmpv4(i.kind, i.code))?,
                }
                write!(out, ", length {}", p.payload_wire_len + 8)
            }
            Transport::Icmpv6(i) => {
                write!(out, "{src} > {dst}: ICMP6, ")?;
                let id = u16::from_be_bytes([i.rest[0], i.rest[1]]);
                let seq = u16::from_be_bytes([i.rest[2], i.rest[3]]);
                match i.kind {
                    128 => write!(out, "echo request, id {id}, seq {seq}")?,
                    129 => write!(out, "echo reply, id {id}, seq {seq}")?,
                    _ => write!(out, "{}", crate::decode::names::icmpv6(i.kind, i.code))?,
                }
                write!(out, ", length {}", p.payload_wire_len + 4)
            }
            Transport::Partial { protocol, ports } => {
                let name = if *protocol == proto::TCP {
                    "tcp"
                } else {
                    "udp"
                };
                match ports {
                    Some((s, d)) => write!(out, "{src}.{s} > {dst}.{d}: ")?,
                    None => write!(out, "{src} > {dst}: ")?,
                }
                match p.stop {
                    Some(s)
                        if matches!(s.kind, StopKind::Malformed(_)) && s.layer == Layer::Tcp =>
                    {
                        let hl = p.payload.get(12).map(|b| (b >> 4) as u32 * 4).unwrap_or(0);
                        write!(
                            out,
                            "tcp {} [bad hdr length {hl} - too short, < 20]",
                            p.payload_wire_len.saturating_sub(hl)
                        )
                    }
                    _ => write!(out, "[|{name}]"),
                }
            }
            Transport::Other { .. } | Transport::None if is_fragment(p) => {
                write!(
                    out,
                    "{src} > {dst}: ip-proto-{}",
                    p.ip_protocol().unwrap_or(0)
                )
            }
            Transport::Other { protocol } => {
                write!(
                    out,
                    "{src} > {dst}: ip-proto-{protocol} {}",
                    p.payload_wire_len
                )
            }
            Transport::None => match p.stop {
                Some(s) => write!(out, "{src} > {dst}: [|{}]", s.layer.name()),
                None => write!(
                    out,
                    "{src} > {dst}: ip-proto-{}",
                    p.ip_protocol().unwrap_or(0)
                ),
            },
        }
    }

    fn tcp(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        t: &TcpSummary<'_>,
        src: IpAddr,
        dst: IpAddr,
    ) -> io::Result<()> {
        write!(out, "{src}.{} > {dst}.{}: Flags [", t.src_port, t.dst_port)?;
        if t.flags.0 == 0 {
            out.write_all(b"none")?;
        }
        for (bit, c, _) in FLAG_TABLE {
            if t.flags.has(bit) {
                write!(out, "{c}")?;
            }
        }
        out.write_all(b"]")?;
        let (mut seq, mut ack) = (t.seq, t.ack);
        let (mut thseq, mut thack, mut rev) = (0u32, 0u32, false);
        if !self.absolute && t.flags.ack() {
            rev = t.src_port > t.dst_port || (t.src_port == t.dst_port && addr_bytes_gt(src, dst));
            let key = if rev {
                SeqKey {
                    a: dst,
                    b: src,
                    ports: (t.dst_port as u32) << 16 | t.src_port as u32,
                }
            } else {
                SeqKey {
                    a: src,
                    b: dst,
                    ports: (t.src_port as u32) << 16 | t.dst_port as u32,
                }
            };
            match self.seq_hash.get(&key) {
                Some(b) if !t.flags.syn() => {
                    if rev {
                        seq = seq.wrapping_sub(b.ack);
                        ack = ack.wrapping_sub(b.seq);
                    } else {
                        seq = seq.wrapping_sub(b.seq);
                        ack = ack.wrapping_sub(b.ack);
                    }
                    thseq = b.seq;
                    thack = b.ack;
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
                    self.seq_hash.insert(key, b);
                    thseq = b.seq;
                    thack = b.ack;
                }
            }
        }
        let hlen = t.header_len as u32;
        let ip_len = p.payload_wire_len + hlen;
        if hlen > ip_len {
            return write!(out, " [bad hdr length {hlen} - too long, > {ip_len}]");
        }
        let length = p.payload_wire_len;
        if length > 0 || t.flags.syn() || t.flags.fin() || t.flags.rst() {
            write!(out, ", seq {seq}")?;
            if length > 0 {
                write!(out, ":{}", seq.wrapping_add(length))?;
            }
        }
        if t.flags.ack() {
            write!(out, ", ack {ack}")?;
        }
        write!(out, ", win {}", t.window)?;
        if t.flags.urg() {
            write!(out, ", urg {}", t.urgent)?;
        }
        if hlen > 20 {
            out.write_all(b", options [")?;
            let mut first = true;
            for o in t.options() {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                match o {
                    TcpOption::Eol => out.write_all(b"eol")?,
                    TcpOption::Nop => out.write_all(b"nop")?,
                    TcpOption::Mss(m) => write!(out, "mss {m}")?,
                    TcpOption::WindowScale(w) => write!(out, "wscale {w}")?,
                    TcpOption::SackPermitted => out.write_all(b"sackOK")?,
                    TcpOption::Sack { blocks, count } => {
                        write!(out, "sack {count} ")?;
                        for (s, e) in &blocks[..count as usize] {
                            let base = if rev { thseq } else { thack };
                            write!(out, "{{{}:{}}}", s.wrapping_sub(base), e.wrapping_sub(base))?;
                        }
                    }
                    TcpOption::Timestamp { val, ecr } => write!(out, "TS val {val} ecr {ecr}")?,
                    TcpOption::Unknown { kind, data } => {
                        write!(out, "{}", option_name(kind))?;
                        if !data.is_empty() {
                            out.write_all(b" 0x")?;
                            for b in data {
                                write!(out, "{b:02x}")?;
                            }
                        }
                    }
                    TcpOption::Bad { kind, len } => {
                        write!(out, "{} bad opt len {len}", option_name(kind))?
                    }
                }
            }
            out.write_all(b"]")?;
        }
        write!(out, ", length {length}")
    }
}

fn is_fragment(p: &Packet<'_>) -> bool {
    match &p.net {
        Net::Ipv4(h) => h.frag_offset != 0,
        Net::Ipv6(h) => h.fragment.map(|f| f.offset != 0).unwrap_or(false),
        _ => false,
    }
}

fn addr_bytes_gt(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets() > b.octets(),
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets() > b.octets(),
        _ => false,
    }
}

/// tcpdump's names of option kinds (print-tcp.c `tcp_option_values`).
fn option_name(kind: u8) -> String {
    match kind {
        0 => "eol".into(),
        1 => "nop".into(),
        2 => "mss".into(),
        3 => "wscale".into(),
        4 => "sackOK".into(),
        5 => "sack".into(),
        6 => "echo".into(),
        7 => "echoreply".into(),
        8 => "TS".into(),
        11 => "cc".into(),
        12 => "ccnew".into(),
        13 => "".into(),
        19 => "md5".into(),
        20 => "scps".into(),
        28 => "uto".into(),
        29 => "tcp-ao".into(),
        30 => "mptcp".into(),
        34 => "tfo".into(),
        253 | 254 => "exp".into(),
        k => format!("unknown-{k}"),
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
