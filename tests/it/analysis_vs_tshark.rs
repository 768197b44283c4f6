//! Agreement of the tracker's analysis events with tshark's `tcp.analysis.*` flags, frame by
//! frame, on every bundled capture in `captures/` (the lossy ones made by
//! `scripts/make-lossy-captures.sh`, the case and lesson recordings made by
//! `scripts/record-captures.sh`, the synthetic ones) and on a capture built here that holds every
//! event at least once.
//! Needs tshark (skipped with a line saying so, or failed under `CI`, without it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

use crate::support;

use sockscope::decode::decode;
use sockscope::source::{FileSource, Source};
use sockscope::track::{Analysis, Tracker};

/// The flags compared: Wireshark's names, as in `tcp.analysis.<name>`.
const FLAGS: [&str; 15] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "duplicate_ack",
    "lost_segment",
    "ack_lost_segment",
    "zero_window",
    "zero_window_probe",
    "zero_window_probe_ack",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
    "reused_ports",
];

fn bundled_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
    });
    v.sort();
    v
}

/// frame number → bits, from tshark.
fn tshark_flags(file: &Path) -> BTreeMap<u64, u16> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(file);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]);
    cmd.args(["-e", "frame.number"]);
    for f in FLAGS {
        cmd.args(["-e", &format!("tcp.analysis.{f}")]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(out.status.success(), "tshark failed on {}", file.display());
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.split('\t');
        let n: u64 = cols.next().unwrap().parse().unwrap();
        let mut bits = 0;
        for (f, c) in FLAGS.iter().zip(cols) {
            if !c.is_empty() {
                bits |= Analysis::bit_of(f).unwrap();
            }
        }
        m.insert(n, bits);
    }
    m
}

fn our_flags(file: &Path) -> BTreeMap<u64, u16> {
    let mut src = FileSource::open(file.to_str().unwrap()).expect("capture opens");
    let mut t = Tracker::new();
    let mut m = BTreeMap::new();
    let mut n = 0u64;
    while let Some(f) = src.next_frame().expect("capture reads") {
        n += 1;
        let bits = t.observe(&decode(&f)).map_or(0, |i| i.analysis.0);
        m.insert(n, bits);
    }
    m
}

/// Compares one capture; returns the disagreements, and prints the agreement per flag.
fn compare(file: &Path) -> Vec<String> {
    let theirs = tshark_flags(file);
    let ours = our_flags(file);
    assert_eq!(theirs.len(), ours.len(), "frame counts differ");
    eprintln!("{}:", file.display());
    let mut failures = Vec::new();
    for f in FLAGS {
        let bit = Analysis::bit_of(f).unwrap();
        let (mut both, mut only_ts, mut only_us) = (0, Vec::new(), Vec::new());
        for (n, t) in &theirs {
            match (t & bit != 0, ours[n] & bit != 0) {
                (true, true) => both += 1,
                (true, false) => only_ts.push(*n),
                (false, true) => only_us.push(*n),
                _ => {}
            }
        }
        let total = both + only_ts.len() + only_us.len();
        if total == 0 {
            continue;
        }
        eprintln!(
            "  {f:<24} tshark {:>4}  sockscope {:>4}  agree {:>4}/{total}",
            both + only_ts.len(),
            both + only_us.len(),
            both
        );
        if !only_ts.is_empty() || !only_us.is_empty() {
            failures.push(format!(
                "{} {f}: only tshark in frames {:?}, only sockscope in frames {:?}",
                file.display(),
                &only_ts[..only_ts.len().min(10)],
                &only_us[..only_us.len().min(10)]
            ));
        }
    }
    failures
}

#[test]
fn bundled_captures_agree_with_tshark_frame_by_frame() {
    if !support::tool("tshark") {
        return;
    }
    let files = bundled_captures();
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("lossy-")),
        "captures/lossy-*.pcap are missing"
    );
    let failures: Vec<String> = files.iter().flat_map(|f| compare(f)).collect();
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}

