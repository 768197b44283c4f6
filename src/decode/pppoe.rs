//! PPP over Ethernet (RFC 2516): the 6-byte PPPoE header of the discovery stage (ethertype
//! 0x8863: PADI, PADO, PADR, PADS, PADT with their tags, §5) and of the session stage (0x8864:
//! a session id, then a PPP protocol field and the PPP payload, §4). IP, IPv6 and MPLS inside a
//! session are decoded on as the network layer; PPP control protocols (LCP, IPCP, IP6CP; RFC
//! 1661 §5) are summarised by [`control`].

use super::links::ppp;
use super::{Layer, Net, Packet, Path, ethertype};

/// Ethertypes of the two stages (RFC 2516 §3).
pub const DISCOVERY: u16 = 0x8863;
pub const SESSION: u16 = 0x8864;
/// VER, TYPE, CODE, SESSION_ID, LENGTH (RFC 2516 §4).
pub const HEADER_LEN: usize = 6;

/// PPP control protocols (RFC 1661 §5, RFC 1332, RFC 5072).
pub const LCP: u16 = 0xc021;
pub const IPCP: u16 = 0x8021;
pub const IP6CP: u16 = 0x8057;

/// The PPPoE header of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PppoeSummary {
    /// The ethertype: [`DISCOVERY`] or [`SESSION`].
    pub ether_type: u16,
    pub version: u8,
    pub kind: u8,
    /// 0 for session data; 0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65 PADS, 0xa7 PADT (§5).
    pub code: u8,
    pub session: u16,
    /// The LENGTH field: the payload's length (tags, or the PPP frame).
    pub length: u16,
    /// In a session: the PPP protocol field, when it was captured.
    pub ppp_protocol: Option<u16>,
}

/// Decodes the PPPoE header at `off` and, in a session, what the PPP frame carries.
pub(super) fn decode<'a>(p: &mut Packet<'a>, et: u16, d: &'a [u8], off: usize, path: Path) {
    p.net = Net::Other { ether_type: et };
    let Some(h) = d.get(off..off + HEADER_LEN) else {
        p.stop = Some(super::truncated(Layer::Link, off + HEADER_LEN, d.len()));
        return;
    };
    let length = u16::from_be_bytes([h[4], h[5]]);
    let mut s = PppoeSummary {
        ether_type: et,
        version: h[0] >> 4,
        kind: h[0] & 0x0f,
        code: h[1],
        session: u16::from_be_bytes([h[2], h[3]]),
        length,
        ppp_protocol: None,
    };
    let start = off + HEADER_LEN;
    let end = (start + length as usize).min(d.len());
    p.payload = d.get(start..end).unwrap_or(&[]);
    if et == SESSION && s.code == 0 && p.payload.len() >= 2 {
        let protocol = u16::from_be_bytes([p.payload[0], p.payload[1]]);
        s.ppp_protocol = Some(protocol);
        p.pppoe = Some(s);
        let inner = match protocol {
            ppp::IPV4 => ethertype::IPV4,
            ppp::IPV6 => ethertype::IPV6,
            ppp::MPLS_UNICAST => ethertype::MPLS_UNICAST,
            ppp::MPLS_MULTICAST => ethertype::MPLS_MULTICAST,
            _ => {
                p.payload = &p.payload[2..];
                return;
            }
        };
        p.payload = &[];
        super::decode_from_ethertype(p, inner, d, start + 2, path);
        return;
    }
    p.pppoe = Some(s);
}

/// The tags of a discovery packet's payload (RFC 2516 §5, Appendix A): type and value, up to
/// the End-Of-List tag (type 0) or the end of the payload; a tag cut short ends the list.
pub fn tags(payload: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = payload;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
        if kind == 0 {
            return None;
        }
        let value = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((kind, value))
    })
}

/// A PPP control packet (RFC 1661 §5): code, identifier, length field.
pub fn control(payload: &[u8]) -> Option<(u8, u8, u16)> {
    let h = payload.get(..4)?;
    Some((h[0], h[1], u16::from_be_bytes([h[2], h[3]])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_stop_at_end_of_list_or_a_cut() {
        let b = [1, 1, 0, 0, 1, 0x20, 0, 2, 5, 0xdc, 0, 0, 0, 0];
        let t: Vec<_> = tags(&b).collect();
        assert_eq!(t, vec![(0x0101, &[][..]), (0x0120, &[5, 0xdc][..])]);
        assert_eq!(tags(&[1, 3, 0, 9, 1]).count(), 0);
        assert_eq!(control(&[9, 106, 0, 12]), Some((9, 106, 12)));
    }
}
