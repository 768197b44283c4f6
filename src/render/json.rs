//! `--json`: one JSON object per packet per line with every decoded field, under stable
//! snake_case names documented in `docs/json.md`. Written straight to the output (no value tree
//! is built); strings that could need escaping go through `serde_json`.

use std::fmt::Display;
use std::io::{self, Write};

use super::learner::FlagNames;
use super::tcpdump::Mac;
use super::{PacketContext, Renderer};
use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::quoted::icmp_quote;
use crate::decode::{IcmpSummary, Layer, Link, Net, Packet, StopKind, TcpOption, Transport, names};
use crate::track::Dir;

/// A minimal streaming JSON writer: keys, scalars, nested objects and arrays.
struct J<'a> {
    w: &'a mut dyn Write,
    first: bool,
}

impl J<'_> {
    fn sep(&mut self) -> io::Result<()> {
        if !self.first {
            self.w.write_all(b",")?;
        }
        self.first = false;
        Ok(())
    }
    fn key(&mut self, k: &str) -> io::Result<()> {
        self.sep()?;
        write!(self.w, "\"{k}\":")
    }
    fn num(&mut self, k: &str, v: impl Display) -> io::Result<()> {
        self.key(k)?;
        write!(self.w, "{v}")
    }
    fn bool(&mut self, k: &str, v: bool) -> io::Result<()> {
        self.num(k, v)
    }
    /// A string whose `Display` never needs escaping (addresses, numbers, fixed names).
    fn plain(&mut self, k: &str, v: impl Display) -> io::Result<()> {
        self.key(k)?;
        write!(self.w, "\"{v}\"")
    }
    fn str(&mut self, k: &str, v: &str) -> io::Result<()> {
        self.key(k)?;
        serde_json::to_writer(&mut *self.w, v).map_err(io::Error::other)
    }
    fn null(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?;
        self.w.write_all(b"null")
    }
    fn open(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?;
        self.w.write_all(b"{")?;
        self.first = true;
        Ok(())
    }
    /// Opens an object as an element of an array.
    fn open_elem(&mut self) -> io::Result<()> {
        self.sep()?;
        self.w.write_all(b"{")?;
        self.first = true;
        Ok(())
    }
    fn close(&mut self) -> io::Result<()> {
        self.first = false;
        self.w.write_all(b"}")
    }
    fn open_arr(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?;
        self.w.write_all(b"[")?;
        self.first = true;
        Ok(())
    }
    fn close_arr(&mut self) -> io::Result<()> {
        self.first = false;
        self.w.write_all(b"]")
    }
    /// `src_port` and `dst_port`, null when not known.
    fn ports(&mut self, ports: Option<(u16, u16)>) -> io::Result<()> {
        match ports {
            Some((s, d)) => {
                self.num("src_port", s)?;
                self.num("dst_port", d)
            }
            None => {
                self.null("src_port")?;
                self.null("dst_port")
            }
        }
    }
    fn checksum(&mut self, value: u16, status: Option<ChecksumStatus>) -> io::Result<()> {
        self.num("checksum", value)?;
        match status {
            Some(s) => {
                self.plain("checksum_status", s.word())?;
                match s.expected() {
                    Some(expected) => self.num("checksum_expected", expected),
                    None => self.null("checksum_expected"),
                }
            }
            None => {
                self.null("checksum_status")?;
                self.null("checksum_expected")
            }
        }
    }
}

/// The JSON renderer.
#[derive(Debug, Default)]
pub struct JsonRenderer;

impl JsonRenderer {
    pub fn new() -> Self {
        JsonRenderer
    }
}

