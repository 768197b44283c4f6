//! `sockscope replay FILE FILTER` end to end: only matching packets are printed, and a bad filter
//! exits 2 with a caret under the offending word, before the file is even opened.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};

const LO: [u8; 4] = [127, 0, 0, 1];

/// A capture of a TCP exchange on port 7, a UDP exchange on port 53 and an IPv6 ping.
fn capture(name: &str) -> PathBuf {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let eth = || PacketBuilder::ethernet2([0; 6], [0; 6]);
    let mut push = |w: &dyn Fn(&mut Vec<u8>)| {
        let mut v = Vec::new();
        w(&mut v);
        frames.push(v);
    };
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(54321, 7, 1000, 65495)
            .syn()
            .write(v, &[])
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(7, 54321, 5000, 65483)
            .syn()
            .ack(1001)
            .write(v, &[])
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .udp(40000, 53)
            .write(v, b"query")
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .tcp(54321, 7, 1001, 65495)
            .psh()
            .ack(5001)
            .write(v, b"hello")
            .unwrap()
    });
    push(&|v| {
        eth()
            .ipv4(LO, LO, 64)
            .udp(53, 40000)
            .write(v, b"answer")
            .unwrap()
    });
    push(&|v| {
        let one = std::net::Ipv6Addr::LOCALHOST.octets();
        eth()
            .ipv6(one, one, 64)
            .icmpv6_echo_request(1, 1)
            .write(v, &[0; 8])
            .unwrap()
    });
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("filter-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = PcapWriter::new(file).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = Duration::new(1_700_000_000 + i as u64, 0);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f.as_slice()).unwrap())
            .unwrap();
    }
    path
}

fn sockscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .output()
        .expect("run sockscope")
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn replay_shows_only_packets_that_match_the_filter() {
    let path = capture("mixed.pcap");
    let file = path.to_str().unwrap();

    let all = sockscope(&["replay", "--format", "tcpdump", "-t", file]);
    assert!(all.status.success(), "{all:?}");
    assert_eq!(lines(&all).len(), 6, "{:?}", lines(&all));

    let tcp7 = sockscope(&["replay", "--format", "tcpdump", "-t", file, "tcp port 7"]);
    assert!(tcp7.status.success(), "{tcp7:?}");
    let shown = lines(&tcp7);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown[0].starts_with("IP 127.0.0.1.54321 > 127.0.0.1.7: Flags [S],"),
        "{shown:?}"
    );
    assert!(shown[1].starts_with("IP 127.0.0.1.7 > 127.0.0.1.54321: Flags [S.],"));
    assert!(shown[2].starts_with("IP 127.0.0.1.54321 > 127.0.0.1.7: Flags [P.],"));

    // Several words are joined into one expression, as tcpdump does.
    let words = sockscope(&[
        "replay", "--format", "tcpdump", "-t", file, "udp", "and", "src", "port", "53",
    ]);
    let shown = lines(&words);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        // Port 53: tcpdump reads the 6 bytes as DNS, too short for its 12-byte header.
        shown[0] == "IP 127.0.0.1.53 > 127.0.0.1.40000: domain [length 6 < 12] (invalid)",
        "{shown:?}"
    );

    let flags = sockscope(&[
        "replay",
        "--format",
        "tcpdump",
        "-t",
        file,
        "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn or icmp6",
    ]);
    let shown = lines(&flags);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].contains("Flags [S],"), "{shown:?}");
    assert!(shown[1].starts_with("IP6 ::1 > ::1: ICMP6"), "{shown:?}");

    // -c counts packets after the filter.
    let counted = sockscope(&[
        "replay", "--format", "tcpdump", "-t", "-c", "1", file, "udp",
    ]);
    let shown = lines(&counted);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains(".40000 > 127.0.0.1.53:"), "{shown:?}");

    // Options may also come after the filter words, as with tcpdump.
    let after = sockscope(&[
        "replay", file, "udp", "and", "port", "53", "-c", "1", "--format", "tcpdump", "-t",
    ]);
    assert!(after.status.success(), "{after:?}");
    assert_eq!(lines(&after), shown);
}

