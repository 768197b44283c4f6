//! `sockscope replay FILE [FILTER]`: every packet of a capture file in one per-packet view
//! (`replay --flows` and `--ladder` are the conversation views, in [`super::conv`]); with `-w`,
//! the packets that pass the filter, `--skip` and `-c` are saved to a pcap file instead.

use std::io::Write;
use std::path::Path;

use super::Error;
use super::config::ViewConfig;
use super::pipeline::{Pipeline, Saving, file_end, make_renderer, open_file, stdout_buffer};
use crate::capture_writer::CaptureWriter;
use crate::cli::ReplayArgs;
use crate::render::Renderer;
use crate::source::LinkType;

pub fn run(a: ReplayArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    run_config(&a.file, &a.filter, &cfg, a.write.as_deref(), a.print)
}

/// Reads `file` in the view `cfg` names; with `write`, saves what passes instead of showing it
/// (shows it too with `print`).
pub fn run_config(
    file: &str,
    filter: &[String],
    cfg: &ViewConfig,
    write: Option<&Path>,
    print: bool,
) -> Result<(), Error> {
    let show = write.is_none() || print;
    if show && write == Some(Path::new("-")) {
        return Err(Error::usage(
            "-w - writes the capture to standard output, so packets cannot be printed there too",
        ));
    }
    let mut pipeline = Pipeline::new(filter)?.limits(cfg);
    if show {
        pipeline = pipeline.tracking_for(cfg);
    }
    let mut source = open_file(file)?;
    let mut view: Box<dyn Renderer> = match write {
        None => make_renderer(cfg),
        Some(path) => {
            let link = source.link_type().unwrap_or(LinkType::ETHERNET);
            let snaplen = source
                .snaplen()
                .filter(|s| *s > 0)
                .unwrap_or(super::tcpdump::DEFAULT_SNAPLEN);
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
