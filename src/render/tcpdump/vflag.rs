//! tcpdump's `-v` for IPv4, IPv6, TCP, UDP and ICMP: the IP header in parentheses (print-ip.c
//! `ip_print`: `(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` and the
//! rest of the packet on an indented second line; print-ip6.c: `(flowlabel 0x12345, hlim 64,
//! next-header TCP (6) payload length: 40) ` on the same line), and the checksums tcpdump checks
//! at `-v`: TCP's (print-tcp.c, `, cksum 0x1234 (correct)` after the flags), UDP's over IPv6
//! (print-udp.c, `[udp sum ok] `), ICMPv6's (print-icmp6.c, `[icmp6 sum ok] `, and no `, length
//! N` at the end) and a wrong ICMP one (print-icmp.c), whose error messages also print the
//! datagram they quote on a further line.
//!
//! The one-line view is built first; this module adds to it, so both stay one code path.

use crate::decode::checksum::{self, ChecksumStatus};
use crate::decode::{Ipv4Summary, Ipv6Summary, Net, Packet, Transport, proto};

/// tcpdump's names of IP protocols (ipproto.c `ipproto_values`), for `proto NAME (N)`.
pub fn ipproto_name(p: u8) -> &'static str {
    match p {
        0 => "Options",
        proto::ICMP => "ICMP",
        proto::IGMP => "IGMP",
        proto::IPIP => "IPIP",
        proto::TCP => "TCP",
        8 => "EGP",
        9 => "IGRP",
        proto::UDP => "UDP",
        33 => "DCCP",
        proto::IPV6_IN_IP => "IPv6",
        proto::IPV6_ROUTE => "Routing",
        proto::IPV6_FRAG => "Fragment",
        46 => "RSVP",
        proto::GRE => "GRE",
        proto::ESP => "ESP",
        proto::AH => "AH",
        55 => "Mobile IP",
        proto::ICMPV6 => "ICMPv6",
        proto::IPV6_NONXT => "none",
        proto::IPV6_OPTS => "Destination Options",
        62 => "Mobile IP (old)",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        108 => "Compressed IP",
        112 => "VRRP",
        113 => "PGM",
        132 => "SCTP",
        135 => "Mobility",
        _ => "unknown",
    }
}

/// The IPv4 header in parentheses, then the newline and indent of the second line.
fn ipv4(out: &mut String, h: &Ipv4Summary<'_>) {
    out.push_str(&format!("(tos 0x{:x}", h.tos));
    // RFC 3168 §5: the ECN field.
    match h.tos & 3 {
        1 => out.push_str(",ECT(1)"),
        2 => out.push_str(",ECT(0)"),
        3 => out.push_str(",CE"),
        _ => {}
    }
    if h.ttl >= 1 {
        out.push_str(&format!(", ttl {}", h.ttl));
    }
    // ip_frag_values, joined by bittok2str's ", ".
    let flags: Vec<&str> = [
        (h.more_fragments, "+"),
        (h.dont_fragment, "DF"),
        (h.reserved_flag, "rsvd"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, s)| *s)
    .collect();
    let flags = if flags.is_empty() {
        "none".to_string()
    } else {
        flags.join(", ")
    };
    out.push_str(&format!(
        ", id {}, offset {}, flags [{flags}], proto {} ({}), length {}",
        h.id,
        h.frag_offset as u32 * 8,
        ipproto_name(h.protocol),
        h.protocol,
        h.total_len
    ));
    if let Some(expected) = checksum::ipv4(h).expected() {
        out.push_str(&format!(", bad cksum {:x} (->{expected:x})!", h.checksum));
    }
    out.push_str(")\n    ");
}

/// The IPv6 header in parentheses, followed by a space.
fn ipv6(out: &mut String, h: &Ipv6Summary) {
    out.push('(');
    if h.traffic_class != 0 {
        out.push_str(&format!("class 0x{:02x}, ", h.traffic_class));
    }
    if h.flow_label != 0 {
        out.push_str(&format!("flowlabel 0x{:05x}, ", h.flow_label));
    }
    out.push_str(&format!(
        "hlim {}, next-header {} ({}) payload length: {}) ",
        h.hop_limit,
        ipproto_name(h.next_header),
        h.next_header,
        h.payload_len
    ));
}

/// Whether `-v` can describe this packet: TCP, UDP or ICMP in plain IPv4 or IPv6 (no MPLS, IP
/// options or IPv6 extension headers, whose `-v` forms are not implemented). Callers print the one-line form otherwise.
pub fn supported(p: &Packet<'_>) -> bool {
    p.mpls.count == 0
        && matches!(
            p.transport,
            Transport::Tcp(_)
                | Transport::Udp(_)
                | Transport::Icmpv4(_)
                | Transport::Icmpv6(_)
                | Transport::Partial { .. }
        )
        && match &p.net {
            Net::Ipv4(h) => h.options.is_empty(),
            Net::Ipv6(h) => h.ext_count == 0,
            _ => false,
        }
}

