//! `sockscope` with no subcommand and tcpdump's own flags: `sockscope -nn -r FILE [FILTER]`,
//! `sockscope -i IFACE -c 5 -w out.pcap`, `sockscope -D`. The arguments are read by a small
//! getopt-style parser (combined flags `-nnvX`, attached values `-c5`, `-s0`, long options with
//! `=`), resolved into the [`ViewConfig`] the subcommands use, and run through the same
//! pipeline in tcpdump's view. A tcpdump flag sockscope does not have is refused in one line
//! that names it and the nearest thing sockscope has.

use std::ffi::OsString;
use std::path::PathBuf;

use super::Error;
use super::config::ViewConfig;
use crate::cli::{self, LiveArgs, ViewArgs};
use crate::source::live::iface;

/// tcpdump's default snap length (netdissect.h `MAXIMUM_SNAPLEN`), which `-s 0` also means.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Short flags that take a value (tcpdump's getopt string, the ones sockscope reads).
const WITH_VALUE: &str = "crwisBFZ";

/// tcpdump flags sockscope refuses, each with what to use instead. Those that take a value are
/// listed in [`REFUSED_WITH_VALUE`] too, so their value is not read as more flags.
const REFUSED: &[(char, &str)] = &[
    (
        'A',
        "-AA is not implemented; -A prints from the network header, -XX dumps the whole frame",
    ),
    ('C', "no file rotation; write one file with -w"),
    ('G', "no file rotation; write one file with -w"),
    ('W', "no file rotation; write one file with -w"),
    ('E', "no IPsec decryption"),
    (
        'K',
        "checksums are checked only by `sockscope explain packet FILE`",
    ),
    (
        'L',
        "link types are not listed; `sockscope interfaces` lists the interfaces",
    ),
    ('I', "no monitor mode"),
    ('O', "no filter optimizer to turn off"),
    (
        'P',
        "no direction filter; use `inbound`/`outbound` in the filter",
    ),
    (
        'Q',
        "no direction filter; use `inbound`/`outbound` in the filter",
    ),
    ('T', "no forced decoding"),
    ('V', "one file at a time with -r"),
    ('y', "the link type is the interface's"),
    ('z', "no post-rotation command"),
    ('j', "the kernel's time stamps are used"),
    ('J', "the kernel's time stamps are used"),
    ('M', "no TCP-MD5 secret"),
    ('m', "no SMI MIB modules"),
    ('b', "AS numbers are printed as plain numbers"),
    (
        'd',
        "no BPF dump; `sockscope live` compiles the filter for the kernel itself",
    ),
    ('f', "addresses are always numeric"),
    ('H', "no 802.11s mesh headers"),
    ('h', "`sockscope --help`"),
    ('N', "addresses are always numeric"),
    ('o', "no filter optimizer to turn off"),
    ('u', "NFS is not decoded"),
    ('g', "tcpdump's verbose decode is not implemented"),
    ('k', "no packet metadata"),
];

/// Refused flags that take a value.
const REFUSED_WITH_VALUE: &str = "CEGMQTVWyzjmJ";

/// What a tcpdump command line asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TcpdumpArgs {
    pub read: Option<String>,
    pub interface: Option<String>,
    pub write: Option<PathBuf>,
    pub list_interfaces: bool,
    pub numeric: u8,
    pub t: u8,
    pub absolute: bool,
    pub x: u8,
    pub big_x: u8,
    pub ascii: u8,
    pub link_header: bool,
    pub line_buffered: bool,
    pub snaplen: u32,
    pub buffer_kib: Option<u64>,
    pub count: Option<u64>,
    pub number: bool,
    pub quick: bool,
    /// `-v`, `-vv` or `-vvv` (more are refused).
    pub verbose: u8,
    pub user: Option<String>,
    pub immediate: bool,
    pub no_promiscuous: bool,
    pub filter_file: Option<PathBuf>,
    pub print: bool,
    /// `--pcapng`: `-w` writes pcapng.
    pub pcapng: bool,
    pub nano: bool,
    pub filter: Vec<String>,
}

