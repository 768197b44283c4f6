//! ICMP (RFC 792) and ICMPv6 (RFC 4443) on the tcpdump line, as print-icmp.c and
//! print-icmp6.c print them without -v: echo, every unreachable code with the destination (and
//! port) of the datagram it returns, redirects, router advertisements, time exceeded, parameter
//! problems, time stamps, address masks, neighbor discovery and multicast listener messages.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::decode::icmp::{Icmp, Icmp6};
use crate::decode::proto;
use crate::render::fmt::{push_hex_width, push_ipv4, push_ipv6, push_u64, push_u64_width};

/// ICMP message types (RFC 792, RFC 1256, RFC 8335).
mod ty {
    pub const ECHO_REPLY: u8 = 0;
    pub const UNREACH: u8 = 3;
    pub const REDIRECT: u8 = 5;
    pub const ECHO: u8 = 8;
    pub const ROUTER_ADVERT: u8 = 9;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAM_PROBLEM: u8 = 12;
    pub const TSTAMP: u8 = 13;
    pub const TSTAMP_REPLY: u8 = 14;
    pub const MASK_REPLY: u8 = 18;
    pub const EXT_ECHO: u8 = 42;
    pub const EXT_ECHO_REPLY: u8 = 43;
}

/// Names of the types without more to print (`icmp2str`); others are `type-#N`.
const NAMES: [(u8, &str); 5] = [
    (4, "source quench"),
    (10, "router solicitation"),
    (15, "information request"),
    (16, "information reply"),
    (17, "address mask request"),
];

/// Unreachable codes 5..=15 (RFC 792, RFC 1122, RFC 1812): prefix before the address, text after.
const UNREACH: [(&str, &str); 11] = [
    ("", " unreachable - source route failed"),
    ("net ", " unreachable - unknown"),
    ("host ", " unreachable - unknown"),
    ("", " unreachable - source host isolated"),
    ("net ", " unreachable - admin prohibited"),
    ("host ", " unreachable - admin prohibited"),
    ("net ", " unreachable - tos prohibited"),
    ("host ", " unreachable - tos prohibited"),
    ("host ", " unreachable - admin prohibited filter"),
    ("host ", " unreachable - host precedence violation"),
    ("host ", " unreachable - precedence cutoff"),
];

/// Redirect codes (RFC 792): net, host, tos and net, tos and host.
const REDIRECT: [&str; 4] = [
    "redirect %s to net ",
    "redirect %s to host ",
    "redirect-tos %s to net ",
    "redirect-tos %s to host ",
];

fn addr(line: &mut Vec<u8>, a: Ipv4Addr) {
    push_ipv4(line, a.octets());
}

/// Milliseconds since midnight UTC as `HH:MM:SS.mmm` (RFC 792 time stamps).
fn ms_of_day(line: &mut Vec<u8>, t: u32) {
    let (ms, s) = (t % 1000, t / 1000);
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    for (i, v) in [h, m, s].into_iter().enumerate() {
        if i > 0 {
            line.push(b':');
        }
        if v < 10 {
            line.push(b'0');
        }
        push_u64(line, v as u64);
    }
    line.push(b'.');
    push_u64_width(line, ms as u64, 3);
}

/// `echo request, id I, seq S` and its kin.
fn echo(line: &mut Vec<u8>, name: &str, what: &str, id: u16, seq: u16) {
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(what.as_bytes());
    line.extend_from_slice(b", id ");
    push_u64(line, id as u64);
    line.extend_from_slice(b", seq ");
    push_u64(line, seq as u64);
}

/// Writes `ICMP ..., length N` for the ICMP message `m` (captured bytes) of wire length `len`;
/// ` [|icmp]` where tcpdump runs out of captured bytes.
pub fn icmp(line: &mut Vec<u8>, m: &[u8], len: u32) {
    let start = line.len();
    if !body(line, m) {
        line.truncate(start);
        line.extend_from_slice(b" [|icmp]");
        return;
    }
    line.extend_from_slice(b", length ");
    push_u64(line, len as u64);
}

