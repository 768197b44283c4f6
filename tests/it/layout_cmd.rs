//! The command layer end to end: a closed standard output or standard error ends the program
//! quietly with its usual exit code (never a panic, exit 101), as tcpdump and ripgrep do, and a
//! file being written with `live -w` is still complete.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sockscope::source::{FileSource, Source};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer
}

/// Runs `args` with standard output and standard error on a closed pipe.
fn exit_code_into_closed_pipe(args: &[&str]) -> Option<i32> {
    let w = closed_pipe();
    let status = bin()
        .args(args)
        .stdout(w.try_clone().expect("dup"))
        .stderr(w)
        .status()
        .expect("sockscope runs");
    status.code()
}

#[test]
fn an_error_into_a_closed_pipe_keeps_its_exit_code() {
    // `sockscope replay /nonexistent 2>&1 | head -0`
    assert_eq!(
        exit_code_into_closed_pipe(&["replay", "/nonexistent/x.pcap"]),
        Some(2)
    );
}

#[test]
fn views_into_a_closed_pipe_end_quietly() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/lesson-echo.pcap");
    for args in [
        &["replay", file][..],
        &["replay", file, "--format", "tcpdump", "-X"],
        &["flows", file],
        &["ladder", file],
        &["follow", file, "--flow", "0"],
        &["explain", "packet", file],
        &["interfaces"],
        &["lesson"],
    ] {
        assert_eq!(exit_code_into_closed_pipe(args), Some(0), "{args:?}");
    }
}

/// True when this process may open packet sockets.
fn can_capture() -> bool {
    crate::support::cap_net_raw()
}

/// Kills the capture if the test fails before it ends.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn live_ends_quietly_when_head_has_read_enough_and_the_file_is_complete() {
    if !can_capture() {
        return;
    }
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port();
    let saved = std::env::temp_dir().join(format!("sockscope-head-{}.pcap", std::process::id()));
    // `sockscope live ... -w FILE --print 2>&1 | head -2`
    let (reader, writer) = std::io::pipe().expect("pipe");
    let child = bin()
        .args(["live", "-i", "lo", "--drop-privileges", "root", "-w"])
        .arg(&saved)
        .args(["--print", "udp", "port", &port.to_string()])
        .stdout(writer.try_clone().expect("dup"))
        .stderr(writer)
        .stdin(Stdio::null())
        .spawn()
        .expect("sockscope live starts");
    let mut child = Reap(child);
    let mut lines = BufReader::new(reader);
    let mut first = String::new();
    lines.read_line(&mut first).expect("the listening line");
    assert!(first.contains("listening on lo"), "{first}");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    sender
        .send_to(b"one", ("127.0.0.1", port))
        .expect("first datagram");
    let mut second = String::new();
    lines
        .read_line(&mut second)
        .expect("the first packet's line");
    assert!(second.contains(&port.to_string()), "{second}");
    drop(lines);
    // The next packet's line meets the closed pipe: the capture must end by itself.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let _ = sender.send_to(b"more", ("127.0.0.1", port));
        if let Some(st) = child.0.try_wait().expect("wait") {
            break st;
        }
        assert!(Instant::now() < deadline, "the capture did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut file = FileSource::open(saved.to_str().expect("utf-8 path")).expect("the saved file");
    let mut frames = 0;
    while let Ok(Some(_)) = file.next_frame() {
        frames += 1;
    }
    assert!(frames >= 2, "{frames} packets in the file");
    let _ = std::fs::remove_file(saved);
}
