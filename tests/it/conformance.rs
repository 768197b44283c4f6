//! tcpdump conformance must not regress: runs `../shared/tools/tcpdump-conformance.py` against
//! the built binary (`replay --format tcpdump -tttt`) and checks the percentage it reports.
//! Needs python3 and the shared directory (skipped with a line saying so, or failed under `CI`,
//! without them).

use std::process::Command;

use crate::support;

/// Reached on 2026-11-22 with tcpdump's corpus: 1180/1180 lines (100.0%) in 32 files; the
/// test allows 0.1 below it. Since 2026-11-30, 1177/1180 (99.7%): the three lines whose segments
/// carry the AE bit (0x100) print `Flags [S.UW]`/`[.U]` as the installed tcpdump 4.99 does,
/// where the corpus's expected output (a newer tcpdump) appends `e` (issue 12 point 5).
const REACHED_PERCENT: f64 = 99.7;

#[test]
fn tcpdump_conformance_does_not_regress() {
    let Some(tool) = support::shared("tools/tcpdump-conformance.py") else {
        return;
    };
    if !support::tool("python3") {
        return;
    }
    let out = Command::new("python3")
        .arg(&tool)
        .arg("--show")
        .arg("20")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_sockscope"))
        .args(["replay", "--format", "tcpdump", "-tttt"])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the conformance tool failed ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // "conformance: M/T lines (P%) in F files"
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("conformance: "))
        .unwrap_or_else(|| panic!("the tool printed no summary line:\n{text}"));
    let (matched, total, percent) = parse(line).unwrap_or_else(|| panic!("cannot read {line:?}"));
    assert!(total >= 1000, "only {total} lines compared: {line}");
    assert!(matched <= total);
    println!("{line}");
    assert!(
        percent >= REACHED_PERCENT - 0.1,
        "tcpdump conformance fell to {percent}% (was {REACHED_PERCENT}%):\n{text}"
    );
}

fn parse(line: &str) -> Option<(u64, u64, f64)> {
    let rest = line.strip_prefix("conformance: ")?;
    let (mt, rest) = rest.split_once(" lines (")?;
    let (m, t) = mt.split_once('/')?;
    let (p, _) = rest.split_once("%)")?;
    Some((m.parse().ok()?, t.parse().ok()?, p.parse().ok()?))
}

#[test]
fn summary_line_parses() {
    assert_eq!(
        parse("conformance: 817/1180 lines (69.2%) in 32 files"),
        Some((817, 1180, 69.2))
    );
    assert_eq!(parse("conformance: lines"), None);
}

/// Every timestamp style (`-t` … `-ttttt`, with and without `--nano`) prints exactly the
/// timestamps of tcpdump's expected output for the same capture (its tests run with TZ=GMT0).
#[test]
fn timestamp_styles_match_tcpdump() {
    let Some(corpus) = support::corpus() else {
        return;
    };
    let capture = corpus.join("tcp-handshake-nano.pcap");
    assert!(capture.exists(), "{} is missing", capture.display());
    let mut checked = 0;
    for t in ["", "-t", "-tt", "-ttt", "-tttt", "-ttttt"] {
        for nano in [false, true] {
            let name = format!(
                "tcp-handshake-{}{t}.out",
                if nano { "nano" } else { "micro" }
            );
            let Ok(expected) = std::fs::read_to_string(corpus.join(&name)) else {
                continue;
            };
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_sockscope"));
            cmd.args(["replay", "--format", "tcpdump"]);
            if !t.is_empty() {
                cmd.arg(t);
            }
            if nano {
                cmd.arg("--nano");
            }
            let out = cmd.arg(&capture).env("TZ", "GMT0").output().unwrap();
            let got = String::from_utf8_lossy(&out.stdout);
            // The expected lines are numbered ("    1  "); compare everything up to the "IP" tag.
            let want: Vec<&str> = expected
                .lines()
                .map(|l| l.trim_start().split_once("  ").map_or(l, |(_, r)| r))
                .map(|l| l.split_once("IP").map_or(l, |(ts, _)| ts))
                .collect();
            let have: Vec<&str> = got
                .lines()
                .map(|l| l.split_once("IP").map_or(l, |(ts, _)| ts))
                .collect();
            assert_eq!(have, want, "{name}");
            checked += want.len();
        }
    }
    assert!(checked > 0, "no expected timestamp files were found");
}
