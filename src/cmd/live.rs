//! The `live` command: open the capture, drop privileges, run the pipeline over the capture
//! source while saving (-w) and/or printing, and report tcpdump's counts.
//!
//! The capture loop runs any [`CaptureSource`], so tests drive it with injected frames; only
//! [`live`] touches a real socket.

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::rc::Rc;

use super::config::ViewConfig;
use super::pipeline::{Pipeline, make_renderer};
use super::{Error, out};
use crate::capture_writer::CaptureWriter;
use crate::cli::LiveArgs;
use crate::decode::Packet;
use crate::filter::{Filter, bpf};
use crate::pipeline::End;
use crate::render::flows::FlowsRenderer;
use crate::render::ladder::{LadderOptions, LadderRenderer, LaneNamer, Layout};
use crate::render::{PacketContext, Renderer};
use crate::source::Frame;
use crate::source::live::sock_filter;
use crate::source::live::{CaptureSource, KernelStats, LiveConfig, LiveSource, OpenError};
use crate::sys::sockowners::SockOwners;
use crate::sys::term::output_width;
use crate::sys::{privileges, signals};
use std::net::SocketAddr;

/// How a capture run shows and saves what it captures.
pub struct CaptureOutputs {
    /// The pcap file being written (`-w`).
    pub save: Option<CaptureWriter>,
    /// Where packets are printed, if they are (`--print`, or no `-w`).
    pub print: Option<Box<dyn Write>>,
    /// Flush the printed output after every packet (a terminal); otherwise it is flushed each
    /// time the source has nothing more queued.
    pub flush_each: bool,
    /// Only packets that match are shown and saved (the kernel filter already dropped most
    /// others; this one is exact).
    pub filter: Option<Filter>,
    /// The view to print in, when it is not the per-packet one `cfg` names (`--ladder`,
    /// `--flows`: they follow conversations themselves).
    pub view: Option<Box<dyn Renderer>>,
}

/// What a capture run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Packets handed to the views and the file (after the filter).
    pub captured: u64,
    pub kernel: KernelStats,
}

impl CaptureSummary {
    /// tcpdump's three lines, e.g. `3 packets captured`.
    pub fn report(&self) -> String {
        let line =
            |n: u64, what: &str| format!("{n} packet{} {what}\n", if n == 1 { "" } else { "s" });
        line(self.captured, "captured")
            + &line(self.kernel.received, "received by filter")
            + &line(self.kernel.dropped, "dropped by kernel")
    }
}

/// A `Write` shared between the pipeline and the source's idle hook. A flush that failed in
/// the hook is reported by the next write, so a reader gone away (`| head`) ends the capture
/// at the next packet instead of filling the buffer first.
#[derive(Clone)]
struct SharedOut {
    out: Rc<RefCell<Box<dyn Write>>>,
    failed: Rc<RefCell<Option<io::Error>>>,
}

impl SharedOut {
    fn check(&self) -> io::Result<()> {
        match self.failed.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The idle hook's flush: an error waits for the next write.
    fn flush_idle(&self) {
        if let Err(e) = self.out.borrow_mut().flush() {
            *self.failed.borrow_mut() = Some(e);
        }
    }
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        self.out.borrow_mut().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.check()?;
        self.out.borrow_mut().write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.out.borrow_mut().flush()
    }
}

/// Saves each packet, then shows it.
struct LiveRenderer {
    save: Option<Rc<RefCell<CaptureWriter>>>,
    show: Option<Box<dyn Renderer>>,
    flush_each: bool,
}

impl Renderer for LiveRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        if let Some(w) = &self.save {
            w.borrow_mut().write(&Frame {
                ts: pkt.ts,
                link: pkt.link_type,
                orig_len: pkt.orig_len,
                data: pkt.data,
            })?;
        }
        if let Some(r) = &mut self.show {
            r.packet(out, pkt, ctx)?;
            if self.flush_each {
                out.flush()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(w) = &self.save {
            w.borrow_mut().flush()?;
        }
        if let Some(r) = &mut self.show {
            r.finish(out)?;
        }
        Ok(())
    }
}

