//! Golden tests of the flows table and the ladder: on captures built here with etherparse and
//! pcap-file (a full connection, a mid-connection start, sequence-number wraparound, a SYN
//! retransmission, a refused connection, a simultaneous close, UDP request/response), and on
//! every capture bundled in `captures/`. Snapshots live in `tests/it/snapshots/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use sockscope::pipeline::{self, Limits};
use sockscope::render::Renderer;
use sockscope::render::flows::FlowsRenderer;
use sockscope::render::follow::{FollowFormat, FollowRenderer};
use sockscope::render::ladder::{LadderOptions, LadderRenderer, Layout};
use sockscope::source::FileSource;

/// One segment of a scenario: time in µs, from the client?, flags (S F R P; A = ACK), seq, ack,
/// window, payload.
struct Seg(u64, bool, &'static str, u32, u32, u16, &'static [u8]);

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 51000);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 7);

fn frame(s: &Seg, client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Vec<u8> {
    let (src, dst) = if s.1 {
        (client, server)
    } else {
        (server, client)
    };
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, s.3, s.5);
    for c in s.2.chars() {
        b = match c {
            'S' => b.syn(),
            'F' => b.fin(),
            'R' => b.rst(),
            'P' => b.psh(),
            'A' => b.ack(s.4),
            _ => b,
        };
    }
    if s.2.contains('S') {
        b = b
            .options(&[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                TcpOptionElement::WindowScale(7),
            ])
            .unwrap();
    }
    let mut v = Vec::new();
    b.write(&mut v, s.6).unwrap();
    v
}

