//! One-command lessons (`sockscope lesson <name>`): capture the loopback traffic of one port,
//! run a demo server and client on it, show each packet as it comes with the demo's narration
//! in between, then say what happened and what to try next.
//!
//! Live when the process has CAP_NET_RAW (capture backend: [`capture::LiveCapture`]); otherwise,
//! or with `--recorded`, the lesson plays its bundled recording `captures/lesson-<name>.pcap` at
//! its original pace. The lessons themselves are data ([`table::LESSONS`]); the view they are
//! shown in is chosen in one place ([`view`]).

pub mod capture;
pub mod console;
pub mod observe;
pub mod play;
pub mod script;
pub mod table;

use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::Failure;
use crate::cli::LessonArgs;
use crate::config::use_color;
use crate::decode::Packet;
use crate::pipeline::{self, End, Limits};
use crate::render::Renderer;
use crate::source::{FileSource, SourceError};
use crate::track::Tracker;

use crate::render::ladder::{LadderOptions, LadderRenderer, Layout, terminal_width};
use capture::{Capture, CaptureError, RecordingSource};
use console::Console;
use observe::{Observer, Progress};
use table::{LESSONS, Lesson};

/// The view lessons are shown in: the one place to change it. The ladder grows arrow by arrow
/// as packets come (its incremental layout), with its teaching notes, so the demo's narrated
/// socket calls appear right beside the segments they cause.
pub fn view(color: bool) -> Box<dyn Renderer> {
    Box::new(LadderRenderer::new(LadderOptions {
        width: terminal_width(),
        color,
        layout: Layout::Incremental,
        ..LadderOptions::default()
    }))
}

/// How long a live lesson waits, after its client is done, for the teardown to be captured.
const DRAIN_MAX: Duration = Duration::from_secs(15);

/// The directory of the bundled recordings: `$SOCKSCOPE_CAPTURES`, else the source tree's
/// `captures/` when it still exists (cargo run, cargo test), else `./captures`.
pub fn captures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SOCKSCOPE_CAPTURES") {
        return dir.into();
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    if built.is_dir() {
        built
    } else {
        PathBuf::from("captures")
    }
}

/// The file name of a lesson's recording.
pub fn recording_name(lesson: &Lesson) -> String {
    format!("lesson-{}.pcap", lesson.name)
}

/// Writes the list of lessons, one line each.
pub fn list(out: &mut dyn Write) -> io::Result<()> {
    let w = LESSONS.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in LESSONS {
        writeln!(out, "{:w$}  {}", l.name, l.summary)?;
    }
    Ok(())
}

fn unknown(name: &str) -> Failure {
    let mut text = Vec::new();
    let _ = list(&mut text);
    Failure::Usage(format!(
        "there is no lesson called {name:?}; the lessons are:\n{}",
        String::from_utf8_lossy(&text).trim_end()
    ))
}

