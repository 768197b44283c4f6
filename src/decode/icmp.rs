//! ICMP (RFC 792) and ICMPv6 (RFC 4443) message bodies read as typed values, including the
//! datagram an error message returns. Views over the captured bytes, as tcpdump's print-icmp.c
//! and print-icmp6.c read them: each accessor returns `None` where the capture ends before the
//! field (tcpdump's `[|icmp]` and `[|icmp6]`). Nothing is allocated or copied per packet.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{be16, be32, proto};

/// The 4-byte word after type, code and checksum (RFC 792, RFC 4443 §2.1).
const WORD: std::ops::Range<usize> = 4..8;
/// Where the returned datagram starts in an error message.
const INNER: usize = 8;

fn ipv4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn ipv6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// Identifier and sequence number of an echo-like message (bytes 4..8).
fn id_seq(m: &[u8]) -> Option<(u16, u16)> {
    let b = m.get(WORD)?;
    Some((be16(b), be16(&b[2..])))
}

/// An ICMP message (captured bytes from its type field on).
#[derive(Clone, Copy, Debug)]
pub struct Icmp<'a>(&'a [u8]);

/// Fields of the IPv4 datagram an ICMP error returns (RFC 791 §3.1).
mod inner4 {
    use super::INNER;
    pub const VER_IHL: usize = INNER;
    pub const PROTOCOL: usize = INNER + 9;
    pub const DST: std::ops::Range<usize> = INNER + 16..INNER + 20;
}

/// One router address of a router advertisement (RFC 1256 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdvertEntry {
    pub address: Ipv4Addr,
    pub preference: u32,
}

/// The router addresses of an advertisement, as far as captured: `None` where the capture
/// ends.
#[derive(Clone, Copy, Debug)]
pub struct AdvertEntries<'a> {
    m: &'a [u8],
    next: usize,
    count: usize,
}

impl Iterator for AdvertEntries<'_> {
    type Item = Option<AdvertEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.count {
            return None;
        }
        let at = 8 + 8 * self.next;
        self.next += 1;
        Some(self.m.get(at..at + 8).map(|e| AdvertEntry {
            address: ipv4(e),
            preference: be32(&e[4..]),
        }))
    }
}

/// A router advertisement's header (RFC 1256 §3).
#[derive(Clone, Copy, Debug)]
pub struct RouterAdvert<'a> {
    pub lifetime: u16,
    pub num_addrs: u8,
    /// Address entry size in 32-bit words; 2 is the only one defined.
    pub entry_size: u8,
    m: &'a [u8],
}

impl<'a> RouterAdvert<'a> {
    /// The address entries; none when the entry size is not 2.
    pub fn entries(&self) -> AdvertEntries<'a> {
        let count = if self.entry_size == 2 {
            self.num_addrs as usize
        } else {
            0
        };
        AdvertEntries {
            m: self.m,
            next: 0,
            count,
        }
    }
}

impl<'a> Icmp<'a> {
    pub fn new(m: &'a [u8]) -> Self {
        Icmp(m)
    }
    pub fn kind(&self) -> Option<u8> {
        self.0.first().copied()
    }
    /// The code, 0 when not captured (tcpdump prints names that do not need it).
    pub fn code(&self) -> u8 {
        self.0.get(1).copied().unwrap_or(0)
    }
    /// Identifier and sequence number of echo and time stamp messages (RFC 792).
    pub fn id_seq(&self) -> Option<(u16, u16)> {
        id_seq(self.0)
    }
    /// Identifier and 8-bit sequence number of extended echo (RFC 8335 §2).
    pub fn ext_id_seq(&self) -> Option<(u16, u8)> {
        let b = self.0.get(4..7)?;
        Some((be16(b), b[2]))
    }
    /// The gateway address of a redirect (RFC 792).
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.0.get(WORD).map(ipv4)
    }
    /// The next-hop MTU of "fragmentation needed" (RFC 1191 §4), bytes 6..8.
    pub fn next_hop_mtu(&self) -> Option<u16> {
        self.0.get(6..8).map(be16)
    }
    /// The pointer of a parameter problem (RFC 792).
    pub fn pointer(&self) -> Option<u8> {
        self.0.get(4).copied()
    }
    /// The address mask of a mask reply (RFC 950).
    pub fn mask(&self) -> Option<u32> {
        self.0.get(8..12).map(be32)
    }
    /// Originate, receive and transmit time stamps (RFC 792), milliseconds since midnight UT.
    pub fn timestamps(&self) -> Option<[u32; 3]> {
        let t = self.0.get(8..20)?;
        Some([be32(t), be32(&t[4..]), be32(&t[8..])])
    }
    pub fn router_advert(&self) -> Option<RouterAdvert<'a>> {
        let h = self.0.get(WORD)?;
        Some(RouterAdvert {
            num_addrs: h[0],
            entry_size: h[1],
            lifetime: be16(&h[2..]),
            m: self.0,
        })
    }
    /// The destination of the returned datagram; tcpdump needs it captured for every error.
    pub fn quoted_dst(&self) -> Option<Ipv4Addr> {
        self.0.get(inner4::DST).map(ipv4)
    }
    /// The protocol of the returned datagram (captured whenever [`Self::quoted_dst`] is).
    pub fn quoted_protocol(&self) -> Option<u8> {
        self.0.get(inner4::PROTOCOL).copied()
    }
    /// The destination port of the returned datagram, read where its header length puts it.
    pub fn quoted_dst_port(&self) -> Option<u16> {
        let hlen = (*self.0.get(inner4::VER_IHL)? & 0x0f) as usize * 4;
        let at = INNER + hlen + 2;
        self.0.get(at..at + 2).map(be16)
    }
}

