//! Compilation of a [`Filter`] to classic BPF (`struct sock_filter` programs for
//! SO_ATTACH_FILTER), and a small interpreter of such programs.
//!
//! The program starts with a prelude that finds the network header once and keeps what it found
//! in scratch memory; every primitive then reads those slots, so VLAN tags and IPv6 extension
//! headers cost nothing per primitive:
//!
//! | slot | holds |
//! |------|-------|
//! | `M[0]` | ethertype after VLAN tags (IPv4/IPv6 ethertypes on raw-IP links) |
//! | `M[1]` | offset of the network header |
//! | `M[2]` | IP protocol after IPv6 extension headers, 256 when not IP |
//! | `M[3]` | offset of the transport header |
//! | `M[4]` | 1 for a fragment other than the first |
//! | `M[5]` | end of the IPv6 payload: the payload length field bounds extension headers |
//! | `M[6..16]` | operands of arithmetic in relations |
//!
//! Where the prelude cannot follow a frame exactly as the decoder does (two or more VLAN tags,
//! more than eight IPv6 extension headers, an IP header that is cut short or malformed) the
//! program accepts the frame and leaves the decision to [`Filter::matches`] in user space: the
//! kernel filter is a pre-filter and must never drop a packet the user-space filter accepts.

use super::{Arith, ArithOp, Base, Dir, Family, Filter, IpNet, Node, PortProto, Prim, RelOp};
use crate::decode::{ethertype, proto};
use crate::source::LinkType;

/// One instruction, laid out as Linux's `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// What an accepting program returns: the number of bytes to keep (the snap length).
pub const ACCEPT: u32 = 262_144;
/// The most instructions the kernel takes (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// Opcode parts (linux/bpf_common.h, linux/filter.h).
pub mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;

    pub const W: u16 = 0x00;
    pub const H: u16 = 0x08;
    pub const B: u16 = 0x10;

    pub const IMM: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const IND: u16 = 0x40;
    pub const MEM: u16 = 0x60;
    pub const LEN: u16 = 0x80;
    pub const MSH: u16 = 0xa0;

    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const MOD: u16 = 0x90;
    pub const XOR: u16 = 0xa0;

    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;

    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    /// RET: return the accumulator.
    pub const A: u16 = 0x10;

    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;
}

use op::*;

const M_ETHERTYPE: u32 = 0;
const M_NET: u32 = 1;
const M_PROTO: u32 = 2;
const M_TRANSPORT: u32 = 3;
const M_LATER_FRAG: u32 = 4;
const M_END: u32 = 5;
const M_FIRST_FREE: u32 = 6;
const MEM_WORDS: u32 = 16;
/// IPv6 extension headers the prelude follows before giving up.
const MAX_IPV6_EXTS: usize = 6;

/// Compiles `filter` for frames of `link`, or `None` when the link type has no compiler here or
/// the expression is too deep or too long for classic BPF (then filter in user space only).
/// Link types: Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 228, 229).
pub fn compile(filter: &Filter, link: LinkType) -> Option<Vec<BpfInsn>> {
    let mut c = Compiler {
        ins: Vec::new(),
        labels: 0,
        ethernet: link.normalized() == LinkType::ETHERNET,
    };
    let accept = c.label();
    let reject = c.label();
    c.prelude(link.normalized(), accept, uses_transport(filter.root()))?;
    c.node(filter.root(), accept, reject)?;
    c.place(accept);
    c.push(RET | K, ACCEPT);
    c.place(reject);
    c.push(RET | K, 0);
    let prog = resolve(c.ins, c.labels);
    (prog.len() <= MAX_INSNS).then_some(prog)
}

type Label = usize;

#[derive(Clone, Copy, Debug)]
enum Ins {
    Op {
        code: u16,
        k: u32,
    },
    Cond {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
    Ja(Label),
    Place(Label),
}

struct Compiler {
    ins: Vec<Ins>,
    labels: usize,
    ethernet: bool,
}

impl Compiler {
    fn label(&mut self) -> Label {
        self.labels += 1;
        self.labels - 1
    }

    fn place(&mut self, l: Label) {
        self.ins.push(Ins::Place(l));
    }

    fn push(&mut self, code: u16, k: u32) {
        self.ins.push(Ins::Op { code, k });
    }

