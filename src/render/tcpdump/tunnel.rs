//! Tunnels on the tcpdump line: the outer summary, then the inner packet on the same line, as
//! tcpdump prints IP-in-IP (RFC 2003, RFC 4213), GRE (RFC 2784, RFC 2890; print-gre.c),
//! VXLAN (RFC 7348; print-vxlan.c), OTV (print-otv.c), Geneve (RFC 8926; print-geneve.c),
//! VXLAN-GPE (print-vxlan-gpe.c) and NSH (RFC 8300; print-nsh.c). The inner bytes are decoded
//! again as a frame of their own, so they are printed by the same code as any packet. tcpdump
//! starts the inner frame of VXLAN and OTV on a new line; here it follows `: ` because every
//! packet is one line.

use std::io;

use super::TcpdumpRenderer;
use super::tcp::{be16, be32};
use crate::decode::{Packet, decode};
use crate::render::fmt::{push_hex, push_hex_width, push_u64};
use crate::source::{Frame, LinkType};

/// Tunnels inside tunnels are followed this deep, then `[|tunnel]` ends the line.
const MAX_DEPTH: u8 = 4;

/// UDP ports of the tunnels tcpdump recognises by port.
pub mod port {
    pub const VXLAN: u16 = 4789;
    /// Overlay Transport Virtualization (draft-hasmit-otv), whose header is VXLAN's with the
    /// reserved bytes holding an overlay id; also the port Linux once used for VXLAN.
    pub const OTV: u16 = 8472;
    pub const VXLAN_GPE: u16 = 4790;
    /// Geneve is recognised by destination port only (print-udp.c).
    pub const GENEVE: u16 = 6081;
}

/// Geneve header (RFC 8926 §3.4).
mod geneve {
    pub const LEN: usize = 8;
    pub const VERSION_SHIFT: u8 = 6;
    pub const OPTIONS_LEN_MASK: u8 = 0x3f;
    pub const FLAGS: [(u8, u8); 2] = [(0x80, b'O'), (0x40, b'C')];
}

/// GRE header flags (RFC 2784 §2, RFC 2890 §2, RFC 1701 for routing).
mod gre {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQUENCE: u16 = 0x1000;
    pub const VERSION_MASK: u16 = 0x0007;
    pub const BASE_LEN: usize = 4;
}

/// Ethertypes a tunnel may carry.
mod et {
    pub use crate::decode::ethertype::{IPV4, IPV6};
    /// Transparent Ethernet Bridging: a whole Ethernet frame.
    pub const TEB: u16 = 0x6558;
    pub const NSH: u16 = 0x894f;
}

/// NSH base header (RFC 8300 §2.2) and next-protocol values.
mod nsh {
    pub const BASE_LEN: usize = 8;
    pub const WORD: usize = 4;
    pub const FLAG_O: u32 = 0x2;
    pub const NP_IPV4: u8 = 1;
    pub const NP_IPV6: u8 = 2;
    pub const NP_ETHERNET: u8 = 3;
}

/// VXLAN and VXLAN-GPE headers (RFC 7348 §5, draft-ietf-nvo3-vxlan-gpe).
mod vxlan {
    pub const LEN: usize = 8;
    pub const FLAG_I: u8 = 0x08;
    pub const GPE_FLAGS: [(u8, u8); 3] = [(0x08, b'I'), (0x04, b'P'), (0x01, b'O')];
    pub const NP_IPV4: u8 = 1;
    pub const NP_IPV6: u8 = 2;
    pub const NP_ETHERNET: u8 = 3;
    pub const NP_NSH: u8 = 4;
}

/// How an inner packet starts.
#[derive(Clone, Copy)]
enum Inner {
    Ipv4,
    Ipv6,
    Ethernet,
    Nsh,
}

impl TcpdumpRenderer {
    /// Decodes `data` as a packet of its own and prints it (without a timestamp).
    fn inner(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        kind: Inner,
        data: &[u8],
    ) -> io::Result<()> {
        if self.depth >= MAX_DEPTH {
            line.extend_from_slice(b"[|tunnel]");
            return Ok(());
        }
        let link = match kind {
            Inner::Ipv4 => LinkType::IPV4,
            Inner::Ipv6 => LinkType::IPV6,
            Inner::Ethernet => LinkType::ETHERNET,
            Inner::Nsh => return self.nsh(line, outer, data),
        };
        let frame = Frame {
            ts: outer.ts,
            link,
            orig_len: data.len() as u32,
            data,
        };
        let p = decode(&frame);
        self.depth += 1;
        let r = self.body(line, &p);
        self.depth -= 1;
        r
    }

    /// IPv4 or IPv6 carried directly in IP (protocols 4 and 41): the inner packet (after the
    /// outer `A > B: `).
    pub(super) fn ip_in_ip(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        v6: bool,
    ) -> io::Result<()> {
        let kind = if v6 { Inner::Ipv6 } else { Inner::Ipv4 };
        self.inner(line, outer, kind, outer.payload)
    }

