//! The lessons as data: one row per lesson with its summary, the demo it runs, the client script,
//! what to look for in the packets and what to try next. Nothing here runs anything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::demo::Teardown;

/// The demo server a lesson runs (see `crate::demo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// `tcp-echo`: echoes every byte back.
    TcpEcho,
    /// `udp-upper`: sends each datagram back upper-cased.
    UdpUpper,
    /// `threaded`: a thread per client, replies `[ctime] data`.
    Threaded,
    /// `http`: serves a small temporary directory.
    Http,
    /// No server at all: the port stays closed.
    Nothing,
}

/// What the lesson's client does once the server is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// One TCP line client: sends each message and reads its reply (with `half-close`: sends
    /// them all, shuts down writing, then reads every reply), then ends as `teardown` says.
    Lines {
        messages: &'static [&'static str],
        teardown: Teardown,
    },
    /// One UDP client: sends each message as a datagram and waits for its reply.
    Datagrams { messages: &'static [&'static str] },
    /// Several TCP clients connected at the same time: all connect, then each sends its
    /// message, then all close.
    Concurrent { messages: &'static [&'static str] },
    /// One HTTP GET of `path` with `Connection: close`.
    HttpGet { path: &'static str },
    /// One connect() to a port where nothing listens.
    Refused,
    /// Eight small segments in a row, the third dropped (`crate::lesson::trials`).
    Loss,
    /// A receiver that does not read while 24 KiB come (`crate::lesson::trials`).
    FlowControl,
    /// An ICMP echo and a TCP SYN built by hand on raw sockets (`crate::lesson::trials`).
    RawSocket,
}