/// A capture built here with every event at least once, each scenario on its own port pair.
fn synthetic_capture() -> PathBuf {
    // (µs, from client, flags, seq, ack, window, payload length)
    type Seg = (u64, bool, &'static str, u32, u32, u16, usize);
    const C: u32 = 1000;
    const S: u32 = 5000;
    let hs = |t: u64| -> [Seg; 3] {
        [
            (t, true, "S", C, 0, 65535, 0),
            (t + 100, false, "SA", S, C + 1, 65535, 0),
            (t + 200, true, "A", C + 1, S + 1, 512, 0),
        ]
    };
    let d = |t: u64, rel: u32, len: usize| -> Seg { (t, true, "PA", C + rel, S + 1, 512, len) };
    let a = |t: u64, rel: u32, win: u16| -> Seg { (t, false, "A", S + 1, C + rel, win, 0) };
    let scenarios: Vec<Vec<Seg>> = vec![
        // Loss, duplicate ACKs, fast retransmission, spurious retransmission.
        [
            hs(0).to_vec(),
            vec![
                d(1000, 1, 100),
                d(1010, 201, 100),
                a(1020, 101, 512),
                a(1030, 101, 512),
                a(1040, 101, 512),
                d(1050, 101, 100),
                a(1060, 301, 512),
                d(900_000, 201, 100),
            ],
        ]
        .concat(),
        // Out of order, then a timeout retransmission.
        [
            hs(0).to_vec(),
            vec![
                d(1000, 1, 100),
                d(1001, 101, 100),
                d(1050, 51, 50),
                d(300_000, 101, 100),
            ],
        ]
        .concat(),
        // ACK of a segment never seen.
        [hs(0).to_vec(), vec![d(1000, 1, 100), a(1100, 201, 512)]].concat(),
        // Zero window, probe, probe ACK, window update.
        [
            hs(0).to_vec(),
            vec![
                d(1000, 1, 100),
                a(1100, 101, 0),
                d(200_000, 101, 1),
                a(200_100, 101, 0),
                a(300_000, 101, 512),
            ],
        ]
        .concat(),
        // Window full: the server offers 2 × 2^7 = 256 bytes.
        [hs(0).to_vec(), vec![a(500, 1, 2), d(1000, 1, 256)]].concat(),
        // Keep-alive and its ACK.
        [
            hs(0).to_vec(),
            vec![
                d(1000, 1, 100),
                a(1100, 101, 512),
                d(60_000_000, 100, 0),
                a(60_000_100, 101, 512),
            ],
        ]
        .concat(),
        // SYN retransmission.
        vec![
            (0, true, "S", C, 0, 65535, 0),
            (1_000_000, true, "S", C, 0, 65535, 0),
        ],
        // Ports reused: a new SYN with another ISN after a reset.
        [
            hs(0).to_vec(),
            vec![
                (300, true, "R", C + 1, 0, 0, 0),
                (400_000, true, "S", 90_000, 0, 65535, 0),
            ],
        ]
        .concat(),
    ];
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("analysis-synthetic.pcap");
    let f = std::fs::File::create(&path).unwrap();
    let mut w = PcapWriter::with_header(f, PcapHeader::default()).unwrap();
    let mut base = 0u64;
    for (i, segs) in scenarios.iter().enumerate() {
        let client = ([10, 0, 0, 1], 40000 + i as u16);
        let server = ([10, 0, 0, 2], 8000 + i as u16);
        for &(t, from_client, flags, seq, ack, win, len) in segs {
            let (src, dst) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4(src.0, dst.0, 64)
                .tcp(src.1, dst.1, seq, win);
            for ch in flags.chars() {
                b = match ch {
                    'S' => b.syn(),
                    'F' => b.fin(),
                    'R' => b.rst(),
                    'P' => b.psh(),
                    'A' => b.ack(ack),
                    _ => b,
                };
            }
            if flags.contains('S') {
                b = b.options(&[TcpOptionElement::WindowScale(7)]).unwrap();
            }
            let mut v = Vec::new();
            b.write(&mut v, &vec![b'x'; len]).unwrap();
            let ts = Duration::from_micros(1_700_000_000_000_000 + base + t);
            w.write_packet(&PcapPacket::new(ts, v.len() as u32, &v).unwrap())
                .unwrap();
        }
        base += 100_000_000;
    }
    path
}

#[test]
fn synthetic_events_agree_with_tshark_frame_by_frame() {
    if !support::tool("tshark") {
        return;
    }
    let path = synthetic_capture();
    let failures = compare(&path);
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
    // Every flag of the list occurs at least once, so the agreement covers them all.
    let ours = our_flags(&path);
    let seen = ours.values().fold(0, |a, b| a | b);
    for f in FLAGS {
        assert!(seen & Analysis::bit_of(f).unwrap() != 0, "{f} never occurs");
    }
}
