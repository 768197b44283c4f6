//! Builds the bundled `synthetic-*` captures from scratch with etherparse's `PacketBuilder` and
//! pcap-file's writers, so that every byte of `captures/` can be regenerated and checked.
//!
//! Shared by `examples/gen_captures.rs` (writes `captures/`) and `tests/it/views.rs` (regenerates
//! into a temporary directory and compares byte for byte). Values imitate Linux on `lo`:
//! zero MACs, ISNs of full 32-bit range, windows 65495/65483 then 512 × 2^7, SYN options
//! `mss 65495,sackOK,TS,nop,wscale 7`, `nop,nop,TS` afterwards, DF set, TTL 64.

#![allow(dead_code)]

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::time::Duration;

use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, IpHeaders, IpNumber, Ipv4Header,
    Ipv6FlowLabel, Ipv6Header, PacketBuilder, VlanId, icmpv4::DestUnreachableHeader,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapTsResolution, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption, InterfaceTsResolution,
};
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::{DataLink, Endianness};

/// Every file this generator writes, in the order it writes them.
pub const FILES: [&str; 7] = [
    "synthetic-handshake.pcap",
    "synthetic-refused.pcap",
    "synthetic-udp.pcap",
    "synthetic-ipv6.pcapng",
    "synthetic-icmp.pcap",
    "synthetic-truncated.pcap",
    "synthetic-mixed.pcapng",
];

/// 2026-01-15 10:00:00 UTC: the start of every capture.
const T0: u64 = 1_768_471_200;
const LO4: [u8; 4] = [127, 0, 0, 1];
const LO6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const ZERO_MAC: [u8; 6] = [0; 6];

/// Linux's SYN options on loopback: mss, sackOK, TS val/ecr, nop, wscale.
fn syn_options(mss: u16, ts_val: u32, ts_ecr: u32) -> [u8; 20] {
    let m = mss.to_be_bytes();
    let v = ts_val.to_be_bytes();
    let e = ts_ecr.to_be_bytes();
    [
        2, 4, m[0], m[1], 4, 2, 8, 10, v[0], v[1], v[2], v[3], e[0], e[1], e[2], e[3], 1, 3, 3, 7,
    ]
}

/// `nop,nop,TS val ecr`, carried by every segment after the handshake.
fn ts_options(ts_val: u32, ts_ecr: u32) -> [u8; 12] {
    let v = ts_val.to_be_bytes();
    let e = ts_ecr.to_be_bytes();
    [1, 1, 8, 10, v[0], v[1], v[2], v[3], e[0], e[1], e[2], e[3]]
}

fn at(us: u64) -> Duration {
    Duration::from_secs(T0) + Duration::from_micros(us)
}

fn ipv4_header(id: u16, df: bool, src: [u8; 4], dst: [u8; 4]) -> IpHeaders {
    let mut h = Ipv4Header::new(0, 64, IpNumber::TCP, src, dst).expect("empty payload fits");
    h.identification = id;
    h.dont_fragment = df;
    IpHeaders::Ipv4(h, Default::default())
}

fn ipv6_header(flow_label: u32, src: [u8; 16], dst: [u8; 16]) -> IpHeaders {
    IpHeaders::Ipv6(
        Ipv6Header {
            traffic_class: 0,
            flow_label: Ipv6FlowLabel::try_new(flow_label).expect("20-bit flow label"),
            payload_length: 0,
            next_header: IpNumber::TCP,
            hop_limit: 64,
            source: src,
            destination: dst,
        },
        Default::default(),
    )
}

/// One TCP segment to build: who sends it and what it carries.
struct Seg<'a> {
    us: u64,
    from_client: bool,
    flags: &'a str,
    seq: u32,
    ack: u32,
    win: u16,
    options: &'a [u8],
    payload: &'a [u8],
}

/// The endpoints of a TCP conversation and how to frame its segments.
struct TcpConv {
    v6: bool,
    client: ([u8; 16], u16),
    server: ([u8; 16], u16),
    ip_id: [u16; 2],
    flow_label: [u32; 2],
}

