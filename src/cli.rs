//! Command-line definitions (clap derive) and nothing else: `cmd::config` and the commands in
//! `cmd/` turn them into settings.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "sockscope",
    version,
    about = "See what your sockets do on the wire: handshakes, ports, seq/ack, data, teardown.",
    long_about = None,
    propagate_version = true,
    after_long_help = TCPDUMP_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The long help's word on tcpdump's own command lines (handled before clap, in cmd::tcpdump).
const TCPDUMP_HELP: &str = "Without a subcommand, tcpdump's own flags work and print tcpdump's \
own lines: `sockscope -nn -r FILE [FILTER]` reads a file, `sockscope -i IFACE [-c N] [-w FILE] \
[FILTER]` captures, `sockscope -D` lists the interfaces. Supported: -n, -t..-ttttt, -S, -x, -xx, \
-X, -XX, -A, -e, -q, -#, -l, -U, -c, -s, -B, -F, -Z, -p, -w, --immediate-mode, --number; any \
other tcpdump flag is refused with the nearest sockscope option.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read a pcap or pcapng file and show its packets (no privileges needed).
    Replay(ReplayArgs),
    /// Run a bundled demo server or client that narrates its socket calls as it makes them.
    Demo(DemoArgs),
    /// Explain an IP address, a port, this machine's listening sockets, or one captured packet.
    Explain(ExplainArgs),
    /// One row per TCP or UDP conversation: roles, packets and bytes each way, RTT, outcome.
    Flows(FlowsArgs),
    /// Draw each conversation as a two-lane sequence diagram (the handshake "ladder").
    Ladder(LadderArgs),
    /// Show the byte stream of one TCP conversation, both directions, put back in order.
    Follow(FollowArgs),
    /// A one-command lesson: capture, run a demo, explain what went over the wire (alone: the list).
    Lesson(LessonArgs),
    /// Capture packets as they cross an interface and show them at once (needs CAP_NET_RAW).
    #[command(long_about = LIVE_ABOUT)]
    Live(LiveArgs),
    /// List the network interfaces: index, state, MAC and addresses (for `live -i`).
    Interfaces,
    /// Run a program and show its socket calls and its packets on one timeline, in time order.
    #[command(long_about = RUN_ABOUT)]
    Run(RunArgs),
    /// Explore a capture interactively: packet list, field tree with its bytes, ladder, stream.
    Tui(TuiArgs),
    /// Print the manual page (roff) to standard output: `sockscope man | man -l -`.
    Man,
    /// Print a shell completion script: `sockscope completions bash > ~/.local/share/bash-completion/completions/sockscope`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `sockscope run [OPTIONS] -- COMMAND [ARGS...]`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// One JSON object per event (call or packet) per line, in time order.
    #[arg(long)]
    pub json: bool,

    /// Interface to capture the program's packets on.
    #[arg(short = 'i', long, default_value = "lo")]
    pub interface: String,

    /// Show the calls only, without capturing packets.
    #[arg(long)]
    pub no_capture: bool,

    /// Draw the conversations as ladders, the calls on their program's side.
    #[arg(long, conflicts_with = "json")]
    pub ladder: bool,

    /// Also save the packets and the calls to FILE, as pcapng (`replay FILE` shows them again).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,

    /// Calls and packets in the interactive explorer (see `tui`) instead of lines.
    #[arg(long, conflicts_with = "json")]
    pub tui: bool,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// The program to run and its arguments.
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true, num_args = 1..)]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct FlowsArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax.
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,

    #[command(flatten)]
    pub view: ConvViewArgs,
}

/// The options every conversation view (`flows`, `ladder`) honours.
#[derive(Args, Debug, Clone, Default)]
pub struct ConvViewArgs {
    /// One JSON object per conversation per line (see docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// Read only the first N packets that pass the filter and --skip.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,

    /// Skip the first N packets that pass the filter.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, conflicts_with = "json")]
    pub color: ColorChoice,

