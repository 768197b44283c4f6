//! Recursive-descent parser of pcap-filter expressions into a [`Node`] tree, with tcpdump's
//! qualifier rules (`tcp src port 7`) and implicit repetition (`port 80 or 443`).
//!
//! Grammar (after pcap-filter(7)):
//! ```text
//! expr     := unary (("and" | "&&" | "or" | "||") unary)*      left to right, equal precedence
//! unary    := ("not" | "!") unary | "(" expr ")" | relation | primitive
//! primitive:= [proto] [dir] [type] id | proto | "less" N | "greater" N | id
//! relation := arith relop arith                                  relop: = == != < <= > >=
//! arith    := C-like precedence of | ^ & << >> + - * / % and unary -, over numbers, names,
//!             len and proto[offset[:size]]
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::lexer::{Tok, Token, lex};
use super::{Arith, ArithOp, Base, Dir, Family, FilterError, IpNet, Node, PortProto, Prim, RelOp};
use crate::decode::{ethertype, proto};
use crate::services;

/// Names usable as numbers in relations (pcap-filter(7)): header offsets, TCP flag bits
/// (RFC 9293 §3.1, RFC 3168 §23.2), ICMP types (RFC 792) and ICMPv6 types (RFC 4443, 4861).
const NAMED_VALUES: &[(&str, u32)] = &[
    ("tcpflags", 13),
    ("tcp-fin", 0x01),
    ("tcp-syn", 0x02),
    ("tcp-rst", 0x04),
    ("tcp-push", 0x08),
    ("tcp-ack", 0x10),
    ("tcp-urg", 0x20),
    ("tcp-ece", 0x40),
    ("tcp-cwr", 0x80),
    ("icmptype", 0),
    ("icmpcode", 1),
    ("icmp-echoreply", 0),
    ("icmp-unreach", 3),
    ("icmp-sourcequench", 4),
    ("icmp-redirect", 5),
    ("icmp-echo", 8),
    ("icmp-routeradvert", 9),
    ("icmp-routersolicit", 10),
    ("icmp-timxceed", 11),
    ("icmp-paramprob", 12),
    ("icmp-tstamp", 13),
    ("icmp-tstampreply", 14),
    ("icmp-ireq", 15),
    ("icmp-ireqreply", 16),
    ("icmp-maskreq", 17),
    ("icmp-maskreply", 18),
    ("icmp6type", 0),
    ("icmp6code", 1),
    ("icmp6-destinationunreach", 1),
    ("icmp6-packettoobig", 2),
    ("icmp6-timeexceeded", 3),
    ("icmp6-parameterproblem", 4),
    ("icmp6-echo", 128),
    ("icmp6-echoreply", 129),
    ("icmp6-multicastlistenerquery", 130),
    ("icmp6-multicastlistenerreportv1", 131),
    ("icmp6-multicastlistenerdone", 132),
    ("icmp6-routersolicit", 133),
    ("icmp6-routeradvert", 134),
    ("icmp6-neighborsolicit", 135),
    ("icmp6-neighboradvert", 136),
    ("icmp6-redirect", 137),
];

/// Protocol words: what they match alone, and the header they name in `proto[...]`.
const PROTOCOLS: &[(&str, Option<Prim>, Base)] = &[
    ("ether", None, Base::Ether),
    ("ip", Some(Prim::EtherType(ethertype::IPV4)), Base::Ip),
    ("ip6", Some(Prim::EtherType(ethertype::IPV6)), Base::Ip6),
    ("arp", Some(Prim::EtherType(ethertype::ARP)), Base::Ether),
    (
        "tcp",
        Some(Prim::IpProto {
            family: None,
            proto: proto::TCP,
        }),
        Base::Transport {
            proto: proto::TCP,
            family: None,
        },
    ),
    (
        "udp",
        Some(Prim::IpProto {
            family: None,
            proto: proto::UDP,
        }),
        Base::Transport {
            proto: proto::UDP,
            family: None,
        },
    ),
    (
        "icmp",
        Some(Prim::IpProto {
            family: Some(Family::V4),
            proto: proto::ICMP,
        }),
        Base::Transport {
            proto: proto::ICMP,
            family: Some(Family::V4),
        },
    ),
    (
        "icmp6",
        Some(Prim::IpProto {
            family: Some(Family::V6),
            proto: proto::ICMPV6,
        }),
        Base::Transport {
            proto: proto::ICMPV6,
            family: Some(Family::V6),
        },
    ),
];

