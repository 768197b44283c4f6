//! Internet checksums (RFC 1071), the one owner of their arithmetic: the one's complement sum,
//! the pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1), and the verification of a decoded
//! packet's IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums, including recognising the
//! placeholder that checksum offload leaves in the field. No allocation.

use std::net::IpAddr;

use super::{Ipv4Summary, Link, Net, Packet, Transport, proto};

/// Byte offset of the checksum field inside each header, and the field's length.
mod field {
    pub const IPV4: usize = 10;
    pub const TCP: usize = 16;
    pub const UDP: usize = 6;
    pub const ICMP: usize = 2;
    pub const LEN: usize = 2;
}

/// `ARPHRD_LOOPBACK`: a Linux cooked capture on `lo`.
const ARPHRD_LOOPBACK: u16 = 772;
/// `PACKET_OUTGOING`: a Linux cooked capture's "sent by us".
const PACKET_OUTGOING: u16 = 4;

/// The result of checking one checksum field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The field holds the value computed over the bytes (or the other one's complement zero).
    Correct,
    /// The field holds something else; `expected` is what it should hold.
    Incorrect { expected: u16 },
    /// Wrong, and the field holds just the folded pseudo-header sum: the placeholder the kernel
    /// leaves for the network card when checksum offload is on (Linux `CHECKSUM_PARTIAL`).
    OffloadPlaceholder { expected: u16 },
    /// UDP over IPv4 may leave the checksum out (a zero field, RFC 768).
    Absent,
    /// Not all the bytes it covers were captured, so it cannot be checked.
    Unverifiable,
}

impl ChecksumStatus {
    pub fn is_correct(self) -> bool {
        self == ChecksumStatus::Correct
    }

    /// What the field should hold, when it holds something else.
    pub fn expected(self) -> Option<u16> {
        match self {
            ChecksumStatus::Incorrect { expected }
            | ChecksumStatus::OffloadPlaceholder { expected } => Some(expected),
            _ => None,
        }
    }

    /// A stable lower-case word for JSON and notes (a placeholder is "incorrect" too).
    pub fn word(self) -> &'static str {
        match self {
            ChecksumStatus::Correct => "correct",
            ChecksumStatus::Incorrect { .. } | ChecksumStatus::OffloadPlaceholder { .. } => {
                "incorrect"
            }
            ChecksumStatus::Absent => "absent",
            ChecksumStatus::Unverifiable => "unverifiable",
        }
    }
}

/// The one's complement sum of 16-bit big-endian words (an odd last byte is padded with zero),
/// with `init` added, folded to 16 bits but not complemented (RFC 1071 §4.1).
///
/// Eight bytes at a time into a 64-bit accumulator whose carries wrap around (2^64 ≡ 1, as
/// 2^16 ≡ 1, in one's complement arithmetic: RFC 1071 §2 (C), "parallel summation"), folded
/// once at the end. The words are read in the machine's (little-endian) order and the folded
/// sum swapped once: the sum is byte-order independent (RFC 1071 §2 (B)). The result is the
/// word-by-word sum's exactly: 0 only when `init` and every byte are 0.
pub fn ones_sum(init: u32, bytes: &[u8]) -> u16 {
    let mut acc = 0u64;
    // One's complement addition: add, then add the carry back in (`add`, `adc`). Cannot
    // overflow: after a carry out the wrapped sum is at most 2^64 - 2.
    let mut add = |v: u64| {
        let (s, carry) = acc.overflowing_add(v);
        acc = s + carry as u64;
    };
    let mut wide = bytes.chunks_exact(16);
    for c in &mut wide {
        let (lo, hi) = c.split_at(8);
        add(u64::from_le_bytes(lo.try_into().expect("8 bytes")));
        add(u64::from_le_bytes(hi.try_into().expect("8 bytes")));
    }
    // The last 0..15 bytes, each piece at an even offset: a lone last byte is the low byte of
    // a little-endian word (the high byte of the big-endian word padded with zero).
    let mut rest = wide.remainder();
    if let Some((c, r)) = rest.split_first_chunk::<8>() {
        add(u64::from_le_bytes(*c));
        rest = r;
    }
    let mut tail = 0u64;
    if let Some((c, r)) = rest.split_first_chunk::<4>() {
        tail += u32::from_le_bytes(*c) as u64;
        rest = r;
    }
    if let Some((c, r)) = rest.split_first_chunk::<2>() {
        tail += u16::from_le_bytes(*c) as u64;
        rest = r;
    }
    if let [last] = rest {
        tail += *last as u64;
    }
    add(tail);
    let data = fold(acc).swap_bytes();
    fold(init as u64 + data as u64)
}