    /// A conditional jump; `None` continues with the next instruction.
    fn cond(&mut self, code: u16, k: u32, jt: Option<Label>, jf: Option<Label>) {
        let next = self.label();
        self.ins.push(Ins::Cond {
            code: JMP | code,
            k,
            jt: jt.unwrap_or(next),
            jf: jf.unwrap_or(next),
        });
        self.place(next);
    }

    fn ja(&mut self, l: Label) {
        self.ins.push(Ins::Ja(l));
    }

    /// Finds the network and transport headers; see the module documentation.
    /// `walk`: follow IPv6 extension headers to the transport header (only filters that look
    /// at the IP protocol or the transport header need it).
    fn prelude(&mut self, link: LinkType, accept: Label, walk: bool) -> Option<()> {
        self.push(LD | IMM, 256);
        self.push(ST, M_PROTO);
        self.push(LD | IMM, 0);
        self.push(ST, M_TRANSPORT);
        self.push(ST, M_LATER_FRAG);
        let ip = self.label();
        let set = |c: &mut Compiler, et: Option<u32>, net: u32| {
            if let Some(et) = et {
                c.push(LD | IMM, et);
            }
            c.push(ST, M_ETHERTYPE);
            c.push(LD | IMM, net);
            c.push(ST, M_NET);
            c.ja(ip);
        };
        match link {
            LinkType::ETHERNET => {
                // IEEE 802.3 §3.1.1: ethertype at 12; an 802.1Q/802.1ad tag adds 4 bytes.
                let tagged = self.label();
                self.push(LD | H | ABS, 12);
                self.cond(JEQ | K, ethertype::VLAN as u32, Some(tagged), None);
                self.cond(JEQ | K, ethertype::QINQ as u32, Some(tagged), None);
                set(self, None, 14);
                self.place(tagged);
                self.push(LD | H | ABS, 16);
                self.cond(JEQ | K, ethertype::VLAN as u32, Some(accept), None);
                self.cond(JEQ | K, ethertype::QINQ as u32, Some(accept), None);
                set(self, None, 18);
            }
            LinkType::LINUX_SLL => {
                self.push(LD | H | ABS, 14);
                set(self, None, 16);
            }
            LinkType::LINUX_SLL2 => {
                self.push(LD | H | ABS, 0);
                set(self, None, 20);
            }
            LinkType::RAW => {
                let (v4, v6) = (self.label(), self.label());
                self.push(LD | B | ABS, 0);
                self.push(ALU | RSH | K, 4);
                self.cond(JEQ | K, 4, Some(v4), None);
                self.cond(JEQ | K, 6, Some(v6), None);
                set(self, Some(0), 0);
                self.place(v4);
                set(self, Some(ethertype::IPV4 as u32), 0);
                self.place(v6);
                set(self, Some(ethertype::IPV6 as u32), 0);
            }
            LinkType::IPV4 => set(self, Some(ethertype::IPV4 as u32), 0),
            LinkType::IPV6 => set(self, Some(ethertype::IPV6 as u32), 0),
            _ => return None,
        }
        self.place(ip);
        let (v4, v6, body) = (self.label(), self.label(), self.label());
        self.push(LD | MEM, M_ETHERTYPE);
        self.cond(JEQ | K, ethertype::IPV4 as u32, Some(v4), None);
        self.cond(JEQ | K, ethertype::IPV6 as u32, Some(v6), Some(body));

        // IPv4 (RFC 791 §3.1): version and IHL in byte 0, flags+fragment offset in 6..8,
        // protocol in 9. The whole header must be captured, as the decoder needs.
        self.place(v4);
        self.require_len(20, accept);
        self.push(LDX | MEM, M_NET);
        self.push(LD | B | IND, 0);
        self.push(ALU | AND | K, 0xf0);
        self.cond(JEQ | K, 0x40, None, Some(accept));
        self.push(LD | B | IND, 0);
        self.push(ALU | AND | K, 0x0f);
        self.cond(JGE | K, 5, None, Some(accept));
        self.push(ALU | LSH | K, 2);
        self.push(ALU | ADD | X, 0);
        self.push(ST, M_TRANSPORT);
        self.push(MISC | TAX, 0);
        self.push(LD | W | LEN, 0);
        self.cond(JGE | X, 0, None, Some(accept));
        self.push(LDX | MEM, M_NET);
        self.push(LD | B | IND, 9);
        self.push(ST, M_PROTO);
        self.push(LD | H | IND, 6);
        let later = self.label();
        self.cond(JSET | K, 0x1fff, Some(later), Some(body));
        self.place(later);
        self.push(LD | IMM, 1);
        self.push(ST, M_LATER_FRAG);
        self.ja(body);

        // IPv6 (RFC 8200 §3): version in byte 0, next header in 6, 40 bytes; then extension
        // headers (§4): hop-by-hop 0, routing 43, destination options 60 are (len+1)×8 bytes,
        // fragment 44 is 8 bytes, AH 51 (RFC 4302 §2.2) is (len+2)×4 bytes.
        self.place(v6);
        self.require_len(40, accept);
        self.push(LDX | MEM, M_NET);
        self.push(LD | B | IND, 0);
        self.push(ALU | AND | K, 0xf0);
        self.cond(JEQ | K, 0x60, None, Some(accept));
        if walk {
            // The end of the payload, as the decoder sees it: the payload length field, or the
            // frame's end when that is shorter (or the field is 0, a jumbogram).
            let (use_len, have_end) = (self.label(), self.label());
            self.push(LD | H | IND, 4);
            self.cond(JEQ | K, 0, Some(use_len), None);
            self.push(ALU | ADD | X, 0);
            self.push(ALU | ADD | K, 40);
            self.push(ST, M_END);
            self.push(MISC | TAX, 0);
            self.push(LD | W | LEN, 0);
            self.cond(JGE | X, 0, Some(have_end), Some(use_len));
            self.place(use_len);
            self.push(LD | W | LEN, 0);
            self.push(ST, M_END);
            self.place(have_end);
            self.push(LDX | MEM, M_NET);
            self.push(TXA_CODE, 0);
            self.push(ALU | ADD | K, 40);
            self.push(ST, M_TRANSPORT);
            self.push(LD | B | IND, 6);
            let done = self.label();
            for _ in 0..MAX_IPV6_EXTS {
                // A holds the kind of the header at M[TRANSPORT]; each branch leaves A with the
                // kind of the next header and M[TRANSPORT] at its start.
                let (ext8, frag, ah, tail, next) = (
                    self.label(),
                    self.label(),
                    self.label(),
                    self.label(),
                    self.label(),
                );
                self.cond(JEQ | K, proto::HOPOPT as u32, Some(ext8), None);
                self.cond(JEQ | K, proto::IPV6_ROUTE as u32, Some(ext8), None);
                self.cond(JEQ | K, proto::IPV6_OPTS as u32, Some(ext8), None);
                self.cond(JEQ | K, proto::IPV6_FRAG as u32, Some(frag), None);
                self.cond(JEQ | K, proto::AH as u32, Some(ah), Some(done));
                // Length: (len+1)×8 for the generic form, (len+2)×4 for AH.
                for (start, add, shift) in [(ext8, 1, 3), (ah, 2, 2)] {
                    self.place(start);
                    self.require_within(M_TRANSPORT, 8, accept);
                    self.push(LDX | MEM, M_TRANSPORT);
                    self.push(LD | B | IND, 1);
                    if start == ah {
                        // RFC 4302 §2.2: an AH is at least 12 bytes (length field ≥ 1).
                        self.cond(JEQ | K, 0, Some(accept), None);
                    }
                    self.push(ALU | ADD | K, add);
                    self.push(ALU | LSH | K, shift);
                    if start == ext8 {
                        self.ja(tail);
                    }
                }
                // Advance; the header must end within the payload, as the decoder requires.
                self.place(tail);
                self.push(ALU | ADD | X, 0);
                self.push(ST, M_TRANSPORT);
                self.push(LD | B | IND, 0);
                self.push(ST, M_FIRST_FREE);
                self.push(LDX | MEM, M_TRANSPORT);
                self.push(LD | MEM, M_END);
                self.cond(JGE | X, 0, None, Some(accept));
                self.push(LD | MEM, M_FIRST_FREE);
                self.ja(next);
                self.place(frag);
                self.require_within(M_TRANSPORT, 8, accept);
                self.push(LDX | MEM, M_TRANSPORT);
                self.push(LD | H | IND, 2);
                let first = self.label();
                self.cond(JSET | K, 0xfff8, None, Some(first));
                self.push(LD | IMM, 1);
                self.push(ST, M_LATER_FRAG);
                self.place(first);
                self.push(TXA_CODE, 0);
                self.push(ALU | ADD | K, 8);
                self.push(ST, M_TRANSPORT);
                self.push(LD | B | IND, 0);
                self.place(next);
            }
            // Still an extension header after the last one followed: let user space decide.
            for kind in [
                proto::HOPOPT,
                proto::IPV6_ROUTE,
                proto::IPV6_OPTS,
                proto::IPV6_FRAG,
                proto::AH,
            ] {
                self.cond(JEQ | K, kind as u32, Some(accept), None);
            }
            self.place(done);
            self.push(ST, M_PROTO);
        }
        self.place(body);
        Some(())
    }

