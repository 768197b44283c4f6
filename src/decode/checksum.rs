//! Verification of the Internet checksums of a decoded packet (RFC 1071): the IPv4 header
//! checksum, and the TCP, UDP, ICMP and ICMPv6 checksums over the pseudo-header (RFC 9293
//! §3.1, RFC 768, RFC 792, RFC 8200 §8.1). Sums are computed with etherparse's
//! `Sum16BitWords`, without allocation.

use etherparse::checksum::Sum16BitWords;

use super::{Net, Packet, Transport, proto};

/// Byte offset of the checksum field inside each header.
mod field {
    pub const IPV4: usize = 10;
    pub const TCP: usize = 16;
    pub const UDP: usize = 6;
    pub const ICMP: usize = 2;
    pub const LEN: usize = 2;
}

/// The result of checking one checksum field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The field holds the value computed over the bytes.
    Correct,
    /// The field holds something else; `expected` is what it should hold.
    Incorrect { expected: u16 },
    /// UDP over IPv4 may leave the checksum out (a zero field, RFC 768).
    Absent,
    /// Not all the bytes it covers were captured, so it cannot be checked.
    Unverifiable,
}

impl ChecksumStatus {
    pub fn is_correct(self) -> bool {
        self == ChecksumStatus::Correct
    }

    /// A stable lower-case word for JSON and notes.
    pub fn word(self) -> &'static str {
        match self {
            ChecksumStatus::Correct => "correct",
            ChecksumStatus::Incorrect { .. } => "incorrect",
            ChecksumStatus::Absent => "absent",
            ChecksumStatus::Unverifiable => "unverifiable",
        }
    }
}

/// Sums `bytes` with the 16-bit field at `at` taken as zero. (`Sum16BitWords` sums in native
/// byte order; its results are turned to network order with `to_be`, as etherparse does.)
fn sum_without_field(sum: Sum16BitWords, bytes: &[u8], at: usize) -> Sum16BitWords {
    sum.add_slice(&bytes[..at])
        .add_slice(&bytes[at + field::LEN..])
}

fn status(stored: u16, computed: u16) -> ChecksumStatus {
    if stored == computed {
        ChecksumStatus::Correct
    } else {
        ChecksumStatus::Incorrect { expected: computed }
    }
}

/// The IPv4 header checksum, over the header as captured.
pub fn ipv4_header(p: &Packet<'_>) -> Option<ChecksumStatus> {
    let Net::Ipv4(h) = &p.net else { return None };
    let hdr = h.header;
    if hdr.len() < h.header_len as usize || hdr.len() < field::IPV4 + field::LEN {
        return Some(ChecksumStatus::Unverifiable);
    }
    let computed = sum_without_field(Sum16BitWords::new(), hdr, field::IPV4)
        .ones_complement()
        .to_be();
    Some(status(h.checksum, computed))
}

/// The checksum of the TCP, UDP, ICMP or ICMPv6 header; `None` when there is no such header.
pub fn transport(p: &Packet<'_>) -> Option<ChecksumStatus> {
    let (stored, at, seg_len, pseudo_proto) = match &p.transport {
        Transport::Tcp(t) => (
            t.checksum,
            field::TCP,
            p.payload_wire_len + t.header_len as u32,
            Some(proto::TCP),
        ),
        Transport::Udp(u) => {
            if u.checksum == 0 && matches!(p.net, Net::Ipv4(_)) {
                return Some(ChecksumStatus::Absent);
            }
            (u.checksum, field::UDP, u.length as u32, Some(proto::UDP))
        }
        Transport::Icmpv4(i) => (i.checksum, field::ICMP, p.payload_wire_len + 8, None),
        Transport::Icmpv6(i) => (
            i.checksum,
            field::ICMP,
            p.payload_wire_len + 8,
            Some(proto::ICMPV6),
        ),
        _ => return None,
    };
    let start = p.transport_offset as usize;
    let end = start.saturating_add(seg_len as usize);
    let Some(seg) = p.data.get(start..end) else {
        return Some(ChecksumStatus::Unverifiable);
    };
    if seg.len() < at + field::LEN {
        return Some(ChecksumStatus::Unverifiable);
    }
    let mut sum = Sum16BitWords::new();
    if let Some(next) = pseudo_proto {
        // The pseudo-header: addresses, protocol and upper-layer length.
        sum = match &p.net {
            Net::Ipv4(h) => sum
                .add_4bytes(h.src.octets())
                .add_4bytes(h.dst.octets())
                .add_2bytes([0, next])
                .add_2bytes((seg_len as u16).to_be_bytes()),
            Net::Ipv6(h) => sum
                .add_16bytes(h.src.octets())
                .add_16bytes(h.dst.octets())
                .add_4bytes(seg_len.to_be_bytes())
                .add_4bytes([0, 0, 0, next]),
            _ => return None,
        };
    }
    let sum = sum_without_field(sum, seg, at);
    let computed = if matches!(p.transport, Transport::Udp(_)) {
        // A computed zero is sent as all ones: zero means "no checksum" (RFC 768).
        sum.to_ones_complement_with_no_zero().to_be()
    } else {
        sum.ones_complement().to_be()
    };
    Some(status(stored, computed))
}

