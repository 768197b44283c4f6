//! `explain packet`: one packet of a capture, header by header and field by field. Each header
//! is drawn as its RFC diagram with this packet's values, each field is explained, its bytes are
//! marked in a hex dump, checksums are verified, and TCP segments are placed in their connection.
//!
//! Frames are read with [`FileSource`] and decoded with [`decode::decode`]; every value shown
//! comes from the decoded summary (placed at the offsets the decoder found), and the window
//! scale from the connection tracker.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::{Value, json};

use super::ExplainError as Failure;
use super::diagram::{self, Cell};
use super::ip::{IpFacts, explain as explain_ip};
use super::wrap;
use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::{
    self, FLAG_TABLE, Link, Net, Packet, TcpFlags, TcpOption, Transport, names, proto,
};
use crate::render::time::{TimeFormatter, TimeStyle};
use crate::render::{PacketContext, Renderer, tcpdump::TcpdumpRenderer};
use crate::source::{FileSource, LinkType, OwnedFrame, Source, SourceError, Timestamp};
use crate::track::{Dir, RoleBasis, TrackInfo, Tracker};

/// One field of a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// For narrow boxes of the diagram.
    pub short: &'static str,
    /// Offset from the start of the header, in bits.
    pub bit_off: u32,
    pub bits: u32,
    /// The value as the diagram shows it.
    pub value: String,
    /// What the value means.
    pub meaning: String,
}

/// One header of the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub key: &'static str,
    pub title: &'static str,
    pub rfc: &'static str,
    /// Offset of the header in the frame, in bytes.
    pub offset: usize,
    pub len: usize,
    pub fields: Vec<Field>,
    pub notes: Vec<String>,
}

/// Everything `explain packet` says about one frame.
#[derive(Clone, Debug)]
pub struct PacketExplanation {
    pub file: String,
    pub number: u64,
    pub ts: Timestamp,
    pub link_type: LinkType,
    pub orig_len: u32,
    pub data: Vec<u8>,
    /// tcpdump -n -tttt's line for the packet.
    pub summary: String,
    pub headers: Vec<Header>,
    pub payload_offset: usize,
    pub payload_len: usize,
    pub payload_wire_len: u32,
    /// Why decoding stopped early, if it did.
    pub stop: Option<String>,
    /// The socket call the frame records, when it is a call record (link type USER0): then
    /// the frame is explained as that call ([`super::call`]), not as a packet.
    pub call: Option<crate::track::calls::CallEvent>,
}

/// What `--frame` may be when it is past the end: frames are numbered together, packets and
/// the socket calls a `run -w` or lesson recording holds among them.
fn frames_held(file: &str, seen: u64, calls: u64) -> String {
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let held = if calls == 0 {
        plural(seen, "packet")
    } else {
        format!(
            "{} ({} and {}, numbered together)",
            plural(seen, "frame"),
            plural(seen - calls, "packet"),
            plural(calls, "socket call")
        )
    };
    format!("{file} holds {held}; --frame must be 1-{seen}")
}

/// Reads `file` up to packet `number` (from 1), tracking connections on the way.
pub fn explain_file(file: &str, number: u64) -> Result<PacketExplanation, Failure> {
    if number == 0 {
        return Err(Failure::Usage(
            "--frame 0: packets are numbered from 1 (as in Wireshark); give --frame N with N >= 1"
                .into(),
        ));
    }
    let mut src = FileSource::open(file).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut tracker = Tracker::new();
    let (mut seen, mut calls) = (0u64, 0u64);
    loop {
        let frame = match src.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => return Err(Failure::Usage(frames_held(file, seen, calls))),
            Err(e @ SourceError::Truncated { .. }) => {
                return Err(Failure::Usage(format!(
                    "{e}; only {seen} packets could be read, so --frame must be 1-{seen}"
                )));
            }
            Err(e) => return Err(Failure::Usage(e.to_string())),
        };
        seen += 1;
        let call = crate::pipeline::call_record(&frame);
        calls += u64::from(call.is_some());
        let owned = OwnedFrame {
            ts: frame.ts,
            link: frame.link,
            orig_len: frame.orig_len,
            data: frame.data.to_vec(),
        };
        if seen == number
            && let Some(ev) = call
        {
            let p = decode::decode(&owned.as_frame());
            let ctx = Context {
                file,
                number,
                info: None,
                tracker: &tracker,
                local_ports: None,
            };
            return Ok(PacketExplanation {
                call: Some(ev),
                ..explain_packet(&p, &ctx)
            });
        }
        let p = decode::decode(&owned.as_frame());
        let info = tracker.observe(&p);
        if seen == number {
            let ctx = Context {
                file,
                number,
                info,
                tracker: &tracker,
                local_ports: super::port::local_port_range(),
            };
            return Ok(explain_packet(&p, &ctx));
        }
    }
}

/// What the rest of the file says about the packet.
pub struct Context<'a> {
    pub file: &'a str,
    pub number: u64,
    pub info: Option<TrackInfo>,
    /// The tracker after this packet: the connection and its window scale.
    pub tracker: &'a Tracker,
    /// This machine's net.ipv4.ip_local_port_range, when it could be read.
    pub local_ports: Option<(u16, u16)>,
}

/// Explains one decoded packet.
pub fn explain_packet(p: &Packet<'_>, ctx: &Context<'_>) -> PacketExplanation {
    let mut headers = Vec::new();
    let d = p.data;
    if let Some(h) = link_header(p) {
        headers.push(h);
    }
    let net_off = p.net_offset as usize;
    match &p.net {
        Net::Ipv4(h) => headers.push(ipv4_header(h, net_off)),
        Net::Ipv6(h) => {
            headers.push(ipv6_header(h, net_off));
            let mut off = net_off + 40;
            for e in h.exts() {
                headers.push(ext_header(e, h.fragment, off));
                off += e.len as usize;
            }
        }
        Net::Arp(a) => headers.push(arp_header(a, net_off)),
        _ => {}
    }
    match &p.transport {
        Transport::Tcp(t) => headers.push(tcp_header(p, t, ctx)),
        Transport::Udp(u) => headers.push(udp_header(p, u)),
        Transport::Icmpv4(i) => headers.push(icmp_header(p, i, false)),
        Transport::Icmpv6(i) => headers.push(icmp_header(p, i, true)),
        _ => {}
    }
    let payload_offset = if p.payload.is_empty() {
        d.len()
    } else {
        (p.payload.as_ptr() as usize).saturating_sub(d.as_ptr() as usize)
    };
    let mut line = Vec::new();
    let mut r = TcpdumpRenderer::new(TimeFormatter::new(TimeStyle::Date, false), false);
    let _ = r.packet(
        &mut line,
        p,
        &PacketContext {
            number: ctx.number,
            track: ctx.info,
        },
    );
    PacketExplanation {
        file: ctx.file.to_string(),
        number: ctx.number,
        ts: p.ts,
        link_type: p.link_type,
        orig_len: p.orig_len,
        data: d.to_vec(),
        summary: String::from_utf8_lossy(&line).trim_end().to_string(),
        headers,
        payload_offset,
        payload_len: p.payload.len(),
        payload_wire_len: p.payload_wire_len,
        stop: p.stop.map(|s| s.to_string()).or_else(|| match p.transport {
            Transport::Partial { protocol, ports } => Some(format!(
                "the {} header was not decoded (cut short, or inside a fragment){}",
                protocol_name(protocol),
                ports
                    .map(|(a, b)| format!("; its ports are {a} -> {b}"))
                    .unwrap_or_default()
            )),
            _ => None,
        }),
        call: None,
    }
}