/// An ICMPv6 message (captured bytes from its type field on).
#[derive(Clone, Copy, Debug)]
pub struct Icmp6<'a>(&'a [u8]);

/// Where the returned IPv6 datagram's fields sit in an error message (RFC 8200 §3).
mod inner6 {
    use super::INNER;
    pub const NEXT_HEADER: usize = INNER + 6;
    pub const SRC: std::ops::Range<usize> = INNER + 8..INNER + 24;
    pub const DST: std::ops::Range<usize> = INNER + 24..INNER + 40;
    pub const LEN: usize = 40;
}

impl<'a> Icmp6<'a> {
    pub fn new(m: &'a [u8]) -> Self {
        Icmp6(m)
    }
    pub fn kind(&self) -> Option<u8> {
        self.0.first().copied()
    }
    pub fn code(&self) -> Option<u8> {
        self.0.get(1).copied()
    }
    /// The 32-bit word at bytes 4..8: the MTU of packet too big (RFC 4443 §3.2), the pointer
    /// of a parameter problem (§3.4).
    pub fn word(&self) -> Option<u32> {
        self.0.get(WORD).map(be32)
    }
    /// Identifier and sequence number of echo (RFC 4443 §4.1).
    pub fn id_seq(&self) -> Option<(u16, u16)> {
        id_seq(self.0)
    }
    /// The 16 bits at 4..6: the maximum response delay of MLD (RFC 2710 §3.4), the
    /// identifier of home agent discovery and mobile prefix solicitation (RFC 6275 §6.5).
    pub fn half_word(&self) -> Option<u16> {
        self.0.get(4..6).map(be16)
    }
    /// Bytes 6..8: the number of group records of an MLDv2 report (RFC 3810 §5.2).
    pub fn records(&self) -> Option<u16> {
        self.0.get(6..8).map(be16)
    }
    /// The address at 8..24: MLD's multicast address, the neighbor discovery target, the
    /// redirect's target (RFC 2710, RFC 4861 §4.3–§4.5).
    pub fn target(&self) -> Option<Ipv6Addr> {
        self.0.get(8..24).map(ipv6)
    }
    /// The address at 24..40: a redirect's destination (RFC 4861 §4.5).
    pub fn redirect_dst(&self) -> Option<Ipv6Addr> {
        self.0.get(24..40).map(ipv6)
    }
    /// Number of sources of an MLDv2 query (RFC 3810 §5.1).
    pub fn query_sources(&self) -> Option<u16> {
        self.0.get(26..28).map(be16)
    }
    pub fn quoted_src(&self) -> Option<Ipv6Addr> {
        self.0.get(inner6::SRC).map(ipv6)
    }
    pub fn quoted_dst(&self) -> Option<Ipv6Addr> {
        self.0.get(inner6::DST).map(ipv6)
    }
    /// The protocol and destination port of the returned datagram, walking its extension
    /// headers as tcpdump's `get_upperlayer` does; `None` when not captured, for a later
    /// fragment, or for a protocol other than TCP and UDP.
    pub fn quoted_upper_layer(&self) -> Option<(u8, u16)> {
        let m = self.0;
        let mut next = *m.get(inner6::NEXT_HEADER)?;
        let mut at = INNER + inner6::LEN;
        loop {
            match next {
                proto::TCP | proto::UDP => {
                    let port = m.get(at + 2..at + 4)?;
                    return Some((next, be16(port)));
                }
                proto::HOPOPT | proto::IPV6_OPTS | proto::IPV6_ROUTE => {
                    let h = m.get(at..at + 2)?;
                    next = h[0];
                    at += (h[1] as usize + 1) * 8;
                }
                proto::IPV6_FRAG => {
                    let h = m.get(at..at + 4)?;
                    if be16(&h[2..]) & 0xfff8 != 0 {
                        return None;
                    }
                    next = h[0];
                    at += 8;
                }
                proto::AH => {
                    let h = m.get(at..at + 2)?;
                    next = h[0];
                    at += (h[1] as usize + 2) * 4;
                }
                _ => return None,
            }
        }
    }
}
