//! Evaluation of a filter tree on a decoded [`Packet`], allocation-free.
//!
//! Evaluation is `Option<bool>`: `None` means a byte the expression needs was not captured, which
//! rejects the whole packet, as a BPF load past the end does. The order of tests mirrors the BPF
//! code of [`super::bpf`] (left to right, short-circuit) so both reject the same packets.

use std::net::IpAddr;

use super::{Arith, Base, Dir, Family, IpNet, Node, Prim};
use crate::decode::{Link, Net, Packet, ethertype};
use crate::source::LinkType;

pub(super) fn matches(root: &Node, p: &Packet<'_>) -> bool {
    eval(root, p) == Some(true)
}

fn eval(n: &Node, p: &Packet<'_>) -> Option<bool> {
    Some(match n {
        Node::True => true,
        Node::And(a, b) => eval(a, p)? && eval(b, p)?,
        Node::Or(a, b) => eval(a, p)? || eval(b, p)?,
        Node::Not(a) => !eval(a, p)?,
        Node::Prim(prim) => return prim_matches(prim, p),
        Node::Rel(op, a, b) => {
            if !guards(a, p) || !guards(b, p) {
                return Some(false);
            }
            op.holds(value(a, p)?, value(b, p)?)
        }
    })
}

/// The ethertype of the network layer, after VLAN tags; loopback and raw-IP links map to the
/// IPv4 and IPv6 ethertypes.
pub(crate) fn ether_type(p: &Packet<'_>) -> Option<u16> {
    match p.link {
        Link::Ethernet(e) => Some(e.vlans().last().map_or(e.ether_type, |v| v.ether_type)),
        Link::Sll(s) => Some(s.protocol),
        Link::Loopback { family } => match family {
            2 => Some(ethertype::IPV4),
            10 | 24 | 28 | 30 => Some(ethertype::IPV6),
            _ => None,
        },
        Link::Raw => match p.link_type.normalized() {
            LinkType::IPV4 => Some(ethertype::IPV4),
            LinkType::IPV6 => Some(ethertype::IPV6),
            _ => match p.data.first().map(|b| b >> 4) {
                Some(4) => Some(ethertype::IPV4),
                Some(6) => Some(ethertype::IPV6),
                _ => None,
            },
        },
        Link::Unsupported => None,
        // PPP, Cisco HDLC, IPoIB: the decoder already found the network layer behind them.
        Link::Framed { .. } => match p.net {
            Net::Ipv4(_) => Some(ethertype::IPV4),
            Net::Ipv6(_) => Some(ethertype::IPV6),
            Net::Arp(_) => Some(ethertype::ARP),
            _ => None,
        },
    }
}

fn family_is(p: &Packet<'_>, family: Option<Family>) -> bool {
    match family {
        None => true,
        Some(Family::V4) => matches!(p.net, Net::Ipv4(_)),
        Some(Family::V6) => matches!(p.net, Net::Ipv6(_)),
    }
}

/// The first `size` bytes at `base + offset` of the frame, big-endian; `None` past the capture.
fn load(p: &Packet<'_>, base: u32, offset: u32, size: u8) -> Option<u32> {
    let start = base.checked_add(offset)? as usize;
    let bytes = p.data.get(start..start.checked_add(size as usize)?)?;
    Some(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | b as u32))
}

fn prim_matches(prim: &Prim, p: &Packet<'_>) -> Option<bool> {
    Some(match *prim {
        Prim::EtherType(t) => ether_type(p) == Some(t),
        Prim::IpProto { family, proto } => family_is(p, family) && p.ip_protocol() == Some(proto),
        Prim::Net { dir, net, arp } => {
            let (src, dst) = match (&p.net, p.src_ip(), p.dst_ip()) {
                (_, Some(src), Some(dst)) => (src, dst),
                (Net::Arp(a), _, _) if arp && a.ethernet_ipv4 => {
                    (IpAddr::from(a.sender_ip), IpAddr::from(a.target_ip))
                }
                _ => return Some(false),
            };
            let in_net = |a: IpAddr| match (a, net) {
                (IpAddr::V4(a), IpNet::V4 { addr, mask }) => {
                    u32::from(a) & u32::from(mask) == u32::from(addr)
                }
                (IpAddr::V6(a), IpNet::V6 { addr, mask }) => {
                    u128::from(a) & u128::from(mask) == u128::from(addr)
                }
                _ => false,
            };
            match dir {
                Dir::Src => in_net(src),
                Dir::Dst => in_net(dst),
                Dir::Either => in_net(src) || in_net(dst),
                Dir::Both => in_net(src) && in_net(dst),
            }
        }
        Prim::Port { dir, proto, lo, hi } => {
            let Some(protocol) = p.ip_protocol() else {
                return Some(false);
            };
            if !proto.includes(protocol) || p.is_later_fragment() {
                return Some(false);
            }
            let base = p.transport_offset;
            let in_range = |off: u32| -> Option<bool> {
                let port = load(p, base, off, 2)?;
                Some((lo as u32..=hi as u32).contains(&port))
            };
            match dir {
                Dir::Src => in_range(0)?,
                Dir::Dst => in_range(2)?,
                Dir::Either => in_range(0)? || in_range(2)?,
                Dir::Both => in_range(0)? && in_range(2)?,
            }
        }
    })
}

/// Whether every `proto[...]` load of `a` reads a header the packet has.
fn guards(a: &Arith, p: &Packet<'_>) -> bool {
    match a {
        Arith::Num(_) | Arith::Len => true,
        Arith::Load { base, offset, .. } => base_present(*base, p) && guards(offset, p),
        Arith::Bin(_, x, y) => guards(x, p) && guards(y, p),
        Arith::Neg(x) => guards(x, p),
    }
}

fn base_present(base: Base, p: &Packet<'_>) -> bool {
    match base {
        Base::Ether => matches!(p.link, Link::Ethernet(_)),
        Base::Ip => ether_type(p) == Some(ethertype::IPV4),
        Base::Ip6 => ether_type(p) == Some(ethertype::IPV6),
        Base::Transport { proto, family } => {
            family_is(p, family) && p.ip_protocol() == Some(proto) && !p.is_later_fragment()
        }
    }
}

fn base_offset(base: Base, p: &Packet<'_>) -> u32 {
    match base {
        Base::Ether => 0,
        Base::Ip | Base::Ip6 => p.net_offset,
        Base::Transport { .. } => p.transport_offset,
    }
}

fn value(a: &Arith, p: &Packet<'_>) -> Option<u32> {
    match a {
        Arith::Num(n) => Some(*n),
        Arith::Len => Some(p.orig_len),
        Arith::Load { base, offset, size } => {
            load(p, base_offset(*base, p), value(offset, p)?, *size)
        }
        Arith::Bin(op, x, y) => {
            let (x, y) = (value(x, p)?, value(y, p)?);
            op.apply(x, y)
        }
        Arith::Neg(x) => Some(value(x, p)?.wrapping_neg()),
    }
}
