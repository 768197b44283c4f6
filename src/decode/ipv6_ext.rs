//! The details of IPv6 extension headers (RFC 8200 §4) that tcpdump's print-ip6.c,
//! print-rt6.c and print-ah.c show: routing headers with their addresses, the authentication
//! header's fields. Views over the captured bytes of the headers [`Ipv6Summary::exts`] lists;
//! `None` where the capture ends. Nothing is allocated per packet.

use std::net::Ipv6Addr;

use super::{Ipv6Ext, Ipv6Summary, Packet, be16, be32, proto};

/// IPv6 fixed header length (RFC 8200 §3).
const FIXED_LEN: usize = 40;
/// Routing header types that list addresses (RFC 5095 type 0, RFC 6275 type 2).
pub const RT_TYPE_0: u8 = 0;
pub const RT_TYPE_2: u8 = 2;
/// Segment routing header (RFC 8754 §2).
pub const RT_TYPE_4: u8 = 4;

/// One extension header with its captured bytes.
#[derive(Clone, Copy, Debug)]
pub struct ExtHeader<'a> {
    pub ext: Ipv6Ext,
    /// Bytes of extension headers before this one.
    pub before: usize,
    bytes: &'a [u8],
}

/// What a routing header's type adds after its first four fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingKind {
    /// Types 0 and 2: a reserved word, then addresses; `addresses` is `None` when the length
    /// is odd (no whole number of addresses).
    Addresses {
        reserved: u32,
        addresses: Option<usize>,
    },
    /// Type 4 (RFC 8754 §2): the index of the last segment, flags and tag.
    Segments {
        last_entry: u8,
        flags: u8,
        tag: u16,
    },
    Unknown,
}

/// A routing header (RFC 8200 §4.4) whose first 8 bytes were captured.
#[derive(Clone, Copy, Debug)]
pub struct Routing<'a> {
    pub len: u8,
    pub kind: u8,
    pub segments_left: u8,
    pub detail: RoutingKind,
    bytes: &'a [u8],
}

impl Routing<'_> {
    /// Address `i` of the list, `None` when not captured.
    pub fn address(&self, i: usize) -> Option<Ipv6Addr> {
        let a = self.bytes.get(8 + 16 * i..8 + 16 * (i + 1))?;
        let mut b = [0u8; 16];
        b.copy_from_slice(a);
        Some(Ipv6Addr::from(b))
    }
}

/// An authentication header (RFC 4302 §2) whose first 12 bytes were captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Auth<'a> {
    pub spi: u32,
    pub seq: u32,
    /// The integrity check value, as far as captured.
    pub icv: &'a [u8],
}

impl<'a> ExtHeader<'a> {
    /// The routing header's fields; `None` for another header or when not captured.
    pub fn routing(&self) -> Option<Routing<'a>> {
        let r = self.bytes;
        if self.ext.kind != proto::IPV6_ROUTE || r.len() < 8 {
            return None;
        }
        let (len, kind) = (r[1], r[2]);
        let detail = match kind {
            RT_TYPE_0 | RT_TYPE_2 => RoutingKind::Addresses {
                reserved: be32(&r[4..]),
                addresses: (len % 2 == 0).then_some((len / 2) as usize),
            },
            RT_TYPE_4 => RoutingKind::Segments {
                last_entry: r[4],
                flags: r[5],
                tag: be16(&r[6..]),
            },
            _ => RoutingKind::Unknown,
        };
        Some(Routing {
            len,
            kind,
            segments_left: r[3],
            detail,
            bytes: r,
        })
    }

    /// The authentication header's fields; `None` for another header or when not captured.
    pub fn auth(&self) -> Option<Auth<'a>> {
        let a = self.bytes;
        if self.ext.kind != proto::AH || a.len() < 12 {
            return None;
        }
        let len = self.ext.len as usize;
        Some(Auth {
            spi: be32(&a[4..]),
            seq: be32(&a[8..]),
            icv: a.get(12..len.min(a.len())).unwrap_or(&[]),
        })
    }
}

/// The extension headers of an IPv6 packet, in order, with their captured bytes.
pub struct ExtHeaders<'a, 's> {
    exts: std::slice::Iter<'s, Ipv6Ext>,
    data: &'a [u8],
    base: usize,
    before: usize,
}

impl<'a> Iterator for ExtHeaders<'a, '_> {
    type Item = ExtHeader<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let ext = *self.exts.next()?;
        let before = self.before;
        self.before += ext.len as usize;
        Some(ExtHeader {
            ext,
            before,
            bytes: self.data.get(self.base + before..).unwrap_or(&[]),
        })
    }
}

/// Walks the extension headers `h` lists in packet `p`.
pub fn headers<'a, 's>(p: &Packet<'a>, h: &'s Ipv6Summary) -> ExtHeaders<'a, 's> {
    ExtHeaders {
        exts: h.exts().iter(),
        data: p.data,
        base: p.net_offset as usize + FIXED_LEN,
        before: 0,
    }
}
