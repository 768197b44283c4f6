//! Decoding of frames into plain summaries; the only module that uses etherparse.
//!
//! [`decode`] turns a [`Frame`] into a [`Packet`]: a `Copy` summary of every header that could be
//! read, layer by layer, borrowing the frame's bytes and allocating nothing. When parsing ends
//! early (snap length, malformed header) the layers decoded so far are kept and [`Packet::stop`]
//! says where and why, the way tcpdump prints `[|tcp]`.

pub mod app;
pub mod arp;
pub mod checksum;
pub mod dns;
mod fast;
pub mod http;
pub mod icmp;
pub mod ipv6_ext;
mod links;
pub mod names;
pub mod pppoe;
pub mod quoted;
pub mod tcp;
pub mod tcp_walk;
pub mod tunnel;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::source::{Frame, LinkType, Timestamp};
pub use fast::{tcp_claimed_header_len, tcp_header_prefix};
pub use links::{MplsStack, linktype, mpls, ppp};
pub use tcp::{FLAG_TABLE, OptionFacts, TcpFlags, TcpOption, TcpOptionSpans, TcpOptions};

/// Ethertypes this decoder knows by name.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
}

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
pub mod proto {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IGMP: u8 = 2;
    /// IPv4 encapsulated in IP (RFC 2003).
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    /// IPv6 encapsulated in IP (RFC 4213).
    pub const IPV6_IN_IP: u8 = 41;
    /// Generic Routing Encapsulation (RFC 2784).
    pub const GRE: u8 = 47;
    pub const IPV6_ROUTE: u8 = 43;
    pub const IPV6_FRAG: u8 = 44;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const IPV6_NONXT: u8 = 59;
    pub const IPV6_OPTS: u8 = 60;
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16 bytes.
mod sll {
    pub const PACKET_TYPE: std::ops::Range<usize> = 0..2;
    pub const ARPHRD: std::ops::Range<usize> = 2..4;
    pub const ADDR_LEN: std::ops::Range<usize> = 4..6;
    pub const ADDR: std::ops::Range<usize> = 6..14;
    pub const PROTOCOL: std::ops::Range<usize> = 14..16;
    pub const HEADER_LEN: usize = 16;
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20 bytes; etherparse has no parser for it.
mod sll2 {
    pub const PROTOCOL: std::ops::Range<usize> = 0..2;
    pub const IF_INDEX: std::ops::Range<usize> = 4..8;
    pub const ARPHRD: std::ops::Range<usize> = 8..10;
    pub const PACKET_TYPE: usize = 10;
    pub const ADDR_LEN: usize = 11;
    pub const ADDR: std::ops::Range<usize> = 12..20;
    pub const HEADER_LEN: usize = 20;
}

/// Where decoding ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Link,
    Vlan,
    Arp,
    Ipv4,
    Ipv6,
    Ipv6Ext,
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
}

impl Layer {
    /// tcpdump's name in `[|name]`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Link => "ether",
            Layer::Vlan => "vlan",
            Layer::Arp => "arp",
            Layer::Ipv4 => "ip",
            Layer::Ipv6 => "ip6",
            Layer::Ipv6Ext => "ip6",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Icmpv4 => "icmp",
            Layer::Icmpv6 => "icmp6",
        }
    }
}