    /// Accepts (defers to user space) unless `len` reaches M[NET] + `n`.
    fn require_len(&mut self, n: u32, accept: Label) {
        self.require_len_from(M_NET, n, accept);
    }

    /// Accepts (defers to user space) unless `len` reaches M[`slot`] + `n`: a header that is
    /// cut short or claims more bytes than the frame has is left to the decoder.
    fn require_len_from(&mut self, slot: u32, n: u32, accept: Label) {
        self.push(LD | MEM, slot);
        self.push(ALU | ADD | K, n);
        self.push(MISC | TAX, 0);
        self.push(LD | W | LEN, 0);
        self.cond(JGE | X, 0, None, Some(accept));
    }

    /// Like [`Self::require_len_from`], within the IPv6 payload (`M[END]`).
    fn require_within(&mut self, slot: u32, n: u32, accept: Label) {
        self.push(LD | MEM, slot);
        self.push(ALU | ADD | K, n);
        self.push(MISC | TAX, 0);
        self.push(LD | MEM, M_END);
        self.cond(JGE | X, 0, None, Some(accept));
    }

    fn node(&mut self, n: &Node, t: Label, f: Label) -> Option<()> {
        match n {
            Node::True => self.ja(t),
            Node::And(a, b) => {
                let mid = self.label();
                self.node(a, mid, f)?;
                self.place(mid);
                self.node(b, t, f)?;
            }
            Node::Or(a, b) => {
                let mid = self.label();
                self.node(a, t, mid)?;
                self.place(mid);
                self.node(b, t, f)?;
            }
            Node::Not(a) => self.node(a, f, t)?,
            Node::Prim(p) => self.prim(p, t, f),
            Node::Rel(op, a, b) => self.relation(*op, a, b, t, f)?,
        }
        Some(())
    }

