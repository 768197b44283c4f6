//! `-v`: a tree of every header field, layer by layer (in the spirit of `tshark -V`): the frame,
//! the link header (Ethernet and its VLAN tags, Linux cooked, BSD loopback), IPv4 or IPv6 with
//! extension headers, ARP, TCP with each flag and option, UDP, ICMP, and the payload. Checksums
//! are verified (`decode::checksum`): a transport checksum that holds the offload placeholder is
//! named as checksum offload, and another wrong one on a packet this host likely sent is
//! explained as probable offload.

use std::fmt;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::fmt::{
    push_hex_width, push_i64, push_ipv4, push_ipv6_std, push_mac, push_padded, push_u64,
};
use super::learner::{Endpoint, FlagNames, Service, proto_name, push_flag_names, push_preview};
use super::tcpdump::Mac;
use super::time::{TimeFormatter, TimeStyle};
use super::{PacketContext, Renderer};
use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::quoted::icmp_quote;
use crate::decode::{
    ArpSummary, IcmpSummary, Ipv4Summary, Ipv6Summary, Link, Net, Packet, StopKind, TcpFlags,
    TcpOption, TcpSummary, Transport, UdpSummary, ethertype, names, proto,
};
use crate::services::{self, Proto};
use crate::source::Timestamp;

/// Indentation of fields under a layer, and of sub-fields.
const FIELD: &str = "    ";
const SUB: &str = "        ";
/// How many payload characters are previewed.
const PREVIEW: usize = 64;

/// What each TCP flag bit means, from the most significant, as the header lays them out
/// (names from `FLAG_TABLE`).
const TCP_FLAG_MEANINGS: [(u16, &str); 9] = [
    (TcpFlags::AE, "accurate ECN"),
    (TcpFlags::CWR, "congestion window reduced"),
    (TcpFlags::ECE, "ECN echo"),
    (TcpFlags::URG, "urgent pointer valid"),
    (TcpFlags::ACK, "acknowledgment number valid"),
    (TcpFlags::PSH, "push data to the application"),
    (TcpFlags::RST, "reset the connection"),
    (TcpFlags::SYN, "synchronize sequence numbers"),
    (TcpFlags::FIN, "no more data from the sender"),
];

/// A piece of a line, appended to the tree without `core::fmt` (which costs more per field
/// than decoding the packet): text, decimal numbers, addresses, ports' service names.
trait Put {
    fn put(self, out: &mut Vec<u8>);
}

impl Put for &str {
    #[inline]
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes())
    }
}

macro_rules! put_decimal {
    ($($t:ty),*) => {$(
        impl Put for $t {
            #[inline]
            fn put(self, out: &mut Vec<u8>) {
                push_u64(out, self as u64)
            }
        }
    )*};
}
put_decimal!(u8, u16, u32, u64, usize);

/// `{:0W$x}`: lower-case hex with at least `W` digits.
struct Hex<const W: usize>(u64);

impl<const W: usize> Put for Hex<W> {
    #[inline]
    fn put(self, out: &mut Vec<u8>) {
        push_hex_width(out, self.0, W)
    }
}

impl Put for Ipv4Addr {
    fn put(self, out: &mut Vec<u8>) {
        push_ipv4(out, self.octets())
    }
}

impl Put for Ipv6Addr {
    fn put(self, out: &mut Vec<u8>) {
        push_ipv6_std(out, &self.octets())
    }
}

impl Put for Mac {
    fn put(self, out: &mut Vec<u8>) {
        push_mac(out, self.0)
    }
}

impl Put for &Service {
    fn put(self, out: &mut Vec<u8>) {
        if let Some(n) = self.0 {
            put!(out, " (", n, ")");
        }
    }
}

impl Put for FlagNames {
    fn put(self, out: &mut Vec<u8>) {
        push_flag_names(out, self.0)
    }
}

/// Appends each piece in turn.
macro_rules! put {
    ($out:expr, $($p:expr),+ $(,)?) => {{
        $( Put::put($p, &mut *$out); )+
    }};
}
use put;

