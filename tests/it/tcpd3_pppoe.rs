//! PPPoE (RFC 2516) in the tcpdump view: the corpus's discovery and session captures print
//! tcpdump's expected output exactly (`-# -nn -tttt`, TZ=GMT0 as its test runner), and crafted
//! sessions carrying IPv4, IPv6, MPLS and an unknown PPP protocol print what the installed
//! tcpdump prints, with and without `-e`.

use std::process::Command;

use crate::support;
use crate::tcpd3_verbose::stdout;

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

#[test]
fn corpus_pppoe_matches_tcpdumps_expected_output() {
    let Some(corpus) = support::corpus() else {
        return;
    };
    for name in ["pppoe", "pppoes"] {
        let cap = corpus.join(format!("{name}.pcap"));
        let out = Command::new(BIN)
            .args(["-#", "-nn", "-tttt", "-r", cap.to_str().unwrap()])
            .env("TZ", "GMT0")
            .output()
            .unwrap();
        let expected = std::fs::read_to_string(corpus.join(format!("{name}.out"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{name}");
    }
}

/// One Ethernet frame: a PPPoE session 0x17 carrying PPP `protocol` and `body`.
fn session(protocol: u16, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 6];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x88, 0x64, 0x11, 0, 0, 0x17]);
    f.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(body);
    f
}

#[test]
fn sessions_print_as_tcpdump_prints_them() {
    if !support::tool("tcpdump") {
        return;
    }
    let udp = [0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0];
    let mut v4 = vec![
        0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    v4.extend_from_slice(&udp);
    let mut v6 = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
    v6.extend_from_slice(&[0; 15]);
    v6.push(1);
    v6.extend_from_slice(&[0; 15]);
    v6.push(1);
    v6.extend_from_slice(&udp);
    let mut mpls = vec![0, 1, 0xf1, 0x40];
    mpls.extend_from_slice(&v4);
    let frames = [
        session(0x0021, &v4),
        session(0x0057, &v6),
        session(0x0281, &mpls),
        session(0x1234, &[]),
        session(0xc021, &[9, 7, 0, 8, 1, 2, 3, 4]),
    ];
    let records: Vec<(u32, u32, Vec<u8>)> = frames.iter().map(|f| (100, 0, f.clone())).collect();
    let file = crate::tcpd3_signal::pcap(&records);
    let path = std::env::temp_dir().join(format!("sockscope-pppoe-{}.pcap", std::process::id()));
    std::fs::write(&path, file).unwrap();
    let p = path.to_str().unwrap();
    for flags in ["-nn", "-enn"] {
        let ours = stdout(BIN, &[flags, "-r", p]);
        assert_eq!(ours, stdout("tcpdump", &[flags, "-r", p]), "{flags}");
        assert_eq!(ours.lines().count(), frames.len());
    }
    let _ = std::fs::remove_file(path);
}