    /// Jumps to `f` unless M[ETHERTYPE] is the ethertype of `family`.
    fn family_guard(&mut self, family: Option<Family>, f: Label) {
        let et = match family {
            None => return,
            Some(Family::V4) => ethertype::IPV4,
            Some(Family::V6) => ethertype::IPV6,
        };
        self.push(LD | MEM, M_ETHERTYPE);
        self.cond(JEQ | K, et as u32, None, Some(f));
    }

    fn prim(&mut self, p: &Prim, t: Label, f: Label) {
        match *p {
            Prim::EtherType(et) => {
                self.push(LD | MEM, M_ETHERTYPE);
                self.cond(JEQ | K, et as u32, Some(t), Some(f));
            }
            Prim::IpProto { family, proto } => {
                self.family_guard(family, f);
                self.push(LD | MEM, M_PROTO);
                self.cond(JEQ | K, proto as u32, Some(t), Some(f));
            }
            Prim::Net { dir, net, arp } => {
                let test = &mut |c: &mut Compiler, off, t, f| c.in_net(net, off, t, f);
                if let (IpNet::V4 { .. }, true) = (net, arp) {
                    // RFC 826: hardware and protocol address lengths at 4 and 5; with 6 and 4
                    // the sender's protocol address is at 14, the target's at 24.
                    let (ip, arp) = (self.label(), self.label());
                    self.push(LD | MEM, M_ETHERTYPE);
                    self.cond(JEQ | K, ethertype::IPV4 as u32, Some(ip), None);
                    self.cond(JEQ | K, ethertype::ARP as u32, Some(arp), Some(f));
                    self.place(arp);
                    self.push(LDX | MEM, M_NET);
                    self.push(LD | H | IND, 4);
                    self.cond(JEQ | K, 0x0604, None, Some(f));
                    self.by_dir(dir, 14, 24, t, f, test);
                    self.place(ip);
                } else {
                    let family = match net {
                        IpNet::V4 { .. } => Family::V4,
                        IpNet::V6 { .. } => Family::V6,
                    };
                    self.family_guard(Some(family), f);
                }
                self.push(LDX | MEM, M_NET);
                // RFC 791: addresses at 12 and 16; RFC 8200: at 8 and 24.
                let (src, dst) = match net {
                    IpNet::V4 { .. } => (12, 16),
                    IpNet::V6 { .. } => (8, 24),
                };
                self.by_dir(dir, src, dst, t, f, test);
            }
            Prim::Port { dir, proto, lo, hi } => {
                self.push(LD | MEM, M_PROTO);
                match proto {
                    PortProto::Tcp => self.cond(JEQ | K, proto::TCP as u32, None, Some(f)),
                    PortProto::Udp => self.cond(JEQ | K, proto::UDP as u32, None, Some(f)),
                    PortProto::Any => {
                        let ok = self.label();
                        self.cond(JEQ | K, proto::TCP as u32, Some(ok), None);
                        self.cond(JEQ | K, proto::UDP as u32, None, Some(f));
                        self.place(ok);
                    }
                }
                self.push(LD | MEM, M_LATER_FRAG);
                self.cond(JEQ | K, 0, None, Some(f));
                self.push(LDX | MEM, M_TRANSPORT);
                // RFC 9293 §3.1, RFC 768: source port at 0, destination port at 2.
                self.by_dir(dir, 0, 2, t, f, &mut |c, off, t, f| {
                    c.push(LD | H | IND, off);
                    if lo == hi {
                        c.cond(JEQ | K, lo as u32, Some(t), Some(f));
                    } else {
                        if lo > 0 {
                            c.cond(JGE | K, lo as u32, None, Some(f));
                        }
                        c.cond(JGT | K, hi as u32, Some(f), Some(t));
                    }
                });
            }
        }
    }

