//! `replay FILE -w OUT --pcapng` and `sockscope -r FILE -w OUT --pcapng`: the file written keeps
//! each packet's interface (name, description, link type), its comments (UTF-8 or not) and the
//! socket-call records; tshark reads it, and replaying it shows what replaying the original
//! shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use sockscope::pcapng_writer::PcapngWriter;
use sockscope::source::{FileSource, Source};

use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

fn sockscope(args: &[&str]) -> String {
    crate::tcpd3_verbose::stdout(BIN, args)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sockscope-ngout-{}-{name}", std::process::id()))
}

/// A UDP datagram 10.0.0.1:1000 > 10.0.0.2:2000 in Ethernet.
fn frame(payload: u8) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xe8, 0x07, 0xd0, 0, 9, 0, 0]);
    f.push(payload);
    f
}

#[test]
fn interfaces_comments_and_calls_are_kept() {
    let input = temp("in.pcapng");
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let a = w
        .add_described_interface(1, 65535, Some("eth7"), Some("the first one"))
        .unwrap();
    let b = w.add_interface(1, 65535, "eth8").unwrap();
    w.write_commented(a, 1_000_000_000, 43, &frame(1), &[b"hello".to_vec()])
        .unwrap();
    w.write_commented(b, 2_000_000_000, 43, &frame(2), &[vec![0xff, 0xfe, b'x']])
        .unwrap();
    w.write(a, 3_000_000_000, 43, &frame(3)).unwrap();
    std::fs::write(&input, w.into_inner().unwrap()).unwrap();
    let out = temp("out.pcapng");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    // The tcpdump form, with a filter that drops the third packet (its last byte is 3).
    sockscope(&["-r", i, "-w", o, "--pcapng", "udp[8] < 3"]);
    let mut src = FileSource::open(o).unwrap();
    let mut seen = Vec::new();
    while src.next_frame().unwrap().is_some() {
        let iface = src.packet_interface().unwrap().clone();
        let comments: Vec<Vec<u8>> = src.packet_comments().map(<[u8]>::to_vec).collect();
        seen.push((iface.name, iface.description, comments));
    }
    assert_eq!(
        seen,
        vec![
            (
                Some("eth7".into()),
                Some("the first one".into()),
                vec![b"hello".to_vec()]
            ),
            (Some("eth8".into()), None, vec![vec![0xff, 0xfe, b'x']]),
        ]
    );
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(out);
}

#[test]
fn tshark_reads_it_and_replay_shows_the_same() {
    let captures = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for name in [
        "lesson-echo.pcapng",
        "synthetic-mixed.pcapng",
        "lesson-http.pcap",
    ] {
        let f = captures.join(name);
        let f = f.to_str().unwrap();
        let out = temp(name);
        let o = out.to_str().unwrap();
        sockscope(&["replay", f, "-w", o, "--pcapng"]);
        for view in [&[][..], &["--format", "tcpdump"], &["--format", "json"]] {
            let mut a = vec!["replay", f];
            a.extend(view);
            let mut b = vec!["replay", o];
            b.extend(view);
            assert_eq!(sockscope(&a), sockscope(&b), "{name} {view:?}");
        }
        if support::tool("tshark") {
            let t = Command::new("tshark").args(["-r", o]).output().unwrap();
            assert!(t.status.success(), "{name}: {t:?}");
            let theirs = Command::new("tshark").args(["-r", f]).output().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&t.stdout).lines().count(),
                String::from_utf8_lossy(&theirs.stdout).lines().count(),
                "{name}"
            );
        }
        let _ = std::fs::remove_file(out);
    }
}

#[test]
fn pcapng_needs_a_file_read_and_written() {
    let o = Command::new(BIN)
        .args(["-i", "lo", "-w", "/dev/null", "--pcapng"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--pcapng applies to -r FILE -w OUT"));
}