fn write_pcap(path: &Path, frames: &[(u64, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::with_header(f, PcapHeader::default()).unwrap();
    for (us, data) in frames {
        let ts = Duration::from_micros(1_700_000_000_000_000 + us);
        w.write_packet(&PcapPacket::new(ts, data.len() as u32, data).unwrap())
            .unwrap();
    }
}

fn tcp_capture(name: &str, segs: &[Seg]) -> PathBuf {
    tcp_capture_between(name, segs, CLIENT, SERVER)
}

fn tcp_capture_between(
    name: &str,
    segs: &[Seg],
    client: ([u8; 4], u16),
    server: ([u8; 4], u16),
) -> PathBuf {
    // A file per call: tests run in parallel and several use the same scenario.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{n}.pcap"));
    let frames: Vec<(u64, Vec<u8>)> = segs
        .iter()
        .map(|s| (s.0, frame(s, client, server)))
        .collect();
    write_pcap(&path, &frames);
    path
}

const C: u32 = 1_000_000; // client ISN
const S: u32 = 3_000_000; // server ISN

fn full() -> PathBuf {
    tcp_capture(
        "full",
        &[
            Seg(0, true, "S", C, 0, 64240, b""),
            Seg(40, false, "SA", S, C + 1, 65160, b""),
            Seg(80, true, "A", C + 1, S + 1, 502, b""),
            Seg(300, true, "PA", C + 1, S + 1, 502, b"Hello World!"),
            Seg(340, false, "A", S + 1, C + 13, 509, b""),
            Seg(400, false, "PA", S + 1, C + 13, 509, b"Hello World!"),
            Seg(440, true, "A", C + 13, S + 13, 502, b""),
            Seg(50_000, true, "FA", C + 13, S + 13, 502, b""),
            Seg(50_100, false, "FA", S + 13, C + 14, 509, b""),
            Seg(50_140, true, "A", C + 14, S + 14, 502, b""),
        ],
    )
}

fn midstream() -> PathBuf {
    tcp_capture_between(
        "midstream",
        &[
            Seg(0, false, "PA", 7000, 9000, 501, b"HTTP/1.1 200 OK\r\n"),
            Seg(30, true, "A", 9000, 7017, 500, b""),
            Seg(60, false, "FA", 7017, 9000, 501, b""),
            Seg(90, true, "FA", 9000, 7018, 500, b""),
            Seg(120, false, "A", 7018, 9001, 501, b""),
        ],
        ([10, 0, 0, 1], 40123),
        ([10, 0, 0, 2], 80),
    )
}

fn wraparound() -> PathBuf {
    let c = u32::MAX - 10;
    tcp_capture(
        "wraparound",
        &[
            Seg(0, true, "S", c, 0, 64240, b""),
            Seg(40, false, "SA", S, c.wrapping_add(1), 65160, b""),
            Seg(80, true, "A", c.wrapping_add(1), S + 1, 502, b""),
            Seg(
                100,
                true,
                "PA",
                c.wrapping_add(1),
                S + 1,
                502,
                b"0123456789",
            ),
            Seg(
                120,
                true,
                "PA",
                c.wrapping_add(11),
                S + 1,
                502,
                b"abcdefghij",
            ),
            Seg(160, false, "A", S + 1, c.wrapping_add(21), 509, b""),
            Seg(200, true, "RA", c.wrapping_add(21), S + 1, 0, b""),
        ],
    )
}

fn syn_retransmission() -> PathBuf {
    tcp_capture(
        "syn-retransmission",
        &[
            Seg(0, true, "S", C, 0, 64240, b""),
            Seg(1_000_000, true, "S", C, 0, 64240, b""),
            Seg(1_000_050, false, "SA", S, C + 1, 65160, b""),
            Seg(1_000_100, true, "A", C + 1, S + 1, 502, b""),
            Seg(1_000_200, true, "RA", C + 1, S + 1, 0, b""),
        ],
    )
}

fn refused() -> PathBuf {
    tcp_capture_between(
        "refused",
        &[
            Seg(0, true, "S", C, 0, 64240, b""),
            Seg(30, false, "RA", 0, C + 1, 0, b""),
        ],
        CLIENT,
        ([10, 0, 0, 2], 9),
    )
}

fn simultaneous_close_capture() -> PathBuf {
    tcp_capture(
        "simultaneous-close",
        &[
            Seg(0, true, "S", C, 0, 64240, b""),
            Seg(40, false, "SA", S, C + 1, 65160, b""),
            Seg(80, true, "A", C + 1, S + 1, 502, b""),
            Seg(1000, true, "FA", C + 1, S + 1, 502, b""),
            Seg(1001, false, "FA", S + 1, C + 1, 509, b""),
            Seg(1040, true, "A", C + 2, S + 2, 502, b""),
            Seg(1041, false, "A", S + 2, C + 2, 509, b""),
        ],
    )
}

fn out_of_order_stream() -> PathBuf {
    tcp_capture(
        "reorder",
        &[
            Seg(0, true, "S", C, 0, 64240, b""),
            Seg(40, false, "SA", S, C + 1, 65160, b""),
            Seg(80, true, "A", C + 1, S + 1, 502, b""),
            Seg(100, true, "PA", C + 6, S + 1, 502, b"world"),
            Seg(110, true, "PA", C + 1, S + 1, 502, b"hello"),
            Seg(300_000, true, "PA", C + 1, S + 1, 502, b"hello"),
            Seg(300_100, false, "PA", S + 1, C + 11, 509, b"ok\x00\x01"),
        ],
    )
}

fn udp_capture() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("udp.pcap");
    let mk = |src: ([u8; 4], u16), dst: ([u8; 4], u16), p: &[u8]| {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src.0, dst.0, 64)
            .udp(src.1, dst.1)
            .write(&mut v, p)
            .unwrap();
        v
    };
    let c = ([10, 0, 0, 1], 41000);
    let s = ([10, 0, 0, 2], 53);
    write_pcap(
        &path,
        &[
            (0, mk(c, s, b"query")),
            (250, mk(s, c, b"answer")),
            (1000, mk(c, s, b"query 2")),
            (1300, mk(s, c, b"answer 2")),
        ],
    );
    path
}

fn render(path: &Path, r: &mut dyn Renderer) -> String {
    let mut src = FileSource::open(path.to_str().unwrap()).unwrap();
    let mut out = Vec::new();
    pipeline::run(&mut src, None, None, r, &mut out, Limits::default());
    String::from_utf8(out).unwrap()
}

fn ladder(path: &Path, opts: LadderOptions) -> String {
    render(path, &mut LadderRenderer::new(opts))
}

