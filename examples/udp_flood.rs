//! A UDP flood on loopback for scripts/bench-live.sh: one sender, as fast as it can go or at a
//! target rate, for a number of seconds. A receiving socket is bound (and never read, with a
//! tiny buffer) so the kernel drops the datagrams quietly instead of answering ICMP.
//!
//! cargo run --release --example udp_flood -- [--seconds S] [--rate PPS] [--port P] [--size BYTES]
//! Prints one line: `sent N datagrams in S s (R per second), E send errors`.

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

struct Opts {
    seconds: f64,
    /// Datagrams per second; 0 = as fast as possible.
    rate: u64,
    port: u16,
    size: usize,
    addr: String,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        seconds: 5.0,
        rate: 0,
        port: 0,
        size: 18,
        addr: "127.0.0.1".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let val = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |_| format!("bad value for {flag}: {val}");
        match flag.as_str() {
            "--seconds" => o.seconds = val.parse().map_err(|_| bad(()))?,
            "--rate" => o.rate = val.parse().map_err(|_| bad(()))?,
            "--port" => o.port = val.parse().map_err(|_| bad(()))?,
            "--size" => o.size = val.parse().map_err(|_| bad(()))?,
            "--addr" => o.addr = val,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("udp_flood: {e}");
            std::process::exit(2);
        }
    };
    let sink = UdpSocket::bind((o.addr.as_str(), o.port)).expect("bind the receiving socket");
    let small: libc::c_int = 4096;
    // SAFETY: setting an int option on a socket we own.
    unsafe {
        libc::setsockopt(
            sink.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&small as *const libc::c_int).cast(),
            4,
        );
    }
    let target = sink.local_addr().unwrap();
    let any = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let tx = UdpSocket::bind(any).unwrap();
    tx.connect(target).unwrap();
    let payload = vec![0x5au8; o.size];
    let start = Instant::now();
    let end = Duration::from_secs_f64(o.seconds);
    let (mut sent, mut errors) = (0u64, 0u64);
    loop {
        let elapsed = start.elapsed();
        if elapsed >= end {
            break;
        }
        // Send in small bursts; pace bursts against the target rate.
        if o.rate > 0 {
            let due = (elapsed.as_secs_f64() * o.rate as f64) as u64;
            if sent >= due {
                std::hint::spin_loop();
                continue;
            }
        }
        for _ in 0..16 {
            match tx.send(&payload) {
                Ok(_) => sent += 1,
                Err(_) => errors += 1,
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {sent} datagrams in {secs:.2} s ({:.0} per second), {errors} send errors, port {}",
        sent as f64 / secs,
        target.port()
    );
}
