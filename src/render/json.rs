//! `--json`: one JSON object per packet per line with every decoded field, under stable
//! snake_case names documented in `docs/json.md`. No value tree is built: each line is pushed
//! into a reused buffer with `render::fmt` and written with one call; strings that need
//! escaping go through `serde_json`.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::fmt::{
    push_hex_byte, push_i64, push_ipv4, push_ipv6_std, push_mac, push_padded, push_u64,
};
use super::learner::push_flag_names;
use super::{PacketContext, Renderer};
use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::quoted::icmp_quote;
use crate::decode::{IcmpSummary, Layer, Link, Net, Packet, StopKind, TcpOption, Transport, names};
use crate::track::Dir;

/// A number as JSON writes it.
trait Num {
    fn push(self, b: &mut Vec<u8>);
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline]
            fn push(self, b: &mut Vec<u8>) {
                push_u64(b, self as u64)
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

impl<T: Num + Copy> Num for &T {
    #[inline]
    fn push(self, b: &mut Vec<u8>) {
        (*self).push(b)
    }
}

impl Num for i64 {
    #[inline]
    fn push(self, b: &mut Vec<u8>) {
        push_i64(b, self)
    }
}

impl Num for bool {
    #[inline]
    fn push(self, b: &mut Vec<u8>) {
        b.extend_from_slice(if self { b"true" } else { b"false" })
    }
}

/// Appends `v` as a JSON string. Text with nothing to escape (the usual case) is copied as is;
/// otherwise `serde_json` escapes it.
fn push_str(b: &mut Vec<u8>, v: &str) {
    if v.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\') {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *b, v);
    } else {
        b.push(b'"');
        b.extend_from_slice(v.as_bytes());
        b.push(b'"');
    }
}

/// A minimal streaming JSON writer into the line being built: keys, scalars, nested objects and
/// arrays.
struct J<'a> {
    w: &'a mut Vec<u8>,
    first: bool,
}

impl J<'_> {
    #[inline]
    fn sep(&mut self) {
        if !self.first {
            self.w.push(b',');
        }
        self.first = false;
    }
    #[inline(always)]
    fn key(&mut self, k: &str) {
        self.sep();
        self.w.push(b'"');
        self.w.extend_from_slice(k.as_bytes());
        self.w.extend_from_slice(b"\":");
    }
    #[inline(always)]
    fn num(&mut self, k: &str, v: impl Num) {
        self.key(k);
        v.push(self.w);
    }
    #[inline(always)]
    fn bool(&mut self, k: &str, v: bool) {
        self.num(k, v)
    }
    /// A string that never needs escaping (fixed names).
    #[inline(always)]
    fn plain(&mut self, k: &str, v: &str) {
        self.key(k);
        self.w.push(b'"');
        self.w.extend_from_slice(v.as_bytes());
        self.w.push(b'"');
    }
    /// A string written by `f`, which writes nothing that needs escaping.
    #[inline(always)]
    fn quoted(&mut self, k: &str, f: impl FnOnce(&mut Vec<u8>)) {
        self.key(k);
        self.w.push(b'"');
        f(self.w);
        self.w.push(b'"');
    }
    #[inline(always)]
    fn ipv4(&mut self, k: &str, a: Ipv4Addr) {
        self.quoted(k, |b| push_ipv4(b, a.octets()))
    }
    #[inline(always)]
    fn ipv6(&mut self, k: &str, a: Ipv6Addr) {
        self.quoted(k, |b| push_ipv6_std(b, &a.octets()))
    }
    fn ip(&mut self, k: &str, a: std::net::IpAddr) {
        match a {
            std::net::IpAddr::V4(a) => self.ipv4(k, a),
            std::net::IpAddr::V6(a) => self.ipv6(k, a),
        }
    }
    #[inline(always)]
    fn mac(&mut self, k: &str, m: [u8; 6]) {
        self.quoted(k, |b| push_mac(b, m))
    }
    #[inline(always)]
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        push_str(self.w, v);
    }
    #[inline(always)]
    fn null(&mut self, k: &str) {
        self.key(k);
        self.w.extend_from_slice(b"null");
    }
    #[inline(always)]
    fn open(&mut self, k: &str) {
        self.key(k);
        self.w.push(b'{');
        self.first = true;
    }
    /// Opens an object as an element of an array.
    fn open_elem(&mut self) {
        self.sep();
        self.w.push(b'{');
        self.first = true;
    }
    fn close(&mut self) {
        self.first = false;
        self.w.push(b'}');
    }
    #[inline(always)]
    fn open_arr(&mut self, k: &str) {
        self.key(k);
        self.w.push(b'[');
        self.first = true;
    }
    fn close_arr(&mut self) {
        self.first = false;
        self.w.push(b']');
    }
    /// `src_port` and `dst_port`, null when not known.
    fn ports(&mut self, ports: Option<(u16, u16)>) {
        match ports {
            Some((s, d)) => {
                self.num("src_port", s);
                self.num("dst_port", d)
            }
            None => {
                self.null("src_port");
                self.null("dst_port")
            }
        }
    }
    fn checksum(&mut self, value: u16, status: Option<ChecksumStatus>) {
        self.num("checksum", value);
        match status {
            Some(s) => {
                self.plain("checksum_status", s.word());
                match s.expected() {
                    Some(expected) => self.num("checksum_expected", expected),
                    None => self.null("checksum_expected"),
                }
            }
            None => {
                self.null("checksum_status");
                self.null("checksum_expected")
            }
        }
    }
}

