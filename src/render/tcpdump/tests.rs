//! Unit tests of the tcpdump line: options (MPTCP, TFO, bad lengths), UDP lengths, MPLS over
//! PPP, and one line for any packet.

use super::*;
use crate::decode::decode;
use crate::render::time::TimeStyle;
use crate::source::{Frame, LinkType, Timestamp};

/// An IPv4 header (no options) for `payload` of protocol `proto`, 10.0.0.1 > 10.0.0.2.
fn ipv4(proto: u8, payload: &[u8], total_extra: u16) -> Vec<u8> {
    let total = (20 + payload.len()) as u16 + total_extra;
    let mut v = vec![
        0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    v[2..4].copy_from_slice(&total.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A TCP header with `flags` and `options` (padded by the caller to a multiple of 4).
fn tcp(flags: u8, options: &[u8], data: &[u8]) -> Vec<u8> {
    assert!(options.len().is_multiple_of(4));
    let off = ((20 + options.len()) / 4) as u8;
    let mut v = vec![
        0x30,
        0x39,
        0,
        80,
        0,
        0,
        0,
        100,
        0,
        0,
        0,
        200,
        off << 4,
        flags,
        0x10,
        0,
    ];
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(options);
    v.extend_from_slice(data);
    v
}

fn line(link: LinkType, data: &[u8]) -> String {
    let mut r = TcpdumpRenderer::new(TimeFormatter::new(TimeStyle::None, false), true);
    let frame = Frame {
        ts: Timestamp::new(0, 0),
        link,
        orig_len: data.len() as u32,
        data,
    };
    let mut out = Vec::new();
    r.packet(&mut out, &decode(&frame), &PacketContext::default())
        .unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(s.matches('\n').count(), 1, "one line per packet: {s:?}");
    s.trim_end().to_string()
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

#[test]
fn mptcp_capable_and_dss() {
    let mut opt = vec![30, 12, 0x00, 0x81];
    opt.extend_from_slice(&0x9b59be3d695e66a7u64.to_be_bytes());
    let l = line(LinkType::RAW, &ipv4(6, &tcp(SYN, &opt, &[]), 0));
    assert_eq!(
        l,
        "IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [S], seq 100, win 4096, \
         options [mptcp 12 capable v0 flags [AH] csum {0x9b59be3d695e66a7}], length 0"
    );
    // DSS with a 4-byte data ack, mapping and checksum, then padding nops
    let mut dss = vec![30, 20, 0x20, 0x05];
    dss.extend_from_slice(&3386645601u32.to_be_bytes());
    dss.extend_from_slice(&2976985014u32.to_be_bytes());
    dss.extend_from_slice(&1u32.to_be_bytes());
    dss.extend_from_slice(&[0, 1, 0x9e, 0x91]);
    let l = line(LinkType::RAW, &ipv4(6, &tcp(ACK, &dss, b"x"), 0));
    assert!(
        l.ends_with(
            "options [mptcp 20 dss ack 3386645601 seq 2976985014 subseq 1 len 1 csum 0x9e91], length 1: HTTP"
        ),
        "{l}"
    );
}

#[test]
fn fast_open_experimental_and_bad_options() {
    let opt = [254, 4, 0xf9, 0x89];
    let l = line(LinkType::RAW, &ipv4(6, &tcp(SYN, &opt, &[]), 0));
    assert!(l.ends_with("options [exp-tfo cookiereq], length 0"), "{l}");
    // scps with length 2 has no room for its data: tcpdump ends the line at [bad opt]
    let opt = [1, 1, 20, 2];
    let l = line(LinkType::RAW, &ipv4(6, &tcp(SYN, &opt, &[]), 0));
    assert!(l.ends_with("options [nop,nop,scps[bad opt]]"), "{l}");
    // mss with a wrong length byte is printed with [len N]; an unknown kind in hex
    let opt = [2, 4, 5, 0xb4, 99, 4, 0xab, 0xcd];
    let l = line(LinkType::RAW, &ipv4(6, &tcp(SYN, &opt, &[]), 0));
    assert!(l.contains("options [mss 1460,unknown-99 0xabcd]"), "{l}");
}

#[test]
fn udp_length_checks() {
    let udp = [0x30, 0x39, 0, 54, 0, 12, 0, 0, 1, 2, 3, 4];
    let l = line(LinkType::RAW, &ipv4(17, &udp, 0));
    assert_eq!(l, "IP 10.0.0.1.12345 > 10.0.0.2.54: UDP, length 4");
    // the UDP length claims more than the IP datagram holds
    let udp = [0x30, 0x39, 0, 54, 0, 100, 0, 0, 1, 2, 3, 4];
    let l = line(LinkType::RAW, &ipv4(17, &udp, 0));
    assert_eq!(l, "IP 10.0.0.1.12345 > 10.0.0.2.54: UDP, bad length 92 > 4");
}

#[test]
fn mpls_over_ppp_then_the_inner_packet() {
    let udp = [
        0x30, 0x39, 0x82, 0x9b, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut f = vec![0xff, 0x03, 0x02, 0x81];
    // label 100704, tc 0, bottom of stack, ttl 1
    f.extend_from_slice(&((100704u32 << 12) | 0x100 | 1).to_be_bytes());
    f.extend(ipv4(17, &udp, 0));
    let l = line(LinkType(9), &f);
    assert_eq!(
        l,
        "MPLS (label 100704, tc 0, [S], ttl 1) IP 10.0.0.1.12345 > 10.0.0.2.33435: UDP, length 12"
    );
}

#[test]
fn anything_gives_one_line() {
    line(LinkType(147), &[1, 2, 3]);
    line(LinkType::ETHERNET, &[]);
    line(LinkType::RAW, &[0x45]);
    line(LinkType(9), &[0xff]);
    line(LinkType(242), &[0; 50]);
}

#[test]
fn deltas_are_taken_between_microseconds_as_tcpdump_does() {
    let mut r = TcpdumpRenderer::new(TimeFormatter::new(TimeStyle::Delta, false), false);
    let mut a = Vec::new();
    r.timestamp(&mut a, Timestamp::new(1, 999)).unwrap();
    a.clear();
    r.timestamp(&mut a, Timestamp::new(1, 2_000)).unwrap();
    assert_eq!(a, b" 00:00:00.000002 ");
}

#[test]
fn cached_timestamps_equal_the_time_formatter() {
    let times = [
        Timestamp::new(1_700_000_000, 0),
        Timestamp::new(1_700_000_000, 999_999_999),
        Timestamp::new(1_700_000_001, 1_000),
        Timestamp::new(1_700_000_001, 5),
        Timestamp::new(86_399, 123_456_789),
        Timestamp::new(1_700_000_000, 42_000),
    ];
    for style in [
        TimeStyle::Clock,
        TimeStyle::Date,
        TimeStyle::Epoch,
        TimeStyle::Delta,
    ] {
        for nano in [false, true] {
            let mut fast = TcpdumpRenderer::new(TimeFormatter::new(style, nano), false);
            let mut slow = TimeFormatter::new(style, nano);
            for ts in times {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                fast.timestamp(&mut a, ts).unwrap();
                // without --nano tcpdump only ever sees microseconds
                let seen = if nano {
                    ts
                } else {
                    Timestamp::new(ts.sec, ts.nsec / 1000 * 1000)
                };
                slow.write(&mut b, seen).unwrap();
                // the sign column of time differences
                if matches!(style, TimeStyle::Delta) && b[0] != b'-' {
                    b.insert(0, b' ');
                }
                assert_eq!(
                    String::from_utf8(a).unwrap(),
                    String::from_utf8(b).unwrap(),
                    "{style:?} nano={nano} {ts:?}"
                );
            }
        }
    }
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    ];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Formats checked against Debian's tcpdump 4.99 on the same bytes; VXLAN's inner frame, which
/// tcpdump starts on a new line, follows `: ` on the same line.
#[test]
fn tunnels_print_the_inner_packet_on_the_same_line() {
    let inner = ipv4(6, &tcp(SYN, &[], &[]), 0);
    let want_inner = "IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [S], seq 100, win 4096, length 0";
    // GRE with key and sequence number
    let mut gre = vec![0x30, 0x00, 0x08, 0x00, 0, 0, 0, 0x28, 0, 0, 0, 7];
    gre.extend_from_slice(&inner);
    let l = line(LinkType::ETHERNET, &ether(0x0800, &ipv4(47, &gre, 0)));
    assert_eq!(
        l,
        format!("IP 10.0.0.1 > 10.0.0.2: GREv0, key=0x28, seq 7, length 52: {want_inner}")
    );
    // IPv4 in IPv4
    let l = line(LinkType::ETHERNET, &ether(0x0800, &ipv4(4, &inner, 0)));
    assert_eq!(l, format!("IP 10.0.0.1 > 10.0.0.2: {want_inner}"));
    // VXLAN carrying an Ethernet frame
    let mut vx = vec![
        0x9c, 0x40, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 100, 0,
    ];
    vx.extend(ether(0x0800, &inner));
    let len = (vx.len() as u16).to_be_bytes();
    vx[4..6].copy_from_slice(&len);
    let l = line(LinkType::ETHERNET, &ether(0x0800, &ipv4(17, &vx, 0)));
    assert_eq!(
        l,
        format!(
            "IP 10.0.0.1.40000 > 10.0.0.2.4789: VXLAN, flags [I] (0x08), vni 100: {want_inner}"
        )
    );
    // NSH straight on Ethernet: O flag, two header words, next protocol IPv4
    let mut nsh = vec![0x20, 0x02, 0x01, 0x01, 0x00, 0x03, 0x09, 0x07];
    nsh.extend_from_slice(&inner);
    let l = line(LinkType::ETHERNET, &ether(0x894f, &nsh));
    assert_eq!(
        l,
        format!("NSH, flags [O], service-path-id 0x000309, service-index 0x7: {want_inner}")
    );
    // a GRE payload this view does not read
    let l = line(
        LinkType::ETHERNET,
        &ether(0x0800, &ipv4(47, &[0, 0, 0x12, 0x34, b'z', b'z'], 0)),
    );
    assert_eq!(
        l,
        "IP 10.0.0.1 > 10.0.0.2: GREv0, length 6: gre-proto-0x1234"
    );
}

#[test]
fn geneve_and_first_fragments() {
    let inner = ipv4(6, &tcp(SYN, &[], &[]), 0);
    // Geneve, critical flag, vni 0xa, 8 bytes of options, carrying IPv4
    let mut g = vec![0x9c, 0x40, 0x17, 0xc1, 0, 0, 0, 0];
    g.extend_from_slice(&[0x02, 0x40, 0x08, 0x00, 0, 0, 0x0a, 0]);
    g.extend_from_slice(&[0; 8]);
    g.extend_from_slice(&inner);
    let len = (g.len() as u16).to_be_bytes();
    g[4..6].copy_from_slice(&len);
    let l = line(LinkType::RAW, &ipv4(17, &g, 0));
    assert_eq!(
        l,
        "IP 10.0.0.1.40000 > 10.0.0.2.6081: Geneve, Flags [C], vni 0xa, options [8 bytes]: \
         IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [S], seq 100, win 4096, length 0"
    );
    // a first fragment (MF set, offset 0) still shows its TCP header, as tcpdump does
    let mut f = ipv4(6, &tcp(SYN, &[], b"abcd"), 0);
    f[6] = 0x20;
    let l = line(LinkType::RAW, &f);
    assert_eq!(
        l,
        "IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [S], seq 100:104, win 4096, length 4: HTTP"
    );
}

/// An IPv6 header 2001:db8::1 > 2001:db8::2 with `next` and `payload`.
fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[next, 64]);
    for last in [1u8, 2] {
        v.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v.extend_from_slice(&[0; 11]);
        v.push(last);
    }
    v.extend_from_slice(payload);
    v
}

/// Lines checked against Debian's tcpdump 4.99 on the same bytes.
#[test]
fn ipv6_extension_headers_come_before_a_ports_only_transport() {
    let mut hbh = vec![6, 0, 1, 4, 0, 0, 0, 0];
    hbh.extend(tcp(SYN, &[], &[]));
    assert_eq!(
        line(LinkType::RAW, &ipv6(0, &hbh)),
        "IP6 2001:db8::1 > 2001:db8::2: HBH 12345 > 80: Flags [S], seq 100, win 4096, length 0"
    );
    let mut first = vec![17, 0, 0, 1, 0, 0, 0x12, 0x34];
    first.extend_from_slice(&[0, 5, 0, 6, 0, 16, 0, 0]);
    first.extend_from_slice(b"abcdefgh");
    assert_eq!(
        line(LinkType::RAW, &ipv6(44, &first)),
        "IP6 2001:db8::1 > 2001:db8::2: frag (0|16) 5 > 6: UDP, length 8"
    );
    let mut later = vec![17, 0, 0x05, 0xa8, 0, 0, 0x12, 0x34];
    later.extend_from_slice(&[b'x'; 40]);
    assert_eq!(
        line(LinkType::RAW, &ipv6(44, &later)),
        "IP6 2001:db8::1 > 2001:db8::2: frag (1448|40)"
    );
}

/// ARP for any hardware address length, as tcpdump prints it (checked on ARCNET and IPoIB
/// captures of tcpdump's corpus).
#[test]
fn arp_requests_and_replies() {
    let mut req = vec![0, 1, 8, 0, 6, 4, 0, 1];
    req.extend_from_slice(&[0, 0x11, 0x22, 0x33, 0x44, 0x55, 10, 0, 0, 1]);
    req.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    assert_eq!(
        line(LinkType::ETHERNET, &ether(0x0806, &req)),
        "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
    );
    // one-byte ARCNET hardware addresses
    let mut reply = vec![
        0, 7, 8, 0, 1, 4, 0, 2, 0x50, 10, 80, 131, 254, 0x01, 10, 80, 131, 1,
    ];
    let mut f = vec![1, 2, 0, 0, 241];
    f.append(&mut reply);
    assert_eq!(
        line(LinkType(129), &f),
        "ARP, Reply 10.80.131.254 is-at 50, length 18"
    );
}

#[test]
fn sequence_table_stays_bounded() {
    let mut r = TcpdumpRenderer::new(TimeFormatter::new(TimeStyle::None, false), false);
    r.seq_table_limit = 100;
    let mut out = Vec::new();
    for port in 0..1000u16 {
        let mut seg = tcp(ACK, &[], &[]);
        seg[0..2].copy_from_slice(&port.to_be_bytes());
        let data = ipv4(6, &seg, 0);
        let frame = Frame {
            ts: Timestamp::new(0, 0),
            link: LinkType::RAW,
            orig_len: data.len() as u32,
            data: &data,
        };
        r.packet(&mut out, &decode(&frame), &PacketContext::default())
            .unwrap();
        assert!(r.seq_hash.len() <= 100);
    }
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1000);
}

/// Random and mutated frames on every link type the decoder reads: one line each, no panic.
#[test]
fn random_and_mutated_frames_give_one_line() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let inner = ipv4(6, &tcp(SYN, &[2, 4, 5, 0xb4, 30, 12, 0, 0x81], &[]), 0);
    let mut gre = vec![
        0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x28, 0, 0, 0, 7,
    ];
    gre.extend_from_slice(&inner);
    let mut mpls = vec![0xff, 0x03, 0x02, 0x81, 0, 1, 0x01, 0x40];
    mpls.extend_from_slice(&inner);
    let mut nsh = vec![0x20, 0x02, 0x01, 0x01, 0x00, 0x03, 0x09, 0x07];
    nsh.extend_from_slice(&inner);
    let seeds: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::ETHERNET, ether(0x0800, &ipv4(47, &gre, 0))),
        (
            LinkType::ETHERNET,
            ether(0x0800, &ipv4(4, &ipv4(4, &inner, 0), 0)),
        ),
        (LinkType::ETHERNET, ether(0x894f, &nsh)),
        (LinkType(9), mpls),
        (LinkType::RAW, ipv6(0, &[6, 0, 1, 4, 0, 0, 0, 0])),
        (LinkType::RAW, inner.clone()),
    ];
    let links = [
        0u32, 1, 7, 9, 50, 101, 104, 108, 113, 129, 228, 229, 242, 276,
    ];
    for round in 0..3000 {
        let (link, mut data) = if round % 2 == 0 {
            let (l, d) = &seeds[round / 2 % seeds.len()];
            (*l, d.clone())
        } else {
            let len = (next() % 120) as usize;
            let data = (0..len).map(|_| next() as u8).collect();
            (LinkType(links[next() as usize % links.len()]), data)
        };
        for _ in 0..(next() % 4) {
            if !data.is_empty() {
                let i = next() as usize % data.len();
                data[i] = next() as u8;
            }
        }
        if next() % 3 == 0 {
            let cut = next() as usize % (data.len() + 1);
            data.truncate(cut);
        }
        line(link, &data);
    }
}

