//! The narrator: one line per socket call (`server: bind 127.0.0.1:7007`), prefixed with the
//! role, so a learner can match each call with the packets it causes. Shared by every demo.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Writes narration lines for one role (`server`, `client`, `server[3]`, ...).
///
/// Clones share the same output, so the threads of a server can all narrate into one stream
/// without tearing lines. A silent narrator drops everything. Write errors are ignored: the
/// narration must never break the demo it describes.
#[derive(Clone)]
pub struct Narrator {
    sink: Option<Sink>,
    role: Arc<str>,
}

impl Narrator {
    /// A narrator writing to `out`, each line prefixed with `role: `.
    pub fn new(out: Box<dyn Write + Send>, role: &str) -> Self {
        Narrator {
            sink: Some(Arc::new(Mutex::new(out))),
            role: role.into(),
        }
    }

    /// A narrator writing to standard error (the demos' default: stdout keeps the results).
    pub fn stderr(role: &str) -> Self {
        Narrator::new(Box::new(io::stderr()), role)
    }

    /// A narrator that says nothing (`--quiet`).
    pub fn silent() -> Self {
        Narrator {
            sink: None,
            role: "".into(),
        }
    }

    /// A narrator writing into memory, and the [`Transcript`] to read it back (for tests and for
    /// the lesson runner, which interleaves narration with its own output).
    pub fn capture(role: &str) -> (Self, Transcript) {
        let t = Transcript::default();
        (Narrator::new(Box::new(t.clone()), role), t)
    }

    /// The same output under another role, e.g. `server[3]` for the thread serving client 3.
    pub fn with_role(&self, role: &str) -> Self {
        Narrator {
            sink: self.sink.clone(),
            role: role.into(),
        }
    }

    /// The role this narrator prefixes its lines with.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// Writes one line: `role: what`.
    pub fn say(&self, what: impl fmt::Display) {
        if let Some(sink) = &self.sink {
            let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(out, "{}: {what}", self.role);
            let _ = out.flush();
        }
    }
}

/// An in-memory narration buffer, shared between its clones.
#[derive(Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Transcript {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Write for Transcript {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_the_role_and_clones_share_the_output() {
        let (n, t) = Narrator::capture("server");
        n.say("bind 127.0.0.1:7007");
        n.with_role("server[1]")
            .say(format_args!("recv {} bytes", 12));
        assert_eq!(
            t.text(),
            "server: bind 127.0.0.1:7007\nserver[1]: recv 12 bytes\n"
        );
    }

    #[test]
    fn silent_narrator_writes_nothing() {
        let n = Narrator::silent();
        n.say("close");
        assert_eq!(n.role(), "");
    }
}
