//! Link layers beyond Ethernet, Linux cooked capture and loopback that carry IP: PPP and
//! PPP-in-HDLC (RFC 1661/1662), Cisco HDLC, IP over InfiniBand (RFC 4391), ARCNET (RFC 1051,
//! RFC 1201), and MPLS label stacks (RFC 3032) in front of the network layer.

use super::{Layer, Link, Net, Packet, Path, be16, decode_from_ethertype, ethertype, truncated};

/// PPP protocol numbers (RFC 1661 §2, IANA "PPP DLL Protocol Numbers") that carry IP.
pub mod ppp {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
    pub const MPLS_UNICAST: u16 = 0x0281;
    pub const MPLS_MULTICAST: u16 = 0x0283;
    /// The HDLC-like framing bytes that may start a PPP frame (RFC 1662 §3.1).
    pub const ADDRESS: u8 = 0xff;
    pub const CONTROL: u8 = 0x03;
}

/// IP over InfiniBand (LINKTYPE_IPOIB, RFC 4391): a 44-byte pseudo-header, ethertype at 40.
mod ipoib {
    pub const PROTOCOL: std::ops::Range<usize> = 40..42;
    pub const HEADER_LEN: usize = 44;
}

/// Cisco HDLC (LINKTYPE_C_HDLC): address, control, then an ethertype.
mod chdlc {
    pub const PROTOCOL: std::ops::Range<usize> = 2..4;
    pub const HEADER_LEN: usize = 4;
}

/// MPLS label stack entries (RFC 3032 §2.1): label 20 bits, traffic class 3, bottom of stack 1,
/// TTL 8.
pub mod mpls {
    pub const ENTRY_LEN: usize = 4;
    pub const BOTTOM_OF_STACK: u32 = 0x100;
    /// Reserved labels that name the payload (RFC 3032 §2.1).
    pub const IPV4_EXPLICIT_NULL: u32 = 0;
    pub const IPV6_EXPLICIT_NULL: u32 = 2;
    /// Entries kept in a [`super::MplsStack`]; deeper stacks are skipped over.
    pub const MAX_KEPT: usize = 8;
}

/// Link types read beyond those named on [`LinkType`](crate::source::LinkType).
pub mod linktype {
    use crate::source::LinkType;
    pub const PPP: LinkType = LinkType(9);
    pub const PPP_HDLC: LinkType = LinkType(50);
    pub const C_HDLC: LinkType = LinkType(104);
    pub const IPOIB: LinkType = LinkType(242);
    pub const ARCNET_BSD: LinkType = LinkType(7);
    pub const ARCNET_LINUX: LinkType = LinkType(129);
}

/// ARCNET (ATA 878.1; RFC 1051 and RFC 1201 for IP): source, destination, (Linux: a 2-byte
/// offset,) system code; the RFC 1201 codes add a fragmentation flag and sequence number.
mod arcnet {
    pub const TYPE_BSD: usize = 2;
    pub const TYPE_LINUX: usize = 4;
    pub const FLAG_BSD: usize = 3;
    pub const IP_OLD: u8 = 240;
    pub const ARP_OLD: u8 = 241;
    pub const DIAGNOSE: u8 = 0x80;
    pub const IP: u8 = 212;
    pub const ARP: u8 = 213;
    pub const REVARP: u8 = 214;
    pub const INET6: u8 = 0xc4;
    /// Header lengths: RFC 1051 style, RFC 1201 style, RFC 1201 exception frame (BSD only).
    pub const BSD_LEN: [usize; 3] = [3, 6, 10];
    pub const LINUX_LEN: [usize; 2] = [5, 8];
    pub const EXCEPTION: u8 = 0xff;
}

/// MPLS label stack entries between the link and the network layer, top first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MplsStack {
    /// Raw 32-bit label stack entries (see [`mpls`]).
    pub raw: [u32; mpls::MAX_KEPT],
    pub count: u8,
}

impl MplsStack {
    pub fn entries(&self) -> &[u32] {
        &self.raw[..self.count as usize]
    }
}

/// Decodes the link types of this module (see [`linktype`]).
pub(super) fn decode<'a>(p: &mut Packet<'a>, d: &'a [u8], path: Path) {
    match p.link_type.normalized() {
        linktype::PPP | linktype::PPP_HDLC => decode_ppp(p, d, path),
        linktype::C_HDLC => decode_framed(p, d, chdlc::PROTOCOL, chdlc::HEADER_LEN, path),
        linktype::IPOIB => decode_framed(p, d, ipoib::PROTOCOL, ipoib::HEADER_LEN, path),
        linktype::ARCNET_BSD | linktype::ARCNET_LINUX => decode_arcnet(p, d, path),
        _ => {}
    }
}