/// The text after `ICMP `; false when the bytes it needs were not captured.
fn body(line: &mut Vec<u8>, m: &[u8]) -> bool {
    body_of(line, Icmp::new(m)).is_some()
}

fn body_of(line: &mut Vec<u8>, m: Icmp<'_>) -> Option<()> {
    let kind = m.kind()?;
    let code = m.code();
    line.extend_from_slice(b"ICMP ");
    match kind {
        ty::ECHO | ty::ECHO_REPLY => {
            let (id, seq) = m.id_seq()?;
            let what = if kind == ty::ECHO { "request" } else { "reply" };
            echo(line, "echo ", what, id, seq);
        }
        ty::UNREACH => {
            let dst = m.quoted_dst()?;
            let inner_proto = m.quoted_protocol()?;
            match code {
                0 | 1 => {
                    line.extend_from_slice(if code == 0 { b"net " } else { b"host " });
                    addr(line, dst);
                    line.extend_from_slice(b" unreachable");
                }
                2 => {
                    addr(line, dst);
                    line.extend_from_slice(b" protocol ");
                    push_u64(line, inner_proto as u64);
                    line.extend_from_slice(b" unreachable");
                }
                3 => {
                    let dport = m.quoted_dst_port()? as u64;
                    addr(line, dst);
                    match inner_proto {
                        proto::TCP => line.extend_from_slice(b" tcp port "),
                        proto::UDP => line.extend_from_slice(b" udp port "),
                        p => {
                            line.extend_from_slice(b" protocol ");
                            push_u64(line, p as u64);
                            line.extend_from_slice(b" port ");
                        }
                    }
                    push_u64(line, dport);
                    line.extend_from_slice(b" unreachable");
                }
                4 => {
                    let mtu = m.next_hop_mtu()?;
                    addr(line, dst);
                    line.extend_from_slice(b" unreachable - need to frag");
                    if mtu != 0 {
                        line.extend_from_slice(b" (mtu ");
                        push_u64(line, mtu as u64);
                        line.push(b')');
                    }
                }
                5..=15 => {
                    let (before, after) = UNREACH[code as usize - 5];
                    line.extend_from_slice(before.as_bytes());
                    addr(line, dst);
                    line.extend_from_slice(after.as_bytes());
                }
                _ => {
                    addr(line, dst);
                    line.extend_from_slice(b" unreachable - #");
                    push_u64(line, code as u64);
                }
            }
        }
        ty::REDIRECT => {
            let (dst, gw) = (m.quoted_dst()?, m.gateway()?);
            match REDIRECT.get(code as usize) {
                Some(f) => {
                    let (a, b) = f.split_once("%s").unwrap_or((f, ""));
                    line.extend_from_slice(a.as_bytes());
                    addr(line, dst);
                    line.extend_from_slice(b.as_bytes());
                }
                None => {
                    line.extend_from_slice(b"redirect-#");
                    push_u64(line, code as u64);
                    line.push(b' ');
                    addr(line, dst);
                    line.extend_from_slice(b" to ");
                }
            }
            addr(line, gw);
        }
        ty::ROUTER_ADVERT => {
            let ra = m.router_advert()?;
            line.extend_from_slice(b"router advertisement lifetime ");
            let life = ra.lifetime as u64;
            if life < 60 {
                push_u64(line, life);
            } else if life < 3600 {
                push_u64(line, life / 60);
                line.push(b':');
                push_u64_width(line, life % 60, 2);
            } else {
                push_u64(line, life / 3600);
                line.push(b':');
                push_u64_width(line, (life % 3600) / 60, 2);
                line.push(b':');
                push_u64_width(line, life % 60, 2);
            }
            line.push(b' ');
            push_u64(line, ra.num_addrs as u64);
            line.push(b':');
            if ra.entry_size != 2 {
                line.extend_from_slice(b" [size ");
                push_u64(line, ra.entry_size as u64);
                line.push(b']');
            }
            for e in ra.entries() {
                let e = e?;
                line.extend_from_slice(b" {");
                addr(line, e.address);
                line.push(b' ');
                push_u64(line, e.preference as u64);
                line.push(b'}');
            }
        }
        ty::TIME_EXCEEDED => {
            m.quoted_dst()?;
            match code {
                0 => line.extend_from_slice(b"time exceeded in-transit"),
                1 => line.extend_from_slice(b"ip reassembly time exceeded"),
                _ => {
                    line.extend_from_slice(b"time exceeded-#");
                    push_u64(line, code as u64);
                }
            }
        }
        ty::PARAM_PROBLEM => {
            if code != 0 {
                line.extend_from_slice(b"parameter problem - code ");
                push_u64(line, code as u64);
            } else {
                let p = m.pointer()?;
                line.extend_from_slice(b"parameter problem - octet ");
                push_u64(line, p as u64);
            }
        }
        ty::MASK_REPLY => {
            let mask = m.mask()?;
            line.extend_from_slice(b"address mask is 0x");
            push_hex_width(line, mask as u64, 8);
        }
        ty::TSTAMP | ty::TSTAMP_REPLY => {
            let (id, seq) = m.id_seq()?;
            line.extend_from_slice(if kind == ty::TSTAMP {
                b"time stamp query id "
            } else {
                b"time stamp reply id "
            });
            push_u64(line, id as u64);
            line.extend_from_slice(b" seq ");
            push_u64(line, seq as u64);
            if kind == ty::TSTAMP_REPLY {
                let t = m.timestamps()?;
                for (label, t) in [": org ", ", recv ", ", xmit "].iter().zip(t) {
                    line.extend_from_slice(label.as_bytes());
                    ms_of_day(line, t);
                }
            }
        }
        ty::EXT_ECHO | ty::EXT_ECHO_REPLY => {
            let (id, seq) = m.ext_id_seq()?;
            let what = if kind == ty::EXT_ECHO {
                "request"
            } else {
                "reply"
            };
            echo(line, "extended echo ", what, id, seq as u16);
        }
        _ => match NAMES.iter().find(|(k, _)| *k == kind) {
            Some((_, n)) => line.extend_from_slice(n.as_bytes()),
            None => {
                line.extend_from_slice(b"type-#");
                push_u64(line, kind as u64);
            }
        },
    }
    Some(())
}