/// Runs `sockscope lesson [NAME]`.
pub fn run(a: &LessonArgs) -> Result<(), Failure> {
    let Some(name) = a.name.as_deref() else {
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "Lessons (sockscope lesson NAME: live with CAP_NET_RAW, else a recording):"
        )
        .and_then(|()| list(&mut out))
        .map_err(|e| Failure::Runtime(format!("cannot write output: {e}")))?;
        return Ok(());
    };
    let lesson = table::find(name).ok_or_else(|| unknown(name))?;
    if !(a.speed.is_finite() && a.speed >= 0.0) {
        return Err(Failure::Usage(format!(
            "--speed must be a number of 0 or more (1 the original pace, 0 no pauses), not {}",
            a.speed
        )));
    }
    let color = use_color(a.color, io::stdout().is_terminal());
    let file = recording_name(lesson);
    if a.recorded {
        return recorded(
            lesson,
            a.speed,
            color,
            &format!("playing the recording {file} (--recorded)"),
        );
    }
    if !capture::has_cap_net_raw() {
        let exe = std::env::current_exe().map_or("sockscope".into(), |p| p.display().to_string());
        let hint = format!("sudo setcap cap_net_raw+eip {exe}");
        if a.record.is_some() {
            return Err(Failure::Usage(format!(
                "--record saves a live capture, which needs CAP_NET_RAW: run as root, or once {hint}"
            )));
        }
        return recorded(
            lesson,
            a.speed,
            color,
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
    let capture = open_capture(port);
    crate::sys::privileges::drop_after_lesson_capture().map_err(Failure::Runtime)?;
    match capture {
        Ok(cap) => live(lesson, a.record.as_deref(), port, cap, color),
        // Without --record, a lesson that cannot capture is still worth showing.
        Err(e) if a.record.is_none() => recorded(
            lesson,
            a.speed,
            color,
            &format!("cannot capture live ({e}), so this is the recording {file}"),
        ),
        Err(e) => Err(Failure::Runtime(format!(
            "cannot start the live capture: {e} (`--recorded` plays the bundled recording instead)"
        ))),
    }
}

fn open_capture(port: u16) -> Result<Capture, CaptureError> {
    match capture::default_backend().open(port) {
        Err(CaptureError::Unavailable(why)) => match capture::fallback_backend() {
            Some(b) => b.open(port),
            None => Err(CaptureError::Unavailable(why)),
        },
        r => r,
    }
}

/// A port that is free for TCP and UDP on `host`, below the ephemeral range, so that no
/// client's ephemeral port (of this lesson or any other program) can match the capture's
/// `port N` by chance.
fn free_port(host: IpAddr) -> Result<u16, Failure> {
    if let Err(e) = TcpListener::bind((host, 0)) {
        return Err(Failure::Runtime(format!(
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
    Err(Failure::Runtime(format!(
        "no free port found on {host}: give one with --port"
    )))
}

/// Whether nothing uses `port` on `host`, for TCP or UDP. A listener without SO_REUSEADDR
/// cannot bind while old connections of the port sit in TIME-WAIT: such a port is not free.
fn port_is_free(host: IpAddr, port: u16) -> bool {
    TcpListener::bind((host, port)).is_ok() && UdpSocket::bind((host, port)).is_ok()
}

/// The lines before the packets: the lesson, what to look for, where the packets come from.
/// A recording has no narration, so its intro lists the demo's steps instead.
fn intro(out: &mut dyn Write, lesson: &Lesson, source: &str, steps: bool) -> io::Result<()> {
    writeln!(out, "Lesson {}: {}", lesson.name, lesson.summary)?;
    writeln!(out, "Look for:")?;
    for l in lesson.look_for {
        writeln!(out, "  - {l}")?;
    }
    writeln!(out, "{source}")?;
    if steps {
        for (i, s) in lesson.steps.iter().enumerate() {
            writeln!(out, "  {}. {s}", i + 1)?;
        }
    }
    writeln!(out)
}

/// The lines after the packets.
fn outro(
    out: &mut dyn Write,
    lesson: &Lesson,
    tracker: &Tracker,
    facts: &observe::Facts,
) -> io::Result<()> {
    writeln!(out)?;
    observe::summary(out, tracker, facts)?;
    writeln!(out, "Try next:")?;
    for t in lesson.try_next {
        writeln!(out, "  - {t}")?;
    }
    Ok(())
}

fn output(e: io::Error) -> Failure {
    Failure::Runtime(format!("cannot write output: {e}"))
}

/// How the pipeline ended, as the lesson reports it: a cut-off stream is a warning only.
fn ended(end: End, what: &str) -> Result<(), Failure> {
    match end {
        End::Done | End::OutputClosed => Ok(()),
        End::SourceError(e @ SourceError::Truncated { .. }) => {
            eprintln!("sockscope: warning: {e}");
            Ok(())
        }
        End::SourceError(e) => Err(Failure::Runtime(format!("{what}: {e}"))),
        End::Output(e) => Err(output(e)),
    }
}

/// Plays the bundled recording of `lesson`, after one line (`note`, on stderr) saying so.
fn recorded(lesson: &Lesson, speed: f64, color: bool, note: &str) -> Result<(), Failure> {
    crate::sys::privileges::drop_after_lesson_capture().map_err(Failure::Runtime)?; // no capture
    let name = recording_name(lesson);
    let path = captures_dir().join(&name);
    if !path.is_file() {
        return Err(Failure::Runtime(format!(
            "the recording {} is missing: it comes with sockscope's source (captures/); set \
             SOCKSCOPE_CAPTURES to the directory that has it, or make it again with \
             scripts/record-captures.sh (as root)",
            path.display()
        )));
    }
    let mut file =
        FileSource::open(&path.to_string_lossy()).map_err(|e| Failure::Runtime(e.to_string()))?;
    eprintln!("sockscope: {note}");
    let console = Console::stdout(color);
    let mut out = console.lines();
    let pace = if speed == 0.0 {
        "without pauses (--speed 0)".to_string()
    } else if speed == 1.0 {
        "at its original pace".to_string()
    } else {
        format!("at {speed}× its original pace")
    };
    intro(
        &mut out,
        lesson,
        &format!("Recorded: {name}, played {pace}. What the demo did:"),
        true,
    )
    .map_err(output)?;
    let progress = Progress::default();
    let mut tracker = Tracker::new();
    let mut observer = Observer {
        view: view(color),
        progress: &progress,
    };
    let mut sleep = std::thread::sleep;
    let mut paced = play::Paced::new(&mut file, speed, &mut sleep);
    let (_, end) = pipeline::run(
        &mut paced,
        None,
        Some(&mut tracker),
        &mut observer,
        &mut out,
        Limits::default(),
    );
    ended(end, &format!("cannot read {}", path.display()))?;
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
    record: Option<&Path>,
    port: u16,
    cap: Capture,
    color: bool,
) -> Result<(), Failure> {
    let Capture {
        source,
        stop,
        backend,
    } = cap;
    let stopper = StopOnDrop(Some(stop));
    let mut source = RecordingSource::new(source, record).map_err(Failure::Runtime)?;
    let addr = SocketAddr::new(lesson.host, port);
    let console = Console::stdout(color);
    let mut out = console.lines();
    intro(
        &mut out,
        lesson,
        &format!(
            "Live: capturing on lo, port {port}, with {backend}. Lines with » are the demo's \
             socket calls as it makes them."
        ),
        false,
    )
    .map_err(output)?;
    let progress = Progress::default();
    let mut tracker = Tracker::new();
    let keep = move |p: &Packet<'_>| p.ports().is_some_and(|(s, d)| s == port || d == port);
    let (end, demo) = std::thread::scope(|s| {
        let demo = s.spawn(|| {
            let _stop_capture = stopper;
            let r = script::perform(lesson, addr, &console, &progress);
            let drained = match &r {
                Ok(expect) => progress.drain(*expect, DRAIN_MAX),
                Err(_) => false,
            };
            (r, drained)
        });
        let mut observer = Observer {
            view: view(color),
            progress: &progress,
        };
        let (_, end) = pipeline::run(
            &mut source,
            Some(&keep),
            Some(&mut tracker),
            &mut observer,
            &mut out,
            Limits::default(),
        );
        (end, demo.join())
    });
    let saved = source.finish();
    ended(end, "the live capture failed")?;
    let (result, drained) = demo.map_err(|_| Failure::Runtime("the demo panicked".into()))?;
    if result.is_ok() && !drained {
        writeln!(
            out,
            "(the capture stopped after {} s without seeing every packet of the teardown)",
            DRAIN_MAX.as_secs()
        )
        .map_err(output)?;
    }
    outro(&mut out, lesson, &tracker, &progress.facts()).map_err(output)?;
    if let Some(path) = record {
        saved.map_err(Failure::Runtime)?;
        writeln!(out, "Saved the capture to {}.", path.display()).map_err(output)?;
    }
    result
        .map(|_| ())
        .map_err(|e| Failure::Runtime(format!("the lesson's demo failed: {e}")))
}
