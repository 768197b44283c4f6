//! Runs a parsed command line: builds the source, filter and renderer, and maps errors to
//! exit codes (2 for usage and unreadable input, 1 for failures at run time).

use std::io::{self, Write};

use clap::Parser;

use crate::cli::{Cli, Command, Format, ReplayArgs};
use crate::config::{HexDump, ViewConfig};
use crate::decode::Packet;
use crate::filter::Filter;
use crate::pipeline::{self, End, Limits};
use crate::render::Renderer;
use crate::render::hex::HexRenderer;
use crate::render::json::JsonRenderer;
use crate::render::learner::LearnerRenderer;
use crate::render::quiet::QuietRenderer;
use crate::render::tcpdump::TcpdumpRenderer;
use crate::render::time::{TimeFormatter, TimeStyle, Zone};
use crate::render::track_views;
use crate::render::verbose::VerboseRenderer;
use crate::source::{FileSource, SourceError};
use crate::track::{Limits as TrackLimits, Tracker};

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
    crate::render::time::set_process_zone(Zone::new(crate::sys::tz::local_utc_offset));
    if !matches!(
        &cli.command,
        Command::Live(_) | Command::Lesson(_) | Command::Explain(_)
    ) {
        crate::sys::privileges::drop_all().map_err(Failure::Runtime)?; // needs no privilege
    }
    match cli.command {
        Command::Replay(a) if a.flows || a.ladder => track_views::replay(a),
        Command::Replay(a) => replay(a),
        Command::Demo(a) => crate::demo::command::run(&a),
        Command::Explain(a) => crate::explain::run(a),
        Command::Flows(a) => track_views::flows(a),
        Command::Ladder(a) => track_views::ladder(a),
        Command::Follow(a) => track_views::follow(a),
        Command::Lesson(a) => crate::lesson::run(&a),
        Command::Live(a) => crate::capture::live(a),
        Command::Interfaces => crate::capture::interfaces(),
    }
}

/// Builds the renderer for a view.
pub fn make_renderer(cfg: &ViewConfig) -> Box<dyn Renderer> {
    let time = TimeFormatter::new(cfg.time, cfg.nano);
    if cfg.quiet {
        return Box::new(QuietRenderer::new());
    }
    let view: Box<dyn Renderer> = match cfg.format {
        Format::Learner => {
            // Without -t the learner view counts from the first packet; -t… picks tcpdump's.
            let t = (cfg.time != TimeStyle::Clock).then_some(time);
            Box::new(LearnerRenderer::new(cfg.color, cfg.absolute, t))
        }
        Format::Tcpdump => Box::new(TcpdumpRenderer::new(time, cfg.absolute)),
        Format::Verbose => Box::new(VerboseRenderer::new(cfg.nano)),
        Format::Json => Box::new(JsonRenderer::new()),
    };
    match cfg.hex {
        HexDump::None => view,
        // A dump would break one-object-per-line JSON.
        _ if cfg.format == Format::Json => view,
        h => Box::new(HexRenderer::new(
            view,
            h == HexDump::HexAscii,
            cfg.format == Format::Tcpdump,
        )),
    }
}

/// Whether a view uses the conversation tracker (flows, roles, relative seq/ack).
pub fn needs_tracker(cfg: &ViewConfig) -> bool {
    cfg.quiet || matches!(cfg.format, Format::Learner | Format::Json | Format::Verbose)
}

fn replay(a: ReplayArgs) -> Result<(), Failure> {
    let cfg = ViewConfig::from_args(&a.view);
    let filter = Filter::parse(&a.filter.join(" ")).map_err(|e| Failure::Usage(e.to_string()))?;
    let matches = |p: &Packet<'_>| filter.matches(p);
    let filter_fn: Option<&dyn Fn(&Packet<'_>) -> bool> = (!filter.is_empty()).then_some(&matches);
    let mut source = FileSource::open(&a.file).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut renderer = make_renderer(&cfg);
    let mut tracker = Tracker::with_limits(TrackLimits::streaming());
    let tracker = needs_tracker(&cfg).then_some(&mut tracker);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let (_stats, end) = pipeline::run(
        &mut source,
        filter_fn,
        tracker,
        renderer.as_mut(),
        &mut out,
        Limits {
            count: cfg.count,
            skip: cfg.skip,
        },
    );
    let _ = out.flush();
    file_end(end)
}

/// How reading a capture file ended, as the program's result: a file cut short is a warning
/// (everything before the cut was shown), a reader gone away (`| head`) is not an error.
pub(crate) fn file_end(end: End) -> Result<(), Failure> {
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