pub struct VerboseRenderer {
    time: TimeFormatter,
    first: Option<Timestamp>,
    /// The packet's tree, built here and written with one call.
    buf: Vec<u8>,
}

impl VerboseRenderer {
    pub fn new(nano: bool) -> Self {
        VerboseRenderer {
            time: TimeFormatter::new(TimeStyle::Date, nano),
            first: None,
            buf: Vec::with_capacity(4096),
        }
    }
}

impl Renderer for VerboseRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let r = self
            .tree(&mut buf, p, ctx)
            .and_then(|_| out.write_all(&buf));
        self.buf = buf;
        r
    }
}

impl VerboseRenderer {
    /// The packet's tree, appended to `out`.
    fn tree(&mut self, out: &mut Vec<u8>, p: &Packet<'_>, ctx: &PacketContext) -> io::Result<()> {
        let first = *self.first.get_or_insert(p.ts);
        put!(
            out,
            "Frame ",
            ctx.number,
            ": ",
            p.orig_len,
            " bytes on the wire, ",
            p.data.len(),
            " captured\n",
            FIELD,
            "arrival time: "
        );
        // The formatter ends with a space, for tcpdump's line; the tree ends at the time.
        let start = out.len();
        self.time.push(out, p.ts);
        let end = start + out[start..].trim_ascii_end().len();
        out.truncate(end);
        let n = p.ts.nanos_since(first);
        put!(out, "\n", FIELD, "since the first packet: ");
        if n < 0 && n > -1_000_000_000 {
            // `{}` of the quotient 0 has no sign.
            out.push(b'0');
        } else {
            push_i64(out, (n / 1_000_000_000) as i64);
        }
        out.push(b'.');
        push_padded(out, (n % 1_000_000_000).unsigned_abs() as u64, 9);
        put!(out, " s\n", FIELD, "link type: ");
        let _ = write!(out, "{}", p.link_type);
        out.push(b'\n');
        if let Some(t) = ctx.track {
            let dir = match t.dir {
                crate::track::Dir::ToServer => "client → server",
                crate::track::Dir::ToClient => "server → client",
            };
            put!(out, FIELD, "conversation: ", t.flow, " (", dir, ")\n");
        }
        link(out, p)?;
        match &p.net {
            Net::Ipv4(h) => ipv4(out, h)?,
            Net::Ipv6(h) => ipv6(out, h)?,
            Net::Arp(a) => arp(out, a)?,
            Net::Other { ether_type } => writeln!(
                out,
                "Unknown protocol: ethertype 0x{ether_type:04x} (not decoded)"
            )?,
            Net::None => {}
        }
        match &p.transport {
            Transport::Tcp(t) => tcp(out, p, t, ctx)?,
            Transport::Udp(u) => udp(out, p, u)?,
            Transport::Icmpv4(i) => icmp(out, p, i, false)?,
            Transport::Icmpv6(i) => icmp(out, p, i, true)?,
            Transport::Partial { protocol, ports } => {
                write!(out, "{}", proto_name(*protocol))?;
                if let Some((s, d)) = ports {
                    write!(out, ": {s} → {d}")?;
                }
                writeln!(out, " (header not complete)")?;
            }
            Transport::Other { protocol } => writeln!(
                out,
                "IP protocol {protocol} ({}): not decoded",
                proto_name(*protocol)
            )?,
            Transport::None => {}
        }
        if let Some(a) = crate::decode::app::of(p) {
            application(out, &a)?;
        }
        if !matches!(p.transport, Transport::None | Transport::Partial { .. })
            && p.payload_wire_len > 0
        {
            let n = p.payload_wire_len;
            put!(out, "Payload: ", n, if n == 1 { " byte" } else { " bytes" });
            if (p.payload.len() as u32) < p.payload_wire_len {
                put!(out, " (", p.payload.len(), " captured)");
            }
            out.push(b'\n');
            if !p.payload.is_empty() {
                put!(out, FIELD);
                push_preview(out, p.payload, PREVIEW);
                out.push(b'\n');
            }
        }
        if let Some(s) = p.stop {
            match s.kind {
                StopKind::Truncated { needed, available } => writeln!(
                    out,
                    "[cut short: {} header needs {needed} bytes, {available} captured]",
                    s.layer.name()
                )?,
                StopKind::Malformed(why) => {
                    writeln!(out, "[malformed {} header: {why}]", s.layer.name())?
                }
            }
        }
        out.write_all(b"\n")
    }
}