    /// Keep every line within N columns (default: the terminal's width; piped output is not
    /// wrapped, and is drawn 100 columns wide or $COLUMNS).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

impl ConvViewArgs {
    /// The per-packet view settings these stand for (count, skip, colour).
    pub fn view(&self, absolute: bool) -> ViewArgs {
        ViewArgs {
            count: self.count,
            skip: self.skip,
            color: self.color,
            absolute,
            width: self.width,
            ..Default::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct LadderArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax.
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Only this conversation (numbered from 0 as in `sockscope flows`).
    #[arg(long, value_name = "N")]
    pub flow: Option<u32>,

    /// Plain ASCII lines and arrows instead of box-drawing characters.
    #[arg(long, conflicts_with = "json")]
    pub ascii: bool,

    /// Write the ladder to OUT as svg, html or mermaid instead of drawing it in the terminal.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "OUT"], conflicts_with = "json")]
    pub export: Vec<String>,

    /// Absolute sequence numbers beside the relative ones.
    #[arg(short = 'S', long = "absolute")]
    pub absolute: bool,

    #[command(flatten)]
    pub view: ConvViewArgs,
}

#[derive(Args, Debug)]
pub struct FollowArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// The conversation to follow (numbered from 0 as in `sockscope flows`); may be left out
    /// when the file holds only one.
    #[arg(long, value_name = "N")]
    pub flow: Option<u32>,

    /// A hex dump instead of text.
    #[arg(long)]
    pub hex: bool,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
    #[arg(value_name = "FILTER")]
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

    /// Instead of packet lines, the ladder diagram, growing as packets arrive.
    #[arg(long, conflicts_with_all = ["flows", "verbose", "hex", "hex_ascii", "format", "quiet", "json", "t", "nano"])]
    pub ladder: bool,

    /// Instead of packets, the table of conversations when the capture ends.
    #[arg(long, conflicts_with_all = ["verbose", "hex", "hex_ascii", "format", "quiet", "json", "t", "nano"])]
    pub flows: bool,

    /// With --ladder: plain ASCII instead of box-drawing characters.
    #[arg(long)]
    pub ascii: bool,

    /// Packets in the interactive explorer (see `tui`) as they come, instead of lines.
    #[arg(long, conflicts_with_all = ["write", "ladder", "flows"])]
    pub tui: bool,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Capture file to read (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Filter expression in tcpdump's syntax, e.g. `tcp port 7` or `host ::1 and not arp`.
    #[arg(value_name = "FILTER", allow_hyphen_values = false)]
    pub filter: Vec<String>,

    #[command(flatten)]
    pub view: ViewArgs,

    /// Instead of packets, the table of conversations (as `sockscope flows`; with --json, one
    /// object per conversation).
    #[arg(long, conflicts_with_all = ["verbose", "hex", "hex_ascii", "format", "quiet", "t", "nano"])]
    pub flows: bool,

    /// Instead of packet lines, the ladder diagram of each conversation (as `sockscope ladder`).
    #[arg(long, conflicts_with_all = ["flows", "verbose", "hex", "hex_ascii", "format", "quiet", "t", "nano"])]
    pub ladder: bool,

    /// With --ladder: plain ASCII instead of box-drawing characters.
    #[arg(long, requires = "ladder", conflicts_with = "json")]
    pub ascii: bool,

    /// Save the packets that pass the filter, --skip and -c to FILE (pcap; `-` for standard
    /// output) instead of showing them; add --print to show them too.
    #[arg(short = 'w', long = "write", value_name = "FILE", conflicts_with_all = ["flows", "ladder"])]
    pub write: Option<std::path::PathBuf>,

    /// Show packets while writing with -w.
    #[arg(long, requires = "write")]
    pub print: bool,

    /// Write -w's file as pcapng: each packet on the interface it was captured on, with its
    /// comments and the socket calls of `run -w`.
    #[arg(long, requires = "write")]
    pub pcapng: bool,

    /// Packets in the interactive explorer (see `tui`) as they come, instead of lines.
    #[arg(long, conflicts_with_all = ["write", "ladder", "flows"])]
    pub tui: bool,
}

/// How packets are shown; shared by `replay` and `live`.
#[derive(Args, Debug, Clone, Default)]
pub struct ViewArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Learner)]
    pub format: Format,

