//! The views built on connection tracking over a capture file: `flows`, `ladder` (and its
//! exports), `follow`, and `replay --flows` / `replay --ladder`.

use std::io::{self, Write};

use super::config::{ViewConfig, stdout_color};
use super::pipeline::{Pipeline, file_end, open_file, stdout_buffer};
use super::{Error, out};
use crate::cli::{FlowsArgs, FollowArgs, LadderArgs, ReplayArgs, ViewArgs};
use crate::render::export::{self, ExportFormat};
use crate::render::flows::FlowsRenderer;
use crate::render::follow::{FollowFormat, FollowRenderer};
use crate::render::ladder::{Diagram, LadderOptions, LadderRenderer, Layout};
use crate::render::ladder_window::Window;
use crate::render::{Renderer, conv_json};
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
        width: cfg.width.unwrap_or_else(output_width),
        ascii,
        color: cfg.color,
        absolute: cfg.absolute,
        flow,
        layout: Layout::Grouped,
        fit: cfg.width.is_some(),
    }
}

/// A ladder of `cfg`'s window (`--skip`, `-c`), and the settings to read the file with: every
/// packet up to the window's end goes to the ladder, which tracks those before the window
/// without drawing them (as the per-packet views' tracker does).
fn windowed_ladder(cfg: &ViewConfig, opts: LadderOptions) -> (LadderRenderer, ViewConfig) {
    let mut r = LadderRenderer::new(opts);
    let window = Window {
        skip: cfg.skip,
        count: cfg.count,
    };
    r.set_window(window);
    let mut read = cfg.clone();
    read.skip = 0;
    read.count = window.reads();
    (r, read)
}

pub fn replay(a: ReplayArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    if a.flows {
        flows_view(&a.file, &a.filter, &cfg, a.view.json)
    } else if a.view.json {
        ladder_json(&a.file, &a.filter, &cfg, None)
    } else {
        let (mut r, read) = windowed_ladder(&cfg, ladder_options(&cfg, a.ascii, None));
        run(&a.file, &a.filter, &read, &mut r)
    }
}

pub fn flows(a: FlowsArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view.view(false));
    flows_view(&a.file, &a.filter, &cfg, a.view.json)
}

/// The table of conversations, or with `json` one object per conversation.
fn flows_view(file: &str, filter: &[String], cfg: &ViewConfig, json: bool) -> Result<(), Error> {
    let mut r = FlowsRenderer::new(cfg.color && !json);
    if !json {
        let done = run(file, filter, cfg, &mut r);
        // The command ends here and the process with it: its memory goes back to the system
        // at once, instead of one conversation's state at a time (a million boxes to free).
        std::mem::forget(r);
        return done;
    }
    let mut r = r.without_table();
    run_to(file, filter, cfg, &mut r, &mut io::sink())?;
    let mut out = stdout_buffer();
    let mut listed = r.tracker().summaries().filter(|f| r.listed(f.index));
    let w = listed
        .try_for_each(|f| writeln!(out, "{}", conv_json::flow(&f)))
        .and_then(|()| out.flush());
    quiet_pipe(w)
}

/// The diagrams as JSON, one object per conversation (only `flow` when given).
fn ladder_json(
    file: &str,
    filter: &[String],
    cfg: &ViewConfig,
    flow: Option<u32>,
) -> Result<(), Error> {
    let mut opts = ladder_options(cfg, false, flow);
    opts.color = false;
    let (mut r, read) = windowed_ladder(cfg, opts);
    run_to(file, filter, &read, &mut r, &mut io::sink())?;
    r.complete();
    no_such_flow(&r, flow, file)?;
    let mut out = stdout_buffer();
    let w = conv_json::write_diagrams(&mut out, r.diagrams()).and_then(|()| out.flush());
    quiet_pipe(w)
}

