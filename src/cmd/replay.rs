//! `sockscope replay FILE [FILTER]`: every packet of a capture file in one per-packet view
//! (`replay --flows` and `--ladder` are the conversation views, in [`super::conv`]).

use std::io::Write;

use super::Error;
use super::config::ViewConfig;
use super::pipeline::{Pipeline, file_end, make_renderer, open_file, stdout_buffer};
use crate::cli::ReplayArgs;

pub fn run(a: ReplayArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    let mut pipeline = Pipeline::new(&a.filter)?.limits(&cfg).tracking_for(&cfg);
    let mut source = open_file(&a.file)?;
    let mut renderer = make_renderer(&cfg);
    let mut out = stdout_buffer();
    let (_stats, end) = pipeline.run(&mut source, renderer.as_mut(), &mut out);
    let _ = out.flush();
    file_end(end)
}