/// ICMPv6 message types (RFC 4443, RFC 4861, RFC 2710, RFC 3810 and others tcpdump names).
mod ty6 {
    pub const DST_UNREACH: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const PARAM_PROBLEM: u8 = 4;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const MLD_QUERY: u8 = 130;
    pub const MLD_REPORT: u8 = 131;
    pub const MLD_DONE: u8 = 132;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;
    pub const REDIRECT: u8 = 137;
    pub const MLDV2_REPORT: u8 = 143;
    pub const HA_DISCOVERY_REQUEST: u8 = 144;
    pub const MOBILE_PREFIX_SOLICIT: u8 = 146;
    pub const RPL: u8 = 155;
}

/// RPL control message codes (RFC 6550 §6), without the security bit.
const RPL_CODES: [&str; 4] = [
    "DODAG Information Solicitation",
    "DODAG Information Object",
    "Destination Advertisement Object",
    "Destination Advertisement Object Ack",
];

/// tcpdump's names of ICMPv6 types (`icmp6_type_values`).
const NAMES6: [(u8, &str); 26] = [
    (1, "destination unreachable"),
    (2, "packet too big"),
    (3, "time exceeded in-transit"),
    (4, "parameter problem"),
    (128, "echo request"),
    (129, "echo reply"),
    (130, "multicast listener query"),
    (131, "multicast listener report"),
    (132, "multicast listener done"),
    (133, "router solicitation"),
    (134, "router advertisement"),
    (135, "neighbor solicitation"),
    (136, "neighbor advertisement"),
    (137, "redirect"),
    (138, "router renumbering"),
    (141, "inverse neighbor solicitation"),
    (142, "inverse neighbor advertisement"),
    (143, "multicast listener report v2"),
    (144, "ha discovery request"),
    (145, "ha discovery reply"),
    (146, "mobile router solicitation"),
    (147, "mobile router advertisement"),
    (139, "who-are-you request"),
    (140, "who-are-you reply"),
    (200, "mtrace message"),
    (155, "RPL"),
];

