//! tcpdump's options that add to or shorten its line: `-#` (packet number, print.c
//! `pretty_print_packet`: `%5u  `), `-e` (the link-level header, print-ether.c
//! `ether_addresses_print` and `ether_type_print`) and `-q` (quick: `tcp N` instead of TCP's
//! flags and options, print-tcp.c).

use crate::decode::{Link, Packet, Transport};
use crate::render::fmt::push_u64;

use super::Mac;

/// The optional parts of a tcpdump line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineOptions {
    /// `-#`: the packet's number (from 1) in a 5-wide column before the time.
    pub number: bool,
    /// `-e`: the link-level header after the time.
    pub link_header: bool,
    /// `-q`: less protocol information (`tcp N`).
    pub quick: bool,
}

/// tcpdump's names of the ethertypes it prints with `-e` (print-ether.c, `ethertype_values`).
fn ethertype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x88a8 => "802.1Q-QinQ",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x8035 => "Reverse ARP",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x88cc => "LLDP",
        0x894f => "NSH",
        _ => return None,
    })
}

/// Writes `-e`'s link header of an Ethernet frame (`SRC > DST, ethertype IPv4 (0x0800), length
/// 74: `) and returns true; other link types and VLAN-tagged frames return false (the line is
/// then printed without it, which `-e` users will notice rather than misread).
pub fn link_header(line: &mut Vec<u8>, p: &Packet<'_>) -> bool {
    let Link::Ethernet(e) = &p.link else {
        return false;
    };
    if e.vlan_count > 0 {
        return false;
    }
    let t = e.ether_type;
    let name = ethertype_name(t).unwrap_or("Unknown");
    let head = format!(
        "{} > {}, ethertype {name} (0x{t:04x}), length ",
        Mac(e.src),
        Mac(e.dst)
    );
    line.extend_from_slice(head.as_bytes());
    push_u64(line, p.orig_len as u64);
    line.extend_from_slice(b": ");
    true
}

/// The protocol word tcpdump leaves out after `-e`'s header (it named the ethertype already).
pub fn strip_protocol(line: &mut Vec<u8>, at: usize) {
    for word in [&b"IP6 "[..], b"IP ", b"ARP, "] {
        if line[at..].starts_with(word) {
            line.drain(at..at + word.len());
            return;
        }
    }
}

/// `-q` for TCP: everything after the ports becomes `tcp N` (N: the payload length on the
/// wire). Other protocols keep their line, as tcpdump's UDP and ICMP lines are already short.
pub fn quick(line: &mut Vec<u8>, body_at: usize, p: &Packet<'_>) {
    if !matches!(p.transport, Transport::Tcp(_)) {
        return;
    }
    let Some(colon) = line[body_at..]
        .windows(2)
        .position(|w| w == b": ")
        .map(|i| body_at + i)
    else {
        return;
    };
    line.truncate(colon);
    line.extend_from_slice(b": tcp ");
    push_u64(line, p.payload_wire_len as u64);
}

/// `-#`'s column: the number right-aligned in 5, then two spaces.
pub fn number(line: &mut Vec<u8>, n: u64) {
    let s = format!("{n:5}  ");
    line.extend_from_slice(s.as_bytes());
}