    /// Tests the source field at `src`, the destination at `dst`, or both, as `dir` says.
    fn by_dir(
        &mut self,
        dir: Dir,
        src: u32,
        dst: u32,
        t: Label,
        f: Label,
        test: &mut dyn FnMut(&mut Compiler, u32, Label, Label),
    ) {
        match dir {
            Dir::Src => test(self, src, t, f),
            Dir::Dst => test(self, dst, t, f),
            Dir::Either => {
                let mid = self.label();
                test(self, src, t, mid);
                self.place(mid);
                test(self, dst, t, f);
            }
            Dir::Both => {
                let mid = self.label();
                test(self, src, mid, f);
                self.place(mid);
                test(self, dst, t, f);
            }
        }
    }

    /// X holds the network offset; compares the address at X + `off` with `net`.
    fn in_net(&mut self, net: IpNet, off: u32, t: Label, f: Label) {
        let words: Vec<(u32, u32)> = match net {
            IpNet::V4 { addr, mask } => vec![(u32::from(addr), u32::from(mask))],
            IpNet::V6 { addr, mask } => {
                let (a, m) = (addr.octets(), mask.octets());
                (0..4)
                    .map(|i| {
                        let w = |b: [u8; 16]| {
                            u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
                        };
                        (w(a), w(m))
                    })
                    .collect()
            }
        };
        let checked: Vec<(u32, u32, u32)> = words
            .iter()
            .enumerate()
            .filter(|(_, (_, m))| *m != 0)
            .map(|(i, &(a, m))| (off + 4 * i as u32, a, m))
            .collect();
        if checked.is_empty() {
            self.ja(t);
            return;
        }
        let last = checked.len() - 1;
        for (i, &(o, a, m)) in checked.iter().enumerate() {
            self.push(LD | W | IND, o);
            if m != u32::MAX {
                self.push(ALU | AND | K, m);
            }
            let jt = (i == last).then_some(t);
            self.cond(JEQ | K, a, jt, Some(f));
        }
    }

    fn relation(&mut self, op: RelOp, a: &Arith, b: &Arith, t: Label, f: Label) -> Option<()> {
        self.load_guards(a, f);
        self.load_guards(b, f);
        let (code, src) = if let Some(k) = b.constant() {
            self.arith(a, M_FIRST_FREE)?;
            (K, k)
        } else {
            self.arith(b, M_FIRST_FREE)?;
            self.push(ST, M_FIRST_FREE);
            self.arith(a, M_FIRST_FREE + 1)?;
            self.push(LDX | MEM, M_FIRST_FREE);
            (X, 0)
        };
        let (jmp, jt, jf) = match op {
            RelOp::Eq => (JEQ, t, f),
            RelOp::Ne => (JEQ, f, t),
            RelOp::Gt => (JGT, t, f),
            RelOp::Ge => (JGE, t, f),
            RelOp::Lt => (JGE, f, t),
            RelOp::Le => (JGT, f, t),
        };
        self.cond(jmp | code, src, Some(jt), Some(jf));
        Some(())
    }

