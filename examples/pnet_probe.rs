//! Measures what pnet's own receiver (`DataLinkReceiver::next`) delivers on loopback, to back
//! the design notes in src/source/live.rs: how many copies of one sent datagram arrive, whether
//! the SIOCGSTAMPNS ioctl gives a kernel timestamp after a pnet read, and (with `--seconds S`)
//! how many packets per second pnet's read + that ioctl keep up with, with the kernel's counts.
//! Needs CAP_NET_RAW. Usage: cargo run --release --example pnet_probe -- [--seconds S]

use std::net::UdpSocket;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pnet_datalink::{Channel, Config};
use sockscope::source::live::socket;

/// include/uapi/asm-generic/sockios.h
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;

fn stamp(fd: i32) -> Result<libc::timespec, std::io::Error> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: SIOCGSTAMPNS writes one timespec.
    if unsafe { libc::ioctl(fd, SIOCGSTAMPNS, &mut ts) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(ts)
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .map(|s| s.parse().expect("--seconds takes a number"))
        .unwrap_or(0.0);
    let lo = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.is_loopback())
        .expect("a loopback interface");
    let fd = socket::open_packet_socket().expect("AF_PACKET socket (needs CAP_NET_RAW)");
    // SIOCGSTAMPNS is tried both with and without SO_TIMESTAMPNS set (`--no-timestampns`).
    if !std::env::args().any(|a| a == "--no-timestampns") {
        socket::enable_timestamps(fd).unwrap();
    }
    socket::set_receive_buffer(fd, 32 << 20).unwrap();
    let cfg = Config {
        socket_fd: Some(fd),
        read_timeout: Some(Duration::from_millis(100)),
        read_buffer_size: 262_144,
        promiscuous: false,
        ..Default::default()
    };
    let Ok(Channel::Ethernet(_tx, mut rx)) = pnet_datalink::channel(&lo, cfg) else {
        panic!("pnet channel on lo");
    };

    // 1. Three datagrams 20 ms apart: how many copies, and does SIOCGSTAMPNS after pnet's read
    // give the kernel's receive time? Each ioctl is made 10 ms after the read returned, so a
    // kernel timestamp is about 10 ms older than the ioctl; a stamp taken at ioctl time is not.
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut copies = 0;
    for _ in 0..3 {
        tx.send_to(b"probe", ("127.0.0.1", port)).unwrap();
        let deadline = Instant::now() + Duration::from_millis(20);
        while Instant::now() < deadline {
            let Ok(frame) = rx.next() else { continue };
            // Ethernet 14 + IPv4 20: UDP destination port at 36..38
            if frame.len() < 38
                || frame[23] != 17
                || u16::from_be_bytes([frame[36], frame[37]]) != port
            {
                continue;
            }
            copies += 1;
            let len = frame.len();
            std::thread::sleep(Duration::from_millis(10));
            let asked = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            match stamp(fd) {
                Ok(ts) => {
                    let k = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
                    println!(
                        "copy {copies}: {len} bytes, SIOCGSTAMPNS is {} us before the ioctl",
                        (asked.as_nanos() as i128 - k.as_nanos() as i128) / 1000
                    );
                }
                Err(e) => println!("copy {copies}: {len} bytes, SIOCGSTAMPNS failed: {e}"),
            }
        }
    }
    println!(
        "3 datagrams sent on lo, pnet's receiver delivered {copies} copies (direction is not reported)"
    );

    // 2. Throughput of pnet's read (poll + recvfrom) plus the timestamp ioctl.
    // Outgoing copies are ignored by the kernel here, as in sockscope, for a fair comparison.
    if seconds > 0.0 {
        socket::ignore_outgoing(fd).unwrap();
        socket::take_stats(fd).unwrap();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < seconds {
            if rx.next().is_ok() {
                let _ = stamp(fd);
                n += 1;
            }
        }
        let st = socket::take_stats(fd).unwrap();
        println!(
            "pnet next()+SIOCGSTAMPNS for {seconds} s: read {n}, kernel received {} dropped {}",
            st.received, st.dropped
        );
    }
}