/// The JSON renderer. Each packet's line is built in a buffer reused for every packet and
/// written with one call.
#[derive(Debug, Default)]
pub struct JsonRenderer {
    line: Vec<u8>,
}

impl JsonRenderer {
    pub fn new() -> Self {
        JsonRenderer {
            line: Vec::with_capacity(2048),
        }
    }
}

impl Renderer for JsonRenderer {
    /// A recorded call: its object as `run --json` prints it (docs/json.md).
    fn call(&mut self, out: &mut dyn Write, ev: &crate::track::calls::CallEvent) -> io::Result<()> {
        out.write_all(&crate::track::callrec::to_bytes(ev))?;
        out.write_all(b"\n")
    }

    /// A call read from a file, with its frame number (`"number"`, counted with the packets).
    fn numbered_call(
        &mut self,
        out: &mut dyn Write,
        ev: &crate::track::calls::CallEvent,
        number: u64,
    ) -> io::Result<()> {
        out.write_all(&crate::track::callrec::to_bytes_numbered(ev, number))?;
        out.write_all(b"\n")
    }

    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.line.clear();
        self.line.push(b'{');
        let mut j = J {
            w: &mut self.line,
            first: true,
        };
        j.num("number", ctx.number);
        j.quoted("ts", |b| {
            push_i64(b, p.ts.sec);
            b.push(b'.');
            push_padded(b, p.ts.nsec as u64, 9);
        });
        j.num("ts_sec", p.ts.sec);
        j.num("ts_nsec", p.ts.nsec);
        j.num("link_type", p.link_type.0);
        j.plain("link_type_name", p.link_type.name());
        j.num("orig_len", p.orig_len);
        j.num("cap_len", p.data.len());
        link(&mut j, p);
        net(&mut j, p);
        transport(&mut j, p);
        application(&mut j, p);
        j.num("payload_len", p.payload_wire_len);
        j.num("payload_captured", p.payload.len());
        match ctx.track {
            Some(t) => {
                j.num("flow", t.flow);
                j.plain(
                    "dir",
                    match t.dir {
                        Dir::ToServer => "to_server",
                        Dir::ToClient => "to_client",
                    },
                );
                if p.tcp().is_some() {
                    j.num("rel_seq", t.rel_seq);
                    j.num("rel_ack", t.rel_ack);
                } else {
                    j.null("rel_seq");
                    j.null("rel_ack");
                }
                // Wireshark's tcp.analysis names that apply to this segment.
                j.open_arr("analysis");
                for name in t.analysis.names() {
                    j.sep();
                    push_str(j.w, name);
                }
                j.close_arr();
            }
            None => {
                for k in ["flow", "dir", "rel_seq", "rel_ack"] {
                    j.null(k);
                }
                j.open_arr("analysis");
                j.close_arr();
            }
        }
        match p.stop {
            None => j.null("stop"),
            Some(s) => {
                j.open("stop");
                j.plain("layer", layer_name(s.layer));
                match s.kind {
                    StopKind::Truncated { needed, available } => {
                        j.plain("kind", "truncated");
                        j.num("needed", needed);
                        j.num("available", available);
                    }
                    StopKind::Malformed(why) => {
                        j.plain("kind", "malformed");
                        j.str("reason", why);
                    }
                }
                j.close();
            }
        }
        j.w.extend_from_slice(b"}\n");
        out.write_all(&self.line)
    }
}