/// Why decoding ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// The capture holds fewer bytes than the header needs (snap length or a short frame).
    Truncated { needed: u32, available: u32 },
    /// A header field makes the header impossible to read.
    Malformed(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    pub layer: Layer,
    pub kind: StopKind,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StopKind::Truncated { needed, available } => write!(
                f,
                "{} header cut short: needs {needed} bytes, {available} captured",
                self.layer.name()
            ),
            StopKind::Malformed(why) => write!(f, "{} header malformed: {why}", self.layer.name()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    pub pcp: u8,
    pub dei: bool,
    pub id: u16,
    /// The ethertype that follows the tag.
    pub ether_type: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthernetSummary {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    /// The ethertype (or 802.3 length) right after the addresses.
    pub ether_type: u16,
    pub vlans: [VlanTag; 3],
    pub vlan_count: u8,
}

impl EthernetSummary {
    pub fn vlans(&self) -> &[VlanTag] {
        &self.vlans[..self.vlan_count as usize]
    }
    /// The TPID in front of tag `i` (802.1Q or 802.1ad): the ethertype field before it.
    pub fn tpid(&self, i: usize) -> u16 {
        match i {
            0 => self.ether_type,
            _ => self.vlans[i - 1].ether_type,
        }
    }
    /// The ethertype after the last tag read (the outer one when there is no tag).
    pub fn inner_ether_type(&self) -> u16 {
        self.tpid(self.vlan_count as usize)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SllSummary {
    /// 1 for LINUX_SLL, 2 for LINUX_SLL2.
    pub version: u8,
    /// 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
    pub packet_type: u16,
    pub arphrd: u16,
    pub addr_len: u16,
    pub addr: [u8; 8],
    pub protocol: u16,
    /// SLL2 only.
    pub if_index: u32,
}

/// The link layer of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet(EthernetSummary),
    Sll(SllSummary),
    /// BSD loopback (NULL or LOOP): an address family.
    Loopback {
        family: u32,
    },
    /// Raw IP: no link header.
    Raw,
    /// A link type this decoder does not read.
    Unsupported,
    /// A link header that is only skipped to reach the network layer (PPP, Cisco HDLC, IP over
    /// InfiniBand; the frame's link type says which): its protocol field and length.
    Framed {
        protocol: u16,
        header_len: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Summary<'a> {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// Header length in bytes (IHL × 4).
    pub header_len: u8,
    pub tos: u8,
    pub total_len: u16,
    pub id: u16,
    /// The reserved flag bit (RFC 791 §3.1; RFC 3514's "evil bit"), which must be 0.
    pub reserved_flag: bool,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in 8-byte units.
    pub frag_offset: u16,
    pub ttl: u8,
    pub protocol: u8,
    pub checksum: u16,
    pub options: &'a [u8],
    /// The raw header, for checksum verification.
    pub header: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ipv6Ext {
    /// The protocol number that names this extension header.
    pub kind: u8,
    /// Its length in bytes.
    pub len: u16,
    /// Its Next Header field (RFC 8200 §4): what follows it.
    pub next_header: u8,
    /// Its second byte: Hdr Ext Len in 8-byte units after the first 8 (RFC 8200 §4.3), reserved
    /// in a Fragment header (whose fields are [`Ipv6Summary::fragment`]).
    pub len_field: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ipv6Fragment {
    pub offset: u16,
    pub more: bool,
    pub id: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Summary {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub payload_len: u16,
    /// The next header field of the fixed header.
    pub next_header: u8,
    pub hop_limit: u8,
    pub exts: [Ipv6Ext; 8],
    pub ext_count: u8,
    pub fragment: Option<Ipv6Fragment>,
    /// The protocol after all extension headers.
    pub protocol: u8,
}

impl Ipv6Summary {
    pub fn exts(&self) -> &[Ipv6Ext] {
        &self.exts[..self.ext_count as usize]
    }
    /// Bytes of extension headers.
    pub fn ext_len(&self) -> u32 {
        self.exts().iter().map(|e| e.len as u32).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpSummary {
    pub hw_type: u16,
    pub proto_type: u16,
    pub hw_len: u8,
    pub proto_len: u8,
    /// 1 request, 2 reply.
    pub operation: u16,
    pub sender_hw: [u8; 6],
    pub sender_ip: [u8; 4],
    pub target_hw: [u8; 6],
    pub target_ip: [u8; 4],
    /// True for the common Ethernet/IPv4 form, whose addresses are filled in above.
    pub ethernet_ipv4: bool,
}

/// The network layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net<'a> {
    None,
    Ipv4(Ipv4Summary<'a>),
    Ipv6(Ipv6Summary),
    Arp(ArpSummary),
    /// An ethertype this decoder does not read.
    Other {
        ether_type: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSummary<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// Header length in bytes (data offset × 4).
    pub header_len: u8,
    /// The three reserved bits between the data offset and the flags (must be 0).
    pub reserved: u8,
    pub flags: TcpFlags,
    pub window: u16,
    pub checksum: u16,
    pub urgent: u16,
    pub options: &'a [u8],
}

impl<'a> TcpSummary<'a> {
    pub fn options(&self) -> TcpOptions<'a> {
        TcpOptions::new(self.options)
    }
    /// (TSval, TSecr) when the options are exactly NOP, NOP, timestamps (see
    /// [`tcp::nop_nop_timestamps`]).
    pub fn nop_nop_timestamps(&self) -> Option<(u32, u32)> {
        tcp::nop_nop_timestamps(self.options)
    }
    /// What the options say that the tracker uses, from one walk.
    pub fn option_facts(&self) -> OptionFacts {
        OptionFacts::of(self.options)
    }
    /// The options with their byte ranges in the options area, one box each.
    pub fn option_spans(&self) -> TcpOptionSpans<'a> {
        TcpOptionSpans::new(self.options)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpSummary {
    pub src_port: u16,
    pub dst_port: u16,
    pub length: u16,
    pub checksum: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpSummary {
    pub kind: u8,
    pub code: u8,
    pub checksum: u16,
    /// Bytes 4..8 of the header (identifier and sequence for echo).
    pub rest: [u8; 4],
}

impl IcmpSummary {
    /// The identifier and sequence number, as an echo request or reply carries them
    /// (RFC 792, RFC 4443 §4.1).
    pub fn echo_id_seq(&self) -> (u16, u16) {
        (be16(&self.rest[0..2]), be16(&self.rest[2..4]))
    }
}

/// The transport layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    None,
    Tcp(TcpSummary<'a>),
    Udp(UdpSummary),
    Icmpv4(IcmpSummary),
    Icmpv6(IcmpSummary),
    /// A TCP or UDP header that was cut short or malformed: the ports when they were captured.
    Partial {
        protocol: u8,
        ports: Option<(u16, u16)>,
    },
    /// A protocol this decoder does not read (or a later IP fragment).
    Other {
        protocol: u8,
    },
}

/// Everything decoded from one frame.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub ts: Timestamp,
    pub link_type: LinkType,
    pub orig_len: u32,
    /// The whole captured frame.
    pub data: &'a [u8],
    pub link: Link,
    pub net: Net<'a>,
    pub transport: Transport<'a>,
    /// The bytes after the transport header that were captured.
    pub payload: &'a [u8],
    /// Offset of the network header in `data`, when there is one.
    pub net_offset: u32,
    /// Offset of the transport header in `data`, when there is one.
    pub transport_offset: u32,
    /// Length of the transport payload on the wire, from the IP and transport headers
    /// (tcpdump's `length N`); more than `payload.len()` when the capture was cut.
    pub payload_wire_len: u32,
    pub stop: Option<Stop>,
    /// MPLS labels in front of the network layer, if any.
    pub mpls: MplsStack,
    /// The PPPoE header the network layer came in (RFC 2516), if any.
    pub pppoe: Option<pppoe::PppoeSummary>,
}

impl<'a> Packet<'a> {
    pub fn src_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.src)),
            Net::Ipv6(h) => Some(IpAddr::V6(h.src)),
            _ => None,
        }
    }
    pub fn dst_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.dst)),
            Net::Ipv6(h) => Some(IpAddr::V6(h.dst)),
            _ => None,
        }
    }
    /// Source and destination ports of TCP or UDP, when known.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
            Transport::Udp(u) => Some((u.src_port, u.dst_port)),
            Transport::Partial { ports, .. } => *ports,
            _ => None,
        }
    }
    /// The IP protocol number of the transport layer, when there is an IP layer.
    pub fn ip_protocol(&self) -> Option<u8> {
        match &self.net {
            Net::Ipv4(h) => Some(h.protocol),
            Net::Ipv6(h) => Some(h.protocol),
            _ => None,
        }
    }
    pub fn tcp(&self) -> Option<&TcpSummary<'a>> {
        match &self.transport {
            Transport::Tcp(t) => Some(t),
            _ => None,
        }
    }
    /// An IP fragment other than the first: it carries no transport header.
    pub fn is_later_fragment(&self) -> bool {
        match &self.net {
            Net::Ipv4(h) => h.frag_offset != 0,
            Net::Ipv6(h) => h.fragment.is_some_and(|f| f.offset != 0),
            _ => false,
        }
    }
}

