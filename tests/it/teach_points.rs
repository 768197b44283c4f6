//! The teaching points of the ladder's notes (issue 11), each over a capture that shows it and,
//! where it must not be said, one that does not: the notes are derived from the conversation,
//! so a point appears only where the packets show it. Sentences are matched on the ladder drawn
//! wide enough that no note wraps.

use std::path::Path;

use sockscope::pipeline::{self, Limits};
use sockscope::render::ladder::{LadderOptions, LadderRenderer};
use sockscope::source::FileSource;

fn ladder_of(name: &str, flow: Option<u32>) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name);
    let mut src = FileSource::open(path.to_str().unwrap()).unwrap();
    let mut r = LadderRenderer::new(LadderOptions {
        width: 1000,
        flow,
        ..LadderOptions::default()
    });
    let mut out = Vec::new();
    pipeline::run(&mut src, None, None, &mut r, &mut out, Limits::default());
    String::from_utf8(out).unwrap()
}

fn ladder(name: &str) -> String {
    ladder_of(name, None)
}

#[track_caller]
pub(crate) fn says(out: &str, what: &str) {
    assert!(out.contains(what), "expected {what:?} in\n{out}");
}

#[track_caller]
pub(crate) fn never(out: &str, what: &str) {
    assert!(!out.contains(what), "{what:?} must not be said in\n{out}");
}

const ALL: [&str; 16] = [
    "case-http10-close.pcap",
    "case-http11-keepalive.pcap",
    "case-ipv6-loss.pcap",
    "case-keepalive.pcap",
    "case-syn-loss.pcap",
    "case-synack-loss.pcap",
    "case-unread-close.pcap",
    "case-zero-window.pcap",
    "lesson-loss.pcapng",
    "lesson-flow-control.pcapng",
    "lesson-raw-socket.pcapng",
    "lesson-echo.pcap",
    "lesson-half-close.pcap",
    "lesson-reset.pcap",
    "lossy-seen.pcap",
    "lossy-zero-window.pcap",
];

#[test]
fn sack_hole_names_the_missing_and_arrived_bytes_once_per_hole() {
    let out = ladder("case-ipv6-loss.pcap");
    says(
        &out,
        "the hole: bytes 7141 to 8568 are missing; bytes 8569 to 9996 arrived past it (SACK), so the sender need resend only what no block covers",
    );
    assert_eq!(out.matches("the hole:").count(), 3);
    never(&ladder("case-nagle.pcap"), "the hole:");
}

#[test]
fn ports_and_the_four_tuple_on_the_first_syn() {
    says(
        &ladder("case-nagle.pcap"),
        "client port 45822: ephemeral (Linux's range 32768-60999); 7205: the server's fixed port; both addresses and ports (the 4-tuple) name this connection",
    );
    never(&ladder("case-udp-closed.pcap"), "4-tuple");
}

#[test]
fn connect_and_accept_on_the_handshake_ack_only_when_it_completes() {
    let s = "connect() returned on the SYN-ACK; the server's kernel completes the connection by itself, and accept() only hands it over";
    says(&ladder("lesson-handshake.pcap"), s);
    never(&ladder("lesson-refused.pcap"), "connect() returned");
}

#[test]
fn time_wait_falls_on_the_end_that_closed_first_and_not_after_rst() {
    says(
        &ladder("case-http10-close.pcap"),
        "the server closed first, so it waits 2·MSL in TIME-WAIT (60 s on Linux)",
    );
    says(
        &ladder("case-nagle.pcap"),
        "the client closed first, so it waits 2·MSL in TIME-WAIT (60 s on Linux)",
    );
    let reset = ladder("lesson-reset.pcap");
    never(&reset, "waits 2·MSL");
    says(&reset, "or with SO_LINGER 0; no TIME-WAIT");
}

#[test]
fn delayed_ack_only_where_the_ack_waited() {
    says(
        &ladder_of("case-nagle.pcap", Some(0)),
        "a delayed ACK: the server waited 40.797 ms for data of its own to carry it",
    );
    // The zero-window capture's 43 ms ACK follows a retransmission: not told as delayed.
    for name in ALL.iter().filter(|n| !n.starts_with("case-http11")) {
        never(&ladder(name), "delayed ACK");
    }
}

