//! The size of the terminal on standard output (TIOCGWINSZ, ioctl_tty(2)).

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