fn field(
    name: &'static str,
    short: &'static str,
    bit_off: u32,
    n: u32,
    value: impl Into<String>,
    meaning: impl Into<String>,
) -> Field {
    Field {
        name,
        short,
        bit_off,
        bits: n,
        value: value.into(),
        meaning: meaning.into(),
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn mac_meaning(b: &[u8], dst: bool) -> String {
    if b.iter().all(|&x| x == 0xff) {
        return "broadcast: every host on the link".into();
    }
    if b.iter().all(|&x| x == 0) {
        return "all zeros: no real address (loopback captures use it)".into();
    }
    let mut s = String::from(if dst {
        "the next hop on this link (a host or the router), not the final destination"
    } else {
        "the card that sent the frame on this link"
    });
    if b[0] & 1 != 0 {
        s.push_str("; group bit set: a multicast address");
    }
    if b[0] & 2 != 0 {
        s.push_str("; locally administered (set by software, not the maker)");
    }
    s
}

/// Names of ethertypes (IEEE Registration Authority).
const ETHERTYPES: &[(u16, &str)] = &[
    (0x0800, "IPv4"),
    (0x0806, "ARP"),
    (0x8100, "802.1Q VLAN tag"),
    (0x86dd, "IPv6"),
    (0x88a8, "802.1ad VLAN tag"),
    (0x88cc, "LLDP"),
    (0x8847, "MPLS"),
];

fn ethertype_name(t: u16) -> String {
    match ETHERTYPES.iter().find(|e| e.0 == t) {
        Some((_, n)) => format!("0x{t:04x}: {n} follows"),
        None if t < 0x0600 => format!("{t}: an 802.3 length, an LLC header follows"),
        None => format!("0x{t:04x}: a protocol sockscope does not decode"),
    }
}

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
const PROTOCOLS: &[(u8, &str)] = &[
    (proto::HOPOPT, "IPv6 Hop-by-Hop Options"),
    (proto::ICMP, "ICMP"),
    (proto::IGMP, "IGMP"),
    (4, "IPv4 in IP"),
    (proto::TCP, "TCP"),
    (proto::UDP, "UDP"),
    (41, "IPv6 in IP"),
    (proto::IPV6_ROUTE, "IPv6 Routing header"),
    (proto::IPV6_FRAG, "IPv6 Fragment header"),
    (47, "GRE"),
    (proto::ESP, "ESP (IPsec)"),
    (proto::AH, "AH (IPsec)"),
    (proto::ICMPV6, "ICMPv6"),
    (proto::IPV6_NONXT, "no next header"),
    (proto::IPV6_OPTS, "IPv6 Destination Options"),
    (132, "SCTP"),
];

fn protocol_name(p: u8) -> &'static str {
    PROTOCOLS
        .iter()
        .find(|e| e.0 == p)
        .map(|e| e.1)
        .unwrap_or("unknown")
}

fn link_header(p: &Packet<'_>) -> Option<Header> {
    match &p.link {
        Link::Ethernet(e) => Some(ethernet_header(e)),
        Link::Sll(s) if s.version == 1 => Some(sll_header(s)),
        Link::Sll(s) => Some(sll2_header(s)),
        Link::Loopback { family } => Some(loopback_header(*family)),
        Link::Raw | Link::Unsupported | Link::Framed { .. } => None,
    }
}

/// Ethernet II with its 802.1Q tags (IEEE 802.1Q §9.6).
fn ethernet_header(e: &decode::EthernetSummary) -> Header {
    let mut f = vec![
        field(
            "Destination MAC",
            "Dst MAC",
            0,
            48,
            mac(&e.dst),
            mac_meaning(&e.dst, true),
        ),
        field(
            "Source MAC",
            "Src MAC",
            48,
            48,
            mac(&e.src),
            mac_meaning(&e.src, false),
        ),
    ];
    let mut off = 96;
    for (i, v) in e.vlans().iter().enumerate() {
        let tpid = e.tpid(i);
        f.push(field(
            "TPID",
            "TPID",
            off,
            16,
            format!("0x{tpid:04x}"),
            ethertype_name(tpid),
        ));
        f.push(field(
            "PCP",
            "PCP",
            off + 16,
            3,
            v.pcp.to_string(),
            "priority code point: 0 best effort ... 7 highest (802.1p)",
        ));
        f.push(field(
            "DEI",
            "D",
            off + 19,
            1,
            (v.dei as u8).to_string(),
            "drop eligible: may be dropped first under congestion",
        ));
        f.push(field(
            "VLAN ID",
            "VID",
            off + 20,
            12,
            v.id.to_string(),
            "the virtual LAN this frame belongs to",
        ));
        off += 32;
    }
    let et = e.inner_ether_type();
    f.push(field(
        "EtherType",
        "Type",
        off,
        16,
        format!("0x{et:04x}"),
        ethertype_name(et),
    ));
    Header {
        key: "ethernet",
        title: "Ethernet II",
        rfc: "IEEE 802.3 §3.1, RFC 894",
        offset: 0,
        len: (off / 8 + 2) as usize,
        fields: f,
        notes: vec![
            "The preamble before the frame and the FCS (CRC-32) after it are removed by \
             the card: captures do not hold them."
                .into(),
        ],
    }
}

fn sll_header(s: &decode::SllSummary) -> Header {
    let f = vec![
        field(
            "Packet Type",
            "Type",
            0,
            16,
            s.packet_type.to_string(),
            sll_packet_type(s.packet_type),
        ),
        field(
            "ARPHRD Type",
            "ARPHRD",
            16,
            16,
            s.arphrd.to_string(),
            arphrd(s.arphrd),
        ),
        field(
            "Address Length",
            "Len",
            32,
            16,
            s.addr_len.to_string(),
            "bytes of the link-layer address that follow are used",
        ),
        field(
            "Link-layer Address",
            "Addr",
            48,
            64,
            mac(&s.addr[..(s.addr_len as usize).min(8)]),
            "the sender's link-layer address",
        ),
        field(
            "Protocol",
            "Proto",
            112,
            16,
            format!("0x{:04x}", s.protocol),
            ethertype_name(s.protocol),
        ),
    ];
    Header {
        key: "sll",
        title: "Linux cooked capture (SLL)",
        rfc: "tcpdump.org LINKTYPE_LINUX_SLL",
        offset: 0,
        len: 16,
        fields: f,
        notes: vec![
            "Written by the capture, not sent on the wire: Linux makes this pseudo-header \
             when capturing on `any` or a device without Ethernet headers."
                .into(),
        ],
    }
}

fn sll2_header(s: &decode::SllSummary) -> Header {
    let f = vec![
        field(
            "Protocol",
            "Proto",
            0,
            16,
            format!("0x{:04x}", s.protocol),
            ethertype_name(s.protocol),
        ),
        field("Reserved", "Rsv", 16, 16, "0", "unused"),
        field(
            "Interface Index",
            "ifindex",
            32,
            32,
            s.if_index.to_string(),
            "the interface the packet was captured on (see `ip link`)",
        ),
        field(
            "ARPHRD Type",
            "ARPHRD",
            64,
            16,
            s.arphrd.to_string(),
            arphrd(s.arphrd),
        ),
        field(
            "Packet Type",
            "Type",
            80,
            8,
            s.packet_type.to_string(),
            sll_packet_type(s.packet_type),
        ),
        field(
            "Address Length",
            "Len",
            88,
            8,
            s.addr_len.to_string(),
            "bytes of the link-layer address that follow are used",
        ),
        field(
            "Link-layer Address",
            "Addr",
            96,
            64,
            mac(&s.addr[..(s.addr_len as usize).min(8)]),
            "the sender's link-layer address",
        ),
    ];
    Header {
        key: "sll2",
        title: "Linux cooked capture v2 (SLL2)",
        rfc: "tcpdump.org LINKTYPE_LINUX_SLL2",
        offset: 0,
        len: 20,
        fields: f,
        notes: vec!["Written by the capture, not sent on the wire.".into()],
    }
}

fn loopback_header(family: u32) -> Header {
    Header {
        key: "loopback",
        title: "BSD loopback (NULL)",
        rfc: "tcpdump.org LINKTYPE_NULL",
        offset: 0,
        len: 4,
        fields: vec![field(
            "Address Family",
            "AF",
            0,
            32,
            family.to_string(),
            match family {
                2 => "AF_INET: an IPv4 packet follows",
                10 | 24 | 28 | 30 => "AF_INET6: an IPv6 packet follows",
                _ => "an address family sockscope does not decode",
            },
        )],
        notes: vec![
            "A 4-byte pseudo-header in the capturing machine's byte order: the loopback \
             device has no real link layer."
                .into(),
        ],
    }
}

fn sll_packet_type(t: u16) -> &'static str {
    match t {
        0 => "to us: addressed to this host",
        1 => "broadcast: sent to every host on the link",
        2 => "multicast: sent to a group",
        3 => "to another host, seen in promiscuous mode",
        4 => "outgoing: sent by this host",
        _ => "unknown",
    }
}

fn arphrd(t: u16) -> &'static str {
    match t {
        1 => "Ethernet",
        772 => "loopback",
        776 => "IPv6-in-IPv4 (sit)",
        65534 => "no link header (tun)",
        _ => "a link type by number (include/uapi/linux/if_arp.h)",
    }
}

fn addr_kind(a: IpAddr) -> String {
    match explain_ip(&a.to_string(), &IpFacts::default()) {
        Ok(e) => format!("{} ({})", e.kinds[0].name, e.kinds[0].rfc),
        Err(_) => String::new(),
    }
}

/// DSCP names (RFC 2474, RFC 2597, RFC 3246, RFC 8622).
fn dscp_name(d: u8) -> String {
    match d {
        0 => "default (best effort)".into(),
        1 => "LE, lower effort (RFC 8622)".into(),
        46 => "EF, expedited forwarding (voice)".into(),
        44 => "VOICE-ADMIT".into(),
        8 | 16 | 24 | 32 | 40 | 48 | 56 => format!("CS{}, class selector", d / 8),
        10 | 12 | 14 | 18 | 20 | 22 | 26 | 28 | 30 | 34 | 36 | 38 => {
            format!("AF{}{}, assured forwarding", d / 8, (d % 8) / 2)
        }
        _ => "unassigned".into(),
    }
}