#[test]
fn piggybacked_ack_on_the_echo() {
    says(
        &ladder("lesson-echo.pcap"),
        "ack 9 rides on this data: a piggybacked ACK, no separate segment",
    );
    never(&ladder("case-nagle.pcap"), "piggybacked");
}

#[test]
fn nagle_and_nodelay_only_where_the_timing_shows_them() {
    let nagle = ladder_of("case-nagle.pcap", Some(0));
    says(
        &nagle,
        "9 bytes sent 30 µs after the ACK, after 40.797 ms of silence: Nagle's algorithm held them",
    );
    never(&nagle, "TCP_NODELAY)");
    let nodelay = ladder_of("case-nagle.pcap", Some(1));
    says(
        &nodelay,
        "another small segment while the last one (1 byte) is unacknowledged: Nagle's algorithm would have held it, so it is off (TCP_NODELAY)",
    );
    never(&nodelay, "Nagle's algorithm held");
    for name in ALL.iter().filter(|n| !n.starts_with("case-http11")) {
        let out = ladder(name);
        never(&out, "Nagle's algorithm held");
        never(&out, "so it is off (TCP_NODELAY)");
    }
}

#[test]
fn full_sized_segments_are_the_mss_less_the_timestamp_option() {
    says(
        &ladder("case-ipv6-loss.pcap"),
        "a full-sized segment: the server's MSS 1440 less 12 bytes of timestamp option",
    );
    says(
        &ladder("case-zero-window.pcap"),
        "a full-sized segment: the server's MSS 1460 less 12 bytes of timestamp option",
    );
    never(&ladder("lesson-echo.pcap"), "full-sized");
}

#[test]
fn zero_window_is_the_application_not_reading() {
    let out = ladder("case-zero-window.pcap");
    says(
        &out,
        "server's receive buffer is full: its application is not reading, so the client must wait",
    );
    says(&out, "zero-window probe");
    says(
        &out,
        "the window reopens (2896 bytes): the application read",
    );
}

#[test]
fn half_close_only_when_data_follows_the_fin() {
    let hc = ladder("lesson-half-close.pcap");
    says(
        &hc,
        "the client acknowledges data sent after its FIN: it had only shut down its sending side (shutdown(SHUT_WR), a half-close)",
    );
    never(&hc, "look the same");
    let plain = ladder("case-nagle.pcap");
    says(
        &plain,
        "no data followed the client's FIN: on the wire, shutdown(SHUT_WR) and close() look the same",
    );
    never(&plain, "a half-close");
}

#[test]
fn close_with_unread_data_sends_rst() {
    says(
        &ladder("case-unread-close.pcap"),
        "an abortive close: close() sends RST, not FIN, while received data is unread (6 bytes came in) or with SO_LINGER 0; no TIME-WAIT",
    );
    // A RST from CLOSED answering a SYN is no abortive close, nor is the kernel's RST
    // answering a SYN-ACK that no socket asked for (the raw-socket lesson's hand-made SYN).
    never(&ladder("lesson-refused.pcap"), "abortive");
    let raw = ladder("lesson-raw-socket.pcapng");
    never(&raw, "abortive");
    says(&raw, "no socket on the client's side owns this connection");
    for name in ALL.iter().filter(|n| !n.contains("raw-socket")) {
        never(&ladder(name), "no socket on the client's side");
    }
}

#[test]
fn udp_checksum_rule_only_over_ipv6_or_for_a_zero_checksum() {
    says(
        &ladder_of("case-udp-closed.pcap", Some(1)),
        "over IPv6 the UDP checksum is mandatory (IPv4 lets a sender skip it)",
    );
    // IPv4 with a checksum: nothing to say.
    let v4 = ladder_of("case-udp-closed.pcap", Some(0));
    never(&v4, "checksum");
    never(&ladder("lesson-udp.pcap"), "checksum");
}

#[test]
fn http_10_closes_and_http_11_persists() {
    let h11 = ladder("case-http11-keepalive.pcap");
    says(
        &h11,
        "a second request on the same connection: HTTP/1.1 keeps it open, no new handshake",
    );
    never(&h11, "HTTP/1.0 without keep-alive");
    let h10 = ladder("case-http10-close.pcap");
    says(
        &h10,
        "HTTP/1.0 without keep-alive: the server closes after its response",
    );
    never(&h10, "second request");
    never(&ladder("lesson-http.pcap"), "HTTP/1.0 without keep-alive");
}
