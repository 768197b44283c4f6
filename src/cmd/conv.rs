//! The views built on connection tracking over a capture file: `flows`, `ladder` (and its
//! exports), `follow`, and `replay --flows` / `replay --ladder`.

use std::io::{self, Write};

use super::config::{ViewConfig, stdout_color};
use super::pipeline::{Pipeline, file_end, open_file, stdout_buffer};
use super::{Error, out};
use crate::cli::{FlowsArgs, FollowArgs, LadderArgs, ReplayArgs, ViewArgs};
use crate::render::Renderer;
use crate::render::export::{self, ExportFormat};
use crate::render::flows::FlowsRenderer;
use crate::render::follow::{FollowFormat, FollowRenderer};
use crate::render::ladder::{LadderOptions, LadderRenderer, Layout};
use crate::sys::term::output_width;

/// Reads `file` through `renderer` to the end (or the count), writing to standard output; only
/// packets that match `filter` (tcpdump syntax, empty for all) reach the view.
fn run(
    file: &str,
    filter: &[String],
    cfg: &ViewConfig,
    renderer: &mut dyn Renderer,
) -> Result<(), Error> {
    let mut out = stdout_buffer();
    let r = run_to(file, filter, cfg, renderer, &mut out);
    let _ = out.flush();
    r
}

/// [`run`] with the output given.
fn run_to(
    file: &str,
    filter: &[String],
    cfg: &ViewConfig,
    renderer: &mut dyn Renderer,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut pipeline = Pipeline::new(filter)?.limits(cfg);
    let mut source = open_file(file)?;
    let (_, end) = pipeline.run(&mut source, renderer, out);
    file_end(end)
}

fn ladder_options(cfg: &ViewConfig, ascii: bool, flow: Option<u32>) -> LadderOptions {
    LadderOptions {
        width: output_width(),
        ascii,
        color: cfg.color,
        absolute: cfg.absolute,
        flow,
        layout: Layout::Grouped,
    }
}

pub fn replay(a: ReplayArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    if a.flows {
        let mut r = FlowsRenderer::new(cfg.color);
        run(&a.file, &a.filter, &cfg, &mut r)
    } else {
        let mut r = LadderRenderer::new(ladder_options(&cfg, a.ascii, None));
        run(&a.file, &a.filter, &cfg, &mut r)
    }
}

pub fn flows(a: FlowsArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    let mut r = FlowsRenderer::new(cfg.color);
    run(&a.file, &a.filter, &cfg, &mut r)
}

/// `--export FORMAT OUT`, checked.
fn export_target(export: &[String]) -> Result<Option<(ExportFormat, String)>, Error> {
    match export {
        [] => Ok(None),
        [fmt, path] => {
            let f = ExportFormat::parse(fmt).ok_or_else(|| {
                Error::usage(format!(
                    "--export takes a format and a file: svg, html or mermaid, not `{fmt}`"
                ))
            })?;
            Ok(Some((f, path.clone())))
        }
        _ => Err(Error::usage(
            "--export takes a format and a file, e.g. --export svg ladder.svg",
        )),
    }
}

/// `--flow N` named a conversation the file does not have.
fn no_such_flow(r: &LadderRenderer, flow: Option<u32>, file: &str) -> Result<(), Error> {
    match flow {
        Some(n) if r.diagrams().is_empty() => Err(Error::usage(format!(
            "no conversation #{n} in {file}: conversations are numbered from 0 (see `sockscope flows`)"
        ))),
        _ => Ok(()),
    }
}

pub fn ladder(a: LadderArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    let mut opts = ladder_options(&cfg, a.ascii, a.flow);
    let export = export_target(&a.export)?;
    if export.is_some() {
        opts.color = false;
    }
    let mut r = LadderRenderer::new(opts);
    let Some((format, path)) = export else {
        run(&a.file, &a.filter, &cfg, &mut r)?;
        return no_such_flow(&r, a.flow, &a.file);
    };
    run_to(&a.file, &a.filter, &cfg, &mut r, &mut io::sink())?;
    r.complete();
    no_such_flow(&r, a.flow, &a.file)?;
    let mut buf = Vec::new();
    export::write(&mut buf, format, r.diagrams()).map_err(Error::runtime)?;
    let write = if path == "-" {
        let mut stdout = io::stdout().lock();
        match stdout.write_all(&buf).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            r => r,
        }
    } else {
        std::fs::write(&path, &buf)
    };
    write.map_err(|e| Error::failed(format!("cannot write {path}"), e))?;
    if path == "-" {
        return Ok(());
    }
    let n = r.diagrams().len();
    out::say(format_args!(
        "wrote {path} ({n} conversation{})",
        if n == 1 { "" } else { "s" }
    ));
    Ok(())
}

pub fn follow(a: FollowArgs) -> Result<(), Error> {
    let format = if a.hex {
        FollowFormat::Hex
    } else {
        FollowFormat::Text
    };
    let mut r = FollowRenderer::new(a.flow, format, stdout_color(a.color));
    run(
        &a.file,
        &[],
        &ViewConfig::from_args(&ViewArgs::default()),
        &mut r,
    )?;
    match r.found() {
        (true, _) => Ok(()),
        (false, n) => Err(Error::usage(format!(
            "no conversation #{} in {}: it has {n}, numbered from 0 (see `sockscope flows`)",
            a.flow, a.file
        ))),
    }
}