fn ether_type_name(et: u16) -> &'static str {
    match et {
        ethertype::IPV4 => "IPv4",
        ethertype::IPV6 => "IPv6",
        ethertype::ARP => "ARP",
        ethertype::VLAN => "802.1Q VLAN",
        ethertype::QINQ => "802.1ad QinQ",
        0..0x0600 => "802.3 length",
        _ => "unknown",
    }
}

fn link(out: &mut Vec<u8>, p: &Packet<'_>) -> io::Result<()> {
    match p.link {
        Link::Ethernet(e) => {
            put!(out, "Ethernet II: ", Mac(e.src), " → ", Mac(e.dst), "\n");
            put!(out, FIELD, "destination: ", Mac(e.dst), "\n");
            put!(out, FIELD, "source: ", Mac(e.src), "\n");
            put!(
                out,
                FIELD,
                "type: 0x",
                Hex::<4>(e.ether_type as u64),
                " (",
                ether_type_name(e.ether_type),
                ")\n"
            );
            for v in e.vlans() {
                writeln!(out, "802.1Q VLAN tag: ID {}", v.id)?;
                writeln!(out, "{FIELD}priority: {}", v.pcp)?;
                writeln!(out, "{FIELD}drop eligible: {}", v.dei as u8)?;
                writeln!(out, "{FIELD}VLAN ID: {}", v.id)?;
                writeln!(
                    out,
                    "{FIELD}type: 0x{:04x} ({})",
                    v.ether_type,
                    ether_type_name(v.ether_type)
                )?;
            }
        }
        Link::Sll(s) => {
            writeln!(out, "Linux cooked capture v{}", s.version)?;
            let pt = match s.packet_type {
                0 => "unicast to us",
                1 => "broadcast",
                2 => "multicast",
                3 => "unicast to another host",
                4 => "sent by us",
                _ => "unknown",
            };
            writeln!(out, "{FIELD}packet type: {} ({pt})", s.packet_type)?;
            writeln!(
                out,
                "{FIELD}link-layer address type: {}{}",
                s.arphrd,
                if s.arphrd == 1 { " (Ethernet)" } else { "" }
            )?;
            writeln!(out, "{FIELD}link-layer address length: {}", s.addr_len)?;
            let n = (s.addr_len as usize).min(8);
            write!(out, "{FIELD}link-layer address: ")?;
            for (i, b) in s.addr[..n].iter().enumerate() {
                write!(out, "{}{b:02x}", if i > 0 { ":" } else { "" })?;
            }
            out.write_all(b"\n")?;
            if s.version == 2 {
                writeln!(out, "{FIELD}interface index: {}", s.if_index)?;
            }
            writeln!(
                out,
                "{FIELD}protocol: 0x{:04x} ({})",
                s.protocol,
                ether_type_name(s.protocol)
            )?;
        }
        Link::Loopback { family } => {
            writeln!(out, "BSD loopback")?;
            let name = match family {
                2 => "IPv4",
                10 | 24 | 28 | 30 => "IPv6",
                _ => "unknown",
            };
            writeln!(out, "{FIELD}address family: {family} ({name})")?;
        }
        Link::Raw => writeln!(out, "Raw IP (no link header)")?,
        Link::Unsupported => writeln!(
            out,
            "Link layer: {} is not decoded; {} bytes",
            p.link_type, p.orig_len
        )?,
        Link::Framed {
            protocol,
            header_len,
        } => {
            writeln!(out, "Link layer: {}", p.link_type)?;
            writeln!(out, "{FIELD}protocol: 0x{protocol:04x}")?;
            writeln!(out, "{FIELD}header length: {header_len}")?;
        }
    }
    Ok(())
}