/// Which decoder reads the common IPv4 and IPv6 cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// The hand-written reader of `fast.rs` for plain TCP and UDP, etherparse for the rest.
    Fast,
    /// etherparse for everything: the reference the fast path is checked against.
    Reference,
}

/// Decodes one frame. Never panics, whatever the bytes.
pub fn decode<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut p = Packet::undecoded(frame);
    p.decode_layers();
    p
}

/// Decodes like [`decode`] but always through etherparse, never through the hand-written fast
/// path for plain TCP and UDP: the same summary type, so tests can check that both agree.
pub fn decode_reference<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut p = Packet::undecoded(frame);
    decode_into(&mut p, Path::Reference);
    p
}

impl<'a> Packet<'a> {
    /// The frame with no layer decoded yet; [`Packet::decode_layers`] then reads them.
    ///
    /// [`decode`] in two steps, for a loop that decodes every frame: the summary (a few hundred
    /// bytes) is built where the caller keeps it, where a returned one is built in the callee
    /// and then copied out.
    #[inline(always)]
    pub fn undecoded(frame: &Frame<'a>) -> Self {
        Packet {
            ts: frame.ts,
            link_type: frame.link,
            orig_len: frame.orig_len,
            data: frame.data,
            link: Link::Unsupported,
            net: Net::None,
            transport: Transport::None,
            payload: &[],
            net_offset: 0,
            transport_offset: 0,
            payload_wire_len: 0,
            stop: None,
            mpls: MplsStack::default(),
            pppoe: None,
        }
    }

