//! The lessons that run in a network namespace of their own: `loss`, `flow-control` and
//! `raw-socket`. Recorded: the key events are in the bundled recordings (the golden text is in
//! `lessons.rs`' snapshots). Live (as root, `--json`): calls and packets in physical order, and
//! the lesson's key events really happen: a fast retransmission after duplicate ACKs with SACK
//! blocks; a zero window, zero-window probes and the window update after the server's recv();
//! the ICMP echo reply and the RST that answers the SYN-ACK to the hand-made SYN.

use std::process::Command;

use serde_json::Value;

use crate::support;

fn events(args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .args(["--json", "--color", "never"])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn ts(v: &Value) -> u64 {
    v["ts_sec"].as_u64().unwrap() * 1_000_000_000 + v["ts_nsec"].as_u64().unwrap()
}

fn has(v: &Value, flag: &str) -> bool {
    v["analysis"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f == flag))
}

/// The position of the first event matching `p` (panics when there is none).
fn first(evs: &[Value], what: &str, p: impl Fn(&Value) -> bool) -> usize {
    evs.iter()
        .position(p)
        .unwrap_or_else(|| panic!("no {what} in {evs:#?}"))
}

fn call(v: &Value, name: &str, phase: &str) -> bool {
    v["event"] == "call" && v["call"] == name && v["phase"] == phase
}

fn tcp_flags(v: &Value) -> Option<u64> {
    (v["transport"]["kind"] == "tcp").then(|| v["transport"]["flag_bits"].as_u64().unwrap())
}

/// Checks the loss lesson's events: the dropped segment, duplicate ACKs with SACK, then a
/// fast retransmission of it; the send() enters before the first data.
fn loss(evs: &[Value]) {
    assert!(evs.windows(2).all(|w| ts(&w[0]) <= ts(&w[1])));
    let send = first(evs, "send enter", |v| call(v, "sendto", "enter"));
    let data = first(evs, "data", |v| v["payload_len"].as_u64() > Some(0));
    assert!(send < data);
    let sack_dups = evs
        .iter()
        .filter(|v| has(v, "duplicate_ack") && v.to_string().contains("\"sack\""))
        .count();
    assert!(sack_dups >= 2, "{sack_dups} duplicate ACKs with SACK");
    let fast = first(evs, "fast retransmission", |v| {
        has(v, "fast_retransmission")
    });
    let dup = first(evs, "duplicate ACK", |v| has(v, "duplicate_ack"));
    assert!(dup < fast);
    let sends: Vec<&Value> = evs
        .iter()
        .filter(|v| v["payload_len"].as_u64() > Some(0))
        .collect();
    // The retransmission carries the third segment: seq 401:601 relative to the ISN.
    assert_eq!(sends.len(), 9, "eight segments and one retransmission");
    assert_eq!(evs[fast]["payload_len"].as_u64(), Some(200));
    assert_eq!(
        evs[fast]["transport"]["seq"], sends[2]["transport"]["seq"],
        "the third segment is the one resent"
    );
}

/// The flow-control lesson: zero window, then probes, then the window update after the
/// server's recv() entered.
fn flow(evs: &[Value]) {
    assert!(evs.windows(2).all(|w| ts(&w[0]) <= ts(&w[1])));
    let zero = first(evs, "zero window", |v| has(v, "zero_window"));
    let probe = first(evs, "zero-window probe", |v| {
        has(v, "keep_alive") || has(v, "zero_window_probe")
    });
    let read = first(evs, "the server's recv", |v| {
        call(v, "recvfrom", "enter") && v["comm"].as_str().unwrap().starts_with("server")
    });
    let update = first(evs, "window update", |v| has(v, "window_update"));
    assert!(
        zero < probe && probe < read && read < update,
        "{zero} {probe} {read} {update}"
    );
    assert!(evs.iter().any(|v| has(v, "window_full")));
}

/// The raw-socket lesson: echo request then reply (same id and seq), the hand-made SYN, the
/// SYN-ACK and the RST that answers it (seq = the SYN-ACK's ack), and EPERM at the end.
fn raw(evs: &[Value]) {
    assert!(evs.windows(2).all(|w| ts(&w[0]) <= ts(&w[1])));
    let icmp =
        |t: u64| move |v: &Value| v["transport"]["kind"] == "icmp" && v["transport"]["type"] == t;
    let send = first(evs, "ICMP sendto", |v| call(v, "sendto", "enter"));
    let req = first(evs, "echo request", icmp(8));
    let rep = first(evs, "echo reply", icmp(0));
    let got = evs
        .iter()
        .rposition(|v| call(v, "recvfrom", "return"))
        .unwrap();
    assert!(send < req && req < rep && rep < got);
    assert_eq!(evs[rep]["transport"]["id"], evs[req]["transport"]["id"]);
    assert_eq!(evs[rep]["transport"]["seq"], 1);
    let syn = first(evs, "SYN", |v| tcp_flags(v) == Some(2));
    let synack = first(evs, "SYN-ACK", |v| tcp_flags(v) == Some(18));
    let rst = first(evs, "RST", |v| tcp_flags(v).is_some_and(|f| f & 4 != 0));
    assert!(syn < synack && synack < rst);
    assert_eq!(
        evs[rst]["transport"]["seq"], evs[synack]["transport"]["ack"],
        "RFC 9293 §3.10.7.1: the RST takes its seq from the SYN-ACK's ack"
    );
    assert!(
        evs.iter()
            .any(|v| call(v, "socket", "return") && v["errno"] == "EPERM"),
        "socket(SOCK_RAW) without privilege fails with EPERM"
    );
}

#[test]
fn the_recordings_show_each_lessons_key_events() {
    loss(&events(&["lesson", "loss", "--recorded", "--speed", "0"]));
    flow(&events(&[
        "lesson",
        "flow-control",
        "--recorded",
        "--speed",
        "0",
    ]));
    raw(&events(&[
        "lesson",
        "raw-socket",
        "--recorded",
        "--speed",
        "0",
    ]));
}

/// Live: root for the namespace (CAP_SYS_ADMIN), the interface and rule (CAP_NET_ADMIN) and
/// the capture and raw sockets (CAP_NET_RAW); nft for the loss lesson.
fn can_run_live(nft: bool) -> bool {
    support::root("to create a network namespace and capture in it")
        && support::cap_net_raw()
        && (!nft || support::tool("nft"))
}

#[test]
fn live_loss_shows_a_fast_retransmission_after_sack_duplicate_acks() {
    if !can_run_live(true) {
        return;
    }
    // Live, the kernel's loss recovery depends on timing: on a loaded machine the sender can
    // resend after one duplicate ACK (RACK, RFC 8985) before the others come. Up to three runs;
    // one must show the whole sequence.
    let mut failures = Vec::new();
    for _ in 0..3 {
        let evs = events(&["lesson", "loss"]);
        match std::panic::catch_unwind(|| loss(&evs)) {
            Ok(()) => return,
            Err(e) => failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
        }
    }
    panic!("three live runs of the loss lesson, none showed it: {failures:?}");
}

#[test]
fn live_flow_control_shows_zero_window_probes_and_the_update() {
    if can_run_live(false) {
        flow(&events(&["lesson", "flow-control"]));
    }
}

#[test]
fn live_raw_socket_shows_the_echo_reply_and_the_rst() {
    if can_run_live(false) {
        raw(&events(&["lesson", "raw-socket"]));
    }
}
