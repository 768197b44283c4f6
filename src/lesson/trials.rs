//! The client scripts of the lessons that run in a network of their own ([`super::netlab`]):
//! `loss` (a burst of small segments, one of them dropped), `flow-control` (a receiver that
//! does not read for a while) and `raw-socket` (an ICMP echo and a TCP SYN built by hand). Each
//! runs its own small server in a thread and records its socket calls through the narrator.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::Type;

use super::observe::{Expect, Progress};
use super::table::Script;
use super::wire;
use crate::demo::{self, Acceptor, Narrator, ServerConfig, Teardown, describe};
use crate::sys::rawsock;

/// How long a server or a raw socket waits for what should come at once.
const WAIT: Duration = Duration::from_secs(10);

/// Sockets a lesson must open while the process still has CAP_NET_RAW: the lesson gives up
/// its privileges once its capture runs, before the demo starts.
#[derive(Default)]
pub struct Prepared {
    icmp: Option<OwnedFd>,
    raw: Option<OwnedFd>,
}

/// A narrated `socket(AF_INET, SOCK_RAW, protocol)`.
fn raw_socket(protocol: i32, name: &str, n: &Narrator) -> io::Result<OwnedFd> {
    let c = n
        .call("socket", None, format_args!("AF_INET, SOCK_RAW, {name}"))
        .enter();
    let r = rawsock::open(protocol);
    c.done(r.as_ref().map(|s| s.as_raw_fd().into()), None);
    r
}

/// Opens what `script` needs of privilege (for `raw-socket`, its two raw sockets), recording
/// the calls through `n`.
pub fn prepare(script: Script, n: &Narrator) -> Result<Prepared, String> {
    if script != Script::RawSocket {
        return Ok(Prepared::default());
    }
    let open = |p, name| raw_socket(p, name, n).map_err(failed("socket(SOCK_RAW) failed"));
    Ok(Prepared {
        icmp: Some(open(rawsock::ICMP, "IPPROTO_ICMP")?),
        raw: Some(open(rawsock::RAW, "IPPROTO_RAW")?),
    })
}

fn failed(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {}", describe(&e))
}

/// Runs the client script of one of these lessons against `addr`.
pub fn run(
    script: Script,
    addr: SocketAddr,
    n: &Narrator,
    progress: &Progress,
    prepared: Prepared,
) -> Result<Expect, String> {
    match script {
        Script::Loss => loss(addr, n, progress),
        Script::FlowControl => flow_control(addr, n, progress),
        Script::RawSocket => raw(addr, n, progress, prepared),
        _ => Err("not a lesson of its own network".into()),
    }
}

const ONE_TCP: Expect = Expect {
    tcp: 1,
    datagrams: 0,
};

/// The server of `loss` and `flow-control`: accepts one client, leaves its data unread for
/// `stall`, then reads it all until the client's FIN and closes.
fn sink(listener: TcpListener, n: Narrator, stall: Duration) -> io::Result<u64> {
    let stop = AtomicBool::new(false);
    let (mut stream, _) = Acceptor::new(&listener, &n, &stop, Some(1))
        .next_client()
        .ok_or_else(|| io::Error::other("no client came"))?;
    demo::close_fd(listener, &n);
    stream.set_read_timeout(Some(WAIT))?;
    if !stall.is_zero() {
        n.say(format_args!("not reading for {} ms", stall.as_millis()));
        std::thread::sleep(stall);
    }
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0u64;
    loop {
        let k = demo::recv(&mut stream, &mut buf, &n)?;
        if k == 0 {
            break;
        }
        total += k as u64;
    }
    demo::close(stream, Teardown::Fin, &n);
    Ok(total)
}

/// Starts [`sink`] on `listener` in a thread.
fn serve(listener: TcpListener, n: Narrator, stall: Duration) -> JoinHandle<io::Result<u64>> {
    std::thread::spawn(move || sink(listener, n, stall))
}

fn joined(server: JoinHandle<io::Result<u64>>, sent: u64) -> Result<(), String> {
    match server.join() {
        Ok(Ok(got)) if got == sent => Ok(()),
        Ok(Ok(got)) => Err(format!("the server read {got} bytes of {sent}")),
        Ok(Err(e)) => Err(format!("the server failed: {}", describe(&e))),
        Err(_) => Err("the server panicked".into()),
    }
}