    /// Decodes the layers of a packet that [`Packet::undecoded`] made, as [`decode`] does.
    pub fn decode_layers(&mut self) {
        decode_into(self, Path::Fast)
    }
}

/// Decodes the layers of `p`'s frame into `p`, which [`Packet::undecoded`] made.
fn decode_into(p: &mut Packet<'_>, path: Path) {
    let d = p.data;
    let link_type = p.link_type;
    match link_type.normalized() {
        LinkType::ETHERNET => decode_ethernet(p, d, path),
        LinkType::NULL | LinkType::LOOP => {
            if d.len() < 4 {
                p.stop = Some(truncated(Layer::Link, 4, d.len()));
                return;
            }
            let raw: [u8; 4] = [d[0], d[1], d[2], d[3]];
            // NULL is in the writer's byte order, LOOP in network order; a family is small,
            // so whichever reading is small is right.
            let le = u32::from_le_bytes(raw);
            let be = u32::from_be_bytes(raw);
            let family = if link_type.normalized() == LinkType::LOOP || le > 0xffff {
                be
            } else {
                le
            };
            p.link = Link::Loopback { family };
            // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD),
            // 30 (macOS) in captures.
            match family {
                2 => decode_from_ethertype(p, ethertype::IPV4, d, 4, path),
                10 | 24 | 28 | 30 => decode_from_ethertype(p, ethertype::IPV6, d, 4, path),
                _ => p.net = Net::Other { ether_type: 0 },
            }
        }
        LinkType::RAW => {
            p.link = Link::Raw;
            match d.first().map(|b| b >> 4) {
                Some(4) => decode_from_ethertype(p, ethertype::IPV4, d, 0, path),
                Some(6) => decode_from_ethertype(p, ethertype::IPV6, d, 0, path),
                Some(_) => {
                    p.stop = Some(Stop {
                        layer: Layer::Ipv4,
                        kind: StopKind::Malformed("IP version is neither 4 nor 6"),
                    })
                }
                None => p.stop = Some(truncated(Layer::Ipv4, 1, 0)),
            }
        }
        LinkType::IPV4 => {
            p.link = Link::Raw;
            decode_from_ethertype(p, ethertype::IPV4, d, 0, path)
        }
        LinkType::IPV6 => {
            p.link = Link::Raw;
            decode_from_ethertype(p, ethertype::IPV6, d, 0, path)
        }
        LinkType::LINUX_SLL => {
            if d.len() < sll::HEADER_LEN {
                p.stop = Some(truncated(Layer::Link, sll::HEADER_LEN, d.len()));
                return;
            }
            let mut addr = [0u8; 8];
            addr.copy_from_slice(&d[sll::ADDR]);
            let s = SllSummary {
                version: 1,
                packet_type: be16(&d[sll::PACKET_TYPE]),
                arphrd: be16(&d[sll::ARPHRD]),
                addr_len: be16(&d[sll::ADDR_LEN]),
                addr,
                protocol: be16(&d[sll::PROTOCOL]),
                if_index: 0,
            };
            p.link = Link::Sll(s);
            decode_from_ethertype(p, s.protocol, d, sll::HEADER_LEN, path);
        }
        LinkType::LINUX_SLL2 => {
            if d.len() < sll2::HEADER_LEN {
                p.stop = Some(truncated(Layer::Link, sll2::HEADER_LEN, d.len()));
                return;
            }
            let mut addr = [0u8; 8];
            addr.copy_from_slice(&d[sll2::ADDR]);
            let s = SllSummary {
                version: 2,
                packet_type: d[sll2::PACKET_TYPE] as u16,
                arphrd: be16(&d[sll2::ARPHRD]),
                addr_len: d[sll2::ADDR_LEN] as u16,
                addr,
                protocol: be16(&d[sll2::PROTOCOL]),
                if_index: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
            };
            let _ = sll2::IF_INDEX;
            p.link = Link::Sll(s);
            decode_from_ethertype(p, s.protocol, d, sll2::HEADER_LEN, path);
        }
        linktype::PPP
        | linktype::PPP_HDLC
        | linktype::C_HDLC
        | linktype::IPOIB
        | linktype::ARCNET_BSD
        | linktype::ARCNET_LINUX => links::decode(p, d, path),
        _ => {}
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

fn truncated(layer: Layer, needed: usize, available: usize) -> Stop {
    Stop {
        layer,
        kind: StopKind::Truncated {
            needed: needed as u32,
            available: available as u32,
        },
    }
}

fn decode_ethernet<'a>(p: &mut Packet<'a>, d: &'a [u8], path: Path) {
    if d.len() < 14 {
        p.stop = Some(truncated(Layer::Link, 14, d.len()));
        return;
    }
    let mut e = EthernetSummary {
        dst: [0; 6],
        src: [0; 6],
        ether_type: be16(&d[12..14]),
        vlans: [VlanTag {
            pcp: 0,
            dei: false,
            id: 0,
            ether_type: 0,
        }; 3],
        vlan_count: 0,
    };
    e.dst.copy_from_slice(&d[0..6]);
    e.src.copy_from_slice(&d[6..12]);
    // 802.1Q / 802.1ad tags (IEEE 802.1Q §9.6): TCI then the inner ethertype.
    let mut off = 14;
    let mut et = e.ether_type;
    while (et == ethertype::VLAN || et == ethertype::QINQ)
        && (e.vlan_count as usize) < e.vlans.len()
    {
        if d.len() < off + 4 {
            p.link = Link::Ethernet(e);
            p.stop = Some(truncated(Layer::Vlan, off + 4, d.len()));
            return;
        }
        let tci = be16(&d[off..off + 2]);
        let inner = be16(&d[off + 2..off + 4]);
        e.vlans[e.vlan_count as usize] = VlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            id: tci & 0x0fff,
            ether_type: inner,
        };
        e.vlan_count += 1;
        off += 4;
        et = inner;
    }
    p.link = Link::Ethernet(e);
    if et < 0x0600 {
        // An 802.3 length field: LLC follows, which this decoder does not read.
        p.net = Net::Other { ether_type: et };
        return;
    }
    decode_from_ethertype(p, et, d, off, path);
}