/// `0x1234 (correct)`, `0x1234 (incorrect, should be 0x5678 …)` and the other outcomes.
struct Checksum {
    value: u16,
    status: Option<ChecksumStatus>,
    /// Whether a wrong value is likely checksum offload (`checksum::likely_offload`); never for
    /// the IPv4 header, whose checksum the sending kernel always computes.
    likely_offload: bool,
    /// Whether the packet never left this machine (loopback addresses or a loopback link):
    /// there is no network card to finish an offloaded checksum.
    loopback: bool,
}

impl Checksum {
    fn ipv4_header(h: &Ipv4Summary<'_>) -> Self {
        Checksum {
            value: h.checksum,
            status: Some(checksum::ipv4(h)),
            likely_offload: false,
            loopback: false,
        }
    }

    /// The TCP, UDP or ICMP checksum `value` of the packet `p`.
    fn transport(value: u16, p: &Packet<'_>) -> Self {
        Checksum {
            value,
            status: checksum::transport(p),
            likely_offload: checksum::likely_offload(p),
            loopback: {
                let lo = |a: Option<std::net::IpAddr>| a.is_some_and(|a| a.is_loopback());
                lo(p.src_ip()) || lo(p.dst_ip()) || matches!(p.link, Link::Loopback { .. })
            },
        }
    }
}

impl Put for Checksum {
    fn put(self, out: &mut Vec<u8>) {
        match self.status {
            Some(ChecksumStatus::Correct) => {
                put!(out, "0x", Hex::<4>(self.value as u64), " (correct)")
            }
            Some(ChecksumStatus::Incorrect { expected }) if !self.likely_offload => put!(
                out,
                "0x",
                Hex::<4>(self.value as u64),
                " (incorrect, should be 0x",
                Hex::<4>(expected as u64),
                ")"
            ),
            _ => {
                let _ = write!(out, "{self}");
            }
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04x}", self.value)?;
        match self.status {
            Some(ChecksumStatus::Correct) => f.write_str(" (correct)"),
            Some(ChecksumStatus::Incorrect { expected }) => {
                write!(f, " (incorrect, should be 0x{expected:04x})")?;
                if self.likely_offload && self.loopback {
                    // See below: on lo nobody finishes the checksum.
                    f.write_str(
                        " — loopback: Linux leaves the checksum unfinished (CHECKSUM_PARTIAL) \
                         since lo cannot damage the bytes, and no network card exists to fill it in",
                    )?;
                } else if self.likely_offload {
                    f.write_str(
                        " — usually checksum offload: this host sent the packet and its network \
                         card fills the checksum in after the capture point",
                    )?;
                }
                Ok(())
            }
            // Linux's CHECKSUM_PARTIAL: the field holds the pseudo-header sum. On lo no device
            // completes it, and the receiver takes CHECKSUM_PARTIAL as verified
            // (skb_csum_unnecessary in include/linux/skbuff.h).
            Some(ChecksumStatus::OffloadPlaceholder { expected }) if self.loopback => write!(
                f,
                " (incorrect, should be 0x{expected:04x}) — the pseudo-header sum Linux leaves \
                 for a checksum to be finished later (CHECKSUM_PARTIAL); on loopback nothing \
                 finishes it: no network card, lo cannot damage the bytes, and the receiver \
                 accepts it unchecked"
            ),
            Some(ChecksumStatus::OffloadPlaceholder { expected }) => write!(
                f,
                " (incorrect, should be 0x{expected:04x}) — checksum offload: the field holds \
                 just the pseudo-header sum, the placeholder the sending kernel leaves for the \
                 network card to complete after the capture point"
            ),
            Some(ChecksumStatus::Absent) => f.write_str(" (none: optional for UDP over IPv4)"),
            Some(ChecksumStatus::Unverifiable) => {
                f.write_str(" (not verified: not all the bytes it covers were captured)")
            }
            None => Ok(()),
        }
    }
}

