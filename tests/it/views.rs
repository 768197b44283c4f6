//! Golden tests of every view over every bundled capture, and a check that the bundled
//! captures are exactly what their generator writes.
//!
//! Snapshots live in `tests/it/snapshots/`; after an intended change of output, review the new
//! ones with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test it views::` and
//! `git diff`).

use crate::support::gen_captures;

use std::path::{Path, PathBuf};
use std::process::Command;

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// Captures larger than this (the lossy bulk transfers, thousands of segments) get a golden
/// over a window of packets instead of one per view over the whole file.
const WHOLE_FILE_GOLDEN_MAX: u64 = 16 * 1024;

/// Every small capture under `captures/`, sorted by name.
fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("captures/ exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= WHOLE_FILE_GOLDEN_MAX))
        .collect();
    v.sort();
    v
}

/// Runs `sockscope replay FILE ARGS…` with a fixed time zone and no colour unless asked.
fn replay(file: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .arg("replay")
        .arg(file)
        .args(args)
        .env("TZ", "UTC")
        .env_remove("NO_COLOR")
        .output()
        .expect("sockscope runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sockscope replay {} {args:?} failed ({}): {stderr}",
        file.display(),
        out.status
    );
    assert!(stderr.is_empty(), "unexpected warnings: {stderr}");
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// The tcpdump view prints an SLL2 packet's interface under the name its index has on this
/// machine, as tcpdump does (`eth0  Out IP …`, `?` for an index with no interface here): a
/// golden made here would not hold elsewhere, so that column is written `#if` (`#if   Out IP …`).
pub(crate) fn local_interface_names_as_indexes(out: &str) -> String {
    let mut names: Vec<String> = (1..64)
        .filter_map(sockscope::sys::ifaddrs::name_of)
        .collect();
    names.push("?".into());
    let mut text = String::with_capacity(out.len());
    for line in out.split_inclusive('\n') {
        let mut line = line.to_string();
        let column = |n: &str, dir: &str| format!(" {n:<5} {dir}");
        let found = names.iter().find_map(|name| {
            ["In  ", "Out ", "B   ", "M   ", "P   "]
                .iter()
                .find_map(|d| {
                    line.find(&column(name, d))
                        .map(|at| (at, column(name, d), *d))
                })
        });
        if let Some((at, was, dir)) = found {
            line.replace_range(at..at + was.len(), &column("#if", dir));
        }
        text.push_str(&line);
    }
    text
}

/// Snapshots one view over every capture: `<view>__<capture>.snap`.
fn golden(view: &str, args: &[&str]) {
    let files = captures();
    assert!(files.len() >= gen_captures::FILES.len());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().replace('.', "_");
        let out = local_interface_names_as_indexes(&replay(&f, args));
        assert!(
            !out.is_empty(),
            "{view} printed nothing for {}",
            f.display()
        );
        insta::assert_snapshot!(format!("{view}__{name}"), out);
    }
}

#[test]
fn learner_view() {
    golden("learner", &[]);
}

#[test]
fn tcpdump_view() {
    golden("tcpdump", &["--format", "tcpdump", "-tttt"]);
}

#[test]
fn verbose_view() {
    golden("verbose", &["-v"]);
}

#[test]
fn hex_view() {
    golden("hex", &["-x"]);
}

#[test]
fn hex_ascii_view() {
    golden("hex_ascii", &["-X"]);
}

#[test]
fn tcpdump_hex_ascii_view() {
    golden("tcpdump_hex_ascii", &["--format", "tcpdump", "-tttt", "-X"]);
}

#[test]
fn json_view() {
    golden("json", &["--json"]);
}

#[test]
fn quiet_view() {
    golden("quiet", &["-q"]);
}

#[test]
fn json_lines_parse_and_name_flows() {
    for f in captures() {
        let out = replay(&f, &["--json"]);
        for (i, line) in out.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}: {line}", f.display(), i + 1));
            // Socket calls recorded beside the packets (lesson recordings) are frames of the
            // file too: they take frame numbers but are not packets.
            assert_eq!(v["number"], i + 1, "{line}");
            if v["event"] == "call" {
                continue;
            }
            let is_flow = matches!(v["transport"]["kind"].as_str(), Some("tcp" | "udp"));
            assert_eq!(v["flow"].is_u64(), is_flow, "{line}");
        }
    }
}

#[test]
fn learner_marks_analysis_events_on_a_lossy_capture() {
    // Frames 121-135 of a bulk transfer with loss: duplicate ACKs, then a fast retransmission.
    let f = captures_dir().join("lossy-seen.pcap");
    let out = replay(&f, &["--skip", "120", "-c", "15"]);
    assert!(out.contains("[duplicate ACK #2]"), "{out}");
    assert!(out.contains("[fast retransmission]"), "{out}");
    assert!(out.contains("win 63×1024 = 64512"), "{out}");
    insta::assert_snapshot!("learner_window__lossy-seen_pcap", out);
}