/// Decodes the network layer and below from `d[off..]`, which carries ethertype `et`.
fn decode_from_ethertype<'a>(p: &mut Packet<'a>, et: u16, d: &'a [u8], off: usize, path: Path) {
    let rest = d.get(off..).unwrap_or(&[]);
    p.net_offset = off as u32;
    if (et == ethertype::IPV4 || et == ethertype::IPV6)
        && path == Path::Fast
        && fast::fast_ip(p, et, d, off)
    {
        return;
    }
    match et {
        ethertype::IPV4 | ethertype::IPV6 | ethertype::ARP => {}
        ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => {
            return links::decode_mpls(p, d, off, path);
        }
        pppoe::DISCOVERY | pppoe::SESSION if p.pppoe.is_none() => {
            return pppoe::decode(p, et, d, off, path);
        }
        other => {
            p.net = Net::Other { ether_type: other };
            return;
        }
    }
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(et), rest);
    if let Some(net) = &sliced.net {
        match net {
            LaxNetSlice::Ipv4(ip) => {
                let h = ip.header();
                p.net = Net::Ipv4(Ipv4Summary {
                    src: h.source_addr(),
                    dst: h.destination_addr(),
                    header_len: h.ihl() * 4,
                    tos: h.slice()[1],
                    total_len: h.total_len(),
                    id: h.identification(),
                    reserved_flag: h.slice()[6] & 0x80 != 0,
                    dont_fragment: h.dont_fragment(),
                    more_fragments: h.more_fragments(),
                    frag_offset: h.fragments_offset().value(),
                    ttl: h.ttl(),
                    protocol: h.protocol().0,
                    checksum: h.header_checksum(),
                    options: ip_slice_static(h.options(), rest),
                    header: ip_slice_static(h.slice(), rest),
                });
            }
            LaxNetSlice::Ipv6(ip) => {
                let h = ip.header();
                let mut s = Ipv6Summary {
                    src: h.source_addr(),
                    dst: h.destination_addr(),
                    traffic_class: h.traffic_class(),
                    flow_label: h.flow_label().value(),
                    payload_len: h.payload_length(),
                    next_header: h.next_header().0,
                    hop_limit: h.hop_limit(),
                    exts: [Ipv6Ext::default(); 8],
                    ext_count: 0,
                    fragment: None,
                    protocol: ip.payload().ip_number.0,
                };
                // Walk the extension headers ourselves to record kind and length.
                let exts = ip.extensions().slice();
                let mut next = s.next_header;
                let mut o = 0usize;
                while o + 2 <= exts.len() && (s.ext_count as usize) < s.exts.len() {
                    let len = match next {
                        proto::IPV6_FRAG => 8,
                        proto::AH => (exts[o + 1] as usize + 2) * 4,
                        _ => (exts[o + 1] as usize + 1) * 8,
                    };
                    if next == proto::IPV6_FRAG && o + 8 <= exts.len() {
                        let fo = be16(&exts[o + 2..o + 4]);
                        s.fragment = Some(Ipv6Fragment {
                            offset: fo >> 3,
                            more: fo & 1 != 0,
                            id: u32::from_be_bytes([
                                exts[o + 4],
                                exts[o + 5],
                                exts[o + 6],
                                exts[o + 7],
                            ]),
                        });
                    }
                    s.exts[s.ext_count as usize] = Ipv6Ext {
                        kind: next,
                        len: len as u16,
                        next_header: exts[o],
                        len_field: exts[o + 1],
                    };
                    s.ext_count += 1;
                    next = exts[o];
                    o += len;
                }
                p.net = Net::Ipv6(s);
            }
            LaxNetSlice::Arp(a) => {
                let s = a.slice();
                let mut arp = ArpSummary {
                    hw_type: be16(&s[0..2]),
                    proto_type: be16(&s[2..4]),
                    hw_len: s[4],
                    proto_len: s[5],
                    operation: be16(&s[6..8]),
                    sender_hw: [0; 6],
                    sender_ip: [0; 4],
                    target_hw: [0; 6],
                    target_ip: [0; 4],
                    ethernet_ipv4: false,
                };
                if arp.hw_len == 6 && arp.proto_len == 4 && s.len() >= 28 {
                    arp.sender_hw.copy_from_slice(&s[8..14]);
                    arp.sender_ip.copy_from_slice(&s[14..18]);
                    arp.target_hw.copy_from_slice(&s[18..24]);
                    arp.target_ip.copy_from_slice(&s[24..28]);
                    arp.ethernet_ipv4 = true;
                }
                p.net = Net::Arp(arp);
            }
        }
        // Length of the IP payload on the wire, from the header (not the capture).
        if let Some(pl) = net.ip_payload_ref() {
            let ip_payload_start = pl.payload.as_ptr() as usize - d.as_ptr() as usize;
            p.transport_offset = ip_payload_start as u32;
            let wire = match &p.net {
                Net::Ipv4(h) => (h.total_len as u32).saturating_sub(h.header_len as u32),
                Net::Ipv6(h) => (h.payload_len as u32).saturating_sub(h.ext_len()),
                _ => 0,
            };
            let wire = if wire == 0 {
                pl.payload.len() as u32
            } else {
                wire
            };
            decode_transport(p, &sliced, pl.payload, wire, pl.fragmented);
        }
    }
    if p.stop.is_none()
        && let Some((err, layer)) = &sliced.stop_err
    {
        p.stop = Some(map_stop(err, *layer));
    }
}

