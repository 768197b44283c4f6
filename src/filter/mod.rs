//! Capture filters in tcpdump's pcap-filter syntax: parsing, evaluation on decoded packets, and
//! compilation to classic BPF for the kernel.
//!
//! [`Filter::parse`] turns an expression such as `tcp port 7 and not host ::1` into a tree;
//! [`Filter::matches`] evaluates the tree on a [`Packet`] without allocating; [`bpf::compile`]
//! turns the same tree into a classic BPF program that accepts the same packets, so that a live
//! capture can drop unwanted packets in the kernel.
//!
//! What is understood (pcap-filter(7) for what learners type):
//! - protocols: `tcp udp icmp icmp6 arp ip ip6`;
//! - `[ip|ip6] [src|dst|src or dst|src and dst] host ADDR|NAME` (IPv4 or IPv6; a name only
//!   through [`Filter::parse_resolving`], which looks it up once with the resolver it is given),
//!   `net A/LEN`, `net A mask M`, `net 10.1` (tcpdump's short form), likewise with `src`/`dst`;
//!   without `ip`/`ip6`, an IPv4 host or net also matches ARP sender/target addresses;
//! - `[tcp|udp] [src|dst|…] port N|SERVICE`, `portrange A-B` (first fragments only);
//! - `len`, `less N`, `greater N`, and relations `EXPR OP EXPR` with `= == != < <= > >=` over
//!   `+ - * / % & | ^ << >>`, numbers (decimal, 0x hex), `len`, loads `PROTO[OFF]` and
//!   `PROTO[OFF:SIZE]` (size 1, 2, 4; the offset may be an expression) for
//!   `ether ip ip6 tcp udp icmp icmp6`, and the names `tcpflags tcp-fin tcp-syn tcp-rst
//!   tcp-push tcp-ack tcp-urg tcp-ece tcp-cwr icmptype icmpcode icmp-echo …
//!   icmp6type icmp6-echo …`;
//! - `and && or || not !` and parentheses; a bare argument repeats the previous qualifiers
//!   (`host 1.2.3.4 or 5.6.7.8`, `port 80 or 443`), a bare address alone is a host.
//!
//! Semantics follow tcpdump, with these deliberate differences: filters look through up to three
//! 802.1Q/802.1ad VLAN tags (`ip` matches a tagged IPv4 frame without a `vlan` keyword);
//! `tcp`, `udp`, `port` and `tcp[…]` on IPv6 find the transport header after the extension
//! headers (tcpdump 4.99 only reads IPv4 for `tcp[…]` and stops at the first extension header);
//! a relation that loads from `tcp[…]` requires TCP even when combined with other loads.
//! As in tcpdump, `and` and `or` have the same precedence and group from the left, `not` binds
//! tightest, and reading a byte the capture does not hold (`tcp[100]` on a short packet) rejects
//! the packet whatever the rest of the expression says.
//!
//! Not supported: MAC addresses (`ether host`), `vlan`, `proto N`, `gateway`,
//! `broadcast`/`multicast`, SCTP ports, `arp[…]` loads.

pub mod bpf;
mod eval;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::decode::Packet;
pub use parser::Resolver;

/// A parsed filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    expr: String,
    root: Node,
}

impl Filter {
    /// Parses `expr` (tcpdump's pcap-filter syntax). An empty or blank expression matches every
    /// packet.
    pub fn parse(expr: &str) -> Result<Filter, FilterError> {
        let root = parser::parse(expr, None)?;
        Ok(Filter {
            expr: expr.to_string(),
            root,
        })
    }

    /// As [`Filter::parse`], with host names in `host NAME` looked up once, here, by `resolve`
    /// (tcpdump resolves them when it compiles the filter; all addresses of the name count).
    pub fn parse_resolving(expr: &str, resolve: Resolver<'_>) -> Result<Filter, FilterError> {
        let root = parser::parse(expr, Some(resolve))?;
        Ok(Filter {
            expr: expr.to_string(),
            root,
        })
    }

    /// The empty expression: every packet passes.
    pub fn all() -> Filter {
        Filter {
            expr: String::new(),
            root: Node::True,
        }
    }

    /// Whether `p` passes the filter. Allocates nothing.
    pub fn matches(&self, p: &Packet<'_>) -> bool {
        match &p.pppoe {
            // tcpdump's `ip`, `tcp`, `port` … look behind the ethertype, which is PPPoE's here:
            // they match a PPPoE session's packet only after the `pppoes` keyword (not
            // implemented), so the filter sees the PPPoE frame, not what it carries.
            Some(s) => {
                let mut outer = *p;
                outer.net = crate::decode::Net::Other {
                    ether_type: s.ether_type,
                };
                outer.transport = crate::decode::Transport::None;
                outer.mpls = Default::default();
                outer.pppoe = None;
                eval::matches(&self.root, &outer)
            }
            None => eval::matches(&self.root, p),
        }
    }

    /// Whether the expression is empty, so that every packet matches (no need to filter).
    pub fn is_empty(&self) -> bool {
        self.root == Node::True
    }

    /// The expression as it was given.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    pub(crate) fn root(&self) -> &Node {
        &self.root
    }
}

