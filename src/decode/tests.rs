//! Decoder tests over packets built with etherparse's PacketBuilder.

use super::*;
use crate::source::{Frame, LinkType, Timestamp};
use etherparse::PacketBuilder;

fn frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    Frame::whole(Timestamp::new(1, 0), link, data)
}

fn tcp_syn_ether() -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12])
        .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .tcp(54321, 7, 1000, 65495)
        .syn()
        .options(&[
            etherparse::TcpOptionElement::MaximumSegmentSize(65495),
            etherparse::TcpOptionElement::SelectiveAcknowledgementPermitted,
            etherparse::TcpOptionElement::Noop,
            etherparse::TcpOptionElement::WindowScale(7),
        ])
        .unwrap();
    let mut v = Vec::new();
    b.write(&mut v, &[]).unwrap();
    v
}

#[test]
fn ethernet_ipv4_tcp_syn() {
    let bytes = tcp_syn_ether();
    let p = decode(&frame(LinkType::ETHERNET, &bytes));
    assert!(matches!(p.link, Link::Ethernet(e) if e.ether_type == ethertype::IPV4));
    let Net::Ipv4(ip) = p.net else {
        panic!("no IPv4: {:?}", p.net)
    };
    assert_eq!(ip.src, Ipv4Addr::LOCALHOST);
    assert_eq!(ip.ttl, 64);
    let t = p.tcp().expect("tcp");
    assert_eq!((t.src_port, t.dst_port, t.seq), (54321, 7, 1000));
    assert!(t.flags.syn() && !t.flags.ack());
    let opts: Vec<_> = t.options().collect();
    assert_eq!(opts[0], TcpOption::Mss(65495));
    assert_eq!(p.payload_wire_len, 0);
    assert_eq!(p.stop, None);
}

#[test]
fn truncated_tcp_keeps_ports_and_says_where() {
    let bytes = tcp_syn_ether();
    // Ethernet 14 + IPv4 20 + 10 bytes of TCP.
    let cut = &bytes[..44];
    let p = decode(&Frame {
        ts: Timestamp::default(),
        link: LinkType::ETHERNET,
        orig_len: bytes.len() as u32,
        data: cut,
    });
    assert!(matches!(p.net, Net::Ipv4(_)));
    assert_eq!(
        p.transport,
        Transport::Partial {
            protocol: proto::TCP,
            ports: Some((54321, 7))
        }
    );
    let s = p.stop.expect("stop");
    assert_eq!(s.layer, Layer::Tcp);
    assert!(matches!(s.kind, StopKind::Truncated { .. }));
    assert_eq!(
        s.to_string(),
        "tcp header cut short: needs 20 bytes, 10 captured"
    );
}

#[test]
fn ipv6_udp_over_raw_and_sll2() {
    let b = PacketBuilder::ipv6(
        [0; 16],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        64,
    )
    .udp(41000, 12000);
    let mut v = Vec::new();
    b.write(&mut v, b"hello").unwrap();
    let p = decode(&frame(LinkType::RAW, &v));
    assert!(matches!(p.net, Net::Ipv6(_)));
    assert!(matches!(p.transport, Transport::Udp(u) if u.length == 13));
    assert_eq!(p.payload, b"hello");

    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    sll2.extend_from_slice(&v);
    let p = decode(&frame(LinkType::LINUX_SLL2, &sll2));
    assert!(matches!(p.link, Link::Sll(s) if s.version == 2 && s.if_index == 1));
    assert_eq!(p.ports(), Some((41000, 12000)));
}

#[test]
fn null_loopback_families() {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 5).icmpv4_echo_request(1, 2);
    let mut v = vec![2, 0, 0, 0];
    b.write(&mut v, b"ping").unwrap();
    let p = decode(&frame(LinkType::NULL, &v));
    assert_eq!(p.link, Link::Loopback { family: 2 });
    assert!(matches!(p.transport, Transport::Icmpv4(i) if i.kind == 8));
    v[..4].copy_from_slice(&[0, 0, 0, 2]);
    let p = decode(&frame(LinkType::LOOP, &v));
    assert_eq!(p.link, Link::Loopback { family: 2 });
}

#[test]
fn vlan_tag() {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .single_vlan(etherparse::VlanId::try_new(42).unwrap())
        .ipv4([1, 1, 1, 1], [2, 2, 2, 2], 9)
        .udp(1, 2);
    let mut v = Vec::new();
    b.write(&mut v, &[]).unwrap();
    let p = decode(&frame(LinkType::ETHERNET, &v));
    let Link::Ethernet(e) = p.link else { panic!() };
    assert_eq!(e.vlans().len(), 1);
    assert_eq!(e.vlans()[0].id, 42);
    assert!(matches!(p.transport, Transport::Udp(_)));
}

#[test]
fn never_panics_on_noise() {
    // Every prefix of a real packet, and bytes flipped at each position.
    let bytes = tcp_syn_ether();
    for link in [
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::NULL,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType(9999),
    ] {
        for n in 0..=bytes.len() {
            let _ = decode(&frame(link, &bytes[..n]));
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = decode(&frame(link, &b));
        }
    }
}
