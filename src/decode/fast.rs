//! The common case decoded by hand, without etherparse: unfragmented IPv4 or plain IPv6 with a
//! whole TCP or UDP header. [`super::decode_reference`] skips it so tests can check that both
//! paths give the same summaries. Also the TCP and UDP headers of first fragments, and a TCP header
//! cut inside its options, which etherparse leaves alone.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{
    Ipv4Summary, Ipv6Ext, Ipv6Summary, Net, Packet, TcpFlags, TcpSummary, Transport, UdpSummary,
    be16, be32, ethertype, proto,
};

/// IPv4 header fields (RFC 791 §3.1).
mod ipv4 {
    pub const VERSION_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const TOTAL_LEN: std::ops::Range<usize> = 2..4;
    pub const ID: std::ops::Range<usize> = 4..6;
    pub const FLAGS_FRAG: std::ops::Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: std::ops::Range<usize> = 10..12;
    pub const SRC: std::ops::Range<usize> = 12..16;
    pub const DST: std::ops::Range<usize> = 16..20;
    pub const MIN_LEN: usize = 20;
    pub const RESERVED: u16 = 0x8000;
    pub const DF: u16 = 0x4000;
    pub const MF: u16 = 0x2000;
    pub const OFFSET_MASK: u16 = 0x1fff;
}

/// IPv6 fixed header fields (RFC 8200 §3).
mod ipv6 {
    pub const PAYLOAD_LEN: std::ops::Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: std::ops::Range<usize> = 8..24;
    pub const DST: std::ops::Range<usize> = 24..40;
    pub const LEN: usize = 40;
}

/// TCP header fields (RFC 9293 §3.1).
mod tcph {
    pub const SRC_PORT: std::ops::Range<usize> = 0..2;
    pub const DST_PORT: std::ops::Range<usize> = 2..4;
    pub const SEQ: std::ops::Range<usize> = 4..8;
    pub const ACK: std::ops::Range<usize> = 8..12;
    pub const OFFSET_FLAGS: std::ops::Range<usize> = 12..14;
    pub const WINDOW: std::ops::Range<usize> = 14..16;
    pub const CHECKSUM: std::ops::Range<usize> = 16..18;
    pub const URGENT: std::ops::Range<usize> = 18..20;
    pub const MIN_LEN: usize = 20;
    pub const FLAGS_MASK: u16 = 0x01ff;
    pub const RESERVED_SHIFT: u16 = 9;
}

/// UDP header fields (RFC 768).
mod udph {
    pub const SRC_PORT: std::ops::Range<usize> = 0..2;
    pub const DST_PORT: std::ops::Range<usize> = 2..4;
    pub const LENGTH: std::ops::Range<usize> = 4..6;
    pub const CHECKSUM: std::ops::Range<usize> = 6..8;
    pub const LEN: usize = 8;
}

/// The header length a TCP header's data offset claims (RFC 9293 §3.1: 32-bit words), 0 when
/// that byte was not captured; for reporting a header too short to be one.
pub fn tcp_claimed_header_len(bytes: &[u8]) -> u32 {
    bytes
        .get(tcph::OFFSET_FLAGS.start)
        .map(|b| (b >> 4) as u32 * 4)
        .unwrap_or(0)
}

