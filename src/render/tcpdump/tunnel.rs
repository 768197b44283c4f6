//! Tunnels on the tcpdump line: the outer summary, then the inner packet on the same line, as
//! tcpdump prints IP-in-IP (RFC 2003, RFC 4213), GRE (RFC 2784, RFC 2890; print-gre.c),
//! VXLAN (RFC 7348; print-vxlan.c), OTV (print-otv.c), Geneve (RFC 8926; print-geneve.c),
//! VXLAN-GPE (print-vxlan-gpe.c) and NSH (RFC 8300; print-nsh.c). The inner bytes are decoded
//! again as a frame of their own, so they are printed by the same code as any packet. tcpdump
//! starts the inner frame of VXLAN and OTV on a new line; here it follows `: ` because every
//! packet is one line.

use std::io;

use super::TcpdumpRenderer;
use crate::decode::tunnel::{
    self, GeneveBody, ethertype as tet, geneve_bits, nsh_bits, port, vxlan_bits,
};
use crate::decode::{Packet, decode, ethertype};
use crate::render::fmt::{push_hex, push_hex_width, push_u64};
use crate::source::{Frame, LinkType};

/// Tunnels inside tunnels are followed this deep, then `[|tunnel]` ends the line.
const MAX_DEPTH: u8 = 4;