/// Segments the loss lesson sends, and their size.
pub const LOSS_SEGMENTS: usize = 8;
const LOSS_SIZE: usize = 200;

/// `loss`: one send() of 1600 bytes, which TCP cuts into eight 200-byte segments (the lab's
/// MTU) sent in one burst; the lab drops the third before the server's TCP gets it.
fn loss(addr: SocketAddr, n: &Narrator, progress: &Progress) -> Result<Expect, String> {
    let server_n = n.with_role("server");
    let listener = demo::tcp_listener(&ServerConfig::new(addr), &server_n)
        .map_err(failed("cannot start the server"))?;
    let server = serve(listener, server_n, Duration::ZERO);
    progress.settle();
    let mut s = demo::connect(addr, n).map_err(failed("connect failed"))?;
    progress.settle();
    let mut data = Vec::new();
    for i in 1..=LOSS_SEGMENTS {
        let mut part = format!("part {i} of {LOSS_SEGMENTS} ").into_bytes();
        part.resize(LOSS_SIZE, b'.');
        data.extend_from_slice(&part);
    }
    demo::send_all(&mut s, &data, n).map_err(failed("send failed"))?;
    progress.settle();
    demo::close(s, Teardown::Fin, n);
    joined(server, data.len() as u64)?;
    Ok(ONE_TCP)
}

/// The receive buffer the flow-control server asks for (Linux doubles it, socket(7)).
const FLOW_RCVBUF: usize = 4096;
/// How long it leaves the data unread.
pub const FLOW_STALL: Duration = Duration::from_secs(2);
/// What the client sends.
const FLOW_BYTES: usize = 24 * 1024;

/// `flow-control`: a server with a small receive buffer that does not read for
/// [`FLOW_STALL`]; the client sends 24 KiB in one send().
fn flow_control(addr: SocketAddr, n: &Narrator, progress: &Progress) -> Result<Expect, String> {
    let server_n = n.with_role("server");
    let listener = small_window_listener(addr, &server_n).map_err(failed("cannot listen"))?;
    let server = serve(listener, server_n, FLOW_STALL);
    progress.settle();
    let mut s = demo::connect(addr, n).map_err(failed("connect failed"))?;
    progress.settle();
    let data: Vec<u8> = (0..FLOW_BYTES).map(|i| b'a' + (i % 26) as u8).collect();
    demo::send_all(&mut s, &data, n).map_err(failed("send failed"))?;
    progress.settle();
    demo::close(s, Teardown::Fin, n);
    joined(server, FLOW_BYTES as u64)?;
    Ok(ONE_TCP)
}

