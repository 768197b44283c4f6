//! `--json`: one JSON object per packet per line with every decoded field, under stable
//! snake_case names documented in `docs/json.md`. No value tree is built: each line is written
//! at a cursor into a reused buffer (see [`J`]) and written out with one call; strings that
//! need escaping go through `serde_json`.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::fmt::{
    write_hex_byte, write_ipv4, write_ipv6_std, write_mac, write_padded9, write_u32, write_u64,
};
use super::learner::push_flag_names;
use super::{PacketContext, Renderer};
use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::quoted::icmp_quote;
use crate::decode::{
    IcmpSummary, Layer, Link, Net, Packet, StopKind, TcpFlags, TcpOption, Transport, names,
};
use crate::track::Dir;

/// A number as JSON writes it.
trait Num {
    fn push(self, j: &mut J<'_>);
    /// [`Num::push`] where the caller has made [`NUM_ROOM`] bytes of room at the cursor.
    #[inline(always)]
    fn push_in_room(self, j: &mut J<'_>)
    where
        Self: Sized,
    {
        self.push(j)
    }
}

/// Room for any number: 20 digits.
const NUM_ROOM: usize = 20;

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline(always)]
            fn push(self, j: &mut J<'_>) {
                j.uint(self as u64)
            }
            #[inline(always)]
            fn push_in_room(self, j: &mut J<'_>) {
                j.uint_in_room(self as u64)
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

impl<T: Num + Copy> Num for &T {
    #[inline(always)]
    fn push(self, j: &mut J<'_>) {
        (*self).push(j)
    }
}

impl Num for i64 {
    #[inline(always)]
    fn push(self, j: &mut J<'_>) {
        if self < 0 {
            j.put(b"-");
        }
        j.uint(self.unsigned_abs())
    }
}

impl Num for bool {
    #[inline(always)]
    fn push(self, j: &mut J<'_>) {
        j.put(if self { b"true" } else { b"false" })
    }
}

/// Whether `v` can be written between quotes as it is (the usual case).
fn plain_str(v: &str) -> bool {
    !v.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\')
}

/// A minimal streaming JSON writer of one line: keys, scalars, nested objects and arrays.
///
/// It writes at a cursor (`at`) into a buffer whose length is the room already made, instead
/// of pushing onto a `Vec`: a line is ~1 KB in ~100 pieces, and each push would check the
/// capacity and store the length again. Here a piece of constant size costs one comparison and
/// a few stores; the room grows (rarely, out of line) when a piece does not fit. Bytes past the
/// cursor are left over from earlier lines: overwritten, never read.
///
/// The buffer is moved into the writer for the line (not borrowed) so that its pointer and
/// length are the writer's own fields: the compiler then knows the bytes written cannot change
/// them and need not reload them after every store.
struct J<'a> {
    b: Vec<u8>,
    at: usize,
    /// No member written yet in the innermost object or array: its first key has no comma.
    first: bool,
    /// Reused for the pieces formatted onto a `Vec` (see [`J::via`]).
    scratch: &'a mut Vec<u8>,
    flags: &'a mut FlagNames,
}

/// The names of TCP flag combinations already written: a connection's segments carry a few
/// combinations (SYN, SYN-ACK, ACK, PSH-ACK, FIN-ACK, RST), so their names are copied rather
/// than worked out again. Direct-mapped: a slot per hash of the bits, replaced on a clash;
/// [`FlagNames::slot`] spreads those common ones over different slots. Bounded: 16 slots.
#[derive(Debug, Default)]
struct FlagNames {
    /// Boxed: the renderer sits in enums beside small variants.
    slots: Box<[(Option<u16>, Vec<u8>); 16]>,
}

impl FlagNames {
    fn slot(bits: u16) -> usize {
        ((bits ^ (bits >> 4)) & 15) as usize
    }
}

impl J<'_> {
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let need = self.at + n;
        self.b.resize(need.max(2 * self.b.len()).max(4096), 0);
    }
    /// The next `n` bytes of room at the cursor, which does not move.
    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.b.len() - self.at < n {
            self.grow(n);
        }
        let at = self.at;
        &mut self.b[at..at + n]
    }
    /// Writes what `f` writes at the start of `N` bytes of room; `f` returns how many.
    #[inline(always)]
    fn with<const N: usize>(&mut self, f: impl FnOnce(&mut [u8; N]) -> usize) {
        let room: &mut [u8; N] = self.room(N).try_into().expect("exactly N bytes");
        self.at += f(room);
    }
    /// [`J::put`] then [`J::with`], with one check of the room for both.
    #[inline(always)]
    fn put_with<const N: usize>(&mut self, run: &[u8], f: impl FnOnce(&mut [u8; N]) -> usize) {
        let n = run.len();
        if self.b.len() - self.at < n + N {
            self.grow(n + N);
        }
        let at = self.at;
        self.b[at..at + n].copy_from_slice(run);
        let room: &mut [u8; N] = (&mut self.b[at + n..at + n + N])
            .try_into()
            .expect("exactly N bytes");
        self.at = at + n + f(room);
    }
    /// Writes bytes as they are (with a constant length once inlined: a few stores).
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        self.room(s.len()).copy_from_slice(s);
        self.at += s.len();
    }
    /// Writes again the bytes at `at` (before the cursor, at most 20 of them): one copy of 20
    /// bytes, the cursor moved by as many as there were.
    #[inline(always)]
    fn again(&mut self, at: std::ops::Range<usize>) {
        debug_assert!(at.end <= self.at && at.len() <= 20);
        self.room(20);
        let to = self.at;
        self.b.copy_within(at.start..at.start + 20, to);
        self.at += at.len();
    }
    /// Writes what `f` pushes onto a `Vec` (for the few pieces formatted that way).
    fn via(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = std::mem::take(self.scratch);
        v.clear();
        f(&mut v);
        self.put(&v);
        *self.scratch = v;
    }
    /// A number: a single digit stored, one below 2^32 as whole words of eight digits (see
    /// [`write_u32`]), larger ones out of line. Without a closure, so that every use is inlined
    /// (the range of a `u8` or `u16` then drops the branches it cannot take).
    #[inline(always)]
    fn uint(&mut self, n: u64) {
        if self.b.len() - self.at < NUM_ROOM {
            self.grow(NUM_ROOM);
        }
        self.uint_in_room(n)
    }
    /// [`J::uint`] where the room is made already: no check of its own.
    #[inline(always)]
    fn uint_in_room(&mut self, n: u64) {
        let at = self.at;
        if n < 10 {
            self.b[at] = b'0' + n as u8;
            self.at += 1;
        } else if let Ok(n) = u32::try_from(n) {
            let r: &mut [u8; 16] = (&mut self.b[at..at + 16]).try_into().expect("16 bytes");
            self.at += write_u32(r, n);
        } else {
            self.uint_wide(n)
        }
    }
    #[inline(never)]
    fn uint_wide(&mut self, n: u64) {
        self.with(|r| write_u64(r, n))
    }
    #[inline(always)]
    fn sep(&mut self) {
        if !self.first {
            self.put(b",");
        }
        self.first = false;
    }
    /// `,"k":` (no comma for the first member): one room check, then stores.
    #[inline(always)]
    fn key(&mut self, k: &str) {
        let n = k.len();
        let comma = !self.first as usize;
        self.first = false;
        let r = self.room(n + 4);
        r[0] = b',';
        r[comma] = b'"';
        r[comma + 1..comma + 1 + n].copy_from_slice(k.as_bytes());
        r[comma + 1 + n] = b'"';
        r[comma + 2 + n] = b':';
        self.at += comma + 3 + n;
    }
    /// A constant run that ends with a key, then the number `v`. The run holds the members'
    /// commas itself (and may hold whole members before the key): the layers every line has,
    /// whose members are always the same in the same order, are written this way, a few
    /// constant runs each instead of one key at a time.
    ///
    /// One check of the room for the run and the number together.
    #[inline(always)]
    fn kv(&mut self, run: &[u8], v: impl Num) {
        let n = run.len();
        if self.b.len() - self.at < n + NUM_ROOM {
            self.grow(n + NUM_ROOM);
        }
        let at = self.at;
        self.b[at..at + n].copy_from_slice(run);
        self.at = at + n;
        v.push_in_room(self);
    }
    #[inline(always)]
    fn num(&mut self, k: &str, v: impl Num) {
        self.key(k);
        v.push(self);
    }
    #[inline(always)]
    fn bool(&mut self, k: &str, v: bool) {
        self.num(k, v)
    }
    /// A string that never needs escaping (fixed names).
    #[inline(always)]
    fn plain(&mut self, k: &str, v: &str) {
        self.key(k);
        self.put(b"\"");
        self.put(v.as_bytes());
        self.put(b"\"");
    }
    /// Appends `v` as a JSON string. Text with nothing to escape is copied as is; otherwise
    /// `serde_json` escapes it.
    fn str_value(&mut self, v: &str) {
        if plain_str(v) {
            self.put(b"\"");
            self.put(v.as_bytes());
            self.put(b"\"");
        } else {
            // Writing to a Vec cannot fail.
            self.via(|b| drop(serde_json::to_writer(b, v)));
        }
    }
    #[inline(always)]
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str_value(v);
    }
    /// A string written by `f`, which writes nothing that needs escaping.
    #[inline(always)]
    fn quoted(&mut self, k: &str, f: impl FnOnce(&mut Self)) {
        self.key(k);
        self.put(b"\"");
        f(self);
        self.put(b"\"");
    }
    #[inline(always)]
    fn ipv4(&mut self, k: &str, a: Ipv4Addr) {
        self.quoted(k, |j| j.with(|r| write_ipv4(r, a.octets())))
    }
    fn ipv6(&mut self, k: &str, a: Ipv6Addr) {
        self.quoted(k, |j| j.with(|r| write_ipv6_std(r, &a.octets())))
    }
    fn ip(&mut self, k: &str, a: std::net::IpAddr) {
        match a {
            std::net::IpAddr::V4(a) => self.ipv4(k, a),
            std::net::IpAddr::V6(a) => self.ipv6(k, a),
        }
    }
    #[inline(always)]
    fn mac(&mut self, k: &str, m: [u8; 6]) {
        self.quoted(k, |j| j.with(|r| write_mac(r, m)))
    }
    /// The names of TCP flags (`SYN-ACK`), as the learner view writes them.
    fn flag_names(&mut self, flags: TcpFlags) {
        let (bits, names) = &mut self.flags.slots[FlagNames::slot(flags.0)];
        if *bits != Some(flags.0) {
            names.clear();
            push_flag_names(names, flags);
            *bits = Some(flags.0);
        }
        let J { b, at, .. } = self;
        // Not `put`: the names are borrowed from `self` too.
        let n = names.len();
        if b.len() - *at < n {
            b.resize((*at + n).max(2 * b.len()), 0);
        }
        b[*at..*at + n].copy_from_slice(names);
        *at += n;
    }
    fn hex_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.with(|r| write_hex_byte(r, b));
        }
    }
    #[inline(always)]
    fn null(&mut self, k: &str) {
        self.key(k);
        self.put(b"null");
    }
    #[inline(always)]
    fn open(&mut self, k: &str) {
        self.key(k);
        self.put(b"{");
        self.first = true;
    }
    /// Opens an object as an element of an array.
    fn open_elem(&mut self) {
        self.sep();
        self.put(b"{");
        self.first = true;
    }
    fn close(&mut self) {
        self.first = false;
        self.put(b"}");
    }
    fn close_arr(&mut self) {
        self.first = false;
        self.put(b"]");
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
        // Never the first member.
        self.first = false;
        self.kv(br#","checksum":"#, value);
        // The keys after "checksum" as one constant each.
        match status {
            Some(ChecksumStatus::Correct) => {
                self.put(br#","checksum_status":"correct","checksum_expected":null"#)
            }
            Some(ChecksumStatus::Absent) => {
                self.put(br#","checksum_status":"absent","checksum_expected":null"#)
            }
            Some(ChecksumStatus::Unverifiable) => {
                self.put(br#","checksum_status":"unverifiable","checksum_expected":null"#)
            }
            Some(
                ChecksumStatus::Incorrect { expected }
                | ChecksumStatus::OffloadPlaceholder { expected },
            ) => {
                self.put(br#","checksum_status":"incorrect","checksum_expected":"#);
                self.uint(expected as u64)
            }
            None => self.put(br#","checksum_status":null,"checksum_expected":null"#),
        }
    }
}

/// The JSON renderer. Each packet's line is built in a buffer reused for every packet and
/// written with one call.
#[derive(Debug, Default)]
pub struct JsonRenderer {
    /// Room for a line (its length; see [`J`]), grown to the longest line seen.
    line: Vec<u8>,
    /// See [`J::via`].
    scratch: Vec<u8>,
    flags: FlagNames,
}

impl JsonRenderer {
    pub fn new() -> Self {
        JsonRenderer {
            line: vec![0; 4096],
            scratch: Vec::with_capacity(64),
            flags: FlagNames::default(),
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
        let mut j = J {
            b: std::mem::take(&mut self.line),
            at: 0,
            first: true,
            scratch: &mut self.scratch,
            flags: &mut self.flags,
        };
        j.kv(br#"{"number":"#, ctx.number);
        j.put(br#","ts":""#);
        let sec = j.at;
        p.ts.sec.push(&mut j);
        let sec = sec..j.at;
        j.put(b".");
        j.with(|r| write_padded9(r, p.ts.nsec as u64));
        j.put(br#"","ts_sec":"#);
        // The same digits again: copied, not worked out twice.
        j.again(sec);
        j.kv(br#","ts_nsec":"#, p.ts.nsec);
        j.kv(br#","link_type":"#, p.link_type.0);
        j.put(br#","link_type_name":""#);
        j.put(p.link_type.name().as_bytes());
        j.kv(br#"","orig_len":"#, p.orig_len);
        j.kv(br#","cap_len":"#, p.data.len());
        j.first = false;
        link(&mut j, p);
        net(&mut j, p);
        transport(&mut j, p);
        application(&mut j, p);
        j.kv(br#","payload_len":"#, p.payload_wire_len);
        j.kv(br#","payload_captured":"#, p.payload.len());
        match ctx.track {
            Some(t) => {
                j.kv(br#","flow":"#, t.flow);
                match t.dir {
                    Dir::ToServer => j.put(br#","dir":"to_server""#),
                    Dir::ToClient => j.put(br#","dir":"to_client""#),
                }
                if p.tcp().is_some() {
                    j.kv(br#","rel_seq":"#, t.rel_seq);
                    j.kv(br#","rel_ack":"#, t.rel_ack);
                } else {
                    j.put(br#","rel_seq":null,"rel_ack":null"#);
                }
                // Wireshark's tcp.analysis names that apply to this segment.
                j.put(br#","analysis":["#);
                j.first = true;
                // Most segments have no event: no walk (which copies the table of names).
                if !t.analysis.is_empty() {
                    for name in t.analysis.names() {
                        j.sep();
                        j.str_value(name);
                    }
                }
                j.close_arr();
            }
            None => {
                j.put(br#","flow":null,"dir":null,"rel_seq":null,"rel_ack":null,"analysis":[]"#)
            }
        }
        j.first = false;
        match p.stop {
            None => j.put(br#","stop":null"#),
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
        j.put(b"}\n");
        let n = j.at;
        self.line = j.b;
        out.write_all(&self.line[..n])
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
                    j.quoted("qtype", |j| j.via(|b| crate::decode::dns::push_type(b, t)));
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
    if !matches!(p.link, Link::Ethernet(_)) {
        j.open("link");
    }
    match p.link {
        Link::Ethernet(e) => {
            j.put_with(br#","link":{"kind":"ethernet","src":""#, |r| {
                write_mac(r, e.src)
            });
            j.put_with(br#"","dst":""#, |r| write_mac(r, e.dst));
            j.kv(br#"","ether_type":"#, e.ether_type);
            j.put(br#","vlans":["#);
            j.first = true;
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
            j.quoted("addr", |j| {
                for (i, b) in s.addr[..n].iter().enumerate() {
                    if i > 0 {
                        j.put(b":");
                    }
                    j.hex_bytes(&[*b]);
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
    match &p.net {
        Net::None => return j.null("net"),
        Net::Ipv4(_) | Net::Ipv6(_) => {}
        _ => j.open("net"),
    }
    match &p.net {
        Net::Ipv4(h) => {
            j.put_with(br#","net":{"kind":"ipv4","src":""#, |r| {
                write_ipv4(r, h.src.octets())
            });
            j.put_with(br#"","dst":""#, |r| write_ipv4(r, h.dst.octets()));
            j.kv(br#"","header_len":"#, h.header_len);
            j.kv(br#","tos":"#, h.tos);
            j.kv(br#","dscp":"#, h.tos >> 2);
            j.kv(br#","ecn":"#, h.tos & 3);
            j.kv(br#","total_len":"#, h.total_len);
            j.kv(br#","id":"#, h.id);
            j.kv(br#","dont_fragment":"#, h.dont_fragment);
            j.kv(br#","more_fragments":"#, h.more_fragments);
            j.kv(br#","frag_offset":"#, h.frag_offset);
            j.kv(br#","ttl":"#, h.ttl);
            j.kv(br#","protocol":"#, h.protocol);
            j.first = false;
            j.checksum(h.checksum, checksum::ipv4_header(p));
            j.num("options_len", h.options.len());
        }
        Net::Ipv6(h) => {
            j.put_with(br#","net":{"kind":"ipv6","src":""#, |r| {
                write_ipv6_std(r, &h.src.octets())
            });
            j.put_with(br#"","dst":""#, |r| write_ipv6_std(r, &h.dst.octets()));
            j.kv(br#"","traffic_class":"#, h.traffic_class);
            j.kv(br#","flow_label":"#, h.flow_label);
            j.kv(br#","payload_len":"#, h.payload_len);
            j.kv(br#","next_header":"#, h.next_header);
            j.kv(br#","hop_limit":"#, h.hop_limit);
            j.kv(br#","protocol":"#, h.protocol);
            j.put(br#","ext_headers":["#);
            j.first = true;
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
                j.ipv4("sender_ip", a.sender_ip.into());
                j.mac("target_mac", a.target_hw);
                j.ipv4("target_ip", a.target_ip.into());
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
    match &p.transport {
        Transport::None => return j.null("transport"),
        Transport::Tcp(_) | Transport::Udp(_) => {}
        _ => j.open("transport"),
    }
    match &p.transport {
        Transport::Tcp(t) => {
            j.kv(br#","transport":{"kind":"tcp","src_port":"#, t.src_port);
            j.kv(br#","dst_port":"#, t.dst_port);
            j.kv(br#","seq":"#, t.seq);
            j.kv(br#","ack":"#, t.ack);
            j.kv(br#","header_len":"#, t.header_len);
            j.put(br#","flags":""#);
            j.flag_names(t.flags);
            j.kv(br#"","flag_bits":"#, t.flags.0);
            j.kv(br#","window":"#, t.window);
            j.first = false;
            j.checksum(t.checksum, checksum::transport(p));
            j.kv(br#","urgent":"#, t.urgent);
            j.put(br#","options":["#);
            j.first = true;
            // Linux's NOP, NOP, timestamps after the handshake, written without a walk: the
            // same elements the walk below writes.
            if let Some((val, ecr)) = t.nop_nop_timestamps() {
                j.kv(
                    br#"{"kind":"nop"},{"kind":"nop"},{"kind":"timestamp","val":"#,
                    val,
                );
                j.kv(br#","ecr":"#, ecr);
                j.put(b"}");
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
                        j.put(b"[");
                        for (i, (l, r)) in blocks[..count as usize].iter().enumerate() {
                            if i > 0 {
                                j.put(b",");
                            }
                            j.put(b"[");
                            j.uint(*l as u64);
                            j.put(b",");
                            j.uint(*r as u64);
                            j.put(b"]");
                        }
                        j.put(b"]");
                    }
                    TcpOption::Timestamp { val, ecr } => {
                        j.plain("kind", "timestamp");
                        j.num("val", val);
                        j.num("ecr", ecr);
                    }
                    TcpOption::Unknown { kind, data } => {
                        j.plain("kind", "unknown");
                        j.num("number", kind);
                        j.quoted("data", |j| j.hex_bytes(data));
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
            j.kv(br#","transport":{"kind":"udp","src_port":"#, u.src_port);
            j.kv(br#","dst_port":"#, u.dst_port);
            j.kv(br#","length":"#, u.length);
            j.first = false;
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
