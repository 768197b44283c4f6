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
    /// Explain an IP address, a port, this machine's listening sockets, or one captured packet.
    Explain(ExplainArgs),
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

/// `sockscope explain ...`: answers "what is this?" from the facts, on this machine.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    #[command(subcommand)]
    pub what: ExplainCommand,
}

#[derive(Subcommand, Debug)]
pub enum ExplainCommand {
    /// An IPv4 or IPv6 address, optionally with /LEN or /NETMASK: kind, RFC, binary, subnet.
    Ip {
        /// e.g. 192.168.1.10, 10.0.0.0/8, 192.168.1.0/255.255.255.0, fe80::1/64
        #[arg(value_name = "ADDR[/PREFIX]", allow_hyphen_values = true)]
        addr: String,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A port number, optionally /tcp or /udp: range, service, sockets bound to it now.
    Port {
        /// e.g. 22, 53/udp, 54321/tcp
        #[arg(value_name = "N[/tcp|/udp]", allow_hyphen_values = true)]
        port: String,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every listening TCP socket and bound UDP socket of this machine (like `ss -tulpn`).
    Ports {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One packet of a capture file, header by header, field by field, with its bytes.
    Packet {
        /// Capture file (pcap or pcapng).
        #[arg(value_name = "FILE")]
        file: String,
        /// Which packet, counting from 1 as Wireshark does.
        #[arg(long, value_name = "N", default_value_t = 1)]
        frame: u64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// When to use colour to mark the bytes of each field (also honours NO_COLOR).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
}