    /// One JSON object per packet per line (same as --format json).
    #[arg(long, conflicts_with_all = ["format", "verbose", "hex", "hex_ascii"])]
    pub json: bool,

    /// A tree of every header field, layer by layer (same as --format verbose).
    #[arg(short = 'v', long = "verbose", conflicts_with = "format")]
    pub verbose: bool,

    /// Hex dump of each packet after its line (the whole frame; from the network header with
    /// --format tcpdump, as tcpdump -x).
    #[arg(short = 'x')]
    pub hex: bool,

    /// Hex and ASCII dump of each packet after its line.
    #[arg(short = 'X', conflicts_with = "hex")]
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

    /// Each packet's frame number first (tcpdump's -#): its place in the file from 1, as
    /// tshark's frame.number, `explain packet --frame` and the ladder's frames count.
    #[arg(short = '#', long = "number")]
    pub number: bool,

    /// Quiet: print only a summary of what was read.
    #[arg(short = 'q', long, conflicts_with_all = ["json", "verbose", "hex", "hex_ascii", "format"])]
    pub quiet: bool,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Keep the learner view's lines within N columns, dropping the columns that matter
    /// least (default: the terminal's width; piped output keeps whole lines).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
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

/// `sockscope demo <NAME> [server|client] [options] [MESSAGE...|URL]`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  sockscope demo tcp-echo --port 0            (prints `listening on 127.0.0.1:PORT`)
  sockscope demo tcp-echo client --port 7007 hello world
  nc 127.0.0.1 7007                           (any client works: nc, Python's socket...)
  sockscope demo udp-upper client --host ::1 --timeout 1 ping
  sockscope demo http --root ./site --port 8000
  sockscope demo http client http://127.0.0.1:8000/ --body")]
pub struct DemoArgs {
    /// Which demo.
    #[arg(value_enum)]
    pub name: DemoName,

    /// Run the server (default) or the client.
    #[arg(value_enum, default_value_t = DemoRole::Server)]
    pub role: DemoRole,

    /// Client: messages to send, one line each (read from standard input when none are given);
    /// the http client: the URL to fetch.
    #[arg(value_name = "MESSAGE|URL")]
    pub args: Vec<String>,

    /// IP address to listen on (server) or connect to (client): 127.0.0.1, ::1, 0.0.0.0, ...
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,

    /// Port; 0 lets the kernel pick a free one (the server prints `listening on ADDR`).
    /// Defaults: tcp-echo 7007, udp-upper 7008, threaded 7009, nonblocking 7010, http 8000.
    #[arg(long)]
    pub port: Option<u16>,

    /// How a TCP client ends its connection: fin (close), rst (SO_LINGER 0, then close), or
    /// half-close (shutdown(SHUT_WR) after sending, then read until the server closes).
    #[arg(long, value_enum, default_value_t = TeardownArg::Fin)]
    pub teardown: TeardownArg,

    /// Seconds: how long the udp-upper client waits for each reply (default 2), or how long
    /// the http server waits for a whole request (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// The server's listen() backlog (default 5 for tcp-echo, 128 for the others).
    #[arg(long, value_name = "N")]
    pub backlog: Option<i32>,

    /// Serve one client (one datagram for udp-upper), then exit.
    #[arg(long)]
    pub once: bool,

    /// Serve N clients (N datagrams for udp-upper), then exit.
    #[arg(long, value_name = "N", conflicts_with = "once")]
    pub max_clients: Option<u64>,

    /// At most N clients at once: threads for threaded (256) and http (64), connections for
    /// nonblocking (1024).
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,

    /// The directory the http server serves.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: std::path::PathBuf,

    /// http client: print the response body too (by default only its length).
    #[arg(long)]
    pub body: bool,

    /// No narration of socket calls (results and `listening on` are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoName {
    /// TCP echo: the server sends back every byte until the client closes.
    TcpEcho,
    /// UDP: the server sends each datagram back upper-cased.
    UdpUpper,
    /// TCP, one thread per client, replies `[ctime] data`.
    Threaded,
    /// TCP, one thread for all clients (readiness with mio), replies `[ctime] data`.
    Nonblocking,
    /// A minimal HTTP/1.1 file server and a client that fetches a URL.
    Http,
}

/// How a client ends its TCP connection (`--teardown`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TeardownArg {
    /// close(): the kernel sends FIN after any queued data; the peer's recv returns 0 (end of
    /// stream). The usual, orderly way.
    #[default]
    Fin,
    /// SO_LINGER {on, 0 s} then close(): the kernel throws away queued data and sends RST; the
    /// peer's next recv fails with ECONNRESET. The abortive way.
    Rst,
    /// shutdown(SHUT_WR) once everything is sent: our FIN goes out, but we keep reading until the
    /// server has sent all it has and closes its side too.
    HalfClose,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRole {
    Server,
    Client,
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

/// `sockscope lesson [NAME] [--speed X | --step] [--record FILE] [--recorded] [--port P]`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  sockscope lesson                      (the list of lessons)
  sockscope lesson handshake            (live with CAP_NET_RAW, else the bundled recording)
  sockscope lesson echo --recorded --speed 4
  sockscope lesson handshake --step      (Enter or space before each event)
  sudo sockscope lesson reset --record reset.pcapng")]
pub struct LessonArgs {
    /// Which lesson; without one, the list.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Pace of a recorded lesson: 1 is about a second per event (the default when standard
    /// output is a terminal; otherwise everything comes at once), 2 twice as fast, `max` (or
    /// 0) without pauses.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub speed: Option<String>,

    /// Keep the ladder within N columns (default: the terminal's width; piped output is drawn
    /// 100 columns wide or $COLUMNS, titles whole).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,

    /// Wait for Enter (or space, on a terminal) before each event, live or recorded; with
    /// standard input not a terminal, read one line per event.
    #[arg(long, conflicts_with_all = ["speed", "json", "tui"])]
    pub step: bool,

    /// Save the live lesson's capture to FILE (pcapng, with the demo's socket calls).
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,

    /// One JSON object per event, in time order: packets and the demo's socket calls
    /// (docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// Play the bundled recording even when a live capture is possible.
    #[arg(long, conflicts_with = "record")]
    pub recorded: bool,

    /// Watch the lesson in the interactive explorer (see `tui`): live with CAP_NET_RAW, its
    /// socket calls among the packets; else its recording.
    #[arg(long, conflicts_with = "record")]
    pub tui: bool,

    /// The port the lesson's server uses (live only). Default: a free one; with --record, the
    /// demo's usual port (7007 for tcp-echo ...) when it is free.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The long help of `sockscope run`.
const RUN_ABOUT: &str = "Run a program under a tracer and show its socket calls (socket, bind, \
listen, accept, connect, send, recv, shutdown, close, the setsockopt options the lessons teach, \
and poll/select/epoll when they wait on sockets) interleaved with its packets, in true time \
order: a call's enter is stamped before it can send anything, its return after it completed.

Only socket-related system calls stop the program (a seccomp filter, as `strace --seccomp-bpf`); \
threads, forks and exec are followed.

Packets are captured on lo (see -i) and, once a connection's local address is on another \
interface, on that interface too. Only the program's connections are captured, filtered in the \
kernel: a BPF filter made of the ports learned from its calls (bind, connect, accept, \
getsockname, sendto) replaces the capture's filter each time a port is learned, while the \
program is stopped in the call, so a connect's SYN is let through. Packets of the same ports \
from other programs are then left out by sockscope itself. Capturing needs CAP_NET_RAW (run as \
root), else the calls alone are shown. At the end, tcpdump's counts go to stderr (captured, \
received by filter, dropped by kernel).

Under sudo the program runs as the user who ran sudo (SUDO_UID, SUDO_GID), not as root. It runs \
with no_new_privs, so set-user-ID programs gain no privileges. sockscope exits with the \
program's exit status once it and every process it started have ended.

Example: sockscope run -- sh -c 'python3 echo_server.py & sleep 0.3; python3 echo_client.py'";
/// `sockscope tui FILE`: the interactive explorer.
#[derive(Args, Debug)]
pub struct TuiArgs {
    /// Capture file to explore (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,

    /// When to use colour (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Measure: draw the first screen off-terminal, wait for the whole file, print the timings.
    #[arg(long, hide = true)]
    pub bench: bool,
}