/// socket(), setsockopt(SO_RCVBUF) before listen() (the window scale is chosen from the
/// buffer when the SYN-ACK is sent, RFC 7323 §2.2, and accepted sockets inherit the buffer),
/// bind(), listen().
fn small_window_listener(addr: SocketAddr, n: &Narrator) -> io::Result<TcpListener> {
    let sock = demo::new_socket(&addr, Type::STREAM, n)?;
    let fd = sock.as_raw_fd();
    let c = n
        .call(
            "setsockopt",
            Some(fd),
            format_args!("SO_RCVBUF, {FLOW_RCVBUF}"),
        )
        .enter();
    let r = sock.set_recv_buffer_size(FLOW_RCVBUF);
    c.done(r.as_ref().map(|()| 0), None);
    r?;
    demo::bind_socket(&sock, &addr, n)?;
    listen(&sock, n)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

/// A recorded `listen(fd, 16)`.
fn listen(sock: &socket2::Socket, n: &Narrator) -> io::Result<()> {
    let c = n
        .call("listen", Some(sock.as_raw_fd()), 16)
        .addrs(sock.local_addr()?.as_socket(), None)
        .enter();
    let r = sock.listen(16);
    c.done(r.as_ref().map(|()| 0), None);
    r
}

/// The identifier of the lesson's echo request (RFC 792: it matches the reply to the request).
pub const ECHO_ID: u16 = 0x5353;
/// What the echo request carries; the reply returns it unchanged (RFC 792).
pub const ECHO_DATA: &[u8] = b"sockscope raw socket";
/// The ISN of the hand-made SYN.
pub const RAW_ISN: u32 = 1_000_000;

/// The source port of the hand-made SYN: one no socket uses (the lab's namespace is empty).
pub fn raw_source_port(server_port: u16) -> u16 {
    if server_port < 65000 {
        server_port + 500
    } else {
        server_port - 500
    }
}

/// `raw-socket`: a listener that never accepts; an ICMP echo request sent on a raw ICMP
/// socket and what that socket reads back; a SYN written byte by byte (IPv4 header included)
/// on an IPPROTO_RAW socket, which the listener answers with a SYN-ACK that the kernel resets;
/// then a raw socket asked for without the privilege the lesson gave up.
fn raw(
    addr: SocketAddr,
    n: &Narrator,
    progress: &Progress,
    prepared: Prepared,
) -> Result<Expect, String> {
    let IpAddr::V4(ip) = addr.ip() else {
        return Err("the raw-socket lesson is IPv4 only".into());
    };
    let (Some(icmp), Some(raw)) = (prepared.icmp, prepared.raw) else {
        return Err("the raw sockets were not opened".into());
    };
    let server_n = n.with_role("server");
    let listener = demo::tcp_listener(&ServerConfig::new(addr), &server_n)
        .map_err(failed("cannot start the server"))?;
    progress.settle();

    let request = wire::icmp_echo_request(ECHO_ID, 1, ECHO_DATA);
    send_raw(&icmp, &request, ip, "ICMP echo request", n)?;
    rawsock::set_recv_timeout(&icmp, WAIT).map_err(failed("setsockopt failed"))?;
    // The socket reads every ICMP packet the host receives (raw(7)): on lo that is first the
    // request itself, then the reply.
    let mut buf = [0u8; 1500];
    for _ in 0..4 {
        let fd = icmp.as_raw_fd();
        let c = n.call("recvfrom", Some(fd), fd).enter();
        let r = rawsock::recv(&icmp, &mut buf);
        let got = r.as_ref().map(|&k| &buf[..k]).ok();
        c.done(r.as_ref().map(|&k| k as i64), got);
        let got = r.map_err(failed("recvfrom failed"))?;
        // RFC 792: type 0 is the echo reply, with the request's identifier and sequence.
        if wire::icmp_of(&buf[..got]) == Some((0, ECHO_ID, 1)) {
            break;
        }
    }
    progress.settle();

    let port = raw_source_port(addr.port());
    let syn = wire::ipv4_tcp_syn((ip, port), (ip, addr.port()), RAW_ISN, 64240, 1460);
    send_raw(&raw, &syn, ip, "TCP SYN", n)?;
    progress.settle();

    // Asked again now that the lesson gave up its capabilities: EPERM (raw(7)).
    match raw_socket(rawsock::ICMP, "IPPROTO_ICMP", n) {
        Err(e) if e.raw_os_error() == Some(crate::sys::errno::EPERM) => {}
        Err(e) => n.say(format_args!("socket(SOCK_RAW) failed: {}", describe(&e))),
        Ok(_) => n.say("socket(SOCK_RAW) worked: this process still has CAP_NET_RAW"),
    }
    demo::close_fd(icmp, n);
    demo::close_fd(raw, n);
    demo::close_fd(listener, &server_n);
    Ok(ONE_TCP)
}

/// A recorded `sendto(fd, <what>, dst)` of a whole datagram or packet on a raw socket.
fn send_raw(
    fd: &OwnedFd,
    data: &[u8],
    dst: Ipv4Addr,
    what: &str,
    n: &Narrator,
) -> Result<(), String> {
    let raw = fd.as_raw_fd();
    let c = n
        .call(
            "sendto",
            Some(raw),
            format_args!("{raw}, {what} ({} bytes), {dst}", data.len()),
        )
        .enter();
    let r = rawsock::send_to(fd, data, dst);
    c.done(r.as_ref().map(|&k| k as i64), Some(data));
    r.map(|_| ()).map_err(failed("sendto failed"))
}
