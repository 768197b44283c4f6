//! Streaming input: `tail -c +1 -f growing.pcap | sockscope replay -` prints each packet as it
//! arrives, as `tcpdump -l -r -` does. A pcap is fed one packet at a time, through standard
//! input and through a named FIFO, and each packet's line must come out within 200 ms, while
//! the writer still holds the input open.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_millis(200);
const PACKETS: u32 = 4;

/// A pcap file header: µs, little-endian, LINKTYPE_RAW.
fn header() -> Vec<u8> {
    let mut h = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    h.extend(2u16.to_le_bytes());
    h.extend(4u16.to_le_bytes());
    h.extend([0; 8]);
    h.extend(65535u32.to_le_bytes());
    h.extend(101u32.to_le_bytes());
    h
}

/// Record `i`: an IPv4/UDP packet from port 1000 + i with 4 bytes of payload.
fn record(i: u32) -> Vec<u8> {
    let port = (1000 + i as u16).to_be_bytes();
    let mut ip = vec![
        0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip.extend([port[0], port[1], 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]);
    let mut r = (1_700_000_000 + i).to_le_bytes().to_vec();
    r.extend(0u32.to_le_bytes());
    r.extend((ip.len() as u32).to_le_bytes());
    r.extend((ip.len() as u32).to_le_bytes());
    r.extend(ip);
    r
}

fn spawn(input: &str, stdin: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["replay", "--format", "tcpdump", "-t", "-n", input])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts")
}

/// Writes the header, then one packet at a time, checking each line arrives in time.
fn feed_and_watch(mut child: Child, mut input: impl Write) {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    input.write_all(&header()).unwrap();
    input.flush().unwrap();
    // Let the program start and open the input before timing anything.
    thread::sleep(Duration::from_millis(300));
    for i in 0..PACKETS {
        let sent = Instant::now();
        input.write_all(&record(i)).unwrap();
        input.flush().unwrap();
        let line = rx
            .recv_timeout(WITHIN)
            .unwrap_or_else(|_| panic!("packet {i}: no line within {WITHIN:?} of writing it"));
        let took = sent.elapsed();
        assert_eq!(
            line,
            format!(
                "IP 10.0.0.1.{} > 10.0.0.2.53: domain [length 4 < 12] (invalid)",
                1000 + i
            )
        );
        assert!(took <= WITHIN, "packet {i}: line after {took:?}");
    }
    drop(input);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        rx.recv_timeout(Duration::from_secs(1)).is_err(),
        "no extra line"
    );
}

#[test]
fn standard_input_prints_each_packet_as_it_arrives() {
    let mut child = spawn("-", Stdio::piped());
    let stdin = child.stdin.take().unwrap();
    feed_and_watch(child, stdin);
}

#[test]
fn a_named_fifo_prints_each_packet_as_it_arrives() {
    let dir = std::env::temp_dir().join(format!("sockscope-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("growing.pcap");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        assert!(std::env::var_os("CI").is_none(), "CI: mkfifo is missing");
        let _ = writeln!(std::io::stderr(), "SKIPPED: mkfifo is missing");
        return;
    }
    let child = spawn(&fifo.to_string_lossy(), Stdio::null());
    // Opening a FIFO for writing waits for its reader: the program.
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    feed_and_watch(child, writer);
    let _ = std::fs::remove_dir_all(&dir);
}
