//! The terminal: the size of the one on standard output (TIOCGWINSZ, ioctl_tty(2)), and one
//! key read from the one on standard input without waiting for Enter (termios(3)).

use std::io::{self, Read};

/// The number of columns of the terminal on standard output, or `None` when standard output is
/// not a terminal (or the terminal does not say).
pub fn stdout_columns() -> Option<u16> {
    // SAFETY: all-zero is a valid `winsize`.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one `winsize` into `ws`, which outlives the call; no other
    // memory is touched.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some(ws.ws_col)
}

/// The width to draw for: the terminal on standard output, else `COLUMNS`, else 100 (narrower
/// than 40 columns counts as not said).
pub fn output_width() -> usize {
    if let Some(cols) = stdout_columns().filter(|&c| c >= 40) {
        return cols as usize;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 40)
        .unwrap_or(100)
}

/// The terminal on standard input in non-canonical mode without echo, for as long as this
/// lives: each key is readable as soon as it is pressed. Dropping it restores the settings it
/// found. Ctrl-C read here restores them first, then interrupts as it would have (SIGINT).
pub struct RawKeys {
    saved: libc::termios,
}

impl RawKeys {
    /// Switches standard input's terminal; an error when standard input is not a terminal.
    pub fn new() -> io::Result<RawKeys> {
        // SAFETY: all-zero is a valid `termios` to be filled in.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: tcgetattr writes one `termios` into `saved`, which outlives the call.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: tcsetattr only reads the `termios` it is given, which outlives the call.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawKeys { saved })
    }

    /// Waits for one key and returns its first byte (`None` at the end of input, or after
    /// Ctrl-C when SIGINT did not end the process).
    pub fn key(&mut self) -> io::Result<Option<u8>> {
        let mut b = [0u8; 1];
        loop {
            match io::stdin().lock().read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) if b[0] == self.saved.c_cc[libc::VINTR] => {
                    self.restore();
                    // SAFETY: raise only sends SIGINT to this thread; no memory is involved.
                    unsafe { libc::raise(libc::SIGINT) };
                    return Ok(None);
                }
                Ok(_) => return Ok(Some(b[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl RawKeys {
    fn restore(&self) {
        // SAFETY: tcsetattr only reads `saved`, the settings tcgetattr gave in `new`.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved) };
    }
}

impl Drop for RawKeys {
    fn drop(&mut self) {
        self.restore();
    }
}