fn ecn_name(e: u8) -> &'static str {
    match e {
        0 => "Not-ECT: the sender does not use ECN",
        1 => "ECT(1): ECN-capable transport",
        2 => "ECT(0): ECN-capable transport",
        _ => "CE: congestion experienced, marked by a router instead of dropping",
    }
}

fn checksum_note(what: &str, v: ChecksumStatus, stored: u16, lo: bool) -> String {
    match v {
        // Linux always computes the IPv4 header checksum itself (ip_send_check), so offload
        // does not explain a wrong one.
        ChecksumStatus::Incorrect { expected: computed }
        | ChecksumStatus::OffloadPlaceholder { expected: computed }
            if what.contains("IPv4") =>
        {
            format!(
                "{what} checksum 0x{stored:04x} is wrong (should be 0x{computed:04x}): the header was \
             damaged or crafted by hand; a receiver drops such a packet."
            )
        }
        ChecksumStatus::Correct => format!(
            "{what} checksum 0x{stored:04x} is correct (recomputed over the captured bytes)."
        ),
        ChecksumStatus::Absent => format!(
            "{what} checksum 0 means the sender did not compute one (allowed for UDP over IPv4, \
             RFC 768; required over IPv6, RFC 8200 §8.1)."
        ),
        ChecksumStatus::Unverifiable => format!(
            "{what} checksum 0x{stored:04x} cannot be checked: the capture does not hold every \
             byte it covers (snap length)."
        ),
        ChecksumStatus::OffloadPlaceholder { expected: computed } => format!(
            "{what} checksum 0x{stored:04x} is not the right one (0x{computed:04x}), but it is \
             exactly the sum of the pseudo-header, which the field holds until the checksum is \
             finished. {OFFLOAD}"
        ),
        ChecksumStatus::Incorrect { expected: computed } if lo => format!(
            "{what} checksum 0x{stored:04x} is wrong (should be 0x{computed:04x}), which is \
             normal here. {OFFLOAD}"
        ),
        ChecksumStatus::Incorrect { expected: computed } => format!(
            "{what} checksum 0x{stored:04x} is wrong (should be 0x{computed:04x}). If this \
             capture was taken on the sending machine, that is checksum offload. {OFFLOAD} A \
             packet that really arrives with a wrong checksum is dropped by the receiver."
        ),
    }
}

// Linux marks such a packet CHECKSUM_PARTIAL: a network card completes the checksum after the
// capture point, and on lo nothing does; the receiving kernel takes CHECKSUM_PARTIAL as verified
// (skb_csum_unnecessary in include/linux/skbuff.h).
const OFFLOAD: &str = "Linux left the checksum to be finished after the point where packets are \
captured (CHECKSUM_PARTIAL): a network card fills it in on the way out (checksum offload), and \
on loopback (lo), where there is no card and the bytes cannot be damaged, nobody does and the \
receiving kernel accepts the packet unchecked. Wireshark and tcpdump -vv report the same; the \
receiver is not affected.";

/// The Flags field of an IPv4 header: its box value and what it means.
fn ipv4_flags(h: &decode::Ipv4Summary<'_>) -> (&'static str, String) {
    let mut flags = Vec::new();
    if h.reserved_flag {
        flags.push("reserved bit set (must be 0; RFC 3514's joke \"evil bit\")");
    }
    if h.dont_fragment {
        flags.push("DF: don't fragment (routers drop it rather than split it; path MTU discovery relies on this)");
    }
    if h.more_fragments {
        flags.push("MF: more fragments follow");
    }
    let flag_short = match (h.dont_fragment, h.more_fragments) {
        (true, true) => "DF MF",
        (true, false) => "DF",
        (false, true) => "MF",
        (false, false) => "-",
    };
    let meaning = if flags.is_empty() {
        "none set: may be fragmented, last fragment".to_string()
    } else {
        flags.join("; ")
    };
    (flag_short, meaning)
}

/// The verdict on an IPv4 header checksum, as its field's meaning says it.
fn ipv4_verdict(v: ChecksumStatus) -> String {
    match v {
        ChecksumStatus::Correct => "correct".to_string(),
        ChecksumStatus::Incorrect { expected }
        | ChecksumStatus::OffloadPlaceholder { expected } => {
            format!("wrong, should be 0x{expected:04x}")
        }
        _ => "not checked".to_string(),
    }
}

/// The fields of an IPv4 header, options as one box.
fn ipv4_fields(h: &decode::Ipv4Summary<'_>, v: ChecksumStatus) -> Vec<Field> {
    let dscp = h.tos >> 2;
    let ecn = h.tos & 3;
    let (flag_short, flag_meaning) = ipv4_flags(h);
    let mut f = vec![
        field("Version", "Ver", 0, 4, "4", "IP version 4"),
        field(
            "IHL",
            "IHL",
            4,
            4,
            (h.header_len / 4).to_string(),
            format!(
                "header length in 32-bit words: {} × 4 = {} bytes{}",
                h.header_len / 4,
                h.header_len,
                if h.header_len == 20 {
                    ", no options"
                } else {
                    ", with options"
                }
            ),
        ),
        field(
            "DSCP",
            "DSCP",
            8,
            6,
            dscp.to_string(),
            format!(
                "differentiated services (RFC 2474), once Type of Service: {}",
                dscp_name(dscp)
            ),
        ),
        field("ECN", "ECN", 14, 2, ecn.to_string(), ecn_name(ecn)),
        field(
            "Total Length",
            "Total Length",
            16,
            16,
            h.total_len.to_string(),
            format!(
                "header and data: {} bytes ({} bytes after this header)",
                h.total_len,
                h.total_len.saturating_sub(h.header_len as u16)
            ),
        ),
        field(
            "Identification",
            "Ident",
            32,
            16,
            h.id.to_string(),
            "numbers the datagram so that the receiver can put its fragments together",
        ),
        field("Flags", "Flg", 48, 3, flag_short, flag_meaning),
        field(
            "Fragment Offset",
            "Fragment Offset",
            51,
            13,
            h.frag_offset.to_string(),
            if h.frag_offset == 0 {
                "0: the start of the datagram (unfragmented, or the first fragment)".to_string()
            } else {
                format!(
                    "this fragment starts {} × 8 = {} bytes into the datagram",
                    h.frag_offset,
                    h.frag_offset as u32 * 8
                )
            },
        ),
        field(
            "Time to Live",
            "TTL",
            64,
            8,
            h.ttl.to_string(),
            "hops left: each router subtracts 1 and drops the packet at 0 (senders start at 64 \
             on Linux and macOS, 128 on Windows, 255 on network gear)",
        ),
        field(
            "Protocol",
            "Proto",
            72,
            8,
            h.protocol.to_string(),
            format!("{}: what the data is", protocol_name(h.protocol)),
        ),
        field(
            "Header Checksum",
            "Checksum",
            80,
            16,
            format!("0x{:04x}", h.checksum),
            format!("covers the header only (RFC 1071); {}", ipv4_verdict(v)),
        ),
    ];
    f.extend(addr_fields(IpAddr::V4(h.src), IpAddr::V4(h.dst), 96));
    if h.header_len > 20 {
        f.push(field(
            "Options",
            "Options",
            160,
            (h.header_len as u32 - 20) * 8,
            format!("{} bytes", h.header_len - 20),
            "IP options (record route, timestamps...): rare today, often dropped by routers",
        ));
    }
    f
}

fn ipv4_header(h: &decode::Ipv4Summary<'_>, off: usize) -> Header {
    let v = checksum::ipv4(h);
    let f = ipv4_fields(h, v);
    let mut notes = vec![checksum_note("The IPv4 header", v, h.checksum, false)];
    if h.frag_offset != 0 || h.more_fragments {
        notes.push(
            "This is a fragment: the transport header is only in the fragment at offset 0.".into(),
        );
    }
    Header {
        key: "ipv4",
        title: "IPv4 header",
        rfc: "RFC 791 §3.1",
        offset: off,
        len: h.header_len as usize,
        fields: f,
        notes,
    }
}

/// Source and destination address fields, the source at bit `at`.
fn addr_fields(src: IpAddr, dst: IpAddr, at: u32) -> [Field; 2] {
    let bits = if src.is_ipv4() { 32 } else { 128 };
    [
        field(
            "Source Address",
            "Source",
            at,
            bits,
            src.to_string(),
            format!("the sender: {}", addr_kind(src)),
        ),
        field(
            "Destination Address",
            "Destination",
            at + bits,
            bits,
            dst.to_string(),
            format!("the final receiver: {}", addr_kind(dst)),
        ),
    ]
}

