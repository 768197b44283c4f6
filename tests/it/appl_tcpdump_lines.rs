//! The application layer in the tcpdump view, compared with the installed tcpdump line by
//! line, whole lines: DNS over the corpus's DNS captures, HTTP and multicast DNS over packets
//! built here, the bundled HTTP captures; and `host NAME` filters resolved as tcpdump does.
//! A missing tcpdump or corpus fails under CI (env CI set) and is a visible skip elsewhere.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("{what} is required under CI");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP appl_tcpdump_lines: {what} is missing"
    );
}

fn have_tcpdump() -> bool {
    Command::new("tcpdump").arg("--version").output().is_ok()
}

fn corpus_dir() -> Option<PathBuf> {
    let rel = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/tcpdump");
    let dirs = [
        std::env::var_os("TCPDUMP_CORPUS").map(PathBuf::from),
        Some(rel),
        Some(PathBuf::from("/work/shared/corpus/tcpdump")),
    ];
    dirs.into_iter()
        .flatten()
        .find(|d| d.join("TESTLIST").exists())
}

fn lines(mut cmd: Command) -> Vec<String> {
    let out = cmd.env("TZ", "GMT0").output().expect("runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn tcpdump(file: &Path, filter: &[&str]) -> Vec<String> {
    let mut c = Command::new("tcpdump");
    c.arg("-nn").arg("-r").arg(file).args(filter);
    lines(c)
}

fn ours(file: &Path, filter: &[&str]) -> Vec<String> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sockscope"));
    c.args(["replay", "--format", "tcpdump"])
        .arg(file)
        .args(filter);
    lines(c)
}

fn same_as_tcpdump(file: &Path) -> usize {
    let (want, got) = (tcpdump(file, &[]), ours(file, &[]));
    assert!(
        !want.is_empty(),
        "tcpdump printed nothing for {}",
        file.display()
    );
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(g, w, "{} line {}", file.display(), i + 1);
    }
    assert_eq!(got.len(), want.len(), "{}", file.display());
    want.len()
}

/// The corpus's DNS captures that the tcpdump view prints whole.
pub const DNS_CAPTURES: [&str; 13] = [
    "dns_udp.pcap",
    "dns_tcp.pcap",
    "dns_udp_2.pcap",
    "dns_fwdptr.pcap",
    "dns-zlip-1.pcap",
    "dns-zlip-2.pcap",
    "dns-zlip-3.pcap",
    "dns-badcookie.pcap",
    "dns-badvers.pcap",
    "dns-uri.pcap",
    "dns-badlabel.pcap",
    "edns-opts.pcap",
    "dnssec.pcap",
];

#[test]
fn dns_lines_match_tcpdump_on_the_corpus() {
    if !have_tcpdump() {
        return missing("tcpdump");
    }
    let Some(dir) = corpus_dir() else {
        return missing("the tcpdump corpus");
    };
    let mut n = 0;
    for name in DNS_CAPTURES {
        n += same_as_tcpdump(&dir.join(name));
    }
    assert!(n > 50, "{n} lines compared");
}

#[test]
fn bundled_http_captures_match_tcpdump() {
    if !have_tcpdump() {
        return missing("tcpdump");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for name in [
        "lesson-http.pcap",
        "case-http11-keepalive.pcap",
        "case-http10-close.pcap",
    ] {
        same_as_tcpdump(&root.join(name));
    }
}

// ---------------------------------------------------------------- packets built here

fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    let c = csum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn tcp(sport: u16, dport: u16, flags_hi: u8, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&[
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        0x50 | flags_hi,
        flags,
        0x03,
        0xe8,
        0,
        0,
        0,
        0,
    ]);
    t.extend_from_slice(data);
    t
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    u
}

/// A pcap file of raw IPv4 packets (LINKTYPE_RAW), one second apart.
fn pcap(name: &str, packets: &[Vec<u8>]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("sockscope-appl-{}-{name}", std::process::id()));
    let mut f = Vec::new();
    for w in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 65535, 101] {
        f.extend_from_slice(&w.to_le_bytes());
    }
    for (i, p) in packets.iter().enumerate() {
        for w in [1_600_000_000 + i as u32, 0, p.len() as u32, p.len() as u32] {
            f.extend_from_slice(&w.to_le_bytes());
        }
        f.extend_from_slice(p);
    }
    std::fs::write(&path, f).unwrap();
    path
}

#[test]
fn http_mdns_and_small_fixes_match_tcpdump() {
    if !have_tcpdump() {
        return missing("tcpdump");
    }
    let mdns_q =
        b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03abc\x05local\x00\x00\x01\x80\x01";
    let mdns_r = b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\x03abc\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x00\x00\x07";
    let path = pcap(
        "app.pcap",
        &[
            ipv4(
                6,
                &tcp(
                    40000,
                    80,
                    0,
                    0x18,
                    b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
                ),
            ),
            ipv4(
                6,
                &tcp(
                    80,
                    40000,
                    0,
                    0x18,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                ),
            ),
            ipv4(6, &tcp(8080, 40000, 0, 0x18, b"HTTP/1.0 404 Not Found\r\n")),
            ipv4(6, &tcp(80, 40000, 0, 0x18, b"hello there")),
            ipv4(6, &tcp(40000, 80, 0, 0x18, b"GET /x HTTP/1.1")),
            ipv4(17, &udp(5353, 5353, mdns_q)),
            ipv4(17, &udp(5353, 5353, mdns_r)),
            ipv4(17, &udp(40000, 5355, mdns_q)),
            // AE (0x100) with PSH and ACK: tcpdump 4.99 prints [P.].
            ipv4(6, &tcp(1, 2, 0x01, 0x18, b"abc")),
            ipv4(99, b"abcdef"),
        ],
    );
    let (want, got) = (tcpdump(&path, &[]), ours(&path, &[]));
    let _ = std::fs::remove_file(&path);
    assert_eq!(got, want);
    assert_eq!(want.len(), 10);
}

#[test]
fn host_names_in_filters_resolve_like_tcpdump() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lesson-udp.pcap");
    let by_name = ours(&cap, &["host", "localhost"]);
    assert!(!by_name.is_empty());
    assert_eq!(by_name, ours(&cap, &["host", "127.0.0.1"]));
    if have_tcpdump() {
        assert_eq!(by_name.len(), tcpdump(&cap, &["host", "localhost"]).len());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["replay", "--format", "tcpdump"])
        .arg(&cap)
        .args(["host", "no-such-host.invalid"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown host `no-such-host.invalid`"));
}
