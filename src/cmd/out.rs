//! Messages on standard error and short answers on standard output, written so that a closed
//! pipe ends the program quietly (as tcpdump and ripgrep do) instead of panicking as `println!`
//! and `eprintln!` do on EPIPE.

use std::fmt::Display;
use std::io::{self, Write};

/// Writes `sockscope: {msg}` and a newline to standard error. Nothing happens if standard error
/// is closed: there is nobody left to tell.
pub fn say(msg: impl Display) {
    let _ = writeln!(io::stderr().lock(), "sockscope: {msg}");
}

/// `sockscope: warning: {msg}` on standard error.
pub fn warn(msg: impl Display) {
    say(format_args!("warning: {msg}"));
}

/// Writes `text` to standard error as it is (the capture counts at the end of `live`).
pub fn stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Writes `text` to standard output and flushes it. A reader that went away (`| head`) is not
/// an error; any other write failure is.
pub fn stdout(text: &[u8]) -> Result<(), super::Error> {
    let mut out = io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(super::Error::output(e)),
        _ => Ok(()),
    }
}