#[test]
fn learner_colour_codes() {
    let f = captures_dir().join("synthetic-handshake.pcap");
    let out = replay(&f, &["--color", "always", "-c", "3"]);
    // Direction colours: cyan towards the server, yellow back; flags bold; notes dim.
    assert!(out.contains("\x1b[36m127.0.0.1:54321 → 127.0.0.1:7 (echo)\x1b[0m"));
    assert!(out.contains("\x1b[33m127.0.0.1:7 (echo) → 127.0.0.1:54321\x1b[0m"));
    assert!(out.contains("\x1b[1mSYN-ACK\x1b[0m"));
    assert!(out.contains("\x1b[2mhandshake complete\x1b[0m"));
    insta::assert_snapshot!("learner_color__synthetic-handshake_pcap", out);
    // Without a terminal and without --color always there is no escape code at all.
    assert!(!replay(&f, &[]).contains('\x1b'));
    assert!(!replay(&f, &["--color", "never"]).contains('\x1b'));
}

#[test]
fn learner_absolute_numbers() {
    let f = captures_dir().join("synthetic-handshake.pcap");
    let out = replay(&f, &["-S", "-c", "2"]);
    assert!(out.contains("seq 0 (3210987654)"), "{out}");
    assert!(out.contains("ack 1 (3210987655)"), "{out}");
}

#[test]
fn bundled_captures_are_what_the_generator_writes() {
    let dir = std::env::temp_dir().join(format!("sockscope-gen-captures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    gen_captures::write_all(&dir).unwrap();
    for name in gen_captures::FILES {
        let fresh = std::fs::read(dir.join(name)).unwrap();
        let committed = std::fs::read(captures_dir().join(name))
            .unwrap_or_else(|e| panic!("captures/{name}: {e}"));
        assert!(
            fresh == committed,
            "captures/{name} differs from what the generator writes: \
             run `cargo run --example gen_captures` and commit the result"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // Every synthetic capture has a generator.
    for f in captures() {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        if n.starts_with("synthetic-") {
            assert!(
                gen_captures::FILES.contains(&n.as_str()),
                "{n} has no generator"
            );
        }
    }
}

#[test]
fn verbose_explains_a_wrong_checksum_on_loopback() {
    // The handshake capture with the TCP checksum of its first segment zeroed, as checksum
    // offload leaves it: pcap header 24 bytes, record header 16, then Ethernet 14 + IPv4 20,
    // and the TCP checksum at offset 16 of the TCP header.
    let mut bytes = std::fs::read(captures_dir().join("synthetic-handshake.pcap")).unwrap();
    let at = 24 + 16 + 14 + 20 + 16;
    assert_eq!(&bytes[at..at + 2], &[0xcf, 0x76]);
    bytes[at] = 0;
    bytes[at + 1] = 0;
    let path = std::env::temp_dir().join(format!("sockscope-offload-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let out = replay(&path, &["-v", "-c", "1"]);
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.contains(
            "checksum: 0x0000 (incorrect, should be 0xcf76) — loopback: Linux leaves the checksum \
             unfinished (CHECKSUM_PARTIAL)"
        ),
        "{out}"
    );
    assert!(out.contains("header checksum: 0xe08b (correct)"), "{out}");
    let json = replay(
        &captures_dir().join("synthetic-handshake.pcap"),
        &["--json", "-c", "1"],
    );
    assert!(
        json.contains(r#""checksum":53110,"checksum_status":"correct""#),
        "{json}"
    );
}

#[test]
fn verbose_names_the_offload_placeholder() {
    // The same first segment with what Linux really leaves under checksum offload: the folded
    // pseudo-header sum (127.0.0.1 twice, TCP, 40 bytes).
    use sockscope::decode::checksum::{ones_sum, pseudo_header};
    let lo = std::net::IpAddr::from([127, 0, 0, 1]);
    let placeholder = ones_sum(pseudo_header(lo, lo, 6, 40), &[]);
    let mut bytes = std::fs::read(captures_dir().join("synthetic-handshake.pcap")).unwrap();
    let at = 24 + 16 + 14 + 20 + 16;
    bytes[at..at + 2].copy_from_slice(&placeholder.to_be_bytes());
    let path =
        std::env::temp_dir().join(format!("sockscope-placeholder-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let out = replay(&path, &["-v", "-c", "1"]);
    let json = replay(&path, &["--json", "-c", "1"]);
    std::fs::remove_file(&path).unwrap();
    let want = format!(
        "checksum: 0x{placeholder:04x} (incorrect, should be 0xcf76) — the pseudo-header sum \
         Linux leaves for a checksum to be finished later (CHECKSUM_PARTIAL); on loopback nothing \
         finishes it"
    );
    assert!(out.contains(&want), "{out}");
    assert!(
        json.contains(r#""checksum_status":"incorrect","checksum_expected":53110"#),
        "{json}"
    );
}

#[test]
fn learner_honours_tcpdump_time_styles() {
    let f = captures_dir().join("synthetic-udp.pcap");
    let dated = replay(&f, &["-tttt", "-c", "1"]);
    assert!(
        dated.starts_with("2026-01-15 10:00:00.000000  127.0.0.1:41000 → "),
        "{dated}"
    );
    let none = replay(&f, &["-t", "-c", "1"]);
    assert!(
        none.starts_with("127.0.0.1:41000 → 127.0.0.1:12000"),
        "{none}"
    );
    let since = replay(&f, &["--skip", "2", "-c", "1"]);
    assert!(since.starts_with(" 0.000000  "), "{since}");
}
