//! Filter tests: parse trees, exact error messages, evaluation on packets built with
//! `decode::build::PacketBuilder`, and agreement of the compiled BPF program with
//! [`Filter::matches`].

use super::bpf::{self, ACCEPT};
use super::*;
use crate::decode::build::PacketBuilder;
use crate::decode::decode;
use crate::source::{Frame, LinkType, Timestamp};

// ---------------------------------------------------------------- packets

const V4_SRC: [u8; 4] = [10, 0, 0, 1];
const V4_DST: [u8; 4] = [192, 168, 1, 5];
const LO4: [u8; 4] = [127, 0, 0, 1];
const LO6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DB8_1: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DB8_2: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const FE80_1: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fn write(b: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    b(&mut v);
    v
}

/// IP packets (no link header), by name.
fn ip_packets() -> Vec<(&'static str, Vec<u8>)> {
    let payload = b"hello, sockets";
    let mut v = vec![
        (
            "v4 tcp syn 54321>7",
            write(|v| {
                PacketBuilder::ipv4(LO4, LO4, 64)
                    .tcp(54321, 7, 1000, 65495)
                    .syn()
                    .write(v, &[])
                    .unwrap()
            }),
        ),
        (
            "v4 tcp syn-ack 7>54321",
            write(|v| {
                PacketBuilder::ipv4(LO4, LO4, 64)
                    .tcp(7, 54321, 5000, 65483)
                    .syn()
                    .ack(1001)
                    .write(v, &[])
                    .unwrap()
            }),
        ),
        (
            "v4 tcp psh-ack 80>40000 data",
            write(|v| {
                PacketBuilder::ipv4(V4_SRC, V4_DST, 60)
                    .tcp(80, 40000, 7, 512)
                    .psh()
                    .ack(99)
                    .write(v, payload)
                    .unwrap()
            }),
        ),
        (
            "v4 tcp fin-ack 40000>80",
            write(|v| {
                PacketBuilder::ipv4(V4_DST, V4_SRC, 64)
                    .tcp(40000, 80, 99, 512)
                    .fin()
                    .ack(21)
                    .write(v, &[])
                    .unwrap()
            }),
        ),
        (
            "v4 tcp rst 7>54321",
            write(|v| {
                PacketBuilder::ipv4(LO4, LO4, 64)
                    .tcp(7, 54321, 0, 0)
                    .rst()
                    .write(v, &[])
                    .unwrap()
            }),
        ),
        (
            "v4 tcp ece-cwr-urg 22>2222",
            write(|v| {
                PacketBuilder::ipv4(V4_SRC, V4_DST, 64)
                    .tcp(22, 2222, 1, 100)
                    .ece()
                    .cwr()
                    .urg(3)
                    .ack(5)
                    .write(v, b"abc")
                    .unwrap()
            }),
        ),
        (
            "v4 tcp get 33000>80",
            write(|v| {
                PacketBuilder::ipv4(V4_DST, V4_SRC, 64)
                    .tcp(33000, 80, 1, 100)
                    .psh()
                    .ack(1)
                    .write(v, b"GET / HTTP/1.1\r\n\r\n")
                    .unwrap()
            }),
        ),
        (
            "v4 udp 53>5353",
            write(|v| {
                PacketBuilder::ipv4([10, 0, 0, 2], V4_SRC, 64)
                    .udp(53, 5353)
                    .write(v, payload)
                    .unwrap()
            }),
        ),
        (
            "v4 udp 5353>53",
            write(|v| {
                PacketBuilder::ipv4(V4_SRC, [10, 0, 0, 2], 64)
                    .udp(5353, 53)
                    .write(v, &[0u8; 120])
                    .unwrap()
            }),
        ),
        (
            "v4 icmp echo",
            write(|v| {
                PacketBuilder::ipv4(V4_SRC, [8, 8, 8, 8], 64)
                    .icmpv4_echo_request(1, 1)
                    .write(v, &[0u8; 56])
                    .unwrap()
            }),
        ),
        (
            "v4 icmp echoreply",
            write(|v| {
                PacketBuilder::ipv4([8, 8, 8, 8], V4_SRC, 120)
                    .icmpv4_echo_reply(1, 1)
                    .write(v, &[0u8; 56])
                    .unwrap()
            }),
        ),
        (
            "v6 tcp psh-ack 443>50000",
            write(|v| {
                PacketBuilder::ipv6(LO6, LO6, 64)
                    .tcp(443, 50000, 10, 1000)
                    .psh()
                    .ack(20)
                    .write(v, payload)
                    .unwrap()
            }),
        ),
        (
            "v6 tcp syn 50000>7",
            write(|v| {
                PacketBuilder::ipv6(LO6, LO6, 64)
                    .tcp(50000, 7, 10, 1000)
                    .syn()
                    .write(v, &[])
                    .unwrap()
            }),
        ),
        (
            "v6 udp 546>547",
            write(|v| {
                PacketBuilder::ipv6(FE80_1, DB8_2, 1)
                    .udp(546, 547)
                    .write(v, payload)
                    .unwrap()
            }),
        ),
        (
            "v6 icmp6 echo",
            write(|v| {
                PacketBuilder::ipv6(DB8_1, DB8_2, 64)
                    .icmpv6_echo_request(7, 1)
                    .write(v, &[1, 2, 3, 4])
                    .unwrap()
            }),
        ),
    ];
    // Hand-built headers for what PacketBuilder does not make: fragments, options, extensions.
    let udp_hdr = |sp: u16, dp: u16, len: u16| {
        let mut h = Vec::new();
        h.extend_from_slice(&sp.to_be_bytes());
        h.extend_from_slice(&dp.to_be_bytes());
        h.extend_from_slice(&len.to_be_bytes());
        h.extend_from_slice(&[0, 0]);
        h
    };
    let mut first = udp_hdr(4000, 53, 1208);
    first.extend_from_slice(&[0xaa; 32]);
    v.push((
        "v4 udp first fragment 4000>53",
        ipv4_raw(17, 0x2000, &[], &first),
    ));
    v.push((
        "v4 udp later fragment",
        ipv4_raw(17, 185, &[], &udp_hdr(80, 80, 0)),
    ));
    let mut tcp = write(|v| {
        PacketBuilder::ipv4(V4_SRC, V4_DST, 64)
            .tcp(1234, 80, 1, 100)
            .syn()
            .write(v, &[])
            .unwrap()
    });
    tcp.drain(..20);
    v.push((
        "v4 tcp with ip options 1234>80",
        ipv4_raw(6, 0x4000, &[1, 1, 1, 0], &tcp),
    ));
    let udp6 = udp_hdr(9000, 53, 20);
    let mut frag = vec![17, 0, 0, 1, 0, 0, 0, 42];
    frag.extend_from_slice(&udp6);
    frag.extend_from_slice(&[0x55; 12]);
    v.push(("v6 first fragment udp 9000>53", ipv6_raw(44, &frag)));
    let mut later = vec![17, 0, 0x05, 0x00, 0, 0, 0, 42];
    later.extend_from_slice(&udp_hdr(53, 53, 0));
    v.push(("v6 later fragment udp", ipv6_raw(44, &later)));
    // Hop-by-hop (8 bytes, PadN) then destination options (16 bytes) then TCP.
    let mut exts = vec![60, 0, 1, 4, 0, 0, 0, 0];
    exts.extend_from_slice(&[6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut tcp6 = write(|v| {
        PacketBuilder::ipv6(DB8_1, DB8_2, 64)
            .tcp(5555, 443, 1, 100)
            .syn()
            .write(v, &[])
            .unwrap()
    });
    tcp6.drain(..40);
    exts.extend_from_slice(&tcp6);
    v.push(("v6 hop-by-hop dstopts tcp 5555>443", ipv6_raw(0, &exts)));
    // Authentication header (RFC 4302: 12 bytes and a 12-byte ICV, length field 4) then UDP.
    let mut ah = vec![17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9];
    ah.extend_from_slice(&[0xcc; 12]);
    ah.extend_from_slice(&udp_hdr(7000, 53, 12));
    ah.extend_from_slice(b"ahah");
    v.push(("v6 ah udp 7000>53", ipv6_raw(51, &ah)));
    // Routing header (8 bytes) then an atomic fragment header (offset 0, no more) then TCP.
    let mut rf = vec![44, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 7];
    let mut tcp22 = write(|v| {
        PacketBuilder::ipv6(DB8_1, DB8_2, 64)
            .tcp(6000, 22, 1, 100)
            .rst()
            .write(v, &[])
            .unwrap()
    });
    tcp22.drain(..40);
    rf.extend_from_slice(&tcp22);
    v.push(("v6 routing atomic-fragment tcp 6000>22", ipv6_raw(43, &rf)));
    v
}

/// An IPv4 header from 10.0.0.1 to 192.168.1.5 with `frag` (flags and offset), `options`.
fn ipv4_raw(protocol: u8, frag: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let hl = 20 + options.len();
    let total = (hl + payload.len()) as u16;
    let mut h = vec![0x40 | (hl / 4) as u8, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34]);
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, protocol, 0, 0]);
    h.extend_from_slice(&V4_SRC);
    h.extend_from_slice(&V4_DST);
    h.extend_from_slice(options);
    h.extend_from_slice(payload);
    h
}

