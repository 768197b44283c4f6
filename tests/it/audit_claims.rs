//! The instructor's audit (wave 2): sentences that were false or misleading for the recording
//! they were printed over, each checked here against that recording. The packet facts each test
//! relies on are quoted from tshark in its comment (`tshark -r captures/FILE`).

use std::path::Path;

use crate::lessons::{run, text};
use crate::teach_points::{never, says};

fn sockscope(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn capture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name);
    p.to_str().unwrap().to_string()
}

fn lesson(name: &str) -> String {
    sockscope(&[
        "lesson",
        name,
        "--recorded",
        "--speed",
        "0",
        "--width",
        "1000",
    ])
}

/// The state rows of a ladder: the lines with no arrow, no note, no call, only state names.
fn state_rows(ladder: &str) -> Vec<String> {
    ladder
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty()
                && t.split_whitespace().all(|w| {
                    w.chars()
                        .all(|c| c.is_ascii_uppercase() || c == '-' || c == '│')
                })
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// lesson-raw-socket.pcapng, frames 22-24: SYN 7512 → 7012 (Seq=1000000), SYN-ACK
/// (Ack=1000001), then `[RST] Seq=1000001` with no ACK flag: the kernel's answer from CLOSED to
/// a SYN-ACK no socket asked for (RFC 9293 §3.10.7.1). No client socket was ever ESTABLISHED,
/// and the listener's half-open connection returns to LISTEN (§3.10.7.4, SYN-RECEIVED).
#[test]
fn raw_socket_client_is_never_established_and_the_server_stays_listening() {
    let ladder = sockscope(&[
        "ladder",
        &capture("lesson-raw-socket.pcapng"),
        "--width",
        "1000",
    ]);
    let states = state_rows(&ladder);
    assert_eq!(
        states,
        ["CLOSED LISTEN", "SYN-SENT SYN-RECEIVED", "CLOSED LISTEN"],
        "{ladder}"
    );
    let replay = sockscope(&["replay", &capture("lesson-raw-socket.pcapng")]);
    says(&replay, "RST: no client socket owns this connection");
    never(&replay, "the client aborts the connection");
    let l = lesson("raw-socket");
    says(
        &l,
        "SYN, SYN-ACK, then RST from the client instead of the final ACK",
    );
    says(
        &l,
        "RST from the client: no connection was established, so nothing was aborted",
    );
    never(&l, "the final ACK was not seen");
    // The incremental ladder (the lesson) holds the SYN-ACK's rows until the client's next
    // segment: the RST shows the client never left SYN-SENT's world, so no ESTABLISHED.
    assert_eq!(
        state_rows(&l),
        ["CLOSED LISTEN", "SYN-SENT SYN-RECEIVED", "CLOSED LISTEN"],
        "{l}"
    );
    never(&l, "ESTABLISHED ");
}

/// lesson-flow-control.pcapng frame 28: `[TCP Retransmission]` of Seq=2897 Len=1448, 6.745 ms
/// after frame 26 (its original, the last segment sent), with no ACK between; frame 29's SACK
/// 2897-4345 below its Ack=4345 is a D-SACK (both copies arrived). Neither the timer (RTO ≥ 200
/// ms) nor fast retransmit: the signature of a tail loss probe (RFC 8985 §7.3), not "an early
/// retransmission" (RFC 5827, which needs duplicate ACKs).
#[test]
fn a_resent_last_segment_is_most_likely_a_tail_loss_probe() {
    let ladder = sockscope(&[
        "ladder",
        &capture("lesson-flow-control.pcapng"),
        "--width",
        "1000",
    ]);
    says(&ladder, "resent 6.745 ms after the original");
    says(&ladder, "most likely a tail loss probe (RFC 8985 §7)");
    never(&ladder, "an early retransmission");
}

/// lesson-loss.pcapng: 1600 bytes sent once plus frame 37's fast retransmission of 200
/// (tshark `tcp.analysis.retransmission`); lesson-flow-control.pcapng: 24576 bytes plus 1448.
/// The lesson's summary says so, as the ladder's does.
#[test]
fn lesson_summaries_say_which_bytes_were_sent_again() {
    says(
        &lesson("loss"),
        "client → server 1800 bytes (incl. 200 retransmitted) in 9 segments",
    );
    says(
        &lesson("flow-control"),
        "client → server 26024 bytes (incl. 1448 retransmitted) in 18 segments",
    );
}

/// lesson-reset.pcapng: each side read what came (the calls show the echo read); the packets
/// cannot show unread data, so the summary says "if any" (RFC 9293 §3.10.7.4).
#[test]
fn reset_summary_does_not_claim_unread_data() {
    let l = lesson("reset");
    says(&l, "data not yet read, if any, is thrown away");
    never(&l, "; unread data is thrown away");
}

/// lesson-http.pcapng frames 36 and 42: the server's `[FIN, ACK] Seq=234` comes before the
/// client's `[FIN, ACK] Seq=98 Ack=235`; the client's recvfrom of the body returns after it.
#[test]
fn http_lesson_tells_the_server_closes_first() {
    let l = lesson("http");
    says(
        &l,
        "told Connection: close, closes - FIN; the client reads it all",
    );
    says(&l, "FIN from the server first, then from the client");
    never(&l, "before anyone closes");
}

/// lesson-flow-control.pcapng: probes at 0.556, 0.996 and 1.860 s; tshark shows `[TCP
/// ZeroWindow]` answers at 0.556 and 1.860 only (Linux answers out-of-window segments at most
/// once per tcp_invalid_ratelimit, 500 ms). lesson-loss.pcapng frame 12: `MSS=256` with 200-byte
/// segments; lesson-echo.pcapng frames 54, 58: the client's FIN Seq=15 Ack=15, the server's
/// Seq=15 Ack=16.
#[test]
fn lesson_look_for_texts_match_their_recordings() {
    says(
        &lesson("flow-control"),
        "so a probe that comes sooner gets no answer",
    );
    says(&lesson("loss"), "the SYNs still announce MSS 256");
    says(&lesson("echo"), "both FINs are at seq 15");
}

/// lesson-raw-socket.pcapng frame 24: `[RST] Seq=1000001 Win=0`, no ACK flag, source port 7512
/// written by the program on a raw socket; the SYNs (frames 22, 23) are in the file and carry
/// no window scale.
#[test]
fn explain_packet_on_the_raw_sockets_rst() {
    let out = sockscope(&[
        "explain",
        "packet",
        &capture("lesson-raw-socket.pcapng"),
        "--frame",
        "24",
    ]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    says(&flat, "or answers a segment that belongs to no connection");
    says(
        &flat,
        "that segment's ack copied (0 if it had none; RFC 9293 §3.10.7.1)",
    );
    says(&flat, "or it wrote the TCP header on a raw socket");
    never(&flat, "SYNs not in this file");
    never(&flat, "the next byte the client will send");
}

/// case-keepalive.pcap frames 4-5: `[TCP Keep-Alive] Seq=0` then the server's `[TCP Window
/// Update] Ack=1 Win=65536`: its window differs only from the SYN-ACK's unscaled 65483; the
/// segment is the ACK the probe forced (frames 7 and 9 are labelled keep-alive ACK).
#[test]
fn the_answer_to_a_keep_alive_is_not_only_a_window_change() {
    let ladder = sockscope(&["ladder", &capture("case-keepalive.pcap"), "--width", "1000"]);
    says(
        &ladder,
        "the ACK the probe forced; tshark calls it a window update",
    );
    never(&ladder, "only the window changed");
}
