//! `sockscope explain ip|port|ports|packet`: reads the facts of this machine (or the capture
//! file), has [`crate::explain`] turn them into text or JSON, and prints the answer.

use super::config::stdout_color;
use super::{Error, out};
use crate::cli::{ExplainArgs, ExplainCommand};
use crate::explain::{ip, packet, port};

/// Runs one `explain` subcommand and prints its answer on standard output.
pub fn run(a: ExplainArgs) -> Result<(), Error> {
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
            let e = ip::explain(&addr, &facts).map_err(Error::usage)?;
            if json {
                pretty(&e.to_json())
            } else {
                e.to_text()
            }
        }
        ExplainCommand::Port { port, json } => {
            let spec = port::parse_spec(&port).map_err(Error::usage)?;
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
            let color = stdout_color(color);
            let e = packet::explain_file(&file, frame).map_err(Error::usage)?;
            if json {
                pretty(&e.to_json())
            } else {
                e.to_text(color)
            }
        }
    };
    out::stdout(text.as_bytes())
}

fn drop_all() -> Result<(), Error> {
    crate::sys::privileges::drop_all().map_err(Error::runtime)
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
