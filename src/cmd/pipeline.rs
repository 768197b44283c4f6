//! The one pipeline builder every command uses: it parses the filter, decides whether the view
//! needs the conversation tracker, builds the per-packet renderer a [`ViewConfig`] names, and
//! runs a source through the core loop ([`crate::pipeline::run`]) with the count and skip limits.

use std::io::{self, BufWriter, StdoutLock, Write};

use super::Error;
use super::config::ViewConfig;
use super::out;
use crate::capture_writer::CaptureWriter;
use crate::decode::Packet;
use crate::filter::Filter;
use crate::pipeline::{self, End, Limits, Stats};
use crate::render::hex::HexRenderer;
use crate::render::json::JsonRenderer;
use crate::render::learner::LearnerRenderer;
use crate::render::numbered::Numbered;
use crate::render::quiet::QuietRenderer;
use crate::render::tcpdump::TcpdumpRenderer;
use crate::render::time::{TimeFormatter, TimeStyle};
use crate::render::verbose::VerboseRenderer;
use crate::render::{Format, HexDump, PacketContext, Renderer};
use crate::source::{FileSource, Frame, LinkType, Source, SourceError};
use crate::track::{Limits as TrackLimits, Tracker};

/// Which packets reach the view: a tcpdump expression, or a test of the command's own.
type Keep = Box<dyn Fn(&Packet<'_>) -> bool>;

/// Filter, tracker and limits of one run; the source and the view are lent to [`Pipeline::run`].
pub struct Pipeline {
    filter: Filter,
    keep: Option<Keep>,
    tracker: Option<Tracker>,
    limits: Limits,
}

impl Pipeline {
    /// Only packets matching `filter` (tcpdump's syntax, its words as given; none for all).
    /// A wrong expression is a usage error.
    pub fn new(filter: &[String]) -> Result<Pipeline, Error> {
        let filter =
            Filter::parse_resolving(&filter.join(" "), &resolve_host).map_err(Error::usage)?;
        Ok(Pipeline::with_filter(filter))
    }

    /// Only packets matching `filter`.
    pub fn with_filter(filter: Filter) -> Pipeline {
        Pipeline {
            filter,
            keep: None,
            tracker: None,
            limits: Limits::default(),
        }
    }

    /// Only packets for which `keep` is true.
    pub fn keeping(keep: impl Fn(&Packet<'_>) -> bool + 'static) -> Pipeline {
        let mut p = Pipeline::with_filter(Filter::all());
        p.keep = Some(Box::new(keep));
        p
    }

    /// The filter expression (empty: every packet).
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// `--count` and `--skip` of `cfg`.
    pub fn limits(mut self, cfg: &ViewConfig) -> Pipeline {
        self.limits = Limits {
            count: cfg.count,
            skip: cfg.skip,
        };
        self
    }

    /// Follows conversations with `tracker` (`None`: the view needs no tracking).
    pub fn tracker(mut self, tracker: Option<Tracker>) -> Pipeline {
        self.tracker = tracker;
        self
    }

    /// The streaming tracker when the per-packet view `cfg` names uses it. These views print
    /// no teaching notes (the learner's handshake line is all they use of them) and read no
    /// conversation summaries: only what the tracker says of each packet.
    pub fn tracking_for(self, cfg: &ViewConfig) -> Pipeline {
        let limits = TrackLimits {
            notes: false,
            summaries: 0,
            ..TrackLimits::streaming()
        };
        let t = needs_tracker(cfg).then(|| Tracker::with_limits(limits));
        self.tracker(t)
    }

    /// The tracker, after a run: what it saw.
    pub fn tracked(&self) -> Option<&Tracker> {
        self.tracker.as_ref()
    }

    /// The tracker, to keep after the run.
    pub fn into_tracker(self) -> Option<Tracker> {
        self.tracker
    }

    /// Runs `source` through `view` to `out` until the end or the limits.
    pub fn run(
        &mut self,
        source: &mut dyn Source,
        view: &mut dyn Renderer,
        out: &mut dyn Write,
    ) -> (Stats, End) {
        let matches = |p: &Packet<'_>| self.filter.matches(p);
        let filter_fn: Option<&dyn Fn(&Packet<'_>) -> bool> = match &self.keep {
            Some(k) => Some(k.as_ref()),
            None => (!self.filter.is_empty()).then_some(&matches),
        };
        pipeline::run(
            source,
            filter_fn,
            self.tracker.as_mut(),
            view,
            out,
            self.limits,
        )
    }
}

/// Opens a capture file (`-` for standard input); one that cannot be read is bad input.
pub fn open_file(path: &str) -> Result<FileSource, Error> {
    FileSource::open(path).map_err(Error::usage)
}

/// Standard output behind a 64 KiB buffer: the views write many short lines.
pub fn stdout_buffer() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Builds the renderer for a view; with `flush_each`, output is flushed after every packet.
pub fn make_renderer(cfg: &ViewConfig) -> Box<dyn Renderer> {
    let view = view_renderer(cfg);
    if cfg.flush_each {
        Box::new(Flushing(view))
    } else {
        view
    }
}

/// Flushes the output after each packet (`-l`, a terminal): lines appear as packets arrive.
struct Flushing(Box<dyn Renderer>);

impl Renderer for Flushing {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.0.packet(out, p, ctx)?;
        out.flush()
    }

    fn numbered_call(
        &mut self,
        out: &mut dyn Write,
        ev: &crate::track::calls::CallEvent,
        number: u64,
    ) -> io::Result<()> {
        self.0.numbered_call(out, ev, number)?;
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.finish(out)
    }
}

/// Where [`Saving`] puts each packet (and each socket-call record) it is given.
pub trait SaveTarget {
    fn packet(&mut self, p: &Packet<'_>) -> io::Result<()>;
    /// The socket-call record the pipeline just read (targets that keep no calls skip it).
    fn call(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()>;
}

/// A pcap file of one link type.
struct PcapTarget {
    writer: CaptureWriter,
    link: LinkType,
}

/// Saves each packet (`-w`), and shows it too when given a view.
pub struct Saving {
    target: Box<dyn SaveTarget>,
    show: Option<Box<dyn Renderer>>,
}

impl Saving {
    /// Saves to `writer`, a pcap file of link type `link`.
    pub fn new(writer: CaptureWriter, link: LinkType, show: Option<Box<dyn Renderer>>) -> Saving {
        Saving::to(Box::new(PcapTarget { writer, link }), show)
    }

    /// Saves to any target.
    pub fn to(target: Box<dyn SaveTarget>, show: Option<Box<dyn Renderer>>) -> Saving {
        Saving { target, show }
    }
}

impl SaveTarget for PcapTarget {
    fn packet(&mut self, p: &Packet<'_>) -> io::Result<()> {
        if p.link_type != self.link {
            // A pcap file has one link type (a pcapng with several interfaces may not).
            return Err(io::Error::other(format!(
                "packet of link type {} cannot go into a pcap file of link type {}",
                p.link_type, self.link
            )));
        }
        self.writer.write(&Frame {
            ts: p.ts,
            link: p.link_type,
            orig_len: p.orig_len,
            data: p.data,
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Renderer for Saving {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.target.packet(p)?;
        match &mut self.show {
            Some(v) => v.packet(out, p, ctx),
            None => Ok(()),
        }
    }

    fn call(&mut self, out: &mut dyn Write, ev: &crate::track::calls::CallEvent) -> io::Result<()> {
        self.target.call()?;
        match &mut self.show {
            Some(v) => v.call(out, ev),
            None => Ok(()),
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.target.flush()?;
        match &mut self.show {
            Some(v) => v.finish(out),
            None => Ok(()),
        }
    }
}

/// The per-packet view `cfg` names.
fn view_renderer(cfg: &ViewConfig) -> Box<dyn Renderer> {
    let time = TimeFormatter::new(cfg.time, cfg.nano);
    if cfg.quiet {
        return Box::new(QuietRenderer::new());
    }
    let view: Box<dyn Renderer> = match cfg.format {
        Format::Learner => {
            // Without -t the learner view counts from the first packet; -t… picks tcpdump's.
            let t = (cfg.time != TimeStyle::Clock).then_some(time);
            Box::new(LearnerRenderer::new(cfg.color, cfg.absolute, t).fit(cfg.width))
        }
        Format::Tcpdump => {
            let mut r = TcpdumpRenderer::new(time, cfg.absolute);
            r.options = cfg.line;
            Box::new(r)
        }
        Format::Verbose => Box::new(VerboseRenderer::new(cfg.nano)),
        Format::Json => Box::new(JsonRenderer::new()),
    };
    // tcpdump's -# for the views that have no number of their own (the tcpdump view prints its
    // own; JSON has `number`).
    let view: Box<dyn Renderer> = match cfg.format {
        Format::Learner if cfg.line.number => Box::new(Numbered::new(view)),
        _ => view,
    };
    let from_network = cfg.format == Format::Tcpdump && !cfg.whole_frame;
    if cfg.text {
        return Box::new(HexRenderer::text(view, !from_network));
    }
    match cfg.hex {
        HexDump::None => view,
        // A dump would break one-object-per-line JSON.
        _ if cfg.format == Format::Json => view,
        h => Box::new(HexRenderer::new(view, h == HexDump::HexAscii, from_network)),
    }
}

/// Whether a view uses the conversation tracker (flows, roles, relative seq/ack).
pub fn needs_tracker(cfg: &ViewConfig) -> bool {
    cfg.quiet || matches!(cfg.format, Format::Learner | Format::Json | Format::Verbose)
}

/// How reading a capture file ended, as the program's result: a file cut short is a warning
/// (everything before the cut was shown), a reader gone away (`| head`) is not an error.
pub fn file_end(end: End) -> Result<(), Error> {
    match end {
        End::Done | End::OutputClosed => Ok(()),
        End::SourceError(e @ SourceError::Truncated { .. }) => {
            out::warn(&e);
            Ok(())
        }
        End::SourceError(e) => Err(Error::runtime(e)),
        End::Output(e) => Err(Error::output(e)),
    }
}

/// Every address of a host name, as tcpdump looks one up when it compiles `host NAME`:
/// getaddrinfo (so /etc/hosts, then DNS), each address once, in the order given.
pub fn resolve_host(name: &str) -> Result<Vec<std::net::IpAddr>, String> {
    use std::net::ToSocketAddrs as _;
    let mut out: Vec<std::net::IpAddr> = Vec::new();
    for a in (name, 0u16).to_socket_addrs().map_err(|e| e.to_string())? {
        if !out.contains(&a.ip()) {
            out.push(a.ip());
        }
    }
    Ok(out)
}
