//! `sockscope explain`: answers "what is this address / port / packet?" from the facts.
//!
//! Each explanation is split in two: a pure part that turns the input and a set of machine facts
//! into text or JSON (deterministic, golden-tested), and the part that reads the facts of this
//! machine right now (`/proc`, `getifaddrs`). Tests inject their own facts.

pub mod diagram;
pub mod ip;
pub mod packet;
pub mod port;
pub mod sockets;

use std::io::{self, IsTerminal, Write};

use crate::app::Failure;
use crate::cli::{ExplainArgs, ExplainCommand};

fn drop_all() -> Result<(), Failure> {
    crate::sys::privileges::drop_all().map_err(Failure::Runtime)
}

/// Runs one `explain` subcommand and prints its answer on standard output.
pub fn run(a: ExplainArgs) -> Result<(), Failure> {
    // Only `port` and `ports` use privilege (root reads every process's /proc/PID/fd); they
    // give it up once the facts are read, the others at once.
    if !matches!(
        a.what,
        ExplainCommand::Port { .. } | ExplainCommand::Ports { .. }
    ) {
        drop_all()?;
    }
    let text = match a.what {
        ExplainCommand::Ip { addr, json } => {
            let facts = ip::IpFacts::of_this_machine();
            let e = ip::explain(&addr, &facts).map_err(Failure::Usage)?;
            if json {
                pretty(&e.to_json())
            } else {
                e.to_text()
            }
        }
        ExplainCommand::Port { port, json } => {
            let spec = port::parse_spec(&port).map_err(Failure::Usage)?;
            let facts = port::MachineFacts::of_this_machine();
            drop_all()?;
            let e = port::explain(spec, &facts);
            if json {
                pretty(&e.to_json())
            } else {
                e.to_text()
            }
        }
        ExplainCommand::Ports { json } => {
            let facts = port::MachineFacts::of_this_machine();
            drop_all()?;
            if json {
                pretty(&port::ports_json(&facts))
            } else {
                port::ports_text(&facts)
            }
        }
        ExplainCommand::Packet {
            file,
            frame,
            json,
            color,
        } => {
            let color = crate::config::use_color(color, io::stdout().is_terminal());
            let e = packet::explain_file(&file, frame)?;
            if json {
                pretty(&e.to_json())
            } else {
                e.to_text(color)
            }
        }
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Runtime(format!("cannot write output: {e}"))),
    }
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Wraps `text` to lines of at most `width` characters, each prefixed by `indent`.
pub(crate) fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}