/// Geneve flag letters (print-geneve.c).
const GENEVE_FLAGS: [(u8, u8); 2] = [(geneve_bits::FLAG_O, b'O'), (geneve_bits::FLAG_C, b'C')];
/// VXLAN-GPE flag letters (print-vxlan-gpe.c).
const GPE_FLAGS: [(u8, u8); 3] = [
    (vxlan_bits::FLAG_I, b'I'),
    (vxlan_bits::FLAG_P, b'P'),
    (vxlan_bits::FLAG_O, b'O'),
];

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
        let Some(g) = tunnel::gre(outer.payload) else {
            line.extend_from_slice(b"[|gre]");
            return Ok(());
        };
        line.extend_from_slice(b"GREv");
        push_u64(line, g.version as u64);
        if g.version != 0 {
            line.extend_from_slice(b", length ");
            push_u64(line, outer.payload_wire_len as u64);
            return Ok(());
        }
        let Some(proto) = g.protocol else {
            line.extend_from_slice(b" [|gre]");
            return Ok(());
        };
        // The checksum is printed only with -v; the routing offset always.
        if let Some(off) = g.routing_offset {
            line.extend_from_slice(b", off 0x");
            push_hex(line, off as u64);
        }
        if let Some(k) = g.key {
            line.extend_from_slice(b", key=0x");
            push_hex(line, k as u64);
        }
        if let Some(s) = g.seq {
            line.extend_from_slice(b", seq ");
            push_u64(line, s as u64);
        }
        if g.cut {
            line.extend_from_slice(b" [|gre]");
            return Ok(());
        }
        line.extend_from_slice(b", length ");
        push_u64(line, outer.payload_wire_len as u64);
        line.extend_from_slice(b": ");
        if g.routing {
            // Source routing entries (RFC 1701) are not followed.
            line.extend_from_slice(b"[|gre]");
            return Ok(());
        }
        self.inner_by_ethertype(line, outer, proto, g.inner, b"gre")
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
            ethertype::IPV4 => Inner::Ipv4,
            ethertype::IPV6 => Inner::Ipv6,
            tet::TEB => Inner::Ethernet,
            tet::NSH => Inner::Nsh,
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
            let Some(v) = tunnel::vxlan(b) else {
                line.extend_from_slice(b" [|vxlan]");
                return Ok(true);
            };
            line.extend_from_slice(b", flags [");
            line.push(if v.flags & vxlan_bits::FLAG_I != 0 {
                b'I'
            } else {
                b'.'
            });
            line.extend_from_slice(b"] (0x");
            push_hex_width(line, v.flags as u64, 2);
            if otv {
                line.extend_from_slice(b"), overlay ");
                push_u64(line, v.overlay as u64);
                line.extend_from_slice(b", instance ");
            } else {
                line.extend_from_slice(b"), vni ");
            }
            push_u64(line, v.vni as u64);
            line.extend_from_slice(b": ");
            self.inner(line, outer, Inner::Ethernet, v.inner)?;
            return Ok(true);
        }
        if dport == port::GENEVE {
            self.geneve(line, outer)?;
            return Ok(true);
        }
        if is(port::VXLAN_GPE) {
            let Some(v) = tunnel::vxlan(b) else {
                line.extend_from_slice(b" [|VXLAN-GPE]");
                return Ok(true);
            };
            line.extend_from_slice(b"VXLAN-GPE, flags [");
            flag_letters(line, &GPE_FLAGS, v.flags);
            line.extend_from_slice(b"], vni ");
            push_u64(line, v.vni as u64);
            line.extend_from_slice(b": ");
            let kind = match v.next_protocol {
                vxlan_bits::NP_IPV4 => Inner::Ipv4,
                vxlan_bits::NP_IPV6 => Inner::Ipv6,
                vxlan_bits::NP_ETHERNET => Inner::Ethernet,
                vxlan_bits::NP_NSH => Inner::Nsh,
                _ => {
                    line.extend_from_slice(b"ERROR: unknown-next-protocol");
                    return Ok(true);
                }
            };
            self.inner(line, outer, kind, v.inner)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `Geneve, Flags [F], vni 0xV[, options [N bytes]]: ` then what it carries (print-geneve.c).
    fn geneve(&mut self, line: &mut Vec<u8>, outer: &Packet<'_>) -> io::Result<()> {
        line.extend_from_slice(b"Geneve");
        let Some(g) = tunnel::geneve(outer.payload, outer.payload_wire_len) else {
            line.extend_from_slice(b" [|geneve]");
            return Ok(());
        };
        if g.version != 0 {
            line.extend_from_slice(b" ERROR: unknown-version ");
            push_u64(line, g.version as u64);
            return Ok(());
        }
        line.extend_from_slice(b", Flags [");
        flag_letters(line, &GENEVE_FLAGS, g.flags);
        line.extend_from_slice(b"], vni 0x");
        push_hex(line, g.vni as u64);
        if g.reserved != 0 {
            line.extend_from_slice(b", rsvd 0x");
            push_hex(line, g.reserved as u64);
        }
        let rest = match g.body {
            GeneveBody::Missing(n) => {
                line.extend_from_slice(b" truncated-geneve - ");
                push_u64(line, n as u64);
                line.extend_from_slice(b" bytes missing");
                return Ok(());
            }
            GeneveBody::Cut => {
                line.extend_from_slice(b" [|geneve]");
                return Ok(());
            }
            GeneveBody::Inner(rest) => rest,
        };
        if g.options_len > 0 {
            line.extend_from_slice(b", options [");
            push_u64(line, g.options_len as u64);
            line.extend_from_slice(b" bytes]");
        }
        line.extend_from_slice(b": ");
        self.inner_by_ethertype(line, outer, g.protocol, rest, b"geneve")
    }

    /// `NSH, flags [F], service-path-id 0xSSSSSS, service-index 0xI: ` then the inner packet.
    pub(super) fn nsh(
        &mut self,
        line: &mut Vec<u8>,
        outer: &Packet<'_>,
        b: &[u8],
    ) -> io::Result<()> {
        line.extend_from_slice(b"NSH, ");
        let Some(n) = tunnel::nsh(b) else {
            line.extend_from_slice(b" [|nsh]");
            return Ok(());
        };
        if n.version != 0 {
            // Only version 0 is defined; tcpdump prints nothing more.
            return Ok(());
        }
        line.extend_from_slice(b"flags [");
        if n.flags & nsh_bits::FLAG_O != 0 {
            line.push(b'O');
        } else {
            line.extend_from_slice(b"none");
        }
        line.extend_from_slice(b"], service-path-id 0x");
        push_hex_width(line, n.service_path_id as u64, 6);
        line.extend_from_slice(b", service-index 0x");
        push_hex(line, n.service_index as u64);
        if n.words < 2 {
            line.extend_from_slice(b" (less than two headers) (invalid)");
            return Ok(());
        }
        let Some(rest) = n.inner else {
            line.extend_from_slice(b" [|nsh]");
            return Ok(());
        };
        line.extend_from_slice(b": ");
        let kind = match n.next_protocol {
            nsh_bits::NP_IPV4 => Inner::Ipv4,
            nsh_bits::NP_IPV6 => Inner::Ipv6,
            nsh_bits::NP_ETHERNET => Inner::Ethernet,
            _ => {
                line.extend_from_slice(b"ERROR: unknown-next-protocol");
                return Ok(());
            }
        };
        self.inner(line, outer, kind, rest)
    }
}

/// Writes the letters of the set bits, or `none`.
fn flag_letters(line: &mut Vec<u8>, table: &[(u8, u8)], v: u8) {
    let mut any = false;
    for (bit, c) in table {
        if v & bit != 0 {
            line.push(*c);
            any = true;
        }
    }
    if !any {
        line.extend_from_slice(b"none");
    }
}

/// The ethertype of NSH, for frames that carry it directly.
pub const ETHERTYPE_NSH: u16 = tet::NSH;
