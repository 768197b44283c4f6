//! IPv6 extension headers on the tcpdump line (print-ip6.c, print-frag6.c, print-rt6.c,
//! print-ah.c without -v): `HBH `, `DSTOPT `, `frag (OFFSET|LEN) `, `RT6 (...) `,
//! `AH(...): `, after which TCP and UDP show their ports without the addresses.

use crate::decode::ipv6_ext::{self, Auth, Routing, RoutingKind};
use crate::decode::{Ipv6Summary, Packet, proto};
use crate::render::fmt::{push_hex, push_hex_bytes, push_hex_width, push_ipv6, push_u64};

/// Protocols whose printers show the addresses themselves when they follow the fixed IPv6
/// header directly (tcpdump's ip6_print): then no extension header is printed first.
pub fn leaves_addresses_to_transport(next_header: u8) -> bool {
    matches!(next_header, proto::TCP | proto::UDP | DCCP | SCTP)
}

const DCCP: u8 = 33;
const SCTP: u8 = 132;

/// Writes the extension headers; false when tcpdump prints nothing after them (a later
/// fragment, a routing header it cannot read).
pub fn headers(line: &mut Vec<u8>, p: &Packet<'_>, h: &Ipv6Summary) -> bool {
    for e in ipv6_ext::headers(p, h) {
        match e.ext.kind {
            proto::HOPOPT => line.extend_from_slice(b"HBH "),
            proto::IPV6_OPTS => line.extend_from_slice(b"DSTOPT "),
            proto::IPV6_FRAG => {
                let offset = h.fragment.map(|f| f.offset as u32 * 8).unwrap_or(0);
                line.extend_from_slice(b"frag (");
                push_u64(line, offset as u64);
                line.push(b'|');
                let rest = (h.payload_len as usize).saturating_sub(e.before + 8);
                push_u64(line, rest as u64);
                line.push(b')');
                if offset != 0 {
                    // tcpdump does not decode what a later fragment carries.
                    return false;
                }
                line.push(b' ');
            }
            proto::IPV6_ROUTE if !routing(line, e.routing()) => return false,
            proto::AH => auth(line, e.auth()),
            _ => {}
        }
    }
    true
}

/// `RT6 (len=L, type=T, segleft=S, ..., [0]ADDR, ...) ` for the source route (type 0, deprecated
/// by RFC 5095), type 2 (RFC 6275) and the segment routing header (type 4, RFC 8754).
fn routing(line: &mut Vec<u8>, r: Option<Routing<'_>>) -> bool {
    let Some(r) = r else {
        line.extend_from_slice(b"RT6 [|rt6]");
        return false;
    };
    line.extend_from_slice(b"RT6 (len=");
    push_u64(line, r.len as u64);
    line.extend_from_slice(b", type=");
    push_u64(line, r.kind as u64);
    if r.kind == ipv6_ext::RT_TYPE_0 {
        line.extend_from_slice(b" [Deprecated]");
    }
    line.extend_from_slice(b", segleft=");
    push_u64(line, r.segments_left as u64);
    let addrs = match r.detail {
        RoutingKind::Addresses {
            reserved,
            addresses,
        } => {
            if reserved != 0 {
                line.extend_from_slice(b", rsv=0x");
                push_hex(line, reserved as u64);
            }
            let Some(n) = addresses else {
                line.extend_from_slice(b" (invalid)");
                return false;
            };
            n
        }
        RoutingKind::Segments {
            last_entry,
            flags,
            tag,
        } => {
            line.extend_from_slice(b", last-entry=");
            push_u64(line, last_entry as u64);
            if flags != 0 {
                line.extend_from_slice(b", flags=0x");
                push_hex(line, flags as u64);
            }
            line.extend_from_slice(b", tag=");
            push_hex(line, tag as u64);
            last_entry as usize + 1
        }
        RoutingKind::Unknown => {
            line.extend_from_slice(b" (unknown type) (invalid)");
            return false;
        }
    };
    for i in 0..addrs {
        let Some(a) = r.address(i) else {
            line.extend_from_slice(b" [|rt6]");
            return false;
        };
        line.extend_from_slice(b", [");
        push_u64(line, i as u64);
        line.push(b']');
        push_ipv6(line, &a.octets());
    }
    line.extend_from_slice(b") ");
    true
}

/// `AH(spi=0xSSSSSSSS,seq=0xN,icv=0x...): ` (RFC 4302 §2).
fn auth(line: &mut Vec<u8>, a: Option<Auth<'_>>) {
    let Some(a) = a else {
        line.extend_from_slice(b"AH [|AH]");
        return;
    };
    line.extend_from_slice(b"AH(spi=0x");
    push_hex_width(line, a.spi as u64, 8);
    line.extend_from_slice(b",seq=0x");
    push_hex(line, a.seq as u64);
    line.extend_from_slice(b",icv=0x");
    push_hex_bytes(line, a.icv);
    line.extend_from_slice(b"): ");
}