impl Renderer for JsonRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        out.write_all(b"{")?;
        let mut j = J {
            w: out,
            first: true,
        };
        j.num("number", ctx.number)?;
        j.plain("ts", format_args!("{}.{:09}", p.ts.sec, p.ts.nsec))?;
        j.num("ts_sec", p.ts.sec)?;
        j.num("ts_nsec", p.ts.nsec)?;
        j.num("link_type", p.link_type.0)?;
        j.plain("link_type_name", p.link_type.name())?;
        j.num("orig_len", p.orig_len)?;
        j.num("cap_len", p.data.len())?;
        link(&mut j, p)?;
        net(&mut j, p)?;
        transport(&mut j, p)?;
        j.num("payload_len", p.payload_wire_len)?;
        j.num("payload_captured", p.payload.len())?;
        match ctx.track {
            Some(t) => {
                j.num("flow", t.flow)?;
                j.plain(
                    "dir",
                    match t.dir {
                        Dir::ToServer => "to_server",
                        Dir::ToClient => "to_client",
                    },
                )?;
                if p.tcp().is_some() {
                    j.num("rel_seq", t.rel_seq)?;
                    j.num("rel_ack", t.rel_ack)?;
                } else {
                    j.null("rel_seq")?;
                    j.null("rel_ack")?;
                }
                // Wireshark's tcp.analysis names that apply to this segment.
                j.open_arr("analysis")?;
                for name in t.analysis.names() {
                    j.sep()?;
                    write!(j.w, "\"{name}\"")?;
                }
                j.close_arr()?;
            }
            None => {
                for k in ["flow", "dir", "rel_seq", "rel_ack"] {
                    j.null(k)?;
                }
                j.open_arr("analysis")?;
                j.close_arr()?;
            }
        }
        match p.stop {
            None => j.null("stop")?,
            Some(s) => {
                j.open("stop")?;
                j.plain("layer", layer_name(s.layer))?;
                match s.kind {
                    StopKind::Truncated { needed, available } => {
                        j.plain("kind", "truncated")?;
                        j.num("needed", needed)?;
                        j.num("available", available)?;
                    }
                    StopKind::Malformed(why) => {
                        j.plain("kind", "malformed")?;
                        j.str("reason", why)?;
                    }
                }
                j.close()?;
            }
        }
        j.w.write_all(b"}\n")
    }
}

/// Stable names of layers (not tcpdump's `[|name]` words).
fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::Link => "link",
        Layer::Vlan => "vlan",
        Layer::Arp => "arp",
        Layer::Ipv4 => "ipv4",
        Layer::Ipv6 => "ipv6",
        Layer::Ipv6Ext => "ipv6_ext",
        Layer::Tcp => "tcp",
        Layer::Udp => "udp",
        Layer::Icmpv4 => "icmp",
        Layer::Icmpv6 => "icmp6",
    }
}

fn link(j: &mut J<'_>, p: &Packet<'_>) -> io::Result<()> {
    j.open("link")?;
    match p.link {
        Link::Ethernet(e) => {
            j.plain("kind", "ethernet")?;
            j.plain("src", Mac(e.src))?;
            j.plain("dst", Mac(e.dst))?;
            j.num("ether_type", e.ether_type)?;
            j.open_arr("vlans")?;
            for v in e.vlans() {
                j.open_elem()?;
                j.num("id", v.id)?;
                j.num("pcp", v.pcp)?;
                j.bool("dei", v.dei)?;
                j.num("ether_type", v.ether_type)?;
                j.close()?;
            }
            j.close_arr()?;
        }
        Link::Sll(s) => {
            j.plain("kind", "sll")?;
            j.num("version", s.version)?;
            j.num("packet_type", s.packet_type)?;
            j.num("arphrd", s.arphrd)?;
            j.num("addr_len", s.addr_len)?;
            let n = (s.addr_len as usize).min(8);
            j.key("addr")?;
            j.w.write_all(b"\"")?;
            for (i, b) in s.addr[..n].iter().enumerate() {
                if i > 0 {
                    j.w.write_all(b":")?;
                }
                write!(j.w, "{b:02x}")?;
            }
            j.w.write_all(b"\"")?;
            j.num("protocol", s.protocol)?;
            if s.version == 2 {
                j.num("if_index", s.if_index)?;
            } else {
                j.null("if_index")?;
            }
        }
        Link::Loopback { family } => {
            j.plain("kind", "loopback")?;
            j.num("family", family)?;
        }
        Link::Raw => j.plain("kind", "raw")?,
        Link::Unsupported => j.plain("kind", "unsupported")?,
        Link::Framed {
            protocol,
            header_len,
        } => {
            j.plain("kind", "framed")?;
            j.num("protocol", protocol)?;
            j.num("header_len", header_len)?;
        }
    }
    j.close()
}

