//! Waiting on a descriptor (poll(2)) and the send queue of a socket (TIOCOUTQ, tty_ioctl(4) and
//! tcp(7)).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// Waits up to `timeout_ms` (negative: forever) until `fd` is readable. `Ok(false)` on timeout;
/// an interrupted wait (`EINTR`) is returned as the error it is.
pub fn poll_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd that lives across the call, and the count is 1.
    let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n > 0)
}

/// [`poll_readable`] with a [`Duration`] (capped at `i32::MAX` ms) on anything with a descriptor.
pub fn wait_readable(fd: &impl AsRawFd, timeout: Duration) -> io::Result<bool> {
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    poll_readable(fd.as_raw_fd(), ms)
}

/// Bytes in the send queue of socket `fd` that the peer has not acknowledged yet (TIOCOUTQ,
/// i.e. SIOCOUTQ on a TCP socket).
pub fn unacked_bytes(fd: &impl AsRawFd) -> io::Result<usize> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one int, into `queued`, which outlives the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut queued) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(queued.max(0) as usize)
}

/// The address family (`AF_INET`, `AF_INET6`, `AF_UNIX` …) and type (`SOCK_STREAM`,
/// `SOCK_DGRAM` …) of socket `fd` (getsockopt SO_DOMAIN and SO_TYPE, socket(7)); `None` when
/// `fd` is not a socket.
pub fn socket_kind(fd: RawFd) -> Option<(i32, i32)> {
    let get = |opt: libc::c_int| {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes (one int) into `v`, and `len` into
        // `len`; both outlive the call. Any descriptor number is safe to ask about.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        (rc == 0).then_some(v)
    };
    Some((get(libc::SO_DOMAIN)?, get(libc::SO_TYPE)?))
}
