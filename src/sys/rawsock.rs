//! Raw IPv4 sockets for the raw-socket lesson (raw(7)): opening one (needs CAP_NET_RAW),
//! sending a datagram or a whole IP packet to an address, and receiving with a timeout.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// IPPROTO_ICMP (RFC 792): the kernel writes the IP header, the socket reads every ICMP packet.
pub const ICMP: i32 = libc::IPPROTO_ICMP;
/// IPPROTO_RAW: send only, and the caller writes the IP header itself (IP_HDRINCL implied).
pub const RAW: i32 = libc::IPPROTO_RAW;

/// `socket(AF_INET, SOCK_RAW, protocol)`. EPERM without CAP_NET_RAW.
pub fn open(protocol: i32) -> io::Result<OwnedFd> {
    // SAFETY: socket takes only integers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor we just opened and nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `sendto(fd, data, dst)`: the bytes sent.
pub fn send_to(fd: &OwnedFd, data: &[u8], dst: Ipv4Addr) -> io::Result<usize> {
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(dst).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `data` and `addr` are valid for the lengths given and outlive the call.
    let n = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            0,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Sets how long [`recv`] waits (SO_RCVTIMEO, socket(7)).
pub fn set_recv_timeout(fd: &OwnedFd, timeout: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: SO_RCVTIMEO reads one timeval, which `tv` is, for the length given.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `recvfrom(fd, buf)` without the sender's address: one packet (on a raw IPv4 socket, with
/// its IP header), its length. EAGAIN once the timeout passes.
pub fn recv(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writing `buf.len()` bytes; no address is asked for.
    let n = unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
