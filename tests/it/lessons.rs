//! `sockscope lesson`: the list, usage errors, every lesson played from its bundled recording
//! (golden output, insta snapshots `it__lessons__recorded__<name>.snap`), the one-line notice
//! without CAP_NET_RAW, and every lesson run live when this process may capture (root in CI):
//! the live runs are checked by the packets they record (`--record`), not by their text.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use sockscope::decode::{Transport, decode};
use sockscope::source::{FileSource, Source};

use crate::support::{self, has_cap_net_raw};

/// The lessons the issue asks for, in the order of the list.
const LESSONS: [&str; 12] = [
    "handshake",
    "echo",
    "udp",
    "concurrent",
    "http",
    "refused",
    "reset",
    "half-close",
    "ipv6",
    "loss",
    "flow-control",
    "raw-socket",
];

fn sockscope() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sockscope"));
    c.env("TZ", "UTC").env_remove("NO_COLOR");
    c
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("output is UTF-8")
}

pub(crate) fn run(args: &[&str]) -> Output {
    sockscope().args(args).output().expect("sockscope runs")
}

#[test]
fn lesson_alone_lists_every_lesson_one_line_each() {
    let out = run(&["lesson"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1 + LESSONS.len(), "{stdout}");
    assert!(lines[0].starts_with("Lessons"), "{stdout}");
    for (line, name) in lines[1..].iter().zip(LESSONS) {
        let (first, summary) = line.split_once(' ').expect("name and summary");
        assert_eq!(first, name, "{stdout}");
        assert!(summary.trim().len() > 20, "a real summary: {line}");
    }
}

#[test]
fn an_unknown_lesson_is_a_usage_error_that_lists_the_names() {
    let out = run(&["lesson", "handshak"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no lesson called \"handshak\""), "{stderr}");
    for name in LESSONS {
        assert!(stderr.contains(&format!("\n{name} ")), "{name} in {stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn a_negative_speed_is_a_usage_error() {
    let out = run(&["lesson", "udp", "--recorded", "--speed", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--speed must be"));
}

#[test]
fn a_missing_recording_names_the_file() {
    let empty = std::env::temp_dir().join(format!("sockscope-no-captures-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = sockscope()
        .args(["lesson", "reset", "--recorded"])
        .env("SOCKSCOPE_CAPTURES", &empty)
        .output()
        .unwrap();
    std::fs::remove_dir(&empty).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let file = empty.join("lesson-reset.pcapng");
    assert!(
        stderr.contains(&format!("the recording {} is missing", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("scripts/record-captures.sh"), "{stderr}");
}

/// `sockscope lesson NAME --recorded --speed 0`: stdout, after checking the one-line notice.
fn recorded(name: &str) -> String {
    let out = run(&["lesson", name, "--recorded", "--speed", "0"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "lesson {name}: {stderr}");
    assert_eq!(
        stderr,
        format!("sockscope: playing the recording lesson-{name}.pcapng (--recorded)\n")
    );
    text(&out.stdout)
}

#[test]
fn every_lesson_plays_from_its_recording() {
    for name in LESSONS {
        let out = recorded(name);
        assert!(out.contains("What happened:"), "{out}");
        insta::assert_snapshot!(format!("recorded__{name}"), out);
    }
}

#[test]
fn a_recording_plays_at_a_teaching_pace_when_asked() {
    // About a second per event, divided by --speed; the recording's own gaps (about 0.6 s
    // in all here) are shorter than the pauses. Piped without --speed: no pauses at all.
    let events = packet_times(&captures().join("lesson-handshake.pcapng")).len() as f64;
    assert!(events > 20.0, "{events} events");
    let start = Instant::now();
    let out = run(&["lesson", "handshake", "--recorded", "--speed", "40"]);
    assert!(out.status.success());
    let at_40 = start.elapsed().as_secs_f64();
    assert!(at_40 >= (events - 1.0) / 40.0 * 0.95, "{at_40} s");
    let start = Instant::now();
    let out = run(&["lesson", "handshake", "--recorded"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("played without pauses (the output is not a terminal"));
    assert!(start.elapsed().as_secs_f64() < at_40);
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn packet_times(path: &Path) -> Vec<f64> {
    let mut src = FileSource::open(path.to_str().unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        v.push(f.ts.sec as f64 + f.ts.nsec as f64 / 1e9);
    }
    v
}

/// Runs sockscope without CAP_NET_RAW: as root, with CAP_NET_RAW dropped from the bounding
/// set (so the child cannot have it). `None` (the test skips) when that needs a missing
/// setpriv.
fn run_unprivileged(args: &[&str]) -> Option<Output> {
    let mut c = if has_cap_net_raw() {
        if !support::tool("setpriv") {
            return None;
        }
        let mut c = Command::new("setpriv");
        c.args(["--bounding-set", "-net_raw", "--"])
            .arg(env!("CARGO_BIN_EXE_sockscope"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_sockscope"))
    };
    let out = c
        .args(args)
        .env("TZ", "UTC")
        .env_remove("NO_COLOR")
        .output();
    Some(out.expect("sockscope runs"))
}

#[test]
fn without_cap_net_raw_one_line_says_so_and_the_recording_plays() {
    let Some(out) = run_unprivileged(&["lesson", "refused", "--speed", "0"]) else {
        return;
    };
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no CAP_NET_RAW")
            && stderr.contains("lesson-refused.pcapng")
            && stderr.contains(&format!(
                "sudo setcap cap_net_raw+eip {}",
                env!("CARGO_BIN_EXE_sockscope")
            )),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), recorded("refused"));
}

#[test]
fn record_without_cap_net_raw_is_a_usage_error() {
    let Some(out) = run_unprivileged(&["lesson", "refused", "--record", "/dev/null"]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("needs CAP_NET_RAW"));
}

// ---- live ----

/// A port free for TCP and UDP on `host`, below the ephemeral range, different for each call
/// in this process so that live tests running at once never share one.
fn free_port(host: IpAddr) -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 400) as u16 * 20;
    for _ in 0..8_000 {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 8_000;
        if TcpListener::bind((host, port)).is_ok() && UdpSocket::bind((host, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on {host} between {base} and {}", base + 8_000);
}

/// One TCP segment or UDP datagram of a live lesson, as its recording has it.
#[derive(Debug)]
struct Seg {
    tcp: bool,
    v6: bool,
    /// Sent to the lesson's port (by a client).
    to_server: bool,
    client_port: u16,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
    payload: Vec<u8>,
}

/// Runs `sockscope lesson NAME` live with `--record`, and returns its stdout and the packets.
fn live(name: &str, host: IpAddr) -> (String, Vec<Seg>) {
    let port = free_port(host);
    let rec = std::env::temp_dir().join(format!(
        "sockscope-live-{name}-{}-{port}.pcapng",
        std::process::id()
    ));
    let mut child = sockscope()
        .args(["lesson", name, "--port", &port.to_string(), "--record"])
        .arg(&rec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Generous: the machine may be loaded; a lesson takes about a second.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lesson {name} did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "lesson {name} failed: {}\n{stdout}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("Live: capturing on lo, port {port}, with ")),
        "{stdout}"
    );
    assert!(stdout.contains("What happened:"), "{stdout}");
    let mut src = FileSource::open(rec.to_str().unwrap()).unwrap();
    let mut segs = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        // The demo's socket calls travel as LINKTYPE_USER0 frames beside the packets.
        if f.link.0 == 147 {
            continue;
        }
        let p = decode(&f);
        let (sp, dp) = p.ports().expect("only TCP and UDP are captured");
        assert!(
            sp == port || dp == port,
            "lesson {name}: packet {sp} → {dp} is not on port {port}"
        );
        assert_eq!(p.src_ip(), Some(host));
        let (tcp, flags) = match &p.transport {
            Transport::Tcp(t) => (true, Some(t.flags)),
            Transport::Udp(_) => (false, None),
            other => panic!("lesson {name}: unexpected {other:?}"),
        };
        segs.push(Seg {
            tcp,
            v6: host.is_ipv6(),
            to_server: dp == port,
            client_port: if dp == port { sp } else { dp },
            syn: flags.is_some_and(|f| f.syn()),
            ack: flags.is_some_and(|f| f.ack()),
            fin: flags.is_some_and(|f| f.fin()),
            rst: flags.is_some_and(|f| f.rst()),
            payload: p.payload.to_vec(),
        });
    }
    std::fs::remove_file(&rec).unwrap();
    (stdout, segs)
}

fn count(segs: &[Seg], pred: impl Fn(&Seg) -> bool) -> usize {
    segs.iter().filter(|s| pred(s)).count()
}

fn bytes(segs: &[Seg], to_server: bool) -> Vec<u8> {
    segs.iter()
        .filter(|s| s.to_server == to_server)
        .flat_map(|s| s.payload.iter().copied())
        .collect()
}

/// One connection: one SYN, one SYN-ACK, data both ways, then the teardown `end` checks.
fn one_connection(segs: &[Seg], sent: &[u8], received: &[u8]) {
    assert!(segs.iter().all(|s| s.tcp), "{segs:#?}");
    assert_eq!(count(segs, |s| s.syn && !s.ack), 1, "{segs:#?}");
    assert_eq!(count(segs, |s| s.syn && s.ack), 1, "{segs:#?}");
    assert!(
        segs[0].syn && !segs[0].ack && segs[0].to_server,
        "{segs:#?}"
    );
    assert!(
        segs[1].syn && segs[1].ack && !segs[1].to_server,
        "{segs:#?}"
    );
    assert_eq!(bytes(segs, true), sent);
    assert_eq!(bytes(segs, false), received);
}

fn fin_teardown(segs: &[Seg], first_fin_from_client: bool) {
    assert_eq!(count(segs, |s| s.rst), 0, "{segs:#?}");
    assert_eq!(count(segs, |s| s.fin && s.to_server), 1, "{segs:#?}");
    assert_eq!(count(segs, |s| s.fin && !s.to_server), 1, "{segs:#?}");
    let first = segs.iter().find(|s| s.fin).unwrap();
    assert_eq!(first.to_server, first_fin_from_client, "{segs:#?}");
    // The last ACK, after both FINs.
    let last = segs.last().unwrap();
    assert!(
        last.ack && !last.fin && last.payload.is_empty(),
        "{segs:#?}"
    );
}

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

macro_rules! live_test {
    ($test:ident, $name:literal, $host:expr, |$out:ident, $segs:ident| $check:block) => {
        #[test]
        fn $test() {
            if !support::cap_net_raw() || ($host == V6 && !support::ipv6_loopback()) {
                return;
            }
            let ($out, $segs) = live($name, $host);
            $check
        }
    };
}

live_test!(live_handshake, "handshake", V4, |out, segs| {
    one_connection(&segs, b"hello\n", b"hello\n");
    fin_teardown(&segs, true);
    // 3 for the handshake, 2 data, 2 or 3 FIN and ACKs, 0 to 2 pure ACKs of data (an ACK
    // may ride on the echo, or be delayed onto it under load).
    assert!((8..=12).contains(&segs.len()), "{segs:#?}");
    assert!(out.contains("» connect("), "{out}");
    assert!(out.contains("client [pid "), "{out}");
});

live_test!(live_echo, "echo", V4, |out, segs| {
    one_connection(&segs, b"one\ntwo\nthree\n", b"one\ntwo\nthree\n");
    fin_teardown(&segs, true);
    assert!(
        out.contains("client → server 14 bytes in 3 segments"),
        "{out}"
    );
});

live_test!(live_udp, "udp", V4, |_out, segs| {
    assert!(segs.iter().all(|s| !s.tcp), "{segs:#?}");
    let payloads: Vec<&[u8]> = segs.iter().map(|s| &s.payload[..]).collect();
    assert_eq!(
        payloads,
        [
            &b"hello"[..],
            b"HELLO",
            b"sockets are fun",
            b"SOCKETS ARE FUN"
        ]
    );
    assert!(segs[0].to_server && !segs[1].to_server, "{segs:#?}");
});

live_test!(live_concurrent, "concurrent", V4, |_out, segs| {
    let syns: BTreeSet<u16> = segs
        .iter()
        .filter(|s| s.syn && !s.ack)
        .map(|s| s.client_port)
        .collect();
    assert_eq!(count(&segs, |s| s.syn && !s.ack), 3, "{segs:#?}");
    assert_eq!(syns.len(), 3, "three different ephemeral ports: {syns:?}");
    assert_eq!(count(&segs, |s| s.syn && s.ack), 3, "{segs:#?}");
    assert_eq!(count(&segs, |s| s.fin), 6, "{segs:#?}");
    assert_eq!(count(&segs, |s| s.rst), 0, "{segs:#?}");
    for (port, name) in syns.iter().zip(["alice", "bob", "carol"]) {
        let conn: Vec<&Seg> = segs.iter().filter(|s| s.client_port == *port).collect();
        let sent: Vec<u8> = conn
            .iter()
            .filter(|s| s.to_server)
            .flat_map(|s| s.payload.clone())
            .collect();
        assert_eq!(sent, format!("{name}\n").as_bytes());
        let reply: Vec<u8> = conn
            .iter()
            .filter(|s| !s.to_server)
            .flat_map(|s| s.payload.clone())
            .collect();
        let reply = String::from_utf8(reply).unwrap();
        assert!(
            reply.starts_with('[') && reply.ends_with(&format!("] {name}\n")),
            "{reply:?}"
        );
    }
});

live_test!(live_http, "http", V4, |_out, segs| {
    assert_eq!(count(&segs, |s| s.syn && !s.ack), 1, "{segs:#?}");
    let request = String::from_utf8(bytes(&segs, true)).unwrap();
    assert!(
        request.starts_with("GET /index.html HTTP/1.1\r\n"),
        "{request:?}"
    );
    let response = String::from_utf8(bytes(&segs, false)).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
    assert!(response.ends_with("<p>Hello from the http demo.</p>\n"));
    assert_eq!(count(&segs, |s| s.fin), 2, "{segs:#?}");
    assert_eq!(count(&segs, |s| s.rst), 0, "{segs:#?}");
});

live_test!(live_refused, "refused", V4, |out, segs| {
    assert_eq!(segs.len(), 2, "{segs:#?}");
    assert!(segs[0].syn && !segs[0].ack && segs[0].to_server);
    assert!(segs[1].rst && !segs[1].to_server && !segs[1].syn);
    assert!(out.contains("ECONNREFUSED"), "{out}");
});

live_test!(live_reset, "reset", V4, |out, segs| {
    one_connection(&segs, b"hello\n", b"hello\n");
    assert_eq!(count(&segs, |s| s.fin), 0, "{segs:#?}");
    let last = segs.last().unwrap();
    assert!(last.rst && last.to_server, "{segs:#?}");
    assert_eq!(count(&segs, |s| s.rst), 1, "{segs:#?}");
    assert!(out.contains("ECONNRESET"), "{out}");
});

live_test!(live_half_close, "half-close", V4, |out, segs| {
    one_connection(&segs, b"one\ntwo\n", b"one\ntwo\n");
    fin_teardown(&segs, true);
    assert!(out.contains("shutdown(SHUT_WR)"), "{out}");
});

live_test!(live_ipv6, "ipv6", V6, |_out, segs| {
    assert!(segs.iter().all(|s| s.v6));
    one_connection(&segs, b"hello\n", b"hello\n");
    fin_teardown(&segs, true);
});

/// The setcap hint works: a copy of the binary given CAP_NET_RAW runs a live lesson as an
/// ordinary user (tcpdump gets the capability through the ambient set).
#[test]
fn setcap_lets_an_ordinary_user_run_a_lesson_live() {
    if !support::cap_net_raw()
        || !support::root("to run the copy as another user")
        || !support::tool("setcap")
        || !support::tool("setpriv")
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sockscope-setcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("sockscope");
    support::copy_executable(Path::new(env!("CARGO_BIN_EXE_sockscope")), &exe);
    let set = Command::new("setcap")
        .arg("cap_net_raw+eip")
        .arg(&exe)
        .output()
        .unwrap();
    let took = set.status.success();
    if !took {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let why = format!("setcap said: {}", text(&set.stderr).trim());
    if !support::file_capabilities(&dir, took, &why) {
        return;
    }
    let port = free_port(V4).to_string();
    let run = || {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe)
            .args(["lesson", "refused", "--port", &port])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    // A process forked by another test while the copy was open for writing may hold that fd
    // until its own exec, and exec of the copy then fails with ETXTBSY: try again a little later.
    let mut out = run();
    for _ in 0..20 {
        if !text(&out.stderr).contains("Text file busy") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        out = run();
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let honoured = !stderr.contains("no CAP_NET_RAW");
    let why = "the copy ran without CAP_NET_RAW: is the file system mounted nosuid?";
    if !support::file_capabilities(&dir, honoured, why) {
        return;
    }
    assert!(stderr.is_empty(), "not live: {stderr}");
    assert!(
        stdout.contains(&format!("Live: capturing on lo, port {port}")),
        "{stdout}"
    );
    assert!(stdout.contains("refused (SYN answered by RST)"), "{stdout}");
}
