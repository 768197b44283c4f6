//! SIGINT and SIGTERM as a stop flag: the capture loop polls it and ends cleanly (flush, stats).
//!
//! The handler only stores to an atomic, which is async-signal-safe. It is installed without
//! `SA_RESTART`, so a blocking `poll` returns `EINTR` at once and the loop sees the flag without
//! waiting for its receive timeout.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the handler; read by whoever runs the capture loop.
static STOP: AtomicBool = AtomicBool::new(false);

/// The signals that end a capture cleanly (Ctrl-C and `kill`).
const STOP_SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

extern "C" fn on_stop_signal(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// The process-wide stop flag that [`install`] arms.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Routes SIGINT and SIGTERM to the stop flag.
pub fn install() -> io::Result<&'static AtomicBool> {
    for sig in STOP_SIGNALS {
        // SAFETY: a zeroed sigaction is valid; the handler is async-signal-safe (one atomic store).
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0; // no SA_RESTART: interrupt blocking calls
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(&STOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_sets_the_flag() {
        let flag = install().unwrap();
        flag.store(false, Ordering::SeqCst);
        // SAFETY: raising a signal whose handler we just installed.
        unsafe { libc::raise(libc::SIGTERM) };
        assert!(flag.load(Ordering::SeqCst));
        flag.store(false, Ordering::SeqCst);
    }
}
