//! Raw command-line arguments resolved once into the settings the pipeline runs with.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, Format, ViewArgs};
use crate::render::time::TimeStyle;

/// Which hex dump follows each packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexDump {
    None,
    Hex,
    HexAscii,
}

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
}

impl ViewConfig {
    pub fn from_args(a: &ViewArgs) -> ViewConfig {
        let format = if a.json {
            Format::Json
        } else if a.verbose {
            Format::Verbose
        } else {
            a.format
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
            color: use_color(a.color, std::io::stdout().is_terminal()),
        }
    }
}

/// Colour only for a terminal, never with NO_COLOR set (https://no-color.org), unless forced.
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
