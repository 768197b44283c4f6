//! ARP (RFC 826) on the tcpdump line (print-arp.c without -v), for any hardware address length:
//! `ARP, Request who-has A [(HW)] tell B, length N`, `ARP, Reply A is-at HW, length N`.

use super::tcp::be16;
use crate::decode::{Packet, ethertype};
use crate::render::fmt::{push_hex_bytes, push_hex_width, push_ipv4, push_u64};

/// Field positions (RFC 826): hardware type, protocol type, their address lengths, operation.
const HRD: std::ops::Range<usize> = 0..2;
const PRO: std::ops::Range<usize> = 2..4;
const HLN: usize = 4;
const PLN: usize = 5;
const OP: std::ops::Range<usize> = 6..8;
const ADDRS: usize = 8;
/// An old ethertype for trailer-encapsulated IP, which ARP may name (RFC 893).
const ETHERTYPE_TRAIL: u16 = 0x1000;

/// Operation names (`arpop_values`).
const OPS: [(u16, &str); 7] = [
    (1, "Request"),
    (2, "Reply"),
    (3, "Reverse Request"),
    (4, "Reverse Reply"),
    (8, "Inverse Request"),
    (9, "Inverse Reply"),
    (10, "NACK Reply"),
];

/// A link-layer address: Ethernet's colon form for 6 bytes, else colon-separated hex bytes.
fn linkaddr(line: &mut Vec<u8>, a: &[u8]) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            line.push(b':');
        }
        push_hex_bytes(line, std::slice::from_ref(b));
    }
}

fn ip(line: &mut Vec<u8>, a: &[u8]) {
    push_ipv4(line, [a[0], a[1], a[2], a[3]]);
}

/// Writes the ARP line (without a newline).
pub fn arp(line: &mut Vec<u8>, p: &Packet<'_>) {
    let a = p.data.get(p.net_offset as usize..).unwrap_or(&[]);
    let length = (p.orig_len as usize).saturating_sub(p.net_offset as usize);
    line.extend_from_slice(b"ARP, ");
    let Some(fixed) = a.get(..ADDRS) else {
        line.extend_from_slice(b"[|ARP]");
        return;
    };
    let (hrd, pro, hln, pln) = (
        be16(&fixed[HRD]),
        be16(&fixed[PRO]),
        fixed[HLN] as usize,
        fixed[PLN] as usize,
    );
    let op = be16(&fixed[OP]);
    let need = ADDRS + 2 * (hln + pln);
    let Some(body) = a.get(ADDRS..need) else {
        line.extend_from_slice(b"[|ARP]");
        return;
    };
    if (pro != ethertype::IPV4 && pro != ETHERTYPE_TRAIL) || pln != 4 || hln == 0 {
        match hrd {
            1 => line.extend_from_slice(b"Ethernet"),
            _ => {
                line.extend_from_slice(b"Unknown Hardware (");
                push_u64(line, hrd as u64);
                line.push(b')');
            }
        }
        line.extend_from_slice(b" (len ");
        push_u64(line, hln as u64);
        line.extend_from_slice(b"), ");
        match pro {
            ethertype::IPV4 => line.extend_from_slice(b"IPv4"),
            _ => {
                line.extend_from_slice(b"Unknown Protocol (0x");
                push_hex_width(line, pro as u64, 4);
                line.push(b')');
            }
        }
        line.extend_from_slice(b" (len ");
        push_u64(line, pln as u64);
        line.push(b')');
    } else {
        let (sha, rest) = body.split_at(hln);
        let (spa, rest) = rest.split_at(pln);
        let (tha, tpa) = rest.split_at(hln);
        match OPS.iter().find(|(n, _)| *n == op) {
            Some((_, name)) => line.extend_from_slice(name.as_bytes()),
            None => {
                line.extend_from_slice(b"Unknown (");
                push_u64(line, op as u64);
                line.push(b')');
            }
        }
        line.push(b' ');
        match op {
            1 => {
                line.extend_from_slice(b"who-has ");
                ip(line, tpa);
                if tha.iter().any(|b| *b != 0) {
                    line.extend_from_slice(b" (");
                    linkaddr(line, tha);
                    line.push(b')');
                }
                line.extend_from_slice(b" tell ");
                ip(line, spa);
            }
            2 => {
                ip(line, spa);
                line.extend_from_slice(b" is-at ");
                linkaddr(line, sha);
            }
            3 => {
                line.extend_from_slice(b"who-is ");
                linkaddr(line, tha);
                line.extend_from_slice(b" tell ");
                linkaddr(line, sha);
            }
            4 => {
                linkaddr(line, tha);
                line.extend_from_slice(b" at ");
                ip(line, tpa);
            }
            // tcpdump dumps other operations in hex, on lines of their own.
            _ => return,
        }
    }
    line.extend_from_slice(b", length ");
    push_u64(line, length as u64);
}
