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
    /// One row per TCP or UDP conversation: roles, packets and bytes each way, RTT, outcome.
    Flows(FlowsArgs),
    /// Draw each conversation as a two-lane sequence diagram (the handshake "ladder").
    Ladder(LadderArgs),
    /// Show the byte stream of one TCP conversation, both directions, put back in order.
    Follow(FollowArgs),
}

#[derive(Args, Debug)]
pub struct FlowsArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax.
    #[arg(value_name = "FILTER", trailing_var_arg = true)]
    pub filter: Vec<String>,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Args, Debug)]
pub struct LadderArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax.
    #[arg(value_name = "FILTER", trailing_var_arg = true)]
    pub filter: Vec<String>,

    /// Only this conversation (numbered from 0 as in `sockscope flows`).
    #[arg(long, value_name = "N")]
    pub flow: Option<u32>,

    /// Plain ASCII lines and arrows instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,

    /// Write the ladder to OUT as svg, html or mermaid instead of drawing it in the terminal.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "OUT"])]
    pub export: Vec<String>,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Args, Debug)]
pub struct FollowArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// The conversation to follow (numbered from 0 as in `sockscope flows`).
    #[arg(long, value_name = "N")]
    pub flow: u32,

    /// A hex dump instead of text.
    #[arg(long)]
    pub hex: bool,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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

    /// Instead of packets, the table of conversations (as `sockscope flows`).
    #[arg(long)]
    pub flows: bool,

    /// Instead of packet lines, the ladder diagram of each conversation (as `sockscope ladder`).
    #[arg(long)]
    pub ladder: bool,

    /// With --ladder: plain ASCII instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,
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
