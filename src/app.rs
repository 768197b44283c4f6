//! Runs a parsed command line: builds the source, filter and renderer, and maps errors to
//! exit codes (2 for usage and unreadable input, 1 for failures at run time).

use std::io::{self, Write};

use clap::Parser;

use crate::cli::{Cli, Command, Format, ReplayArgs};
use crate::config::ViewConfig;
use crate::pipeline::{self, End, Limits};
use crate::render::Renderer;
use crate::render::tcpdump::TcpdumpRenderer;
use crate::render::time::TimeFormatter;
use crate::source::{FileSource, SourceError};

/// An error that ends the program, with its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or unreadable input: exit code 2.
    Usage(String),
    /// Something failed while running: exit code 1.
    Runtime(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Runtime(_) => 1,
        }
    }
}

/// Entry point used by `main`: returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(f) => {
            let (Failure::Usage(m) | Failure::Runtime(m)) = &f;
            eprintln!("sockscope: {m}");
            f.exit_code()
        }
    }
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Replay(a) => replay(a),
        Command::Live(a) => crate::capture::live(a),
        Command::Interfaces => crate::capture::interfaces(),
    }
}

/// Builds the renderer for a view.
pub fn make_renderer(cfg: &ViewConfig) -> Box<dyn Renderer> {
    let time = TimeFormatter::new(cfg.time, cfg.nano);
    match cfg.format {
        Format::Tcpdump | Format::Learner | Format::Verbose | Format::Json => {
            Box::new(TcpdumpRenderer::new(time, cfg.absolute))
        }
    }
}

fn replay(a: ReplayArgs) -> Result<(), Failure> {
    let cfg = ViewConfig::from_args(&a.view);
    let mut source = FileSource::open(&a.file).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut renderer = make_renderer(&cfg);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let (_stats, end) = pipeline::run(
        &mut source,
        None,
        None,
        renderer.as_mut(),
        &mut out,
        Limits {
            count: cfg.count,
            skip: cfg.skip,
        },
    );
    let _ = out.flush();
    match end {
        End::Done | End::OutputClosed => Ok(()),
        End::SourceError(e @ SourceError::Truncated { .. }) => {
            eprintln!("sockscope: warning: {e}");
            Ok(())
        }
        End::SourceError(e) => Err(Failure::Runtime(e.to_string())),
        End::Output(e) => Err(Failure::Runtime(format!("cannot write output: {e}"))),
    }
}
