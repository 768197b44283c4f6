//! `sockscope lesson [NAME]`: picks the lesson, live or recorded, and runs it through the
//! pipeline: the capture (or the recording, paced) into the lesson's view, with the demo's
//! narration in between ([`crate::lesson`] has the lessons, their script and their view).

use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

use super::config::stdout_color;
use super::pipeline::Pipeline;
use super::{Error, out};
use crate::cli::LessonArgs;
use crate::decode::Packet;
use crate::demo::narrate::CallSink;
use crate::filter::Filter;
use crate::lesson::capture::{self, Capture, CaptureError, RecordingSource};
use crate::lesson::console::Console;
use crate::lesson::observe::{Observer, Progress};
use crate::lesson::play::{Keys, Pace, Stepper};
use crate::lesson::table::{self, Lesson};
use crate::lesson::timeline::{self, Event, Merged, spawn_capture};
use crate::lesson::trials::{self, Prepared};
use crate::lesson::{
    DRAIN_MAX, captures_dir, intro, list, netlab, outro, play, recording_name, script, view,
};
use crate::pipeline::End;
use crate::source::{FileSource, SourceError, Timestamp};
use crate::track::Tracker;

fn unknown(name: &str) -> Error {
    let mut text = Vec::new();
    let _ = list(&mut text);
    Error::usage(format!(
        "there is no lesson called {name:?}; the lessons are:\n{}",
        String::from_utf8_lossy(&text).trim_end()
    ))
}

/// Runs `sockscope lesson [NAME]`.
pub fn run(a: &LessonArgs) -> Result<(), Error> {
    let Some(name) = a.name.as_deref() else {
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "Lessons (sockscope lesson NAME: live with CAP_NET_RAW, else a recording):"
        )
        .and_then(|()| list(&mut out))
        .or_else(quiet)?;
        return Ok(());
    };
    let lesson = table::find(name).ok_or_else(|| unknown(name))?;
    let pace = pace(a)?;
    let color = stdout_color(a.color);
    let file = recording_name(lesson);
    if a.recorded {
        return recorded(
            lesson,
            a,
            (color, pace),
            &format!("playing the recording {file} (--recorded)"),
        );
    }
    if !capture::has_cap_net_raw() {
        let exe = std::env::current_exe().map_or("sockscope".into(), |p| p.display().to_string());
        let hint = format!("sudo setcap cap_net_raw+eip {exe}");
        if a.record.is_some() {
            return Err(Error::usage(format!(
                "--record saves a live capture, which needs CAP_NET_RAW: run as root, or once {hint}"
            )));
        }
        return recorded(
            lesson,
            a,
            (color, pace),
            &format!(
                "no CAP_NET_RAW to capture live, so this is the recording {file}; to watch it happen live: {hint}"
            ),
        );
    }
    let port = match a.port {
        Some(p) => p,
        // A recording shows the port a learner would use with `sockscope demo`, when free.
        None if a.record.is_some() && port_is_free(lesson.host, lesson.usual_port) => {
            lesson.usual_port
        }
        None => free_port(lesson.host)?,
    };
    // The loss, flow-control and raw-socket lessons run in a network namespace of their own.
    if let Some(lab) = netlab::lab(lesson)
        && let Err(why) = netlab::enter(lab, port)
    {
        if a.record.is_some() {
            return Err(Error::runtime(why));
        }
        let note = format!("{why}, so this is the recording {file}; run as root to see it live");
        return recorded(lesson, a, (color, pace), &note);
    }
    let filter = netlab::capture_filter(lesson, port);
    let (tx, rx) = mpsc::channel();
    let capture = spawn_capture(
        move || {
            let cap = open_capture(&filter);
            // This thread reads the socket and nothing else; it gives up its own capabilities.
            crate::sys::privileges::drop_in_capture_thread().map_err(CaptureError::Failed)?;
            cap
        },
        tx.clone(),
    );
    // Raw sockets are opened now, while the process may.
    let prepared = trials::prepare(lesson.script, &script::narrator(&call_sink(&tx), "client"))
        .map_err(Error::runtime)?;
    // The capture socket is open (or could not be): the demos and the parsing run without it.
    crate::sys::privileges::drop_after_lesson_capture().map_err(Error::runtime)?;
    match capture {
        Ok(cap) => live(lesson, a, port, cap, (tx, rx), (color, pace), prepared),
        // Without --record, a lesson that cannot capture is still worth showing.
        Err(e) if a.record.is_none() => recorded(
            lesson,
            a,
            (color, pace),
            &format!("cannot capture live ({e}), so this is the recording {file}"),
        ),
        Err(e) => Err(Error::runtime(StartError(e))),
    }
}

