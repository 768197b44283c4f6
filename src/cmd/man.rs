//! `sockscope man` and `sockscope completions SHELL`: the manual page and the completion
//! scripts, generated from the clap definitions so they never disagree with `--help`.

use clap::CommandFactory;

use super::{Error, out};
use crate::cli::Cli;

/// The man page (roff) on standard output: the program's page, then one section per
/// subcommand with its synopsis, description and options.
pub fn man() -> Result<(), Error> {
    let failed = |e| Error::failed("cannot render the man page", e);
    let mut cmd = Cli::command();
    cmd.build();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(failed)?;
    for sub in cmd.get_subcommands() {
        let name = format!("sockscope {}", sub.get_name());
        buf.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let page = clap_mangen::Man::new(sub.clone().bin_name(name));
        page.render_synopsis_section(&mut buf).map_err(failed)?;
        page.render_description_section(&mut buf).map_err(failed)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut buf).map_err(failed)?;
        }
    }
    out::stdout(&buf)
}

/// The completion script for `shell` on standard output.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sockscope", &mut buf);
    out::stdout(&buf)
}
