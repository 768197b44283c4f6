//! `sockscope explain`: golden tests of the pure explanations (fixed machine facts), a live
//! port bound by the test itself, packets from a capture built here, and usage errors.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use sockscope::explain::ip::{self, Iface, IpFacts};
use sockscope::explain::port::{self, MachineFacts};
use sockscope::explain::sockets::{Owner, OwnerMap, SocketEntry};
use sockscope::services::Proto;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sockscope"));
    c.env("TZ", "UTC").env("NO_COLOR", "1");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run sockscope")
}

fn facts_ip() -> IpFacts {
    let i = |name: &str, a: &str, prefix: u8| Iface {
        name: name.into(),
        addr: a.parse().unwrap(),
        prefix,
    };
    IpFacts {
        interfaces: Some(vec![
            i("lo", "127.0.0.1", 8),
            i("lo", "::1", 128),
            i("eth0", "192.168.1.5", 24),
            i("eth0", "fe80::5054:ff:fe12:3456", 64),
            i("eth0", "2001:db8:1::5", 64),
        ]),
    }
}

fn ip_text(addrs: &[&str]) -> String {
    let f = facts_ip();
    addrs
        .iter()
        .map(|a| {
            format!(
                "$ sockscope explain ip {a}\n{}",
                ip::explain(a, &f).unwrap().to_text()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ip_kinds_v4() {
    insta::assert_snapshot!(ip_text(&[
        "127.0.0.1",
        "127.1.2.3",
        "0.0.0.0",
        "10.1.2.3",
        "172.17.0.2",
        "192.168.1.5",
        "100.64.1.1",
        "169.254.169.254",
        "224.0.0.251",
        "239.1.2.3",
        "232.1.1.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "198.18.0.1",
        "240.0.0.1",
        "0.1.2.3",
        "8.8.8.8",
    ]));
}

#[test]
fn ip_kinds_v6() {
    insta::assert_snapshot!(ip_text(&[
        "::1",
        "::",
        "fe80::5054:ff:fe12:3456%eth0",
        "fd12:3456:789a::1",
        "ff02::1",
        "ff0e::101",
        "ff15::1234",
        "::ffff:192.0.2.1",
        "::192.0.2.1",
        "2002:c000:204::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "64:ff9b::c000:221",
        "2001:db8::1",
        "2606:4700::1111",
        "4000::1",
    ]));
}

#[test]
fn ip_prefixes_and_netmasks() {
    insta::assert_snapshot!(ip_text(&[
        "192.168.1.77/24",
        "10.20.30.40/255.255.240.0",
        "10.0.0.0/8",
        "203.0.113.8/31",
        "203.0.113.8/32",
        "0.0.0.0/0",
        "2001:db8:1::5/64",
        "2001:db8::/32",
        "fe80::1/10",
        "2001:db8::1/127",
        "2001:db8::1/128",
        "::/0",
    ]));
}

#[test]
fn ip_json() {
    let f = facts_ip();
    let v: Vec<_> = [
        "192.168.1.77/255.255.255.0",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ]
    .iter()
    .map(|a| ip::explain(a, &f).unwrap().to_json())
    .collect();
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn ip_machine_interfaces_are_named() {
    let f = facts_ip();
    let t = ip::explain("192.168.1.5", &f).unwrap().to_text();
    assert!(t.contains("yes, on eth0 (192.168.1.5/24)"), "{t}");
    let t = ip::explain("192.168.1.9", &f).unwrap().to_text();
    assert!(t.contains("in the subnet of eth0"), "{t}");
    let t = ip::explain("192.168.1.9", &IpFacts::default())
        .unwrap()
        .to_text();
    assert!(t.contains("cannot tell"), "{t}");
}

#[test]
fn live_loopback_is_found_on_an_interface() {
    let out = run(bin().args(["explain", "ip", "127.0.0.1", "--json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let on = v["machine"]["on_interfaces"].as_array().unwrap();
    assert!(
        on.iter()
            .any(|i| i.as_str().unwrap().ends_with("(127.0.0.1/8)")),
        "{v:#}"
    );
}

fn entry(proto: Proto, local: &str, remote: &str, state: u8, uid: u32, inode: u64) -> SocketEntry {
    let local: SocketAddr = local.parse().unwrap();
    SocketEntry {
        proto,
        v6_table: local.is_ipv6(),
        local,
        remote: remote.parse().unwrap(),
        state,
        uid,
        inode,
    }
}

fn facts_ports() -> MachineFacts {
    let mut by_inode = HashMap::new();
    by_inode.insert(
        5001,
        vec![Owner {
            pid: 812,
            comm: "postgres".into(),
        }],
    );
    by_inode.insert(
        5003,
        vec![Owner {
            pid: 4242,
            comm: "curl".into(),
        }],
    );
    by_inode.insert(
        5004,
        vec![Owner {
            pid: 700,
            comm: "systemd-resolve".into(),
        }],
    );
    let users: HashMap<u32, String> = [
        (0, "root".to_string()),
        (1000, "alice".to_string()),
        (999, "postgres".to_string()),
    ]
    .into_iter()
    .collect();
    MachineFacts {
        ephemeral: Some((32768, 60999)),
        unprivileged_start: Some(1024),
        etc_services: Some(vec![
            ("ssh".into(), 22, Proto::Tcp, vec![]),
            (
                "postgresql".into(),
                5432,
                Proto::Tcp,
                vec!["postgres".into()],
            ),
            ("domain".into(), 53, Proto::Udp, vec![]),
        ]),
        sockets: vec![
            entry(Proto::Tcp, "0.0.0.0:22", "0.0.0.0:0", 10, 0, 5000),
            entry(Proto::Tcp, "[::]:22", "[::]:0", 10, 0, 5005),
            entry(Proto::Tcp, "127.0.0.1:5432", "0.0.0.0:0", 10, 999, 5001),
            entry(
                Proto::Tcp,
                "192.168.1.5:22",
                "192.168.1.9:51000",
                1,
                0,
                5002,
            ),
            entry(
                Proto::Tcp,
                "192.168.1.5:54321",
                "93.184.215.14:443",
                1,
                1000,
                5003,
            ),
            entry(
                Proto::Tcp,
                "[::ffff:127.0.0.1]:5432",
                "[::ffff:127.0.0.1]:40000",
                6,
                0,
                0,
            ),
            entry(Proto::Udp, "127.0.0.53:53", "0.0.0.0:0", 7, 101, 5004),
        ],
        owners: OwnerMap {
            by_inode,
            hidden_processes: 3,
        },
        users,
        euid: 1000,
    }
}

fn port_text(specs: &[&str]) -> String {
    let f = facts_ports();
    specs
        .iter()
        .map(|s| {
            let spec = port::parse_spec(s).unwrap();
            format!(
                "$ sockscope explain port {s}\n{}",
                port::explain(spec, &f).to_text()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ports_well_known_registered_ephemeral() {
    insta::assert_snapshot!(port_text(&["22", "53/udp", "5432/tcp", "54321", "8080"]));
}

#[test]
fn ports_json_and_listing() {
    let f = facts_ports();
    let spec = port::parse_spec("5432/tcp").unwrap();
    insta::assert_snapshot!(
        "port_json",
        serde_json::to_string_pretty(&port::explain(spec, &f).to_json()).unwrap()
    );
    insta::assert_snapshot!("ports_listing", port::ports_text(&f));
    let j = port::ports_json(&f);
    assert_eq!(j["sockets"].as_array().unwrap().len(), 4);
}

#[test]
fn live_port_bound_by_this_test_is_found_with_its_process() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let n = l.local_addr().unwrap().port();
    let out = run(bin().args(["explain", "port", &format!("{n}/tcp"), "--json"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let socks = v["sockets"].as_array().unwrap();
    let me = std::process::id();
    let s = socks
        .iter()
        .find(|s| s["state"] == "LISTEN" && s["local"] == format!("127.0.0.1:{n}"))
        .unwrap_or_else(|| panic!("listener not found: {v:#}"));
    assert!(
        s["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == me),
        "this process ({me}) not named: {s:#}"
    );
    let out = run(bin().args(["explain", "port", &n.to_string()]));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains(&format!("pid {me} (")), "{t}");
    assert!(t.contains("LISTEN"), "{t}");
    // and the listing shows it too
    let out = run(bin().args(["explain", "ports", "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["sockets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["local"] == format!("127.0.0.1:{n}")),
        "{v:#}"
    );
    drop(l);
}

// ---- packets ----

struct Capture {
    dir: PathBuf,
}

impl Capture {
    fn new(name: &str) -> Capture {
        let dir =
            std::env::temp_dir().join(format!("sockscope-explain-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Capture { dir }
    }

    fn write(&self, file: &str, link: DataLink, frames: &[Vec<u8>]) {
        let f = std::fs::File::create(self.dir.join(file)).unwrap();
        let header = PcapHeader {
            datalink: link,
            ..Default::default()
        };
        let mut w = PcapWriter::with_header(f, header).unwrap();
        for (i, d) in frames.iter().enumerate() {
            let ts = Duration::new(1_700_000_000 + i as u64, 250_000 * i as u32);
            w.write_packet(&PcapPacket::new(ts, d.len() as u32, d).unwrap())
                .unwrap();
        }
    }

    fn explain(&self, args: &[&str]) -> Output {
        let mut c = bin();
        c.current_dir(&self.dir)
            .arg("explain")
            .arg("packet")
            .args(args);
        run(&mut c)
    }
}

impl Capture {
    /// The text of several `explain packet FILE --frame N`, each after its command line.
    fn explain_many(&self, runs: &[(&str, &str)]) -> String {
        let mut all = String::new();
        for (f, n) in runs {
            let out = self.explain(&[f, "--frame", n]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            all.push_str(&format!(
                "$ sockscope explain packet {f} --frame {n}\n{}\n",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        all
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

fn tcp4(
    to_server: bool,
    seq: u32,
    ack: Option<u32>,
    flags: &str,
    opts: &[TcpOptionElement],
    payload: &[u8],
) -> Vec<u8> {
    let (sm, dm, sa, da, sp, dp) = if to_server {
        (
            CLIENT_MAC,
            SERVER_MAC,
            [192, 168, 1, 9],
            [192, 168, 1, 5],
            51000,
            80,
        )
    } else {
        (
            SERVER_MAC,
            CLIENT_MAC,
            [192, 168, 1, 5],
            [192, 168, 1, 9],
            80,
            51000,
        )
    };
    let mut b = PacketBuilder::ethernet2(sm, dm)
        .ipv4(sa, da, 64)
        .tcp(sp, dp, seq, 64240);
    if flags.contains('S') {
        b = b.syn();
    }
    if flags.contains('P') {
        b = b.psh();
    }
    if flags.contains('F') {
        b = b.fin();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    if !opts.is_empty() {
        b = b.options(opts).unwrap();
    }
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn http_capture() -> Vec<Vec<u8>> {
    let syn_opts = [
        TcpOptionElement::MaximumSegmentSize(1460),
        TcpOptionElement::SelectiveAcknowledgementPermitted,
        TcpOptionElement::Timestamp(1000, 0),
        TcpOptionElement::Noop,
        TcpOptionElement::WindowScale(7),
    ];
    let c_isn = 1_000_000;
    let s_isn = 3_000_000_000;
    let req = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    vec![
        tcp4(true, c_isn, None, "S", &syn_opts, &[]),
        tcp4(false, s_isn, Some(c_isn + 1), "S", &syn_opts, &[]),
        tcp4(true, c_isn + 1, Some(s_isn + 1), "", &[], &[]),
        tcp4(true, c_isn + 1, Some(s_isn + 1), "P", &[], req),
        tcp4(
            false,
            s_isn + 1,
            Some(c_isn + 1 + req.len() as u32),
            "F",
            &[],
            &[],
        ),
    ]
}

#[test]
fn packet_tcp_handshake_and_data() {
    let cap = Capture::new("tcp");
    cap.write("http.pcap", DataLink::ETHERNET, &http_capture());
    let all = cap.explain_many(&[
        ("http.pcap", "1"),
        ("http.pcap", "2"),
        ("http.pcap", "4"),
        ("http.pcap", "5"),
    ]);
    insta::assert_snapshot!(all);
}

#[test]
fn packet_json() {
    let cap = Capture::new("json");
    cap.write("http.pcap", DataLink::ETHERNET, &http_capture());
    let out = cap.explain(&["http.pcap", "--frame", "4", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tcp = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["layer"] == "tcp")
        .unwrap();
    let seq = tcp["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Sequence Number")
        .unwrap();
    assert_eq!(seq["value"], "1000001");
    assert_eq!(seq["offset"], 14 + 20 + 4);
    assert_eq!(seq["hex"], "000f4241");
    assert!(seq["meaning"].as_str().unwrap().contains("relative 1"));
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn packet_colour_marks_bytes() {
    let cap = Capture::new("colour");
    cap.write("http.pcap", DataLink::ETHERNET, &http_capture());
    let out = cap.explain(&["http.pcap", "--color", "always"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("\x1b[31m"), "{t}");
    let out = cap.explain(&["http.pcap"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(!t.contains('\x1b'));
    assert!(t.contains("[45 00]") || t.contains("[45]"), "{t}");
}

fn udp6() -> Vec<u8> {
    let b = PacketBuilder::ipv6(
        "2001:db8::9"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
        "2001:db8::53"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
        64,
    )
    .udp(40000, 53);
    let mut v = Vec::new();
    b.write(&mut v, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        .unwrap();
    v
}

fn ping6() -> Vec<u8> {
    let b = PacketBuilder::ipv6(
        "::1".parse::<std::net::Ipv6Addr>().unwrap().octets(),
        "::1".parse::<std::net::Ipv6Addr>().unwrap().octets(),
        64,
    )
    .icmpv6_echo_request(9, 3);
    let mut v = Vec::new();
    b.write(&mut v, b"abcd").unwrap();
    v
}

fn ping4() -> Vec<u8> {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).icmpv4_echo_request(7, 1);
    let mut v = Vec::new();
    b.write(&mut v, b"abcdefgh").unwrap();
    v
}

/// UDP over IPv4 without a UDP checksum (allowed) and with a broken IPv4 header checksum.
fn udp4_checksums_zero() -> Vec<u8> {
    let mut v = vec![
        0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    v.extend_from_slice(&[0x9c, 0x40, 0, 7, 0, 12, 0, 0]);
    v.extend_from_slice(b"ping");
    v
}

/// A loopback TCP segment as Linux captures it: the checksum holds only the pseudo-header sum.
fn loopback_offloaded() -> Vec<u8> {
    let b = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .tcp(40000, 7, 5, 65495)
        .ack(9)
        .psh();
    let mut v = Vec::new();
    b.write(&mut v, b"hi\n").unwrap();
    let tcp_len = (v.len() - 20) as u32;
    let ps = sockscope::decode::checksum::pseudo_header(
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([127, 0, 0, 1]),
        6,
        tcp_len,
    );
    let placeholder = sockscope::decode::checksum::ones_sum(ps, &[]);
    v[20 + 16..20 + 18].copy_from_slice(&placeholder.to_be_bytes());
    let mut framed = vec![2, 0, 0, 0];
    framed.extend_from_slice(&v);
    framed
}

#[test]
fn packet_udp6_icmp_and_offloaded_checksum() {
    let cap = Capture::new("misc");
    cap.write(
        "udp6.pcap",
        DataLink::RAW,
        &[udp6(), ping4(), udp4_checksums_zero(), ping6()],
    );
    cap.write("lo.pcap", DataLink::NULL, &[loopback_offloaded()]);
    let all = cap.explain_many(&[
        ("udp6.pcap", "1"),
        ("udp6.pcap", "2"),
        ("udp6.pcap", "3"),
        ("udp6.pcap", "4"),
        ("lo.pcap", "1"),
    ]);
    // etherparse computed it with the IPv6 pseudo-header; we must agree
    assert!(
        all.contains("The ICMPv6 checksum 0xbae4 is correct"),
        "{all}"
    );
    assert!(all.contains("The UDP checksum 0 means"), "{all}");
    assert!(
        all.contains("The IPv4 header checksum 0x0000 is wrong (should be 0x3cca)"),
        "{all}"
    );
    assert!(all.contains("placeholder"), "{all}");
    assert!(all.contains("UDP checksum 0x"), "{all}");
    insta::assert_snapshot!(all);
}

/// An ARP request in an 802.1Q-tagged Ethernet frame.
fn arp_in_vlan() -> Vec<u8> {
    let mut v = vec![0xff; 6];
    v.extend_from_slice(&CLIENT_MAC);
    v.extend_from_slice(&[0x81, 0x00, 0x20, 0x0a, 0x08, 0x06]); // TPID, PCP 1 VID 10, ARP
    v.extend_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]);
    v.extend_from_slice(&CLIENT_MAC);
    v.extend_from_slice(&[192, 168, 1, 9]);
    v.extend_from_slice(&[0; 6]);
    v.extend_from_slice(&[192, 168, 1, 1]);
    v
}

/// The first fragment of a UDP datagram over IPv6, in a Linux cooked v2 header.
fn ipv6_fragment_sll2() -> Vec<u8> {
    let mut v = vec![0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6];
    v.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0, 0]);
    v.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, 44, 64]);
    v.extend_from_slice(
        &"2001:db8::9"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v.extend_from_slice(
        &"2001:db8::53"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v.extend_from_slice(&[17, 0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78]); // offset 0, M=1
    v.extend_from_slice(&[0x9c, 0x40, 0, 53, 0x04, 0xb0, 0, 0]); // UDP, length 1200
    v.extend_from_slice(b"data");
    v
}

#[test]
fn packet_arp_vlan_and_ipv6_fragment() {
    let cap = Capture::new("arpfrag");
    cap.write("arp.pcap", DataLink::ETHERNET, &[arp_in_vlan()]);
    cap.write("frag.pcap", DataLink::LINUX_SLL2, &[ipv6_fragment_sll2()]);
    let all = cap.explain_many(&[("arp.pcap", "1"), ("frag.pcap", "1")]);
    assert!(
        all.contains("request: who has the target IP address?"),
        "{all}"
    );
    assert!(all.contains("VLAN ID"), "{all}");
    assert!(all.contains("IPv6 Fragment header"), "{all}");
    // The SLL2 frame's tcpdump line names its interface as this machine does.
    let all = crate::views::local_interface_names_as_indexes(&all);
    insta::assert_snapshot!(all);
}

// ---- bad input ----

fn usage_error(args: &[&str], cwd: Option<&PathBuf>) -> String {
    let mut c = bin();
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = run(&mut c);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    let e = String::from_utf8(out.stderr).unwrap();
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e
}

#[test]
fn bad_input_exits_2_with_a_clear_line() {
    let e = usage_error(&["explain", "ip", "999.1.1.1"], None);
    assert!(
        e.contains("999 is more than 255") && e.contains("Accepted"),
        "{e}"
    );
    let e = usage_error(&["explain", "ip", "1.2.3.4/33"], None);
    assert!(e.contains("0-32"), "{e}");
    let e = usage_error(&["explain", "ip", "::1/129"], None);
    assert!(e.contains("0-128"), "{e}");
    let e = usage_error(&["explain", "ip", "10.0.0.0/255.0.255.0"], None);
    assert!(e.contains("not contiguous"), "{e}");
    let e = usage_error(&["explain", "port", "70000"], None);
    assert!(e.contains("0-65535"), "{e}");
    let e = usage_error(&["explain", "port", "abc"], None);
    assert!(e.contains("not a port number"), "{e}");
    let e = usage_error(&["explain", "packet", "/nonexistent/x.pcap"], None);
    assert!(e.contains("/nonexistent/x.pcap"), "{e}");
    let cap = Capture::new("bad");
    cap.write("two.pcap", DataLink::RAW, &[ping4(), ping4()]);
    let e = usage_error(
        &["explain", "packet", "two.pcap", "--frame", "0"],
        Some(&cap.dir),
    );
    assert!(e.contains("numbered from 1"), "{e}");
    let e = usage_error(
        &["explain", "packet", "two.pcap", "--frame", "3"],
        Some(&cap.dir),
    );
    assert!(e.contains("holds 2 packets") && e.contains("1-2"), "{e}");
}

/// Past the end of a recording that holds socket calls among its packets, the error counts
/// both, since `--frame` numbers them together.
#[test]
fn frame_past_the_end_counts_packets_and_calls() {
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/lesson-echo.pcapng");
    let e = usage_error(&["explain", "packet", f, "--frame", "100000"], None);
    let held = |s: &str| -> u64 {
        let i = e.find(s).unwrap_or_else(|| panic!("{s} in {e}"));
        let digits: String = e[..i]
            .trim_end()
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse().unwrap()
    };
    let (frames, packets, calls) = (
        held(" frames ("),
        held(" packets and"),
        held(" socket calls"),
    );
    assert!(packets > 0 && calls > 0 && frames == packets + calls, "{e}");
    assert!(e.contains(&format!("--frame must be 1-{frames}")), "{e}");
}