/// One lesson.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// The name on the command line.
    pub name: &'static str,
    /// One line for the list.
    pub summary: &'static str,
    pub demo: Demo,
    /// Where the server listens (loopback; its port is chosen at run time).
    pub host: IpAddr,
    /// The port of the demo's defaults (`sockscope demo`), used for `--record` when free.
    pub usual_port: u16,
    pub script: Script,
    /// What the demo does, step by step (shown before a recording, where no narration runs).
    pub steps: &'static [&'static str],
    /// What to watch for in the packets.
    pub look_for: &'static [&'static str],
    /// What to try next.
    pub try_next: &'static [&'static str],
}

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Every lesson, in the order a learner should take them.
pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "handshake",
        summary: "connect, send one message, close with FIN: the three-way handshake and the teardown",
        demo: Demo::TcpEcho,
        host: V4,
        usual_port: 7007,
        script: Script::Lines {
            messages: &["hello"],
            teardown: Teardown::Fin,
        },
        steps: &[
            "server: socket(), bind(), listen() - nothing goes on the wire yet",
            "client: connect() - the kernels do the handshake: SYN, SYN-ACK, ACK",
            "client: sendall(\"hello\\n\"), the server echoes it back, the client reads it",
            "client: close() - FIN; the server's recv() returns 0 and it closes too - FIN",
        ],
        look_for: &[
            "SYN, SYN-ACK, ACK: the three-way handshake, done by the kernels while connect() waits",
            "the client's port is ephemeral (the kernel picked it); the server's is the one it bound",
            "the 6 bytes \"hello\\n\" go one way in a PSH-ACK and come back the same way",
            "FIN from the side that calls close() first, then FIN from the other, then a last ACK",
        ],
        try_next: &[
            "sockscope lesson echo - several messages, and how seq and ack count bytes",
            "run `sockscope demo tcp-echo server --port 7007` and `nc 127.0.0.1 7007` yourself, and watch with `sockscope live 'port 7007'`",
        ],
    },
    Lesson {
        name: "echo",
        summary: "several messages on one connection: seq and ack count the bytes each way",
        demo: Demo::TcpEcho,
        host: V4,
        usual_port: 7007,
        script: Script::Lines {
            messages: &["one", "two", "three"],
            teardown: Teardown::Fin,
        },
        steps: &[
            "server: socket(), bind(), listen()",
            "client: connect() - SYN, SYN-ACK, ACK",
            "client: sends \"one\\n\", \"two\\n\", \"three\\n\", reading each echo before the next",
            "client: close() - FIN, FIN, last ACK",
        ],
        look_for: &[
            "seq a:b is the range of bytes a segment carries; the next segment from that side starts at b",
            "ack n means \"I have every byte before n\": it grows by the length of what arrived",
            // RFC 9293 §3.4: SYN and FIN each take one sequence number.
            "4 + 4 + 6 = 14 bytes each way, so both FINs are at seq 15; the client's FIN counts one, so the server's FIN and the last ACK say ack 16 (the SYN and FIN count one each)",
        ],
        try_next: &[
            "sockscope lesson half-close - the client stops sending but keeps reading",
            "sockscope replay captures/lesson-echo.pcap -S - absolute sequence numbers beside the relative ones",
        ],
    },
    Lesson {
        name: "udp",
        summary: "UDP datagrams: no handshake, no acknowledgements, no teardown",
        demo: Demo::UdpUpper,
        host: V4,
        usual_port: 7008,
        script: Script::Datagrams {
            messages: &["hello", "sockets are fun"],
        },
        steps: &[
            "server: socket(SOCK_DGRAM), bind() - no listen(), no accept()",
            "client: sendto(\"hello\") - the datagram goes at once, no handshake before it",
            "server: recvfrom(), sendto() the upper-cased text back to the sender's address",
            "client: the same with \"sockets are fun\", then close() - nothing goes on the wire",
        ],
        look_for: &[
            "the first packet already carries data: there is no connection to set up",
            "each reply goes back to the port the datagram came from; no ACKs, no seq numbers",
            "nothing at the end: close() on a UDP socket sends nothing",
        ],
        try_next: &[
            "run `sockscope demo udp-upper client --port 7999 hi` with no server: the datagram is answered by ICMP port unreachable (`sockscope live 'port 7999 or icmp'`)",
            "sockscope lesson handshake - what TCP does before its first byte",
        ],
    },
    Lesson {
        name: "concurrent",
        summary: "three clients at once on the threaded server: three handshakes, three ephemeral ports",
        demo: Demo::Threaded,
        host: V4,
        usual_port: 7009,
        script: Script::Concurrent {
            messages: &["alice", "bob", "carol"],
        },
        steps: &[
            "server: socket(), bind(), listen(); one thread per accepted client",
            "three clients connect() one after the other and stay connected",
            "each sends its name; its own server thread replies \"[time] name\"",
            "the three clients close() - three FIN exchanges",
        ],
        look_for: &[
            "three SYNs to the same server port, from three different ephemeral client ports",
            "a connection is told apart by its four numbers: client address and port, server address and port",
            // RFC 9293 §3.4.1: each connection starts from its own ISN; the views show seq and
            // ack relative to it, as Wireshark does.
            "the seq and ack shown are relative to each connection's own initial sequence number (ISN), so all three count from 0: only the client port tells the three conversations apart",
        ],
        try_next: &[
            "run `sockscope demo threaded --port 7009` and several `nc 127.0.0.1 7009` in other terminals",
            "sockscope replay captures/lesson-concurrent.pcap 'port 7009 and port <one client port>' - one conversation alone",
        ],
    },
    Lesson {
        name: "http",
        summary: "an HTTP GET seen as what it is on the wire: a TCP connection carrying text",
        demo: Demo::Http,
        host: V4,
        usual_port: 8000,
        script: Script::HttpGet {
            path: "/index.html",
        },
        steps: &[
            "server: the http demo serves a small temporary directory",
            "client: connect() - SYN, SYN-ACK, ACK, as for any TCP connection",
            "client: sends \"GET /index.html HTTP/1.1\" and headers, with Connection: close",
            // The recording: the server's FIN comes first (it closes after the file, as
            // Connection: close asks, RFC 9112 §9.6), then the client's.
            "server: sends the status line and headers, then the file, and, told Connection: close, closes - FIN; the client reads it all (Content-Length says how much) and closes too - FIN",
        ],
        look_for: &[
            "the request is plain text in one segment: \"GET /index.html HTTP/1.1\\r\\nHost: ...\"",
            "the response comes in segments of the server's sends (head, then file): TCP knows nothing of HTTP's parts",
            // RFC 9112 §6.3: with Content-Length the body's end does not depend on the close.
            "the body ends where Content-Length says, not with the connection: the client knows it has everything from that count, even though here the server's FIN comes before the client has read the body",
        ],
        try_next: &[
            "run `sockscope demo http --root . --port 8000` and `curl -v http://127.0.0.1:8000/`; watch with `sockscope live 'port 8000'`",
            "sockscope replay captures/lesson-http.pcap -X - the bytes of the request and the response",
        ],
    },
    Lesson {
        name: "refused",
        summary: "connect() to a port where nothing listens: the SYN is answered by RST",
        demo: Demo::Nothing,
        host: V4,
        usual_port: 7999,
        script: Script::Refused,
        steps: &[
            "no server: nothing listens on the port",
            "client: connect() - SYN; the kernel answers RST-ACK itself and connect() fails with ECONNREFUSED",
        ],
        look_for: &[
            "one SYN, one RST-ACK: no SYN-ACK, so no connection ever existed",
            "the RST acknowledges the SYN (ack 1) so the client knows it is the answer to it",
        ],
        try_next: &[
            "sockscope lesson reset - an RST that ends a connection that did exist",
            "run `nc -v 127.0.0.1 7999` with nothing on port 7999 and watch with `sockscope live 'port 7999'`",
        ],
    },
    Lesson {
        name: "reset",
        summary: "a connection torn down with RST (SO_LINGER 0) instead of FIN",
        demo: Demo::TcpEcho,
        host: V4,
        usual_port: 7007,
        script: Script::Lines {
            messages: &["hello"],
            teardown: Teardown::Rst,
        },
        steps: &[
            "server: socket(), bind(), listen()",
            "client: connect(), sends \"hello\\n\", reads the echo",
            "client: setsockopt(SO_LINGER, on, 0 s), close() - RST instead of FIN",
            "server: its next recv() fails with ECONNRESET",
        ],
        look_for: &[
            "a single RST ends the connection: no FIN, no answer, no TIME-WAIT",
            "the server learns of it only by its recv() failing with ECONNRESET",
        ],
        try_next: &[
            "sockscope lesson half-close - the gentlest ending",
            "run `sockscope demo tcp-echo client --port 7007 --teardown rst hi` against your own server",
        ],
    },
    Lesson {
        name: "half-close",
        summary: "shutdown(SHUT_WR): the client's FIN goes first, but it keeps reading replies",
        demo: Demo::TcpEcho,
        host: V4,
        usual_port: 7007,
        script: Script::Lines {
            messages: &["one", "two"],
            teardown: Teardown::HalfClose,
        },
        steps: &[
            "server: socket(), bind(), listen()",
            "client: connect(), sends \"one\\n\" and \"two\\n\" without waiting for the echoes",
            "client: shutdown(SHUT_WR) - FIN, but the socket can still receive",
            "server: echoes what it has, reads 0 bytes (the FIN), closes - FIN; the client reads to the end",
        ],
        look_for: &[
            "the client's FIN can come before the echoes: closing the sending side does not stop receiving",
            "after its FIN the client sends no more data, only ACKs: one direction is closed, the other still open",
            "the server's FIN ends the other direction; the connection is closed when both are",
        ],
        try_next: &[
            "run `sockscope demo tcp-echo client --port 7007 --teardown half-close a b c` against `sockscope demo tcp-echo --port 7007`",
            "sockscope lesson reset - the abrupt ending",
        ],
    },
    Lesson {
        name: "ipv6",
        summary: "the same handshake and echo over IPv6 on ::1",
        demo: Demo::TcpEcho,
        host: V6,
        usual_port: 7007,
        script: Script::Lines {
            messages: &["hello"],
            teardown: Teardown::Fin,
        },
        steps: &[
            "server: socket(AF_INET6), bind [::1], listen()",
            "client: connect() - SYN, SYN-ACK, ACK between [::1] ports",
            "client: sendall(\"hello\\n\"), reads the echo, close() - FIN, FIN, last ACK",
        ],
        look_for: &[
            "TCP is the same over IPv6: the same flags, seq and ack",
            // Linux: IPv4's MSS is min(MTU - 40, 65535 - 40) because the 16-bit Total Length
            // (RFC 791 §3.1) counts the headers: 65495 on lo (MTU 65536). IPv6's is MTU - 40 - 20
            // (ip6_default_advmss): 65476; its Payload Length (RFC 8200 §3) leaves the 40-byte
            // header out, so it is not capped below that. Checked: lo MTU 65535 gives 65495 and
            // 65475, MTU 65000 gives 64960 and 64940.
            "the SYN's MSS is smaller than over IPv4: with lo's MTU of 65536, IPv6's is 65536 - 40 (IPv6 header) - 20 (TCP header) = 65476, while IPv4's is capped at 65535 - 20 - 20 = 65495 by its 16-bit Total Length, which counts the headers",
        ],
        try_next: &[
            "run `sockscope demo tcp-echo --host ::1 --port 7007` and `nc -6 ::1 7007`; watch with `sockscope live 'ip6 and port 7007'`",
            "sockscope replay captures/lesson-ipv6.pcap -v - every header field, the IPv6 ones too",
        ],
    },
    Lesson {
        name: "loss",
        summary: "a segment lost on the way: duplicate ACKs, SACK, fast retransmit",
        demo: Demo::Nothing,
        host: V4,
        usual_port: 7010,
        script: Script::Loss,
        steps: &[
            "the lesson runs in a network namespace of its own, where an nftables rule drops the third data segment sent to the server after the capture saw it",
            "server: socket(), bind(), listen(), accept(), then recv() until the client closes",
            // Linux ipv4_default_advmss: the MSS announced is max(MTU - 40, route/min_adv_mss =
            // 256); the sender cuts its segments to its own path MTU (tcp_mss_to_mtu).
            "lo's MTU there is 252: 252 - 20 (IPv4) - 20 (TCP) - 12 (timestamp option) leaves 200 bytes of data per segment; the SYNs still announce MSS 256, the least Linux announces (net.ipv4.route.min_adv_mss), so the 200 comes from the MTU, not the MSS",
            "client: connect(), then one send() of 1600 bytes (\"part 1 of 8 ...\" to \"part 8 of 8 ...\"): TCP sends eight 200-byte segments in a row; then close()",
        ],
        look_for: &[
            "the third segment (seq 401:601) is in the capture, but the rule dropped it before the server's TCP got it",
            // RFC 5681 §2 (duplicate ACK), RFC 2018 §4 (SACK blocks report what arrived).
            "each segment past the hole is answered by a duplicate ACK: ack stays at 401, the first byte still missing, while its SACK block grows with the bytes that did arrive",
            // RFC 5681 §3.2 (fast retransmit), RFC 6675 §5 (SACK-based loss recovery), RFC
            // 6298 §5 (the timer it did not wait for).
            "the client resends only the missing 200 bytes, after the duplicate ACKs and long before its retransmission timer could fire: a fast retransmit, the SACK blocks telling it which bytes were missing",
            // RFC 9293 §3.10.7.4: data is delivered to the user in sequence.
            "one ACK then covers all 1600 bytes; the server's recv() never returns bytes past the hole before it is filled: TCP hands the application its bytes in order",
        ],
        try_next: &[
            "sockscope lesson flow-control - the receiver, not the network, holds the sender back",
            "sockscope ladder captures/lesson-loss.pcapng -S - the SACK blocks in absolute sequence numbers",
        ],
    },
    Lesson {
        name: "flow-control",
        summary: "a receiver that does not read: the window fills, hits zero, is probed, reopens",
        demo: Demo::Nothing,
        host: V4,
        usual_port: 7011,
        script: Script::FlowControl,
        steps: &[
            "the lesson runs in a network namespace of its own, with lo's MTU set to 1500 as on Ethernet",
            "server: socket(), setsockopt(SO_RCVBUF, 4096) (Linux doubles it), bind(), listen(), accept(); then it does not read for 2 s",
            "client: connect(), one send() of 24 KiB",
            "server: after 2 s, recv() until the client closes; client: close()",
        ],
        look_for: &[
            // RFC 9293 §3.8.6: the window is the free space of the receive buffer.
            "win shrinks as unread data fills the server's receive buffer; [window full] marks a segment that fills the window the server offered",
            "win 0 [zero window]: the buffer is full because the application does not read; the client must stop sending",
            // RFC 9293 §3.8.6.1 (zero-window probing); RFC 6298 §5.5 doubling, as Linux's
            // persist timer does.
            // Linux tcp_validate_incoming: an out-of-window segment is answered by an ACK at
            // most once per net.ipv4.tcp_invalid_ratelimit (500 ms), so a probe sent sooner
            // after the last answer gets none (lesson-flow-control: the 0.996 s probe).
            "the client's persist timer sends zero-window probes, each later than the last: no data, seq one below the next byte, so that the server answers with its window (still 0); Linux answers such probes at most once per 0.5 s (net.ipv4.tcp_invalid_ratelimit), so a probe that comes sooner gets no answer",
            "once the server's recv() reads, a window update (win > 0) reopens the window and the rest flows, a few segments per recv()",
            "send() returned long before the bytes were delivered: it only copied them into the client's send buffer",
        ],
        try_next: &[
            "sockscope lesson loss - when the network, not the receiver, loses data",
            "sockscope replay captures/case-zero-window.pcap - the same story recorded by tcpdump",
        ],
    },
    Lesson {
        name: "raw-socket",
        summary: "SOCK_RAW: an ICMP echo and a TCP SYN built by hand, and why it needs CAP_NET_RAW",
        demo: Demo::Nothing,
        host: V4,
        usual_port: 7012,
        script: Script::RawSocket,
        steps: &[
            "the lesson runs in a network namespace of its own; while it still has its privileges it opens socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) and socket(AF_INET, SOCK_RAW, IPPROTO_RAW)",
            "server: socket(), bind(), listen() - it never calls accept()",
            "client: sendto() an ICMP echo request it built (type 8, id 0x5353, seq 1, 20 bytes of data) on the ICMP socket, then recvfrom() on it until the echo reply comes",
            "client: sendto() a whole IPv4 packet it built, header and all: a TCP SYN to the server's port, from a port no socket uses",
            "client: socket(SOCK_RAW) once more, now that the lesson has given up its privileges",
        ],
        look_for: &[
            // raw(7): without IP_HDRINCL the kernel writes the IP header; received packets
            // include it.
            "the ICMP socket's sendto() carries only the ICMP message (28 bytes: an 8-byte header and 20 of data) and the kernel adds the IP header; its recvfrom() returns whole IP packets (48 bytes, starting 45: IPv4 with a 20-byte header)",
            // RFC 792: the echo reply returns the identifier, sequence number and data.
            "the echo reply has the request's identifier (0x5353) and sequence number (1): the kernel's ICMP answered it, no program did",
            "the raw socket read two packets: its own request, looped back on lo, then the reply: a raw ICMP socket gets a copy of every ICMP packet the host receives (raw(7))",
            // RFC 9293 §3.10.7.1: a segment with ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>.
            "the hand-made SYN came from a port where no socket exists: the listener's kernel answered SYN-ACK, and the kernel, finding no socket for that SYN-ACK, answered RST, seq = the SYN-ACK's ack; the client lane's states are inferred from the packets, no socket ever had them",
            // capabilities(7): CAP_NET_RAW covers SOCK_RAW and AF_PACKET sockets.
            "raw sockets read other programs' packets and write any header (a SYN from a port never bound), and packet capture sees everything on an interface: so both need CAP_NET_RAW; after the lesson gave it up, socket(SOCK_RAW) failed with EPERM",
        ],
        try_next: &[
            "sockscope replay captures/lesson-raw-socket.pcapng -v - every header field of the hand-made SYN and of the kernel's answers",
            "run `ping -c 1 127.0.0.1` while `sockscope live icmp` watches: ping's echo is the same message",
        ],
    },
];

/// The lesson called `name`.
pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_lesson_has_its_parts() {
        for (i, l) in LESSONS.iter().enumerate() {
            assert!(
                LESSONS[i + 1..].iter().all(|m| m.name != l.name),
                "{} twice",
                l.name
            );
            assert!(!l.summary.is_empty() && !l.steps.is_empty(), "{}", l.name);
            assert!(
                !l.look_for.is_empty() && !l.try_next.is_empty(),
                "{}",
                l.name
            );
            // The script needs the server it talks to.
            let fits = match l.script {
                Script::Lines { .. } => l.demo == Demo::TcpEcho,
                Script::Datagrams { .. } => l.demo == Demo::UdpUpper,
                Script::Concurrent { .. } => l.demo == Demo::Threaded,
                Script::HttpGet { .. } => l.demo == Demo::Http,
                Script::Refused | Script::Loss | Script::FlowControl | Script::RawSocket => {
                    l.demo == Demo::Nothing
                }
            };
            assert!(fits, "{}: script and demo do not match", l.name);
        }
        assert_eq!(find("ipv6").map(|l| l.host), Some(V6));
        assert!(find("nope").is_none());
    }
}