/// Runs `source` until it ends (stop flag), the count is reached, or output fails. The file is
/// flushed in every case, so it is complete whatever ended the run.
pub fn run_capture(
    source: &mut dyn CaptureSource,
    cfg: &ViewConfig,
    outputs: CaptureOutputs,
) -> (CaptureSummary, End) {
    let save = outputs.save.map(|w| Rc::new(RefCell::new(w)));
    let printing = outputs.print.is_some();
    let sink: Box<dyn Write> = outputs.print.unwrap_or_else(|| Box::new(io::sink()));
    let mut shared = SharedOut {
        out: Rc::new(RefCell::new(sink)),
        failed: Rc::default(),
    };
    {
        let (save, out) = (save.clone(), shared.clone());
        source.set_idle_hook(Box::new(move || {
            // Errors show up at the next write, or at finish for the file.
            out.flush_idle();
            if let Some(w) = &save {
                let _ = w.borrow_mut().flush();
            }
        }));
    }
    let own_view = outputs.view.is_some();
    let show = match outputs.view {
        Some(v) => printing.then_some(v),
        None => printing.then(|| make_renderer(cfg)),
    };
    let mut renderer = LiveRenderer {
        save: save.clone(),
        show,
        flush_each: outputs.flush_each,
    };
    let pipeline = Pipeline::with_filter(outputs.filter.unwrap_or_else(Filter::all)).limits(cfg);
    let mut pipeline = if printing && !own_view {
        pipeline.tracking_for(cfg)
    } else {
        pipeline
    };
    let (stats, end) = pipeline.run(source, &mut renderer, &mut shared);
    source.set_idle_hook(Box::new(|| {}));
    // After a write error the pipeline skips finish: still save what was captured.
    let mut end = end;
    if let Some(w) = &save
        && let Err(e) = w.borrow_mut().flush()
        && matches!(end, End::Done | End::OutputClosed)
    {
        end = End::Output(e);
    }
    let kernel = source.kernel_stats().unwrap_or_default();
    (
        CaptureSummary {
            captured: stats.matched,
            kernel,
        },
        end,
    )
}

fn open_failure(e: OpenError) -> Error {
    match e {
        OpenError::Permission(_) => {
            Error::usage(privileges::cap_net_raw_help(&privileges::this_binary()))
        }
        OpenError::Io { .. } => Error::runtime(e),
        _ => Error::usage(e),
    }
}

/// `sockscope live`.
pub fn run(a: LiveArgs) -> Result<(), Error> {
    let cfg = ViewConfig::from_args(&a.view);
    run_with(a, cfg)
}

/// `sockscope live` with the view already resolved (tcpdump's flags resolve more than
/// [`crate::cli::ViewArgs`] holds).
pub fn run_with(a: LiveArgs, cfg: ViewConfig) -> Result<(), Error> {
    let print = a.write.is_none() || a.print;
    if print && a.write.as_deref() == Some(std::path::Path::new("-")) {
        return Err(Error::usage(
            "-w - writes the pcap file to standard output, so packets cannot be printed there \
             too; drop --print",
        ));
    }
    let stop = signals::install().map_err(|e| Error::failed("cannot handle signals", e))?;
    // A wrong filter is a usage error before any socket is opened.
    let pipeline = Pipeline::new(&a.filter)?;
    let mut lc = LiveConfig::new(&a.interface);
    lc.snaplen = a.snaplen;
    lc.buffer_bytes = (a.buffer_kib as usize) * 1024;
    lc.promiscuous = !a.no_promiscuous;
    let mut source = LiveSource::open(&lc, stop).map_err(open_failure)?;
    kernel_filter(&mut source, pipeline.filter())?;
    let save = drop_privileges(&a, &source)?;
    if source.buffer_bytes < lc.buffer_bytes {
        out::warn(format_args!(
            "the kernel granted a receive buffer of {} KiB, not {} KiB \
             (net.core.rmem_max limits it without CAP_NET_ADMIN); raise it with \
             `sysctl -w net.core.rmem_max={}` or expect drops under load",
            source.buffer_bytes / 1024,
            lc.buffer_bytes / 1024,
            lc.buffer_bytes
        ));
    }

    if a.tui {
        return super::tui::live(
            &mut source,
            pipeline.filter(),
            &a.interface,
            cfg.color,
            stop,
        );
    }
    let stdout = io::stdout();
    let outputs = CaptureOutputs {
        save,
        print: print.then(|| {
            Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock())) as Box<dyn Write>
        }),
        flush_each: cfg.flush_each || stdout.is_terminal(),
        filter: Some(pipeline.filter().clone()),
        view: conversation_view(&a, &cfg),
    };
    out::say(format_args!(
        "listening on {}, link-type {}, snapshot length {} bytes",
        a.interface,
        source.link_type(),
        a.snaplen
    ));
    let (summary, end) = run_capture(&mut source, &cfg, outputs);
    if source.clock_stamped > 0 {
        out::warn(format_args!(
            "{} packets came without a kernel timestamp and were stamped on reading",
            source.clock_stamped
        ));
    }
    out::stderr(&summary.report());
    match end {
        End::Done | End::OutputClosed => Ok(()),
        End::SourceError(e) => Err(Error::failed("capture failed", e)),
        End::Output(e) => Err(Error::output(e)),
    }
}