/// PPP (RFC 1661): optional ff 03 framing, then a 1- or 2-byte protocol (an odd first byte
/// means the compressed 1-byte form, RFC 1661 §6.5).
fn decode_ppp<'a>(p: &mut Packet<'a>, d: &'a [u8], path: Path) {
    let mut off = 0;
    if d.len() >= 2 && d[0] == ppp::ADDRESS && d[1] == ppp::CONTROL {
        off = 2;
    }
    let Some(&first) = d.get(off) else {
        p.stop = Some(truncated(Layer::Link, off + 1, d.len()));
        return;
    };
    let protocol = if first % 2 == 1 {
        off += 1;
        first as u16
    } else {
        if d.len() < off + 2 {
            p.stop = Some(truncated(Layer::Link, off + 2, d.len()));
            return;
        }
        off += 2;
        be16(&d[off - 2..off])
    };
    p.link = Link::Framed {
        protocol,
        header_len: off as u16,
    };
    let et = match protocol {
        ppp::IPV4 => ethertype::IPV4,
        ppp::IPV6 => ethertype::IPV6,
        ppp::MPLS_UNICAST => ethertype::MPLS_UNICAST,
        ppp::MPLS_MULTICAST => ethertype::MPLS_MULTICAST,
        // Some PPP captures carry an ethertype in the protocol field.
        other => other,
    };
    decode_from_ethertype(p, et, d, off, path);
}

/// ARCNET, BSD or Linux framing; the system code picks IPv4, IPv6 or ARP.
fn decode_arcnet<'a>(p: &mut Packet<'a>, d: &'a [u8], path: Path) {
    let linux = p.link_type.normalized() == linktype::ARCNET_LINUX;
    let at = if linux {
        arcnet::TYPE_LINUX
    } else {
        arcnet::TYPE_BSD
    };
    let Some(&code) = d.get(at) else {
        p.stop = Some(truncated(Layer::Link, at + 1, d.len()));
        return;
    };
    let old = matches!(code, arcnet::IP_OLD | arcnet::ARP_OLD | arcnet::DIAGNOSE);
    let header_len = match (linux, old) {
        (true, true) => arcnet::LINUX_LEN[0],
        (true, false) => arcnet::LINUX_LEN[1],
        (false, true) => arcnet::BSD_LEN[0],
        (false, false) if d.get(arcnet::FLAG_BSD) == Some(&arcnet::EXCEPTION) => arcnet::BSD_LEN[2],
        (false, false) => arcnet::BSD_LEN[1],
    };
    if d.len() < header_len {
        p.stop = Some(truncated(Layer::Link, header_len, d.len()));
        return;
    }
    let et = match code {
        arcnet::IP_OLD | arcnet::IP => ethertype::IPV4,
        arcnet::INET6 => ethertype::IPV6,
        arcnet::ARP_OLD | arcnet::ARP | arcnet::REVARP => ethertype::ARP,
        other => other as u16,
    };
    p.link = Link::Framed {
        protocol: code as u16,
        header_len: header_len as u16,
    };
    decode_from_ethertype(p, et, d, header_len, path);
}

/// A fixed-length link header with an ethertype at `proto`.
fn decode_framed<'a>(
    p: &mut Packet<'a>,
    d: &'a [u8],
    proto: std::ops::Range<usize>,
    header_len: usize,
    path: Path,
) {
    if d.len() < header_len {
        p.stop = Some(truncated(Layer::Link, header_len, d.len()));
        return;
    }
    let protocol = be16(&d[proto]);
    p.link = Link::Framed {
        protocol,
        header_len: header_len as u16,
    };
    decode_from_ethertype(p, protocol, d, header_len, path);
}

/// Reads an MPLS label stack at `d[off..]` into `p.mpls` and decodes what follows the bottom
/// entry: IPv4 or IPv6 by explicit-null label or by the version nibble, as tcpdump guesses.
pub(super) fn decode_mpls<'a>(p: &mut Packet<'a>, d: &'a [u8], mut off: usize, path: Path) {
    loop {
        let Some(e) = d.get(off..off + mpls::ENTRY_LEN) else {
            p.net = Net::Other {
                ether_type: ethertype::MPLS_UNICAST,
            };
            p.stop = Some(truncated(Layer::Link, off + mpls::ENTRY_LEN, d.len()));
            return;
        };
        let entry = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
        if (p.mpls.count as usize) < mpls::MAX_KEPT {
            p.mpls.raw[p.mpls.count as usize] = entry;
            p.mpls.count += 1;
        }
        off += mpls::ENTRY_LEN;
        if entry & mpls::BOTTOM_OF_STACK != 0 {
            let et = match (entry >> 12, d.get(off).map(|b| b >> 4)) {
                (mpls::IPV4_EXPLICIT_NULL, _) | (_, Some(4)) => ethertype::IPV4,
                (mpls::IPV6_EXPLICIT_NULL, _) | (_, Some(6)) => ethertype::IPV6,
                _ => {
                    p.net_offset = off as u32;
                    p.net = Net::Other {
                        ether_type: ethertype::MPLS_UNICAST,
                    };
                    return;
                }
            };
            decode_from_ethertype(p, et, d, off, path);
            return;
        }
    }
}