fn ipv6_header(h: &decode::Ipv6Summary, off: usize) -> Header {
    let mut f = vec![
        field("Version", "Ver", 0, 4, "6", "IP version 6"),
        field(
            "Traffic Class",
            "Traffic Class",
            4,
            8,
            format!("0x{:02x}", h.traffic_class),
            format!(
                "DSCP {} ({}), ECN {} ({})",
                h.traffic_class >> 2,
                dscp_name(h.traffic_class >> 2),
                h.traffic_class & 3,
                ecn_name(h.traffic_class & 3)
            ),
        ),
        field(
            "Flow Label",
            "Flow Label",
            12,
            20,
            format!("0x{:05x}", h.flow_label),
            if h.flow_label == 0 {
                "0: not labelled".to_string()
            } else {
                "marks the packets of one flow so routers can keep them on one path (RFC 6437); \
                 Linux sets a hash of the connection"
                    .to_string()
            },
        ),
        field(
            "Payload Length",
            "Payload Length",
            32,
            16,
            h.payload_len.to_string(),
            "bytes after this 40-byte header, extension headers included",
        ),
        field(
            "Next Header",
            "Next Hdr",
            48,
            8,
            h.next_header.to_string(),
            format!("{}: what follows this header", protocol_name(h.next_header)),
        ),
        field(
            "Hop Limit",
            "Hop Limit",
            56,
            8,
            h.hop_limit.to_string(),
            "hops left: each router subtracts 1 and drops the packet at 0 (IPv4's TTL)",
        ),
    ];
    f.extend(addr_fields(IpAddr::V6(h.src), IpAddr::V6(h.dst), 64));
    Header {
        key: "ipv6",
        title: "IPv6 header",
        rfc: "RFC 8200 §3",
        offset: off,
        len: 40,
        fields: f,
        notes: vec![
            "IPv6 has no header checksum (the link and transport layers have their own) and \
             routers never fragment: only the sender may, with a Fragment header."
                .into(),
        ],
    }
}

/// An IPv6 extension header; `fragment` holds the fields of the packet's Fragment header.
fn ext_header(e: &decode::Ipv6Ext, fragment: Option<decode::Ipv6Fragment>, off: usize) -> Header {
    let (kind, len, nh) = (e.kind, e.len as usize, e.next_header);
    let mut f = vec![field(
        "Next Header",
        "Next Hdr",
        0,
        8,
        nh.to_string(),
        format!("{}: what follows this header", protocol_name(nh)),
    )];
    if kind == proto::IPV6_FRAG {
        let frag = fragment.unwrap_or_default();
        let fo = frag.offset;
        f.push(field("Reserved", "Rsv", 8, 8, "0", "unused"));
        f.push(field(
            "Fragment Offset",
            "Fragment Offset",
            16,
            13,
            fo.to_string(),
            format!("starts {} bytes into the original packet", fo as u32 * 8),
        ));
        f.push(field("Res", "R", 29, 2, "0", "unused"));
        f.push(field(
            "M",
            "M",
            31,
            1,
            (frag.more as u8).to_string(),
            "1: more fragments follow",
        ));
        f.push(field(
            "Identification",
            "Identification",
            32,
            32,
            frag.id.to_string(),
            "the same in every fragment of one packet",
        ));
    } else {
        f.push(field(
            "Hdr Ext Len",
            "Len",
            8,
            8,
            e.len_field.to_string(),
            format!("length in 8-byte units after the first 8 bytes: {len} bytes in all"),
        ));
        if len > 2 {
            f.push(field(
                "Options / Data",
                "Data",
                16,
                (len as u32 - 2) * 8,
                format!("{} bytes", len - 2),
                "the options (TLVs) or routing data of this header",
            ));
        }
    }
    let notes = if kind == proto::IPV6_FRAG {
        vec![
            "Only the sender fragments in IPv6. Only the first fragment (offset 0) holds the \
             transport header, and sockscope does not reassemble fragments, so the bytes after \
             this header are shown as they are."
                .to_string(),
        ]
    } else {
        vec![]
    };
    Header {
        key: "ipv6_ext",
        title: match kind {
            proto::HOPOPT => "IPv6 Hop-by-Hop Options header",
            proto::IPV6_ROUTE => "IPv6 Routing header",
            proto::IPV6_FRAG => "IPv6 Fragment header",
            proto::IPV6_OPTS => "IPv6 Destination Options header",
            proto::AH => "IPsec Authentication Header",
            _ => "IPv6 extension header",
        },
        rfc: "RFC 8200 §4",
        offset: off,
        len,
        fields: f,
        notes,
    }
}

fn arp_header(a: &decode::ArpSummary, off: usize) -> Header {
    let ip4 = |b: [u8; 4]| std::net::Ipv4Addr::from(b).to_string();
    let mut f = vec![
        field(
            "Hardware Type",
            "HW Type",
            0,
            16,
            a.hw_type.to_string(),
            if a.hw_type == 1 {
                "1: Ethernet"
            } else {
                "not Ethernet"
            },
        ),
        field(
            "Protocol Type",
            "Proto Type",
            16,
            16,
            format!("0x{:04x}", a.proto_type),
            ethertype_name(a.proto_type),
        ),
        field(
            "HLEN",
            "HLEN",
            32,
            8,
            a.hw_len.to_string(),
            "bytes in a hardware address",
        ),
        field(
            "PLEN",
            "PLEN",
            40,
            8,
            a.proto_len.to_string(),
            "bytes in a protocol address",
        ),
        field(
            "Operation",
            "Op",
            48,
            16,
            a.operation.to_string(),
            match a.operation {
                1 => "request: who has the target IP address?",
                2 => "reply: the sender has it, at the sender MAC",
                _ => "another operation",
            },
        ),
    ];
    if a.ethernet_ipv4 {
        f.push(field(
            "Sender MAC",
            "SHA",
            64,
            48,
            mac(&a.sender_hw),
            "the asker's (or answerer's) MAC",
        ));
        f.push(field(
            "Sender IP",
            "SPA",
            112,
            32,
            ip4(a.sender_ip),
            "its IPv4 address",
        ));
        f.push(field(
            "Target MAC",
            "THA",
            144,
            48,
            mac(&a.target_hw),
            "unknown (zeros) in a request",
        ));
        f.push(field(
            "Target IP",
            "TPA",
            192,
            32,
            ip4(a.target_ip),
            "the IPv4 address being asked about",
        ));
    }
    Header {
        key: "arp",
        title: "ARP",
        rfc: "RFC 826",
        offset: off,
        len: if a.ethernet_ipv4 { 28 } else { 8 },
        fields: f,
        notes: vec![
            "ARP maps an IPv4 address to a MAC address on one link; IPv6 uses neighbour \
             discovery (ICMPv6) instead."
                .into(),
        ],
    }
}

/// The verdict on the packet's own TCP, UDP or ICMP checksum (`decode::checksum`).
fn verify_transport(p: &Packet<'_>) -> ChecksumStatus {
    checksum::transport(p).unwrap_or(ChecksumStatus::Unverifiable)
}

/// Linux's default net.ipv4.ip_local_port_range (Documentation/networking/ip-sysctl.rst).
const LINUX_EPHEMERAL: (u16, u16) = (32768, 60999);

/// What the connection tells about a port: which end it belongs to, when the handshake shows
/// it, and whether its addresses are loopback ones (the traffic never left the machine).
#[derive(Clone, Copy, Default)]
struct PortRoles {
    /// Some(true): the source port is the client's; Some(false): the destination port is.
    src_is_client: Option<bool>,
    loopback: bool,
    /// This machine's net.ipv4.ip_local_port_range, when it could be read.
    local_range: Option<(u16, u16)>,
}

fn port_meaning(
    port: u16,
    proto: crate::services::Proto,
    side: &str,
    client: bool,
    r: PortRoles,
) -> String {
    // RFC 6335 §6: IANA's system (0-1023), user (1024-49151) and dynamic (49152-65535)
    // ranges, which say what IANA assigns, not where a kernel picks its ephemeral ports.
    let (range, _) = super::port::range_of(port);
    if client {
        // A client's port comes from its kernel at connect() (RFC 6056 §2: "ephemeral port"),
        // in Linux from ip_local_port_range.
        let (lo, hi) = LINUX_EPHEMERAL;
        let from = match r.local_range {
            Some((a, b)) if r.loopback && (a, b) != LINUX_EPHEMERAL => format!(
                "{a}-{b} on this machine (net.ipv4.ip_local_port_range), if this loopback \
                 capture was made here"
            ),
            _ if (lo..=hi).contains(&port) => {
                format!("in Linux's default ephemeral range ({lo}-{hi})")
            }
            _ => format!(
                "outside Linux's default ephemeral range ({lo}-{hi}): the sender's range differs, \
                 its program bound the port itself, or it wrote the TCP header on a raw socket \
                 (raw(7))"
            ),
        };
        return format!(
            "{side} port: the client's, which its kernel picks at connect() unless the program \
             bound one: {from}; IANA: {range}"
        );
    }
    match crate::services::name(port, proto) {
        Some(s) => format!("{side} port: {s}, {range}"),
        None => format!("{side} port: {range}"),
    }
}

