//! IPv6 extension headers on the tcpdump line (print-ip6.c, print-frag6.c, print-rt6.c,
//! print-ah.c without -v): `HBH `, `DSTOPT `, `frag (OFFSET|LEN) `, `RT6 (...) `,
//! `AH(...): `, after which TCP and UDP show their ports without the addresses.

use super::tcp::be32;
use crate::decode::{Ipv6Summary, Packet, proto};
use crate::render::fmt::{push_hex, push_hex_bytes, push_hex_width, push_ipv6, push_u64};

/// Protocols whose printers show the addresses themselves when they follow the fixed IPv6
/// header directly (tcpdump's ip6_print): then no extension header is printed first.
pub fn leaves_addresses_to_transport(next_header: u8) -> bool {
    matches!(next_header, proto::TCP | proto::UDP | DCCP | SCTP)
}

const DCCP: u8 = 33;
const SCTP: u8 = 132;
/// IPv6 fixed header length (RFC 8200 §3).
const FIXED_LEN: usize = 40;
/// Routing header types that list addresses (RFC 5095 type 0, RFC 6275 type 2).
const RT_TYPE_0: u8 = 0;
const RT_TYPE_2: u8 = 2;
/// Segment routing header (RFC 8754 §2).
const RT_TYPE_4: u8 = 4;

/// Writes the extension headers; false when tcpdump prints nothing after them (a later
/// fragment, a routing header it cannot read).
pub fn headers(line: &mut Vec<u8>, p: &Packet<'_>, h: &Ipv6Summary) -> bool {
    let base = p.net_offset as usize + FIXED_LEN;
    let mut before = 0usize;
    for e in h.exts() {
        let at = p.data.get(base + before..).unwrap_or(&[]);
        match e.kind {
            proto::HOPOPT => line.extend_from_slice(b"HBH "),
            proto::IPV6_OPTS => line.extend_from_slice(b"DSTOPT "),
            proto::IPV6_FRAG => {
                let offset = h.fragment.map(|f| f.offset as u32 * 8).unwrap_or(0);
                line.extend_from_slice(b"frag (");
                push_u64(line, offset as u64);
                line.push(b'|');
                let rest = (h.payload_len as usize).saturating_sub(before + 8);
                push_u64(line, rest as u64);
                line.push(b')');
                if offset != 0 {
                    // tcpdump does not decode what a later fragment carries.
                    return false;
                }
                line.push(b' ');
            }
            proto::IPV6_ROUTE if !routing(line, at) => return false,
            proto::AH => auth(line, at, e.len as usize),
            _ => {}
        }
        before += e.len as usize;
    }
    true
}

/// `RT6 (len=L, type=T, segleft=S, ..., [0]ADDR, ...) ` for the source route (type 0, deprecated
/// by RFC 5095), type 2 (RFC 6275) and the segment routing header (type 4, RFC 8754).
fn routing(line: &mut Vec<u8>, r: &[u8]) -> bool {
    if r.len() < 8 {
        line.extend_from_slice(b"RT6 [|rt6]");
        return false;
    }
    let (len, kind, segleft) = (r[1], r[2], r[3]);
    line.extend_from_slice(b"RT6 (len=");
    push_u64(line, len as u64);
    line.extend_from_slice(b", type=");
    push_u64(line, kind as u64);
    if kind == RT_TYPE_0 {
        line.extend_from_slice(b" [Deprecated]");
    }
    line.extend_from_slice(b", segleft=");
    push_u64(line, segleft as u64);
    let addrs = match kind {
        RT_TYPE_0 | RT_TYPE_2 => {
            let reserved = be32(&r[4..]);
            if reserved != 0 {
                line.extend_from_slice(b", rsv=0x");
                push_hex(line, reserved as u64);
            }
            if len % 2 == 1 {
                line.extend_from_slice(b" (invalid)");
                return false;
            }
            (len / 2) as usize
        }
        RT_TYPE_4 => {
            line.extend_from_slice(b", last-entry=");
            push_u64(line, r[4] as u64);
            if r[5] != 0 {
                line.extend_from_slice(b", flags=0x");
                push_hex(line, r[5] as u64);
            }
            line.extend_from_slice(b", tag=");
            push_hex(line, u16::from_be_bytes([r[6], r[7]]) as u64);
            r[4] as usize + 1
        }
        _ => {
            line.extend_from_slice(b" (unknown type) (invalid)");
            return false;
        }
    };
    for i in 0..addrs {
        let Some(a) = r.get(8 + 16 * i..8 + 16 * (i + 1)) else {
            line.extend_from_slice(b" [|rt6]");
            return false;
        };
        line.extend_from_slice(b", [");
        push_u64(line, i as u64);
        line.push(b']');
        let mut b = [0u8; 16];
        b.copy_from_slice(a);
        push_ipv6(line, &b);
    }
    line.extend_from_slice(b") ");
    true
}

/// `AH(spi=0xSSSSSSSS,seq=0xN,icv=0x...): ` (RFC 4302 §2).
fn auth(line: &mut Vec<u8>, a: &[u8], len: usize) {
    if a.len() < 12 {
        line.extend_from_slice(b"AH [|AH]");
        return;
    }
    line.extend_from_slice(b"AH(spi=0x");
    push_hex_width(line, be32(&a[4..]) as u64, 8);
    line.extend_from_slice(b",seq=0x");
    push_hex(line, be32(&a[8..]) as u64);
    line.extend_from_slice(b",icv=0x");
    push_hex_bytes(line, a.get(12..len.min(a.len())).unwrap_or(&[]));
    line.extend_from_slice(b"): ");
}
