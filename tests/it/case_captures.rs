//! The recorded case captures (`captures/case-*.pcap`, made by `scripts/record-captures.sh
//! --cases`) each show the event their name claims, as tshark reads them: a display filter
//! (`-Y`) picks the defining packets, and the test counts them. Without tshark the tests fail
//! when the environment variable CI is set, else they say on stderr that they were skipped.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(format!("case-{name}.pcap"))
}

/// Whether tshark runs; without it, a failure under CI and a visible skip elsewhere.
fn have_tshark(test: &str) -> bool {
    if Command::new("tshark").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: tshark is not installed (CI must install it)"
    );
    let _ = writeln!(std::io::stderr(), "SKIP {test}: tshark is not installed");
    false
}

/// One line per packet that `filter` matches, each the tab-separated `fields`.
fn rows(name: &str, filter: &str, fields: &[&str]) -> Vec<String> {
    let file = capture(name);
    assert!(file.exists(), "{} is missing", file.display());
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"])
        .arg(&file)
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark -Y '{filter}' failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn count(name: &str, filter: &str) -> usize {
    rows(name, filter, &["frame.number"]).len()
}

#[test]
fn syn_loss_retransmits_the_syn_after_the_initial_rto() {
    if !have_tshark("syn_loss_retransmits_the_syn_after_the_initial_rto") {
        return;
    }
    // tcp.analysis.retransmission on the second SYN, about 1 s (RFC 6298 §2.1) after the first.
    let r = rows(
        "syn-loss",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.analysis.retransmission",
        &["frame.time_relative"],
    );
    assert_eq!(r.len(), 1, "one retransmitted SYN: {r:?}");
    let t: f64 = r[0].parse().unwrap();
    assert!((1.0..1.5).contains(&t), "retransmitted at {t} s");
    // The first SYN went unanswered: one SYN-ACK in all.
    assert_eq!(
        count("syn-loss", "tcp.flags.syn == 1 && tcp.flags.ack == 1"),
        1
    );
}

#[test]
fn synack_loss_shows_the_syn_ack_again_and_a_late_handshake() {
    if !have_tshark("synack_loss_shows_the_syn_ack_again_and_a_late_handshake") {
        return;
    }
    // The server's SYN-ACK is retransmitted (its timer, or an answer to the repeated SYN).
    let r = rows(
        "synack-loss",
        "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.analysis.retransmission",
        &["frame.time_relative"],
    );
    assert!(!r.is_empty(), "no retransmitted SYN-ACK");
    let t: f64 = r[0].parse().unwrap();
    assert!(
        (1.0..1.5).contains(&t),
        "first retransmitted SYN-ACK at {t} s"
    );
    // The client's first ACK comes only after that second SYN-ACK.
    let acks = rows(
        "synack-loss",
        "tcp.srcport != 7201 && tcp.flags.syn == 0 && tcp.flags.ack == 1",
        &["frame.time_relative"],
    );
    let first: f64 = acks[0].parse().unwrap();
    assert!(first >= 1.0, "the client ACKed at {first} s");
}

#[test]
fn zero_window_is_probed_and_updated() {
    if !have_tshark("zero_window_is_probed_and_updated") {
        return;
    }
    assert!(count("zero-window", "tcp.analysis.zero_window") >= 1);
    assert!(count("zero-window", "tcp.analysis.window_update") >= 1);
    // Linux probes a zero window with a segment without data whose seq is one below the next
    // byte; tshark calls that tcp.analysis.keep_alive (its zero_window_probe wants one byte of
    // data), so the probes are counted as the client's keep-alives while the window is zero.
    assert!(
        count(
            "zero-window",
            "tcp.analysis.keep_alive && tcp.dstport == 7202"
        ) >= 2
    );
}

#[test]
fn close_with_unread_data_sends_rst_not_fin() {
    if !have_tshark("close_with_unread_data_sends_rst_not_fin") {
        return;
    }
    assert_eq!(
        count(
            "unread-close",
            "tcp.srcport == 7203 && tcp.flags.reset == 1"
        ),
        1
    );
    assert_eq!(count("unread-close", "tcp.flags.fin == 1"), 0);
    // The data the server never read had been ACKed before the RST.
    assert_eq!(
        count("unread-close", "tcp.len > 0 && tcp.dstport == 7203"),
        1
    );
}

#[test]
fn keepalive_probes_are_sent_and_answered() {
    if !have_tshark("keepalive_probes_are_sent_and_answered") {
        return;
    }
    assert!(
        count(
            "keepalive",
            "tcp.analysis.keep_alive && tcp.dstport == 7204"
        ) >= 2
    );
    assert!(count("keepalive", "tcp.analysis.keep_alive_ack") >= 2);
    assert_eq!(count("keepalive", "tcp.len > 0"), 0, "no data at all");
}

#[test]
fn nagle_coalesces_small_writes_and_nodelay_does_not() {
    if !have_tshark("nagle_coalesces_small_writes_and_nodelay_does_not") {
        return;
    }
    // Ten 1-byte writes on each connection.
    let nagle = count("nagle", "tcp.dstport == 7205 && tcp.len > 0");
    let nodelay = count("nagle", "tcp.dstport == 7206 && tcp.len > 0");
    assert!(nagle < 10, "with Nagle, {nagle} segments for 10 writes");
    assert_eq!(nodelay, 10, "with TCP_NODELAY, one segment per write");
}

#[test]
fn udp_to_a_closed_port_is_answered_port_unreachable() {
    if !have_tshark("udp_to_a_closed_port_is_answered_port_unreachable") {
        return;
    }
    // ICMP type 3 code 3 (RFC 792) and ICMPv6 type 1 code 4 (RFC 4443 §3.1).
    assert_eq!(count("udp-closed", "icmp.type == 3 && icmp.code == 3"), 1);
    assert_eq!(
        count("udp-closed", "icmpv6.type == 1 && icmpv6.code == 4"),
        1
    );
    assert_eq!(
        count("udp-closed", "udp.dstport == 7207 && !icmp && !icmpv6"),
        2
    );
}

#[test]
fn http11_keeps_the_connection_for_two_requests() {
    if !have_tshark("http11_keeps_the_connection_for_two_requests") {
        return;
    }
    let streams = rows("http11-keepalive", "http.request", &["tcp.stream"]);
    assert_eq!(streams, ["0", "0"], "two requests on connection 0");
    assert_eq!(
        count(
            "http11-keepalive",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0"
        ),
        1
    );
}

#[test]
fn http10_server_closes_after_the_response() {
    if !have_tshark("http10_server_closes_after_the_response") {
        return;
    }
    assert_eq!(
        count("http10-close", "http.request.version == \"HTTP/1.0\""),
        1
    );
    let fins = rows("http10-close", "tcp.flags.fin == 1", &["tcp.srcport"]);
    assert_eq!(
        fins.first().map(String::as_str),
        Some("7208"),
        "the server's FIN first"
    );
}

#[test]
fn ipv6_loss_is_recovered_by_retransmission_after_sack() {
    if !have_tshark("ipv6_loss_is_recovered_by_retransmission_after_sack") {
        return;
    }
    let f = "ipv6-loss";
    assert_eq!(count(f, "ip"), 0, "IPv6 only");
    assert!(
        count(
            f,
            "ipv6 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission)"
        ) >= 1
    );
    // Duplicate ACKs carrying SACK blocks: the data past the hole (RFC 2018).
    assert!(count(f, "tcp.analysis.duplicate_ack && tcp.options.sack_le") >= 1);
}