/// An IPv6 header from 2001:db8::1 to 2001:db8::2 with next header `nh`.
fn ipv6_raw(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[nh, 64]);
    h.extend_from_slice(&DB8_1);
    h.extend_from_slice(&DB8_2);
    h.extend_from_slice(payload);
    h
}

fn ethertype_of(ip: &[u8]) -> u16 {
    if ip[0] >> 4 == 6 { 0x86dd } else { 0x0800 }
}

fn ethernet(et: u16, tags: &[u16], body: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    for &tpid in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&[0x00, 0x2a]);
    }
    f.extend_from_slice(&et.to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn sll(et: u16, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
    f.extend_from_slice(&et.to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn sll2(et: u16, body: &[u8]) -> Vec<u8> {
    let mut f = et.to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
    f.extend_from_slice(body);
    f
}

fn arp_request() -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
    a.extend_from_slice(&V4_SRC);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&V4_DST);
    a
}

/// Every test frame: (description, link type, bytes).
fn frames() -> Vec<(String, LinkType, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, ip) in ip_packets() {
        let et = ethertype_of(&ip);
        out.push((
            format!("ether {name}"),
            LinkType::ETHERNET,
            ethernet(et, &[], &ip),
        ));
        out.push((
            format!("vlan {name}"),
            LinkType::ETHERNET,
            ethernet(et, &[0x8100], &ip),
        ));
        out.push((format!("sll {name}"), LinkType::LINUX_SLL, sll(et, &ip)));
        out.push((format!("sll2 {name}"), LinkType::LINUX_SLL2, sll2(et, &ip)));
        out.push((format!("raw {name}"), LinkType::RAW, ip.clone()));
        let raw_family = if et == 0x86dd {
            LinkType::IPV6
        } else {
            LinkType::IPV4
        };
        out.push((format!("raw-family {name}"), raw_family, ip));
    }
    out.push((
        "ether arp".into(),
        LinkType::ETHERNET,
        ethernet(0x0806, &[], &arp_request()),
    ));
    out.push((
        "vlan arp".into(),
        LinkType::ETHERNET,
        ethernet(0x0806, &[0x88a8], &arp_request()),
    ));
    out.push((
        "sll arp".into(),
        LinkType::LINUX_SLL,
        sll(0x0806, &arp_request()),
    ));
    out.push((
        "ether 802.3 llc".into(),
        LinkType::ETHERNET,
        ethernet(0x0026, &[], &[0x42, 0x42, 0x03, 0, 0, 0]),
    ));
    out
}

fn frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    Frame::whole(Timestamp::new(1, 0), link, data)
}

fn matches(expr: &str, link: LinkType, data: &[u8]) -> bool {
    let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{e}"));
    f.matches(&decode(&frame(link, data)))
}

fn named(name: &str) -> (LinkType, Vec<u8>) {
    let (_, l, d) = frames()
        .into_iter()
        .find(|f| f.0 == name)
        .unwrap_or_else(|| panic!("no frame {name}"));
    (l, d)
}