/// Folds a sum of 16-bit words to 16 bits, adding the carries back in (0 stays 0; any other
/// multiple of 0xffff becomes 0xffff).
#[inline]
fn fold(mut sum: u64) -> u16 {
    sum = (sum >> 32) + (sum & 0xffff_ffff);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Sum of the pseudo-header for upper-layer `protocol` and length `len`: source and destination
/// address, protocol and length (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6; a mixed pair
/// is summed as IPv4-mapped IPv6 addresses).
pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: u32) -> u32 {
    // Each address as 16-bit words: the sum of its 32-bit pieces' two halves.
    let words = |a: &[u8]| -> u64 {
        a.chunks_exact(4)
            .map(|c| {
                let x = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
                ((x >> 16) + (x & 0xffff)) as u64
            })
            .sum()
    };
    let sum = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // The IPv4 pseudo-header's length field is 16 bits.
            words(&s.octets()) + words(&d.octets()) + protocol as u64 + (len as u16) as u64
        }
        _ => {
            let six = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
                IpAddr::V6(v) => v.octets(),
            };
            words(&six(src)) + words(&six(dst)) + words(&len.to_be_bytes()) + protocol as u64
        }
    };
    fold(sum) as u32
}

/// The checksum a sender should have written over `bytes`, whose checksum field at
/// `field_off` is taken as zero, with `init` (a pseudo-header sum) added in.
pub fn compute(init: u32, bytes: &[u8], field_off: usize) -> u16 {
    let mut sum = init + ones_sum(0, bytes.get(..field_off).unwrap_or(bytes)) as u32;
    if let Some(rest) = bytes.get(field_off + field::LEN..) {
        // Keep 16-bit word alignment: field_off is even in every header we check.
        sum += ones_sum(0, rest) as u32;
    }
    !ones_sum(sum, &[])
}

/// [`compute`] from `all`, the sum over the same bytes with the field as it is: the sum
/// without the field is `all` minus the field (one's complement subtraction adds the
/// complement). `None` when that difference is a one's complement zero (0 or 0xffff), whose
/// form [`compute`] decides from the bytes themselves.
fn expected_from(all: u16, bytes: &[u8], field_off: usize) -> Option<u16> {
    if !field_off.is_multiple_of(2) {
        return None;
    }
    let field = bytes.get(field_off..field_off + field::LEN)?;
    let field = u16::from_be_bytes([field[0], field[1]]);
    match fold(all as u64 + !field as u64) {
        0 | 0xffff => None,
        without => Some(!without),
    }
}

/// Checks the checksum `stored` at `field_off` of `bytes` (every byte it covers), with the
/// pseudo-header sum `pseudo` for the transport protocols that have one.
pub fn verify(stored: u16, pseudo: Option<u32>, bytes: &[u8], field_off: usize) -> ChecksumStatus {
    let init = pseudo.unwrap_or(0);
    // Summed with the stored checksum, correct data gives all ones (RFC 1071 §1 (2)); this also
    // accepts 0x0000 and 0xffff, the two one's complement zeros.
    let all = ones_sum(init, bytes);
    if all == 0xffff {
        return ChecksumStatus::Correct;
    }
    // The field's sum is already in: take it out rather than sum the bytes again.
    let expected =
        expected_from(all, bytes, field_off).unwrap_or_else(|| compute(init, bytes, field_off));
    if pseudo.is_some_and(|p| ones_sum(p, &[]) == stored) {
        ChecksumStatus::OffloadPlaceholder { expected }
    } else {
        ChecksumStatus::Incorrect { expected }
    }
}

