//! Live capture on loopback, for real: each test opens traffic of its own (ephemeral ports) and
//! checks what `sockscope live` captured. Other programs may talk on `lo` at the same time, so
//! every check selects the test's own packets by port.
//!
//! Without CAP_NET_RAW (or root, setpriv, tcpdump… where a test needs them) a test prints a
//! SKIP line and returns, or fails when `CI` is set; CI runs as root.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockscope::decode::{Transport, decode};
use sockscope::source::live::{CaptureSource, LiveConfig, LiveSource, SockFilter};
use sockscope::source::{FileSource, Source, Timestamp};

use crate::support::{self, cap_net_raw as can_capture};

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sockscope-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Takes the child's stderr and reads it until the capturer says it is listening (its socket
/// is bound); returns the reader and what was read.
fn wait_listening(child: &mut Child) -> (BufReader<std::process::ChildStderr>, String) {
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut head = String::new();
    while !head.contains("listening on") && err.read_line(&mut head).unwrap() > 0 {}
    (err, head)
}

/// A running `sockscope live`, its stdout drained by a thread so it never blocks on a pipe.
struct Live {
    child: Child,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: BufReader<std::process::ChildStderr>,
    head: String,
}

/// What a finished capture left.
struct Finished {
    code: Option<i32>,
    /// Standard output as text, and as it came (`-w -` writes binary pcap there).
    stdout: String,
    raw_stdout: Vec<u8>,
    stderr: String,
}

impl Live {
    /// Starts a capture on lo and waits until its socket is bound ("listening on" on stderr).
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Live {
        let mut cmd = Command::new(BIN);
        cmd.arg("live")
            .args(args)
            .env("TZ", "UTC")
            .env_remove("SUDO_USER")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut v = Vec::new();
            out.read_to_end(&mut v).unwrap();
            v
        });
        let (stderr, head) = wait_listening(&mut child);
        Live {
            child,
            stdout: Some(stdout),
            stderr,
            head,
        }
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
    }

    fn wait(mut self) -> Finished {
        let status = self.child.wait().unwrap();
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        let raw_stdout = self.stdout.take().unwrap().join().unwrap();
        Finished {
            code: status.code(),
            stdout: String::from_utf8_lossy(&raw_stdout).into_owned(),
            raw_stdout,
            stderr: self.head + &rest,
        }
    }

    /// SIGTERM, then wait.
    fn stop(self) -> Finished {
        // Let the last packets reach the socket before stopping.
        std::thread::sleep(Duration::from_millis(50));
        self.signal(libc::SIGTERM);
        self.wait()
    }
}

/// Runs `traffic` while `sockscope live -w FILE ARGS` captures on lo, stops the capture with
/// SIGTERM and checks that it ended cleanly. Returns the file, what `traffic` returned and the
/// capture's output.
fn capture_to_file<T>(
    name: &str,
    args: &[&str],
    traffic: impl FnOnce() -> T,
) -> (PathBuf, T, Finished) {
    let file = temp_dir(name).join("c.pcap");
    let live = {
        let mut all = vec!["-w", file.to_str().unwrap()];
        all.extend_from_slice(args);
        Live::start(&all, &[])
    };
    let t = traffic();
    let done = live.stop();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    (file, t, done)
}

/// One captured packet, reduced to what the tests check.
#[derive(Clone, Debug)]
struct Seen {
    ts: Timestamp,
    src: SocketAddr,
    dst: SocketAddr,
    tcp: Option<(u16, u32, u32)>, // flags, seq, ack
    payload: Vec<u8>,
    captured: usize,
    orig_len: u32,
}

/// The TCP/UDP packets of a capture file that have `port` at either end.
fn packets_with_port(file: &Path, port: u16) -> Vec<Seen> {
    let mut src = FileSource::open(file.to_str().unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        let p = decode(&f);
        let (Some(sip), Some(dip)) = (p.src_ip(), p.dst_ip()) else {
            continue;
        };
        let (sp, dp, tcp) = match &p.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, Some((t.flags.0, t.seq, t.ack))),
            Transport::Udp(u) => (u.src_port, u.dst_port, None),
            _ => continue,
        };
        if sp != port && dp != port {
            continue;
        }
        v.push(Seen {
            ts: p.ts,
            src: SocketAddr::new(sip, sp),
            dst: SocketAddr::new(dip, dp),
            tcp,
            payload: p.payload.to_vec(),
            captured: f.data.len(),
            orig_len: f.orig_len,
        });
    }
    v
}

