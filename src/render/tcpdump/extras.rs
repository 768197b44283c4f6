//! tcpdump's options that add to or shorten its line: `-#` (packet number, print.c
//! `pretty_print_packet`: `%5u  `), `-e` (the link-level header, print-ether.c
//! `ether_addresses_print` and `ether_type_print`) and `-q` (quick: `tcp N` instead of TCP's
//! flags and options, print-tcp.c), and the interface-and-direction prefix of a Linux cooked v2
//! (SLL2) packet (print-sll.c `sll2_if_print`, with `-e` `sll2_print`).

use crate::decode::{Link, Packet, SllSummary, Transport};
use crate::render::fmt::{push_hex_width, push_mac, push_u64};

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
    /// How many `-v` were given (0 to 3): `-v` adds the IP header's fields and the checksums
    /// ([`super::vflag`]); `-vv` also TCP's sequence number on every segment, UDP's checksum
    /// over IPv4 and DNS's other sections; `-vvv` also DNS's record TTLs.
    pub verbose: u8,
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
    // Written piece by piece: `format!` and the MACs' `Display` cost several times the rest
    // of the line.
    push_mac(line, e.src);
    line.extend_from_slice(b" > ");
    push_mac(line, e.dst);
    line.extend_from_slice(b", ethertype ");
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b" (0x");
    push_hex_width(line, t as u64, 4);
    line.extend_from_slice(b"), length ");
    push_u64(line, p.orig_len as u64);
    line.extend_from_slice(b": ");
    true
}

/// The names of interfaces by index, looked up on this machine once each, as tcpdump does with
/// if_indextoname(3) when it prints an SLL2 packet (the file does not carry the names; tcpdump
/// warns "interface names might be incorrect" for that reason).
#[derive(Debug, Default)]
pub struct InterfaceNames {
    known: Vec<(u32, Option<String>)>,
}

impl InterfaceNames {
    fn name(&mut self, index: u32) -> &str {
        let at = match self.known.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None => {
                self.known
                    .push((index, crate::sys::ifaddrs::name_of(index)));
                self.known.len() - 1
            }
        };
        self.known[at].1.as_deref().unwrap_or("?")
    }
}

/// tcpdump's direction words for `sll_pkttype` (print-sll.c `sll_pkttype_values`).
fn direction(packet_type: u16) -> &'static str {
    match packet_type {
        0 => "In",
        1 => "B",
        2 => "M",
        3 => "P",
        4 => "Out",
        _ => "?",
    }
}

/// An SLL2 packet's prefix, `%-5s %-3s ` of interface name and direction (`lo    In  `), and with
/// `-e` its header: `ifindex N [MAC ]` and, unless `-q`, `ethertype IPv4 (0x0800), length L: `.
/// Returns whether the `-e` header was written (then the protocol word is left out, as for
/// Ethernet).
pub fn sll2_prefix(
    line: &mut Vec<u8>,
    s: &SllSummary,
    p: &Packet<'_>,
    names: &mut InterfaceNames,
    options: &LineOptions,
) -> bool {
    let head = format!(
        "{:<5} {:<3} ",
        names.name(s.if_index),
        direction(s.packet_type)
    );
    line.extend_from_slice(head.as_bytes());
    if !options.link_header {
        return false;
    }
    let mut head = format!("ifindex {} ", s.if_index);
    if s.addr_len == 6 {
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&s.addr[..6]);
        head += &format!("{} ", Mac(mac));
    }
    if !options.quick {
        let t = s.protocol;
        let name = ethertype_name(t).unwrap_or("Unknown");
        head += &format!("ethertype {name} (0x{t:04x}), length {}: ", p.orig_len);
    }
    line.extend_from_slice(head.as_bytes());
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
/// wire); for UDP `UDP, length N`, without the application. Other protocols keep their line.
pub fn quick(line: &mut Vec<u8>, body_at: usize, p: &Packet<'_>) {
    let udp_len = match &p.transport {
        Transport::Tcp(_) => None,
        // print-udp.c: with -q, `UDP, length N` and no application decoding.
        Transport::Udp(u) if u.length >= 8 => Some(u.length - 8),
        _ => return,
    };
    let Some(colon) = line[body_at..]
        .windows(2)
        .position(|w| w == b": ")
        .map(|i| body_at + i)
    else {
        return;
    };
    line.truncate(colon);
    match udp_len {
        Some(n) => {
            line.extend_from_slice(b": UDP, length ");
            push_u64(line, n as u64);
        }
        None => {
            line.extend_from_slice(b": tcp ");
            push_u64(line, p.payload_wire_len as u64);
        }
    }
}

/// `-#`'s column: the number right-aligned in 5, then two spaces.
pub fn number(line: &mut Vec<u8>, n: u64) {
    let s = format!("{n:5}  ");
    line.extend_from_slice(s.as_bytes());
}