/// Whether `args` (without the program name) is a tcpdump command line rather than a
/// subcommand: it starts with a flag other than `-h`/`--help`/`-V`/`--version`.
pub fn is_tcpdump_style(args: &[OsString]) -> bool {
    match args.first().and_then(|a| a.to_str()) {
        Some(a) => {
            a.starts_with('-') && a != "-" && !matches!(a, "-h" | "--help" | "-V" | "--version")
        }
        None => false,
    }
}

fn refused(flag: char) -> Error {
    let nearest = REFUSED
        .iter()
        .find(|(c, _)| *c == flag)
        .map(|(_, n)| *n)
        .unwrap_or("see the table in README.md (tcpdump habits)");
    Error::usage(format!("tcpdump's -{flag} is not supported: {nearest}"))
}

fn number<T: std::str::FromStr>(flag: &str, v: &str, what: &str) -> Result<T, Error> {
    v.trim()
        .parse()
        .map_err(|_| Error::usage(format!("invalid {what} {v} (for {flag})")))
}

impl TcpdumpArgs {
    /// Parses tcpdump's argv (without the program name).
    pub fn parse(args: &[OsString]) -> Result<TcpdumpArgs, Error> {
        let mut a = TcpdumpArgs {
            snaplen: DEFAULT_SNAPLEN,
            ..Default::default()
        };
        let mut i = 0;
        let text = |i: usize| -> Result<String, Error> {
            args[i]
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| Error::usage(format!("argument {} is not UTF-8", i + 1)))
        };
        while i < args.len() {
            let arg = text(i)?;
            i += 1;
            if arg == "--" {
                for j in i..args.len() {
                    a.filter.push(text(j)?);
                }
                break;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, attached) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let takes_value = matches!(
                    name,
                    "count"
                        | "interface"
                        | "snapshot-length"
                        | "buffer-size"
                        | "relinquish-privileges"
                        | "time-stamp-precision"
                );
                let value = if takes_value {
                    match attached {
                        Some(v) => Some(v),
                        None if i < args.len() => {
                            i += 1;
                            Some(text(i - 1)?)
                        }
                        None => return Err(Error::usage(format!("--{name} needs a value"))),
                    }
                } else {
                    None
                };
                let v = value.as_deref().unwrap_or("");
                match name {
                    "number" => a.number = true,
                    "immediate-mode" => a.immediate = true,
                    "list-interfaces" => a.list_interfaces = true,
                    "print" => a.print = true,
                    "pcapng" => a.pcapng = true,
                    "nano" => a.nano = true,
                    "micro" => a.nano = false,
                    "no-promiscuous-mode" => a.no_promiscuous = true,
                    "count" => a.set('c', v)?,
                    "interface" => a.set('i', v)?,
                    "snapshot-length" => a.set('s', v)?,
                    "buffer-size" => a.set('B', v)?,
                    "relinquish-privileges" => a.set('Z', v)?,
                    "time-stamp-precision" => match v {
                        "nano" => a.nano = true,
                        "micro" => a.nano = false,
                        _ => {
                            return Err(Error::usage(format!(
                                "unsupported time stamp precision {v}: micro or nano"
                            )));
                        }
                    },
                    _ => {
                        return Err(Error::usage(format!(
                            "tcpdump's --{name} is not supported: see the table in README.md \
                             (tcpdump habits), or `sockscope --help` for the subcommands"
                        )));
                    }
                }
                continue;
            }
            let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
                a.filter.push(arg);
                continue;
            };
            for (k, c) in flags.char_indices() {
                if WITH_VALUE.contains(c) || REFUSED_WITH_VALUE.contains(c) {
                    if REFUSED_WITH_VALUE.contains(c) {
                        return Err(refused(c));
                    }
                    let rest = &flags[k + c.len_utf8()..];
                    let v = if !rest.is_empty() {
                        rest.to_string()
                    } else if i < args.len() {
                        i += 1;
                        text(i - 1)?
                    } else {
                        return Err(Error::usage(format!(
                            "option requires an argument -- '{c}'"
                        )));
                    };
                    a.set(c, &v)?;
                    break;
                }
                a.flag(c)?
            }
        }
        if a.verbose > 3 {
            return Err(Error::usage(format!(
                "tcpdump's -{} is not supported: -vvv is the most verbose tcpdump line this view \
                 prints; `sockscope replay -v FILE` shows every header field as a tree",
                "v".repeat(a.verbose as usize)
            )));
        }
        Ok(a)
    }

    /// A flag without a value.
    fn flag(&mut self, c: char) -> Result<(), Error> {
        match c {
            'n' => self.numeric += 1,
            't' => self.t += 1,
            'S' => self.absolute = true,
            'x' => self.x += 1,
            'X' => self.big_x += 1,
            'A' if self.ascii == 0 => self.ascii = 1,
            'e' => self.link_header = true,
            'l' | 'U' => self.line_buffered = true,
            '#' => self.number = true,
            'q' => self.quick = true,
            'v' => self.verbose = self.verbose.saturating_add(1),
            'D' => self.list_interfaces = true,
            'p' => self.no_promiscuous = true,
            c => return Err(refused(c)),
        }
        Ok(())
    }

    /// A flag with its value.
    fn set(&mut self, c: char, v: &str) -> Result<(), Error> {
        match c {
            'c' => {
                let n: u64 = number("-c", v, "packet count")?;
                if n == 0 {
                    // tcpdump.c: "invalid packet count %s".
                    return Err(Error::usage(format!("invalid packet count {v}")));
                }
                self.count = Some(n);
            }
            'r' => self.read = Some(v.to_string()),
            'w' => self.write = Some(PathBuf::from(v)),
            'i' => self.interface = Some(v.to_string()),
            's' => {
                let n: u32 = number("-s", v, "snaplen")?;
                self.snaplen = if n == 0 || n > DEFAULT_SNAPLEN {
                    DEFAULT_SNAPLEN
                } else {
                    n
                };
            }
            'B' => self.buffer_kib = Some(number("-B", v, "buffer size")?),
            'F' => self.filter_file = Some(PathBuf::from(v)),
            'Z' => self.user = Some(v.to_string()),
            _ => return Err(refused(c)),
        }
        Ok(())
    }

    /// The filter: `-F FILE`'s text, a `#` and the rest of its line removed as tcpdump's
    /// `read_infile` does; else the words given.
    pub fn filter_words(&self) -> Result<Vec<String>, Error> {
        let Some(path) = &self.filter_file else {
            return Ok(self.filter.clone());
        };
        if !self.filter.is_empty() {
            // tcpdump: "Warning: ignoring expression..."; refusing is clearer.
            return Err(Error::usage(
                "-F FILE gives the filter: drop the expression after the options",
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        Ok(text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .collect())
    }

    /// The view settings: tcpdump's one-line format with its options.
    pub fn view(&self) -> ViewArgs {
        ViewArgs {
            format: cli::Format::Tcpdump,
            hex: self.x > 0,
            hex_ascii: self.big_x > 0,
            t: self.t,
            nano: self.nano,
            absolute: self.absolute,
            numeric: self.numeric,
            count: self.count,
            color: cli::ColorChoice::Never,
            ..Default::default()
        }
    }

    /// The resolved configuration.
    pub fn config(&self) -> ViewConfig {
        let mut cfg = ViewConfig::from_args(&self.view());
        cfg.whole_frame = self.x > 1 || self.big_x > 1;
        cfg.text = self.ascii > 0 && self.x == 0 && self.big_x == 0;
        cfg.line.number = self.number;
        cfg.line.link_header = self.link_header;
        cfg.line.quick = self.quick;
        cfg.line.verbose = self.verbose.min(3);
        cfg.flush_each = cfg.flush_each || self.line_buffered;
        cfg
    }
}

/// Runs a tcpdump command line.
pub fn run(args: &[OsString]) -> Result<(), Error> {
    let a = TcpdumpArgs::parse(args)?;
    if a.list_interfaces {
        return super::out::stdout(list_interfaces().as_bytes());
    }
    let filter = a.filter_words()?;
    let cfg = a.config();
    if a.pcapng && (a.read.is_none() || a.write.is_none()) {
        return Err(Error::usage(
            "--pcapng applies to -r FILE -w OUT (a live capture's -w writes pcap)",
        ));
    }
    if let Some(file) = &a.read {
        if a.interface.is_some() {
            return Err(Error::usage(
                "-r reads a file and -i captures live: give one of them",
            ));
        }
        let write = a.write.as_deref().map(|path| super::replay::Write {
            path,
            pcapng: a.pcapng,
        });
        return super::replay::run_config(file, &filter, &cfg, write, a.print);
    }
    let live = LiveArgs {
        interface: a.interface.clone().unwrap_or_else(default_interface),
        filter,
        write: a.write.clone(),
        print: a.print,
        snaplen: a.snaplen,
        buffer_kib: a
            .buffer_kib
            .unwrap_or(crate::source::live::DEFAULT_BUFFER_KIB as u64),
        no_promiscuous: a.no_promiscuous,
        immediate: a.immediate,
        drop_privileges: a.user.clone(),
        ladder: false,
        flows: false,
        ascii: false,
        view: a.view(),
        tui: false,
    };
    super::live::run_with(live, cfg)
}

/// tcpdump's default interface (libpcap's `pcap_lookupdev`): the first that is up and not
/// loopback, else loopback.
fn default_interface() -> String {
    let all = iface::all();
    all.iter()
        .find(|i| i.is_up() && i.is_running() && !i.is_loopback())
        .or_else(|| all.iter().find(|i| i.is_loopback()))
        .map(|i| i.name.clone())
        .unwrap_or_else(|| "lo".to_string())
}

/// libpcap's figure of merit for an interface (`get_figure_of_merit` in pcap.c): lower sorts
/// first, so interfaces up and running come first, then `any`, then loopback, then those up
/// but without a carrier ("Disconnected"), and those down last; ties keep the system's order.
fn figure_of_merit(up: bool, running: bool, loopback: bool, any: bool) -> u32 {
    let mut n = 0;
    if !running {
        n |= 0x8000_0000;
    }
    if !up {
        n |= 0x4000_0000;
    }
    // Not wireless and disconnected: libpcap reads the carrier, which is what RUNNING shows.
    if up && !running && !loopback {
        n |= 0x2000_0000;
    }
    if loopback {
        n |= 0x1000_0000;
    }
    if any {
        n |= 0x0800_0000;
    }
    n
}

/// `-D`: one interface per line as tcpdump prints them (`1.lo [Up, Running, Loopback]`), in
/// libpcap's order (see [`figure_of_merit`]), with the `any` pseudo-device sockscope also
/// captures on. libpcap's other pseudo-devices (nflog, D-Bus, Bluetooth) are not listed:
/// sockscope cannot capture on them.
pub fn list_interfaces() -> String {
    // (merit, system index, name, flags).
    let mut rows: Vec<(u32, u32, String, String)> = iface::all()
        .iter()
        .map(|i| {
            // tcpdump's words, then the connection status for an interface that is up.
            let connection = match (i.is_up() && !i.is_loopback(), i.is_running()) {
                (false, _) => None,
                (true, true) => Some("Connected"),
                (true, false) => Some("Disconnected"),
            };
            let flags: Vec<&str> = [
                (i.is_up(), "Up"),
                (i.is_running(), "Running"),
                (i.is_loopback(), "Loopback"),
            ]
            .into_iter()
            .filter_map(|(on, word)| on.then_some(word))
            .chain(connection)
            .collect();
            let flags = if flags.is_empty() {
                "none".to_string()
            } else {
                flags.join(", ")
            };
            let merit = figure_of_merit(i.is_up(), i.is_running(), i.is_loopback(), false);
            (merit, i.index, i.name.clone(), flags)
        })
        .collect();
    rows.push((
        figure_of_merit(true, true, false, true),
        u32::MAX,
        "any (Pseudo-device that captures on all interfaces)".into(),
        "Up, Running".into(),
    ));
    rows.sort_by_key(|r| (r.0, r.1));
    let mut s = String::new();
    for (n, (_, _, name, flags)) in rows.iter().enumerate() {
        s.push_str(&format!("{}.{name} [{flags}]\n", n + 1));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libpcap's order: up and running, `any`, loopback, up without carrier, down.
    #[test]
    fn interfaces_sort_as_libpcap_sorts_them() {
        let order = [
            figure_of_merit(true, true, false, false),
            figure_of_merit(true, true, false, true),
            figure_of_merit(true, true, true, false),
            figure_of_merit(true, false, false, false),
            figure_of_merit(false, false, false, false),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:x?}");
    }

    fn parse(s: &str) -> Result<TcpdumpArgs, Error> {
        let v: Vec<OsString> = s.split_whitespace().map(OsString::from).collect();
        TcpdumpArgs::parse(&v)
    }

    #[test]
    fn combined_flags_and_attached_values() {
        assert_eq!(parse("-nnvvX -c5 -s0 -r x.pcap").unwrap().verbose, 2);
        let a = parse("-nnvvvvX -c5 -s0 -r x.pcap tcp port 80").unwrap_err();
        assert!(a.to_string().contains("-vvvv is not supported"), "{a}");
        assert_eq!(parse("-nnvX -r x.pcap").unwrap().verbose, 1);
        let a = parse("-nnXe -c5 -s0 -r x.pcap tcp port 80").unwrap();
        assert_eq!(a.numeric, 2);
        assert_eq!(a.big_x, 1);
        assert!(a.link_header);
        assert_eq!(a.count, Some(5));
        assert_eq!(a.snaplen, DEFAULT_SNAPLEN);
        assert_eq!(a.read.as_deref(), Some("x.pcap"));
        assert_eq!(a.filter, ["tcp", "port", "80"]);
        let a = parse("-tttt -S -# --number -c 3 -Z nobody -i lo -- -x").unwrap();
        assert_eq!((a.t, a.absolute, a.number), (4, true, true));
        assert_eq!(a.user.as_deref(), Some("nobody"));
        assert_eq!(a.interface.as_deref(), Some("lo"));
        assert_eq!(a.filter, ["-x"]);
        assert_eq!(parse("--count=7").unwrap().count, Some(7));
    }

    #[test]
    fn count_zero_and_unknown_flags_are_refused() {
        assert_eq!(
            parse("-c 0 -r x").unwrap_err().to_string(),
            "invalid packet count 0"
        );
        let e = parse("-nn -L").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("tcpdump's -L is not supported: "));
        assert!(parse("-C 10 -w x").unwrap_err().to_string().contains("-C"));
        assert!(parse("-c").unwrap_err().to_string().contains("'c'"));
    }

    #[test]
    fn detection() {
        let v = |s: &str| -> Vec<OsString> { s.split_whitespace().map(OsString::from).collect() };
        assert!(is_tcpdump_style(&v("-nn -r x")));
        assert!(is_tcpdump_style(&v("-D")));
        assert!(!is_tcpdump_style(&v("--help")));
        assert!(!is_tcpdump_style(&v("replay x")));
        assert!(!is_tcpdump_style(&v("")));
    }
}