/// `"dns": {…}` or `"http": {…}` when the payload starts an application message (docs/json.md).
fn application(j: &mut J<'_>, p: &Packet<'_>) {
    use crate::decode::app::App;
    match crate::decode::app::of(p) {
        Some(App::Dns(d)) => {
            let h = &d.header;
            j.open("dns");
            j.num("id", h.id);
            j.bool("response", h.is_response());
            j.num("opcode", h.opcode());
            j.num("rcode", h.rcode());
            j.num("questions", h.qdcount);
            j.num("answers", h.ancount);
            j.num("authority", h.nscount);
            j.num("additional", h.arcount);
            match d.question {
                Some((name, t, _)) => {
                    let mut n = Vec::new();
                    name.push(&mut n);
                    j.str("qname", &String::from_utf8_lossy(&n));
                    j.quoted("qtype", |b| crate::decode::dns::push_type(b, t));
                }
                None => {
                    j.null("qname");
                    j.null("qtype");
                }
            }
            match d.answer {
                Some((t, data, at)) => {
                    let mut a = Vec::new();
                    crate::render::app::answer(&mut a, d.msg, t, data, at);
                    j.str("first_answer", &String::from_utf8_lossy(&a));
                }
                None => j.null("first_answer"),
            }
            j.close();
        }
        Some(App::Http(s)) => {
            j.open("http");
            j.str("first_line", &String::from_utf8_lossy(s.first_line));
            j.num("headers", s.headers);
            j.bool("headers_complete", s.headers_complete);
            match s.content_length {
                Some(n) => j.num("content_length", n),
                None => j.null("content_length"),
            }
            j.bool("chunked", s.chunked);
            j.num("body_in_segment", s.body_in_segment);
            j.close();
        }
        None => {}
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

fn link(j: &mut J<'_>, p: &Packet<'_>) {
    j.open("link");
    match p.link {
        Link::Ethernet(e) => {
            j.plain("kind", "ethernet");
            j.mac("src", e.src);
            j.mac("dst", e.dst);
            j.num("ether_type", e.ether_type);
            j.open_arr("vlans");
            for v in e.vlans() {
                j.open_elem();
                j.num("id", v.id);
                j.num("pcp", v.pcp);
                j.bool("dei", v.dei);
                j.num("ether_type", v.ether_type);
                j.close();
            }
            j.close_arr();
        }
        Link::Sll(s) => {
            j.plain("kind", "sll");
            j.num("version", s.version);
            j.num("packet_type", s.packet_type);
            j.num("arphrd", s.arphrd);
            j.num("addr_len", s.addr_len);
            let n = (s.addr_len as usize).min(8);
            j.quoted("addr", |w| {
                for (i, b) in s.addr[..n].iter().enumerate() {
                    if i > 0 {
                        w.push(b':');
                    }
                    push_hex_byte(w, *b);
                }
            });
            j.num("protocol", s.protocol);
            if s.version == 2 {
                j.num("if_index", s.if_index);
            } else {
                j.null("if_index");
            }
        }
        Link::Loopback { family } => {
            j.plain("kind", "loopback");
            j.num("family", family);
        }
        Link::Raw => j.plain("kind", "raw"),
        Link::Unsupported => j.plain("kind", "unsupported"),
        Link::Framed {
            protocol,
            header_len,
        } => {
            j.plain("kind", "framed");
            j.num("protocol", protocol);
            j.num("header_len", header_len);
        }
    }
    j.close()
}

fn net(j: &mut J<'_>, p: &Packet<'_>) {
    if let Net::None = p.net {
        return j.null("net");
    }
    j.open("net");
    match &p.net {
        Net::Ipv4(h) => {
            j.plain("kind", "ipv4");
            j.ipv4("src", h.src);
            j.ipv4("dst", h.dst);
            j.num("header_len", h.header_len);
            j.num("tos", h.tos);
            j.num("dscp", h.tos >> 2);
            j.num("ecn", h.tos & 3);
            j.num("total_len", h.total_len);
            j.num("id", h.id);
            j.bool("dont_fragment", h.dont_fragment);
            j.bool("more_fragments", h.more_fragments);
            j.num("frag_offset", h.frag_offset);
            j.num("ttl", h.ttl);
            j.num("protocol", h.protocol);
            j.checksum(h.checksum, checksum::ipv4_header(p));
            j.num("options_len", h.options.len());
        }
        Net::Ipv6(h) => {
            j.plain("kind", "ipv6");
            j.ipv6("src", h.src);
            j.ipv6("dst", h.dst);
            j.num("traffic_class", h.traffic_class);
            j.num("flow_label", h.flow_label);
            j.num("payload_len", h.payload_len);
            j.num("next_header", h.next_header);
            j.num("hop_limit", h.hop_limit);
            j.num("protocol", h.protocol);
            j.open_arr("ext_headers");
            for e in h.exts() {
                j.open_elem();
                j.num("kind", e.kind);
                j.num("len", e.len);
                j.close();
            }
            j.close_arr();
            match h.fragment {
                Some(f) => {
                    j.open("fragment");
                    j.num("offset", f.offset);
                    j.bool("more", f.more);
                    j.num("id", f.id);
                    j.close();
                }
                None => j.null("fragment"),
            }
        }
        Net::Arp(a) => {
            j.plain("kind", "arp");
            j.num("operation", a.operation);
            j.num("hw_type", a.hw_type);
            j.num("proto_type", a.proto_type);
            j.num("hw_len", a.hw_len);
            j.num("proto_len", a.proto_len);
            if a.ethernet_ipv4 {
                j.mac("sender_mac", a.sender_hw);
                j.quoted("sender_ip", |w| push_ipv4(w, a.sender_ip));
                j.mac("target_mac", a.target_hw);
                j.quoted("target_ip", |w| push_ipv4(w, a.target_ip));
            } else {
                for k in ["sender_mac", "sender_ip", "target_mac", "target_ip"] {
                    j.null(k);
                }
            }
        }
        Net::Other { ether_type } => {
            j.plain("kind", "other");
            j.num("ether_type", ether_type);
        }
        Net::None => {}
    }
    j.close()
}

fn transport(j: &mut J<'_>, p: &Packet<'_>) {
    if let Transport::None = p.transport {
        return j.null("transport");
    }
    j.open("transport");
    match &p.transport {
        Transport::Tcp(t) => {
            j.plain("kind", "tcp");
            j.num("src_port", t.src_port);
            j.num("dst_port", t.dst_port);
            j.num("seq", t.seq);
            j.num("ack", t.ack);
            j.num("header_len", t.header_len);
            j.quoted("flags", |w| push_flag_names(w, t.flags));
            j.num("flag_bits", t.flags.0);
            j.num("window", t.window);
            j.checksum(t.checksum, checksum::transport(p));
            j.num("urgent", t.urgent);
            j.open_arr("options");
            // Linux's NOP, NOP, timestamps after the handshake, written without a walk: the
            // same elements the walk below writes.
            if let Some((val, ecr)) = t.nop_nop_timestamps() {
                j.w.extend_from_slice(
                    br#"{"kind":"nop"},{"kind":"nop"},{"kind":"timestamp","val":"#,
                );
                push_u64(j.w, val as u64);
                j.w.extend_from_slice(br#","ecr":"#);
                push_u64(j.w, ecr as u64);
                j.w.push(b'}');
                j.close_arr();
                return j.close();
            }
            for o in t.options() {
                j.open_elem();
                match o {
                    TcpOption::Eol => j.plain("kind", "eol"),
                    TcpOption::Nop => j.plain("kind", "nop"),
                    TcpOption::Mss(m) => {
                        j.plain("kind", "mss");
                        j.num("value", m);
                    }
                    TcpOption::WindowScale(s) => {
                        j.plain("kind", "wscale");
                        j.num("shift", s);
                    }
                    TcpOption::SackPermitted => j.plain("kind", "sack_permitted"),
                    TcpOption::Sack { blocks, count } => {
                        j.plain("kind", "sack");
                        j.key("blocks");
                        j.w.push(b'[');
                        for (i, (l, r)) in blocks[..count as usize].iter().enumerate() {
                            if i > 0 {
                                j.w.push(b',');
                            }
                            j.w.push(b'[');
                            push_u64(j.w, *l as u64);
                            j.w.push(b',');
                            push_u64(j.w, *r as u64);
                            j.w.push(b']');
                        }
                        j.w.push(b']');
                    }
                    TcpOption::Timestamp { val, ecr } => {
                        j.plain("kind", "timestamp");
                        j.num("val", val);
                        j.num("ecr", ecr);
                    }
                    TcpOption::Unknown { kind, data } => {
                        j.plain("kind", "unknown");
                        j.num("number", kind);
                        j.quoted("data", |w| {
                            for b in data {
                                push_hex_byte(w, *b);
                            }
                        });
                    }
                    TcpOption::Bad { kind, len } => {
                        j.plain("kind", "bad");
                        j.num("number", kind);
                        j.num("len", len);
                    }
                }
                j.close();
            }
            j.close_arr();
        }
        Transport::Udp(u) => {
            j.plain("kind", "udp");
            j.num("src_port", u.src_port);
            j.num("dst_port", u.dst_port);
            j.num("length", u.length);
            j.checksum(u.checksum, checksum::transport(p));
        }
        Transport::Icmpv4(i) => icmp(j, p, i, "icmp", names::icmpv4(i.kind, i.code), 8, 0),
        Transport::Icmpv6(i) => icmp(j, p, i, "icmp6", names::icmpv6(i.kind, i.code), 128, 129),
        Transport::Partial { protocol, ports } => {
            j.plain("kind", "partial");
            j.num("protocol", protocol);
            j.ports(*ports);
        }
        Transport::Other { protocol } => {
            j.plain("kind", "other");
            j.num("protocol", protocol);
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
) {
    j.plain("kind", kind);
    j.num("type", i.kind);
    j.num("code", i.code);
    j.str("name", name);
    j.checksum(i.checksum, checksum::transport(p));
    if i.kind == request || i.kind == reply {
        let (id, seq) = i.echo_id_seq();
        j.num("id", id);
        j.num("seq", seq);
    } else {
        j.null("id");
        j.null("seq");
    }
    match icmp_quote(p) {
        Some(q) => {
            j.open("quoted");
            j.num("protocol", q.protocol);
            j.ip("src", q.src);
            j.ip("dst", q.dst);
            j.ports(q.ports);
            j.close()
        }
        None => j.null("quoted"),
    }
}