/// Whether a wrong transport checksum is most likely checksum offload: the packet was sent by
/// this host (loopback, or a cooked capture's "sent by us"), whose network card or driver fills
/// in the checksum after the capture point.
pub fn likely_offload(p: &Packet<'_>) -> bool {
    let loopback = p.src_ip().is_some_and(|a| a.is_loopback());
    let outgoing = matches!(p.link, super::Link::Sll(s) if s.packet_type == 4);
    loopback || outgoing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::source::{Frame, LinkType, Timestamp};

    fn frame(data: &[u8]) -> Frame<'_> {
        Frame {
            ts: Timestamp::default(),
            link: LinkType::ETHERNET,
            orig_len: data.len() as u32,
            data,
        }
    }

    /// A TCP SYN on lo as Linux sends it (captured by tcpdump; its checksums are right).
    const SYN: [u8; 74] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, // Ethernet
        0x45, 0x00, 0x00, 0x3c, 0x5c, 0x2e, 0x40, 0x00, 0x40, 0x06, 0xe0, 0x8b, 127, 0, 0, 1, 127,
        0, 0, 1, // IPv4
        0xd4, 0x31, 0x00, 0x07, 0xbf, 0x63, 0xc8, 0x86, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xd7, 0xcf,
        0x76, 0x00, 0x00, // TCP
        2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0x84, 0x2a, 0xa0, 0x3d, 0, 0, 0, 0, 1, 3, 3, 7,
    ];

    #[test]
    fn correct_checksums() {
        let p = decode(&frame(&SYN));
        assert_eq!(ipv4_header(&p), Some(ChecksumStatus::Correct));
        assert_eq!(transport(&p), Some(ChecksumStatus::Correct));
    }

    #[test]
    fn wrong_checksums_say_what_they_should_be() {
        let mut b = SYN;
        b[24] ^= 0xff; // IPv4 checksum
        b[50] = 0; // TCP checksum high byte
        b[51] = 0;
        let p = decode(&frame(&b));
        assert_eq!(
            ipv4_header(&p),
            Some(ChecksumStatus::Incorrect { expected: 0xe08b })
        );
        assert_eq!(
            transport(&p),
            Some(ChecksumStatus::Incorrect { expected: 0xcf76 })
        );
        assert!(likely_offload(&p));
    }

    #[test]
    fn cut_header_or_payload() {
        // Header cut: there is no TCP header to check.
        let p = decode(&Frame {
            orig_len: 74,
            ..frame(&SYN[..70])
        });
        assert_eq!(transport(&p), None);
        assert_eq!(ipv4_header(&p), Some(ChecksumStatus::Correct));
        // UDP with 20 bytes of payload, 4 of them captured: the sum cannot be checked.
        let mut udp = SYN[..42].to_vec();
        udp[14 + 3] = 48; // IPv4 total length 20 + 8 + 20
        udp[14 + 9] = 17; // UDP
        udp[34..42].copy_from_slice(&[0x9c, 0x40, 0x2e, 0xe0, 0, 28, 0x12, 0x34]);
        udp.extend_from_slice(b"abcd");
        let p = decode(&Frame {
            orig_len: 62,
            ..frame(&udp)
        });
        assert!(matches!(p.transport, Transport::Udp(_)));
        assert_eq!(transport(&p), Some(ChecksumStatus::Unverifiable));
        assert!(matches!(
            ipv4_header(&p),
            Some(ChecksumStatus::Incorrect { .. })
        ));
    }
}
