//! The lesson's one output: packet lines and the demo's narration come from different threads
//! and must not tear each other's lines, so every writer here hands over whole lines only.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// Standard output (or any writer), shared by all the lesson's threads.
#[derive(Clone)]
pub struct Console {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl Console {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Console {
            out: Arc::new(Mutex::new(out)),
        }
    }

    pub fn stdout() -> Self {
        Console::new(Box::new(io::stdout()))
    }

    /// A writer whose complete lines go to the console, each prefixed with `prefix`.
    pub fn lines(&self, prefix: &'static str) -> Lines {
        Lines {
            console: self.clone(),
            prefix,
            buf: Vec::new(),
        }
    }

    fn put(&self, prefix: &str, line: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(prefix.as_bytes())?;
        out.write_all(line)?;
        out.flush()
    }
}

/// See [`Console::lines`]. A last line without a newline is written on flush.
pub struct Lines {
    console: Console,
    prefix: &'static str,
    buf: Vec<u8>,
}

impl Write for Lines {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let prefix = if line == b"\n" { "" } else { self.prefix };
            self.console.put(prefix, &line)?;
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
            let mut rest = std::mem::take(&mut self.buf);
            rest.push(b'\n');
            let _ = self.console.put(self.prefix, &rest);
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
        let c = Console::new(Box::new(t.clone()));
        let mut a = c.lines("  » ");
        let mut b = c.lines("");
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
}
