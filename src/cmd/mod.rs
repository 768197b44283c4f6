//! The commands: one module per command, the pipeline builder they share ([`pipeline`]), the
//! configuration resolved from the arguments ([`config`]), and [`main`], which runs one command
//! and maps its error to an exit code (2 for usage and unreadable input, 1 for failures at run
//! time), printing the error and its causes on standard error.

pub mod config;
pub mod conv;
pub mod demo;
pub mod explain;
pub mod interfaces;
pub mod lesson;
pub mod live;
pub mod man;
pub mod out;
pub mod pipeline;
pub mod replay;
pub mod run;
pub mod save_ng;
pub mod tcpdump;
pub mod tui;

use std::error::Error as StdError;
use std::fmt;
use std::io;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::render::time::Zone;

/// Any error, with its chain of causes.
pub type Cause = Box<dyn StdError + Send + Sync>;

/// An error that ends the program; the kind decides the exit code.
#[derive(Debug)]
pub enum Error {
    /// Bad usage or unreadable input: exit code 2.
    Usage(Cause),
    /// Something failed while running: exit code 1.
    Runtime(Cause),
}

impl Error {
    /// A usage error: a message (`String`, `&str`) or a typed error.
    pub fn usage(e: impl Into<Cause>) -> Error {
        Error::Usage(e.into())
    }

    /// A failure at run time.
    pub fn runtime(e: impl Into<Cause>) -> Error {
        Error::Runtime(e.into())
    }

    /// A failure at run time while doing `what` (`cannot create x.pcap`), caused by `e`.
    pub fn failed(what: impl Into<String>, e: impl Into<Cause>) -> Error {
        Error::runtime(Context {
            what: what.into(),
            source: e.into(),
        })
    }

    /// Writing the output failed (other than the reader going away, which ends quietly).
    pub fn output(e: io::Error) -> Error {
        Error::failed("cannot write output", e)
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Runtime(_) => 1,
        }
    }

    fn cause(&self) -> &(dyn StdError + 'static) {
        match self {
            Error::Usage(e) | Error::Runtime(e) => e.as_ref(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&chain(self.cause()))
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.cause())
    }
}

/// What was being done when `source` failed: shown as `what: source`.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Context {
    what: String,
    #[source]
    source: Cause,
}

/// `e` and its causes on one line, `outer: inner: innermost`. A cause whose text the line
/// already holds is not repeated: several of the core's errors name their cause in their own
/// message (and still return it from `source()`).
pub fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut line = e.to_string();
    let mut next = e.source();
    while let Some(c) = next {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = c.source();
    }
    line
}

/// Entry point used by `main`: returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let r = if tcpdump::is_tcpdump_style(&args) {
        tcpdump::run(&args)
    } else {
        run(Cli::parse())
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            out::say(&e);
            e.exit_code()
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    crate::render::time::set_process_zone(Zone::new(crate::sys::tz::local_utc_offset));
    // Commands that open no privileged socket give up every capability at once; live, run and
    // the lessons drop theirs once their capture socket is open, explain once it read /proc.
    if !matches!(
        &cli.command,
        Command::Live(_) | Command::Lesson(_) | Command::Explain(_) | Command::Run(_)
    ) {
        crate::sys::privileges::drop_all().map_err(Error::runtime)?;
    }
    match cli.command {
        Command::Replay(a) if a.flows || a.ladder => conv::replay(a),
        Command::Replay(a) => replay::run(a),
        Command::Demo(a) => demo::run(&a),
        Command::Explain(a) => explain::run(a),
        Command::Flows(a) => conv::flows(a),
        Command::Ladder(a) => conv::ladder(a),
        Command::Follow(a) => conv::follow(a),
        Command::Lesson(a) => lesson::run(&a),
        Command::Live(a) => live::run(a),
        Command::Interfaces => interfaces::run(),
        Command::Run(a) => run::run(a),
        Command::Tui(a) => tui::run(&a),
        Command::Man => man::man(),
        Command::Completions { shell } => man::completions(shell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_names_each_cause_once() {
        let e = Error::failed("cannot create x.pcap", io::Error::other("disk full"));
        assert_eq!(e.to_string(), "cannot create x.pcap: disk full");
        assert_eq!(e.exit_code(), 1);
        let inner = Error::failed("cannot open x", io::Error::other("gone"));
        let outer = Error::failed("cannot open x: gone", inner);
        assert_eq!(outer.to_string(), "cannot open x: gone");
        assert_eq!(Error::usage("bad").exit_code(), 2);
    }
}