/// `etherparse` ties some slices to the lifetime of a temporary; they always point into the
/// frame, so re-slice the frame at the same position to recover the frame's lifetime.
fn ip_slice_static<'a>(part: &[u8], whole: &'a [u8]) -> &'a [u8] {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    whole.get(start..start + part.len()).unwrap_or(&[])
}

fn decode_transport<'a>(
    p: &mut Packet<'a>,
    sliced: &LaxSlicedPacket<'a>,
    ip_payload: &'a [u8],
    wire: u32,
    fragmented: bool,
) {
    let protocol = p.ip_protocol().unwrap_or(0);
    let later_fragment = match &p.net {
        Net::Ipv4(h) => h.frag_offset != 0,
        Net::Ipv6(h) => h.fragment.map(|f| f.offset != 0).unwrap_or(false),
        _ => false,
    };
    if later_fragment {
        p.transport = Transport::Other { protocol };
        p.payload = ip_payload;
        p.payload_wire_len = wire;
        return;
    }
    match &sliced.transport {
        Some(TransportSlice::Tcp(t)) => {
            let hl = t.data_offset() as u32 * 4;
            let flags = u16::from_be_bytes([t.slice()[12], t.slice()[13]]) & 0x01ff;
            p.transport = Transport::Tcp(TcpSummary {
                src_port: t.source_port(),
                dst_port: t.destination_port(),
                seq: t.sequence_number(),
                ack: t.acknowledgment_number(),
                header_len: hl as u8,
                reserved: (t.slice()[12] >> 1) & 0x07,
                flags: TcpFlags(flags),
                window: t.window_size(),
                checksum: t.checksum(),
                urgent: t.urgent_pointer(),
                options: ip_slice_static(t.options(), ip_payload),
            });
            p.payload = ip_slice_static(t.payload(), ip_payload);
            p.payload_wire_len = wire.saturating_sub(hl);
            p.transport_offset += 0;
        }
        Some(TransportSlice::Udp(u)) => {
            p.transport = Transport::Udp(UdpSummary {
                src_port: u.source_port(),
                dst_port: u.destination_port(),
                length: u.length(),
                checksum: u.checksum(),
            });
            p.payload = ip_slice_static(u.payload(), ip_payload);
            p.payload_wire_len = wire.saturating_sub(8);
        }
        Some(TransportSlice::Icmpv4(i)) => {
            p.transport = Transport::Icmpv4(IcmpSummary {
                kind: i.type_u8(),
                code: i.code_u8(),
                checksum: i.checksum(),
                rest: i.bytes5to8(),
            });
            p.payload = ip_slice_static(i.payload(), ip_payload);
            p.payload_wire_len = wire.saturating_sub(i.header_len() as u32);
        }
        Some(TransportSlice::Icmpv6(i)) => {
            p.transport = Transport::Icmpv6(IcmpSummary {
                kind: i.type_u8(),
                code: i.code_u8(),
                checksum: i.checksum(),
                rest: i.bytes5to8(),
            });
            p.payload = ip_slice_static(i.payload(), ip_payload);
            p.payload_wire_len = wire.saturating_sub(i.header_len() as u32);
        }
        // The first fragment of a datagram carries the transport header, which etherparse
        // leaves alone; tcpdump prints it, so read it here when it was captured whole.
        None if fragmented && fast::first_fragment_header(p, protocol, ip_payload, wire) => {}
        _ => {
            p.payload = ip_payload;
            p.payload_wire_len = wire;
            p.transport = match protocol {
                proto::TCP | proto::UDP => {
                    let ports = (ip_payload.len() >= 4)
                        .then(|| (be16(&ip_payload[0..2]), be16(&ip_payload[2..4])));
                    Transport::Partial { protocol, ports }
                }
                _ => Transport::Other { protocol },
            };
        }
    }
}