/// The fixed part of a TCP header and whatever of its options was captured, when at least the
/// 20 fixed bytes were: for printing a header that the snap length cut inside its options (as
/// tcpdump does) where [`decode`] stopped with a [`Transport::Partial`].
pub fn tcp_header_prefix(bytes: &[u8]) -> Option<TcpSummary<'_>> {
    let t = bytes.get(..tcph::MIN_LEN)?;
    let of = be16(&t[tcph::OFFSET_FLAGS]);
    let hl = (of >> 12) as usize * 4;
    if hl < tcph::MIN_LEN {
        return None;
    }
    Some(TcpSummary {
        src_port: be16(&t[tcph::SRC_PORT]),
        dst_port: be16(&t[tcph::DST_PORT]),
        seq: be32(&t[tcph::SEQ]),
        ack: be32(&t[tcph::ACK]),
        header_len: hl as u8,
        reserved: ((of >> tcph::RESERVED_SHIFT) & 0x07) as u8,
        flags: TcpFlags(of & tcph::FLAGS_MASK),
        window: be16(&t[tcph::WINDOW]),
        checksum: be16(&t[tcph::CHECKSUM]),
        urgent: be16(&t[tcph::URGENT]),
        options: &bytes[tcph::MIN_LEN..hl.min(bytes.len())],
    })
}