/// The two port fields that start TCP and UDP headers.
fn port_fields(src: u16, dst: u16, proto: crate::services::Proto, r: PortRoles) -> [Field; 2] {
    [
        field(
            "Source Port",
            "Source Port",
            0,
            16,
            src.to_string(),
            port_meaning(src, proto, "sender's", r.src_is_client == Some(true), r),
        ),
        field(
            "Destination Port",
            "Destination Port",
            16,
            16,
            dst.to_string(),
            port_meaning(dst, proto, "receiver's", r.src_is_client == Some(false), r),
        ),
    ]
}

/// What a combination of TCP flags says (RFC 9293 §3.5, §3.6).
fn flags_sentence(f: TcpFlags, has_data: bool) -> String {
    let mut s = Vec::new();
    if f.rst() {
        // RFC 9293 §3.10.7.1: a segment for no connection (a SYN to a port where nothing
        // listens, a SYN-ACK no socket asked for) is answered by a RST too.
        s.push(
            "RST: aborts the connection at once, or answers a segment that belongs to no \
             connection (a SYN to a port where nothing listens, a SYN-ACK no socket asked for)",
        );
    }
    if f.syn() && !f.ack() {
        s.push("step 1 of the three-way handshake: the client asks to open a connection and announces its initial sequence number (ISN)");
    } else if f.syn() {
        // RFC 9293 §3.5: the listening TCP answers the SYN; the application's accept() only
        // takes a connection the kernel has already completed (Linux's accept queue).
        s.push("step 2 of the three-way handshake: the server's kernel acknowledges the client's SYN and announces its own ISN, by itself (the server program's accept() only picks up the completed connection)");
    } else if f.ack() && !f.fin() && !f.rst() && !has_data {
        s.push("an acknowledgement without data: it confirms what the other side sent (step 3 of the handshake when it follows a SYN+ACK)");
    }
    if f.fin() {
        s.push("FIN: this side has no more data to send (it can still receive: half-close); the other side acknowledges it and sends its own FIN");
    }
    if f.psh() {
        s.push("PSH: deliver the data to the application now, do not wait for more");
    }
    if f.urg() {
        s.push("URG: the urgent pointer is valid");
    }
    if f.has(TcpFlags::ECE) && f.syn() {
        s.push("ECE (with CWR on a SYN): the sender offers ECN (RFC 3168)");
    } else if f.has(TcpFlags::ECE) {
        s.push("ECE: a router marked congestion on the way to this sender (RFC 3168)");
    }
    if f.has(TcpFlags::CWR) && !f.syn() {
        s.push("CWR: the sender has reduced its congestion window (RFC 3168)");
    }
    if f.has(TcpFlags::AE) {
        s.push("AE: Accurate ECN counter bit (RFC 9768)");
    }
    if has_data && !f.syn() {
        s.push("The segment carries data");
    }
    let names: Vec<&str> = FLAG_TABLE
        .iter()
        .filter(|(b, _, _)| f.has(*b))
        .map(|(_, _, n)| *n)
        .collect();
    let body = s.join(". ");
    // The first letter of the first sentence in upper case ("Step 1", not "sTep 1").
    let mut chars = body.chars();
    let body = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => body,
    };
    format!("Flags {}: {body}.", names.join("+"))
}

/// Where an announced MSS comes from. RFC 6691 §2 (and RFC 9293 §3.7.1): the MTU minus the
/// fixed IP and TCP headers. Linux (ipv4_default_advmss) also caps IPv4's at 65535 - 40, since
/// the 16-bit Total Length counts the headers (RFC 791 §3.1): lo's MTU 65536 would give 65496.
/// IPv6's Payload Length leaves its header out (RFC 8200 §3), so ip6_default_advmss gives
/// 65536 - 40 - 20 = 65476 on lo. Checked in a namespace: lo MTU 65535 gives 65495 and 65475.
fn mss_origin(m: u16) -> String {
    match m {
        65495 => "65535 - 20 - 20: the most IPv4's 16-bit Total Length allows; Linux caps the \
                  MTU minus 40 to it, which on lo (MTU 65536) would be 65496"
            .into(),
        65476 => "65536 - 40 - 20: an MTU of 65536 (lo's) minus the IPv6 and TCP headers".into(),
        _ => "normally the sender's MTU minus the IP and TCP headers without options, \
              e.g. 1500 - 20 - 20 = 1460 for IPv4 over Ethernet"
            .into(),
    }
}