    /// `GREvN[, key=0xK][, seq S], length L: ` then what GRE carries (print-gre.c without -v).
    pub(super) fn gre(&mut self, line: &mut Vec<u8>, outer: &Packet<'_>) -> io::Result<()> {
        let b = outer.payload;
        if b.len() < 2 {
            line.extend_from_slice(b"[|gre]");
            return Ok(());
        }
        let flags = be16(b);
        let version = flags & gre::VERSION_MASK;
        line.extend_from_slice(b"GREv");
        push_u64(line, version as u64);
        if version != 0 {
            line.extend_from_slice(b", length ");
            push_u64(line, outer.payload_wire_len as u64);
            return Ok(());
        }
        if b.len() < gre::BASE_LEN {
            line.extend_from_slice(b" [|gre]");
            return Ok(());
        }
        let proto = be16(&b[2..]);
        let mut o = gre::BASE_LEN;
        if flags & (gre::CHECKSUM | gre::ROUTING) != 0 {
            // The checksum is printed only with -v; the routing offset always.
            let Some(off) = b.get(o + 2..o + 4) else {
                line.extend_from_slice(b" [|gre]");
                return Ok(());
            };
            line.extend_from_slice(b", off 0x");
            push_hex(line, be16(off) as u64);
            o += 4;
        }
        if flags & gre::KEY != 0 {
            let Some(k) = b.get(o..o + 4) else {
                line.extend_from_slice(b" [|gre]");
                return Ok(());
            };
            line.extend_from_slice(b", key=0x");
            push_hex(line, be32(k) as u64);
            o += 4;
        }
        if flags & gre::SEQUENCE != 0 {
            let Some(s) = b.get(o..o + 4) else {
                line.extend_from_slice(b" [|gre]");
                return Ok(());
            };
            line.extend_from_slice(b", seq ");
            push_u64(line, be32(s) as u64);
            o += 4;
        }
        line.extend_from_slice(b", length ");
        push_u64(line, outer.payload_wire_len as u64);
        line.extend_from_slice(b": ");
        if flags & gre::ROUTING != 0 {
            // Source routing entries (RFC 1701) are not followed.
            line.extend_from_slice(b"[|gre]");
            return Ok(());
        }
        let rest = b.get(o..).unwrap_or(&[]);
        self.inner_by_ethertype(line, outer, proto, rest, b"gre")
    }

    /// The inner packet of a tunnel header that names it by ethertype (GRE, Geneve), or
    /// `NAME-proto-0xHHHH` for a protocol tcpdump does not follow there.
    fn inner_by_ethertype(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        proto: u16,
        rest: &[u8],
        name: &[u8],
    ) -> io::Result<()> {
        let kind = match proto {
            et::IPV4 => Inner::Ipv4,
            et::IPV6 => Inner::Ipv6,
            et::TEB => Inner::Ethernet,
            et::NSH => Inner::Nsh,
            _ => {
                line.extend_from_slice(name);
                line.extend_from_slice(b"-proto-0x");
                push_hex(line, proto as u64);
                return Ok(());
            }
        };
        self.inner(line, outer, kind, rest)
    }