/// A filter expression that could not be parsed: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The whole expression.
    pub expr: String,
    /// Byte range of the offending word in `expr`; empty at the end for a missing word.
    pub span: (usize, usize),
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::error::Error for FilterError {}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (start, end) = self.span;
        let col = self.expr.get(..start).map_or(0, |s| s.chars().count());
        let width = self
            .expr
            .get(start..end)
            .map_or(0, |s| s.chars().count())
            .max(1);
        write!(
            f,
            "bad filter: {}\n  {}\n  {}{}",
            self.message,
            self.expr,
            " ".repeat(col),
            "^".repeat(width)
        )
    }
}

/// The tree of a filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Matches everything (the empty expression).
    True,
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Prim(Prim),
    /// `arith relop arith`, e.g. `tcp[13] & 2 != 0` or `len > 100`.
    Rel(RelOp, Arith, Arith),
}

/// Which address or port of a packet a primitive looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Src,
    Dst,
    /// `src or dst`, and no direction at all.
    Either,
    /// `src and dst`.
    Both,
}

/// Transport protocols a port primitive applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortProto {
    Tcp,
    Udp,
    /// TCP or UDP.
    Any,
}

impl PortProto {
    pub(crate) fn includes(self, protocol: u8) -> bool {
        match self {
            PortProto::Tcp => protocol == crate::decode::proto::TCP,
            PortProto::Udp => protocol == crate::decode::proto::UDP,
            PortProto::Any => {
                protocol == crate::decode::proto::TCP || protocol == crate::decode::proto::UDP
            }
        }
    }
}

/// An IP version a primitive is restricted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

/// A network: address and mask of the same family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpNet {
    V4 { addr: Ipv4Addr, mask: Ipv4Addr },
    V6 { addr: Ipv6Addr, mask: Ipv6Addr },
}

/// A primitive test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Prim {
    /// `ip`, `ip6`, `arp`: the ethertype of the frame (after VLAN tags).
    EtherType(u16),
    /// `tcp`, `udp`, `icmp`, `icmp6`: the IP protocol (after IPv6 extension headers), on any
    /// fragment; `family` restricts it to one IP version.
    IpProto { family: Option<Family>, proto: u8 },
    /// `host`, `net`: a host is a net with a full mask. Without an `ip`/`ip6` qualifier an IPv4
    /// net also matches the sender (src) and target (dst) protocol addresses of ARP, as in
    /// tcpdump.
    Net { dir: Dir, net: IpNet, arp: bool },
    /// `port`, `portrange` (inclusive), on TCP/UDP first fragments only.
    Port {
        dir: Dir,
        proto: PortProto,
        lo: u16,
        hi: u16,
    },
}

/// Comparison operators of relations (unsigned, as in BPF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RelOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl RelOp {
    pub(crate) fn holds(self, a: u32, b: u32) -> bool {
        match self {
            RelOp::Eq => a == b,
            RelOp::Ne => a != b,
            RelOp::Lt => a < b,
            RelOp::Le => a <= b,
            RelOp::Gt => a > b,
            RelOp::Ge => a >= b,
        }
    }
}

/// Binary arithmetic operators (32-bit unsigned, as in BPF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

impl ArithOp {
    /// `None` for division by zero, which rejects the packet (as BPF does).
    pub(crate) fn apply(self, a: u32, b: u32) -> Option<u32> {
        Some(match self {
            ArithOp::Add => a.wrapping_add(b),
            ArithOp::Sub => a.wrapping_sub(b),
            ArithOp::Mul => a.wrapping_mul(b),
            ArithOp::Div => a.checked_div(b)?,
            ArithOp::Mod => a.checked_rem(b)?,
            ArithOp::And => a & b,
            ArithOp::Or => a | b,
            ArithOp::Xor => a ^ b,
            // Shifts of 32 or more give 0 (defined here; the kernel's result is the same on
            // the JITs that matter, and no sensible filter shifts that far).
            ArithOp::Shl => a.checked_shl(b).unwrap_or(0),
            ArithOp::Shr => a.checked_shr(b).unwrap_or(0),
        })
    }
}

/// The header a `proto[offset:size]` load reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// The link-layer header (Ethernet frames only).
    Ether,
    /// The IPv4 header (the packet must be IPv4).
    Ip,
    /// The IPv6 header (the packet must be IPv6).
    Ip6,
    /// The transport header: the packet must carry this IP protocol and be a first fragment
    /// (or not fragmented); `family` restricts the IP version (`icmp` is IPv4, `icmp6` IPv6).
    Transport { proto: u8, family: Option<Family> },
}

/// An arithmetic expression of a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Num(u32),
    /// `len`: the length of the packet on the wire.
    Len,
    /// `proto[offset:size]`, big-endian, size 1, 2 or 4.
    Load {
        base: Base,
        offset: Box<Arith>,
        size: u8,
    },
    Bin(ArithOp, Box<Arith>, Box<Arith>),
    Neg(Box<Arith>),
}

impl Arith {
    /// The value when the expression reads nothing from the packet.
    pub(crate) fn constant(&self) -> Option<u32> {
        match self {
            Arith::Num(n) => Some(*n),
            Arith::Len | Arith::Load { .. } => None,
            Arith::Bin(op, a, b) => op.apply(a.constant()?, b.constant()?),
            Arith::Neg(a) => Some(a.constant()?.wrapping_neg()),
        }
    }
}