/// The ICMP a closed UDP port sends back, and an IP length larger than the frame.
#[test]
fn icmp_port_unreachable_and_truncated_ip() {
    let probe = ipv4(17, &[0x30, 0x39, 0x27, 0x0f, 0, 12, 0, 0, 1, 2, 3, 4], 0);
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&probe);
    assert_eq!(
        line(LinkType::RAW, &ipv4(1, &icmp, 0)),
        "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.2 udp port 9999 unreachable, length 40"
    );
    let echo = [8, 0, 0, 0, 0x12, 0x34, 0, 7, b'p', b'i', b'n', b'g'];
    assert_eq!(
        line(LinkType::RAW, &ipv4(1, &echo, 0)),
        "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 7, length 12"
    );
    assert_eq!(
        line(LinkType::RAW, &ipv4(1, &[77, 0, 0, 0, 0, 0, 0, 0], 0)),
        "IP 10.0.0.1 > 10.0.0.2: ICMP type-#77, length 8"
    );
    // the IP header claims 10 bytes more than the frame holds
    let udp = [0x30, 0x39, 0, 54, 0, 12, 0, 0, 1, 2, 3, 4];
    assert_eq!(
        line(LinkType::RAW, &ipv4(17, &udp, 10)),
        "IP truncated-ip - 10 bytes missing! 10.0.0.1.12345 > 10.0.0.2.54: UDP, length 4"
    );
}

