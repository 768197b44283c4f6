//! `sockscope replay FILE FILTER` end to end: only matching packets are printed, and a bad filter
//! exits 2 with a caret under the offending word, before the file is even opened.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};

const LO: [u8; 4] = [127, 0, 0, 1];

/// A capture of a TCP exchange on port 7, a UDP exchange on port 53 and an IPv6 ping.
fn capture(name: &str) -> PathBuf {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let eth = || PacketBuilder::ethernet2([0; 6], [0; 6]);
    let mut push = |w: &dyn Fn(&mut Vec<u8>)| {
        let mut v = Vec::new();
        w(&mut v);
        frames.push(v);
    };
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(54321, 7, 1000, 65495)
            .syn()
            .write(v, &[])
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(7, 54321, 5000, 65483)
            .syn()
            .ack(1001)
            .write(v, &[])
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .udp(40000, 53)
            .write(v, b"query")
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(54321, 7, 1001, 65495)
            .psh()
            .ack(5001)
            .write(v, b"hello")
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .udp(53, 40000)
            .write(v, b"answer")
            .unwrap()
    });
    push(&|v| {
        let one = std::net::Ipv6Addr::LOCALHOST.octets();
        eth()
            .ipv6(one, one, 64)
            .icmpv6_echo_request(1, 1)
            .write(v, &[0; 8])
            .unwrap()
    });
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("filter-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = PcapWriter::new(file).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = Duration::new(1_700_000_000 + i as u64, 0);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f.as_slice()).unwrap())
            .unwrap();
    }
    path
}

fn sockscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .output()
        .expect("run sockscope")
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn replay_shows_only_packets_that_match_the_filter() {
    let path = capture("mixed.pcap");
    let file = path.to_str().unwrap();

    let all = sockscope(&["replay", "--format", "tcpdump", "-t", file]);
    assert!(all.status.success(), "{all:?}");
    assert_eq!(lines(&all).len(), 6, "{:?}", lines(&all));

    let tcp7 = sockscope(&["replay", "--format", "tcpdump", "-t", file, "tcp port 7"]);
    assert!(tcp7.status.success(), "{tcp7:?}");
    let shown = lines(&tcp7);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown[0].starts_with("IP 127.0.0.1.54321 > 127.0.0.1.7: Flags [S],"),
        "{shown:?}"
    );
    assert!(shown[1].starts_with("IP 127.0.0.1.7 > 127.0.0.1.54321: Flags [S.],"));
    assert!(shown[2].starts_with("IP 127.0.0.1.54321 > 127.0.0.1.7: Flags [P.],"));

    // Several words are joined into one expression, as tcpdump does.
    let words = sockscope(&[
        "replay", "--format", "tcpdump", "-t", file, "udp", "and", "src", "port", "53",
    ]);
    let shown = lines(&words);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("IP 127.0.0.1.53 > 127.0.0.1.40000: UDP"),
        "{shown:?}"
    );

    let flags = sockscope(&[
        "replay",
        "--format",
        "tcpdump",
        "-t",
        file,
        "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn or icmp6",
    ]);
    let shown = lines(&flags);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].contains("Flags [S],"), "{shown:?}");
    assert!(shown[1].starts_with("IP6 ::1 > ::1: ICMP6"), "{shown:?}");

    // -c counts packets after the filter.
    let counted = sockscope(&[
        "replay", "--format", "tcpdump", "-t", "-c", "1", file, "udp",
    ]);
    let shown = lines(&counted);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains(".40000 > 127.0.0.1.53:"), "{shown:?}");
}

#[test]
fn a_bad_filter_exits_2_with_a_caret_before_opening_the_file() {
    let out = sockscope(&[
        "replay",
        "/nonexistent/capture.pcap",
        "tcp",
        "port",
        "http2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "sockscope: bad filter: expected a port number after `port` (`http2` is neither a \
         number from 0 to 65535 nor a known service name)\n  tcp port http2\n           ^^^^^\n"
    );

    let path = capture("bad-filter.pcap");
    let out = sockscope(&["replay", path.to_str().unwrap(), "(tcp or udp"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("  (tcp or udp\n             ^\n"), "{err}");
}
