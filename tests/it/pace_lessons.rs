//! A class can follow a lesson: `lesson --step` waits for one line (a key on a terminal) per
//! event; calls stand out from notes with colour on; the time column never moves the lanes;
//! the ladder and the learner view fit 80 columns (`--width`).

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn sockscope() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sockscope"));
    c.env("TZ", "UTC")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("output is UTF-8")
}

/// The event rows of a lesson's output: its time column ends with two spaces and a lane bar.
fn events(out: &str) -> usize {
    out.lines()
        .filter(|l| l.chars().nth(12) == Some('│'))
        .filter(|l| !l.trim_start().starts_with('│'))
        .count()
}

/// Waits (at most 20 s) until `f` holds for the output so far.
fn wait_for(buf: &Mutex<Vec<u8>>, f: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let s = String::from_utf8_lossy(&buf.lock().unwrap()).into_owned();
        if f(&s) || start.elapsed() > Duration::from_secs(20) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn step_shows_one_event_per_line_of_input_then_the_rest_at_its_end() {
    let mut child = sockscope()
        .args(["lesson", "handshake", "--recorded", "--step"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sockscope runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let buf = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let buf = buf.clone();
        std::thread::spawn(move || {
            let mut b = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut b) {
                if n == 0 {
                    break;
                }
                buf.lock().unwrap().extend_from_slice(&b[..n]);
            }
        })
    };
    // Before any input: the intro and the line that says what continues, no event.
    let out = wait_for(&buf, |s| s.contains("Step by step"));
    assert!(
        out.contains("each line read from standard input shows the next event"),
        "{out}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(events(&text(&buf.lock().unwrap())), 0);
    stdin.write_all(b"\n\n\n").unwrap();
    stdin.flush().unwrap();
    wait_for(&buf, |s| events(s) >= 3);
    std::thread::sleep(Duration::from_millis(300));
    let out = text(&buf.lock().unwrap());
    assert_eq!(events(&out), 3, "{out}");
    // The end of input: the rest comes without pauses.
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    let out = text(&buf.lock().unwrap());
    assert!(out.contains("What happened:"), "{out}");
    let all = sockscope()
        .args(["lesson", "handshake", "--recorded", "--speed", "0"])
        .output()
        .unwrap();
    assert_eq!(events(&out), events(&text(&all.stdout)));
}

/// The first `n` lines of `sockscope ARGS` (stdout), which must succeed.
fn head(args: &[&str], n: usize) -> String {
    let out = sockscope().args(args).output().expect("sockscope runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    s.lines().take(n).map(|l| format!("{l}\n")).collect()
}

const CALL: &str = "\x1b[1;32m";
const DIM: &str = "\x1b[2m";

#[test]
fn calls_have_their_own_style_and_are_not_dimmed() {
    let lesson = head(
        &[
            "lesson",
            "handshake",
            "--recorded",
            "--speed",
            "0",
            "--color",
            "always",
        ],
        30,
    );
    let replay = head(
        &[
            "replay",
            "captures/lesson-handshake.pcapng",
            "--color",
            "always",
        ],
        16,
    );
    for (view, out) in [("lesson", &lesson), ("replay", &replay)] {
        let calls: Vec<&str> = out.lines().filter(|l| l.contains(CALL)).collect();
        assert!(calls.len() >= 8, "{view}: {out}");
        for l in calls {
            assert!(!l.contains(&format!("{DIM}{CALL}")), "{view}: {l}");
            // Without colour the marker sets it apart.
            let call = l.split(CALL).nth(1).unwrap_or_default();
            assert!(
                ["» ", "« ", "→ ", "← "].iter().any(|m| call.contains(m)),
                "{view}: {l}"
            );
        }
    }
    insta::assert_snapshot!("calls_color_lesson", lesson);
    insta::assert_snapshot!("calls_color_replay", replay);
}

/// `captures/case-syn-loss.pcap` (the client's SYN retransmitted after 1 s) with every packet
/// after the first `shift` seconds later, written into `dir` as `name`.
fn shifted_syn_loss(dir: &std::path::Path, name: &str, shift: u32) -> std::path::PathBuf {
    let mut b = std::fs::read("captures/case-syn-loss.pcap").unwrap();
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "a little-endian pcap");
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= b.len() {
        if n > 0 {
            let sec = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) + shift;
            b[at..at + 4].copy_from_slice(&sec.to_le_bytes());
        }
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
        n += 1;
    }
    let path = dir.join(name);
    std::fs::write(&path, b).unwrap();
    path
}

/// Every row with a time has its first lane bar at column 12 (after the 10-column time and two
/// spaces).
fn lanes_stay(out: &str) {
    let mut rows = 0;
    for l in out.lines() {
        let time: String = l.chars().take(10).collect();
        if time.trim().is_empty() || !l.contains('│') || !time.chars().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        rows += 1;
        assert_eq!(l.chars().position(|c| c == '│'), Some(12), "{l}\n{out}");
    }
    assert!(rows >= 8, "{out}");
}

#[test]
fn the_time_column_never_moves_the_lanes_past_1000_ms_and_10_s() {
    let dir = std::env::temp_dir().join(format!("sockscope-pace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for shift in [0, 20] {
        // The lesson's ladder (tagged rows, `#0 1014.130` is one column too wide at 3
        // decimals) and the ladder command.
        shifted_syn_loss(&dir, "lesson-handshake.pcapng", shift);
        let out = sockscope()
            .args(["lesson", "handshake", "--recorded", "--speed", "0"])
            .env("SOCKSCOPE_CAPTURES", &dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let lesson = text(&out.stdout);
        assert!(lesson.contains(if shift == 0 {
            "#0 1014.13"
        } else {
            "#0 21014.1"
        }));
        lanes_stay(&lesson);
        let file = shifted_syn_loss(&dir, "syn-loss.pcap", shift);
        let ladder = head(&["ladder", file.to_str().unwrap()], 60);
        lanes_stay(&ladder);
        if shift > 0 {
            insta::assert_snapshot!("time_column_past_10_s", lesson);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The widest line, in characters.
fn widest(out: &str) -> usize {
    out.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn ladder_and_learner_fit_80_columns_and_the_default_width() {
    for width in ["80", "100"] {
        let w: usize = width.parse().unwrap();
        let ladder = head(
            &["ladder", "captures/case-syn-loss.pcap", "--width", width],
            400,
        );
        assert!(widest(&ladder) <= w, "{ladder}");
        lanes_stay(&ladder);
        let learner = head(
            &["replay", "captures/case-syn-loss.pcap", "--width", width],
            400,
        );
        assert!(widest(&learner) <= w, "{learner}");
        // One row per packet.
        assert_eq!(learner.lines().count(), 11, "{learner}");
        insta::assert_snapshot!(format!("ladder_width_{width}"), ladder);
        insta::assert_snapshot!(format!("learner_width_{width}"), learner);
    }
    // Every bundled capture fits, drawn at 80 columns.
    for f in std::fs::read_dir("captures").unwrap() {
        let p = f.unwrap().path();
        let name = p.to_str().unwrap().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) || name.contains("truncated") {
            continue;
        }
        for view in ["ladder", "replay"] {
            let out = sockscope()
                .args([view, &name, "--width", "80"])
                .output()
                .unwrap();
            let out = text(&out.stdout);
            assert!(widest(&out) <= 80, "{view} {name}: {out}");
        }
    }
}

#[test]
fn piped_output_without_width_is_as_before() {
    // No --width and no terminal: whole lines (the learner view) and the 100-column layout
    // (the ladder), as the existing snapshots have them.
    let learner = head(&["replay", "captures/case-syn-loss.pcap"], 400);
    assert!(widest(&learner) > 200, "{learner}");
    let ladder = head(&["ladder", "captures/case-syn-loss.pcap"], 400);
    assert!(widest(&ladder) > 100, "{ladder}");
}