/// A reader gone away (`| head`) ends the output quietly; other write errors are failures.
fn quiet_pipe(r: io::Result<()>) -> Result<(), Error> {
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::output(e)),
        _ => Ok(()),
    }
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
    let cfg = ViewConfig::from_args(&a.view.view(a.absolute));
    if a.view.json {
        return ladder_json(&a.file, &a.filter, &cfg, a.flow);
    }
    let mut opts = ladder_options(&cfg, a.ascii, a.flow);
    let export = export_target(&a.export)?;
    if export.is_some() {
        opts.color = false;
    }
    let (mut r, read) = windowed_ladder(&cfg, opts);
    let Some((format, path)) = export else {
        run(&a.file, &a.filter, &read, &mut r)?;
        return no_such_flow(&r, a.flow, &a.file);
    };
    run_to(&a.file, &a.filter, &read, &mut r, &mut io::sink())?;
    r.complete();
    no_such_flow(&r, a.flow, &a.file)?;
    let files = export_files(format, &path, r.diagrams());
    let mut written = Vec::new();
    for (file, diagrams) in &files {
        let mut buf = Vec::new();
        export::write(&mut buf, format, diagrams).map_err(Error::runtime)?;
        if file == "-" {
            return out::stdout(&buf);
        }
        std::fs::write(file, &buf).map_err(|e| Error::failed(format!("cannot write {file}"), e))?;
        written.push(file.as_str());
    }
    let n = r.diagrams().len();
    let each = if files.len() > 1 {
        ", one diagram per file"
    } else {
        ""
    };
    out::say(format_args!(
        "wrote {} ({n} conversation{}{each})",
        written.join(", "),
        if n == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// The files an export writes, each with its diagrams. Mermaid draws one diagram per text, so
/// several conversations exported as Mermaid go one per file, named after `path` with the
/// conversation's number before the extension (`ladder.mmd` → `ladder-0.mmd`, `ladder-1.mmd`),
/// unless `path` is a Markdown file (`.md`) or standard output (`-`): then one document with a
/// fenced `mermaid` block per conversation. SVG and HTML hold every diagram in one file.
fn export_files<'a>(
    format: ExportFormat,
    path: &str,
    diagrams: &'a [Diagram],
) -> Vec<(String, &'a [Diagram])> {
    let markdown = path == "-" || path.to_ascii_lowercase().ends_with(".md");
    if format != ExportFormat::Mermaid || diagrams.len() < 2 || markdown {
        return vec![(path.to_string(), diagrams)];
    }
    let p = std::path::Path::new(path);
    let stem = p
        .file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().into_owned());
    let ext = p
        .extension()
        .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
    diagrams
        .chunks(1)
        .map(|d| {
            let name = format!("{stem}-{}{ext}", d[0].index);
            (p.with_file_name(name).to_string_lossy().into_owned(), d)
        })
        .collect()
}

pub fn follow(a: FollowArgs) -> Result<(), Error> {
    let format = if a.hex {
        FollowFormat::Hex
    } else {
        FollowFormat::Text
    };
    let cfg = ViewConfig::from_args(&ViewArgs::default());
    let flow = match a.flow {
        Some(n) => n,
        None => only_conversation(&a.file, &cfg)?,
    };
    let mut r = FollowRenderer::new(flow, format, stdout_color(a.color));
    run(&a.file, &[], &cfg, &mut r)?;
    match r.found() {
        (true, _) => Ok(()),
        (false, n) => Err(Error::usage(format!(
            "no conversation #{flow} in {}: it has {n}, numbered from 0 (see `sockscope flows`)",
            a.file
        ))),
    }
}

/// `follow` without `--flow`: the file's one TCP conversation (a file read twice: standard
/// input cannot be, so it needs `--flow`).
fn only_conversation(file: &str, cfg: &ViewConfig) -> Result<u32, Error> {
    if file == "-" {
        return Err(Error::usage(
            "--flow N is needed to follow a conversation read from standard input",
        ));
    }
    let mut r = FlowsRenderer::new(false).without_table();
    run_to(file, &[], cfg, &mut r, &mut io::sink())?;
    let tcp: Vec<u32> = r
        .tracker()
        .summaries()
        .filter(|f| f.is_tcp())
        .map(|f| f.index)
        .collect();
    match tcp[..] {
        [n] => Ok(n),
        [] => Err(Error::usage(format!(
            "{file} holds no TCP conversation to follow"
        ))),
        _ => Err(Error::usage(format!(
            "{file} holds {} TCP conversations: choose one with --flow N (see `sockscope flows`)",
            tcp.len()
        ))),
    }
}
