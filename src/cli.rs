//! Command-line definitions (clap derive) and nothing else: `config` turns them into settings.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "sockscope",
    version,
    about = "See what your sockets do on the wire: handshakes, ports, seq/ack, data, teardown.",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read a pcap or pcapng file and show its packets (no privileges needed).
    Replay(ReplayArgs),
    /// Capture packets as they cross an interface and show them at once (needs CAP_NET_RAW).
    #[command(long_about = LIVE_ABOUT)]
    Live(LiveArgs),
    /// List the network interfaces: index, state, MAC and addresses (for `live -i`).
    Interfaces,
}

const LIVE_ABOUT: &str =
    "Capture packets as they cross an interface and show them at once, in any \
view replay has. The default interface is lo (loopback), because the main use is watching your own \
client and server talk on 127.0.0.1 or ::1; name another with -i (see `sockscope interfaces`).

Needs the CAP_NET_RAW capability: run as root (sockscope drops to the sudo user once the socket is \
open) or grant it once with `sudo setcap cap_net_raw+eip <path of sockscope>`. Packets are shown \
as soon as they arrive (never held in a buffer); with -w they are saved to a pcap file instead, \
or as well with --print. At exit, the counts tcpdump prints go to stderr.";

#[derive(Args, Debug)]
pub struct LiveArgs {
    /// Interface to capture on. Default lo: your own client and server talk over loopback.
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        default_value = "lo"
    )]
    pub interface: String,

    /// Filter expression in tcpdump's syntax, e.g. `tcp port 7` or `host ::1 and not arp`.
    #[arg(value_name = "FILTER", trailing_var_arg = true)]
    pub filter: Vec<String>,

    /// Write captured packets to FILE (pcap, nanosecond timestamps; `-` for standard output);
    /// add --print to show them too.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,

    /// Show packets while writing with -w (without -w they are always shown).
    #[arg(long)]
    pub print: bool,

    /// Capture at most SNAPLEN bytes of each frame (loopback frames can exceed 64 KiB).
    #[arg(short = 's', long = "snaplen", value_name = "SNAPLEN", default_value_t = crate::source::live::DEFAULT_SNAPLEN,
          value_parser = clap::value_parser!(u32).range(1..=crate::source::live::DEFAULT_SNAPLEN as i64))]
    pub snaplen: u32,

    /// Kernel receive buffer in KiB: packets wait here while sockscope is busy.
    #[arg(short = 'B', long = "buffer-size", value_name = "KiB", default_value_t = crate::source::live::DEFAULT_BUFFER_KIB as u64,
          value_parser = clap::value_parser!(u64).range(64..=4_194_304))]
    pub buffer_kib: u64,

    /// Do not put the interface into promiscuous mode (it never is on lo).
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    pub no_promiscuous: bool,

    /// Show each packet as soon as it arrives. Always on; accepted for tcpdump habits.
    #[arg(long)]
    pub immediate: bool,

    /// After opening the socket, run as USER (default when started with sudo: the sudo user;
    /// `root` keeps root). The -w file belongs to that user.
    #[arg(long = "drop-privileges", value_name = "USER")]
    pub drop_privileges: Option<String>,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax, e.g. `tcp port 7` or `host ::1 and not arp`.
    #[arg(
        value_name = "FILTER",
        trailing_var_arg = true,
        allow_hyphen_values = false
    )]
    pub filter: Vec<String>,

    #[command(flatten)]
    pub view: ViewArgs,
}

/// How packets are shown; shared by `replay` and `live`.
#[derive(Args, Debug, Clone, Default)]
pub struct ViewArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Learner)]
    pub format: Format,

    /// One JSON object per packet per line (same as --format json).
    #[arg(long)]
    pub json: bool,

    /// A tree of every header field, layer by layer (same as --format verbose).
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,

    /// Hex dump of each packet after its line.
    #[arg(short = 'x')]
    pub hex: bool,

    /// Hex and ASCII dump of each packet after its line.
    #[arg(short = 'X')]
    pub hex_ascii: bool,

    /// Timestamp style as tcpdump: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first.
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub t: u8,

    /// Nanosecond timestamps.
    #[arg(long)]
    pub nano: bool,

    /// Absolute TCP sequence numbers (tcpdump -S; in the learner view: shown beside relative ones).
    #[arg(short = 'S', long = "absolute")]
    pub absolute: bool,

    /// Accepted for tcpdump habits: sockscope never resolves names.
    #[arg(short = 'n', action = clap::ArgAction::Count, hide = true)]
    pub numeric: u8,

    /// Stop after N packets (counted after the filter and --skip).
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,

    /// Skip the first N packets that pass the filter.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,

    /// Quiet: print only a summary of what was read.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Designed for learners: arrows, flag names, relative seq/ack, short notes.
    #[default]
    Learner,
    /// Exactly tcpdump -n's line.
    Tcpdump,
    /// Every header field as a tree.
    Verbose,
    /// One JSON object per line.
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}
