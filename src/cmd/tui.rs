//! The glue of `sockscope tui FILE`: resolves the colour choice, opens the index, runs the
//! terminal loop (or, hidden `--bench`, measures the time to the first screen); and of
//! `live --tui` (the capture loop feeding the explorer's thread).

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::config::use_color;
use super::live::CaptureSummary;
use super::{Error, out};
use crate::cli::{ColorChoice, TuiArgs};
use crate::decode::{Packet, decode};
use crate::filter::Filter;
use crate::lesson::observe::Progress;
use crate::render::{PacketContext, Renderer};
use crate::source::OwnedFrame;
use crate::source::SourceError;
use crate::source::live::CaptureSource;
use crate::track::calls::CallEvent;
use crate::tui::index::{self, Event};
use crate::tui::live::{Explorer, Feed};
use crate::tui::model::App;
use crate::tui::term;
use crate::tui::view::{self, Areas};

pub fn run(a: &TuiArgs) -> Result<(), Error> {
    explore(&a.file, &a.file, a.color, a.bench)
}

/// `sockscope lesson NAME --tui` without a live capture: the lesson's recording in the
/// explorer, its socket calls as rows among the packets.
pub fn lesson(path: &str, title: &str, color: ColorChoice) -> Result<(), Error> {
    crate::sys::privileges::drop_after_lesson_capture().map_err(Error::runtime)?; // no capture
    explore(path, &format!("lesson recording {title}"), color, false)
}

fn explore(path: &str, title: &str, color: ColorChoice, bench_only: bool) -> Result<(), Error> {
    let start = Instant::now();
    let (index, batches) = index::open(path).map_err(Error::usage)?;
    if bench_only {
        return bench(App::new(index, title, false, false), &batches, start);
    }
    if !std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "tui needs a terminal on standard output (use `replay` for a pipe or a file)",
        ));
    }
    let color = use_color(color, true);
    let app = App::new(index, title, color, false);
    term::run(app, &mut { batches }).map_err(|e| Error::failed("terminal", e))
}

/// Draws to an off-screen 160×48 terminal: the first screen as soon as the first frames are
/// indexed, then the last packet once the whole file is; prints the times to stderr.
fn bench(
    mut app: App,
    batches: &std::sync::mpsc::Receiver<index::Batch>,
    start: Instant,
) -> Result<(), Error> {
    let mut t = Terminal::new(TestBackend::new(160, 48)).map_err(Error::runtime)?;
    let mut areas = Areas::default();
    let mut draw = |app: &mut App| {
        t.draw(|f| view::draw(f, app, &mut areas))
            .map(|_| ())
            .map_err(Error::runtime)
    };
    if let Ok(b) = batches.recv() {
        app.append_batch(b);
    }
    draw(&mut app)?;
    let first = start.elapsed();
    while app.done.is_none() {
        match batches.recv() {
            Ok(b) => app.append_batch(b),
            Err(_) => break,
        }
    }
    let indexed = start.elapsed();
    app.key(crate::tui::model::Key::End);
    draw(&mut app)?;
    let (extras, whole) = app.index.aside();
    out::say(format_args!(
        "first screen after {:.1} ms ({} packets indexed then); whole file indexed ({} packets) after {:.1} ms; last packet drawn after {:.1} ms; {extras} records with occasional facts aside, {whole} kept whole",
        first.as_secs_f64() * 1e3,
        app.index.len().min(4096),
        app.index.len(),
        indexed.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3
    ));
    Ok(())
}

/// `sockscope live --tui`: the socket is open and privileges are dropped. The capture stays on
/// this thread, as in `live`, and hands each matching frame to the explorer's thread without
/// ever waiting for it; the kernel's counts go along every [`STATS_EVERY`]. Prints `live`'s
/// counts (and the frames the explorer shed) once the terminal is restored.
pub fn live(
    source: &mut dyn CaptureSource,
    filter: &Filter,
    name: &str,
    color: bool,
    stop: &'static AtomicBool,
) -> Result<(), Error> {
    if !std::io::stdout().is_terminal() {
        return Err(Error::usage("--tui needs a terminal on standard output"));
    }
    let (feed, ui) = crate::tui::live::start(name, color, true, Some(stop))
        .map_err(|e| Error::failed("cannot start the explorer", e))?;
    let (captured, end) = capture_into(source, filter, &feed, stop);
    let kernel = source.kernel_stats().unwrap_or_default();
    feed.kernel(kernel);
    let shed = feed.shed();
    drop(feed);
    let shown = ui
        .join()
        .map_err(|_| Error::runtime("the explorer stopped"))?;
    let summary = CaptureSummary { captured, kernel };
    out::stderr(&summary.report());
    out::stderr(&format!(
        "{shed} packet{} shed by the explorer\n",
        if shed == 1 { "" } else { "s" }
    ));
    shown.map_err(|e| Error::failed("terminal", e))?;
    end.map_or(Ok(()), |e| Err(Error::failed("capture failed", e)))
}

