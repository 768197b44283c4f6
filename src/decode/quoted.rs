//! The datagram quoted inside an ICMP error (RFC 792: the IP header and at least the first
//! 8 bytes of the offending datagram; RFC 4443 §2.4 for ICMPv6), read far enough to say which
//! conversation the error is about.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Packet, Transport, proto};

/// Fields of the IPv4 header (RFC 791 §3.1).
mod ipv4 {
    pub const VER_IHL: usize = 0;
    pub const PROTOCOL: usize = 9;
    pub const SRC: std::ops::Range<usize> = 12..16;
    pub const DST: std::ops::Range<usize> = 16..20;
    pub const MIN_LEN: usize = 20;
}

/// Fields of the IPv6 header (RFC 8200 §3).
mod ipv6 {
    pub const NEXT_HEADER: usize = 6;
    pub const SRC: std::ops::Range<usize> = 8..24;
    pub const DST: std::ops::Range<usize> = 24..40;
    pub const LEN: usize = 40;
}

/// ICMP types that quote a datagram: destination unreachable, source quench, redirect, time
/// exceeded, parameter problem.
const ICMPV4_ERRORS: [u8; 5] = [3, 4, 5, 11, 12];
/// ICMPv6 error messages are types 0..=127 (RFC 4443 §2.1).
const ICMPV6_ERROR_MAX: u8 = 127;

/// The conversation an ICMP error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quoted {
    pub protocol: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Source and destination ports, for TCP and UDP when quoted.
    pub ports: Option<(u16, u16)>,
}

/// Reads the datagram quoted by an ICMP or ICMPv6 error; `None` for other packets or when too
/// little was quoted or captured.
pub fn icmp_quote(p: &Packet<'_>) -> Option<Quoted> {
    let q = p.payload;
    let (protocol, src, dst, hl) = match &p.transport {
        Transport::Icmpv4(i) if ICMPV4_ERRORS.contains(&i.kind) => {
            if q.len() < ipv4::MIN_LEN || q[ipv4::VER_IHL] >> 4 != 4 {
                return None;
            }
            let hl = (q[ipv4::VER_IHL] & 0x0f) as usize * 4;
            let a = |r: std::ops::Range<usize>| {
                Ipv4Addr::new(q[r.start], q[r.start + 1], q[r.start + 2], q[r.start + 3])
            };
            (
                q[ipv4::PROTOCOL],
                IpAddr::V4(a(ipv4::SRC)),
                IpAddr::V4(a(ipv4::DST)),
                hl,
            )
        }
        Transport::Icmpv6(i) if i.kind <= ICMPV6_ERROR_MAX => {
            if q.len() < ipv6::LEN || q[0] >> 4 != 6 {
                return None;
            }
            let a = |r: std::ops::Range<usize>| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&q[r]);
                Ipv6Addr::from(b)
            };
            (
                q[ipv6::NEXT_HEADER],
                IpAddr::V6(a(ipv6::SRC)),
                IpAddr::V6(a(ipv6::DST)),
                ipv6::LEN,
            )
        }
        _ => return None,
    };
    let ports = match protocol {
        proto::TCP | proto::UDP => q.get(hl..hl + 4).map(|b| {
            (
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            )
        }),
        _ => None,
    };
    Some(Quoted {
        protocol,
        src,
        dst,
        ports,
    })
}