impl TcpConv {
    fn v4(client_port: u16, server_port: u16, ids: [u16; 2]) -> TcpConv {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&LO4);
        TcpConv {
            v6: false,
            client: (a, client_port),
            server: (a, server_port),
            ip_id: ids,
            flow_label: [0; 2],
        }
    }

    fn frame(&mut self, s: &Seg<'_>) -> Vec<u8> {
        let side = if s.from_client { 0 } else { 1 };
        let ((src, sp), (dst, dp)) = if s.from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let ip = if self.v6 {
            ipv6_header(self.flow_label[side], src, dst)
        } else {
            let id = self.ip_id[side];
            self.ip_id[side] = id.wrapping_add(1);
            let v4 = |a: [u8; 16]| [a[0], a[1], a[2], a[3]];
            ipv4_header(id, true, v4(src), v4(dst))
        };
        let mut b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC)
            .ip(ip)
            .tcp(sp, dp, s.seq, s.win);
        for f in s.flags.chars() {
            b = match f {
                'S' => b.syn(),
                'A' => b.ack(s.ack),
                'P' => b.psh(),
                'F' => b.fin(),
                'R' => b.rst(),
                other => panic!("unknown flag letter {other}"),
            };
        }
        let b = b.options_raw(s.options).expect("options fit in 40 bytes");
        let mut v = Vec::with_capacity(b.size(s.payload.len()));
        b.write(&mut v, s.payload).expect("write to a Vec");
        v
    }
}

/// A frame with its capture time and wire length.
struct Rec {
    ts: Duration,
    orig_len: u32,
    data: Vec<u8>,
    interface: u32,
}

fn rec(ts: Duration, data: Vec<u8>) -> Rec {
    Rec {
        ts,
        orig_len: data.len() as u32,
        data,
        interface: 0,
    }
}

fn write_pcap(
    path: &Path,
    snaplen: u32,
    resolution: PcapTsResolution,
    recs: &[Rec],
) -> io::Result<()> {
    let header = PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen,
        datalink: DataLink::ETHERNET,
        ts_resolution: resolution,
        endianness: Endianness::Little,
    };
    let mut w = PcapWriter::with_header(BufWriter::new(File::create(path)?), header)
        .map_err(io::Error::other)?;
    for r in recs {
        let cut = &r.data[..r.data.len().min(snaplen as usize)];
        let p = PcapPacket::new(r.ts, r.orig_len, cut).map_err(io::Error::other)?;
        w.write_packet(&p).map_err(io::Error::other)?;
    }
    w.flush().map_err(io::Error::other)
}

fn write_pcapng(
    path: &Path,
    interfaces: &[InterfaceDescriptionBlock<'static>],
    recs: &[Rec],
) -> io::Result<()> {
    let section = SectionHeaderBlock {
        endianness: Endianness::Little,
        major_version: 1,
        minor_version: 0,
        section_length: -1,
        options: vec![],
    };
    let mut w = PcapNgWriter::with_section_header(BufWriter::new(File::create(path)?), section)
        .map_err(io::Error::other)?;
    for i in interfaces {
        w.write_pcapng_block(i.clone()).map_err(io::Error::other)?;
    }
    for r in recs {
        let epb = EnhancedPacketBlock {
            interface_id: r.interface,
            timestamp: r.ts,
            original_len: r.orig_len,
            data: Cow::Borrowed(&r.data),
            options: vec![],
        };
        w.write_pcapng_block(epb).map_err(io::Error::other)?;
    }
    use std::io::Write;
    w.get_mut().flush()
}

fn interface(
    link: DataLink,
    name: &'static str,
    nanos: bool,
) -> InterfaceDescriptionBlock<'static> {
    let mut options = vec![InterfaceDescriptionOption::IfName(Cow::Borrowed(name))];
    if nanos {
        let r = InterfaceTsResolution::new(false, 9).expect("10^-9 is a valid resolution");
        options.push(InterfaceDescriptionOption::IfTsResol(r));
    }
    InterfaceDescriptionBlock {
        linktype: link,
        snaplen: 262_144,
        options,
    }
}