// ---------------------------------------------------------------- parsing

fn tree(expr: &str) -> Node {
    Filter::parse(expr).unwrap_or_else(|e| panic!("{e}")).root
}

fn host4(dir: Dir, a: [u8; 4]) -> Node {
    Node::Prim(Prim::Net {
        dir,
        arp: true,
        net: IpNet::V4 {
            addr: a.into(),
            mask: [255; 4].into(),
        },
    })
}

fn port(dir: Dir, proto: PortProto, p: u16) -> Node {
    Node::Prim(Prim::Port {
        dir,
        proto,
        lo: p,
        hi: p,
    })
}

fn b(n: Node) -> Box<Node> {
    Box::new(n)
}

#[test]
fn and_or_have_equal_precedence_left_to_right_as_in_tcpdump() {
    let tcp = Node::Prim(Prim::IpProto {
        family: None,
        proto: 6,
    });
    let udp = Node::Prim(Prim::IpProto {
        family: None,
        proto: 17,
    });
    assert_eq!(
        tree("tcp or udp and port 53"),
        Node::And(
            b(Node::Or(b(tcp.clone()), b(udp.clone()))),
            b(port(Dir::Either, PortProto::Any, 53))
        )
    );
    assert_eq!(
        tree("tcp or (udp and port 53)"),
        Node::Or(
            b(tcp),
            b(Node::And(b(udp), b(port(Dir::Either, PortProto::Any, 53))))
        )
    );
}

#[test]
fn qualifiers_repeat_for_bare_arguments() {
    assert_eq!(
        tree("host 1.2.3.4 or 5.6.7.8"),
        Node::Or(
            b(host4(Dir::Either, [1, 2, 3, 4])),
            b(host4(Dir::Either, [5, 6, 7, 8]))
        )
    );
    assert_eq!(
        tree("tcp dst port 80 or 443 and not 8080"),
        Node::And(
            b(Node::Or(
                b(port(Dir::Dst, PortProto::Tcp, 80)),
                b(port(Dir::Dst, PortProto::Tcp, 443))
            )),
            b(Node::Not(b(port(Dir::Dst, PortProto::Tcp, 8080))))
        )
    );
    // A bare address alone is a host, as in tcpdump.
    assert_eq!(tree("10.0.0.1"), host4(Dir::Either, [10, 0, 0, 1]));
}

#[test]
fn directions_services_ranges_and_lengths() {
    assert_eq!(
        tree("src or dst host 1.2.3.4"),
        host4(Dir::Either, [1, 2, 3, 4])
    );
    assert_eq!(
        tree("src and dst host 1.2.3.4"),
        host4(Dir::Both, [1, 2, 3, 4])
    );
    assert_eq!(tree("src 1.2.3.4"), host4(Dir::Src, [1, 2, 3, 4]));
    assert_eq!(tree("port http"), port(Dir::Either, PortProto::Any, 80));
    assert_eq!(
        tree("udp port domain"),
        port(Dir::Either, PortProto::Udp, 53)
    );
    assert_eq!(
        tree("portrange 2000-1000"),
        Node::Prim(Prim::Port {
            dir: Dir::Either,
            proto: PortProto::Any,
            lo: 1000,
            hi: 2000
        })
    );
    assert_eq!(
        tree("less 100"),
        Node::Rel(RelOp::Le, Arith::Len, Arith::Num(100))
    );
    assert_eq!(
        tree("greater 0x10"),
        Node::Rel(RelOp::Ge, Arith::Len, Arith::Num(16))
    );
    assert!(Filter::parse("").unwrap().is_empty());
    assert!(Filter::parse("   ").unwrap().is_empty());
    assert!(!Filter::parse("tcp").unwrap().is_empty());
}

#[test]
fn networks_in_every_spelling() {
    let ten = Node::Prim(Prim::Net {
        dir: Dir::Either,
        arp: true,
        net: IpNet::V4 {
            addr: [10, 0, 0, 0].into(),
            mask: [255, 0, 0, 0].into(),
        },
    });
    assert_eq!(tree("net 10.0.0.0/8"), ten);
    assert_eq!(tree("net 10"), ten);
    assert_eq!(tree("net 10.0.0.0 mask 255.0.0.0"), ten);
    assert_eq!(
        tree("dst net fe80::/10"),
        Node::Prim(Prim::Net {
            dir: Dir::Dst,
            arp: true,
            net: IpNet::V6 {
                addr: "fe80::".parse().unwrap(),
                mask: "ffc0::".parse().unwrap(),
            },
        })
    );
}

#[test]
fn relations_parse_with_c_precedence() {
    let flags = Arith::Load {
        base: Base::Transport {
            proto: 6,
            family: None,
        },
        offset: Box::new(Arith::Num(13)),
        size: 1,
    };
    assert_eq!(
        tree("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"),
        Node::Rel(
            RelOp::Eq,
            Arith::Bin(
                ArithOp::And,
                Box::new(flags.clone()),
                Box::new(Arith::Bin(
                    ArithOp::Or,
                    Box::new(Arith::Num(2)),
                    Box::new(Arith::Num(16))
                ))
            ),
            Arith::Num(2)
        )
    );
    assert_eq!(
        tree("(tcp[13] & 2) != 0"),
        Node::Rel(
            RelOp::Ne,
            Arith::Bin(ArithOp::And, Box::new(flags), Box::new(Arith::Num(2))),
            Arith::Num(0)
        )
    );
    assert_eq!(
        tree("len - 14 * 2 > 1 << 4"),
        Node::Rel(
            RelOp::Gt,
            Arith::Bin(
                ArithOp::Sub,
                Box::new(Arith::Len),
                Box::new(Arith::Bin(
                    ArithOp::Mul,
                    Box::new(Arith::Num(14)),
                    Box::new(Arith::Num(2))
                ))
            ),
            Arith::Bin(
                ArithOp::Shl,
                Box::new(Arith::Num(1)),
                Box::new(Arith::Num(4))
            )
        )
    );
}