fn option_explain(o: &TcpOption<'_>) -> (&'static str, &'static str, String, String) {
    match *o {
        TcpOption::Eol => (
            "End of Options",
            "EOL",
            "EOL".into(),
            "end of the option list (kind 0)".into(),
        ),
        TcpOption::Nop => (
            "No-Operation",
            "NOP",
            "NOP".into(),
            "padding so that the next option starts on a 4-byte boundary (kind 1)".into(),
        ),
        TcpOption::Mss(m) => (
            "Maximum Segment Size",
            "MSS",
            format!("MSS {m}"),
            format!(
                "kind 2: the largest segment data this side accepts, {m} bytes ({}); only in SYNs \
                 (RFC 9293 §3.7.1)",
                mss_origin(m)
            ),
        ),
        TcpOption::WindowScale(s) => (
            "Window Scale",
            "WS",
            format!("WS {s}"),
            format!(
                "kind 3: multiply this side's window field by 2^{s} = {} from now on, if both \
                 SYNs carry the option (RFC 7323 §2)",
                1u64 << s.min(30)
            ),
        ),
        TcpOption::SackPermitted => (
            "SACK Permitted",
            "SACK OK",
            "SACK OK".into(),
            "kind 4: this side understands selective acknowledgements (RFC 2018)".into(),
        ),
        TcpOption::Sack { blocks, count } => (
            "SACK",
            "SACK",
            format!("SACK x{count}"),
            format!(
                "kind 5: received out of order, besides the ack: {}",
                blocks[..count as usize]
                    .iter()
                    .map(|(l, r)| format!("{l}-{r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        TcpOption::Timestamp { val, ecr } => (
            "Timestamps",
            "TS",
            format!("TS {val} {ecr}"),
            format!(
                "kind 8: TSval {val} is the sender's clock, TSecr {ecr} echoes the last TSval \
                 received; used to measure round-trip time and to reject old duplicates (PAWS, \
                 RFC 7323 §3)"
            ),
        ),
        TcpOption::Unknown { kind, .. } => (
            "Option",
            "Opt",
            format!("kind {kind}"),
            format!("kind {kind}: not interpreted by sockscope (IANA TCP option kinds)"),
        ),
        TcpOption::Bad { kind, len } => (
            "Malformed Option",
            "Bad",
            format!("kind {kind} len {len}"),
            "its length is impossible: the rest of the options cannot be read".into(),
        ),
    }
}

fn tcp_header(p: &Packet<'_>, t: &decode::TcpSummary<'_>, ctx: &Context<'_>) -> Header {
    let rel = ctx.info;
    let roles = PortRoles {
        // Only a handshake in the file says for sure which end is the client.
        src_is_client: rel
            .filter(|i| matches!(i.roles, RoleBasis::Syn | RoleBasis::SynAck))
            .map(|i| i.dir == Dir::ToServer),
        loopback: [p.src_ip(), p.dst_ip()]
            .iter()
            .all(|a| a.is_some_and(|a| a.is_loopback())),
        local_range: ctx.local_ports,
    };
    let mut f = tcp_numbers(t, rel, roles);
    f.extend(tcp_control_bits(t.flags));
    // Scaling is on only when both SYNs carried the option (RFC 7323 §2.2); then this side's
    // window is shifted by the count from its own SYN. The tracker knows.
    let scale = rel.and_then(|i| ctx.tracker.flow(i.flow)?.window_shift(i.dir));
    let v = verify_transport(p);
    f.extend(tcp_window_checksum_urgent(t, scale, v));
    f.extend(tcp_options(t));
    let data_len = p.payload_wire_len;
    let mut notes = vec![flags_sentence(t.flags, data_len > 0)];
    if let Some(i) = rel {
        notes.push(connection_note(t, &i, data_len, ctx));
    }
    notes.push(checksum_note(
        "The TCP",
        v,
        t.checksum,
        checksum::likely_offload(p),
    ));
    Header {
        key: "tcp",
        title: "TCP header",
        rfc: "RFC 9293 §3.1",
        offset: p.transport_offset as usize,
        len: t.header_len as usize,
        fields: f,
        notes,
    }
}

/// Ports, sequence and acknowledgment numbers, data offset and the reserved bits.
fn tcp_numbers(t: &decode::TcpSummary<'_>, rel: Option<TrackInfo>, roles: PortRoles) -> Vec<Field> {
    use crate::services::Proto;
    let [sp, dp] = port_fields(t.src_port, t.dst_port, Proto::Tcp, roles);
    vec![
        sp,
        dp,
        field(
            "Sequence Number",
            "Seq",
            32,
            32,
            t.seq.to_string(),
            match rel {
                Some(i) => format!(
                    "number of the first data byte of this segment (the ISN itself in a SYN); \
                     relative {}",
                    i.rel_seq
                ),
                None => "number of the first data byte of this segment".into(),
            },
        ),
        field(
            "Acknowledgment Number",
            "Ack",
            64,
            32,
            t.ack.to_string(),
            if t.flags.ack() {
                match rel {
                    Some(i) => format!(
                        "the next byte expected from the other side: everything before it \
                         arrived; relative {}",
                        i.rel_ack
                    ),
                    None => "the next byte expected from the other side".into(),
                }
            } else {
                "not valid: the ACK flag is off".into()
            },
        ),
        field(
            "Data Offset",
            "Offset",
            96,
            4,
            (t.header_len / 4).to_string(),
            format!(
                "header length in 32-bit words: {} × 4 = {} bytes ({} bytes of options)",
                t.header_len / 4,
                t.header_len,
                t.header_len.saturating_sub(20)
            ),
        ),
        field(
            "Reserved",
            "Rsv",
            100,
            3,
            t.reserved.to_string(),
            "must be zero",
        ),
    ]
}

/// The control bits (RFC 9293 §3.1, RFC 3168, RFC 9768), one box each.
fn tcp_control_bits(flags: TcpFlags) -> Vec<Field> {
    let f16 = flags.0;
    let bit = |m: u16| if f16 & m != 0 { "1" } else { "0" };
    const BITS: [(u16, &str, &str, &str); 9] = [
        (TcpFlags::AE, "AE", "a", "Accurate ECN (RFC 9768)"),
        (
            TcpFlags::CWR,
            "CWR",
            "C",
            "congestion window reduced (RFC 3168)",
        ),
        (TcpFlags::ECE, "ECE", "E", "ECN echo (RFC 3168)"),
        (TcpFlags::URG, "URG", "U", "urgent pointer is valid"),
        (TcpFlags::ACK, "ACK", "A", "acknowledgment number is valid"),
        (
            TcpFlags::PSH,
            "PSH",
            "P",
            "push the data to the application",
        ),
        (TcpFlags::RST, "RST", "R", "reset the connection"),
        (
            TcpFlags::SYN,
            "SYN",
            "S",
            "synchronise sequence numbers (open)",
        ),
        (
            TcpFlags::FIN,
            "FIN",
            "F",
            "no more data from the sender (close)",
        ),
    ];
    BITS.iter()
        .enumerate()
        .map(|(i, (m, name, short, meaning))| {
            field(
                name,
                short,
                103 + i as u32,
                1,
                bit(*m),
                format!("{}: {meaning}", if f16 & m != 0 { "set" } else { "off" }),
            )
        })
        .collect()
}

/// Window (scaled by `scale` when the handshake agreed one), checksum and urgent pointer.
fn tcp_window_checksum_urgent(
    t: &decode::TcpSummary<'_>,
    scale: Option<u8>,
    v: ChecksumStatus,
) -> [Field; 3] {
    [
        field(
            "Window",
            "Window",
            112,
            16,
            t.window.to_string(),
            match (t.flags.syn(), scale) {
                (false, Some(s)) => format!(
                    "receive window: the sender can take {} × 2^{s} = {} more bytes (window scale \
                 {s} agreed in the SYNs)",
                    t.window,
                    (t.window as u64) << s
                ),
                _ => format!(
                    "receive window: the sender can take {} more bytes{}",
                    t.window,
                    if t.flags.syn() {
                        " (never scaled in a SYN)"
                    } else if t.flags.rst() {
                        // RFC 9293 §3.10.7: nothing is received after a RST.
                        " (a RST ends the connection: nothing will be sent under this window)"
                    } else {
                        " (times 2^scale if window scaling was agreed in SYNs not in this file)"
                    }
                ),
            },
        ),
        field(
            "Checksum",
            "Checksum",
            128,
            16,
            format!("0x{:04x}", t.checksum),
            format!(
                "covers a pseudo-header (addresses, protocol, length), the TCP header and the data; \
             {}",
                verdict_word(v)
            ),
        ),
        field(
            "Urgent Pointer",
            "Urgent Pointer",
            144,
            16,
            t.urgent.to_string(),
            if t.flags.urg() {
                "where the urgent data ends (rarely used)"
            } else {
                "ignored: URG is off"
            },
        ),
    ]
}

/// The options, each in its own box at its own bytes, then any padding after EOL.
fn tcp_options(t: &decode::TcpSummary<'_>) -> Vec<Field> {
    let mut f = Vec::new();
    let area = t.options.len();
    for (r, opt) in t.option_spans() {
        let (name, short, value, meaning) = option_explain(&opt);
        f.push(field(
            name,
            short,
            ((20 + r.start) * 8) as u32,
            (r.len() * 8) as u32,
            value,
            meaning,
        ));
        if matches!(opt, TcpOption::Eol | TcpOption::Bad { .. }) && r.end < area {
            f.push(field(
                "Padding",
                "Pad",
                ((20 + r.end) * 8) as u32,
                ((area - r.end) * 8) as u32,
                "",
                "zeros up to the data offset",
            ));
        }
    }
    f
}

fn verdict_word(v: ChecksumStatus) -> String {
    match v {
        ChecksumStatus::Correct => "correct".into(),
        ChecksumStatus::OffloadPlaceholder { expected: computed } => {
            format!("not computed yet (offload placeholder), should be 0x{computed:04x}")
        }
        ChecksumStatus::Incorrect { expected: computed } => {
            format!("wrong, should be 0x{computed:04x}")
        }
        ChecksumStatus::Absent => "not used (0)".into(),
        ChecksumStatus::Unverifiable => "cannot be checked (bytes missing from the capture)".into(),
    }
}

/// How seq and ack place this segment in its connection.
fn connection_note(
    t: &decode::TcpSummary<'_>,
    i: &TrackInfo,
    data_len: u32,
    ctx: &Context<'_>,
) -> String {
    let Some(flow) = ctx.tracker.flow(i.flow) else {
        return String::new();
    };
    let (from, to, me, peer) = match i.dir {
        Dir::ToServer => ("client", "server", flow.client, flow.server),
        Dir::ToClient => ("server", "client", flow.server, flow.client),
    };
    let ep = |e: (IpAddr, u16)| match e.0 {
        IpAddr::V4(a) => format!("{a}:{}", e.1),
        IpAddr::V6(a) => format!("[{a}]:{}", e.1),
    };
    let mut s = format!(
        "Connection {} of this file: this segment goes {from} {} -> {to} {}. ",
        i.flow + 1,
        ep(me),
        ep(peer)
    );
    s.push_str(match i.roles {
        RoleBasis::Syn => "Roles come from the SYN seen in the file. ",
        RoleBasis::SynAck => "Roles come from the SYN+ACK (the SYN is not in the file). ",
        RoleBasis::FirstPacket => {
            "No handshake was seen before this packet: the sender of the first packet is taken as \
             the client, and relative numbers count from the first byte seen (as Wireshark). "
        }
        RoleBasis::Port => {
            "No handshake was seen before this packet: the server is taken to be the end on the \
             service port (a well-known port, or the one outside the ephemeral range), and \
             relative numbers count from the first byte seen (as Wireshark). "
        }
    });
    let consumed = data_len + t.flags.syn() as u32 + t.flags.fin() as u32;
    if t.flags.syn() {
        let _ = write!(
            s,
            "Sequence numbers are relative to each side's ISN: this SYN carries the {from}'s ISN \
             {}, relative 0; the SYN itself uses one number, so the first data byte will be \
             relative 1. ",
            t.seq
        );
    } else if data_len > 0 {
        let _ = write!(
            s,
            "seq {} is relative {}: this segment carries bytes {}-{} of the {from}'s stream, and \
             the {from}'s next segment starts at relative {}. ",
            t.seq,
            i.rel_seq,
            i.rel_seq,
            i.rel_seq.wrapping_add(data_len - 1),
            i.rel_seq.wrapping_add(consumed)
        );
    } else if t.flags.rst() {
        // RFC 9293 §3.10.7.1: a RST answering a segment of no connection has SEQ = that
        // segment's ACK (0 when it had none); an abort sends SND.NXT (§3.10.4).
        let _ = write!(
            s,
            "seq {} is relative {}: where the {from}'s sequence stood when it reset, or, for a RST \
             answering a segment of no connection, that segment's ack copied (0 if it had none; \
             RFC 9293 §3.10.7.1); a RST carries no data. ",
            t.seq, i.rel_seq
        );
    } else {
        let _ = write!(
            s,
            "seq {} is relative {}: the next byte the {from} will send{}. ",
            t.seq,
            i.rel_seq,
            if t.flags.fin() {
                " (the FIN uses that number, so the other side acknowledges it with +1)"
            } else {
                "; this segment carries no data"
            }
        );
    }
    if t.flags.ack() {
        let _ = write!(
            s,
            "ack {} is relative {}: the {from} has received everything the {to} sent before \
             relative {} and expects that byte next{}.",
            t.ack,
            i.rel_ack,
            i.rel_ack,
            if i.rel_ack == 1 {
                format!(" (so far only the {to}'s SYN, which took number 0)")
            } else {
                String::new()
            }
        );
    }
    s
}

fn udp_header(p: &Packet<'_>, u: &decode::UdpSummary) -> Header {
    use crate::services::Proto;
    let v = verify_transport(p);
    let [sp, dp] = port_fields(u.src_port, u.dst_port, Proto::Udp, PortRoles::default());
    let f = vec![
        sp,
        dp,
        field(
            "Length",
            "Length",
            32,
            16,
            u.length.to_string(),
            format!(
                "header (8 bytes) and data: {} bytes of data",
                u.length.saturating_sub(8)
            ),
        ),
        field(
            "Checksum",
            "Checksum",
            48,
            16,
            format!("0x{:04x}", u.checksum),
            format!(
                "covers a pseudo-header, the UDP header and the data; {}",
                verdict_word(v)
            ),
        ),
    ];
    Header {
        key: "udp",
        title: "UDP header",
        rfc: "RFC 768",
        offset: p.transport_offset as usize,
        len: 8,
        fields: f,
        notes: vec![
            "UDP has no connection, no sequence numbers and no retransmission: each datagram is \
             delivered whole, or not at all, and maybe out of order."
                .into(),
            checksum_note("The UDP", v, u.checksum, checksum::likely_offload(p)),
        ],
    }
}

fn icmp_header(p: &Packet<'_>, i: &decode::IcmpSummary, v6: bool) -> Header {
    let name = names::icmp(v6, i.kind, i.code);
    let v = verify_transport(p);
    let echo = if v6 {
        matches!(i.kind, 128 | 129)
    } else {
        matches!(i.kind, 0 | 8)
    };
    let mut f = vec![
        field("Type", "Type", 0, 8, i.kind.to_string(), name.to_string()),
        field(
            "Code",
            "Code",
            8,
            8,
            i.code.to_string(),
            "refines the type (e.g. which kind of unreachable)",
        ),
        field(
            "Checksum",
            "Checksum",
            16,
            16,
            format!("0x{:04x}", i.checksum),
            format!(
                "covers the ICMP message{}; {}",
                if v6 { " and a pseudo-header" } else { "" },
                verdict_word(v)
            ),
        ),
    ];
    if echo {
        f.push(field(
            "Identifier",
            "Identifier",
            32,
            16,
            i.echo_id_seq().0.to_string(),
            "matches replies to the pinging process (Linux: the socket's port for ping sockets)",
        ));
        f.push(field(
            "Sequence Number",
            "Sequence Number",
            48,
            16,
            i.echo_id_seq().1.to_string(),
            "counts the pings: 1, 2, 3...",
        ));
    } else {
        f.push(field(
            "Rest of Header",
            "Rest",
            32,
            32,
            format!("0x{}", hex(&i.rest, "")),
            "depends on the type (unused, MTU, pointer...)",
        ));
    }
    Header {
        key: if v6 { "icmpv6" } else { "icmp" },
        title: if v6 { "ICMPv6 header" } else { "ICMP header" },
        rfc: if v6 { "RFC 4443 §2.1" } else { "RFC 792" },
        offset: p.transport_offset as usize,
        len: 8,
        fields: f,
        notes: vec![checksum_note(
            if v6 { "The ICMPv6" } else { "The ICMP" },
            v,
            i.checksum,
            checksum::likely_offload(p),
        )],
    }
}

fn hex(b: &[u8], sep: &str) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Colours for the bytes of successive fields on a terminal (ANSI SGR).
const COLOURS: [&str; 6] = ["31", "32", "33", "34", "35", "36"];

impl Field {
    /// Bytes of the header this field touches (partial bytes included).
    fn byte_span(&self) -> (usize, usize) {
        let start = (self.bit_off / 8) as usize;
        let end = (self.bit_off + self.bits).div_ceil(8) as usize;
        (start, end.max(start + 1))
    }
}

impl Header {
    /// Fields grouped by the bytes they touch: fields that share a byte share a group.
    fn groups(&self) -> Vec<(usize, usize, Vec<usize>)> {
        let mut g: Vec<(usize, usize, Vec<usize>)> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            let (s, e) = f.byte_span();
            match g.last_mut() {
                Some(last) if s < last.1 => {
                    last.1 = last.1.max(e);
                    last.2.push(i);
                }
                _ => g.push((s, e, vec![i])),
            }
        }
        g
    }

    fn field_colour(&self, i: usize) -> &'static str {
        let g = self.groups();
        let k = g.iter().position(|x| x.2.contains(&i)).unwrap_or(0);
        COLOURS[k % COLOURS.len()]
    }
}

fn paint(s: &str, colour: &str, on: bool) -> String {
    if on {
        format!("\x1b[{colour}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

impl PacketExplanation {
    /// Text for people; `colour` marks each field's bytes with a colour instead of brackets.
    pub fn to_text(&self, colour: bool) -> String {
        if let Some(ev) = &self.call {
            return super::call::text(&self.file, self.number, self.data.len(), ev);
        }
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Packet {} of {}: {} bytes captured, {} on the wire, link type {}",
            self.number,
            self.file,
            self.data.len(),
            self.orig_len,
            self.link_type
        );
        let _ = writeln!(o, "  {}", self.summary);
        if self.data.len() < self.orig_len as usize {
            o.push_str(&wrap(
                &format!(
                    "The capture kept only the first {} bytes (snap length): the rest is not in \
                     the file.",
                    self.data.len()
                ),
                "  ",
                96,
            ));
        }
        for (n, h) in self.headers.iter().enumerate() {
            o.push_str(&self.header_text(n, h, colour));
        }
        if let Some(s) = &self.stop {
            o.push('\n');
            o.push_str(&wrap(&format!("Decoding stopped early: {s}."), "", 96));
        }
        let _ = writeln!(
            o,
            "\nPayload: {} bytes captured{}",
            self.payload_len,
            if self.payload_wire_len as usize != self.payload_len {
                format!(" of {} on the wire", self.payload_wire_len)
            } else {
                String::new()
            }
        );
        if self.payload_len > 0 {
            o.push_str(&dump(
                &self.data[self.payload_offset..self.payload_offset + self.payload_len],
                self.payload_offset,
            ));
        }
        o
    }

    /// One header: its title, diagram, fields, marked bytes and notes.
    fn header_text(&self, n: usize, h: &Header, colour: bool) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "\n{}. {}  ({})  bytes {}-{} of the frame, {} bytes\n",
            n + 1,
            h.title,
            h.rfc,
            h.offset,
            h.offset + h.len.max(1) - 1,
            h.len
        );
        let cells: Vec<Cell<'_>> = h
            .fields
            .iter()
            .map(|f| Cell {
                name: f.name,
                short: f.short,
                bit_off: f.bit_off,
                bits: f.bits,
                value: &f.value,
            })
            .collect();
        o.push_str(&diagram::draw(&cells, (h.len * 8) as u32));
        if h.key == "tcp" {
            o.push_str("a=AE C=CWR E=ECE U=URG A=ACK P=PSH R=RST S=SYN F=FIN\n");
        }
        o.push('\n');
        for (i, f) in h.fields.iter().enumerate() {
            field_line(&mut o, h, i, f, colour);
        }
        o.push_str("\n  bytes\n");
        o.push_str(&self.marked_dump(h, colour));
        if !h.notes.is_empty() {
            o.push('\n');
            for note in &h.notes {
                o.push_str(&wrap(note, "  ", 96));
            }
        }
        o
    }

    /// The header's bytes, each field's bytes in brackets (or in its colour), 16 a line.
    fn marked_dump(&self, h: &Header, colour: bool) -> String {
        let mut o = String::new();
        let end = (h.offset + h.len).min(self.data.len());
        let bytes = self.data.get(h.offset..end).unwrap_or(&[]);
        let mut line = String::new();
        let mut col = 0;
        let mut line_start = h.offset;
        for (k, (s, e, _)) in h.groups().into_iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            let e = e.min(bytes.len());
            for (b, byte) in bytes.iter().enumerate().take(e).skip(s) {
                if col == 16 {
                    let _ = writeln!(o, "  0x{line_start:04x}  {line}");
                    line.clear();
                    col = 0;
                    line_start = h.offset + b;
                }
                if col > 0 {
                    line.push(' ');
                }
                if !colour && b == s {
                    line.push('[');
                }
                line.push_str(&paint(&format!("{byte:02x}"), c, colour));
                if !colour && b + 1 == e {
                    line.push(']');
                }
                col += 1;
            }
        }
        if !line.is_empty() {
            let _ = writeln!(o, "  0x{line_start:04x}  {line}");
        }
        o
    }

    /// The same facts as JSON.
    pub fn to_json(&self) -> Value {
        if let Some(ev) = &self.call {
            return super::call::json(&self.file, self.number, ev);
        }
        let headers: Vec<Value> = self
            .headers
            .iter()
            .map(|h| {
                let fields: Vec<Value> = h
                    .fields
                    .iter()
                    .map(|f| {
                        let (s, e) = f.byte_span();
                        json!({
                            "name": f.name,
                            "offset": h.offset + s,
                            "length": e - s,
                            "bit_offset": f.bit_off,
                            "bits": f.bits,
                            "value": f.value,
                            "hex": hex(self.data.get(h.offset + s..h.offset + e).unwrap_or(&[]), ""),
                            "meaning": f.meaning,
                        })
                    })
                    .collect();
                json!({
                    "layer": h.key,
                    "title": h.title,
                    "rfc": h.rfc,
                    "offset": h.offset,
                    "length": h.len,
                    "fields": fields,
                    "notes": h.notes,
                })
            })
            .collect();
        json!({
            "file": self.file,
            "frame": self.number,
            "timestamp": {"sec": self.ts.sec, "nsec": self.ts.nsec},
            "link_type": self.link_type.0,
            "link_type_name": self.link_type.name(),
            "captured_length": self.data.len(),
            "wire_length": self.orig_len,
            "summary": self.summary,
            "headers": headers,
            "payload": {
                "offset": self.payload_offset,
                "captured_length": self.payload_len,
                "wire_length": self.payload_wire_len,
                "hex": hex(&self.data[self.payload_offset..self.payload_offset + self.payload_len], ""),
            },
            "stop": self.stop,
            "frame_hex": hex(&self.data, ""),
        })
    }
}

