//! The glue of `sockscope tui FILE`: resolves the colour choice, opens the index, runs the
//! terminal loop (or, hidden `--bench`, measures the time to the first screen).

use std::io::IsTerminal;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::Error;
use super::config::use_color;
use crate::cli::TuiArgs;
use crate::tui::index;
use crate::tui::model::App;
use crate::tui::term;
use crate::tui::view::{self, Areas};

pub fn run(a: &TuiArgs) -> Result<(), Error> {
    let start = Instant::now();
    let (index, batches) = index::open(&a.file).map_err(Error::usage)?;
    if a.bench {
        return bench(App::new(index, &a.file, false, false), &batches, start);
    }
    if !std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "tui needs a terminal on standard output (use `replay` for a pipe or a file)",
        ));
    }
    let color = use_color(a.color, true);
    let app = App::new(index, &a.file, color, false);
    term::run(app, &batches).map_err(|e| Error::failed("terminal", e))
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
    super::out::say(format_args!(
        "first screen after {:.1} ms ({} packets indexed then); whole file indexed ({} packets) after {:.1} ms; last packet drawn after {:.1} ms",
        first.as_secs_f64() * 1e3,
        app.index.len().min(4096),
        app.index.len(),
        indexed.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3
    ));
    Ok(())
}