const SYN: u16 = 0x002;
const ACK: u16 = 0x010;

/// Connects to a listener on `addr`, accepts, then closes both ends; returns the server port.
fn handshake(addr: &str) -> SocketAddr {
    let listener = TcpListener::bind(addr).unwrap();
    let server = listener.local_addr().unwrap();
    let client = TcpStream::connect(server).unwrap();
    let (accepted, _) = listener.accept().unwrap();
    drop(client);
    drop(accepted);
    server
}

fn check_handshake(file: &Path, server: SocketAddr) {
    let pkts = packets_with_port(file, server.port());
    let tcp = |p: &Seen| p.tcp.unwrap();
    let syns: Vec<_> = pkts
        .iter()
        .filter(|p| tcp(p).0 & (SYN | ACK) == SYN)
        .collect();
    let synacks: Vec<_> = pkts
        .iter()
        .filter(|p| tcp(p).0 & (SYN | ACK) == SYN | ACK)
        .collect();
    assert_eq!(syns.len(), 1, "exactly one SYN: {pkts:#?}");
    assert_eq!(synacks.len(), 1, "exactly one SYN-ACK: {pkts:#?}");
    let (syn, synack) = (syns[0], synacks[0]);
    assert_eq!(syn.dst, server);
    assert_eq!(synack.src, server);
    assert_eq!(synack.dst, syn.src);
    assert_eq!(
        tcp(synack).2,
        tcp(syn).1.wrapping_add(1),
        "SYN-ACK acks ISN+1"
    );
    // The handshake's ACK: client → server, only ACK, acking the server's ISN+1.
    let acks: Vec<_> = pkts
        .iter()
        .filter(|p| {
            p.src == syn.src
                && tcp(p).0 == ACK
                && tcp(p).1 == tcp(syn).1.wrapping_add(1)
                && tcp(p).2 == tcp(synack).1.wrapping_add(1)
                && p.payload.is_empty()
        })
        .collect();
    assert_eq!(acks.len(), 1, "exactly one handshake ACK: {pkts:#?}");
    assert!(
        syn.ts <= synack.ts && synack.ts <= acks[0].ts,
        "in time order"
    );
}

#[test]
fn tcp_handshake_on_127_0_0_1_each_segment_once() {
    if !can_capture() {
        return;
    }
    let (file, server, _) = capture_to_file("hs4", &[], || handshake("127.0.0.1:0"));
    check_handshake(&file, server);
}

#[test]
fn tcp_handshake_on_ipv6_loopback_each_segment_once() {
    if !can_capture() {
        return;
    }
    if !support::ipv6_loopback() {
        return;
    }
    let (file, server, _) = capture_to_file("hs6", &[], || handshake("[::1]:0"));
    check_handshake(&file, server);
}

#[test]
fn udp_exchange_is_captured_both_ways_once() {
    if !can_capture() {
        return;
    }
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (file, (), _) = capture_to_file("udp", &[], || {
        client
            .send_to(b"ping", server.local_addr().unwrap())
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        server.send_to(b"pong", from).unwrap();
        client.recv_from(&mut buf).unwrap();
    });
    let pkts = packets_with_port(&file, server.local_addr().unwrap().port());
    assert_eq!(pkts.len(), 2, "{pkts:#?}");
    assert_eq!(pkts[0].payload, b"ping");
    assert_eq!(pkts[0].src, client.local_addr().unwrap());
    assert_eq!(pkts[1].payload, b"pong");
    assert_eq!(pkts[1].dst, client.local_addr().unwrap());
}

#[test]
fn printed_lines_equal_the_replay_of_the_written_file() {
    if !can_capture() {
        return;
    }
    let (file, _, done) = capture_to_file("replay", &["--print", "--format", "tcpdump"], || {
        handshake("127.0.0.1:0")
    });
    let replay = Command::new(BIN)
        .args(["replay", file.to_str().unwrap(), "--format", "tcpdump"])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(replay.status.success());
    let replayed = String::from_utf8(replay.stdout).unwrap();
    assert!(replayed.lines().count() >= 3, "{replayed}");
    assert_eq!(done.stdout, replayed);
}