/// ICMPv6 as tcpdump prints it: echo, neighbor solicitation, MLDv2 report behind a hop-by-hop
/// header, and a port unreachable naming the returned datagram's port.
#[test]
fn icmp6_messages() {
    let echo = [128, 0, 0, 0, 0, 1, 0, 2, b'x', b'y'];
    assert_eq!(
        line(LinkType::RAW, &ipv6(58, &echo)),
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 10"
    );
    let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0x80];
    ns.extend_from_slice(&[0; 13]);
    ns.push(9);
    assert_eq!(
        line(LinkType::RAW, &ipv6(58, &ns)),
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor solicitation, who has fe80::9, length 24"
    );
    let mut hbh = vec![58, 0, 5, 2, 0, 0, 1, 0];
    hbh.extend_from_slice(&[143, 0, 0, 0, 0, 0, 0, 2]);
    hbh.extend_from_slice(&[0; 40]);
    assert_eq!(
        line(LinkType::RAW, &ipv6(0, &hbh)),
        "IP6 2001:db8::1 > 2001:db8::2: HBH ICMP6, multicast listener report v2, 2 group record(s), length 48"
    );
    let probe = ipv6(17, &[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    let mut unreach = vec![1, 4, 0, 0, 0, 0, 0, 0];
    unreach.extend_from_slice(&probe);
    assert_eq!(
        line(LinkType::RAW, &ipv6(58, &unreach)),
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, destination unreachable, unreachable port, 2001:db8::2 udp port 53, length 56"
    );
}

/// Headers cut by the snap length, spaced exactly as tcpdump 4.99 prints them.
#[test]
fn cut_transport_headers() {
    let cut = |proto: u8, seg: &[u8], keep: usize| {
        let mut p = ipv4(proto, seg, 0);
        p.truncate(20 + keep);
        let frame = Frame {
            ts: Timestamp::new(0, 0),
            link: LinkType::RAW,
            orig_len: (20 + seg.len()) as u32,
            data: &p,
        };
        let mut r = TcpdumpRenderer::new(TimeFormatter::new(TimeStyle::None, false), true);
        let mut out = Vec::new();
        r.packet(&mut out, &decode(&frame), &PacketContext::default())
            .unwrap();
        String::from_utf8(out).unwrap().trim_end().to_string()
    };
    let t = tcp(SYN, &[], &[]);
    assert_eq!(cut(6, &t, 2), "IP 10.0.0.1 > 10.0.0.2: [|tcp]");
    assert_eq!(cut(6, &t, 12), "IP 10.0.0.1.12345 > 10.0.0.2.80:  [|tcp]");
    let u = [0, 5, 0, 6, 0, 12, 0, 0, 1, 2, 3, 4];
    assert_eq!(cut(17, &u, 2), "IP 10.0.0.1 > 10.0.0.2:  [|udp]");
    assert_eq!(cut(17, &u, 6), "IP 10.0.0.1.5 > 10.0.0.2.6:  [|udp]");
    let i = [8, 0, 0, 0, 0, 1, 0, 2];
    assert_eq!(cut(1, &i, 4), "IP 10.0.0.1 > 10.0.0.2:  [|icmp]");
}

/// An SLL2 packet starts with tcpdump's `%-5s %-3s ` of interface name (looked up on this
/// machine; `?` for an index that names none) and direction (print-sll.c `sll2_if_print`).
#[test]
fn sll2_packets_start_with_interface_and_direction() {
    let sll2 = |pkttype: u8, ifindex: u32| {
        let mut v = vec![0x08, 0x00, 0, 0];
        v.extend_from_slice(&ifindex.to_be_bytes());
        v.extend_from_slice(&[0x03, 0x04, pkttype, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(&ipv4(17, &[0, 53, 0, 54, 0, 8, 0, 0], 0));
        v
    };
    let lo = crate::sys::ifaddrs::name_of(1).unwrap_or_else(|| "?".into());
    assert_eq!(
        line(LinkType::LINUX_SLL2, &sll2(0, 1)),
        format!("{lo:<5} In  IP 10.0.0.1.53 > 10.0.0.2.54: domain [length 0 < 12] (invalid)")
    );
    assert_eq!(
        line(LinkType::LINUX_SLL2, &sll2(4, 0x7fff_fff0)),
        "?     Out IP 10.0.0.1.53 > 10.0.0.2.54: domain [length 0 < 12] (invalid)"
    );
    for (t, word) in [(1, "B  "), (2, "M  "), (3, "P  "), (9, "?  ")] {
        assert!(
            line(LinkType::LINUX_SLL2, &sll2(t, 0x7fff_fff0))
                .starts_with(&format!("?     {word} IP"))
        );
    }
}