    /// Jumps to `f` unless every header `a` loads from is present.
    fn load_guards(&mut self, a: &Arith, f: Label) {
        match a {
            Arith::Num(_) | Arith::Len => {}
            Arith::Load { base, offset, .. } => {
                match *base {
                    Base::Ether if self.ethernet => {}
                    Base::Ether => self.ja(f),
                    Base::Ip => self.family_guard(Some(Family::V4), f),
                    Base::Ip6 => self.family_guard(Some(Family::V6), f),
                    Base::Transport { proto, family } => {
                        self.family_guard(family, f);
                        self.push(LD | MEM, M_PROTO);
                        self.cond(JEQ | K, proto as u32, None, Some(f));
                        self.push(LD | MEM, M_LATER_FRAG);
                        self.cond(JEQ | K, 0, None, Some(f));
                    }
                }
                self.load_guards(offset, f);
            }
            Arith::Bin(_, x, y) => {
                self.load_guards(x, f);
                self.load_guards(y, f);
            }
            Arith::Neg(x) => self.load_guards(x, f),
        }
    }

    /// Computes `a` into A, using scratch slots from `free` on.
    fn arith(&mut self, a: &Arith, free: u32) -> Option<()> {
        if free >= MEM_WORDS {
            return None;
        }
        match a {
            Arith::Num(n) => self.push(LD | IMM, *n),
            Arith::Len => self.push(LD | W | LEN, 0),
            Arith::Load { base, offset, size } => {
                let width = match size {
                    1 => B,
                    2 => H,
                    _ => W,
                };
                let slot = match base {
                    Base::Ether => None,
                    Base::Ip | Base::Ip6 => Some(M_NET),
                    Base::Transport { .. } => Some(M_TRANSPORT),
                };
                match (offset.constant(), slot) {
                    (Some(k), None) => self.push(LD | width | ABS, k),
                    (Some(k), Some(m)) => {
                        self.push(LDX | MEM, m);
                        self.push(LD | width | IND, k);
                    }
                    (None, slot) => {
                        self.arith(offset, free)?;
                        if let Some(m) = slot {
                            self.push(LDX | MEM, m);
                            self.push(ALU | ADD | X, 0);
                        }
                        self.push(MISC | TAX, 0);
                        self.push(LD | width | IND, 0);
                    }
                }
            }
            Arith::Bin(op, x, y) => {
                let code = match op {
                    ArithOp::Add => ADD,
                    ArithOp::Sub => SUB,
                    ArithOp::Mul => MUL,
                    ArithOp::Div => DIV,
                    ArithOp::Mod => MOD,
                    ArithOp::And => AND,
                    ArithOp::Or => OR,
                    ArithOp::Xor => XOR,
                    ArithOp::Shl => LSH,
                    ArithOp::Shr => RSH,
                };
                if let Some(k) = y.constant() {
                    self.arith(x, free)?;
                    self.push(ALU | code | K, k);
                } else {
                    self.arith(y, free)?;
                    self.push(ST, free);
                    self.arith(x, free + 1)?;
                    self.push(LDX | MEM, free);
                    self.push(ALU | code | X, 0);
                }
            }
            Arith::Neg(x) => {
                self.arith(x, free)?;
                self.push(ALU | NEG, 0);
            }
        }
        Some(())
    }
}

const TXA_CODE: u16 = MISC | TXA;

/// Whether the filter reads the IP protocol or the transport header (`M[2..5]`).
fn uses_transport(n: &Node) -> bool {
    fn arith(a: &Arith) -> bool {
        match a {
            Arith::Num(_) | Arith::Len => false,
            Arith::Load { base, offset, .. } => {
                matches!(base, Base::Transport { .. }) || arith(offset)
            }
            Arith::Bin(_, x, y) => arith(x) || arith(y),
            Arith::Neg(x) => arith(x),
        }
    }
    match n {
        Node::True => false,
        Node::And(a, b) | Node::Or(a, b) => uses_transport(a) || uses_transport(b),
        Node::Not(a) => uses_transport(a),
        Node::Prim(Prim::IpProto { .. } | Prim::Port { .. }) => true,
        Node::Prim(Prim::EtherType(_) | Prim::Net { .. }) => false,
        Node::Rel(_, a, b) => arith(a) || arith(b),
    }
}

/// Turns labels into relative offsets. A conditional jump reaches at most 255 instructions
/// ahead; a farther one is rerouted through `ja` trampolines placed right after it.
fn resolve(mut ins: Vec<Ins>, mut labels: usize) -> Vec<BpfInsn> {
    loop {
        let pos = positions(&ins, labels);
        let mut idx = 0usize;
        let mut far = None;
        for (j, i) in ins.iter().enumerate() {
            match *i {
                Ins::Place(_) => continue,
                Ins::Cond { jt, jf, .. }
                    if pos[jt] - (idx + 1) > 255 || pos[jf] - (idx + 1) > 255 =>
                {
                    far = Some(j);
                    break;
                }
                _ => {}
            }
            idx += 1;
        }
        let Some(j) = far else { break };
        let Ins::Cond { code, k, jt, jf } = ins[j] else {
            unreachable!("only conditional jumps are rerouted")
        };
        // Reroute the far side(s) only; a near side that the trampoline pushes out of reach is
        // rerouted on a later pass.
        let idx = ins[..j]
            .iter()
            .filter(|i| !matches!(i, Ins::Place(_)))
            .count();
        let far_t = pos[jt] - (idx + 1) > 255;
        let far_f = pos[jf] - (idx + 1) > 255;
        let mut tramp = Vec::new();
        let mut reroute = |target: Label, far: bool| {
            if !far {
                return target;
            }
            let l = labels;
            labels += 1;
            tramp.push(Ins::Place(l));
            tramp.push(Ins::Ja(target));
            l
        };
        let (jt, jf) = (reroute(jt, far_t), reroute(jf, far_f));
        ins[j] = Ins::Cond { code, k, jt, jf };
        ins.splice(j + 1..j + 1, tramp);
    }
    let pos = positions(&ins, labels);
    let mut out = Vec::with_capacity(ins.len());
    for i in ins {
        let idx = out.len();
        let insn = match i {
            Ins::Place(_) => continue,
            Ins::Op { code, k } => BpfInsn {
                code,
                jt: 0,
                jf: 0,
                k,
            },
            Ins::Cond { code, k, jt, jf } => BpfInsn {
                code,
                jt: (pos[jt] - idx - 1) as u8,
                jf: (pos[jf] - idx - 1) as u8,
                k,
            },
            Ins::Ja(l) => BpfInsn {
                code: JMP | JA,
                jt: 0,
                jf: 0,
                k: (pos[l] - idx - 1) as u32,
            },
        };
        out.push(insn);
    }
    out
}

/// The instruction index of each label (all jumps go forward).
fn positions(ins: &[Ins], labels: usize) -> Vec<usize> {
    let mut pos = vec![0usize; labels];
    let mut idx = 0;
    for i in ins {
        match *i {
            Ins::Place(l) => pos[l] = idx,
            _ => idx += 1,
        }
    }
    pos
}

/// Runs `prog` on a frame the way the kernel and libpcap's `bpf_filter` do: `data` is what is
/// captured, `wire_len` the length on the wire (`len`). Returns the accept length; a load past
/// the captured bytes, a division by zero or a malformed program returns 0.
pub fn run(prog: &[BpfInsn], data: &[u8], wire_len: u32) -> u32 {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEM_WORDS as usize];
    let mut pc = 0usize;
    let load = |off: u32, size: u16| -> Option<u32> {
        let n = match size {
            B => 1,
            H => 2,
            _ => 4,
        };
        let start = off as usize;
        let bytes = data.get(start..start.checked_add(n)?)?;
        Some(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | b as u32))
    };
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let k = i.k;
        match i.code & 0x07 {
            LD | LDX => {
                let is_x = i.code & 0x07 == LDX;
                let v = match i.code & 0xe0 {
                    IMM => Some(k),
                    ABS => load(k, i.code & 0x18),
                    IND => x.checked_add(k).and_then(|o| load(o, i.code & 0x18)),
                    MEM => mem.get(k as usize).copied(),
                    LEN => Some(wire_len),
                    MSH => load(k, B).map(|b| (b & 0x0f) * 4),
                    _ => None,
                };
                let Some(v) = v else { return 0 };
                if is_x {
                    x = v;
                } else {
                    a = v;
                }
            }
            ST | STX => {
                let v = if i.code & 0x07 == ST { a } else { x };
                let Some(slot) = mem.get_mut(k as usize) else {
                    return 0;
                };
                *slot = v;
            }
            ALU => {
                let b = if i.code & X != 0 { x } else { k };
                let r = match i.code & 0xf0 {
                    ADD => Some(a.wrapping_add(b)),
                    SUB => Some(a.wrapping_sub(b)),
                    MUL => Some(a.wrapping_mul(b)),
                    DIV => a.checked_div(b),
                    MOD => a.checked_rem(b),
                    OR => Some(a | b),
                    AND => Some(a & b),
                    XOR => Some(a ^ b),
                    LSH => Some(a.checked_shl(b).unwrap_or(0)),
                    RSH => Some(a.checked_shr(b).unwrap_or(0)),
                    NEG => Some(a.wrapping_neg()),
                    _ => None,
                };
                let Some(r) = r else { return 0 };
                a = r;
            }
            JMP => {
                let b = if i.code & X != 0 { x } else { k };
                let taken = match i.code & 0xf0 {
                    JA => {
                        pc = pc.saturating_add(k as usize);
                        continue;
                    }
                    JEQ => a == b,
                    JGT => a > b,
                    JGE => a >= b,
                    JSET => a & b != 0,
                    _ => return 0,
                };
                pc += if taken { i.jt } else { i.jf } as usize;
            }
            RET => return if i.code & A != 0 { a } else { k },
            MISC => {
                if i.code & 0xf8 == TXA {
                    a = x;
                } else {
                    x = a;
                }
            }
            _ => return 0,
        }
    }
    0
}