fn ip_proto_long(p: u8) -> &'static str {
    match p {
        proto::HOPOPT => "IPv6 hop-by-hop options",
        proto::ICMP => "ICMP",
        proto::IGMP => "IGMP",
        proto::TCP => "TCP",
        proto::UDP => "UDP",
        proto::IPV6_ROUTE => "IPv6 routing header",
        proto::IPV6_FRAG => "IPv6 fragment header",
        proto::ESP => "ESP",
        proto::AH => "authentication header",
        proto::ICMPV6 => "ICMPv6",
        proto::IPV6_NONXT => "no next header",
        proto::IPV6_OPTS => "IPv6 destination options",
        _ => "unknown",
    }
}

fn ipv4(out: &mut Vec<u8>, h: &Ipv4Summary<'_>) -> io::Result<()> {
    put!(
        out,
        "Internet Protocol version 4: ",
        h.src,
        " → ",
        h.dst,
        "\n"
    );
    put!(out, FIELD, "version: 4\n");
    put!(
        out,
        FIELD,
        "header length: ",
        h.header_len,
        " bytes (IHL ",
        h.header_len / 4,
        ")\n"
    );
    let ecn = match h.tos & 3 {
        0 => "not ECN-capable",
        1 => "ECT(1)",
        2 => "ECT(0)",
        _ => "CE, congestion experienced",
    };
    put!(
        out,
        FIELD,
        "type of service: 0x",
        Hex::<2>(h.tos as u64),
        " (DSCP ",
        h.tos >> 2,
        ", ECN ",
        h.tos & 3,
        ": ",
        ecn,
        ")\n"
    );
    put!(out, FIELD, "total length: ", h.total_len, "\n");
    put!(
        out,
        FIELD,
        "identification: 0x",
        Hex::<4>(h.id as u64),
        " (",
        h.id,
        ")\n"
    );
    let reserved = h.header.get(6).is_some_and(|b| b & 0x80 != 0);
    let flags = (reserved as u8) << 2 | (h.dont_fragment as u8) << 1 | h.more_fragments as u8;
    put!(out, FIELD, "flags: 0x", Hex::<1>(flags as u64), "\n");
    put!(out, SUB, "reserved bit: ", reserved as u8, "\n");
    put!(out, SUB, "don't fragment: ", h.dont_fragment as u8, "\n");
    put!(out, SUB, "more fragments: ", h.more_fragments as u8, "\n");
    put!(
        out,
        FIELD,
        "fragment offset: ",
        h.frag_offset,
        " (",
        h.frag_offset as u32 * 8,
        " bytes)\n"
    );
    put!(out, FIELD, "time to live: ", h.ttl, "\n");
    put!(
        out,
        FIELD,
        "protocol: ",
        h.protocol,
        " (",
        ip_proto_long(h.protocol),
        ")\n"
    );
    put!(
        out,
        FIELD,
        "header checksum: ",
        Checksum::ipv4_header(h),
        "\n"
    );
    put!(out, FIELD, "source: ", h.src, "\n");
    put!(out, FIELD, "destination: ", h.dst, "\n");
    if !h.options.is_empty() {
        write!(out, "{FIELD}options: {} bytes 0x", h.options.len())?;
        for b in h.options {
            write!(out, "{b:02x}")?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn ipv6(out: &mut Vec<u8>, h: &Ipv6Summary) -> io::Result<()> {
    put!(
        out,
        "Internet Protocol version 6: ",
        h.src,
        " → ",
        h.dst,
        "\n"
    );
    put!(out, FIELD, "version: 6\n");
    put!(
        out,
        FIELD,
        "traffic class: 0x",
        Hex::<2>(h.traffic_class as u64),
        " (DSCP ",
        h.traffic_class >> 2,
        ", ECN ",
        h.traffic_class & 3,
        ")\n"
    );
    put!(
        out,
        FIELD,
        "flow label: 0x",
        Hex::<5>(h.flow_label as u64),
        "\n"
    );
    put!(out, FIELD, "payload length: ", h.payload_len, "\n");
    put!(
        out,
        FIELD,
        "next header: ",
        h.next_header,
        " (",
        ip_proto_long(h.next_header),
        ")\n"
    );
    put!(out, FIELD, "hop limit: ", h.hop_limit, "\n");
    put!(out, FIELD, "source: ", h.src, "\n");
    put!(out, FIELD, "destination: ", h.dst, "\n");
    for e in h.exts() {
        writeln!(
            out,
            "IPv6 extension header: {} ({}), {} bytes",
            e.kind,
            ip_proto_long(e.kind),
            e.len
        )?;
        if e.kind == proto::IPV6_FRAG
            && let Some(f) = h.fragment
        {
            writeln!(
                out,
                "{FIELD}fragment offset: {} ({} bytes)",
                f.offset,
                f.offset as u32 * 8
            )?;
            writeln!(out, "{FIELD}more fragments: {}", f.more as u8)?;
            writeln!(out, "{FIELD}identification: 0x{:08x}", f.id)?;
        }
    }
    if !h.exts().is_empty() {
        writeln!(
            out,
            "{FIELD}upper-layer protocol: {} ({})",
            h.protocol,
            ip_proto_long(h.protocol)
        )?;
    }
    Ok(())
}

fn arp(out: &mut Vec<u8>, a: &ArpSummary) -> io::Result<()> {
    let op = match a.operation {
        1 => "request",
        2 => "reply",
        3 => "RARP request",
        4 => "RARP reply",
        _ => "unknown",
    };
    writeln!(out, "Address Resolution Protocol ({op})")?;
    writeln!(
        out,
        "{FIELD}hardware type: {}{}",
        a.hw_type,
        if a.hw_type == 1 { " (Ethernet)" } else { "" }
    )?;
    writeln!(
        out,
        "{FIELD}protocol type: 0x{:04x} ({})",
        a.proto_type,
        ether_type_name(a.proto_type)
    )?;
    writeln!(out, "{FIELD}hardware size: {}", a.hw_len)?;
    writeln!(out, "{FIELD}protocol size: {}", a.proto_len)?;
    writeln!(out, "{FIELD}opcode: {} ({op})", a.operation)?;
    if a.ethernet_ipv4 {
        let ip = |b: [u8; 4]| std::net::Ipv4Addr::from(b);
        writeln!(out, "{FIELD}sender MAC address: {}", Mac(a.sender_hw))?;
        writeln!(out, "{FIELD}sender IP address: {}", ip(a.sender_ip))?;
        writeln!(out, "{FIELD}target MAC address: {}", Mac(a.target_hw))?;
        writeln!(out, "{FIELD}target IP address: {}", ip(a.target_ip))?;
    }
    Ok(())
}

/// ` (echo)` after a port with a known service.
fn svc(port: u16, pr: Proto) -> Service {
    Service(services::name(port, pr))
}

fn tcp(
    out: &mut Vec<u8>,
    p: &Packet<'_>,
    t: &TcpSummary<'_>,
    ctx: &PacketContext,
) -> io::Result<()> {
    let (sp, dp) = (t.src_port, t.dst_port);
    let (ssvc, dsvc) = (svc(sp, Proto::Tcp), svc(dp, Proto::Tcp));
    put!(
        out,
        "Transmission Control Protocol: ",
        sp,
        &ssvc,
        " → ",
        dp,
        &dsvc,
        ", ",
        FlagNames(t.flags),
        "\n"
    );
    put!(out, FIELD, "source port: ", sp, &ssvc, "\n");
    put!(out, FIELD, "destination port: ", dp, &dsvc, "\n");
    put!(out, FIELD, "sequence number: ", t.seq);
    if let Some(tr) = ctx.track {
        put!(out, " (relative ", tr.rel_seq, ")");
    }
    put!(out, "\n", FIELD, "acknowledgment number: ", t.ack);
    match ctx.track {
        _ if !t.flags.ack() => put!(out, " (not used: ACK is not set)"),
        Some(tr) => put!(out, " (relative ", tr.rel_ack, ")"),
        None => {}
    }
    put!(
        out,
        "\n",
        FIELD,
        "header length: ",
        t.header_len,
        " bytes (data offset ",
        t.header_len / 4,
        ")\n"
    );
    let reserved = p
        .data
        .get(p.transport_offset as usize + 12)
        .map_or(0, |b| (b >> 1) & 7);
    put!(
        out,
        FIELD,
        "flags: 0x",
        Hex::<3>(t.flags.0 as u64),
        " (",
        FlagNames(t.flags),
        ")\n"
    );
    put!(out, SUB, "reserved: ", reserved, "\n");
    for (bit, meaning) in TCP_FLAG_MEANINGS {
        let name = TcpFlags::name_of(bit);
        let set = if t.flags.has(bit) { "): 1\n" } else { "): 0\n" };
        put!(out, SUB, name, " (", meaning, set);
    }
    put!(out, FIELD, "window: ", t.window, "\n");
    put!(
        out,
        FIELD,
        "checksum: ",
        Checksum::transport(t.checksum, p),
        "\n"
    );
    put!(out, FIELD, "urgent pointer: ", t.urgent);
    if !t.flags.urg() {
        put!(out, " (not used: URG is not set)");
    }
    out.push(b'\n');
    if !t.options.is_empty() {
        put!(out, FIELD, "options: ", t.options.len(), " bytes\n");
        for o in t.options() {
            out.write_all(SUB.as_bytes())?;
            match o {
                TcpOption::Eol => put!(out, "end of option list (kind 0)\n"),
                TcpOption::Nop => put!(out, "no-operation (kind 1)\n"),
                TcpOption::Mss(m) => put!(out, "maximum segment size (kind 2): ", m, "\n"),
                TcpOption::WindowScale(s) => writeln!(
                    out,
                    "window scale (kind 3): {s} (windows are multiplied by {})",
                    1u32 << s.min(14)
                )?,
                TcpOption::SackPermitted => writeln!(out, "SACK permitted (kind 4)")?,
                TcpOption::Sack { blocks, count } => {
                    write!(out, "SACK (kind 5):")?;
                    for (l, r) in &blocks[..count as usize] {
                        write!(out, " {l}-{r}")?;
                    }
                    out.write_all(b"\n")?;
                }
                TcpOption::Timestamp { val, ecr } => put!(
                    out,
                    "timestamps (kind 8): value ",
                    val,
                    ", echo reply ",
                    ecr,
                    "\n"
                ),
                TcpOption::Unknown { kind, data } => {
                    write!(out, "option kind {kind}, {} bytes of data", data.len())?;
                    if !data.is_empty() {
                        out.write_all(b": 0x")?;
                        for b in data {
                            write!(out, "{b:02x}")?;
                        }
                    }
                    out.write_all(b"\n")?;
                }
                TcpOption::Bad { kind, len } => writeln!(
                    out,
                    "option kind {kind} with impossible length {len}: the rest is not read"
                )?,
            }
        }
    }
    Ok(())
}

fn udp(out: &mut Vec<u8>, p: &Packet<'_>, u: &UdpSummary) -> io::Result<()> {
    let (sp, dp) = (u.src_port, u.dst_port);
    let (ssvc, dsvc) = (svc(sp, Proto::Udp), svc(dp, Proto::Udp));
    put!(
        out,
        "User Datagram Protocol: ",
        sp,
        &ssvc,
        " → ",
        dp,
        &dsvc,
        "\n"
    );
    put!(out, FIELD, "source port: ", sp, &ssvc, "\n");
    put!(out, FIELD, "destination port: ", dp, &dsvc, "\n");
    put!(
        out,
        FIELD,
        "length: ",
        u.length,
        " (8 bytes of header, ",
        u.length.saturating_sub(8),
        " of data)\n"
    );
    put!(
        out,
        FIELD,
        "checksum: ",
        Checksum::transport(u.checksum, p),
        "\n"
    );
    Ok(())
}

fn icmp(out: &mut Vec<u8>, p: &Packet<'_>, i: &IcmpSummary, v6: bool) -> io::Result<()> {
    let name = names::icmp(v6, i.kind, i.code);
    writeln!(
        out,
        "Internet Control Message Protocol{}: {name}",
        if v6 { " v6" } else { "" }
    )?;
    writeln!(out, "{FIELD}type: {}", i.kind)?;
    writeln!(out, "{FIELD}code: {}", i.code)?;
    writeln!(
        out,
        "{FIELD}checksum: {}",
        Checksum::transport(i.checksum, p)
    )?;
    let echo = if v6 {
        i.kind == 128 || i.kind == 129
    } else {
        i.kind == 8 || i.kind == 0
    };
    let (id, seq) = i.echo_id_seq();
    if echo {
        writeln!(out, "{FIELD}identifier: {id} (0x{id:04x})")?;
        writeln!(out, "{FIELD}sequence number: {seq}")?;
    } else {
        writeln!(
            out,
            "{FIELD}rest of header: {:02x}{:02x}{:02x}{:02x}",
            i.rest[0], i.rest[1], i.rest[2], i.rest[3]
        )?;
    }
    if let Some(q) = icmp_quote(p) {
        write!(
            out,
            "{FIELD}quoted datagram: {} ",
            ip_proto_long(q.protocol)
        )?;
        match q.ports {
            Some((s, d)) => writeln!(out, "{} → {}", Endpoint(q.src, s), Endpoint(q.dst, d))?,
            None => writeln!(out, "{} → {}", q.src, q.dst)?,
        }
    }
    Ok(())
}

/// The application message the packet starts (DNS, HTTP/1.x), one level under the transport.
fn application(out: &mut Vec<u8>, a: &crate::decode::app::App<'_>) -> io::Result<()> {
    use crate::decode::app::App;
    let mut note = Vec::new();
    match a {
        App::Dns(d) => {
            crate::render::app::dns_note(&mut note, d);
            let h = &d.header;
            let note = note.strip_prefix(b"DNS ").unwrap_or(&note);
            writeln!(out, "Domain Name System: {}", String::from_utf8_lossy(note))?;
            writeln!(
                out,
                "{FIELD}id 0x{:04x}, flags 0x{:04x}: {} question(s), {} answer(s), {} authority, {} additional",
                h.id, h.flags, h.qdcount, h.ancount, h.nscount, h.arcount
            )
        }
        App::Http(s) => {
            crate::render::app::http_note(&mut note, s);
            writeln!(
                out,
                "Hypertext Transfer Protocol: {}",
                String::from_utf8_lossy(&note)
            )?;
            writeln!(
                out,
                "{FIELD}header fields: {}{}",
                s.headers,
                if s.headers_complete {
                    ""
                } else {
                    " (header section continues in a later segment)"
                }
            )?;
            if let Some(n) = s.content_length {
                writeln!(out, "{FIELD}Content-Length: {n}")?;
            }
            if s.chunked {
                writeln!(out, "{FIELD}Transfer-Encoding: chunked")?;
            }
            if s.headers_complete {
                writeln!(
                    out,
                    "{FIELD}body bytes in this segment: {}",
                    s.body_in_segment
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(status: ChecksumStatus, likely_offload: bool) -> String {
        Checksum {
            value: 0x1234,
            status: Some(status),
            likely_offload,
            loopback: false,
        }
        .to_string()
    }

    #[test]
    fn the_offload_placeholder_is_named_as_such() {
        let s = shown(
            ChecksumStatus::OffloadPlaceholder { expected: 0xabcd },
            false,
        );
        assert!(
            s.starts_with("0x1234 (incorrect, should be 0xabcd) — checksum offload: the field holds just the pseudo-header sum"),
            "{s}"
        );
    }

    #[test]
    fn a_wrong_checksum_is_offload_only_when_this_host_likely_sent_it() {
        let wrong = ChecksumStatus::Incorrect { expected: 0xabcd };
        assert_eq!(shown(wrong, false), "0x1234 (incorrect, should be 0xabcd)");
        assert!(shown(wrong, true).contains("— usually checksum offload"));
    }
}