/// Finds `needle` in `line` at or after `from`.
fn find(line: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    line.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// Turns the one-line form of `p`, which starts at `at` in `line` with `IP ` or `IP6 `, into
/// tcpdump's `-v` form (`vflag` is the number of `-v`, at least one). `quoted` renders an ICMP
/// error's quoted datagram (already in `-v` form).
pub fn apply(line: &mut Vec<u8>, at: usize, p: &Packet<'_>, quoted: Option<Vec<u8>>, vflag: u8) {
    let mut head = String::new();
    let after_word = match &p.net {
        Net::Ipv4(h) if line[at..].starts_with(b"IP ") => {
            ipv4(&mut head, h);
            at + 3
        }
        Net::Ipv6(h) if line[at..].starts_with(b"IP6 ") => {
            ipv6(&mut head, h);
            at + 4
        }
        _ => return,
    };
    let v6 = matches!(p.net, Net::Ipv6(_));
    let status = checksum::transport(p);
    // Where the transport's own text starts: after "SRC > DST: ".
    let body = find(line, after_word, b": ").map(|i| i + 2);
    match (&p.transport, status, body) {
        (
            Transport::Tcp(_)
            | Transport::Partial {
                protocol: proto::TCP,
                ..
            },
            _,
            Some(b),
        ) if line.ends_with(b"[|tcp]") && find(line, b, b"options [").is_some() => {
            // Options cut by the capture: tcpdump 4.99 closes them with `>` at -v (as printed
            // by tcpdump 4.99.3 for captures/synthetic-truncated.pcap), and checks no checksum.
            line.push(b'>');
        }
        (Transport::Tcp(t), Some(s), Some(b)) if !v6 || payload_len(p) > 0 => {
            if let Some(close) = find(line, b, b"Flags [").and_then(|f| find(line, f, b"]")) {
                let text = match s {
                    ChecksumStatus::Correct => Some(" (correct)".to_string()),
                    s => s.expected().map(|e| format!(" (incorrect -> 0x{e:04x})")),
                };
                if let Some(text) = text {
                    let ins = format!(", cksum 0x{:04x}{text}", t.checksum);
                    line.splice(close + 1..close + 1, ins.bytes());
                }
            }
        }
        (Transport::Udp(u), s, Some(b)) => {
            if rx_port(u.src_port) || rx_port(u.dst_port) {
                // print-rx.c: a payload shorter than the Rx header is reported as cut, with the
                // UDP length (a whole Rx header would be decoded: not implemented, left as is).
                let len = u.length.saturating_sub(8);
                if p.payload.len() < RX_HEADER_LEN
                    && find(line, b, b"UDP, length ").is_some_and(|l| l == b)
                {
                    line.truncate(b);
                    line.extend_from_slice(format!(" [|rx] ({len})").as_bytes());
                }
            }
            // print-udp.c checks UDP's checksum over IPv6 at -v, over IPv4 only at -vv (where
            // a zero field means none was sent, RFC 768).
            let note = match s {
                Some(ChecksumStatus::Absent) if vflag > 1 => Some("[no cksum] ".to_string()),
                Some(s) if v6 || vflag > 1 => sum_note(s, "udp", u.checksum),
                _ => None,
            };
            if let Some(ins) = note {
                line.splice(b..b, ins.bytes());
            }
        }
        (Transport::Icmpv6(i), Some(s), Some(b)) => {
            if let Some(ins) = sum_note(s, "icmp6", i.checksum) {
                line.splice(b..b, ins.bytes());
            }
            // print-icmp6.c prints `, length N` only without -v.
            if let Some(l) = find(line, b, b", length ")
                .filter(|l| line[l + 9..].iter().all(u8::is_ascii_digit) && line.len() > l + 9)
            {
                line.truncate(l);
            }
        }
        (Transport::Icmpv4(i), Some(s), Some(_)) => {
            if let Some(e) = s.expected() {
                line.extend_from_slice(
                    format!(" (wrong icmp cksum {:x} (->{e:x})!)", i.checksum).as_bytes(),
                );
            }
            if let Some(q) = quoted {
                line.extend_from_slice(b"\n\t");
                line.extend_from_slice(&q);
            }
        }
        _ => {}
    }
    line.splice(after_word..after_word, head.bytes());
}

/// AFS Rx's UDP ports (print-udp.c `RX_PORT_LOW`..`RX_PORT_HIGH`), which tcpdump hands to its
/// Rx printer.
fn rx_port(port: u16) -> bool {
    (7000..=7009).contains(&port)
}

/// `sizeof(struct rx_header)` of print-rx.c.
const RX_HEADER_LEN: usize = 28;

/// print-udp.c's and print-icmp6.c's checksum note: `[udp sum ok] ` or `[bad udp cksum 0x0028
/// -> 0x839a!] `; `None` when the checksum could not be checked.
fn sum_note(s: ChecksumStatus, what: &str, stored: u16) -> Option<String> {
    match s {
        ChecksumStatus::Correct => Some(format!("[{what} sum ok] ")),
        s => s
            .expected()
            .map(|e| format!("[bad {what} cksum 0x{stored:04x} -> 0x{e:04x}!] ")),
    }
}

fn payload_len(p: &Packet<'_>) -> u16 {
    match &p.net {
        Net::Ipv6(h) => h.payload_len,
        _ => 0,
    }
}

/// The datagram an ICMP error quotes (RFC 792: its IP header and first 8 bytes), for
/// print-icmp.c's `-v` line; `None` for other ICMP messages.
pub fn quoted_datagram<'a>(p: &Packet<'a>) -> Option<&'a [u8]> {
    match &p.transport {
        // ICMP_ERRTYPE: unreachable, source quench, redirect, time exceeded, parameter problem.
        Transport::Icmpv4(i) if matches!(i.kind, 3 | 4 | 5 | 11 | 12) => Some(p.payload),
        _ => None,
    }
}