    /// VXLAN and VXLAN-GPE by UDP port; returns false when the datagram is neither.
    pub(super) fn udp_tunnel(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        sport: u16,
        dport: u16,
    ) -> io::Result<bool> {
        let is = |p: u16| sport == p || dport == p;
        let b = outer.payload;
        // print-udp.c tries OTV before VXLAN.
        let otv = is(port::OTV);
        if is(port::VXLAN) || otv {
            let name: &[u8] = if otv { b"OTV" } else { b"VXLAN" };
            line.extend_from_slice(name);
            if b.len() < vxlan::LEN {
                line.extend_from_slice(b" [|vxlan]");
                return Ok(true);
            }
            line.extend_from_slice(b", flags [");
            line.push(if b[0] & vxlan::FLAG_I != 0 {
                b'I'
            } else {
                b'.'
            });
            line.extend_from_slice(b"] (0x");
            push_hex_width(line, b[0] as u64, 2);
            if otv {
                line.extend_from_slice(b"), overlay ");
                push_u64(line, (be32(b) & 0x00ff_ffff) as u64);
                line.extend_from_slice(b", instance ");
            } else {
                line.extend_from_slice(b"), vni ");
            }
            push_u64(line, (be32(&b[4..]) >> 8) as u64);
            line.extend_from_slice(b": ");
            self.inner(line, outer, Inner::Ethernet, &b[vxlan::LEN..])?;
            return Ok(true);
        }
        if dport == port::GENEVE {
            self.geneve(line, outer, b)?;
            return Ok(true);
        }
        if is(port::VXLAN_GPE) {
            if b.len() < vxlan::LEN {
                line.extend_from_slice(b" [|VXLAN-GPE]");
                return Ok(true);
            }
            line.extend_from_slice(b"VXLAN-GPE, flags [");
            let mut any = false;
            for (bit, c) in vxlan::GPE_FLAGS {
                if b[0] & bit != 0 {
                    line.push(c);
                    any = true;
                }
            }
            if !any {
                line.extend_from_slice(b"none");
            }
            line.extend_from_slice(b"], vni ");
            push_u64(line, (be32(&b[4..]) >> 8) as u64);
            line.extend_from_slice(b": ");
            let kind = match b[3] {
                vxlan::NP_IPV4 => Inner::Ipv4,
                vxlan::NP_IPV6 => Inner::Ipv6,
                vxlan::NP_ETHERNET => Inner::Ethernet,
                vxlan::NP_NSH => Inner::Nsh,
                _ => {
                    line.extend_from_slice(b"ERROR: unknown-next-protocol");
                    return Ok(true);
                }
            };
            self.inner(line, outer, kind, &b[vxlan::LEN..])?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `Geneve, Flags [F], vni 0xV[, options [N bytes]]: ` then what it carries (print-geneve.c).
    fn geneve(&mut self, line: &mut Vec<u8>, outer: &Packet<'_>, b: &[u8]) -> io::Result<()> {
        line.extend_from_slice(b"Geneve");
        if b.len() < geneve::LEN {
            line.extend_from_slice(b" [|geneve]");
            return Ok(());
        }
        let version = b[0] >> geneve::VERSION_SHIFT;
        if version != 0 {
            line.extend_from_slice(b" ERROR: unknown-version ");
            push_u64(line, version as u64);
            return Ok(());
        }
        line.extend_from_slice(b", Flags [");
        let mut any = false;
        for (bit, c) in geneve::FLAGS {
            if b[1] & bit != 0 {
                line.push(c);
                any = true;
            }
        }
        if !any {
            line.extend_from_slice(b"none");
        }
        line.extend_from_slice(b"], vni 0x");
        push_hex(line, (be32(&b[4..]) >> 8) as u64);
        if b[7] != 0 {
            line.extend_from_slice(b", rsvd 0x");
            push_hex(line, b[7] as u64);
        }
        let opts = (b[0] & geneve::OPTIONS_LEN_MASK) as usize * 4;
        let wire = outer.payload_wire_len as usize;
        if wire < geneve::LEN + opts {
            line.extend_from_slice(b" truncated-geneve - ");
            push_u64(line, (geneve::LEN + opts - wire) as u64);
            line.extend_from_slice(b" bytes missing");
            return Ok(());
        }
        let Some(rest) = b.get(geneve::LEN + opts..) else {
            line.extend_from_slice(b" [|geneve]");
            return Ok(());
        };
        if opts > 0 {
            line.extend_from_slice(b", options [");
            push_u64(line, opts as u64);
            line.extend_from_slice(b" bytes]");
        }
        line.extend_from_slice(b": ");
        let proto = be16(&b[2..]);
        self.inner_by_ethertype(line, outer, proto, rest, b"geneve")
    }

    /// `NSH, flags [F], service-path-id 0xSSSSSS, service-index 0xI: ` then the inner packet.
    pub(super) fn nsh(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        b: &[u8],
    ) -> io::Result<()> {
        line.extend_from_slice(b"NSH, ");
        if b.len() < nsh::BASE_LEN {
            line.extend_from_slice(b" [|nsh]");
            return Ok(());
        }
        let base = be32(b);
        if base >> 30 != 0 {
            // Only version 0 is defined; tcpdump prints nothing more.
            return Ok(());
        }
        line.extend_from_slice(b"flags [");
        if (base >> 28) & 0x3 & nsh::FLAG_O != 0 {
            line.push(b'O');
        } else {
            line.extend_from_slice(b"none");
        }
        line.extend_from_slice(b"], service-path-id 0x");
        push_hex_width(line, (be32(&b[4..]) >> 8) as u64, 6);
        line.extend_from_slice(b", service-index 0x");
        push_hex(line, b[7] as u64);
        let words = ((base >> 16) & 0x3f) as usize;
        if words < 2 {
            line.extend_from_slice(b" (less than two headers) (invalid)");
            return Ok(());
        }
        let Some(rest) = b.get(words * nsh::WORD..) else {
            line.extend_from_slice(b" [|nsh]");
            return Ok(());
        };
        line.extend_from_slice(b": ");
        let kind = match (base & 0xff) as u8 {
            nsh::NP_IPV4 => Inner::Ipv4,
            nsh::NP_IPV6 => Inner::Ipv6,
            nsh::NP_ETHERNET => Inner::Ethernet,
            _ => {
                line.extend_from_slice(b"ERROR: unknown-next-protocol");
                return Ok(());
            }
        };
        self.inner(line, outer, kind, rest)
    }
}

/// The ethertype of NSH, for frames that carry it directly.
pub const ETHERTYPE_NSH: u16 = et::NSH;
