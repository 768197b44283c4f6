//! Raw command-line arguments resolved once into the settings the pipeline runs with. This is
//! where the terminal and the environment are consulted (is standard output a terminal? is
//! NO_COLOR set?); the core only ever sees the decisions.

use std::io::IsTerminal;

use crate::cli::{self, ColorChoice, ViewArgs};
use crate::render::tcpdump::extras::LineOptions;
use crate::render::time::TimeStyle;
use crate::render::{Format, HexDump};

/// Resolved view settings.
#[derive(Clone, Debug)]
pub struct ViewConfig {
    pub format: Format,
    pub hex: HexDump,
    pub time: TimeStyle,
    pub nano: bool,
    pub absolute: bool,
    pub count: Option<u64>,
    pub skip: u64,
    pub quiet: bool,
    pub color: bool,
    /// The dump (`-x`, `-X`, `-A`) covers the whole frame, link header included (`-xx`, `-XX`,
    /// `-AA`); without it, `--format tcpdump` dumps from the network header as tcpdump does.
    pub whole_frame: bool,
    /// tcpdump's `-A`: the packet as text after its line (instead of a hex dump).
    pub text: bool,
    /// tcpdump's `-#`, `-e`, `-q` (the tcpdump view only).
    pub line: LineOptions,
    /// Flush standard output after every packet (`-l`, `-U`, or a terminal).
    pub flush_each: bool,
    /// The width the ladder and the learner view keep to: `--width`, else the terminal's on
    /// standard output; `None` for a pipe or a file (lines as long as they come).
    pub width: Option<usize>,
}

impl ViewConfig {
    pub fn from_args(a: &ViewArgs) -> ViewConfig {
        let format = if a.json {
            Format::Json
        } else if a.verbose {
            Format::Verbose
        } else {
            format(a.format)
        };
        let hex = if a.hex_ascii {
            HexDump::HexAscii
        } else if a.hex {
            HexDump::Hex
        } else {
            HexDump::None
        };
        ViewConfig {
            format,
            hex,
            time: TimeStyle::from_t_count(a.t),
            nano: a.nano,
            absolute: a.absolute,
            count: a.count,
            skip: a.skip,
            quiet: a.quiet,
            color: stdout_color(a.color),
            whole_frame: false,
            text: false,
            line: LineOptions {
                number: a.number,
                ..LineOptions::default()
            },
            flush_each: std::io::stdout().is_terminal(),
            width: fit_width(a.width.map(usize::from)),
        }
    }
}

/// The width to keep to: `--width N`, else the terminal's on standard output (40 columns or
/// more), else none.
pub fn fit_width(asked: Option<usize>) -> Option<usize> {
    asked.or_else(|| {
        crate::sys::term::stdout_columns()
            .filter(|&c| c >= 40)
            .map(usize::from)
    })
}

/// The core's name for a `--format` value.
pub fn format(f: cli::Format) -> Format {
    match f {
        cli::Format::Learner => Format::Learner,
        cli::Format::Tcpdump => Format::Tcpdump,
        cli::Format::Verbose => Format::Verbose,
        cli::Format::Json => Format::Json,
    }
}

/// Whether output to standard output is coloured, given `--color`.
pub fn stdout_color(choice: ColorChoice) -> bool {
    use_color(choice, std::io::stdout().is_terminal())
}

/// Colour only for a terminal, never with NO_COLOR set (https://no-color.org), unless forced.
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
