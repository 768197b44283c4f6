//! ARP (RFC 826) read for any hardware and protocol address length, as tcpdump's print-arp.c
//! reads it: the fixed fields, then the four addresses as slices of the captured bytes.
//! `None` where the capture ends first (tcpdump's `[|ARP]`). Nothing is allocated per packet.

use std::net::Ipv4Addr;

use super::{Net, Packet, be16, ethertype};

/// Field positions (RFC 826): hardware type, protocol type, their address lengths, operation.
const HRD: std::ops::Range<usize> = 0..2;
const PRO: std::ops::Range<usize> = 2..4;
const HLN: usize = 4;
const PLN: usize = 5;
const OP: std::ops::Range<usize> = 6..8;
const ADDRS: usize = 8;
/// An old ethertype for trailer-encapsulated IP, which ARP may name (RFC 893).
const ETHERTYPE_TRAIL: u16 = 0x1000;

/// An ARP message whose fixed fields and addresses were captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp<'a> {
    pub hw_type: u16,
    pub proto_type: u16,
    pub operation: u16,
    pub sender_hw: &'a [u8],
    pub sender_proto: &'a [u8],
    pub target_hw: &'a [u8],
    pub target_proto: &'a [u8],
}

impl Arp<'_> {
    /// Sender and target protocol addresses when they are IPv4 (or trailer IP) addresses and
    /// the hardware address is not empty: the form tcpdump spells out.
    pub fn ipv4(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let ip = self.proto_type == ethertype::IPV4 || self.proto_type == ETHERTYPE_TRAIL;
        if !ip || self.sender_proto.len() != 4 || self.sender_hw.is_empty() {
            return None;
        }
        let a = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
        Some((a(self.sender_proto), a(self.target_proto)))
    }
}

/// The ARP message of an ARP packet, from its captured bytes on; `None` when the capture ends
/// before its addresses.
pub fn read<'a>(p: &Packet<'a>) -> Option<Arp<'a>> {
    if !matches!(p.net, Net::Arp(_)) {
        return None;
    }
    let a = p.data.get(p.net_offset as usize..)?;
    let fixed = a.get(..ADDRS)?;
    let (hln, pln) = (fixed[HLN] as usize, fixed[PLN] as usize);
    let body = a.get(ADDRS..ADDRS + 2 * (hln + pln))?;
    let (sender_hw, rest) = body.split_at(hln);
    let (sender_proto, rest) = rest.split_at(pln);
    let (target_hw, target_proto) = rest.split_at(hln);
    Some(Arp {
        hw_type: be16(&fixed[HRD]),
        proto_type: be16(&fixed[PRO]),
        operation: be16(&fixed[OP]),
        sender_hw,
        sender_proto,
        target_hw,
        target_proto,
    })
}

/// Bytes of the ARP message on the wire (the frame after the link header).
pub fn wire_len(p: &Packet<'_>) -> usize {
    (p.orig_len as usize).saturating_sub(p.net_offset as usize)
}
