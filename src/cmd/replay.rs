//! `sockscope replay FILE [FILTER]`: every packet of a capture file in one per-packet view
//! (`replay --flows` and `--ladder` are the conversation views, in [`super::conv`]); with `-w`,
//! the packets that pass the filter, `--skip` and `-c` are saved to a pcap file instead (pcapng
//! with `--pcapng`, in [`super::save_ng`]).

use std::io::Write as _;
use std::path::Path;

use super::Error;
use super::config::ViewConfig;
use super::pipeline::{Pipeline, Saving, file_end, make_renderer, open_file, stdout_buffer};
use super::save_ng::{NgSaving, Tee};
use crate::capture_writer::CaptureWriter;
use crate::cli::ReplayArgs;
use crate::render::Renderer;
use crate::source::LinkType;
use crate::sys::signals;

pub fn run(a: ReplayArgs) -> Result<(), Error> {
    // A view option with -w alone would do nothing: -w saves packets instead of showing them.
    let v = &a.view;
    let shown = [
        (v.json, "--json"),
        (v.verbose, "-v"),
        (v.hex, "-x"),
        (v.hex_ascii, "-X"),
        (v.quiet, "-q"),
        (v.number, "--number"),
    ];
    if a.write.is_some()
        && !a.print
        && let Some((_, flag)) = shown.iter().find(|(on, _)| *on)
    {
        return Err(Error::usage(format!(
            "{flag} chooses how packets are shown, but -w saves them instead of showing them: \
             add --print to show them too, or drop {flag}"
        )));
    }
    let cfg = ViewConfig::from_args(&a.view);
    let write = a.write.as_deref().map(|p| Write {
        path: p,
        pcapng: a.pcapng,
    });
    run_config(&a.file, &a.filter, &cfg, write, a.print)
}

/// Where `-w` saves, and as what.
#[derive(Clone, Copy, Debug)]
pub struct Write<'a> {
    pub path: &'a Path,
    pub pcapng: bool,
}

/// Reads `file` in the view `cfg` names; with `write`, saves what passes instead of showing it
/// (shows it too with `print`).
pub fn run_config(
    file: &str,
    filter: &[String],
    cfg: &ViewConfig,
    write: Option<Write<'_>>,
    print: bool,
) -> Result<(), Error> {
    let show = write.is_none() || print;
    if show && write.is_some_and(|w| w.path == Path::new("-")) {
        return Err(Error::usage(
            "-w - writes the capture to standard output, so packets cannot be printed there too",
        ));
    }
    let mut pipeline = Pipeline::new(filter)?.limits(cfg);
    if show {
        pipeline = pipeline.tracking_for(cfg);
    }
    let mut source = open_file(file)?;
    // SIGINT or SIGTERM ends the reading (of a FIFO or pipe, say) as the end of the file
    // would: what was read is shown, then the views' summaries (`-q`).
    let stop = signals::install().map_err(|e| Error::failed("cannot handle signals", e))?;
    source.stop_on(stop);
    let snaplen = source
        .snaplen()
        .filter(|s| *s > 0)
        .unwrap_or(super::tcpdump::DEFAULT_SNAPLEN);
    if let Some(w) = write.filter(|w| w.pcapng) {
        let (mut source, last) = Tee::new(source);
        let target = NgSaving::create(w.path, last, snaplen)
            .map_err(|e| Error::failed(format!("cannot create {}", w.path.display()), e))?;
        let mut view = Saving::to(Box::new(target), show.then(|| make_renderer(cfg)));
        let mut out = stdout_buffer();
        let (_stats, end) = pipeline.run(&mut source, &mut view, &mut out);
        let _ = out.flush();
        return file_end(end);
    }
    let mut view: Box<dyn Renderer> = match write.map(|w| w.path) {
        None => make_renderer(cfg),
        Some(path) => {
            let link = source.link_type().unwrap_or(LinkType::ETHERNET);
            let w = CaptureWriter::create(path, link, snaplen, None)
                .map_err(|e| Error::failed(format!("cannot create {}", path.display()), e))?;
            Box::new(Saving::new(w, link, show.then(|| make_renderer(cfg))))
        }
    };
    let mut out = stdout_buffer();
    let (_stats, end) = pipeline.run(&mut source, view.as_mut(), &mut out);
    let _ = out.flush();
    file_end(end)
}
