//! Packets built by hand for the raw-socket lesson: an ICMP echo request (RFC 792) and an IPv4
//! header with a TCP SYN (RFC 791 §3.1, RFC 9293 §3.1), with their Internet checksums
//! (RFC 1071). Pure byte building: the sockets that send them are in `crate::sys::rawsock`.

use std::net::Ipv4Addr;

/// The Internet checksum (RFC 1071 §4.1) of `parts` taken as one byte string: the ones'
/// complement of the ones' complement sum of its 16-bit words, an odd last byte padded with 0.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for &b in parts.iter().flat_map(|p| p.iter()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
            None => odd = Some(b),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// RFC 792 "Echo or Echo Reply Message": type 8 (request), code 0, checksum, identifier,
/// sequence number, then data the reply must return unchanged.
pub fn icmp_echo_request(id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut m = vec![8, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(data);
    let c = checksum(&[&m]);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// What an ICMP message read from a raw socket (IPv4 header first) is: its type and, for an
/// echo or echo reply, the identifier and sequence number (RFC 792).
pub fn icmp_of(packet: &[u8]) -> Option<(u8, u16, u16)> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let m = packet.get(ihl..ihl + 8)?;
    Some((
        m[0],
        u16::from_be_bytes([m[4], m[5]]),
        u16::from_be_bytes([m[6], m[7]]),
    ))
}

/// A TCP SYN as a whole IPv4 packet: a 20-byte IPv4 header (version 4, IHL 5, DF, TTL 64,
/// protocol 6; RFC 791 §3.1) and a 24-byte TCP header (data offset 6, SYN, one option:
/// MSS `mss`, RFC 9293 §3.1 and §3.7.1). Both checksums are filled in; the TCP one covers the
/// pseudo-header of RFC 9293 §3.1 (source, destination, zero, protocol, TCP length).
pub fn ipv4_tcp_syn(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    isn: u32,
    window: u16,
    mss: u16,
) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(24);
    tcp.extend_from_slice(&src.1.to_be_bytes());
    tcp.extend_from_slice(&dst.1.to_be_bytes());
    tcp.extend_from_slice(&isn.to_be_bytes());
    tcp.extend_from_slice(&0u32.to_be_bytes()); // no ACK yet
    tcp.push(6 << 4); // data offset: 6 words
    tcp.push(0x02); // SYN
    tcp.extend_from_slice(&window.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend_from_slice(&[2, 4]); // option kind 2 (MSS), length 4
    tcp.extend_from_slice(&mss.to_be_bytes());
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src.0.octets());
    pseudo.extend_from_slice(&dst.0.octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    let c = checksum(&[&pseudo, &tcp]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());

    let total = (20 + tcp.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0, 1]); // identification
    ip.extend_from_slice(&[0x40, 0]); // DF, fragment offset 0
    ip.extend_from_slice(&[64, 6, 0, 0]); // TTL, protocol TCP, checksum
    ip.extend_from_slice(&src.0.octets());
    ip.extend_from_slice(&dst.0.octets());
    let c = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&tcp);
    ip
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Transport, decode};
    use crate::source::{LinkType, OwnedFrame, Timestamp};

    #[test]
    fn rfc_1071_example_sums_to_ddf2() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (ones' complement 220d).
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
        // Split anywhere, odd lengths included: the same sum.
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2], &[0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
    }

    #[test]
    fn a_message_with_its_checksum_sums_to_zero() {
        let m = icmp_echo_request(0x1234, 1, b"sockscope");
        assert_eq!(checksum(&[&m]), 0);
        let mut ip = vec![0x45; 20];
        ip.extend_from_slice(&m);
        ip[0] = 0x45;
        assert_eq!(icmp_of(&ip), Some((8, 0x1234, 1)));
    }

    #[test]
    fn the_syn_decodes_as_a_syn_with_valid_checksums() {
        let lo = Ipv4Addr::LOCALHOST;
        let p = ipv4_tcp_syn((lo, 40000), (lo, 7010), 1_000_000, 64240, 1460);
        assert_eq!(checksum(&[&p[..20]]), 0);
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&p);
        let f = OwnedFrame {
            ts: Timestamp::new(0, 0),
            link: LinkType::ETHERNET,
            orig_len: frame.len() as u32,
            data: frame,
        };
        let d = decode(&f.as_frame());
        let Transport::Tcp(t) = &d.transport else {
            panic!("{d:?}")
        };
        assert!(t.flags.syn() && !t.flags.ack());
        assert_eq!(d.ports(), Some((40000, 7010)));
        let mut pseudo = lo.octets().to_vec();
        pseudo.extend_from_slice(&lo.octets());
        pseudo.extend_from_slice(&[0, 6, 0, 24]);
        assert_eq!(checksum(&[&pseudo, &p[20..]]), 0);
    }
}