/// The same filter as classic BPF on the socket, so unwanted packets never leave the kernel
/// (libpcap's way: reject all, drain, then the real program). Where the expression cannot be
/// compiled for this link type, user space filters alone.
fn kernel_filter(source: &mut LiveSource, filter: &Filter) -> Result<(), Error> {
    // On `-i any` the socket sees packets without the SLL2 header the program would read.
    if filter.is_empty() || source.is_cooked() {
        return Ok(());
    }
    match bpf::compile(filter, source.link_type()) {
        Some(prog) => source
            .attach_filter(&sock_filter(&prog))
            .map_err(|e| Error::failed("cannot attach the filter", e)),
        None => {
            out::say(format_args!(
                "note: the filter runs in sockscope, not in the kernel (no BPF for link type {})",
                source.link_type()
            ));
            Ok(())
        }
    }
}

/// Creates the -w file, then gives up root (to the sudo user or `--drop-privileges USER`) or,
/// for a binary given CAP_NET_RAW, the capability: the socket is open and needs neither. The
/// file is created first, as root, and handed over to that user.
fn drop_privileges(a: &LiveArgs, source: &LiveSource) -> Result<Option<CaptureWriter>, Error> {
    let sudo_user = std::env::var("SUDO_USER").ok();
    let account = privileges::target(
        a.drop_privileges.as_deref(),
        sudo_user.as_deref(),
        privileges::euid(),
    )
    .map(|name| privileges::lookup(&name))
    .transpose()
    .map_err(Error::usage)?;
    let save = match &a.write {
        Some(path) => Some(
            CaptureWriter::create(
                path,
                source.link_type(),
                a.snaplen,
                account.as_ref().map(|u| (u.uid, u.gid)),
            )
            .map_err(|e| Error::failed(format!("cannot create {}", path.display()), e))?,
        ),
        None => None,
    };
    // Not root (a setcap binary): give up CAP_NET_RAW, the socket is open. Root that was asked
    // to stay root (`--drop-privileges root`, or no sudo) keeps its capabilities.
    privileges::drop_after_live_capture(account.as_ref()).map_err(Error::runtime)?;
    Ok(save)
}

/// `--ladder` or `--flows`: a view that follows conversations itself, instead of the
/// per-packet one.
fn conversation_view(a: &LiveArgs, cfg: &ViewConfig) -> Option<Box<dyn Renderer>> {
    if a.ladder {
        let mut l = LadderRenderer::new(LadderOptions {
            width: cfg.width.unwrap_or_else(output_width),
            ascii: a.ascii,
            color: cfg.color,
            absolute: cfg.absolute,
            layout: Layout::Incremental,
            fit: cfg.width.is_some(),
            ..LadderOptions::default()
        });
        l.set_lane_namer(owner_namer());
        Some(Box::new(l))
    } else if a.flows {
        let mut f = FlowsRenderer::bounded(cfg.color);
        f.set_namer(owner_namer());
        Some(Box::new(f))
    } else {
        None
    }
}