/// Sends a UDP datagram to a discard socket every 10 ms until `child` exits (at most 10 s).
fn traffic_until_exit(child: &mut Child) {
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        tx.send_to(b"tick", sink.local_addr().unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `sockscope live ARGS` (which must end by itself, e.g. with -c) while sending traffic,
/// and checks that it ended cleanly.
fn capture_until_exit(args: &[&str]) -> Finished {
    let mut live = Live::start(args, &[]);
    traffic_until_exit(&mut live.child);
    let done = live.wait();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    done
}

#[test]
fn count_three_stops_after_three_packets() {
    if !can_capture() {
        return;
    }
    let done = capture_until_exit(&["-c", "3", "--format", "tcpdump"]);
    assert_eq!(done.stdout.lines().count(), 3, "{}", done.stdout);
    assert!(
        done.stderr.contains("\n3 packets captured\n"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains(" packets received by filter\n"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains(" packets dropped by kernel\n"),
        "{}",
        done.stderr
    );
}

#[test]
fn sigterm_leaves_a_complete_file_tcpdump_and_tshark_read() {
    if !can_capture() {
        return;
    }
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (file, (), done) = capture_to_file("sigterm", &[], || {
        for _ in 0..200 {
            tx.send_to(&[7u8; 100], sink.local_addr().unwrap()).unwrap();
        }
    });
    let captured: u64 = done
        .stderr
        .lines()
        .find_map(|l| l.strip_suffix(" packets captured"))
        .expect("the captured count")
        .parse()
        .unwrap();
    assert!(captured >= 200, "{}", done.stderr);
    assert_eq!(
        packets_with_port(&file, sink.local_addr().unwrap().port()).len(),
        200
    );
    for (tool, args) in [("tcpdump", vec!["-n", "-r"]), ("tshark", vec!["-n", "-r"])] {
        if !support::tool(tool) {
            continue;
        }
        let out = Command::new(tool).args(&args).arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
        assert_eq!(lines, captured, "{tool} reads every packet");
    }
}

#[test]
fn timestamps_and_counts_agree_with_tcpdump() {
    if !can_capture() || !support::tool("tcpdump") {
        return;
    }
    let dir = temp_dir("tcpdump");
    let (ours, theirs) = (dir.join("ours.pcap"), dir.join("tcpdump.pcap"));
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let mut tcpdump = Command::new("tcpdump")
        .args([
            "-i",
            "lo",
            "-n",
            "-Z",
            "root",
            // without it tcpdump loses the packets of a block not yet full at SIGINT
            "--immediate-mode",
            "--time-stamp-precision=nano",
            "-w",
        ])
        .arg(&theirs)
        .args(["udp", "port", &port.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _tcpdump_stderr = wait_listening(&mut tcpdump);
    let live = Live::start(&["-w", ours.to_str().unwrap()], &[]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..100u32 {
        tx.send_to(&i.to_be_bytes(), ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    let done = live.stop();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(tcpdump.id() as libc::pid_t, libc::SIGINT) };
    tcpdump.wait().unwrap();

    let a = packets_with_port(&ours, port);
    let b = packets_with_port(&theirs, port);
    assert_eq!(a.len(), 100, "sockscope captured each datagram once");
    assert_eq!(a.len(), b.len(), "same count as tcpdump");
    let mut worst = 0i128;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.payload, y.payload, "same order");
        let d = x.ts.nanos_since(y.ts).abs();
        worst = worst.max(d);
        assert!(d <= 100_000, "{:?} vs tcpdump {:?}", x.ts, y.ts);
    }
    println!("largest timestamp difference from tcpdump: {worst} ns");
}

#[test]
fn two_mib_tcp_transfer_has_no_hole_and_big_frames_are_whole() {
    if !can_capture() {
        return;
    }
    const SIZE: usize = 2 << 20;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let server = listener.local_addr().unwrap();
    let (file, (), _) = capture_to_file("bulk", &[], || {
        let reader = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut all = Vec::new();
            s.read_to_end(&mut all).unwrap();
            all.len()
        });
        let mut client = TcpStream::connect(server).unwrap();
        let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        client.write_all(&data).unwrap();
        drop(client);
        assert_eq!(reader.join().unwrap(), SIZE);
    });

    let pkts = packets_with_port(&file, server.port());
    let to_server: Vec<_> = pkts.iter().filter(|p| p.dst == server).collect();
    let isn = to_server
        .iter()
        .find(|p| p.tcp.unwrap().0 & SYN != 0)
        .expect("the SYN")
        .tcp
        .unwrap()
        .1;
    let mut ranges: Vec<(u32, u32)> = to_server
        .iter()
        .filter(|p| !p.payload.is_empty())
        .map(|p| {
            let rel = p.tcp.unwrap().1.wrapping_sub(isn).wrapping_sub(1);
            (rel, rel + p.payload.len() as u32)
        })
        .collect();
    ranges.sort();
    let mut covered = 0u32;
    for (start, end) in &ranges {
        assert!(
            *start <= covered,
            "hole in the sequence space at {covered}..{start}"
        );
        covered = covered.max(*end);
    }
    assert_eq!(covered as usize, SIZE, "every byte was captured");
    for p in &pkts {
        assert_eq!(p.captured as u32, p.orig_len, "frames are captured whole");
    }
    let biggest = pkts.iter().map(|p| p.orig_len).max().unwrap();
    println!("largest frame of the transfer: {biggest} bytes");
    assert!(
        biggest > 1514,
        "loopback sends frames bigger than Ethernet's"
    );
}

/// A copy of the binary in a fresh world-readable directory, so `nobody` can run it wherever
/// the build tree is (CI may build under a private home directory).
fn binary_for_nobody(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let bin = dir.join("sockscope");
    support::copy_executable(Path::new(BIN), &bin);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Runs `bin args` as nobody:nogroup with no capabilities inherited.
fn as_nobody(bin: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--inh-caps=-all",
    ])
    .arg(bin)
    .args(args);
    c
}

#[test]
fn without_cap_net_raw_the_error_says_how_to_get_it() {
    if !support::root("to run the binary as nobody") || !support::tool("setpriv") {
        return;
    }
    let bin = binary_for_nobody("nocap");
    let out = as_nobody(&bin, &["live", "-c", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    let path = std::fs::canonicalize(&bin).unwrap();
    assert!(
        err.contains(&format!("sudo setcap cap_net_raw+eip {}\n", path.display())),
        "{err}"
    );
    assert!(err.contains("sockscope replay captures/"), "{err}");
}

#[test]
fn cap_net_raw_alone_is_enough_to_capture() {
    if !can_capture()
        || !support::root("to run the binary as nobody")
        || !support::tool("setcap")
        || !support::tool("setpriv")
    {
        return;
    }
    let bin = binary_for_nobody("setcap");
    let setcap = Command::new("setcap")
        .args(["cap_net_raw+eip"])
        .arg(&bin)
        .output()
        .unwrap();
    let dir = bin.parent().unwrap();
    let why = format!(
        "setcap said: {}",
        String::from_utf8_lossy(&setcap.stderr).trim()
    );
    if !support::file_capabilities(dir, setcap.status.success(), &why) {
        return;
    }
    let file = bin.with_file_name("c.pcap");
    let mut child = as_nobody(&bin, &["live", "-c", "2", "-w", file.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut err, mut head) = wait_listening(&mut child);
    // Once the socket is open the capability is given up.
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    for set in ["CapEff:", "CapPrm:"] {
        let line = status.lines().find(|l| l.starts_with(set)).unwrap();
        assert!(line.ends_with("0000000000000000"), "{line}");
    }
    traffic_until_exit(&mut child);
    let status = child.wait().unwrap();
    err.read_to_string(&mut head).unwrap();
    assert_eq!(status.code(), Some(0), "{head}");
    assert!(head.contains("\n2 packets captured\n"), "{head}");
    assert_eq!(packets_with_port_count(&file), 2);
}

#[test]
fn unknown_interface_lists_the_interfaces() {
    let out = Command::new(BIN)
        .args(["live", "-i", "no-such-if0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no interface named \"no-such-if0\""), "{err}");
    assert!(err.contains(": lo  up"), "the listing names lo: {err}");
}

#[test]
fn interfaces_lists_loopback_with_its_addresses() {
    let out = Command::new(BIN).arg("interfaces").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(": lo  up, running, loopback\n"), "{text}");
    assert!(text.contains("    inet 127.0.0.1/8\n"), "{text}");
}

#[test]
fn sudo_user_owns_the_file_and_root_is_dropped() {
    if !can_capture() || !support::root("to become the sudo user") {
        return;
    }
    let dir = temp_dir("drop");
    let file = dir.join("c.pcap");
    let mut live = Live::start(
        &["-w", file.to_str().unwrap(), "-c", "2"],
        &[("SUDO_USER", "nobody")],
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", live.child.id())).unwrap();
    traffic_until_exit(&mut live.child);
    let done = live.wait();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid.split_whitespace().skip(1).all(|u| u == "65534"),
        "{uid}"
    );
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    assert_eq!(packets_with_port_count(&file), 2);
}

fn packets_with_port_count(file: &Path) -> usize {
    let mut src = FileSource::open(file.to_str().unwrap()).unwrap();
    let mut n = 0;
    while src.next_frame().unwrap().is_some() {
        n += 1;
    }
    n
}

/// `ldh [12]; jeq IPv4 → ldb [23] / jeq IPv6 → ldb [20]; jeq 17 → accept, else reject`:
/// accept UDP over IPv4 or IPv6 (without extension headers) on Ethernet.
const UDP_ONLY: [SockFilter; 9] = [
    SockFilter {
        code: 0x28,
        jt: 0,
        jf: 0,
        k: 12,
    },
    SockFilter {
        code: 0x15,
        jt: 0,
        jf: 2,
        k: 0x0800,
    },
    SockFilter {
        code: 0x30,
        jt: 0,
        jf: 0,
        k: 23,
    },
    SockFilter {
        code: 0x15,
        jt: 3,
        jf: 4,
        k: 17,
    },
    SockFilter {
        code: 0x15,
        jt: 0,
        jf: 3,
        k: 0x86dd,
    },
    SockFilter {
        code: 0x30,
        jt: 0,
        jf: 0,
        k: 20,
    },
    SockFilter {
        code: 0x15,
        jt: 0,
        jf: 1,
        k: 17,
    },
    SockFilter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 262_144,
    },
    SockFilter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 0,
    },
];

/// Reads frames until `want` UDP datagrams to `port` were seen (or 3 s); every frame must be UDP.
fn only_udp_arrives(src: &mut LiveSource, port: u16, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut seen = 0;
    while seen < want && Instant::now() < deadline {
        let Some(f) = src.next_frame().unwrap() else {
            break;
        };
        let p = decode(&f);
        match p.transport {
            Transport::Udp(u) if u.dst_port == port => seen += 1,
            Transport::Udp(_) => {}
            other => panic!("the kernel filter let a non-UDP packet through: {other:?}"),
        }
    }
    assert_eq!(seen, want);
}

#[test]
fn bpf_filter_keeps_everything_but_udp_in_the_kernel() {
    if !can_capture() {
        return;
    }
    static STOP: AtomicBool = AtomicBool::new(false);
    let mut cfg = LiveConfig::new("lo");
    cfg.filter = Some(UDP_ONLY.to_vec());
    let mut src = LiveSource::open(&cfg, &STOP).unwrap();
    // For comparison: a socket without a filter sees the same packets.
    let mut all = LiveSource::open(&LiveConfig::new("lo"), &STOP).unwrap();
    // A socket whose filter is attached later, through the drain-and-swap path: the first TCP
    // connection is queued before the filter and must be discarded.
    let mut later = LiveSource::open(&LiveConfig::new("lo"), &STOP).unwrap();
    handshake("127.0.0.1:0");
    later.attach_filter(&UDP_ONLY).unwrap();
    handshake("127.0.0.1:0");
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..5 {
        tx.send_to(b"x", ("127.0.0.1", port)).unwrap();
    }
    only_udp_arrives(&mut src, port, 5);
    only_udp_arrives(&mut later, port, 5);
    let filtered = src.kernel_stats().unwrap();
    let unfiltered = all.kernel_stats().unwrap();
    println!("received by filter: UDP-only BPF {filtered:?}, no filter {unfiltered:?}");
    assert!(filtered.received >= 5, "{filtered:?}");
    // Each connection is at least 5 TCP segments (3 for the handshake, 2 FINs): the filtered
    // socket's count lacks them all. Other programs' traffic adds to both counts alike.
    assert!(
        unfiltered.received >= filtered.received + 10,
        "{unfiltered:?} vs {filtered:?}"
    );
}

#[test]
fn a_packet_shows_on_a_pipe_at_once() {
    if !can_capture() {
        return;
    }
    // stdout is a pipe here, not a terminal: output is flushed whenever no packet is queued.
    let mut child = Command::new(BIN)
        .args(["live", "--format", "tcpdump"])
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _stderr = wait_listening(&mut child);
    let (tx_lines, rx_lines) = std::sync::mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for l in out.lines() {
            if tx_lines.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let sent = Instant::now();
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"now", ("127.0.0.1", port))
        .unwrap();
    let want = format!("127.0.0.1.{port}:");
    let mut shown = None;
    while let Some(left) = Duration::from_millis(500).checked_sub(sent.elapsed())
        && let Ok(l) = rx_lines.recv_timeout(left)
    {
        if l.contains(&want) {
            shown = Some(sent.elapsed());
            break;
        }
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    child.wait().unwrap();
    let shown = shown.expect("the datagram's line did not show within 500 ms");
    println!(
        "line shown {} µs after the datagram was sent",
        shown.as_micros()
    );
}

#[test]
fn after_stop_queued_packets_are_still_delivered_then_the_source_ends() {
    if !can_capture() {
        return;
    }
    static STOP: AtomicBool = AtomicBool::new(false);
    let mut src = LiveSource::open(&LiveConfig::new("lo"), &STOP).unwrap();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..5 {
        tx.send_to(b"late", ("127.0.0.1", port)).unwrap();
    }
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
    let started = Instant::now();
    let mut ours = 0;
    while let Some(f) = src.next_frame().unwrap() {
        if let Transport::Udp(u) = decode(&f).transport
            && u.dst_port == port
        {
            ours += 1;
        }
    }
    assert_eq!(ours, 5, "packets queued before the stop are not lost");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "and the source ends"
    );
}

#[test]
fn snaplen_cuts_frames_but_keeps_their_wire_length() {
    if !can_capture() {
        return;
    }
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (file, _, _) = capture_to_file("snaplen", &["-s", "64"], || {
        tx.send_to(&[1u8; 1000], ("127.0.0.1", port)).unwrap()
    });
    let pkts = packets_with_port(&file, port);
    assert_eq!(pkts.len(), 1, "{pkts:#?}");
    // Ethernet 14 + IPv4 20 + UDP 8 + 1000 bytes of data
    assert_eq!((pkts[0].captured, pkts[0].orig_len), (64, 1042));
}

#[test]
fn w_dash_writes_the_pcap_to_stdout() {
    let refused = Command::new(BIN)
        .args(["live", "-w", "-", "--print"])
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(2),
        "no printing into the pcap stream"
    );
    if !can_capture() {
        return;
    }
    let done = capture_until_exit(&["-w", "-", "-c", "3"]);
    // The stream is read back like a file: three records behind a nanosecond pcap header.
    let file = temp_dir("wdash").join("c.pcap");
    std::fs::write(&file, &done.raw_stdout).unwrap();
    assert_eq!(packets_with_port_count(&file), 3);
}

#[test]
fn the_filter_runs_in_the_kernel_and_only_matches_are_shown() {
    if !can_capture() {
        return;
    }
    let wanted = UdpSocket::bind("127.0.0.1:0").unwrap();
    let noise = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = wanted.local_addr().unwrap().port();
    let expr = format!("udp dst port {port}");
    let live = Live::start(&["--format", "tcpdump", "-t", &expr], &[]);
    let mut buf = [0u8; 16];
    for i in 0..30 {
        // 5 datagrams the filter wants among 25 it does not.
        if i % 6 == 0 {
            tx.send_to(b"want", wanted.local_addr().unwrap()).unwrap();
            wanted.recv_from(&mut buf).unwrap();
        } else {
            tx.send_to(b"noise", noise.local_addr().unwrap()).unwrap();
            noise.recv_from(&mut buf).unwrap();
        }
    }
    let done = live.stop();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", done.stdout);
    assert!(
        lines
            .iter()
            .all(|l| l.contains(&format!(".{port}: UDP, length 4"))),
        "{}",
        done.stdout
    );
    // The kernel counted only the matching datagrams: the noise never reached user space.
    assert!(
        done.stderr.contains("\n5 packets received by filter\n"),
        "{}",
        done.stderr
    );
}

#[test]
fn a_bad_filter_is_refused_before_capturing() {
    // No capability needed: the filter is checked before any socket is opened.
    let out = Command::new(BIN)
        .args(["live", "udp", "port", "99999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad filter"), "{err}");
    assert!(err.contains("^^^^^"), "{err}");
}