/// A hex and ASCII dump, 16 bytes a line, offsets in the frame.
/// One field's line: its bytes, name, value and meaning (with its bits when not whole bytes).
fn field_line(o: &mut String, h: &Header, i: usize, f: &Field, colour: bool) {
    let (s, e) = f.byte_span();
    let at = if e - s == 1 {
        format!("{}", h.offset + s)
    } else {
        format!("{}-{}", h.offset + s, h.offset + e - 1)
    };
    let bitnote = if f.bits == 1 {
        format!(" (bit {})", f.bit_off % 8)
    } else if !f.bits.is_multiple_of(8) || !f.bit_off.is_multiple_of(8) {
        format!(" (bits {}-{})", f.bit_off % 8, (f.bit_off % 8) + f.bits - 1)
    } else {
        String::new()
    };
    let name = format!("{:<22}", f.name);
    let head = format!(
        "  {:<8} {} {:<20} ",
        at,
        paint(&name, h.field_colour(i), colour),
        f.value
    );
    let body = wrap(&format!("{}{bitnote}", f.meaning), &" ".repeat(55), 110);
    o.push_str(head.trim_end());
    if body.is_empty() {
        o.push('\n');
    } else if f.value.chars().count() > 20 {
        o.push('\n');
        o.push_str(&body);
    } else {
        o.push_str(&head[head.trim_end().len()..]);
        o.push_str(body.trim_start());
    }
}

