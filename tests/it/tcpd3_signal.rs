//! SIGINT or SIGTERM while `replay` waits on a FIFO ends the reading as the end of the file
//! would: the packets read so far are printed, then `-q`'s summary (how many packets were
//! read), nothing is lost in a buffer and the exit is clean.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

/// An Ethernet frame with an empty UDP datagram, 10.0.0.1:1000 > 10.0.0.2:2000.
pub fn udp_frame() -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0]);
    f
}

/// A microsecond pcap file (Ethernet) of `(seconds, microseconds field, frame)` records.
pub fn pcap(records: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    for (sec, us, f) in records {
        for w in [*sec, *us, f.len() as u32, f.len() as u32] {
            v.extend_from_slice(&w.to_le_bytes());
        }
        v.extend_from_slice(f);
    }
    v
}

/// A pcap header and two UDP records.
fn two_records() -> Vec<u8> {
    pcap(&[(100, 0, udp_frame()), (101, 0, udp_frame())])
}

/// Runs sockscope on a FIFO, feeds it two packets, keeps the FIFO open, sends `signal`; returns
/// the exit code and standard output.
fn interrupted(args: &[&str], signal: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!(
        "sockscope-sig-{}-{}-{signal}",
        std::process::id(),
        args.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("in.pcap");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo_s = fifo.to_str().unwrap();
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "FIFO" { fifo_s } else { a })
        .collect();
    let child = Command::new(BIN)
        .args(&args)
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(&two_records()).unwrap();
    w.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn sigint_prints_what_was_read_and_the_summary() {
    let (code, out) = interrupted(&["replay", "-q", "FIFO"], "-INT");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.starts_with("2 packets, 84 bytes on the wire\n"),
        "{out}"
    );
    assert!(out.contains("by protocol: UDP 2\n"), "{out}");
}

#[test]
fn sigterm_prints_every_line_read() {
    let (code, out) = interrupted(&["-nn", "-r", "FIFO"], "-TERM");
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out,
        "00:01:40.000000 IP 10.0.0.1.1000 > 10.0.0.2.2000: UDP, length 0\n\
         00:01:41.000000 IP 10.0.0.1.1000 > 10.0.0.2.2000: UDP, length 0\n"
    );
}