/// How the lesson plays (`--step`, `--speed`): at the teaching pace when standard output is
/// a terminal, else (a pipe, a file, a test) without pauses unless `--speed` or `--step` asks,
/// as colour is only for a terminal unless `--color` asks.
fn pace(a: &LessonArgs) -> Result<Pace, Error> {
    if a.step {
        return Ok(Pace::Step);
    }
    let Some(s) = a.speed.as_deref() else {
        return Ok(if io::stdout().is_terminal() {
            Pace::Teaching(1.0)
        } else {
            Pace::Full
        });
    };
    match s.trim().parse::<f64>() {
        _ if s.trim() == "max" => Ok(Pace::Full),
        Ok(0.0) => Ok(Pace::Full),
        Ok(x) if x.is_finite() && x > 0.0 => Ok(Pace::Teaching(x)),
        _ => Err(Error::usage(format!(
            "--speed must be a number of 0 or more, or max (1: about a second per event, 2: \
             twice as fast, max or 0: no pauses), not {s}"
        ))),
    }
}

/// How the recorded intro says it plays.
fn pace_words(pace: Pace, speed: Option<&str>) -> String {
    match (pace, speed) {
        (Pace::Step, _) => "one event at a time (--step)".into(),
        (Pace::Full, Some(s)) => format!("without pauses (--speed {s})"),
        (Pace::Full, None) => {
            "without pauses (the output is not a terminal; --speed 1 paces it)".into()
        }
        (Pace::Teaching(1.0), _) => {
            "at a teaching pace, about a second per event (--speed changes it)".into()
        }
        (Pace::Teaching(x), _) => format!(
            "at {x}× the teaching pace, about {:.2} s per event",
            play::TEACHING.as_secs_f64() / x
        ),
    }
}

/// The stepper of `--step`: keys from the terminal on standard input, else lines; a prompt
/// while it waits when standard output is a terminal.
fn stepper<'a>(console: &Console, progress: Option<&'a Progress>) -> Stepper<'a> {
    let keys = if io::stdin().is_terminal() {
        Keys::Terminal
    } else {
        play::stdin_lines()
    };
    let prompt = io::stdout().is_terminal().then(|| console.clone());
    Stepper::new(keys, prompt, progress)
}

/// What [`play::Paced`] asks before each event, for `pace`.
fn gate<'a>(
    pace: Pace,
    stepper: Option<&'a mut Stepper<'_>>,
) -> Box<dyn FnMut(Option<Timestamp>, Timestamp) -> bool + 'a> {
    match (pace, stepper) {
        (Pace::Step, Some(s)) => Box::new(move |_, _| {
            s.wait();
            true
        }),
        (Pace::Teaching(x), _) => Box::new(move |prev, now| {
            if let Some(p) = prev {
                std::thread::sleep(play::teaching_gap(p, now, x));
            }
            true
        }),
        _ => Box::new(|_, _| true),
    }
}

/// The demo's socket calls, as events of the lesson's one stream.
fn call_sink(tx: &Sender<Event>) -> CallSink {
    let tx = tx.clone();
    Arc::new(move |ev| {
        let _ = tx.send(Event::Call(ev));
    })
}

fn open_capture(filter: &str) -> Result<Capture, CaptureError> {
    match capture::default_backend().open(filter) {
        Err(CaptureError::Unavailable(why)) => match capture::fallback_backend() {
            Some(b) => b.open(filter),
            None => Err(CaptureError::Unavailable(why)),
        },
        r => r,
    }
}

/// A port that is free for TCP and UDP on `host`, below the ephemeral range, so that no
/// client's ephemeral port (of this lesson or any other program) can match the capture's
/// `port N` by chance.
fn free_port(host: IpAddr) -> Result<u16, Error> {
    if let Err(e) = TcpListener::bind((host, 0)) {
        return Err(Error::runtime(format!(
            "cannot use {host} on this machine ({}); `--recorded` plays the lesson's recording",
            crate::demo::describe(&e)
        )));
    }
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (base, span) = if low > 12_000 {
        (low - 10_000, 10_000u32)
    } else {
        (low / 2, u32::from(low / 2))
    };
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    for i in 0..500u32 {
        let port = base + (seed.wrapping_add(i.wrapping_mul(7919)) % span) as u16;
        if port_is_free(host, port) {
            return Ok(port);
        }
    }
    Err(Error::runtime(format!(
        "no free port found on {host}: give one with --port"
    )))
}

