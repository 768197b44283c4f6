//! One-command lessons (`sockscope lesson <name>`): capture the loopback traffic of one port,
//! run a demo server and client on it, show each packet as it comes with the demo's narration
//! in between, then say what happened and what to try next.
//!
//! Live when the process has CAP_NET_RAW (capture backend: [`capture::LiveCapture`]); otherwise,
//! or with `--recorded`, the lesson plays its bundled recording `captures/lesson-<name>.pcap` at
//! a teaching pace, or a key at a time ([`play`]). The lessons themselves are data ([`table::LESSONS`]); the view they are
//! shown in is chosen in one place ([`view`]). The command (`crate::cmd::lesson`) picks live or
//! recorded and runs the pipeline.

pub mod capture;
pub mod console;
pub mod netlab;
pub mod observe;
pub mod play;
pub mod script;
pub mod table;
pub mod timeline;
pub mod trials;
pub mod wire;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::render::json::JsonRenderer;
use crate::render::ladder::{LadderOptions, LadderRenderer, Layout};
use crate::sys::term::output_width;
use crate::track::Tracker;
use observe::LessonView;
use table::{LESSONS, Lesson};

/// The view lessons are shown in: the one place to change it. The ladder grows arrow by arrow
/// as packets come (its incremental layout), with its teaching notes, so the demo's narrated
/// socket calls appear right beside the segments they cause.
/// `json`: one JSON object per event instead (`lesson --json`). `fit`: the width to keep every
/// line within (a terminal's), if any.
pub fn view(color: bool, json: bool, fit: Option<usize>) -> LessonView {
    if json {
        return LessonView::Json(JsonRenderer::new());
    }
    LessonView::Ladder(Box::new(LadderRenderer::new(LadderOptions {
        width: fit.unwrap_or_else(output_width),
        color,
        layout: Layout::Incremental,
        fit: fit.is_some(),
        ..LadderOptions::default()
    })))
}

/// How long a live lesson waits, after its client is done, for the teardown to be captured.
pub const DRAIN_MAX: Duration = Duration::from_secs(15);

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
    format!("lesson-{}.pcapng", lesson.name)
}

/// Writes the list of lessons, one line each.
pub fn list(out: &mut dyn Write) -> io::Result<()> {
    let w = LESSONS.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in LESSONS {
        writeln!(out, "{:w$}  {}", l.name, l.summary)?;
    }
    Ok(())
}

/// The lines before the packets: the lesson, what to look for, where the packets come from.
/// A recording has no narration, so its intro lists the demo's steps instead.
pub fn intro(out: &mut dyn Write, lesson: &Lesson, source: &str, steps: bool) -> io::Result<()> {
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
pub fn outro(
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