fn map_stop(err: &etherparse::err::packet::SliceError, layer: etherparse::err::Layer) -> Stop {
    use etherparse::err::Layer as L;
    use etherparse::err::packet::SliceError as E;
    let our = match layer {
        L::LinuxSllHeader | L::Ethernet2Header | L::EtherPayload => Layer::Link,
        L::VlanHeader | L::MacsecHeader | L::MacsecPacket => Layer::Vlan,
        L::IpHeader | L::Ipv4Header | L::Ipv4Packet | L::IpAuthHeader => Layer::Ipv4,
        L::Ipv6Header | L::Ipv6Packet => Layer::Ipv6,
        L::Ipv6ExtHeader
        | L::Ipv6HopByHopHeader
        | L::Ipv6DestOptionsHeader
        | L::Ipv6RouteHeader
        | L::Ipv6FragHeader => Layer::Ipv6Ext,
        L::UdpHeader | L::UdpPayload => Layer::Udp,
        L::TcpHeader => Layer::Tcp,
        L::Icmpv4 | L::Icmpv4Timestamp | L::Icmpv4TimestampReply => Layer::Icmpv4,
        L::Icmpv6 => Layer::Icmpv6,
        L::Arp => Layer::Arp,
        _ => Layer::Link,
    };
    let kind = match err {
        E::Len(l) => StopKind::Truncated {
            needed: l.required_len as u32,
            available: l.len as u32,
        },
        E::Tcp(_) => {
            StopKind::Malformed("data offset is below 5 (a TCP header is at least 20 bytes)")
        }
        E::Ipv4(_) => StopKind::Malformed("bad IPv4 header"),
        E::Ipv6(_) => StopKind::Malformed("bad IPv6 header"),
        E::Ip(_) => StopKind::Malformed("bad IP header"),
        E::Ipv4Exts(_) => StopKind::Malformed("bad authentication header"),
        E::Ipv6Exts(_) => StopKind::Malformed("bad IPv6 extension header"),
        E::LinuxSll(_) => StopKind::Malformed("bad Linux cooked header"),
        E::Macsec(_) => StopKind::Malformed("bad MACsec header"),
    };
    Stop { layer: our, kind }
}

/// Packet building for the unit tests of other modules, so that etherparse stays inside
/// `decode/`.
#[cfg(test)]
pub(crate) mod build {
    pub use etherparse::{PacketBuilder, TcpOptionElement};
}

#[cfg(test)]
mod tests;