#[test]
fn a_bad_filter_exits_2_with_a_caret_before_opening_the_file() {
    let out = sockscope(&[
        "replay",
        "/nonexistent/capture.pcap",
        "tcp",
        "port",
        "http2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "sockscope: bad filter: expected a port number after `port` (`http2` is neither a \
         number from 0 to 65535 nor a known service name)\n  tcp port http2\n           ^^^^^\n"
    );

    let path = capture("bad-filter.pcap");
    let out = sockscope(&["replay", path.to_str().unwrap(), "(tcp or udp"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("  (tcp or udp\n             ^\n"), "{err}");
}

/// The kernel's classic BPF checker (sk_chk_filter: jump ranges, scratch memory stored before it
/// is loaded, a final return) accepts every program the compiler makes. SO_ATTACH_FILTER on an
/// ordinary UDP socket runs the same checker and needs no privileges.
#[cfg(target_os = "linux")]
#[test]
fn the_kernel_accepts_compiled_programs() {
    use sockscope::filter::{Filter, bpf};
    use sockscope::source::LinkType;
    use std::os::fd::AsRawFd;

    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let attach = |prog: &[bpf::BpfInsn]| {
        let fprog = libc::sock_fprog {
            len: prog.len() as u16,
            filter: prog.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: `fprog` points at `prog`, which outlives the call; BpfInsn has the layout of
        // struct sock_filter.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                &fprog as *const libc::sock_fprog as *const libc::c_void,
                std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    // The checker is really there: loading scratch memory never stored is refused.
    let unchecked = [
        bpf::BpfInsn {
            code: bpf::op::LD | bpf::op::MEM,
            jt: 0,
            jf: 0,
            k: 6,
        },
        bpf::BpfInsn {
            code: bpf::op::RET | bpf::op::A,
            jt: 0,
            jf: 0,
            k: 0,
        },
    ];
    assert!(attach(&unchecked).is_err());
    let exprs = [
        "",
        "tcp port 7",
        "host ::1 and not arp",
        "src or dst host 10.0.0.1 or 10.0.0.2",
        "net 2001:db8::/32 and udp portrange 1000-2000",
        "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
        "icmp[icmptype] == icmp-echo or icmp6",
        "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
        "len % 7 = 0 or len / (tcp[13] & 0) = 0 or len ^ 3 > 5",
        "ether[12:2] = 0x800 and ip[9] = 6",
    ];
    let long = (1..=60)
        .map(|i| format!("2001:db8::{i:x}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let long = format!("host {long}");
    for expr in exprs.iter().copied().chain([long.as_str()]) {
        let f = Filter::parse(expr).unwrap();
        for link in [
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::RAW,
            LinkType::IPV4,
        ] {
            let prog = bpf::compile(&f, link).unwrap();
            if let Err(e) = attach(&prog) {
                panic!(
                    "kernel refused {expr:?} for {link}: {e}\n{}",
                    bpf::disassemble(&prog)
                );
            }
        }
    }
}

/// On a real AF_PACKET socket on `lo` (Ethernet framing with zero MACs), the kernel runs the
/// compiled program: only datagrams to the filtered port arrive, over IPv4 and IPv6, and each
/// frame that arrives also passes `Filter::matches`. Needs CAP_NET_RAW.
#[cfg(target_os = "linux")]
#[test]
fn the_kernel_filters_loopback_frames_with_the_compiled_program() {
    use sockscope::decode::decode;
    use sockscope::filter::{Filter, bpf};
    use sockscope::source::{Frame, LinkType, Timestamp};
    use std::net::UdpSocket;

    if !crate::support::cap_net_raw() {
        return;
    }
    let eth_p_all = (libc::ETH_P_ALL as u16).to_be();
    // Protocol 0: nothing is queued until bind, so no frame slips in before the filter.
    // SAFETY: plain socket(2) call.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
    assert!(
        fd >= 0,
        "AF_PACKET socket refused: {}",
        std::io::Error::last_os_error()
    );
    let wanted = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = wanted.local_addr().unwrap().port();
    let wanted6 = UdpSocket::bind(("::1", port)).ok();
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    let filter = Filter::parse(&format!("udp dst port {port}")).unwrap();
    let prog = bpf::compile(&filter, LinkType::ETHERNET).unwrap();
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 300_000,
    };
    // SAFETY: every pointer passed below points at a live local of the stated size.
    unsafe {
        let rc = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        );
        assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        let mut sll: libc::sockaddr_ll = std::mem::zeroed();
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = eth_p_all;
        sll.sll_ifindex = libc::if_nametoindex(c"lo".as_ptr()) as i32;
        let rc = libc::bind(
            fd,
            &sll as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        );
        assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
    }

    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"wanted-v4", ("127.0.0.1", port)).unwrap();
    let other_port = other.local_addr().unwrap().port();
    sender
        .send_to(b"unwanted", ("127.0.0.1", other_port))
        .unwrap();
    if wanted6.is_some() {
        let sender6 = UdpSocket::bind("[::1]:0").unwrap();
        sender6.send_to(b"unwanted6", ("::1", other_port)).unwrap();
        sender6.send_to(b"wanted-v6", ("::1", port)).unwrap();
    }

    let mut seen = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        // SAFETY: `buf` is a live buffer of the length given.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
        if n <= 0 {
            break;
        }
        let data = &buf[..n as usize];
        let frame = Frame::whole(Timestamp::new(0, 0), LinkType::ETHERNET, data);
        let p = decode(&frame);
        assert!(
            filter.matches(&p),
            "kernel passed a frame the filter refuses: {p:?}"
        );
        seen.push(p.payload.to_vec());
    }
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    assert!(seen.iter().any(|s| s == b"wanted-v4"), "{seen:?}");
    if wanted6.is_some() {
        assert!(seen.iter().any(|s| s == b"wanted-v6"), "{seen:?}");
    }
    assert!(!seen.iter().any(|s| s.starts_with(b"unwanted")), "{seen:?}");
}
