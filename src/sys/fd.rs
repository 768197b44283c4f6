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
