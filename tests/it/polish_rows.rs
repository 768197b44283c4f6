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