/// A full echo conversation: handshake, "Hello World!" and its echo, FIN both ways.
fn echo_conversation(c: &mut TcpConv, mss: u16, t0: u64) -> Vec<(u64, Vec<u8>)> {
    let (cisn, sisn) = (3_210_987_654u32, 1_792_223_445u32);
    let (cts, sts) = (2_217_386_045u32, 1_409_326_118u32);
    let msg = b"Hello World!";
    let n = msg.len() as u32;
    #[rustfmt::skip]
    let segs = [
        Seg { us: 0, from_client: true, flags: "S", seq: cisn, ack: 0, win: 65495, options: &syn_options(mss, cts, 0), payload: b"" },
        Seg { us: 14, from_client: false, flags: "SA", seq: sisn, ack: cisn + 1, win: 65483, options: &syn_options(mss, sts, cts), payload: b"" },
        Seg { us: 28, from_client: true, flags: "A", seq: cisn + 1, ack: sisn + 1, win: 512, options: &ts_options(cts, sts), payload: b"" },
        Seg { us: 240, from_client: true, flags: "PA", seq: cisn + 1, ack: sisn + 1, win: 512, options: &ts_options(cts, sts), payload: msg },
        Seg { us: 247, from_client: false, flags: "A", seq: sisn + 1, ack: cisn + 1 + n, win: 512, options: &ts_options(sts, cts), payload: b"" },
        Seg { us: 288, from_client: false, flags: "PA", seq: sisn + 1, ack: cisn + 1 + n, win: 512, options: &ts_options(sts, cts), payload: msg },
        Seg { us: 291, from_client: true, flags: "A", seq: cisn + 1 + n, ack: sisn + 1 + n, win: 512, options: &ts_options(cts, sts), payload: b"" },
        Seg { us: 50_615, from_client: true, flags: "FA", seq: cisn + 1 + n, ack: sisn + 1 + n, win: 512, options: &ts_options(cts + 50, sts), payload: b"" },
        Seg { us: 50_731, from_client: false, flags: "FA", seq: sisn + 1 + n, ack: cisn + 2 + n, win: 512, options: &ts_options(sts + 50, cts + 50), payload: b"" },
        Seg { us: 50_753, from_client: true, flags: "A", seq: cisn + 2 + n, ack: sisn + 2 + n, win: 512, options: &ts_options(cts + 50, sts + 50), payload: b"" },
    ];
    segs.iter().map(|s| (t0 + s.us, c.frame(s))).collect()
}

fn handshake(dir: &Path) -> io::Result<()> {
    let mut c = TcpConv::v4(54321, 7, [0x5c2e, 0x0000]);
    let recs: Vec<Rec> = echo_conversation(&mut c, 65495, 0)
        .into_iter()
        .map(|(us, f)| rec(at(us), f))
        .collect();
    write_pcap(
        &dir.join(FILES[0]),
        262_144,
        PcapTsResolution::MicroSecond,
        &recs,
    )
}

fn refused(dir: &Path) -> io::Result<()> {
    let mut c = TcpConv::v4(45678, 8, [0x8a41, 0]);
    let cisn = 2_885_411_234u32;
    #[rustfmt::skip]
    let syn = Seg { us: 0, from_client: true, flags: "S", seq: cisn, ack: 0, win: 65495, options: &syn_options(65495, 3_921_337_411, 0), payload: b"" };
    // Linux answers a SYN to a closed port with RST-ACK, seq 0, ack ISN + 1, no options.
    #[rustfmt::skip]
    let rst = Seg { us: 11, from_client: false, flags: "RA", seq: 0, ack: cisn + 1, win: 0, options: &[], payload: b"" };
    let recs = vec![
        rec(at(syn.us), c.frame(&syn)),
        rec(at(rst.us), c.frame(&rst)),
    ];
    write_pcap(
        &dir.join(FILES[1]),
        262_144,
        PcapTsResolution::MicroSecond,
        &recs,
    )
}