/// Destination unreachable codes (RFC 4443 §3.1), as tcpdump spells them.
const UNREACH6: [&str; 5] = [
    "unreachable route",
    " unreachable prohibited",
    "beyond scope",
    "unreachable address",
    "unreachable port",
];

/// Parameter problem codes (RFC 4443 §3.4, RFC 7112).
const PARAM6: [&str; 4] = [
    ", erroneous - octet ",
    ", next header - octet ",
    ", option - octet ",
    ", incomplete header chain - octet ",
];

fn addr6(line: &mut Vec<u8>, a: Ipv6Addr) {
    push_ipv6(line, &a.octets());
}

/// Writes `ICMP6, ..., length N` (print-icmp6.c without -v); ` [|icmp6]` where tcpdump runs out
/// of captured bytes.
pub fn icmp6(line: &mut Vec<u8>, m: &[u8], len: u32) {
    match body6(line, m, len) {
        Some(true) => {
            line.extend_from_slice(b", length ");
            push_u64(line, len as u64);
        }
        Some(false) => {}
        None => line.extend_from_slice(b" [|icmp6]"),
    }
}

/// The text from `ICMP6, `; `Some(false)` when tcpdump prints no length (it dumps the rest in
/// hex on further lines), `None` when captured bytes ran out.
fn body6(line: &mut Vec<u8>, m: &[u8], len: u32) -> Option<bool> {
    body6_of(line, Icmp6::new(m), len)
}