/// The common case by hand, without etherparse: an unfragmented IPv4 packet, or an IPv6 packet
/// without extension headers, carrying a TCP or UDP header that was captured whole (and a UDP
/// length that fits). Fills `p` exactly as the etherparse path would and returns true; returns
/// false (touching nothing) for anything else, which then takes the general path.
#[inline]
pub(super) fn fast_ip<'a>(p: &mut Packet<'a>, et: u16, d: &'a [u8], off: usize) -> bool {
    let Some(h) = d.get(off..) else {
        return false;
    };
    // The IP header's checks and lengths first; its summary is written last, straight into
    // `p.net` once the transport header is known to be whole (a summary built beforehand would
    // be copied there whole, the size of the largest kind of network layer).
    let v4 = et == ethertype::IPV4;
    let (hl, ip_payload, wire, protocol) = if v4 {
        if h.len() < ipv4::MIN_LEN || h[ipv4::VERSION_IHL] >> 4 != 4 {
            return false;
        }
        let hl = (h[ipv4::VERSION_IHL] & 0x0f) as usize * 4;
        let total = be16(&h[ipv4::TOTAL_LEN]) as usize;
        let ff = be16(&h[ipv4::FLAGS_FRAG]);
        if hl < ipv4::MIN_LEN
            || h.len() < hl
            || total < hl
            || ff & (ipv4::MF | ipv4::OFFSET_MASK) != 0
        {
            return false;
        }
        let payload = &h[hl..total.min(h.len())];
        (hl, payload, (total - hl) as u32, h[ipv4::PROTOCOL])
    } else {
        if h.len() < ipv6::LEN || h[0] >> 4 != 6 {
            return false;
        }
        let plen = be16(&h[ipv6::PAYLOAD_LEN]) as usize;
        if plen == 0 {
            return false;
        }
        let payload = &h[ipv6::LEN..(ipv6::LEN + plen).min(h.len())];
        (ipv6::LEN, payload, plen as u32, h[ipv6::NEXT_HEADER])
    };
    let wire = if wire == 0 {
        ip_payload.len() as u32
    } else {
        wire
    };
    let t = ip_payload;
    match protocol {
        proto::TCP => {
            if t.len() < tcph::MIN_LEN {
                return false;
            }
            let of = be16(&t[tcph::OFFSET_FLAGS]);
            let hl = (of >> 12) as usize * 4;
            if hl < tcph::MIN_LEN || t.len() < hl {
                return false;
            }
            p.transport = Transport::Tcp(TcpSummary {
                src_port: be16(&t[tcph::SRC_PORT]),
                dst_port: be16(&t[tcph::DST_PORT]),
                seq: be32(&t[tcph::SEQ]),
                ack: be32(&t[tcph::ACK]),
                header_len: hl as u8,
                reserved: ((of >> tcph::RESERVED_SHIFT) & 0x07) as u8,
                flags: TcpFlags(of & tcph::FLAGS_MASK),
                window: be16(&t[tcph::WINDOW]),
                checksum: be16(&t[tcph::CHECKSUM]),
                urgent: be16(&t[tcph::URGENT]),
                options: &t[tcph::MIN_LEN..hl],
            });
            p.payload = &t[hl..];
            p.payload_wire_len = wire.saturating_sub(hl as u32);
        }
        proto::UDP => {
            if t.len() < udph::LEN {
                return false;
            }
            let ulen = be16(&t[udph::LENGTH]) as usize;
            if ulen < udph::LEN || ulen > t.len() {
                return false;
            }
            p.transport = Transport::Udp(UdpSummary {
                src_port: be16(&t[udph::SRC_PORT]),
                dst_port: be16(&t[udph::DST_PORT]),
                length: ulen as u16,
                checksum: be16(&t[udph::CHECKSUM]),
            });
            p.payload = &t[udph::LEN..ulen];
            p.payload_wire_len = wire.saturating_sub(udph::LEN as u32);
        }
        _ => return false,
    }
    if v4 {
        let ff = be16(&h[ipv4::FLAGS_FRAG]);
        p.net = Net::Ipv4(Ipv4Summary {
            src: Ipv4Addr::from(be32(&h[ipv4::SRC])),
            dst: Ipv4Addr::from(be32(&h[ipv4::DST])),
            header_len: hl as u8,
            tos: h[ipv4::TOS],
            total_len: be16(&h[ipv4::TOTAL_LEN]),
            id: be16(&h[ipv4::ID]),
            reserved_flag: ff & ipv4::RESERVED != 0,
            dont_fragment: ff & ipv4::DF != 0,
            more_fragments: false,
            frag_offset: 0,
            ttl: h[ipv4::TTL],
            protocol,
            checksum: be16(&h[ipv4::CHECKSUM]),
            options: &h[ipv4::MIN_LEN..hl],
            header: &h[..hl],
        });
    } else {
        let mut src = [0u8; 16];
        src.copy_from_slice(&h[ipv6::SRC]);
        let mut dst = [0u8; 16];
        dst.copy_from_slice(&h[ipv6::DST]);
        p.net = Net::Ipv6(Ipv6Summary {
            src: Ipv6Addr::from(src),
            dst: Ipv6Addr::from(dst),
            traffic_class: (h[0] << 4) | (h[1] >> 4),
            flow_label: u32::from_be_bytes([0, h[1] & 0x0f, h[2], h[3]]),
            payload_len: be16(&h[ipv6::PAYLOAD_LEN]),
            next_header: protocol,
            hop_limit: h[ipv6::HOP_LIMIT],
            exts: [Ipv6Ext::default(); 8],
            ext_count: 0,
            fragment: None,
            protocol,
        });
    }
    p.transport_offset = (off + (t.as_ptr() as usize - h.as_ptr() as usize)) as u32;
    true
}

/// The TCP or UDP header at the start of a first fragment, when captured whole.
pub(super) fn first_fragment_header<'a>(
    p: &mut Packet<'a>,
    protocol: u8,
    ip_payload: &'a [u8],
    wire: u32,
) -> bool {
    match protocol {
        proto::TCP => match tcp_header_prefix(ip_payload) {
            Some(t) if t.options.len() + tcph::MIN_LEN == t.header_len as usize => {
                let hl = t.header_len as usize;
                p.transport = Transport::Tcp(t);
                p.payload = &ip_payload[hl..];
                p.payload_wire_len = wire.saturating_sub(hl as u32);
                true
            }
            _ => false,
        },
        proto::UDP if ip_payload.len() >= udph::LEN => {
            p.transport = Transport::Udp(UdpSummary {
                src_port: be16(&ip_payload[udph::SRC_PORT]),
                dst_port: be16(&ip_payload[udph::DST_PORT]),
                length: be16(&ip_payload[udph::LENGTH]),
                checksum: be16(&ip_payload[udph::CHECKSUM]),
            });
            p.payload = &ip_payload[udph::LEN..];
            p.payload_wire_len = wire.saturating_sub(udph::LEN as u32);
            true
        }
        _ => false,
    }
}
