//! ARP (RFC 826) on the tcpdump line (print-arp.c without -v), for any hardware address length:
//! `ARP, Request who-has A [(HW)] tell B, length N`, `ARP, Reply A is-at HW, length N`.

use std::net::Ipv4Addr;

use crate::decode::{Packet, arp as decode_arp, ethertype};
use crate::render::fmt::{push_hex_bytes, push_hex_width, push_ipv4, push_u64};

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

fn ip(line: &mut Vec<u8>, a: Ipv4Addr) {
    push_ipv4(line, a.octets());
}

/// Writes the ARP line (without a newline).
pub fn arp(line: &mut Vec<u8>, p: &Packet<'_>) {
    line.extend_from_slice(b"ARP, ");
    let Some(a) = decode_arp::read(p) else {
        line.extend_from_slice(b"[|ARP]");
        return;
    };
    let length = decode_arp::wire_len(p);
    let Some((spa, tpa)) = a.ipv4() else {
        match a.hw_type {
            1 => line.extend_from_slice(b"Ethernet"),
            hrd => {
                line.extend_from_slice(b"Unknown Hardware (");
                push_u64(line, hrd as u64);
                line.push(b')');
            }
        }
        line.extend_from_slice(b" (len ");
        push_u64(line, a.sender_hw.len() as u64);
        line.extend_from_slice(b"), ");
        match a.proto_type {
            ethertype::IPV4 => line.extend_from_slice(b"IPv4"),
            pro => {
                line.extend_from_slice(b"Unknown Protocol (0x");
                push_hex_width(line, pro as u64, 4);
                line.push(b')');
            }
        }
        line.extend_from_slice(b" (len ");
        push_u64(line, a.sender_proto.len() as u64);
        line.push(b')');
        line.extend_from_slice(b", length ");
        push_u64(line, length as u64);
        return;
    };
    let (sha, tha, op) = (a.sender_hw, a.target_hw, a.operation);
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
    line.extend_from_slice(b", length ");
    push_u64(line, length as u64);
}