/// How often the kernel's counts are read while packets come.
const STATS_EVERY: Duration = Duration::from_millis(200);

/// The capture loop of `live --tui`: until the source ends or the explorer does. Returns the
/// frames that matched the filter (handed over or shed) and the capture's error, if any.
pub fn capture_into(
    source: &mut dyn CaptureSource,
    filter: &Filter,
    feed: &Feed,
    stop: &AtomicBool,
) -> (u64, Option<SourceError>) {
    let mut captured = 0;
    let mut last = Instant::now();
    let end = loop {
        if feed.closed() {
            stop.store(true, Ordering::SeqCst);
        }
        let f = match source.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        if filter.is_empty() || filter.matches(&decode(&f)) {
            captured += 1;
            if !feed.send(Event::Packet(f.to_owned_frame())) {
                stop.store(true, Ordering::SeqCst);
            }
        }
        if last.elapsed() >= STATS_EVERY {
            last = Instant::now();
            if let Ok(k) = source.kernel_stats() {
                feed.kernel(k);
            }
        }
    };
    let why = match &end {
        Some(e) => format!("capture failed: {e}"),
        None => "capture ended".to_string(),
    };
    feed.end(why);
    (captured, end)
}

/// `run --tui`: the explorer on its own thread, fed by `run`'s merger.
pub fn start_for_run(tui: bool, color: bool) -> Result<Option<Explorer>, Error> {
    if !tui {
        return Ok(None);
    }
    start_fed("run", color).map(Some)
}

/// The explorer on its own thread, fed as things happen (`run --tui`, a live lesson).
fn start_fed(name: &str, color: bool) -> Result<Explorer, Error> {
    if !std::io::stdout().is_terminal() {
        return Err(Error::usage("--tui needs a terminal on standard output"));
    }
    crate::tui::live::start(name, color, false, None)
        .map_err(|e| Error::failed("cannot start the explorer", e))
}

/// `lesson NAME --tui`, live: the explorer on its own thread, and the view that feeds it.
pub fn start_for_lesson(title: &str, color: ColorChoice) -> Result<Explorer, Error> {
    start_fed(&format!("live lesson {title}"), use_color(color, true))
}

/// The view of a live lesson in the explorer: every packet and socket call the lesson's
/// pipeline hands over goes to the explorer's thread, and the lesson hears of every packet as
/// its own view tells it (its demo waits for the packets of each step).
pub struct LessonFeed<'a> {
    feed: Feed,
    progress: &'a Progress,
    /// False once the explorer has ended (the lesson goes on without it).
    open: bool,
}

impl<'a> LessonFeed<'a> {
    pub fn new(feed: Feed, progress: &'a Progress) -> Self {
        LessonFeed {
            feed,
            progress,
            open: true,
        }
    }
}

impl Renderer for LessonFeed<'_> {
    fn packet(&mut self, _: &mut dyn Write, p: &Packet<'_>, ctx: &PacketContext) -> io::Result<()> {
        self.progress.note(p, ctx.track);
        if self.open {
            self.open = self.feed.send(Event::Packet(OwnedFrame {
                ts: p.ts,
                link: p.link_type,
                orig_len: p.orig_len,
                data: p.data.to_vec(),
            }));
        }
        Ok(())
    }

    fn call(&mut self, _: &mut dyn Write, ev: &CallEvent) -> io::Result<()> {
        if self.open {
            self.open = self.feed.send(Event::Call(ev.clone()));
        }
        Ok(())
    }
}

/// Once a fed explorer's input ended: says `why` in its status line and waits until the user
/// quits it.
pub fn wait_for_quit(ui: Explorer, why: String) -> Result<(), Error> {
    let (feed, ui) = ui;
    feed.end(why);
    drop(feed);
    ui.join()
        .map_err(|_| Error::runtime("the explorer stopped"))?
        .map_err(|e| Error::failed("terminal", e))
}

/// `run --tui`, once the program ended: says so in the status line and waits until the user
/// quits the explorer.
pub fn wait_for_run<E: std::fmt::Display>(
    ui: Option<Explorer>,
    status: &Result<i32, E>,
) -> Result<(), Error> {
    let Some(ui) = ui else { return Ok(()) };
    wait_for_quit(
        ui,
        match status {
            Ok(code) => format!("the program exited with status {code}"),
            Err(e) => format!("tracing failed: {e}"),
        },
    )
}