fn dump(b: &[u8], base: usize) -> String {
    let mut o = String::new();
    for (i, c) in b.chunks(16).enumerate() {
        let h = c
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        let a: String = c
            .iter()
            .map(|&x| {
                if x.is_ascii_graphic() || x == b' ' {
                    x as char
                } else {
                    '.'
                }
            })
            .collect();
        let _ = writeln!(o, "  0x{:04x}  {h:<47}  {a}", base + i * 16);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Frame;

    /// The first letter of the flags sentence is the one in upper case ("Step 1", not "sTep 1").
    #[test]
    fn flags_sentence_starts_with_a_capital() {
        // TCP flag bits: SYN 0x02, ACK 0x10 (RFC 9293 §3.1).
        assert!(flags_sentence(TcpFlags(0x02), false).starts_with("Flags SYN: Step 1 of"));
        assert!(flags_sentence(TcpFlags(0x10), false).starts_with("Flags ACK: An acknowledgement"));
        let synack = flags_sentence(TcpFlags(0x12), false);
        assert!(
            synack.contains("the server's kernel acknowledges"),
            "{synack}"
        );
    }

    /// The MSS arithmetic, measured on Linux 6.18 in a namespace (lo MTU 65536, 65535, 65000:
    /// IPv4 65495, 65495, 64960; IPv6 65476, 65475, 64940).
    #[test]
    fn mss_origin_gives_the_real_arithmetic() {
        assert!(mss_origin(65495).starts_with("65535 - 20 - 20"));
        assert!(mss_origin(65476).starts_with("65536 - 40 - 20"));
        assert!(mss_origin(1460).contains("1500 - 20 - 20 = 1460"));
    }

    /// A client's port is called ephemeral only when the handshake says it is the client's.
    #[test]
    fn a_client_port_is_ephemeral() {
        use crate::services::Proto;
        let r = PortRoles {
            src_is_client: Some(true),
            loopback: true,
            local_range: Some(LINUX_EPHEMERAL),
        };
        let [sp, dp] = port_fields(44716, 7007, Proto::Tcp, r);
        assert!(
            sp.meaning
                .contains("Linux's default ephemeral range (32768-60999)")
        );
        assert!(!dp.meaning.contains("ephemeral"), "{}", dp.meaning);
        let other = PortRoles {
            local_range: Some((20000, 30000)),
            ..r
        };
        let [sp, _] = port_fields(20001, 7007, Proto::Tcp, other);
        assert!(
            sp.meaning.contains("20000-30000 on this machine"),
            "{}",
            sp.meaning
        );
        let [sp, _] = port_fields(
            2000,
            7007,
            Proto::Tcp,
            PortRoles {
                loopback: false,
                ..r
            },
        );
        assert!(
            sp.meaning.contains("outside Linux's default"),
            "{}",
            sp.meaning
        );
    }

    /// Never panic on input bytes: random frames, and a valid frame cut at every length and
    /// with every byte flipped, on every link type.
    #[test]
    fn any_bytes_are_explained_without_panic() {
        let tcp: Vec<u8> = [
            &[
                0x45u8, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
            ][..],
            &[
                0x9c, 0x40, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0,
            ],
            &[2, 4, 0x05, 0xb4],
        ]
        .concat();
        let links = [
            LinkType::ETHERNET,
            LinkType::RAW,
            LinkType::NULL,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut inputs: Vec<Vec<u8>> = (0..=tcp.len()).map(|n| tcp[..n].to_vec()).collect();
        for i in 0..tcp.len() {
            let mut v = tcp.clone();
            v[i] ^= (next() as u8) | 1;
            inputs.push(v);
        }
        for _ in 0..200 {
            let n = (next() % 120) as usize;
            let mut v: Vec<u8> = (0..n).map(|_| next() as u8).collect();
            if let Some(b) = v.first_mut() {
                *b = 0x40 | (*b & 0x2f);
            }
            inputs.push(v);
        }
        let tracker = Tracker::new();
        for link in links {
            for d in &inputs {
                let mut framed = match link {
                    LinkType::ETHERNET => vec![0u8; 12]
                        .into_iter()
                        .chain([0x08, 0x00])
                        .collect::<Vec<_>>(),
                    LinkType::NULL => vec![2, 0, 0, 0],
                    LinkType::LINUX_SLL => [&[0u8; 14][..], &[0x08, 0x00]].concat(),
                    LinkType::LINUX_SLL2 => [&[0x08u8, 0x00][..], &[0u8; 18]].concat(),
                    _ => vec![],
                };
                framed.extend_from_slice(d);
                let f = Frame {
                    ts: Timestamp::default(),
                    link,
                    orig_len: framed.len() as u32 + 7,
                    data: &framed,
                };
                let p = decode::decode(&f);
                let ctx = Context {
                    file: "x",
                    number: 1,
                    info: None,
                    tracker: &tracker,
                    local_ports: None,
                };
                let e = explain_packet(&p, &ctx);
                let _ = e.to_text(true);
                let _ = e.to_text(false);
                let _ = e.to_json();
            }
        }
    }
}
