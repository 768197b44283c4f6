//! Internet checksums (RFC 1071) recomputed from captured bytes, to tell a learner whether the
//! checksum in a header is right, and to recognise the placeholder that checksum offload leaves.

use std::net::IpAddr;

/// The one's complement sum of 16-bit big-endian words (an odd last byte is padded with zero),
/// folded to 16 bits but not complemented.
pub fn ones_sum(init: u32, bytes: &[u8]) -> u16 {
    let mut sum = init as u64;
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [last] = chunks.remainder() {
        sum += (*last as u64) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Sum of the pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6), not folded.
pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: u32) -> u32 {
    let mut b = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            b.extend_from_slice(&s.octets());
            b.extend_from_slice(&d.octets());
            b.extend_from_slice(&[0, protocol]);
            b.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            let six = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
                IpAddr::V6(v) => v.octets(),
            };
            b.extend_from_slice(&six(src));
            b.extend_from_slice(&six(dst));
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, protocol]);
        }
    }
    ones_sum(0, &b) as u32
}

/// The checksum a sender should have written over `bytes`, whose checksum field at
/// `field_off` is taken as zero, with `init` (a pseudo-header sum) added in.
pub fn compute(init: u32, bytes: &[u8], field_off: usize) -> u16 {
    let mut sum = init + ones_sum(0, bytes.get(..field_off).unwrap_or(bytes)) as u32;
    if let Some(rest) = bytes.get(field_off + 2..) {
        // Keep 16-bit word alignment: field_off is even in every header we check.
        sum += ones_sum(0, rest) as u32;
    }
    !ones_sum(sum, &[])
}

/// The outcome of checking one checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Correct,
    /// Wrong, and the field holds just the folded pseudo-header sum: the placeholder the kernel
    /// leaves for the network card (checksum offload, CHECKSUM_PARTIAL).
    OffloadPlaceholder {
        computed: u16,
    },
    Wrong {
        computed: u16,
    },
    /// UDP over IPv4 may send zero: "no checksum" (RFC 768).
    NotUsed,
    /// The capture does not hold every byte the checksum covers.
    Unverifiable,
}

/// Checks a transport checksum (TCP, UDP, ICMPv6: with pseudo-header `pseudo`; ICMPv4: 0).
pub fn verify(stored: u16, pseudo: Option<u32>, bytes: &[u8], field_off: usize) -> Verdict {
    let computed = compute(pseudo.unwrap_or(0), bytes, field_off);
    // Summed with the stored checksum, correct data gives all ones (RFC 1071 §1 (2)); this also
    // accepts 0x0000 and 0xffff, the two one's complement zeros.
    if ones_sum(pseudo.unwrap_or(0), bytes) == 0xffff {
        Verdict::Correct
    } else if pseudo.is_some_and(|p| ones_sum(p, &[]) == stored) {
        Verdict::OffloadPlaceholder { computed }
    } else {
        Verdict::Wrong { computed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_header() {
        // A classic IPv4 header with checksum 0xb1e6.
        let h = [
            0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb1, 0xe6, 0xac, 0x10,
            0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c,
        ];
        assert_eq!(compute(0, &h, 10), 0xb1e6);
        assert_eq!(verify(0xb1e6, None, &h, 10), Verdict::Correct);
        let mut bad = h;
        bad[10..12].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(
            verify(0x1234, None, &bad, 10),
            Verdict::Wrong { computed: 0xb1e6 }
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(ones_sum(0, &[0x01]), 0x0100);
        assert_eq!(ones_sum(0, &[0xff, 0xff, 0x00, 0x01]), 0x0001);
    }
}