/// Whether nothing uses `port` on `host`, for TCP or UDP. A listener without SO_REUSEADDR
/// cannot bind while old connections of the port sit in TIME-WAIT: such a port is not free.
fn port_is_free(host: IpAddr, port: u16) -> bool {
    TcpListener::bind((host, port)).is_ok() && UdpSocket::bind((host, port)).is_ok()
}

fn output(e: io::Error) -> Error {
    Error::output(e)
}

/// A closed standard output ends the lesson quietly; other write errors are failures.
fn quiet(e: io::Error) -> Result<(), Error> {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(output(e)),
    }
}

/// A live capture that could not start, when the user asked for one (`--record`).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the live capture: {0} (`--recorded` plays the bundled recording instead)")]
struct StartError(#[source] CaptureError);

/// How the pipeline ended, as the lesson reports it: a cut-off stream is a warning only.
fn ended(end: End, what: &str) -> Result<(), Error> {
    match end {
        End::Done | End::OutputClosed => Ok(()),
        End::SourceError(e @ SourceError::Truncated { .. }) => {
            out::warn(&e);
            Ok(())
        }
        End::SourceError(e) => Err(Error::failed(what, e)),
        End::Output(e) => Err(output(e)),
    }
}

/// Plays the bundled recording of `lesson`, after one line (`note`, on stderr) saying so.
fn recorded(
    lesson: &Lesson,
    a: &LessonArgs,
    (color, pace): (bool, Pace),
    note: &str,
) -> Result<(), Error> {
    if a.tui {
        let file = recording_name(lesson);
        let path = captures_dir().join(&file);
        return super::tui::lesson(&path.to_string_lossy(), &file, a.color);
    }
    crate::sys::privileges::drop_after_lesson_capture().map_err(Error::runtime)?; // no capture
    let name = recording_name(lesson);
    let path = captures_dir().join(&name);
    if !path.is_file() {
        return Err(Error::runtime(format!(
            "the recording {} is missing: it comes with sockscope's source (captures/); set \
             SOCKSCOPE_CAPTURES to the directory that has it, or make it again with \
             scripts/record-captures.sh (as root)",
            path.display()
        )));
    }
    let mut file = FileSource::open(&path.to_string_lossy()).map_err(Error::runtime)?;
    out::say(note);
    let console = Console::stdout(color);
    let mut out = console.lines();
    let words = pace_words(pace, a.speed.as_deref());
    if !a.json {
        intro(
            &mut out,
            lesson,
            &format!(
                "Recorded: {name}, played {words}. Lines with » (a call starts) and « (it \
                 returns) are the demo's socket calls, placed among the packets by their time. \
                 What the demo did:"
            ),
            true,
        )
        .map_err(output)?;
    }
    let progress = Progress::default();
    let mut steps = (pace == Pace::Step).then(|| stepper(&console, None));
    if let Some(s) = &steps {
        writeln!(out, "{}", s.help()).map_err(output)?;
    }
    let mut pipeline = Pipeline::with_filter(Filter::all()).tracker(Some(Tracker::new()));
    let mut observer = Observer::new(
        view(
            color,
            a.json,
            super::config::fit_width(a.width.map(usize::from)),
        ),
        &progress,
    );
    let mut before = gate(pace, steps.as_mut());
    let mut paced = play::Paced::new(&mut file, &mut *before);
    let (_, end) = pipeline.run(&mut paced, &mut observer, &mut out);
    ended(end, &format!("cannot read {}", path.display()))?;
    let tracker = pipeline.into_tracker().unwrap_or_default();
    if a.json {
        return Ok(());
    }
    outro(&mut out, lesson, &tracker, &progress.facts()).map_err(output)
}

/// Calls the capture's stopper when dropped: the capture ends even if the demo panics.
struct StopOnDrop(Option<capture::Stopper>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            stop();
        }
    }
}