// ---------------------------------------------------------------- error messages

fn error(expr: &str) -> String {
    match Filter::parse(expr) {
        Ok(f) => panic!("{expr:?} parsed: {:?}", f.root),
        Err(e) => e.to_string(),
    }
}

#[test]
fn error_messages_point_at_the_offending_word() {
    let cases: &[(&str, &str)] = &[
        (
            "tcp port http2",
            "bad filter: expected a port number after `port` (`http2` is neither a number from \
             0 to 65535 nor a known service name)\n  tcp port http2\n           ^^^^^",
        ),
        (
            "port 70000",
            "bad filter: port 70000 is out of range: ports are 0 to 65535\n  port 70000\n       ^^^^^",
        ),
        (
            "tcp and foo",
            "bad filter: unknown word `foo`: expected a protocol (tcp, udp, icmp, icmp6, arp, \
             ip, ip6), host/net/port/portrange with an argument, a comparison like `len > 100`, \
             `not` or `(`\n  tcp and foo\n          ^^^",
        ),
        (
            "tcp and",
            "bad filter: expected an expression after `and`\n  tcp and\n         ^",
        ),
        (
            "not",
            "bad filter: expected an expression after `not`\n  not\n     ^",
        ),
        (
            "tcp or or udp",
            "bad filter: expected an expression after `or`, found `or`\n  tcp or or udp\n         ^^",
        ),
        (
            "host",
            "bad filter: expected an IPv4 or IPv6 address after `host`\n  host\n      ^",
        ),
        (
            "src port and tcp",
            "bad filter: expected a port number after `port`, found `and`\n  src port and tcp\n           ^^^",
        ),
        (
            "(tcp or udp",
            "bad filter: expected `)` to close the `(` at column 1, or `and`/`or` after `udp`\n  \
             (tcp or udp\n             ^",
        ),
        (
            "tcp or udp)",
            "bad filter: unexpected `)`: there is no `(` open before it\n  tcp or udp)\n            ^",
        ),
        (
            "()",
            "bad filter: expected an expression after `(`, found `)`\n  ()\n   ^",
        ),
        (
            "host 1.2.3.999",
            "bad filter: expected an IPv4 or IPv6 address after `host`, found `1.2.3.999` \
             (sockscope does not look up host names)\n  host 1.2.3.999\n       ^^^^^^^^^",
        ),
        (
            "host example.com",
            "bad filter: expected an IPv4 or IPv6 address after `host`, found `example.com` \
             (sockscope does not look up host names)\n  host example.com\n       ^^^^^^^^^^^",
        ),
        (
            "host 10.0.0.0/8",
            "bad filter: expected an IPv4 or IPv6 address after `host`, found `10.0.0.0/8`; for \
             a network write `net 10.0.0.0/8`\n  host 10.0.0.0/8\n       ^^^^^^^^^^",
        ),
        (
            "net 10.0.0.0/33",
            "bad filter: bad CIDR prefix `/33`: an IPv4 prefix length is 0 to 32\n  \
             net 10.0.0.0/33\n      ^^^^^^^^^^^",
        ),
        (
            "net ::/129",
            "bad filter: bad CIDR prefix `/129`: an IPv6 prefix length is 0 to 128\n  \
             net ::/129\n      ^^^^^^",
        ),
        (
            "net 10.0.0.1/8",
            "bad filter: `10.0.0.1/8` has bits set outside its mask: a network's host part must \
             be zero (did you mean 10.0.0.0, or `host 10.0.0.1`?)\n  net 10.0.0.1/8\n      \
             ^^^^^^^^^^",
        ),
        (
            "tcp udp",
            "bad filter: expected `and`, `or` or the end of the filter after `tcp`, found `udp`\n  \
             tcp udp\n      ^^^",
        ),
        (
            "ip host ::1",
            "bad filter: `ip` means IPv4 but this is an IPv6 address: write `ip6` or leave it \
             out\n  ip host ::1\n          ^^^",
        ),
        (
            "tcp host 1.2.3.4",
            "bad filter: `tcp host` is not a filter: only `ip` or `ip6` can qualify `host`; \
             combine the tests instead, e.g. `tcp and host 1.2.3.4`\n  tcp host 1.2.3.4\n  ^^^",
        ),
        (
            "tcp[13:3] = 0",
            "bad filter: a load size must be 1, 2 or 4 bytes, not `3`\n  tcp[13:3] = 0\n         ^",
        ),
        (
            "tcp[tcpflags] & tcp-sin != 0",
            "bad filter: unknown name `tcp-sin` in a comparison: expected a number, `len`, \
             proto[offset] or a name such as tcpflags, tcp-syn, icmptype, icmp-echo\n  \
             tcp[tcpflags] & tcp-sin != 0\n                  ^^^^^^^",
        ),
        (
            "tcp[13] & 2",
            "bad filter: expected a comparison (=, ==, !=, <, <=, >, >=) or an arithmetic \
             operator after `2`\n  tcp[13] & 2\n             ^",
        ),
        (
            "(tcp[13] & 2) !=",
            "bad filter: expected a number, `len` or proto[offset] after `!=`\n  \
             (tcp[13] & 2) !=\n                  ^",
        ),
        (
            "len > 4294967296",
            "bad filter: 4294967296 does not fit in 32 bits (the largest number is 4294967295)\n  \
             len > 4294967296\n        ^^^^^^^^^^",
        ),
        (
            "len / 0 > 1",
            "bad filter: division by zero\n  len / 0 > 1\n      ^^^",
        ),
        (
            "portrange 80",
            "bad filter: expected a port range such as 1024-65535 after `portrange`, found `80` \
             (write the two ports with a `-` and no spaces)\n  portrange 80\n            ^^",
        ),
        (
            "port 80 or foo",
            "bad filter: expected a port number after `or` (`foo` is neither a number from 0 to \
             65535 nor a known service name)\n  port 80 or foo\n             ^^^",
        ),
        (
            "tcp $ udp",
            "bad filter: unexpected character `$`: filters are made of words, numbers, \
             addresses, parentheses and the operators ! && || & | + - * / < > = []\n  \
             tcp $ udp\n      ^",
        ),
        (
            "less",
            "bad filter: expected a length in bytes after `less`\n  less\n      ^",
        ),
        (
            "tcp port ntp",
            "bad filter: `ntp` is a UDP service (port 123), not a TCP one: drop the `tcp` \
             qualifier or write the number\n  tcp port ntp\n           ^^^",
        ),
        (
            "80",
            "bad filter: a bare number needs a qualifier: write `port 80`, `len > 80`, or `host` \
             with an address\n  80\n  ^^",
        ),
        (
            "ether host 1.2.3.4",
            "bad filter: sockscope filters on IP addresses, not MAC addresses: `ether host` and \
             `ether net` are not supported (ether[offset] comparisons are)\n  \
             ether host 1.2.3.4\n  ^^^^^",
        ),
        (
            "icmp port 7",
            "bad filter: `icmp port` is not a filter: only `tcp` or `udp` can qualify `port`; \
             combine the tests instead, e.g. `icmp and port 7`\n  icmp port 7\n  ^^^^",
        ),
    ];
    let mut failures = Vec::new();
    for (expr, want) in cases {
        let got = error(expr);
        if got != *want {
            failures.push(format!("{expr:?}\n--- want\n{want}\n--- got\n{got}\n"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------- evaluation

#[test]
fn primitives_match_the_packets_they_name() {
    let cases: &[(&str, &str, bool)] = &[
        ("tcp", "ether v4 tcp syn 54321>7", true),
        ("tcp", "ether v6 tcp syn 50000>7", true),
        ("tcp", "ether v4 udp 53>5353", false),
        ("udp", "vlan v6 udp 546>547", true),
        ("icmp", "ether v4 icmp echo", true),
        ("icmp", "ether v6 icmp6 echo", false),
        ("icmp6", "ether v6 icmp6 echo", true),
        ("arp", "ether arp", true),
        ("arp", "vlan arp", true),
        ("ip", "ether arp", false),
        ("ip", "raw v4 udp 53>5353", true),
        ("ip6", "raw-family v6 udp 546>547", true),
        ("ip", "ether 802.3 llc", false),
        ("host 127.0.0.1", "ether v4 tcp syn 54321>7", true),
        ("host ::1", "ether v4 tcp syn 54321>7", false),
        ("src host 10.0.0.1", "ether arp", true),
        ("dst net 192.168.1.0/24", "vlan arp", true),
        ("src host 192.168.1.5", "ether arp", false),
        ("ip host 10.0.0.1", "ether arp", false),
        ("host ::1", "sll v6 tcp syn 50000>7", true),
        (
            "src host 10.0.0.1",
            "ether v4 tcp psh-ack 80>40000 data",
            true,
        ),
        (
            "dst host 10.0.0.1",
            "ether v4 tcp psh-ack 80>40000 data",
            false,
        ),
        (
            "src and dst host 127.0.0.1",
            "ether v4 tcp rst 7>54321",
            true,
        ),
        (
            "net 192.168.0.0/16",
            "ether v4 tcp psh-ack 80>40000 data",
            true,
        ),
        (
            "src net 192.168.0.0/16",
            "ether v4 tcp psh-ack 80>40000 data",
            false,
        ),
        ("net 2001:db8::/32", "ether v6 icmp6 echo", true),
        ("net fe80::/10", "ether v6 icmp6 echo", false),
        ("port 7", "ether v4 tcp syn 54321>7", true),
        ("src port 7", "ether v4 tcp syn 54321>7", false),
        ("dst port 7", "ether v4 tcp syn 54321>7", true),
        ("udp port 7", "ether v4 tcp syn 54321>7", false),
        ("port 53", "ether v4 udp first fragment 4000>53", true),
        ("port 80", "ether v4 udp later fragment", false),
        ("udp", "ether v4 udp later fragment", true),
        ("port 53", "ether v6 first fragment udp 9000>53", true),
        ("port 53", "ether v6 later fragment udp", false),
        ("udp", "ether v6 later fragment udp", true),
        (
            "tcp dst port 443",
            "ether v6 hop-by-hop dstopts tcp 5555>443",
            true,
        ),
        ("tcp port 80", "ether v4 tcp with ip options 1234>80", true),
        ("portrange 1-1024", "ether v4 tcp syn 54321>7", true),
        ("src portrange 1-1024", "ether v4 tcp syn 54321>7", false),
        ("port domain", "ether v4 udp 53>5353", true),
        (
            "tcp[tcpflags] & tcp-syn != 0",
            "ether v4 tcp syn 54321>7",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-syn != 0",
            "ether v4 udp 53>5353",
            false,
        ),
        (
            "not tcp[tcpflags] & tcp-syn != 0",
            "ether v4 udp 53>5353",
            true,
        ),
        (
            "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
            "ether v4 tcp syn-ack 7>54321",
            false,
        ),
        (
            "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
            "ether v4 tcp syn 54321>7",
            true,
        ),
        ("tcp[13] & 2 != 0", "vlan v4 tcp syn-ack 7>54321", true),
        (
            "tcp[tcpflags] & tcp-rst != 0",
            "ether v4 tcp rst 7>54321",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-fin != 0",
            "ether v4 tcp fin-ack 40000>80",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-push != 0",
            "ether v4 tcp psh-ack 80>40000 data",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-ece != 0",
            "ether v4 tcp ece-cwr-urg 22>2222",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-cwr != 0",
            "ether v4 tcp ece-cwr-urg 22>2222",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-urg != 0",
            "ether v4 tcp ece-cwr-urg 22>2222",
            true,
        ),
        (
            "tcp[tcpflags] & tcp-urg != 0",
            "ether v4 tcp syn 54321>7",
            false,
        ),
        ("tcp[0:2] = 54321", "ether v4 tcp syn 54321>7", true),
        ("tcp[4:4] = 1000", "ether v4 tcp syn 54321>7", true),
        ("icmp[icmptype] == icmp-echo", "ether v4 icmp echo", true),
        (
            "icmp[icmptype] == icmp-echo",
            "ether v4 icmp echoreply",
            false,
        ),
        (
            "icmp6[icmp6type] == icmp6-echo",
            "ether v6 icmp6 echo",
            true,
        ),
        (
            "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
            "ether v4 tcp get 33000>80",
            true,
        ),
        // A load past the captured bytes rejects the packet, even under `not`.
        ("tcp[100] = 0", "ether v4 tcp syn 54321>7", false),
        ("not tcp[100] = 0", "ether v4 tcp syn 54321>7", false),
        ("udp or tcp[100] = 0", "ether v4 udp 53>5353", true),
        ("len > 100", "ether v4 udp 5353>53", true),
        ("len > 100", "ether v4 tcp syn 54321>7", false),
        ("less 54", "ether v4 tcp syn 54321>7", true),
        ("greater 55", "ether v4 tcp syn 54321>7", false),
        ("ether[12:2] = 0x86dd", "ether v6 udp 546>547", true),
        ("ether[12:2] = 0x86dd", "raw v6 udp 546>547", false),
        ("ip[9] = 17", "vlan v4 udp 53>5353", true),
        ("ip6[6] = 17", "sll v6 udp 546>547", true),
        ("", "ether arp", true),
    ];
    let mut failures = Vec::new();
    for &(expr, name, want) in cases {
        let (link, data) = named(name);
        if matches(expr, link, &data) != want {
            failures.push(format!("{expr:?} on {name}: expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn truncated_packets_match_as_far_as_their_fields_are_known() {
    let (link, data) = named("ether v4 tcp syn 54321>7");
    // 14 + 20 + 4: the ports are there, the flags are not.
    let cut = &data[..38];
    assert!(matches("tcp port 7", link, cut));
    assert!(matches("src port 54321", link, cut));
    assert!(!matches("tcp[tcpflags] & tcp-syn != 0", link, cut));
    assert!(!matches("not tcp[tcpflags] & tcp-syn != 0", link, cut));
    // `len` is the length on the wire.
    let mut f = frame(link, cut);
    f.orig_len = data.len() as u32;
    assert!(Filter::parse("len = 54").unwrap().matches(&decode(&f)));
}

// ---------------------------------------------------------------- BPF

/// Expressions the property test runs over every frame.
const EXPRESSIONS: &[&str] = &[
    "",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "arp",
    "ip",
    "ip6",
    "not ip",
    "not (tcp or udp)",
    "! tcp && ! udp || arp",
    "tcp or udp and port 53",
    "host 127.0.0.1",
    "host ::1",
    "src host 10.0.0.1",
    "dst host 192.168.1.5",
    "src or dst host 10.0.0.2",
    "src and dst host 127.0.0.1",
    "src and dst host ::1",
    "host 10.0.0.1 or 8.8.8.8",
    "ip host 10.0.0.1",
    "ip6 host 2001:db8::2",
    "net 10.0.0.0/8",
    "net 10",
    "net 192.168",
    "dst net 192.168.0.0/16",
    "net 10.0.0.0 mask 255.0.0.0",
    "net 0.0.0.0/0",
    "net fe80::/10",
    "net 2001:db8::/32",
    "src net 2001:db8::2/127",
    "net ::/0",
    "port 7",
    "src port 7",
    "dst port 7",
    "tcp port 80",
    "udp port 53",
    "udp port 80",
    "port 53 or 80",
    "port 80 or 443 and not 8080",
    "src and dst port 80",
    "portrange 1-1024",
    "tcp dst portrange 40000-50000",
    "src portrange 0-100",
    "udp portrange 50-60",
    "port domain",
    "port http or https",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)",
    "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0",
    "tcp[tcpflags] & tcp-push != 0",
    "tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0",
    "tcp[tcpflags] & tcp-urg != 0",
    "tcp[13] & 2 != 0",
    "tcp[13] = 0x12",
    "(tcp[13] & 0x10) = 0x10",
    "tcp[0:2] = 54321",
    "tcp[2:2] > 1000",
    "tcp[4:4] = 1000",
    "tcp[12] >> 4 > 5",
    "udp[0:2] = 53",
    "udp[4:2] < 30",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] = icmp-echoreply",
    "icmp[icmpcode] = 0",
    "icmp6[icmp6type] = icmp6-echo",
    "ip[8] = 64",
    "ip[9] = 6",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0 and udp",
    "ip6[6] = 17",
    "ip6[7] > 10",
    "ether[12:2] = 0x800",
    "ether[0] = 0 and ip",
    "len > 100",
    "len <= 60",
    "less 64",
    "greater 100",
    "len - 14 > 40",
    "len * 2 > 200",
    "len % 7 = 0",
    "len ^ 1 > 60",
    "len / 2 < 40",
    "-len < 0xffffff00",
    "len & 0xf | 0x10 = 0x1a",
    "tcp and not port 22",
    "host 127.0.0.1 and (port 7 or port 54321)",
    "(host 10.0.0.1 or host 10.0.0.2) and udp",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0",
    "tcp[100] = 0",
    "not tcp[100] = 0",
    "udp or tcp[100] = 0",
    "tcp[13] / (tcp[13] & 0) = 0",
    "not tcp[13] % (tcp[13] & 0) = 0",
    "tcp[tcp[12] >> 4] > 0",
    "udp[len - len + 2:2] = 53",
];

/// Frames the prelude leaves to user space: it must accept them (a pre-filter may not drop
/// what user space would accept), whatever user space then decides.
fn deferred_frames() -> Vec<(String, LinkType, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, ip) in ip_packets().into_iter().take(3) {
        out.push((
            format!("qinq {name}"),
            LinkType::ETHERNET,
            ethernet(ethertype_of(&ip), &[0x88a8, 0x8100], &ip),
        ));
    }
    // Nine destination-options headers, then UDP: more than the prelude follows.
    let mut exts = Vec::new();
    for i in 0..9 {
        exts.extend_from_slice(&[if i == 8 { 17 } else { 60 }, 0, 1, 4, 0, 0, 0, 0]);
    }
    exts.extend_from_slice(&[0, 53, 0, 53, 0, 8, 0, 0]);
    out.push((
        "v6 nine extension headers".into(),
        LinkType::ETHERNET,
        ethernet(0x86dd, &[], &ipv6_raw(60, &exts)),
    ));
    out
}

#[test]
fn compiled_programs_agree_with_matches_on_every_frame() {
    let frames = frames();
    let mut failures = Vec::new();
    let mut checked = 0;
    for expr in EXPRESSIONS {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{e}"));
        for link in [
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::RAW,
            LinkType::IPV4,
            LinkType::IPV6,
        ] {
            let prog = bpf::compile(&f, link).unwrap_or_else(|| panic!("{expr:?} on {link}"));
            for (name, l, data) in frames.iter().filter(|fr| fr.1 == link) {
                let want = f.matches(&decode(&frame(*l, data)));
                let got = bpf::run(&prog, data, data.len() as u32);
                assert!(got == 0 || got == ACCEPT, "{expr:?} returned {got}");
                checked += 1;
                if (got == ACCEPT) != want {
                    failures.push(format!(
                        "{expr:?} on {name}: matches {want}, bpf {got}\n{}",
                        bpf::disassemble(&prog)
                    ));
                }
            }
        }
        let prog = bpf::compile(&f, LinkType::ETHERNET).unwrap();
        for (name, l, data) in deferred_frames() {
            let want = f.matches(&decode(&frame(l, &data)));
            let got = bpf::run(&prog, &data, data.len() as u32);
            if want && got != ACCEPT {
                failures.push(format!("{expr:?} drops {name}, which matches"));
            }
        }
    }
    assert!(checked > 10_000, "only {checked} checks");
    assert!(
        failures.is_empty(),
        "{} disagreements, first:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn every_test_frame_is_matched_by_something_and_refused_by_something() {
    // Guards against a frame set the property test could pass vacuously on.
    for (name, link, data) in frames() {
        let p = decode(&frame(link, &data));
        let hits = EXPRESSIONS
            .iter()
            .filter(|e| Filter::parse(e).unwrap().matches(&p))
            .count();
        assert!(hits > 1 && hits < EXPRESSIONS.len(), "{name}: {hits} hits");
    }
}

#[test]
fn long_programs_route_far_jumps_through_trampolines() {
    let hosts: Vec<String> = (1..=60).map(|i| format!("2001:db8::{i:x}")).collect();
    let expr = format!("host {} or port 7", hosts.join(" or "));
    let f = Filter::parse(&expr).unwrap();
    let prog = bpf::compile(&f, LinkType::ETHERNET).unwrap();
    assert!(prog.len() > 600, "{} instructions", prog.len());
    assert!(prog.iter().any(|i| i.code == (bpf::op::JMP | bpf::op::JA)));
    for (name, link, data) in frames().into_iter().filter(|f| f.1 == LinkType::ETHERNET) {
        let want = f.matches(&decode(&frame(link, &data)));
        let got = bpf::run(&prog, &data, data.len() as u32) == ACCEPT;
        assert_eq!(got, want, "{name}");
    }
    let (link, data) = named("ether v4 tcp syn 54321>7");
    assert_eq!(bpf::run(&prog, &data, data.len() as u32), ACCEPT);
    let (_, data) = named("ether v6 icmp6 echo");
    assert_eq!(bpf::run(&prog, &data, data.len() as u32), ACCEPT, "{link}");
}

#[test]
fn unsupported_links_and_deep_arithmetic_are_left_to_user_space() {
    let f = Filter::parse("tcp").unwrap();
    assert!(bpf::compile(&f, LinkType::NULL).is_none());
    assert!(bpf::compile(&f, LinkType(147)).is_none());
    assert!(bpf::compile(&f, LinkType::LINUX_SLL2).is_some());
    // Each level of left-nested parentheses keeps one more operand in scratch memory.
    let mut deep = "len".to_string();
    for _ in 0..12 {
        deep = format!("({deep}) + len");
    }
    let f = Filter::parse(&format!("{deep} > 0")).unwrap();
    assert!(bpf::compile(&f, LinkType::ETHERNET).is_none());
}

#[test]
fn programs_return_the_snap_length_or_zero() {
    let f = Filter::parse("udp").unwrap();
    let prog = bpf::compile(&f, LinkType::ETHERNET).unwrap();
    let rets: Vec<u32> = prog
        .iter()
        .filter(|i| i.code & 0x07 == bpf::op::RET)
        .map(|i| i.k)
        .collect();
    assert!(rets.contains(&262_144) && rets.contains(&0), "{rets:?}");
    assert_eq!(std::mem::size_of::<bpf::BpfInsn>(), 8);
}

/// A small deterministic generator (64-bit LCG), so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// A random expression from the grammar, `depth` levels of and/or/not deep.
fn random_expr(r: &mut Lcg, depth: u32) -> String {
    if depth > 0 && !r.next().is_multiple_of(3) {
        let a = random_expr(r, depth - 1);
        let b = random_expr(r, depth - 1);
        return match r.next() % 5 {
            0 => format!("{a} and {b}"),
            1 => format!("({a}) or ({b})"),
            2 => format!("not ({a})"),
            3 => format!("{a} || !{b}"),
            _ => format!("({a} && {b})"),
        };
    }
    let proto = r.pick(&["", "tcp ", "udp "]);
    let dir = r.pick(&["", "src ", "dst ", "src or dst ", "src and dst "]);
    let host = r.pick(&[
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.5",
        "10.0.0.2",
        "::1",
        "2001:db8::1",
        "2001:db8::2",
        "fe80::1",
    ]);
    let net = r.pick(&[
        "10.0.0.0/8",
        "192.168.1.0/24",
        "127.0.0.0/8",
        "0.0.0.0/1",
        "2001:db8::/32",
        "fe80::/10",
        "::/1",
        "::1/128",
    ]);
    let port = r.pick(&["7", "53", "80", "443", "54321", "5353", "547", "22"]);
    let field = r.pick(&[
        "tcp[tcpflags]",
        "tcp[13]",
        "tcp[0:2]",
        "tcp[2:2]",
        "tcp[4:4]",
        "udp[0:2]",
        "udp[4:2]",
        "icmp[icmptype]",
        "icmp6[icmp6type]",
        "ip[9]",
        "ip[6:2]",
        "ip6[6]",
        "ether[12:2]",
        "len",
        "tcp[12] >> 4",
        "tcp[40]",
    ]);
    let value = r.pick(&[
        "0", "2", "0x12", "tcp-syn", "tcp-ack", "6", "17", "64", "1000", "60",
    ]);
    let op = r.pick(&["=", "!=", "<", "<=", ">", ">="]);
    match r.next() % 9 {
        0 => r
            .pick(&["tcp", "udp", "icmp", "icmp6", "arp", "ip", "ip6"])
            .to_string(),
        1 => format!("{dir}host {host}"),
        2 => format!("{dir}net {net}"),
        3 => format!("{proto}{dir}port {port}"),
        4 => format!("{proto}{dir}port {port} or {}", r.pick(&["53", "7", "80"])),
        5 => format!("{proto}{dir}portrange 1-{port}"),
        6 => format!("{field} & {value} {op} {value}"),
        7 => format!("{field} {op} {value}"),
        _ => format!(
            "{} {}",
            r.pick(&["less", "greater"]),
            r.pick(&["54", "60", "100"])
        ),
    }
}

#[test]
fn random_expressions_compile_to_programs_that_agree_with_matches() {
    let frames = frames();
    let mut r = Lcg(7);
    let mut failures = Vec::new();
    for _ in 0..400 {
        let expr = random_expr(&mut r, 3);
        let f = Filter::parse(&expr).unwrap_or_else(|e| panic!("{e}"));
        for link in [
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::RAW,
        ] {
            let prog = bpf::compile(&f, link).unwrap();
            for (name, l, data) in frames.iter().filter(|fr| fr.1 == link) {
                let want = f.matches(&decode(&frame(*l, data)));
                let got = bpf::run(&prog, data, data.len() as u32) == ACCEPT;
                if got != want {
                    failures.push(format!("{expr:?} on {name}: matches {want}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn any_string_parses_or_fails_with_a_caret_inside_it() {
    let words = [
        "tcp",
        "udp",
        "host",
        "net",
        "port",
        "portrange",
        "src",
        "dst",
        "and",
        "or",
        "not",
        "!",
        "(",
        ")",
        "[",
        "]",
        ":",
        "&",
        "|",
        "==",
        "!=",
        ">",
        "<<",
        "-",
        "/",
        "%",
        "1",
        "80",
        "1-2",
        "10.0.0.1",
        "::1",
        "10/8",
        "mask",
        "255.0.0.0",
        "len",
        "less",
        "tcp[",
        "13]",
        "tcpflags",
        "tcp-syn",
        "é",
        "0x",
        "99999999999",
        "ether",
        "icmp6",
        "arp",
        "$",
    ];
    let mut r = Lcg(42);
    for _ in 0..5000 {
        let n = 1 + r.next() % 7;
        let expr: Vec<&str> = (0..n).map(|_| r.pick(&words)).collect();
        let expr = expr.join(if r.next().is_multiple_of(2) { " " } else { "" });
        match Filter::parse(&expr) {
            Ok(f) => {
                let _ = bpf::compile(&f, LinkType::ETHERNET);
            }
            Err(e) => {
                assert!(e.span.0 <= e.span.1 && e.span.1 <= expr.len(), "{expr:?}");
                let shown = e.to_string();
                assert!(shown.contains('^') && shown.contains(&expr), "{shown}");
            }
        }
    }
}

/// The kernel filter is a pre-filter: on corrupted frames it may accept what user space then
/// refuses, but it must never drop a frame that [`Filter::matches`] accepts.
#[test]
fn compiled_programs_never_drop_a_corrupted_frame_that_matches() {
    let frames = frames();
    let mut r = Lcg(3);
    let mut dropped = Vec::new();
    for expr in EXPRESSIONS.iter().step_by(2) {
        let f = Filter::parse(expr).unwrap();
        for (name, l, data) in &frames {
            let prog = bpf::compile(&f, *l).unwrap();
            for _ in 0..25 {
                let mut d = data.clone();
                for _ in 0..1 + r.next() % 2 {
                    let i = r.next() % d.len().min(90);
                    d[i] = r.next() as u8;
                }
                let want = f.matches(&decode(&frame(*l, &d)));
                if want && bpf::run(&prog, &d, d.len() as u32) != ACCEPT {
                    dropped.push(format!("{expr:?} on corrupted {name}: {d:02x?}"));
                }
            }
        }
    }
    assert!(dropped.is_empty(), "{dropped:#?}");
}

// ---------------------------------------------------------------- host names

/// A resolver that knows one name, as /etc/hosts might list it: an IPv4 and an IPv6 address.
fn fake_hosts(name: &str) -> Result<Vec<std::net::IpAddr>, String> {
    match name {
        "both.example" => Ok(vec![[10, 0, 0, 1].into(), std::net::IpAddr::from(DB8_1)]),
        _ => Err("Name or service not known".into()),
    }
}

#[test]
fn host_names_resolve_to_every_address_once_at_parse_time() {
    let f = Filter::parse_resolving("host both.example", &fake_hosts).unwrap();
    let v6 = Node::Prim(Prim::Net {
        dir: Dir::Either,
        arp: true,
        net: IpNet::V6 {
            addr: DB8_1.into(),
            mask: [0xff; 16].into(),
        },
    });
    assert_eq!(
        f.root,
        Node::Or(b(host4(Dir::Either, [10, 0, 0, 1])), b(v6))
    );
    // `ip host NAME` keeps the IPv4 addresses only.
    let f = Filter::parse_resolving("ip src host both.example", &fake_hosts).unwrap();
    assert!(matches!(f.root, Node::Prim(Prim::Net { arp: false, .. })));
    let e = Filter::parse_resolving("host nowhere.example", &fake_hosts).unwrap_err();
    assert!(
        e.to_string().contains("unknown host `nowhere.example`"),
        "{e}"
    );
    // Without a resolver the core looks nothing up and says so.
    let e = Filter::parse("host both.example").unwrap_err();
    assert!(e.to_string().contains("does not look up host names"), "{e}");
}
