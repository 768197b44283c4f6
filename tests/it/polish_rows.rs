//! Small truth and consistency fixes: packets drawn as side rows on a lesson's ladder look like
//! packets, not socket calls; call rows are as wide as packet rows.

use std::process::Command;

fn sockscope(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .env("TZ", "UTC")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .expect("sockscope runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

const CALL: &str = "\x1b[1;32m";
const CYAN: &str = "\x1b[36m";
const MAGENTA: &str = "\x1b[35m";

/// The raw-socket lesson's ICMP echo request and reply have no conversation to be drawn in:
/// they are side rows, in the arrows' colours and with an arrowhead, never in the calls' style.
#[test]
fn icmp_side_rows_are_packets_not_calls() {
    let out = sockscope(&[
        "lesson",
        "raw-socket",
        "--recorded",
        "--speed",
        "0",
        "--color",
        "always",
    ]);
    let icmp: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("ICMP echo") && l.contains("bytes on the wire"))
        .collect();
    assert_eq!(icmp.len(), 2, "{out}");
    for l in &icmp {
        assert!(!l.contains(CALL), "{l}");
    }
    assert!(
        icmp[0].contains(&format!("{CYAN}ICMP echo request")),
        "{}",
        icmp[0]
    );
    assert!(icmp[0].contains("seq 1 ▶"), "{}", icmp[0]);
    assert!(
        icmp[1].contains(&format!("{MAGENTA}◀ ICMP echo reply")),
        "{}",
        icmp[1]
    );
    // Calls keep their own style.
    assert!(
        out.lines().any(|l| l.contains(&format!("{CALL}» sendto("))),
        "{out}"
    );
    insta::assert_snapshot!("raw_socket_color", out);
}

/// The column of a row's second lane bar, when the row has its first bar at column 12.
fn closing_bar(line: &str) -> Option<usize> {
    let chars: Vec<char> = line.chars().collect();
    if chars.get(12) != Some(&'│') {
        return None;
    }
    (13..chars.len()).find(|&i| chars[i] == '│')
}

/// Call rows, side rows, arrows and note rows close their lanes in the same column.
#[test]
fn call_rows_are_as_wide_as_packet_rows() {
    for lesson in ["echo", "raw-socket"] {
        let out = sockscope(&["lesson", lesson, "--recorded", "--speed", "0"]);
        let bars: Vec<(usize, &str)> = out
            .lines()
            .filter_map(|l| Some((closing_bar(l)?, l)))
            .collect();
        assert!(bars.iter().any(|(_, l)| l.contains('»')), "{out}");
        assert!(bars.iter().any(|(_, l)| l.contains('▶')), "{out}");
        for (col, l) in &bars {
            assert_eq!(*col, bars[0].0, "{lesson}: {l}");
        }
    }
}

/// `(number, event)` of each JSON line of `sockscope ARGS`.
fn json_numbers(args: &[&str]) -> Vec<(u64, String)> {
    sockscope(args)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object a line");
            let n = v["number"]
                .as_u64()
                .unwrap_or_else(|| panic!("no number: {l}"));
            let event = v["event"].as_str().unwrap_or("packet").to_string();
            (n, event)
        })
        .collect()
}

/// Socket-call events carry their frame number: packets and calls together count 1..N without
/// gaps, in `replay --json` and `lesson --json` alike, and a call's number is a USER0 frame
/// (`user_dlt`) in tshark's `frame.number`, a packet's an IP frame.
#[test]
fn calls_and_packets_are_numbered_as_tshark_numbers_frames() {
    let file = "captures/lesson-echo.pcapng";
    let replay = json_numbers(&["replay", file, "--json"]);
    let lesson = json_numbers(&["lesson", "echo", "--recorded", "--speed", "0", "--json"]);
    let want: Vec<u64> = (1..=replay.len() as u64).collect();
    assert!(replay.iter().any(|(_, e)| e == "call"));
    assert_eq!(replay.iter().map(|(n, _)| *n).collect::<Vec<_>>(), want);
    assert_eq!(lesson.len(), replay.len());
    for ((n, e), (m, f)) in lesson.iter().zip(&replay) {
        assert_eq!((n, e == "call"), (m, f == "call"));
    }
    if !crate::support::tool("tshark") {
        return;
    }
    let out = Command::new("tshark")
        .args([
            "-r",
            file,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.protocols",
        ])
        .output()
        .expect("tshark runs");
    let frames: Vec<(u64, bool)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (n, protos) = l.split_once('\t').expect("two fields");
            (
                n.parse().expect("a frame number"),
                protos.starts_with("user_dlt"),
            )
        })
        .collect();
    let ours: Vec<(u64, bool)> = replay.iter().map(|(n, e)| (*n, e == "call")).collect();
    assert_eq!(ours, frames);
}

/// `explain packet --frame N` on a call record explains the socket call, not an unknown link
/// type: who, the call, its phase, its result and the learner view's sentence for it.
#[test]
fn explain_packet_on_a_call_record_explains_the_call() {
    let file = "captures/lesson-refused.pcapng";
    let frames = json_numbers(&["replay", file, "--json"]);
    let out: Vec<String> = (1..=frames.len() as u64)
        .map(|n| sockscope(&["explain", "packet", file, "--frame", &n.to_string()]))
        .collect();
    for ((n, event), text) in frames.iter().zip(&out) {
        assert!(!text.contains("link type unknown"), "{text}");
        let call = text.starts_with(&format!("Frame {n} of {file}: a socket call, not a packet"));
        assert_eq!(call, event == "call", "{text}");
    }
    let refused = out
        .iter()
        .find(|t| t.contains("← connect = -1 ECONNREFUSED"))
        .expect("connect's return is explained");
    for want in [
        "Who:         client, process",
        "Call:        connect(",
        "Phase:       return: stamped after the call completed",
        "Result:      -1: failed with ECONNREFUSED",
        "On the wire: refused: the peer answered the SYN with RST",
    ] {
        assert!(refused.contains(want), "{want}: {refused}");
    }
    let json: serde_json::Value = serde_json::from_str(&sockscope(&[
        "explain", "packet", file, "--frame", "1", "--json",
    ]))
    .expect("JSON");
    assert_eq!(json["frame"], 1);
    assert_eq!(json["call"]["event"], "call");
    assert_eq!(json["call"]["number"], 1);
    assert_eq!(json["call"]["phase"], "enter");
}