/// Words that are never an address, port or name.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "src",
    "dst",
    "host",
    "net",
    "port",
    "portrange",
    "mask",
    "less",
    "greater",
    "len",
];

const EXPECTED_PRIMITIVE: &str = "expected a protocol (tcp, udp, icmp, icmp6, arp, ip, ip6), \
     host/net/port/portrange with an argument, a comparison like `len > 100`, `not` or `(`";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    PortRange,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Net => "net",
            Kind::Port => "port",
            Kind::PortRange => "portrange",
        }
    }
}

/// The qualifiers of a primitive, remembered for implicit repetition.
#[derive(Clone, Copy, Debug)]
struct Quals<'a> {
    /// The protocol word, if any (`tcp` in `tcp port 7`).
    proto: Option<&'a str>,
    dir: Dir,
    kind: Kind,
}

/// Looks up the addresses of a host name for `host NAME` (the core does no I/O: the command
/// layer passes one in).
pub type Resolver<'r> = &'r dyn Fn(&str) -> Result<Vec<IpAddr>, String>;

pub(crate) fn parse(expr: &str, resolve: Option<Resolver<'_>>) -> Result<Node, FilterError> {
    let toks = lex(expr)?;
    let mut p = Parser {
        expr,
        toks,
        pos: 0,
        last: None,
        resolve,
    };
    if p.peek().tok == Tok::End {
        return Ok(Node::True);
    }
    let node = p.expr()?;
    let t = p.peek();
    match t.tok {
        Tok::End => Ok(node),
        Tok::RParen => Err(p.err(t, "unexpected `)`: there is no `(` open before it")),
        _ => {
            let prev = p.toks[p.pos - 1];
            Err(p.expected_after(prev, "`and`, `or` or the end of the filter"))
        }
    }
}

struct Parser<'a> {
    expr: &'a str,
    toks: Vec<Token<'a>>,
    pos: usize,
    last: Option<Quals<'a>>,
    resolve: Option<Resolver<'a>>,
}

type PResult<T> = Result<T, FilterError>;

fn is_protocol(w: &str) -> bool {
    PROTOCOLS.iter().any(|p| p.0 == w)
}

fn is_reserved(w: &str) -> bool {
    KEYWORDS.contains(&w) || is_protocol(w)
}

fn named_value(w: &str) -> Option<u32> {
    NAMED_VALUES.iter().find(|n| n.0 == w).map(|n| n.1)
}

/// Decimal or `0x` hexadecimal.
fn number(w: &str) -> Option<u64> {
    if let Some(hex) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if w.bytes().all(|b| b.is_ascii_digit()) && w.len() <= 19 {
        return w.parse().ok();
    }
    None
}

fn service_port(name: &str, proto: PortProto) -> Option<u16> {
    services::all().iter().find_map(|&(port, tcp, udp, _)| {
        let hit = |n: Option<&str>| n == Some(name);
        let found = match proto {
            PortProto::Tcp => hit(tcp),
            PortProto::Udp => hit(udp),
            PortProto::Any => hit(tcp) || hit(udp),
        };
        found.then_some(port)
    })
}

fn v4_mask(prefix: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - prefix).unwrap_or(0))
}