fn body6_of(line: &mut Vec<u8>, m: Icmp6<'_>, len: u32) -> Option<bool> {
    if len == 0 {
        line.extend_from_slice(b"ICMP6, length 0 (invalid)");
        return Some(false);
    }
    let kind = m.kind()?;
    line.extend_from_slice(b"ICMP6, ");
    match NAMES6.iter().find(|(k, _)| *k == kind) {
        Some((_, n)) => line.extend_from_slice(n.as_bytes()),
        None => {
            line.extend_from_slice(b"unknown icmp6 type (");
            push_u64(line, kind as u64);
            line.push(b')');
            return Some(true);
        }
    }
    let code = m.code()?;
    match kind {
        ty6::DST_UNREACH => {
            line.extend_from_slice(b", ");
            match UNREACH6.get(code as usize) {
                Some(c) => line.extend_from_slice(c.as_bytes()),
                None => {
                    line.extend_from_slice(b"unknown unreach code (");
                    push_u64(line, code as u64);
                    line.push(b')');
                }
            }
            match code {
                0 | 1 | 3 => {
                    line.push(b' ');
                    addr6(line, m.quoted_dst()?);
                }
                2 => {
                    line.push(b' ');
                    addr6(line, m.quoted_dst()?);
                    line.extend_from_slice(b", source address ");
                    addr6(line, m.quoted_src()?);
                }
                4 => {
                    let (p, port) = m.quoted_upper_layer()?;
                    line.extend_from_slice(b", ");
                    addr6(line, m.quoted_dst()?);
                    line.extend_from_slice(if p == proto::TCP {
                        b" tcp port "
                    } else {
                        b" udp port "
                    });
                    push_u64(line, port as u64);
                }
                _ => return Some(false),
            }
        }
        ty6::PACKET_TOO_BIG => {
            line.extend_from_slice(b", mtu ");
            push_u64(line, m.word()? as u64);
        }
        ty6::TIME_EXCEEDED => match code {
            0 => {
                line.extend_from_slice(b" for ");
                addr6(line, m.quoted_dst()?);
            }
            1 => line.extend_from_slice(b" (reassembly)"),
            _ => {
                line.extend_from_slice(b", unknown code (");
                push_u64(line, code as u64);
                line.push(b')');
            }
        },
        ty6::PARAM_PROBLEM => {
            m.quoted_dst()?;
            match PARAM6.get(code as usize) {
                Some(c) => {
                    line.extend_from_slice(c.as_bytes());
                    push_u64(line, m.word()? as u64);
                }
                None => {
                    line.extend_from_slice(b", code-#");
                    push_u64(line, code as u64);
                }
            }
        }
        ty6::ECHO_REQUEST | ty6::ECHO_REPLY => {
            let (id, seq) = m.id_seq()?;
            line.extend_from_slice(b", id ");
            push_u64(line, id as u64);
            line.extend_from_slice(b", seq ");
            push_u64(line, seq as u64);
        }
        ty6::MLD_QUERY if len >= 28 => {
            line.extend_from_slice(b" v2 [gaddr ");
            addr6(line, m.target()?);
            let sources = m.query_sources()? as u32;
            if sources > 0 {
                if len < 28 + sources * 16 {
                    line.extend_from_slice(b" [invalid number of sources]");
                } else {
                    line.extend_from_slice(b", ");
                    push_u64(line, sources as u64);
                    line.extend_from_slice(b" source(s)");
                }
            }
            line.push(b']');
        }
        ty6::MLD_QUERY if len != 24 => {
            line.extend_from_slice(b" unknown-version (len ");
            push_u64(line, len as u64);
            line.extend_from_slice(b") ");
        }
        ty6::MLD_QUERY | ty6::MLD_REPORT | ty6::MLD_DONE => {
            // tcpdump prints these right after the name, without a separator.
            line.extend_from_slice(b"max resp delay: ");
            push_u64(line, m.half_word()? as u64);
            line.extend_from_slice(b" addr: ");
            addr6(line, m.target()?);
        }
        ty6::NEIGHBOR_SOLICIT => {
            line.extend_from_slice(b", who has ");
            addr6(line, m.target()?);
        }
        ty6::NEIGHBOR_ADVERT => {
            line.extend_from_slice(b", tgt is ");
            addr6(line, m.target()?);
        }
        ty6::REDIRECT => {
            line.extend_from_slice(b", ");
            addr6(line, m.redirect_dst()?);
            line.extend_from_slice(b" to ");
            addr6(line, m.target()?);
        }
        ty6::MLDV2_REPORT => {
            if len < 8 {
                line.extend_from_slice(b" [invalid len ");
                push_u64(line, len as u64);
                line.push(b']');
            } else {
                line.extend_from_slice(b", ");
                push_u64(line, m.records()? as u64);
                line.extend_from_slice(b" group record(s)");
            }
        }
        ty6::RPL if code & 0x80 != 0 => line.extend_from_slice(b", (SEC) [worktodo]"),
        ty6::RPL => {
            line.extend_from_slice(b", (CLR)");
            match RPL_CODES.get(code as usize) {
                Some(c) => line.extend_from_slice(c.as_bytes()),
                None => {
                    line.extend_from_slice(b"RPL message, unknown code ");
                    push_u64(line, code as u64);
                }
            }
        }
        ty6::HA_DISCOVERY_REQUEST | ty6::MOBILE_PREFIX_SOLICIT => {
            line.extend_from_slice(b", id 0x");
            push_hex_width(line, m.half_word()? as u64, 4);
        }
        _ => {}
    }
    Some(true)
}