fn net(j: &mut J<'_>, p: &Packet<'_>) -> io::Result<()> {
    if let Net::None = p.net {
        return j.null("net");
    }
    j.open("net")?;
    match &p.net {
        Net::Ipv4(h) => {
            j.plain("kind", "ipv4")?;
            j.plain("src", h.src)?;
            j.plain("dst", h.dst)?;
            j.num("header_len", h.header_len)?;
            j.num("tos", h.tos)?;
            j.num("dscp", h.tos >> 2)?;
            j.num("ecn", h.tos & 3)?;
            j.num("total_len", h.total_len)?;
            j.num("id", h.id)?;
            j.bool("dont_fragment", h.dont_fragment)?;
            j.bool("more_fragments", h.more_fragments)?;
            j.num("frag_offset", h.frag_offset)?;
            j.num("ttl", h.ttl)?;
            j.num("protocol", h.protocol)?;
            j.checksum(h.checksum, checksum::ipv4_header(p))?;
            j.num("options_len", h.options.len())?;
        }
        Net::Ipv6(h) => {
            j.plain("kind", "ipv6")?;
            j.plain("src", h.src)?;
            j.plain("dst", h.dst)?;
            j.num("traffic_class", h.traffic_class)?;
            j.num("flow_label", h.flow_label)?;
            j.num("payload_len", h.payload_len)?;
            j.num("next_header", h.next_header)?;
            j.num("hop_limit", h.hop_limit)?;
            j.num("protocol", h.protocol)?;
            j.open_arr("ext_headers")?;
            for e in h.exts() {
                j.open_elem()?;
                j.num("kind", e.kind)?;
                j.num("len", e.len)?;
                j.close()?;
            }
            j.close_arr()?;
            match h.fragment {
                Some(f) => {
                    j.open("fragment")?;
                    j.num("offset", f.offset)?;
                    j.bool("more", f.more)?;
                    j.num("id", f.id)?;
                    j.close()?;
                }
                None => j.null("fragment")?,
            }
        }
        Net::Arp(a) => {
            j.plain("kind", "arp")?;
            j.num("operation", a.operation)?;
            j.num("hw_type", a.hw_type)?;
            j.num("proto_type", a.proto_type)?;
            j.num("hw_len", a.hw_len)?;
            j.num("proto_len", a.proto_len)?;
            if a.ethernet_ipv4 {
                let ip = |b: [u8; 4]| std::net::Ipv4Addr::from(b);
                j.plain("sender_mac", Mac(a.sender_hw))?;
                j.plain("sender_ip", ip(a.sender_ip))?;
                j.plain("target_mac", Mac(a.target_hw))?;
                j.plain("target_ip", ip(a.target_ip))?;
            } else {
                for k in ["sender_mac", "sender_ip", "target_mac", "target_ip"] {
                    j.null(k)?;
                }
            }
        }
        Net::Other { ether_type } => {
            j.plain("kind", "other")?;
            j.num("ether_type", ether_type)?;
        }
        Net::None => {}
    }
    j.close()
}

