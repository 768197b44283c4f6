//! The tcpdump view's `-vv` and `-vvv` against tcpdump 4.99's: line for line over every bundled
//! capture (TCP's sequence number on every segment, UDP's checksum over IPv4), whole lines over
//! the corpus's DNS captures at `-v`, `-vv` and `-vvv` (record names, the question, authority
//! and additional sections, TTLs), and EDNS options built here, printed as tcpdump prints them.

use std::path::{Path, PathBuf};

use super::appl_tcpdump_lines::DNS_CAPTURES;
use super::tcpd3_verbose::{captures, compare, stdout};
use crate::support;

#[test]
fn more_verbose_lines_match_tcpdump_on_the_captures() {
    if !support::tool("tcpdump") {
        return;
    }
    let files = captures();
    let mut compared = 0;
    for opts in [
        &["-nn", "-vv"][..],
        &["-nn", "-vvv"],
        &["-nnvv", "-e"],
        &["-nnvvvS", "-t"],
    ] {
        compared += compare(opts, &files);
    }
    assert!(compared > 30_000, "only {compared} lines compared");
}

#[test]
fn dns_lines_match_tcpdump_at_every_verbosity() {
    if !support::tool("tcpdump") {
        return;
    }
    let Some(dir) = support::corpus() else {
        return;
    };
    let more = ["dns_tcp_8053.pcap", "dns_udp_8053.pcap"];
    let files: Vec<PathBuf> = DNS_CAPTURES
        .iter()
        .chain(&more)
        .map(|n| dir.join(n))
        .collect();
    let mut compared = 0;
    for v in ["-v", "-vv", "-vvv"] {
        compared += compare(&["-nn", v], &files);
    }
    assert!(compared > 300, "only {compared} lines compared");
}

/// A pcap (link type RAW) of one IPv4/UDP DNS query to port 53 per EDNS option list.
fn edns_capture(path: &Path, queries: &[Vec<(u16, Vec<u8>)>]) {
    let mut file = Vec::new();
    file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    file.extend_from_slice(&[2, 0, 4, 0]);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&65535u32.to_le_bytes());
    file.extend_from_slice(&101u32.to_le_bytes());
    for (i, opts) in queries.iter().enumerate() {
        let mut rdata = Vec::new();
        for (code, data) in opts {
            rdata.extend_from_slice(&code.to_be_bytes());
            rdata.extend_from_slice(&(data.len() as u16).to_be_bytes());
            rdata.extend_from_slice(data);
        }
        // Header: id, RD, one question, one additional record (RFC 1035 §4.1.1).
        let mut dns = vec![0, i as u8 + 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        dns.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        // OPT (RFC 6891 §6.1.2): root name, type 41, UDP size 4096, TTL 0.
        dns.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0]);
        dns.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        dns.extend_from_slice(&rdata);
        let udp_len = 8 + dns.len();
        let mut pkt = vec![0x45, 0];
        pkt.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
        pkt.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        pkt.extend_from_slice(&[0x04, 0xd2, 0, 53]);
        pkt.extend_from_slice(&(udp_len as u16).to_be_bytes());
        pkt.extend_from_slice(&[0, 0]);
        pkt.extend_from_slice(&dns);
        file.extend_from_slice(&(i as u32).to_le_bytes());
        file.extend_from_slice(&[0; 4]);
        file.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        file.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        file.extend_from_slice(&pkt);
    }
    std::fs::write(path, file).expect("writes");
}

#[test]
fn edns_options_print_as_tcpdump_prints_them() {
    let all: Vec<u8> = (0..=255).collect();
    let mut queries: Vec<Vec<(u16, Vec<u8>)>> = (0..=20).map(|c| vec![(c, vec![1, 2])]).collect();
    queries.extend((5..=7).map(|c| vec![(c, all.clone())]));
    for data in [
        &b"\x00\x01\x18"[..],
        b"\x00\x01\x18\x00\xc0\x00\x02",
        b"\x00\x03\x08\x00\x01",
        b"\x00\x01\x10\x20\x0a\x00",
        b"\x00\x02\x40\x00\x20\x01\x0d\xb8\x00\x00\x00\x00",
    ] {
        queries.push(vec![(8, data.to_vec())]);
    }
    for (code, data) in [
        (11, &b"\x04\xd2"[..]),
        (11, b"\x00"),
        (14, b"\x75\x30\xea\x60"),
        (14, b"\x00\x05\x00"),
        (13, b"\x03com\x00"),
        (13, b"\xc0\x0c"),
        (13, b"\x00"),
        (3, b""),
        (77, b"\xde\xad\xbe\xef"),
    ] {
        queries.push(vec![(code, data.to_vec())]);
    }
    queries.push(vec![
        (5, vec![253]),
        (6, vec![2]),
        (7, vec![1]),
        (12, vec![0; 4]),
    ]);
    let file =
        std::env::temp_dir().join(format!("sockscope-tcpd4-edns-{}.pcap", std::process::id()));
    edns_capture(&file, &queries);
    let f = file.to_str().expect("utf-8");
    let ours = stdout(env!("CARGO_BIN_EXE_sockscope"), &["-nn", "-vv", "-r", f]);
    // As tcpdump 4.99.3 prints them (its corpus's edns-opts-vv.out has several of these).
    for want in [
        "[Opt0 0102]",
        "[UL 0102]",
        "[KEEPALIVE 25.8 sec]",
        "[CHAIN ^B.]",
        "[CLIENT-TAG 0102]",
        "[SERVER-TAG 0102]",
        "[Opt20 0102]",
        "[DAU DELETE RSAMD5 DH DS Alg_4 RSASHA1 DSA-NSEC3-SHA1 RSASHA1-NSEC3-SHA1 RSASHA256 \
         Alg_9 RSASHA512 Alg_11 ECC-GOST ECDSAP256SHA256 ECDSAP384SHA384 ED25519 ED448 Alg_17 ",
        "Alg_251 INDIRECT PRIVATEDNS PRIVATEOID Alg_255]",
        "[DHU Alg_0 SHA-1 SHA-256 GOST_R_34.11-94 SHA-384 Alg_5 ",
        "[N3U Alg_0 SHA-1 Alg_2 ",
        "[ECS  (invalid)]",
        "[ECS 192.0.2.0/24/0]",
        "[ECS 10.0.0.0/16/32]",
        "[ECS 2001:db8::/64/0]",
        "[KEEPALIVE 123.4 sec]",
        "[KEEPALIVE  (invalid)]",
        "[KEY-TAG 30000 60000]",
        "[KEY-TAG  (invalid)]",
        "[CHAIN com.]",
        "[CHAIN ]",
        "[CHAIN .]",
        "[NSID]",
        "[Opt77 deadbeef]",
        "[DAU PRIVATEDNS,DHU SHA-256,N3U SHA-1,PADDING (4)]",
    ] {
        assert!(ours.contains(want), "{want} missing from\n{ours}");
    }
    let theirs = support::tool("tcpdump").then(|| stdout("tcpdump", &["-nn", "-vv", "-r", f]));
    let _ = std::fs::remove_file(&file);
    if let Some(theirs) = theirs {
        assert_eq!(ours, theirs);
    }
}