/// Runs `lesson` live on `port`: the demo in a thread, the packets shown on this one.
fn live(
    lesson: &Lesson,
    a: &LessonArgs,
    port: u16,
    (stop, backend): (capture::Stopper, &'static str),
    (tx, rx): (Sender<Event>, Receiver<Event>),
    (color, pace): (bool, Pace),
    prepared: Prepared,
) -> Result<(), Error> {
    let record = a.record.as_deref();
    let stopper = StopOnDrop(Some(stop));
    // Packets (from the capture's thread) and calls (from the demo's threads) in time order.
    let merged = Box::new(Merged::new(rx));
    let mut source = RecordingSource::new(merged, record).map_err(Error::runtime)?;
    let calls = call_sink(&tx);
    drop(tx);
    let addr = SocketAddr::new(lesson.host, port);
    // `--tui`: the explorer shows the lesson instead of its view and narration.
    let ui = match a.tui {
        true => Some(super::tui::start_for_lesson(lesson.name, a.color)?),
        false => None,
    };
    let console = Console::stdout(color);
    let mut out = console.lines();
    if !a.json && ui.is_none() {
        intro(
            &mut out,
            lesson,
            &format!(
                "Live: capturing on lo, port {port}, with {backend}. Lines with » (a call \
                 starts) and « (it returns) are the demo's socket calls, stamped when they \
                 happened and placed among the packets by their time."
            ),
            false,
        )
        .map_err(output)?;
    }
    let progress = Progress::default();
    // Live, only --step waits: the events come at the pace they happen.
    let pace = if pace == Pace::Step { pace } else { Pace::Full };
    let mut steps = (pace == Pace::Step).then(|| stepper(&console, Some(&progress)));
    if let Some(s) = &steps {
        writeln!(out, "{}", s.help()).map_err(output)?;
    }
    let mut before = gate(pace, steps.as_mut());
    let mut paced = play::Paced::new(&mut source, &mut *before);
    let icmp = netlab::lab(lesson).is_some_and(|l| l.icmp);
    let keep = move |p: &Packet<'_>| {
        p.link_type == timeline::CALLS
            || p.ports().is_some_and(|(s, d)| s == port || d == port)
            || (icmp && matches!(p.transport, crate::decode::Transport::Icmpv4(_)))
    };
    let mut pipeline = Pipeline::keeping(keep).tracker(Some(Tracker::new()));
    let (end, demo) = std::thread::scope(|s| {
        let demo = s.spawn(|| {
            let _stop_capture = stopper;
            let r = script::perform(lesson, addr, calls, &progress, prepared);
            let drained = match &r {
                Ok(expect) => progress.drain(*expect, DRAIN_MAX),
                Err(_) => false,
            };
            (r, drained)
        });
        let mut shown: Box<dyn crate::render::Renderer + '_> = match &ui {
            Some((feed, _)) => Box::new(super::tui::LessonFeed::new(feed.clone(), &progress)),
            None => Box::new(Observer::new(
                view(
                    color,
                    a.json,
                    super::config::fit_width(a.width.map(usize::from)),
                ),
                &progress,
            )),
        };
        let (_, end) = pipeline.run(&mut paced, shown.as_mut(), &mut out);
        (end, demo.join())
    });
    drop(before);
    drop(steps);
    let saved = source.finish();
    let tui = ui.is_some();
    if let Some(ui) = ui {
        let why = match &demo {
            Ok((Ok(_), true)) => "the lesson ended".to_string(),
            Ok((Ok(_), false)) => format!(
                "the lesson ended; the capture stopped after {} s without seeing every packet of the teardown",
                DRAIN_MAX.as_secs()
            ),
            Ok((Err(e), _)) => format!("the lesson's demo failed: {e}"),
            Err(_) => "the demo panicked".to_string(),
        };
        super::tui::wait_for_quit(ui, why)?;
    }
    ended(end, "the live capture failed")?;
    let (result, drained) = demo.map_err(|_| Error::runtime("the demo panicked"))?;
    if result.is_ok() && !drained && !tui {
        writeln!(
            out,
            "(the capture stopped after {} s without seeing every packet of the teardown)",
            DRAIN_MAX.as_secs()
        )
        .map_err(output)?;
    }
    let tracker = pipeline.into_tracker().unwrap_or_default();
    if !a.json && !tui {
        outro(&mut out, lesson, &tracker, &progress.facts()).map_err(output)?;
    }
    if let Some(path) = record {
        saved.map_err(Error::runtime)?;
        writeln!(out, "Saved the capture to {}.", path.display()).map_err(output)?;
    }
    result
        .map(|_| ())
        .map_err(|e| Error::runtime(format!("the lesson's demo failed: {e}")))
}
