//! Agreement of the tracker's analysis events with tshark's `tcp.analysis.*` flags, frame by
//! frame, on the lossy captures in `captures/` (made by `scripts/make-lossy-captures.sh`).
//! Skipped, with a line saying so, when tshark is not installed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

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

fn lossy_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("lossy-") && n.ends_with(".pcap"))
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

#[test]
fn analysis_agrees_with_tshark_frame_by_frame() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("SKIP analysis_vs_tshark: tshark is not installed (CI installs it)");
        return;
    }
    let files = lossy_captures();
    assert!(!files.is_empty(), "captures/lossy-*.pcap are missing");
    let mut failures = Vec::new();
    for file in files {
        let theirs = tshark_flags(&file);
        let ours = our_flags(&file);
        assert_eq!(theirs.len(), ours.len(), "frame counts differ");
        eprintln!("{}:", file.display());
        for f in FLAGS {
            let bit = Analysis::bit_of(f).unwrap();
            let (mut both, mut only_ts, mut only_us) = (0, Vec::new(), Vec::new());
            for (n, t) in &theirs {
                let u = ours[n];
                match (t & bit != 0, u & bit != 0) {
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
    }
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}