/// The program in `tcpdump -d` style, one instruction per line, for debugging and tests.
pub fn disassemble(prog: &[BpfInsn]) -> String {
    let mut s = String::new();
    for (n, i) in prog.iter().enumerate() {
        let size = match i.code & 0x18 {
            B => "b",
            H => "h",
            _ => "",
        };
        let src = |i: &BpfInsn| {
            if i.code & X != 0 {
                "x".to_string()
            } else {
                format!("#{:#x}", i.k)
            }
        };
        let text = match i.code & 0x07 {
            LD | LDX => {
                let reg = if i.code & 0x07 == LDX { "ldx" } else { "ld" };
                match i.code & 0xe0 {
                    IMM => format!("{reg} #{:#x}", i.k),
                    ABS => format!("{reg}{size} [{}]", i.k),
                    IND => format!("{reg}{size} [x + {}]", i.k),
                    MEM => format!("{reg} M[{}]", i.k),
                    LEN => format!("{reg} #pktlen"),
                    MSH => format!("ldxb 4*([{}]&0xf)", i.k),
                    _ => format!("{reg} ?"),
                }
            }
            ST => format!("st M[{}]", i.k),
            STX => format!("stx M[{}]", i.k),
            ALU => {
                let name = match i.code & 0xf0 {
                    ADD => "add",
                    SUB => "sub",
                    MUL => "mul",
                    DIV => "div",
                    MOD => "mod",
                    OR => "or",
                    AND => "and",
                    XOR => "xor",
                    LSH => "lsh",
                    RSH => "rsh",
                    NEG => "neg",
                    _ => "alu?",
                };
                if i.code & 0xf0 == NEG {
                    name.to_string()
                } else {
                    format!("{name} {}", src(i))
                }
            }
            JMP => {
                let at = |d: u32| n as u32 + 1 + d;
                match i.code & 0xf0 {
                    JA => format!("ja {}", at(i.k)),
                    c => {
                        let name = match c {
                            JEQ => "jeq",
                            JGT => "jgt",
                            JGE => "jge",
                            _ => "jset",
                        };
                        format!(
                            "{name} {} jt {} jf {}",
                            src(i),
                            at(i.jt as u32),
                            at(i.jf as u32)
                        )
                    }
                }
            }
            RET if i.code & A != 0 => "ret a".to_string(),
            RET => format!("ret #{}", i.k),
            _ if i.code & 0xf8 == TXA => "txa".to_string(),
            _ => "tax".to_string(),
        };
        s.push_str(&format!("({n:03}) {text}\n"));
    }
    s
}
