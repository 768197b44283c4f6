//! `ladder --skip N -c M`: a window of the ladder drawn with the states and relative numbers
//! known from the packets before it. Golden snapshots of windows of bundled captures, and a
//! check that every window's arrows, notes and states are those the full ladder shows for the
//! same frames.

use serde_json::Value;

use super::exports_mermaid::capture;

/// `sockscope ladder FILE ARGS…` (100 columns, no colour): standard output.
fn ladder(file: &str, args: &[&str]) -> String {
    let path = capture(file);
    super::exports_mermaid::ladder(&[&[path.to_str().unwrap()], args].concat()).0
}

/// `ladder --json ARGS…`, one value per diagram.
fn diagrams(file: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    ladder(file, &a)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The states at each end after `rows`, starting from `initial`.
fn fold(initial: &Value, rows: &[Value]) -> (Value, Value) {
    let (mut c, mut s) = (initial["client"].clone(), initial["server"].clone());
    for r in rows.iter().filter(|r| r["kind"] == "states") {
        if !r["client"].is_null() {
            c = r["client"].clone();
        }
        if !r["server"].is_null() {
            s = r["server"].clone();
        }
    }
    (c, s)
}

fn frame(r: &Value) -> Option<u64> {
    r["frame"].as_u64()
}

/// Every window of `file` drawn by `--skip/-c` equals the full ladder's rows for the same
/// frames, and opens with the states the full ladder had reached.
fn windows_agree_with_full_ladder(file: &str, windows: &[(u64, u64)]) {
    let full = diagrams(file, &[]);
    for &(skip, count) in windows {
        let (skip_s, count_s) = (skip.to_string(), count.to_string());
        let win = diagrams(file, &["--skip", &skip_s, "-c", &count_s]);
        assert!(
            !win.is_empty(),
            "{file} --skip {skip} -c {count}: nothing drawn"
        );
        for w in &win {
            let f = full
                .iter()
                .find(|f| f["index"] == w["index"])
                .unwrap_or_else(|| {
                    panic!("{file}: conversation {} not in the full ladder", w["index"])
                });
            let (wr, fr) = (w["rows"].as_array().unwrap(), f["rows"].as_array().unwrap());
            let first = wr.iter().find_map(frame).unwrap();
            let at = fr.iter().position(|r| frame(r) == Some(first)).unwrap();
            let ctx = format!(
                "{file} --skip {skip} -c {count}, conversation {}",
                w["index"]
            );
            assert_eq!(
                fold(&w["initial_states"], &[]),
                fold(&f["initial_states"], &fr[..at]),
                "{ctx}: the window opens with other states than the full ladder had"
            );
            // The rows may differ in time only by nothing: same arrows, numbers, notes, states.
            assert_eq!(wr[..], fr[at..at + wr.len()], "{ctx}");
            assert_eq!(w["index"], f["index"]);
            assert_eq!(
                w["title"].as_str().unwrap().split(" · ").next(),
                f["title"].as_str().unwrap().split(" · ").next()
            );
        }
        // Every frame of the window is drawn once, and none outside it.
        let mut drawn: Vec<u64> = win
            .iter()
            .flat_map(|w| w["rows"].as_array().unwrap().iter().filter_map(frame))
            .collect();
        drawn.sort_unstable();
        let mut all: Vec<u64> = full
            .iter()
            .flat_map(|w| w["rows"].as_array().unwrap().iter().filter_map(frame))
            .collect();
        all.sort_unstable();
        let skipped: Vec<u64> = all
            .iter()
            .copied()
            .skip(skip as usize)
            .take(count as usize)
            .collect();
        assert_eq!(drawn, skipped, "{file} --skip {skip} -c {count}");
    }
}

#[test]
fn window_rows_and_states_equal_the_full_ladders() {
    windows_agree_with_full_ladder(
        "lesson-concurrent.pcap",
        &[(0, 3), (5, 6), (12, 9), (29, 5)],
    );
    // The client's ESTABLISHED waits for the SYN-ACK its ACK echoes: a window that starts
    // between the two SYN-ACKs opens with the client still in SYN-SENT.
    windows_agree_with_full_ladder("case-synack-loss.pcap", &[(2, 3), (3, 4), (6, 8)]);
    windows_agree_with_full_ladder("lesson-refused.pcap", &[(1, 1)]);
    // Far into a long conversation: old rows are folded as they come, states stay right.
    windows_agree_with_full_ladder("lossy-seen.pcap", &[(1000, 40), (2100, 100)]);
}

#[test]
fn window_starting_between_two_synacks_opens_in_syn_sent() {
    let w = diagrams("case-synack-loss.pcap", &["--skip", "2", "-c", "3"]);
    assert_eq!(w[0]["initial_states"]["client"], "SYN-SENT", "{}", w[0]);
}

#[test]
fn golden_windows() {
    for (file, skip, count) in [
        ("lesson-concurrent.pcap", "5", "6"),
        ("case-synack-loss.pcap", "2", "4"),
    ] {
        let text = ladder(file, &["--skip", skip, "-c", count]);
        insta::assert_snapshot!(
            format!("window_{file}_skip{skip}_c{count}"),
            format!("$ sockscope ladder captures/{file} --skip {skip} -c {count}\n{text}")
        );
    }
}

#[test]
fn window_past_the_end_draws_nothing() {
    let text = ladder("lesson-echo.pcap", &["--skip", "1000"]);
    assert_eq!(text, "no TCP or UDP conversation to draw\n");
}
