//! Runs the views built on connection tracking over a capture file: `flows`, `ladder` (and its
//! exports), `follow`, and `replay --flows` / `replay --ladder`.

use std::io::{self, IsTerminal, Write};

use crate::app::{Failure, file_end};
use crate::cli::{FlowsArgs, FollowArgs, LadderArgs, ReplayArgs, ViewArgs};
use crate::config::{ViewConfig, use_color};
use crate::decode::Packet;
use crate::filter::Filter;
use crate::pipeline::{self, Limits};
use crate::render::Renderer;
use crate::render::export::{self, ExportFormat};
use crate::render::flows::FlowsRenderer;
use crate::render::follow::{FollowFormat, FollowRenderer};
use crate::render::ladder::{LadderOptions, LadderRenderer, Layout, terminal_width};
use crate::source::FileSource;

/// Reads `file` through `renderer` to the end (or the count), writing to standard output; only
/// packets that match `filter` (tcpdump syntax, empty for all) reach the view.
fn run(
    file: &str,
    filter: &[String],
    view: &ViewArgs,
    renderer: &mut dyn Renderer,
) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = run_to(file, filter, view, renderer, &mut out);
    let _ = out.flush();
    r
}

/// [`run`] with the output given.
fn run_to(
    file: &str,
    filter: &[String],
    view: &ViewArgs,
    renderer: &mut dyn Renderer,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let cfg = ViewConfig::from_args(view);
    let filter = Filter::parse(&filter.join(" ")).map_err(|e| Failure::Usage(e.to_string()))?;
    let matches = |p: &Packet<'_>| filter.matches(p);
    let filter_fn: Option<&dyn Fn(&Packet<'_>) -> bool> = (!filter.is_empty()).then_some(&matches);
    let mut source = FileSource::open(file).map_err(|e| Failure::Usage(e.to_string()))?;
    let limits = Limits {
        count: cfg.count,
        skip: cfg.skip,
    };
    let (_, end) = pipeline::run(&mut source, filter_fn, None, renderer, out, limits);
    file_end(end)
}

fn ladder_options(view: &ViewArgs, ascii: bool, flow: Option<u32>) -> LadderOptions {
    let cfg = ViewConfig::from_args(view);
    LadderOptions {
        width: terminal_width(),
        ascii,
        color: cfg.color,
        absolute: cfg.absolute,
        flow,
        layout: Layout::Grouped,
    }
}

pub fn replay(a: ReplayArgs) -> Result<(), Failure> {
    if a.flows {
        let mut r = FlowsRenderer::new(ViewConfig::from_args(&a.view).color);
        run(&a.file, &a.filter, &a.view, &mut r)
    } else {
        let mut r = LadderRenderer::new(ladder_options(&a.view, a.ascii, None));
        run(&a.file, &a.filter, &a.view, &mut r)
    }
}

pub fn flows(a: FlowsArgs) -> Result<(), Failure> {
    let mut r = FlowsRenderer::new(ViewConfig::from_args(&a.view).color);
    run(&a.file, &a.filter, &a.view, &mut r)
}

pub fn ladder(a: LadderArgs) -> Result<(), Failure> {
    let mut opts = ladder_options(&a.view, a.ascii, a.flow);
    let export = match a.export.as_slice() {
        [] => None,
        [fmt, path] => {
            let f = ExportFormat::parse(fmt).ok_or_else(|| {
                Failure::Usage(format!(
                    "--export takes a format and a file: svg, html or mermaid, not `{fmt}`"
                ))
            })?;
            Some((f, path.clone()))
        }
        _ => {
            return Err(Failure::Usage(
                "--export takes a format and a file, e.g. --export svg ladder.svg".into(),
            ));
        }
    };
    if export.is_some() {
        opts.color = false;
    }
    let mut r = LadderRenderer::new(opts);
    match export {
        None => {
            run(&a.file, &a.filter, &a.view, &mut r)?;
            match a.flow {
                Some(n) if r.diagrams().is_empty() => Err(Failure::Usage(format!(
                    "no conversation #{n} in {}: conversations are numbered from 0 (see `sockscope flows`)",
                    a.file
                ))),
                _ => Ok(()),
            }
        }
        Some((format, path)) => {
            run_to(&a.file, &a.filter, &a.view, &mut r, &mut io::sink())?;
            r.complete();
            if let Some(n) = a.flow
                && r.diagrams().is_empty()
            {
                return Err(Failure::Usage(format!(
                    "no conversation #{n} in {}: conversations are numbered from 0 (see `sockscope flows`)",
                    a.file
                )));
            }
            let mut buf = Vec::new();
            export::write(&mut buf, format, r.diagrams())
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let write = if path == "-" {
                io::stdout().write_all(&buf)
            } else {
                std::fs::write(&path, &buf)
            };
            write.map_err(|e| Failure::Runtime(format!("cannot write {path}: {e}")))?;
            if path != "-" {
                eprintln!(
                    "sockscope: wrote {path} ({} conversation{})",
                    r.diagrams().len(),
                    if r.diagrams().len() == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
    }
}

pub fn follow(a: FollowArgs) -> Result<(), Failure> {
    let color = use_color(a.color, io::stdout().is_terminal());
    let format = if a.hex {
        FollowFormat::Hex
    } else {
        FollowFormat::Text
    };
    let mut r = FollowRenderer::new(a.flow, format, color);
    run(&a.file, &[], &ViewArgs::default(), &mut r)?;
    match r.found() {
        (true, _) => Ok(()),
        (false, n) => Err(Failure::Usage(format!(
            "no conversation #{} in {}: it has {n}, numbered from 0 (see `sockscope flows`)",
            a.flow, a.file
        ))),
    }
}