/// Names the program at each end of a conversation that is on this machine, from /proc's
/// socket tables (as `ss -p`).
pub fn owner_namer() -> LaneNamer {
    let mut owners = SockOwners::new();
    Box::new(move |(ip, port), (oip, oport)| {
        owners.name(SocketAddr::new(ip, port), SocketAddr::new(oip, oport))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Limits};
    use crate::source::{LinkType, MemorySource, OwnedFrame, Source, SourceError, Timestamp};

    /// Frames from memory, with made-up kernel counts: the capture loop without a socket.
    struct Injected {
        frames: MemorySource,
        idle: Option<Box<dyn FnMut()>>,
        idle_calls: Rc<RefCell<u32>>,
    }

    impl Source for Injected {
        fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
            if let Some(h) = self.idle.as_mut() {
                h();
                *self.idle_calls.borrow_mut() += 1;
            }
            self.frames.next_frame()
        }
    }

    impl CaptureSource for Injected {
        fn link_type(&self) -> LinkType {
            LinkType::ETHERNET
        }
        fn kernel_stats(&mut self) -> io::Result<KernelStats> {
            Ok(KernelStats {
                received: 7,
                dropped: 1,
            })
        }
        fn set_idle_hook(&mut self, hook: Box<dyn FnMut()>) {
            self.idle = Some(hook);
        }
    }

    /// An Ethernet + IPv4 + UDP frame from 127.0.0.1:sport to 127.0.0.1:9.
    fn udp_frame(sport: u16, sec: i64) -> OwnedFrame {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[
            0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&[0, 9, 0, 12, 0, 0, b'h', b'i', b'!', b'\n']);
        OwnedFrame {
            ts: Timestamp::new(sec, 1),
            link: LinkType::ETHERNET,
            orig_len: f.len() as u32,
            data: f,
        }
    }

    fn injected(n: u16) -> (Injected, Rc<RefCell<u32>>) {
        let calls = Rc::new(RefCell::new(0));
        let frames = (0..n)
            .map(|i| udp_frame(4000 + i, 1_700_000_000 + i as i64))
            .collect();
        (
            Injected {
                frames: MemorySource::new(frames),
                idle: None,
                idle_calls: calls.clone(),
            },
            calls,
        )
    }

    /// A `Write` whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Captured(Rc<RefCell<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn view(count: Option<u64>) -> ViewConfig {
        let args = crate::cli::ViewArgs {
            format: crate::cli::Format::Tcpdump,
            count,
            ..Default::default()
        };
        ViewConfig::from_args(&args)
    }

    #[test]
    fn saved_file_replays_to_the_printed_lines() {
        let (mut src, idle_calls) = injected(5);
        let path = std::env::temp_dir().join(format!("sockscope-cap-{}.pcap", std::process::id()));
        let printed = Captured::default();
        let outputs = CaptureOutputs {
            save: Some(CaptureWriter::create(&path, LinkType::ETHERNET, 262_144, None).unwrap()),
            print: Some(Box::new(printed.clone())),
            flush_each: false,
            filter: None,
            view: None,
        };
        let (summary, end) = run_capture(&mut src, &view(None), outputs);
        assert!(matches!(end, End::Done), "{end:?}");
        assert_eq!(summary.captured, 5);
        assert_eq!(
            summary.kernel,
            KernelStats {
                received: 7,
                dropped: 1
            }
        );
        assert!(
            *idle_calls.borrow() >= 5,
            "the idle hook runs before the source blocks"
        );

        let mut file = crate::source::FileSource::open(path.to_str().unwrap()).unwrap();
        let mut replayed = Vec::new();
        let mut r = make_renderer(&view(None));
        let _ = pipeline::run(
            &mut file,
            None,
            None,
            r.as_mut(),
            &mut replayed,
            Limits::default(),
        );
        let printed = printed.0.borrow().clone();
        assert_eq!(
            String::from_utf8(replayed).unwrap(),
            String::from_utf8(printed.clone()).unwrap()
        );
        assert_eq!(printed.iter().filter(|&&b| b == b'\n').count(), 5);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn count_stops_the_capture_and_the_report_reads_like_tcpdump() {
        let (mut src, _) = injected(10);
        let printed = Captured::default();
        let outputs = CaptureOutputs {
            save: None,
            print: Some(Box::new(printed.clone())),
            flush_each: true,
            filter: None,
            view: None,
        };
        let (summary, _) = run_capture(&mut src, &view(Some(3)), outputs);
        assert_eq!(summary.captured, 3);
        assert_eq!(
            printed.0.borrow().iter().filter(|&&b| b == b'\n').count(),
            3
        );
        assert_eq!(
            summary.report(),
            "3 packets captured\n7 packets received by filter\n1 packet dropped by kernel\n"
        );
    }
}