fn flows(path: &Path) -> String {
    render(path, &mut FlowsRenderer::new(false))
}

fn views(path: &Path) -> String {
    format!(
        "$ sockscope flows\n{}\n$ sockscope ladder\n{}",
        flows(path),
        ladder(path, LadderOptions::default())
    )
}

#[test]
fn full_connection() {
    let out = views(&full());
    assert!(out.contains("FIN by client"), "{out}");
    assert!(out.contains("ack 13 = 1 + 12 bytes received"), "{out}");
    insta::assert_snapshot!("full", out);
}

#[test]
fn full_connection_ascii_absolute_narrow() {
    let out = ladder(
        &full(),
        LadderOptions {
            width: 80,
            ascii: true,
            absolute: true,
            ..LadderOptions::default()
        },
    );
    assert!(out.is_ascii(), "{out}");
    assert!(out.contains("seq 0 (1000000)"), "{out}");
    insta::assert_snapshot!("full_ascii_absolute", out);
}

#[test]
fn mid_connection_start() {
    let out = views(&midstream());
    assert!(out.contains("roles guessed"), "{out}");
    insta::assert_snapshot!("midstream", out);
}

#[test]
fn sequence_wraparound() {
    let out = views(&wraparound());
    assert!(out.contains("seq 11:21"), "{out}");
    assert!(
        !out.contains('['),
        "no analysis event across the wrap: {out}"
    );
    insta::assert_snapshot!("wraparound", out);
}

#[test]
fn syn_retransmission_is_marked() {
    let out = views(&syn_retransmission());
    assert!(out.contains("[retransmission]"), "{out}");
    assert!(out.contains("the SYN is sent again"), "{out}");
    insta::assert_snapshot!("syn_retransmission", out);
}

#[test]
fn refused_connection() {
    let out = views(&refused());
    assert!(out.contains("refused"), "{out}");
    assert!(out.contains("nothing listens on port 9"), "{out}");
    insta::assert_snapshot!("refused", out);
}

#[test]
fn simultaneous_close() {
    let out = views(&simultaneous_close_capture());
    assert!(out.contains("CLOSING"), "{out}");
    assert!(out.contains("simultaneous"), "{out}");
    insta::assert_snapshot!("simultaneous_close", out);
}

#[test]
fn udp_request_response() {
    let out = views(&udp_capture());
    assert!(out.contains("2 req/resp"), "{out}");
    insta::assert_snapshot!("udp", out);
}

#[test]
fn incremental_layout_writes_arrows_as_packets_come() {
    let path = full();
    let mut r = LadderRenderer::new(LadderOptions {
        layout: Layout::Incremental,
        ..LadderOptions::default()
    });
    let mut src = FileSource::open(path.to_str().unwrap()).unwrap();
    let mut out = Vec::new();
    // After 3 packets, the header and the three handshake arrows are already written.
    pipeline::run(
        &mut src,
        None,
        None,
        &mut r,
        &mut out,
        Limits {
            count: Some(3),
            skip: 0,
        },
    );
    let text = String::from_utf8(out).unwrap();
    let arrows = text.lines().filter(|l| l.contains('▶') || l.contains('◀'));
    assert_eq!(arrows.count(), 3, "{text}");
    assert!(
        text.starts_with("#0 TCP 10.0.0.1:51000 ⇄ 10.0.0.2:7 (echo)"),
        "{text}"
    );
}

#[test]
fn follow_reassembles_out_of_order_and_retransmitted() {
    let path = out_of_order_stream();
    let text = render(
        &path,
        &mut FollowRenderer::new(0, FollowFormat::Text, false),
    );
    assert_eq!(
        text,
        "── client → server ──\nhelloworld\n── server → client ──\nok\\x00\\x01\n\
         ── end: client → server 10 bytes, server → client 4 bytes ──\n"
    );
    let hex = render(&path, &mut FollowRenderer::new(0, FollowFormat::Hex, false));
    assert!(hex.contains("00000000  68 65 6c 6c 6f "), "{hex}");
    assert!(hex.contains("00000005  77 6f 72 6c 64 "), "{hex}");
    let mut absent = FollowRenderer::new(5, FollowFormat::Text, false);
    assert_eq!(render(&path, &mut absent), "");
    assert_eq!(absent.found(), (false, 1));
}