fn transport(j: &mut J<'_>, p: &Packet<'_>) -> io::Result<()> {
    if let Transport::None = p.transport {
        return j.null("transport");
    }
    j.open("transport")?;
    match &p.transport {
        Transport::Tcp(t) => {
            j.plain("kind", "tcp")?;
            j.num("src_port", t.src_port)?;
            j.num("dst_port", t.dst_port)?;
            j.num("seq", t.seq)?;
            j.num("ack", t.ack)?;
            j.num("header_len", t.header_len)?;
            j.plain("flags", FlagNames(t.flags))?;
            j.num("flag_bits", t.flags.0)?;
            j.num("window", t.window)?;
            j.checksum(t.checksum, checksum::transport(p))?;
            j.num("urgent", t.urgent)?;
            j.open_arr("options")?;
            for o in t.options() {
                j.open_elem()?;
                match o {
                    TcpOption::Eol => j.plain("kind", "eol")?,
                    TcpOption::Nop => j.plain("kind", "nop")?,
                    TcpOption::Mss(m) => {
                        j.plain("kind", "mss")?;
                        j.num("value", m)?;
                    }
                    TcpOption::WindowScale(s) => {
                        j.plain("kind", "wscale")?;
                        j.num("shift", s)?;
                    }
                    TcpOption::SackPermitted => j.plain("kind", "sack_permitted")?,
                    TcpOption::Sack { blocks, count } => {
                        j.plain("kind", "sack")?;
                        j.key("blocks")?;
                        j.w.write_all(b"[")?;
                        for (i, (l, r)) in blocks[..count as usize].iter().enumerate() {
                            if i > 0 {
                                j.w.write_all(b",")?;
                            }
                            write!(j.w, "[{l},{r}]")?;
                        }
                        j.w.write_all(b"]")?;
                    }
                    TcpOption::Timestamp { val, ecr } => {
                        j.plain("kind", "timestamp")?;
                        j.num("val", val)?;
                        j.num("ecr", ecr)?;
                    }
                    TcpOption::Unknown { kind, data } => {
                        j.plain("kind", "unknown")?;
                        j.num("number", kind)?;
                        j.key("data")?;
                        j.w.write_all(b"\"")?;
                        for b in data {
                            write!(j.w, "{b:02x}")?;
                        }
                        j.w.write_all(b"\"")?;
                    }
                    TcpOption::Bad { kind, len } => {
                        j.plain("kind", "bad")?;
                        j.num("number", kind)?;
                        j.num("len", len)?;
                    }
                }
                j.close()?;
            }
            j.close_arr()?;
        }
        Transport::Udp(u) => {
            j.plain("kind", "udp")?;
            j.num("src_port", u.src_port)?;
            j.num("dst_port", u.dst_port)?;
            j.num("length", u.length)?;
            j.checksum(u.checksum, checksum::transport(p))?;
        }
        Transport::Icmpv4(i) => icmp(j, p, i, "icmp", names::icmpv4(i.kind, i.code), 8, 0)?,
        Transport::Icmpv6(i) => icmp(j, p, i, "icmp6", names::icmpv6(i.kind, i.code), 128, 129)?,
        Transport::Partial { protocol, ports } => {
            j.plain("kind", "partial")?;
            j.num("protocol", protocol)?;
            j.ports(*ports)?;
        }
        Transport::Other { protocol } => {
            j.plain("kind", "other")?;
            j.num("protocol", protocol)?;
        }
        Transport::None => {}
    }
    j.close()
}

fn icmp(
    j: &mut J<'_>,
    p: &Packet<'_>,
    i: &IcmpSummary,
    kind: &str,
    name: &str,
    request: u8,
    reply: u8,
) -> io::Result<()> {
    j.plain("kind", kind)?;
    j.num("type", i.kind)?;
    j.num("code", i.code)?;
    j.str("name", name)?;
    j.checksum(i.checksum, checksum::transport(p))?;
    if i.kind == request || i.kind == reply {
        j.num("id", u16::from_be_bytes([i.rest[0], i.rest[1]]))?;
        j.num("seq", u16::from_be_bytes([i.rest[2], i.rest[3]]))?;
    } else {
        j.null("id")?;
        j.null("seq")?;
    }
    match icmp_quote(p) {
        Some(q) => {
            j.open("quoted")?;
            j.num("protocol", q.protocol)?;
            j.plain("src", q.src)?;
            j.plain("dst", q.dst)?;
            j.ports(q.ports)?;
            j.close()
        }
        None => j.null("quoted"),
    }
}