/// The IPv4 header checksum of a packet, over the header as captured; `None` without IPv4.
pub fn ipv4_header(p: &Packet<'_>) -> Option<ChecksumStatus> {
    match &p.net {
        Net::Ipv4(h) => Some(ipv4(h)),
        _ => None,
    }
}

/// The checksum of one IPv4 header, over the header as captured.
pub fn ipv4(h: &Ipv4Summary<'_>) -> ChecksumStatus {
    match h.header.get(..h.header_len as usize) {
        Some(hdr) if hdr.len() >= field::IPV4 + field::LEN => {
            verify(h.checksum, None, hdr, field::IPV4)
        }
        _ => ChecksumStatus::Unverifiable,
    }
}

/// The checksum of the TCP, UDP, ICMP or ICMPv6 header; `None` when there is no such header.
pub fn transport(p: &Packet<'_>) -> Option<ChecksumStatus> {
    let (stored, at, pseudo_proto) = match &p.transport {
        Transport::Tcp(t) => (t.checksum, field::TCP, Some(proto::TCP)),
        Transport::Udp(u) => {
            if u.checksum == 0 && matches!(p.net, Net::Ipv4(_)) {
                return Some(ChecksumStatus::Absent);
            }
            (u.checksum, field::UDP, Some(proto::UDP))
        }
        Transport::Icmpv4(i) => (i.checksum, field::ICMP, None),
        Transport::Icmpv6(i) => (i.checksum, field::ICMP, Some(proto::ICMPV6)),
        _ => return None,
    };
    // The length of the transport layer on the wire: the IP payload (after IPv6 extension
    // headers) as the IP header gives it, or UDP's own length field (RFC 768).
    let ip_len = match &p.net {
        Net::Ipv4(h) => (h.total_len as u32).checked_sub(h.header_len as u32),
        Net::Ipv6(h) => (h.payload_len as u32).checked_sub(h.ext_len()),
        _ => return None,
    };
    let len = match &p.transport {
        Transport::Udp(u) => Some(u.length as u32),
        _ => ip_len,
    };
    let Some(len) = len else {
        return Some(ChecksumStatus::Unverifiable);
    };
    let start = p.transport_offset as usize;
    let Some(seg) = p.data.get(start..start.saturating_add(len as usize)) else {
        return Some(ChecksumStatus::Unverifiable);
    };
    if seg.len() < at + field::LEN {
        return Some(ChecksumStatus::Unverifiable);
    }
    let pseudo = match pseudo_proto {
        Some(next) => Some(pseudo_header(p.src_ip()?, p.dst_ip()?, next, len)),
        None => None,
    };
    let status = verify(stored, pseudo, seg, at);
    if !matches!(p.transport, Transport::Udp(_)) {
        return Some(status);
    }
    // A computed zero is sent as all ones: zero means "no checksum" (RFC 768).
    let no_zero = |e: u16| if e == 0 { 0xffff } else { e };
    Some(match status {
        ChecksumStatus::Incorrect { expected } => ChecksumStatus::Incorrect {
            expected: no_zero(expected),
        },
        ChecksumStatus::OffloadPlaceholder { expected } => ChecksumStatus::OffloadPlaceholder {
            expected: no_zero(expected),
        },
        s => s,
    })
}