fn udp_frame(
    id: u16,
    df: bool,
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC)
        .ip(ipv4_header(id, df, src.0, dst.0))
        .udp(src.1, dst.1);
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, payload).expect("write to a Vec");
    v
}

fn udp(dir: &Path) -> io::Result<()> {
    let (client, server) = ((LO4, 41000), (LO4, 12000));
    let recs = vec![
        rec(at(0), udp_frame(0x1f40, true, client, server, b"hello")),
        rec(at(63), udp_frame(0x1f41, true, server, client, b"HELLO")),
        rec(
            at(1_002_517),
            udp_frame(0x1f42, true, client, server, b"sockets are fun"),
        ),
        rec(
            at(1_002_580),
            udp_frame(0x1f43, true, server, client, b"SOCKETS ARE FUN"),
        ),
    ];
    write_pcap(
        &dir.join(FILES[2]),
        262_144,
        PcapTsResolution::MicroSecond,
        &recs,
    )
}

fn ipv6(dir: &Path) -> io::Result<()> {
    let mut c = TcpConv {
        v6: true,
        client: (LO6, 40112),
        server: (LO6, 7),
        ip_id: [0; 2],
        flow_label: [0x5_c1a3, 0x8_2e07],
    };
    // On lo the IPv6 MSS is 65536 - 40 - 20 - 20 = 65476.
    let mut recs: Vec<Rec> = echo_conversation(&mut c, 65476, 0)
        .into_iter()
        .enumerate()
        // Nanosecond resolution: add a few nanoseconds so they show.
        .map(|(i, (us, f))| rec(at(us) + Duration::from_nanos(117 * i as u64), f))
        .collect();
    // `ping -6 ::1`, then a datagram to a closed port and the ICMPv6 error that quotes it.
    let ping = ping_data();
    let echo = |reply: bool| {
        let b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC).ip(ipv6_header(0, LO6, LO6));
        let b = if reply {
            b.icmpv6_echo_reply(0x0d32, 1)
        } else {
            b.icmpv6_echo_request(0x0d32, 1)
        };
        let mut v = Vec::new();
        b.write(&mut v, &ping).expect("write to a Vec");
        v
    };
    recs.push(rec(at(1_000_000) + Duration::from_nanos(501), echo(false)));
    recs.push(rec(at(1_000_031) + Duration::from_nanos(229), echo(true)));
    let b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC)
        .ip(ipv6_header(0xa_3f11, LO6, LO6))
        .udp(51516, 9999);
    let mut datagram = Vec::new();
    b.write(&mut datagram, b"anyone there?")
        .expect("write to a Vec");
    let b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC)
        .ip(ipv6_header(0, LO6, LO6))
        .icmpv6(etherparse::Icmpv6Type::DestinationUnreachable(
            etherparse::icmpv6::DestUnreachableCode::Port,
        ));
    let mut unreach = Vec::new();
    b.write(&mut unreach, &datagram[14..])
        .expect("write to a Vec");
    recs.push(rec(at(2_000_000) + Duration::from_nanos(77), datagram));
    recs.push(rec(at(2_000_021) + Duration::from_nanos(903), unreach));
    write_pcapng(
        &dir.join(FILES[3]),
        &[interface(DataLink::ETHERNET, "lo", true)],
        &recs,
    )
}

/// What Linux ping sends: an 8-byte timeval then bytes 0x10, 0x11, … (56 bytes in all).
fn ping_data() -> Vec<u8> {
    let mut ping = Vec::with_capacity(56);
    ping.extend_from_slice(&(T0 as u32).to_le_bytes());
    ping.extend_from_slice(&[0, 0, 0, 0]);
    ping.extend((0x10u8..0x40).take(48));
    ping
}

