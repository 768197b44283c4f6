//! The lesson's one output: packet lines and the demo's narration come from different threads
//! and must not tear each other's lines, so every writer here hands over whole lines only.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// Where narration lines start: they stand out from the packet lines between them.
pub const NARRATION: &str = "  » ";

/// SGR codes (ECMA-48) for narration when colour is on: the socket calls' own style, never
/// dimmed like notes (the narration says what the demo's program does).
use crate::render::calls::CALL as STYLE;
const RESET: &str = "\x1b[0m";

/// Standard output (or any writer), shared by all the lesson's threads.
#[derive(Clone)]
pub struct Console {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    color: bool,
}

impl Console {
    pub fn new(out: Box<dyn Write + Send>, color: bool) -> Self {
        Console {
            out: Arc::new(Mutex::new(out)),
            color,
        }
    }

    pub fn stdout(color: bool) -> Self {
        Console::new(Box::new(io::stdout()), color)
    }

    /// A writer whose complete lines go to the console as they are.
    pub fn lines(&self) -> Lines {
        self.prefixed("", false)
    }

    /// A writer for narration: complete lines, each after [`NARRATION`], in the calls' style with colour.
    pub fn narration(&self) -> Lines {
        self.prefixed(NARRATION, self.color)
    }

    /// Writes `bytes` as they are, no newline added (a prompt, or the codes that erase it).
    pub fn raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(bytes)?;
        out.flush()
    }

    fn prefixed(&self, prefix: &'static str, styled: bool) -> Lines {
        Lines {
            console: self.clone(),
            prefix,
            styled,
            buf: Vec::new(),
        }
    }

    fn put(&self, prefix: &str, styled: bool, line: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if styled && !text.is_empty() {
            out.write_all(STYLE.as_bytes())?;
        }
        out.write_all(prefix.as_bytes())?;
        out.write_all(text)?;
        if styled && !text.is_empty() {
            out.write_all(RESET.as_bytes())?;
        }
        out.write_all(b"\n")?;
        out.flush()
    }
}

/// See [`Console::lines`]. A last line without a newline is written when dropped.
pub struct Lines {
    console: Console,
    prefix: &'static str,
    styled: bool,
    buf: Vec<u8>,
}

impl Write for Lines {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let prefix = if line == b"\n" { "" } else { self.prefix };
            self.console.put(prefix, self.styled, &line)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let _ = self.console.put(self.prefix, self.styled, &rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::Transcript;

    #[test]
    fn whole_prefixed_lines_from_many_writers() {
        let t = Transcript::default();
        let c = Console::new(Box::new(t.clone()), false);
        let mut a = c.narration();
        let mut b = c.lines();
        a.write_all(b"server: bi").unwrap();
        b.write_all(b"packet 1\n").unwrap();
        a.write_all(b"nd\n\nclient: x\n").unwrap();
        b.write_all(b"tail").unwrap();
        drop(b);
        assert_eq!(
            t.text(),
            "packet 1\n  » server: bind\n\n  » client: x\ntail\n"
        );
    }

    #[test]
    fn narration_is_styled_as_calls_with_colour() {
        let t = Transcript::default();
        let c = Console::new(Box::new(t.clone()), true);
        writeln!(c.narration(), "client: close").unwrap();
        writeln!(c.lines(), "packet").unwrap();
        assert_eq!(t.text(), "\x1b[1;32m  » client: close\x1b[0m\npacket\n");
    }
}