/// Whether a wrong transport checksum that is not the offload placeholder is still likely
/// checksum offload: the packet never left this machine (loopback addresses or a loopback link)
/// or a Linux cooked capture says this host sent it, so its network card or driver fills in the
/// checksum after the capture point. Linux always computes the IPv4 header checksum itself
/// (`ip_send_check`), so this does not explain a wrong one.
pub fn likely_offload(p: &Packet<'_>) -> bool {
    let lo = |a: Option<IpAddr>| a.is_some_and(|a| a.is_loopback());
    lo(p.src_ip())
        || lo(p.dst_ip())
        || matches!(p.link, Link::Loopback { .. })
        || matches!(p.link, Link::Sll(s) if s.arphrd == ARPHRD_LOOPBACK || s.packet_type == PACKET_OUTGOING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::source::{Frame, LinkType, Timestamp};

    /// The sum one 16-bit word at a time, as RFC 1071 §4.1 writes it.
    fn ones_sum_by_words(init: u32, bytes: &[u8]) -> u16 {
        let mut sum = init as u64;
        for c in bytes.chunks(2) {
            sum += (c[0] as u64) << 8 | c.get(1).copied().unwrap_or(0) as u64;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    #[test]
    fn wide_sum_is_the_word_sum() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut data = vec![0u8; 1600];
        for b in data.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        for len in (0..64).chain([1499, 1500, 1600]) {
            for init in [0, 1, 0xffff, 0x1_fffe] {
                let d = &data[..len];
                assert_eq!(
                    ones_sum(init, d),
                    ones_sum_by_words(init, d),
                    "{len} {init}"
                );
            }
        }
        for len in [0, 1, 7, 8, 9, 16, 1500] {
            let ff = vec![0xffu8; len];
            let zero = vec![0u8; len];
            assert_eq!(ones_sum(0, &ff), ones_sum_by_words(0, &ff));
            assert_eq!(ones_sum(0, &zero), 0);
        }
    }

    /// Pseudo-random bytes (xorshift), the same on every run.
    fn noise(len: usize, mut x: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn wide_sum_at_every_start_and_length() {
        // Unaligned starts, every length around the 16-, 8-, 4- and 2-byte steps, odd lengths,
        // and sums that wrap the 64-bit accumulator (all 0xff).
        let data = noise(600, 0x9e37_79b9_7f4a_7c15);
        let ff = vec![0xffu8; 600];
        let mostly_zero: Vec<u8> = (0..600).map(|i| (i % 97 == 5) as u8 * 0x80).collect();
        for buf in [&data, &ff, &mostly_zero] {
            for start in 0..9 {
                for len in (0..80).chain([255, 256, 257, 511, 590]) {
                    let d = &buf[start..start + len];
                    for init in [0, 1, 0xfffe, 0xffff, 0x1_fffe, 0x2_0000] {
                        assert_eq!(
                            ones_sum(init, d),
                            ones_sum_by_words(init, d),
                            "start {start} len {len} init {init}"
                        );
                    }
                }
            }
        }
        assert_eq!(ones_sum(0, &[]), 0);
        assert_eq!(ones_sum(0, &[0; 33]), 0);
        assert_eq!(ones_sum(0xffff, &[0; 3]), 0xffff);
        assert_eq!(ones_sum(0, &ff), 0xffff);
    }

    #[test]
    fn expected_from_the_whole_sum_is_the_computed_one() {
        // verify() takes the field back out of the sum it already has; compute() sums the
        // bytes around the field. They must agree for every field value, including the ones
        // that make the sum without the field a one's complement zero.
        for (i, len) in [2usize, 3, 8, 12, 20, 21, 40, 61, 64, 100, 1499]
            .iter()
            .enumerate()
        {
            let mut d = noise(*len, 0x1234_5678 + i as u64);
            for off in (0..len - 1).step_by(2).take(6) {
                for field in [0u16, 1, 0xfffe, 0xffff, 0x1234] {
                    d[off..off + 2].copy_from_slice(&field.to_be_bytes());
                    for init in [0u32, 0x1_0005, 0xffff] {
                        let want = compute(init, &d, off);
                        match verify_with(init, &d, off) {
                            ChecksumStatus::Correct => assert_eq!(
                                ones_sum(init, &d),
                                0xffff,
                                "len {len} off {off} field {field:#x}"
                            ),
                            s => assert_eq!(
                                s.expected(),
                                Some(want),
                                "len {len} off {off} field {field:#x} init {init:#x}"
                            ),
                        }
                    }
                }
            }
        }
        // The one's complement zeros: all-zero bytes around a zero field (the sum without the
        // field is exactly 0, so the sender writes 0xffff) and a sum of 0xffff without it.
        let zeros = [0u8; 8];
        assert_eq!(compute(0, &zeros, 2), 0xffff);
        assert_eq!(verify(0, None, &zeros, 2).expected(), Some(0xffff));
        let mut d = [0u8; 8];
        d[0..2].copy_from_slice(&[0xff, 0xfe]);
        d[2..4].copy_from_slice(&[0x12, 0x34]);
        d[7] = 1;
        assert_eq!(compute(0, &d, 2), 0);
        assert_eq!(verify(0x1234, None, &d, 2).expected(), Some(0));
    }

    /// verify() with `init` standing in for a pseudo-header sum (None when 0).
    fn verify_with(init: u32, d: &[u8], off: usize) -> ChecksumStatus {
        let stored = u16::from_be_bytes([d[off], d[off + 1]]);
        verify(stored, (init != 0).then_some(init), d, off)
    }

    fn frame(data: &[u8]) -> Frame<'_> {
        Frame::whole(Timestamp::default(), LinkType::ETHERNET, data)
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
    fn rfc1071_example_header() {
        // A classic IPv4 header with checksum 0xb1e6.
        let h = [
            0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb1, 0xe6, 0xac, 0x10,
            0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c,
        ];
        assert_eq!(compute(0, &h, 10), 0xb1e6);
        assert_eq!(verify(0xb1e6, None, &h, 10), ChecksumStatus::Correct);
        let mut bad = h;
        bad[10..12].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(
            verify(0x1234, None, &bad, 10),
            ChecksumStatus::Incorrect { expected: 0xb1e6 }
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(ones_sum(0, &[0x01]), 0x0100);
        assert_eq!(ones_sum(0, &[0xff, 0xff, 0x00, 0x01]), 0x0001);
    }

    #[test]
    fn pseudo_header_sums_addresses_protocol_and_length() {
        let lo = IpAddr::from([127, 0, 0, 1]);
        // 0x7f00 + 0x0001 twice, protocol 6, length 40.
        assert_eq!(pseudo_header(lo, lo, 6, 40), 0xfe02 + 6 + 40);
        let v6 = IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(pseudo_header(v6, v6, 58, 0x1_0002), 1 + 1 + 1 + 2 + 58);
    }

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
        assert_eq!(transport(&p).and_then(|s| s.expected()), Some(0xcf76));
        assert!(likely_offload(&p));
    }

    #[test]
    fn the_offload_placeholder_is_recognised() {
        // What Linux leaves with CHECKSUM_PARTIAL: the folded pseudo-header sum.
        let lo = IpAddr::from([127, 0, 0, 1]);
        let placeholder = ones_sum(pseudo_header(lo, lo, proto::TCP, 40), &[]);
        let mut b = SYN;
        b[50..52].copy_from_slice(&placeholder.to_be_bytes());
        let p = decode(&frame(&b));
        assert_eq!(
            transport(&p),
            Some(ChecksumStatus::OffloadPlaceholder { expected: 0xcf76 })
        );
        assert_eq!(transport(&p).map(|s| s.word()), Some("incorrect"));
        // The IPv4 header has no pseudo-header, so no placeholder either.
        let mut b = SYN;
        b[24..26].copy_from_slice(&[0, 0]);
        assert_eq!(
            ipv4_header(&decode(&frame(&b))),
            Some(ChecksumStatus::Incorrect { expected: 0xe08b })
        );
    }

    #[test]
    fn both_one_complement_zeros_are_correct() {
        // A TCP segment whose checksum computes to 0x0000 also verifies with 0xffff.
        let mut b = SYN;
        // The sum without the checksum is !0xcf76; an urgent pointer of 0xcf76 (it was 0)
        // brings it to 0xffff, so the checksum to send becomes 0x0000.
        b[52..54].copy_from_slice(&0xcf76u16.to_be_bytes());
        let p = decode(&frame(&b));
        let expected = transport(&p).and_then(|s| s.expected());
        assert_eq!(expected, Some(0));
        b[50..52].copy_from_slice(&[0xff, 0xff]);
        assert_eq!(
            transport(&decode(&frame(&b))),
            Some(ChecksumStatus::Correct)
        );
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
        // The same with a zero checksum: over IPv4 that means "none", captured or not.
        udp[40..42].copy_from_slice(&[0, 0]);
        let p = decode(&Frame {
            orig_len: 62,
            ..frame(&udp)
        });
        assert_eq!(transport(&p), Some(ChecksumStatus::Absent));
    }
}