fn icmp(dir: &Path) -> io::Result<()> {
    let ping = ping_data();
    let echo = |reply: bool, id: u16| {
        let (src, dst) = (LO4, LO4);
        let mut h = Ipv4Header::new(0, 64, IpNumber::ICMP, src, dst).expect("fits");
        h.identification = id;
        h.dont_fragment = !reply;
        let b =
            PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC).ip(IpHeaders::Ipv4(h, Default::default()));
        let b = if reply {
            b.icmpv4_echo_reply(0x0d31, 1)
        } else {
            b.icmpv4_echo_request(0x0d31, 1)
        };
        let mut v = Vec::new();
        b.write(&mut v, &ping).expect("write to a Vec");
        v
    };
    let datagram = udp_frame(0x47a0, true, (LO4, 51515), (LO4, 9999), b"anyone there?");
    // ICMP errors quote the offending IP datagram (RFC 792; Linux quotes up to 576 bytes).
    let quoted = &datagram[14..];
    let mut h = Ipv4Header::new(0, 64, IpNumber::ICMP, LO4, LO4).expect("fits");
    h.identification = 0x2b6e;
    h.dont_fragment = false;
    h.dscp = etherparse::IpDscp::try_new(0x30).expect("CS6");
    let b = PacketBuilder::ethernet2(ZERO_MAC, ZERO_MAC)
        .ip(IpHeaders::Ipv4(h, Default::default()))
        .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(
            DestUnreachableHeader::Port,
        ));
    let mut unreach = Vec::new();
    b.write(&mut unreach, quoted).expect("write to a Vec");
    let recs = vec![
        rec(at(0), echo(false, 0x9c41)),
        rec(at(38), echo(true, 0x5e9b)),
        rec(at(2_000_114), datagram),
        rec(at(2_000_139), unreach),
    ];
    write_pcap(
        &dir.join(FILES[4]),
        262_144,
        PcapTsResolution::MicroSecond,
        &recs,
    )
}

fn truncated(dir: &Path) -> io::Result<()> {
    // tcpdump -s 64: every record keeps at most 64 bytes of its frame.
    let mut c = TcpConv::v4(35000, 80, [0x11aa, 0x22bb]);
    let req = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    #[rustfmt::skip]
    let syn = Seg { us: 0, from_client: true, flags: "S", seq: 1_000_000, ack: 0, win: 65495, options: &syn_options(65495, 1, 0), payload: b"" };
    #[rustfmt::skip]
    let data = Seg { us: 95, from_client: true, flags: "PA", seq: 1_000_001, ack: 2_000_001, win: 512, options: &ts_options(2, 1), payload: req };
    let mut recs = vec![rec(at(0), c.frame(&syn)), rec(at(95), c.frame(&data))];
    let big: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
    recs.push(rec(
        at(180),
        udp_frame(0x3001, true, (LO4, 40001), (LO4, 12000), &big),
    ));
    // A TCP header whose data offset says 8 bytes: impossible, the minimum is 20 (RFC 9293).
    let mut bad = c.frame(&Seg {
        us: 0,
        from_client: true,
        flags: "A",
        seq: 1_000_001,
        ack: 2_000_001,
        win: 512,
        options: &[],
        payload: b"",
    });
    bad[14 + 20 + 12] = 0x20;
    recs.push(rec(at(260), bad));
    // A runt: Ethernet and the first 10 bytes of an IPv4 header, as a broken driver might deliver.
    let mut runt = udp_frame(0x3002, true, (LO4, 40002), (LO4, 12000), b"x");
    runt.truncate(24);
    recs.push(rec(at(333), runt));
    write_pcap(
        &dir.join(FILES[5]),
        64,
        PcapTsResolution::MicroSecond,
        &recs,
    )
}

