//! `-i any`: a live capture on every interface, saved as Linux cooked v2 (SLL2, link type 276),
//! whose tcpdump view (`-nn -r`, with and without `-e` and `-q`) is compared line for line with
//! `tcpdump -nn -r` of the same file. Loopback traffic of the test's own port only.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

fn run(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success(), "{prog} {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn any_captures_loopback_as_sll2_and_prints_as_tcpdump() {
    if !support::cap_net_raw() || !support::tool("tcpdump") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sockscope-any-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("any.pcap");
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let filter = format!("udp port {port}");
    let mut child = Command::new(BIN)
        .args([
            "-i",
            "any",
            "-c",
            "6",
            "-w",
            file.to_str().unwrap(),
            &filter,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut head = String::new();
    while !head.contains("listening on") && err.read_line(&mut head).unwrap() > 0 {}
    assert!(
        head.contains("listening on any, link-type LINUX_SLL2 (276)"),
        "{head}"
    );
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = [0u8; 64];
    for i in 0..3u8 {
        client.send_to(&[b'a' + i; 5], ("127.0.0.1", port)).unwrap();
        let (n, from) = server.recv_from(&mut buf).unwrap();
        server.send_to(&buf[..n], from).unwrap();
        client.recv_from(&mut buf).unwrap();
    }
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "capture did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let path = file.to_str().unwrap();
    for flags in ["-nn", "-enn", "-qnn"] {
        let ours = run(BIN, &[flags, "-r", path]);
        let theirs = run("tcpdump", &[flags, "-r", path]);
        assert_eq!(ours, theirs, "{flags}");
        // Six datagrams, each once: lo's outgoing copies are dropped, as libpcap does.
        assert_eq!(ours.lines().count(), 6, "{ours}");
    }
    let lo = run(BIN, &["-nn", "-r", path]);
    assert!(
        lo.lines().all(|l| l.contains(" lo    In  IP 127.0.0.1.")),
        "{lo}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