/// Every capture bundled in captures/: golden flows table and ladder.
#[test]
fn bundled_captures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    files.sort();
    assert!(!files.is_empty(), "no capture in {}", dir.display());
    for f in &files {
        let mut stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        // A lesson has a packets-only .pcap and a .pcapng that also holds its socket calls:
        // the second one's snapshots are named apart.
        if f.extension().is_some_and(|e| e == "pcapng") && f.with_extension("pcap").is_file() {
            stem.push_str("_pcapng");
        }
        let mut out = Vec::new();
        writeln!(out, "$ sockscope flows captures/{stem}").unwrap();
        out.extend(flows(f).into_bytes());
        insta::assert_snapshot!(
            format!("capture_flows_{stem}"),
            String::from_utf8(out).unwrap()
        );
        insta::assert_snapshot!(
            format!("capture_ladder_{stem}"),
            ladder(f, LadderOptions::default())
        );
    }
}

/// `--ascii` spells out every non-ASCII character the ladder prints (`≥`, `§` in the notes ...):
/// over every bundled capture, a `?` appears only where the drawn ladder has one too.
#[test]
fn ascii_ladders_spell_out_every_character() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let f = e.unwrap().path();
        if !f.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
            continue;
        }
        let ascii = LadderOptions {
            ascii: true,
            ..LadderOptions::default()
        };
        let (drawn, plain) = (ladder(&f, LadderOptions::default()), ladder(&f, ascii));
        assert!(plain.is_ascii(), "{}", f.display());
        let marks = |s: &str| s.matches('?').count();
        assert_eq!(marks(&plain), marks(&drawn), "{}:\n{plain}", f.display());
        n += 1;
    }
    assert!(n > 10, "{n} captures");
}

#[test]
fn incremental_layout_tags_interleaved_conversations() {
    // Two conversations whose packets interleave, as a live capture would deliver them.
    let a = |t, fc, fl, sq, ak| Seg(t, fc, fl, sq, ak, 502, b"");
    let one = [
        a(0, true, "S", C, 0),
        a(20, false, "SA", S, C + 1),
        a(40, true, "A", C + 1, S + 1),
    ];
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interleaved.pcap");
    let other = ([10, 0, 0, 3], 52000);
    let mut frames = Vec::new();
    for s in &one {
        frames.push((s.0, frame(s, CLIENT, SERVER)));
        frames.push((s.0 + 5, frame(s, other, SERVER)));
    }
    write_pcap(&path, &frames);
    let out = ladder(
        &path,
        LadderOptions {
            layout: Layout::Incremental,
            ..LadderOptions::default()
        },
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("#0 TCP 10.0.0.1:51000"), "{out}");
    assert!(out.contains("#1 TCP 10.0.0.3:52000"), "{out}");
    // Every arrow says which conversation it belongs to.
    for l in lines.iter().filter(|l| l.contains('▶') || l.contains('◀')) {
        assert!(l.trim_start().starts_with('#'), "{l}");
    }
    insta::assert_snapshot!("incremental_interleaved", out);
}

/// `sockscope follow` over the bundled TCP recordings: the byte stream of conversation 0, as
/// text and (for one) as hex.
#[test]
fn follow_golden_over_bundled_captures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let run = |file: &str, extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
            .arg("follow")
            .arg(dir.join(file))
            .args(["--flow", "0", "--color", "never"])
            .args(extra)
            .env("TZ", "UTC")
            .output()
            .expect("sockscope runs");
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    for file in [
        "synthetic-handshake.pcap",
        "lesson-echo.pcap",
        "lesson-half-close.pcap",
        "lesson-http.pcap",
    ] {
        let text = run(file, &[]);
        assert!(text.contains("── client → server ──"), "{file}: {text}");
        insta::assert_snapshot!(format!("follow_{file}"), text);
    }
    let hex = run("lesson-echo.pcap", &["--hex"]);
    insta::assert_snapshot!("follow_hex_lesson-echo.pcap", hex);
}