fn mixed(dir: &Path) -> io::Result<()> {
    let host_mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    let gw_mac = [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef];
    let (host, gw) = ([192, 168, 1, 10], [192, 168, 1, 1]);
    let arp = |op: ArpOperation,
               smac: [u8; 6],
               sip: [u8; 4],
               tmac: [u8; 6],
               tip: [u8; 4],
               dst: [u8; 6]| {
        let a = ArpPacket::new(
            ArpHardwareId::ETHERNET,
            EtherType::IPV4,
            op,
            &smac,
            &sip,
            &tmac,
            &tip,
        )
        .expect("Ethernet/IPv4 sizes");
        let b = PacketBuilder::ethernet2(smac, dst).arp(a);
        let mut v = Vec::new();
        b.write(&mut v).expect("write to a Vec");
        v
    };
    let mut recs = vec![
        rec(
            at(0),
            arp(ArpOperation::REQUEST, host_mac, host, [0; 6], gw, [0xff; 6]),
        ),
        rec(
            at(412),
            arp(ArpOperation::REPLY, gw_mac, gw, host_mac, host, host_mac),
        ),
    ];
    // A DNS query on VLAN 100 (802.1Q).
    let dns_query: &[u8] = &[
        0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, b'e', b'x', b'a', b'm', b'p', b'l',
        b'e', 3, b'c', b'o', b'm', 0, 0, 1, 0, 1,
    ];
    let b = PacketBuilder::ethernet2(host_mac, gw_mac)
        .single_vlan(VlanId::try_new(100).expect("12-bit id"))
        .ipv4(host, gw, 64)
        .udp(53124, 53);
    let mut v = Vec::new();
    b.write(&mut v, dns_query).expect("write to a Vec");
    recs.push(rec(at(1_250), v));
    // Interface 1, "any" (Linux cooked v2): a handshake to a web server, nanosecond stamps.
    let sll2 = |outgoing: bool, ip_frame: &[u8]| {
        let mut v = Vec::with_capacity(20 + ip_frame.len() - 14);
        v.extend_from_slice(&0x0800u16.to_be_bytes()); // protocol
        v.extend_from_slice(&[0, 0]); // reserved
        v.extend_from_slice(&2u32.to_be_bytes()); // interface index
        v.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
        v.push(if outgoing { 4 } else { 0 }); // PACKET_OUTGOING / PACKET_HOST
        v.push(6); // address length
        let mac = if outgoing { host_mac } else { gw_mac };
        v.extend_from_slice(&mac);
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&ip_frame[14..]);
        v
    };
    let mut c = TcpConv::v4(51000, 80, [0x7001, 0]);
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[192, 168, 1, 20]);
    c.server = (a, 80);
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&host);
    c.client = (a, 51000);
    #[rustfmt::skip]
    let segs = [
        Seg { us: 2_000, from_client: true, flags: "S", seq: 4_026_531_840, ack: 0, win: 64240, options: &syn_options(1460, 99_000, 0), payload: b"" },
        Seg { us: 2_391, from_client: false, flags: "SA", seq: 305_419_896, ack: 4_026_531_841, win: 65160, options: &syn_options(1460, 55_000, 99_000), payload: b"" },
        Seg { us: 2_420, from_client: true, flags: "A", seq: 4_026_531_841, ack: 305_419_897, win: 502, options: &ts_options(99_000, 55_000), payload: b"" },
    ];
    for (i, s) in segs.iter().enumerate() {
        let f = c.frame(s);
        let mut r = rec(
            at(s.us) + Duration::from_nanos(7 * i as u64 + 3),
            sll2(s.from_client, &f),
        );
        r.interface = 1;
        recs.push(r);
    }
    write_pcapng(
        &dir.join(FILES[6]),
        &[
            interface(DataLink::ETHERNET, "eth0", false),
            interface(DataLink::LINUX_SLL2, "any", true),
        ],
        &recs,
    )
}

/// Writes every file of [`FILES`] into `dir`.
pub fn write_all(dir: &Path) -> io::Result<()> {
    handshake(dir)?;
    refused(dir)?;
    udp(dir)?;
    ipv6(dir)?;
    icmp(dir)?;
    truncated(dir)?;
    mixed(dir)
}