fn v6_mask(prefix: u32) -> Ipv6Addr {
    Ipv6Addr::from(u128::MAX.checked_shl(128 - prefix).unwrap_or(0))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Token<'a> {
        self.toks[self.pos]
    }

    fn peek_at(&self, n: usize) -> Token<'a> {
        self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    fn advance(&mut self) -> Token<'a> {
        let t = self.peek();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek().tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    fn err(&self, t: Token<'_>, message: impl Into<String>) -> FilterError {
        FilterError {
            expr: self.expr.to_string(),
            span: (t.start, t.end),
            message: message.into(),
        }
    }

    fn text(&self, t: Token<'_>) -> &'a str {
        t.text(self.expr)
    }

    /// What a missing or wrong word after `after` should have been.
    fn expected_after(&self, after: Token<'_>, what: &str) -> FilterError {
        let t = self.peek();
        let found = match t.tok {
            Tok::End => String::new(),
            _ => format!(", found `{}`", self.text(t)),
        };
        self.err(
            t,
            format!("expected {what} after `{}`{found}", self.text(after)),
        )
    }

    fn expr(&mut self) -> PResult<Node> {
        let mut lhs = self.unary()?;
        loop {
            let t = self.peek();
            let is_and = match t.tok {
                Tok::AndAnd | Tok::Word("and") => true,
                Tok::OrOr | Tok::Word("or") => false,
                _ => return Ok(lhs),
            };
            self.advance();
            self.operand_follows(t)?;
            let rhs = self.unary()?;
            lhs = if is_and {
                Node::And(Box::new(lhs), Box::new(rhs))
            } else {
                Node::Or(Box::new(lhs), Box::new(rhs))
            };
        }
    }

    /// Fails with "expected an expression after `op`" when nothing can start one.
    fn operand_follows(&self, op: Token<'_>) -> PResult<()> {
        match self.peek().tok {
            Tok::End
            | Tok::RParen
            | Tok::AndAnd
            | Tok::OrOr
            | Tok::Word("and")
            | Tok::Word("or") => Err(self.expected_after(op, "an expression")),
            _ => Ok(()),
        }
    }

    fn unary(&mut self) -> PResult<Node> {
        let t = self.peek();
        match t.tok {
            Tok::Bang | Tok::Word("not") => {
                self.advance();
                self.operand_follows(t)?;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Tok::LParen => self.paren(),
            Tok::Arith(ArithOp::Sub) => self.relation(),
            Tok::Word(w) => {
                let next = self.peek_at(1).tok;
                let starts_relation = w == "len"
                    || (is_protocol(w) && next == Tok::LBracket)
                    || ((number(w).is_some() || named_value(w).is_some())
                        && matches!(next, Tok::Rel(_) | Tok::Arith(_)));
                if starts_relation {
                    self.relation()
                } else {
                    self.primitive()
                }
            }
            Tok::RParen => Err(self.err(t, "unexpected `)`: there is no `(` open before it")),
            _ => Err(self.err(t, EXPECTED_PRIMITIVE)),
        }
    }

    /// `(` opens either a group of the boolean expression or an arithmetic one
    /// (`(tcp[13] & 2) != 0`): try the relation first, and report whichever reading got further.
    fn paren(&mut self) -> PResult<Node> {
        let start = self.pos;
        let last = self.last;
        let as_relation = match self.relation() {
            Ok(n) => return Ok(n),
            Err(e) => e,
        };
        self.pos = start;
        self.last = last;
        let open = self.advance();
        let group = (|| {
            self.operand_follows(open)?;
            let inner = self.expr()?;
            let t = self.peek();
            if t.tok != Tok::RParen {
                let prev = self.toks[self.pos - 1];
                return Err(self.err(
                    t,
                    format!(
                        "expected `)` to close the `(` at column {}, or `and`/`or` after `{}`",
                        self.expr[..open.start].chars().count() + 1,
                        self.text(prev)
                    ),
                ));
            }
            self.advance();
            Ok(inner)
        })();
        match group {
            Ok(n) => Ok(n),
            Err(e) if as_relation.span.0 > e.span.0 => Err(as_relation),
            Err(e) => Err(e),
        }
    }

    fn relation(&mut self) -> PResult<Node> {
        let lhs = self.arith(0)?;
        let t = self.peek();
        let Tok::Rel(op) = t.tok else {
            let prev = self.toks[self.pos - 1];
            return Err(self.expected_after(
                prev,
                "a comparison (=, ==, !=, <, <=, >, >=) or an arithmetic operator",
            ));
        };
        self.advance();
        let rhs = self.arith(0)?;
        Ok(Node::Rel(op, lhs, rhs))
    }

    /// Precedence climbing over the binary operators, loosest first (as in C and tcpdump).
    fn arith(&mut self, level: usize) -> PResult<Arith> {
        const LEVELS: &[&[ArithOp]] = &[
            &[ArithOp::Or],
            &[ArithOp::Xor],
            &[ArithOp::And],
            &[ArithOp::Shl, ArithOp::Shr],
            &[ArithOp::Add, ArithOp::Sub],
            &[ArithOp::Mul, ArithOp::Div, ArithOp::Mod],
        ];
        if level == LEVELS.len() {
            return self.arith_atom();
        }
        let mut lhs = self.arith(level + 1)?;
        loop {
            let t = self.peek();
            let op = match t.tok {
                Tok::Arith(op) if LEVELS[level].contains(&op) => op,
                _ => return Ok(lhs),
            };
            self.advance();
            let rhs = self.arith(level + 1)?;
            if matches!(op, ArithOp::Div | ArithOp::Mod) && rhs.constant() == Some(0) {
                return Err(FilterError {
                    expr: self.expr.to_string(),
                    span: (t.start, self.toks[self.pos - 1].end),
                    message: "division by zero".into(),
                });
            }
            lhs = Arith::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn arith_atom(&mut self) -> PResult<Arith> {
        let t = self.peek();
        match t.tok {
            Tok::Arith(ArithOp::Sub) => {
                self.advance();
                Ok(Arith::Neg(Box::new(self.arith_atom()?)))
            }
            Tok::LParen => {
                self.advance();
                let inner = self.arith(0)?;
                if self.peek().tok != Tok::RParen {
                    let prev = self.toks[self.pos - 1];
                    return Err(self.expected_after(prev, "`)` or an arithmetic operator"));
                }
                self.advance();
                Ok(inner)
            }
            Tok::Word("len") => {
                self.advance();
                Ok(Arith::Len)
            }
            Tok::Word(w) if is_protocol(w) && self.peek_at(1).tok == Tok::LBracket => {
                self.advance();
                self.load(t, w)
            }
            Tok::Word(w) => {
                if let Some(n) = number(w) {
                    let n = u32::try_from(n).map_err(|_| {
                        self.err(
                            t,
                            format!(
                                "{w} does not fit in 32 bits (the largest number is 4294967295)"
                            ),
                        )
                    })?;
                    self.advance();
                    return Ok(Arith::Num(n));
                }
                if let Some(v) = named_value(w) {
                    self.advance();
                    return Ok(Arith::Num(v));
                }
                Err(self.err(
                    t,
                    format!(
                        "unknown name `{w}` in a comparison: expected a number, `len`, \
                         proto[offset] or a name such as tcpflags, tcp-syn, icmptype, icmp-echo"
                    ),
                ))
            }
            _ => {
                let prev = self.toks[self.pos.saturating_sub(1)];
                Err(if self.pos == 0 {
                    self.err(t, EXPECTED_PRIMITIVE)
                } else {
                    self.expected_after(prev, "a number, `len` or proto[offset]")
                })
            }
        }
    }

    /// `proto[offset]` or `proto[offset:size]`, the protocol word already consumed.
    fn load(&mut self, proto_tok: Token<'_>, w: &str) -> PResult<Arith> {
        let base = PROTOCOLS.iter().find(|p| p.0 == w).map(|p| p.2);
        let base = match (w, base) {
            ("arp", _) | (_, None) => {
                return Err(self.err(
                    proto_tok,
                    "arp[...] is not supported: byte offsets work in ether, ip, ip6, tcp, udp, \
                     icmp and icmp6",
                ));
            }
            (_, Some(b)) => b,
        };
        let open = self.advance();
        if self.peek().tok == Tok::RBracket {
            return Err(self.expected_after(open, "a byte offset"));
        }
        let offset = self.arith(0)?;
        let mut size = 1u8;
        if self.peek().tok == Tok::Colon {
            let colon = self.advance();
            let t = self.peek();
            size = match self.peek_word().and_then(number) {
                Some(n @ (1 | 2 | 4)) => n as u8,
                _ => {
                    return Err(if t.tok == Tok::End || t.tok == Tok::RBracket {
                        self.expected_after(colon, "a size of 1, 2 or 4 bytes")
                    } else {
                        self.err(
                            t,
                            format!(
                                "a load size must be 1, 2 or 4 bytes, not `{}`",
                                self.text(t)
                            ),
                        )
                    });
                }
            };
            self.advance();
        }
        if self.peek().tok != Tok::RBracket {
            let prev = self.toks[self.pos - 1];
            return Err(self.expected_after(prev, "`]`"));
        }
        self.advance();
        Ok(Arith::Load {
            base,
            offset: Box::new(offset),
            size,
        })
    }

    fn primitive(&mut self) -> PResult<Node> {
        let first = self.peek();
        let Some(w) = self.peek_word() else {
            return Err(self.err(first, EXPECTED_PRIMITIVE));
        };
        if w == "less" || w == "greater" {
            self.advance();
            let n = self
                .peek_word()
                .and_then(number)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| self.expected_after(first, "a length in bytes"))?;
            self.advance();
            let op = if w == "less" { RelOp::Le } else { RelOp::Ge };
            return Ok(Node::Rel(op, Arith::Len, Arith::Num(n)));
        }
        let mut proto = None;
        let mut after = first;
        if is_protocol(w) {
            self.advance();
            let qualified = matches!(
                self.peek_word(),
                Some("src" | "dst" | "host" | "net" | "port" | "portrange")
            );
            if !qualified {
                return match PROTOCOLS
                    .iter()
                    .find(|p| p.0 == w)
                    .and_then(|p| p.1.clone())
                {
                    Some(prim) => Ok(Node::Prim(prim)),
                    None => Err(self.err(
                        first,
                        "`ether` alone is not a filter: use ether[offset] in a comparison",
                    )),
                };
            }
            proto = Some(w);
        }
        let mut dir = None;
        if let Some(d @ ("src" | "dst")) = self.peek_word() {
            after = self.advance();
            let other = if d == "src" { "dst" } else { "src" };
            let joined = match (self.peek().tok, self.peek_at(1).tok) {
                (Tok::Word("or") | Tok::OrOr, Tok::Word(o)) if o == other => Some(Dir::Either),
                (Tok::Word("and") | Tok::AndAnd, Tok::Word(o)) if o == other => Some(Dir::Both),
                _ => None,
            };
            dir = Some(match joined {
                Some(j) => {
                    self.advance();
                    after = self.advance();
                    j
                }
                None if d == "src" => Dir::Src,
                None => Dir::Dst,
            });
        }
        let kind = match self.peek_word() {
            Some("host") => Some(Kind::Host),
            Some("net") => Some(Kind::Net),
            Some("port") => Some(Kind::Port),
            Some("portrange") => Some(Kind::PortRange),
            _ => None,
        };
        if kind.is_some() {
            after = self.advance();
        }
        let quals = if proto.is_none() && dir.is_none() && kind.is_none() {
            // A bare word: an argument repeating the previous qualifiers (`port 80 or 443`),
            // or an address standing for `host ADDR`.
            match self.last {
                _ if is_reserved(w) => {
                    return Err(self.err(first, format!("unexpected `{w}`: {EXPECTED_PRIMITIVE}")));
                }
                Some(q) => {
                    after = self.toks[self.pos.saturating_sub(1)];
                    q
                }
                None if w.parse::<IpAddr>().is_ok() => Quals {
                    proto: None,
                    dir: Dir::Either,
                    kind: Kind::Host,
                },
                None if number(w).is_some() => {
                    return Err(self.err(
                        first,
                        format!(
                            "a bare number needs a qualifier: write `port {w}`, `len > {w}`, \
                             or `host` with an address"
                        ),
                    ));
                }
                None => {
                    return Err(
                        self.err(first, format!("unknown word `{w}`: {EXPECTED_PRIMITIVE}"))
                    );
                }
            }
        } else {
            Quals {
                proto,
                dir: dir.unwrap_or(Dir::Either),
                kind: kind.unwrap_or(Kind::Host),
            }
        };
        self.last = Some(quals);
        self.argument(quals, after, first)
    }

    /// The argument of a qualified primitive (`1.2.3.4` in `src host 1.2.3.4`).
    fn argument(&mut self, q: Quals<'a>, after: Token<'a>, first: Token<'a>) -> PResult<Node> {
        let t = self.peek();
        let what = match q.kind {
            Kind::Host => "an IPv4 or IPv6 address",
            Kind::Net => "a network such as 10.0.0.0/8 or fe80::/10",
            Kind::Port => "a port number",
            Kind::PortRange => "a port range such as 1024-65535",
        };
        let w = match self.peek_word() {
            Some(w) if !is_reserved(w) => w,
            _ => return Err(self.expected_after(after, what)),
        };
        self.advance();
        let family = match (q.proto, q.kind) {
            (None, _) => None,
            (Some("ip"), Kind::Host | Kind::Net) => Some(Family::V4),
            (Some("ip6"), Kind::Host | Kind::Net) => Some(Family::V6),
            (Some("tcp" | "udp"), Kind::Port | Kind::PortRange) => None,
            (Some("ether"), Kind::Host | Kind::Net) => {
                return Err(self.err(
                    first,
                    "sockscope filters on IP addresses, not MAC addresses: `ether host` and \
                     `ether net` are not supported (ether[offset] comparisons are)",
                ));
            }
            (Some(p), k) => {
                let fix = match k {
                    Kind::Host | Kind::Net => "`ip` or `ip6`",
                    Kind::Port | Kind::PortRange => "`tcp` or `udp`",
                };
                return Err(self.err(
                    first,
                    format!(
                        "`{p} {k}` is not a filter: only {fix} can qualify `{k}`; \
                         combine the tests instead, e.g. `{p} and {k} {w}`",
                        k = k.word()
                    ),
                ));
            }
        };
        let dir = q.dir;
        match q.kind {
            Kind::Host
                if w.parse::<IpAddr>().is_err() && !w.contains('/') && self.resolve.is_some() =>
            {
                self.host_name(t, w, dir, family)
            }
            Kind::Host => {
                let addr: IpAddr = w.parse().map_err(|_| {
                    let hint = if w.contains('/') {
                        format!("; for a network write `net {w}`")
                    } else {
                        " (sockscope does not look up host names)".to_string()
                    };
                    self.err(
                        t,
                        format!(
                            "expected {what} after `{}`, found `{w}`{hint}",
                            self.text(after)
                        ),
                    )
                })?;
                self.check_family(t, addr, family)?;
                let net = match addr {
                    IpAddr::V4(a) => IpNet::V4 {
                        addr: a,
                        mask: v4_mask(32),
                    },
                    IpAddr::V6(a) => IpNet::V6 {
                        addr: a,
                        mask: v6_mask(128),
                    },
                };
                let arp = family.is_none();
                Ok(Node::Prim(Prim::Net { dir, net, arp }))
            }
            Kind::Net => {
                let net = self.network(t, w, after)?;
                let addr = match net {
                    IpNet::V4 { addr, .. } => IpAddr::V4(addr),
                    IpNet::V6 { addr, .. } => IpAddr::V6(addr),
                };
                self.check_family(t, addr, family)?;
                let arp = family.is_none();
                Ok(Node::Prim(Prim::Net { dir, net, arp }))
            }
            Kind::Port => {
                let proto = port_proto(q.proto);
                let port = self.port(t, w, proto, after)?;
                Ok(Node::Prim(Prim::Port {
                    dir,
                    proto,
                    lo: port,
                    hi: port,
                }))
            }
            Kind::PortRange => {
                let proto = port_proto(q.proto);
                let Some((a, b)) = w.split_once('-') else {
                    return Err(self.err(
                        t,
                        format!(
                            "expected {what} after `{}`, found `{w}` (write the two ports with a `-` and no spaces)",
                            self.text(after)
                        ),
                    ));
                };
                let a = self.port(t, a, proto, after)?;
                let b = self.port(t, b, proto, after)?;
                Ok(Node::Prim(Prim::Port {
                    dir,
                    proto,
                    lo: a.min(b),
                    hi: a.max(b),
                }))
            }
        }
    }

    /// `host NAME` as libpcap compiles it: every address the name resolves to (of the family
    /// asked for, if any), each tested like `host ADDR`, joined with `or`.
    fn host_name(&self, t: Token<'_>, w: &str, dir: Dir, family: Option<Family>) -> PResult<Node> {
        let Some(resolve) = self.resolve else {
            return Err(self.err(t, format!("cannot look up `{w}`")));
        };
        let addrs = resolve(w).map_err(|why| self.err(t, format!("unknown host `{w}`: {why}")))?;
        let mut node: Option<Node> = None;
        for addr in addrs {
            let net = match (addr, family) {
                (IpAddr::V4(a), None | Some(Family::V4)) => IpNet::V4 {
                    addr: a,
                    mask: v4_mask(32),
                },
                (IpAddr::V6(a), None | Some(Family::V6)) => IpNet::V6 {
                    addr: a,
                    mask: v6_mask(128),
                },
                _ => continue,
            };
            let prim = Node::Prim(Prim::Net {
                dir,
                net,
                arp: family.is_none(),
            });
            node = Some(match node {
                None => prim,
                Some(n) => Node::Or(Box::new(n), Box::new(prim)),
            });
        }
        node.ok_or_else(|| {
            let fam = match family {
                Some(Family::V6) => "IPv6 ",
                _ => "IPv4 ",
            };
            self.err(t, format!("unknown host `{w}`: it has no {fam}address"))
        })
    }

    fn check_family(&self, t: Token<'_>, addr: IpAddr, family: Option<Family>) -> PResult<()> {
        match (addr, family) {
            (IpAddr::V6(_), Some(Family::V4)) => Err(self.err(
                t,
                "`ip` means IPv4 but this is an IPv6 address: write `ip6` or leave it out",
            )),
            (IpAddr::V4(_), Some(Family::V6)) => Err(self.err(
                t,
                "`ip6` means IPv6 but this is an IPv4 address: write `ip` or leave it out",
            )),
            _ => Ok(()),
        }
    }

    fn port(&self, t: Token<'_>, w: &str, proto: PortProto, after: Token<'_>) -> PResult<u16> {
        if let Some(n) = number(w) {
            return u16::try_from(n).map_err(|_| {
                self.err(t, format!("port {w} is out of range: ports are 0 to 65535"))
            });
        }
        service_port(w, proto).ok_or_else(|| {
            if let Some(port) = service_port(w, PortProto::Any) {
                let (has, lacks) = match proto {
                    PortProto::Tcp => ("UDP", "TCP"),
                    _ => ("TCP", "UDP"),
                };
                return self.err(
                    t,
                    format!(
                        "`{w}` is a {has} service (port {port}), not a {lacks} one: drop the \
                         `{}` qualifier or write the number",
                        lacks.to_ascii_lowercase()
                    ),
                );
            }
            self.err(
                t,
                format!(
                    "expected a port number after `{}` (`{w}` is neither a number from 0 to \
                     65535 nor a known service name)",
                    self.text(after)
                ),
            )
        })
    }

    /// `A/len`, `A mask M`, a bare v4 or v6 address (a host-sized network), or tcpdump's
    /// short IPv4 forms `10`, `10.1`, `10.1.2` (a /8, /16, /24).
    fn network(&mut self, t: Token<'_>, w: &str, after: Token<'_>) -> PResult<IpNet> {
        let bad_addr = |a: &str| {
            self.err(
                t,
                format!(
                    "expected a network such as 10.0.0.0/8 or fe80::/10 after `{}`, found `{a}`",
                    self.text(after)
                ),
            )
        };
        let (addr_s, prefix) = match w.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (w, None),
        };
        let net = if let Ok(a) = addr_s.parse::<Ipv6Addr>() {
            let prefix = match prefix {
                None => 128,
                Some(p) => self.prefix(t, p, 128)?,
            };
            IpNet::V6 {
                addr: a,
                mask: v6_mask(prefix),
            }
        } else {
            let (a, implied) = match addr_s.parse::<Ipv4Addr>() {
                Ok(a) => (a, 32),
                Err(_) => {
                    // tcpdump's short forms: 1 to 3 dotted numbers.
                    let parts: Vec<&str> = addr_s.split('.').collect();
                    let mut octets = [0u8; 4];
                    if parts.len() > 3 {
                        return Err(bad_addr(addr_s));
                    }
                    for (i, part) in parts.iter().enumerate() {
                        octets[i] = part.parse().map_err(|_| bad_addr(addr_s))?;
                    }
                    (Ipv4Addr::from(octets), 8 * parts.len() as u32)
                }
            };
            let mask = match prefix {
                Some(p) => v4_mask(self.prefix(t, p, 32)?),
                None if self.peek_word() == Some("mask") => {
                    let mask_tok = self.advance();
                    let mask = self
                        .peek_word()
                        .and_then(|s| s.parse::<Ipv4Addr>().ok())
                        .ok_or_else(|| {
                            self.expected_after(mask_tok, "an IPv4 mask such as 255.255.255.0")
                        })?;
                    self.advance();
                    mask
                }
                None => v4_mask(implied),
            };
            IpNet::V4 { addr: a, mask }
        };
        let stray = match net {
            IpNet::V4 { addr, mask } => u32::from(addr) & !u32::from(mask) != 0,
            IpNet::V6 { addr, mask } => u128::from(addr) & !u128::from(mask) != 0,
        };
        if stray {
            let fixed = match net {
                IpNet::V4 { addr, mask } => {
                    IpAddr::V4(Ipv4Addr::from(u32::from(addr) & u32::from(mask)))
                }
                IpNet::V6 { addr, mask } => {
                    IpAddr::V6(Ipv6Addr::from(u128::from(addr) & u128::from(mask)))
                }
            };
            return Err(self.err(
                t,
                format!(
                    "`{w}` has bits set outside its mask: a network's host part must be zero \
                     (did you mean {fixed}, or `host {addr_s}`?)"
                ),
            ));
        }
        Ok(net)
    }

    fn prefix(&self, t: Token<'_>, p: &str, max: u32) -> PResult<u32> {
        let family = if max == 32 { "IPv4" } else { "IPv6" };
        match number(p) {
            Some(n) if n <= max as u64 => Ok(n as u32),
            _ => Err(self.err(
                t,
                format!("bad CIDR prefix `/{p}`: an {family} prefix length is 0 to {max}"),
            )),
        }
    }
}

fn port_proto(proto: Option<&str>) -> PortProto {
    match proto {
        Some("tcp") => PortProto::Tcp,
        Some("udp") => PortProto::Udp,
        _ => PortProto::Any,
    }
}
