//! The real terminal: raw mode, the alternate screen and mouse reporting on the way in, all of
//! it undone on the way out — after `q`, after a panic (a hook restores first, then reports)
//! and after SIGTERM. Draws at most about 30 times a second.

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEventKind, KeyModifiers,
    MouseButton, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::index::Batch;
use super::model::{App, Key};
use super::view::{self, Areas};

/// Least time between two frames drawn (about 30 a second).
const FRAME: Duration = Duration::from_millis(33);

/// Leaves the alternate screen, shows the cursor, ends raw mode and mouse reporting.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup() -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Where the explorer's packets come from: called before each frame, it takes what has
/// arrived without waiting and says whether anything changed.
pub trait Input {
    fn pump(&mut self, app: &mut App) -> bool;
}

/// A file being indexed on another thread.
impl Input for Receiver<Batch> {
    fn pump(&mut self, app: &mut App) -> bool {
        let mut changed = false;
        loop {
            match self.try_recv() {
                Ok(b) => {
                    app.append_batch(b);
                    changed = true;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return changed,
            }
        }
    }
}

/// Runs the explorer until `q` or SIGTERM; the terminal is restored in every case.
pub fn run(mut app: App, input: &mut dyn Input) -> io::Result<()> {
    let term = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&term))?;
    let mut t = match setup() {
        Ok(t) => t,
        Err(e) => {
            restore();
            return Err(e);
        }
    };
    let r = event_loop(&mut t, &mut app, input, &term);
    restore();
    r
}

fn event_loop(
    t: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    input: &mut dyn Input,
    term: &AtomicBool,
) -> io::Result<()> {
    let mut areas = Areas::default();
    let mut dirty = true;
    let mut last = Instant::now() - FRAME;
    loop {
        let busy = input.pump(app);
        dirty |= busy;
        dirty |= app.work();
        if dirty && last.elapsed() >= FRAME {
            t.draw(|f| view::draw(f, app, &mut areas))?;
            dirty = false;
            last = Instant::now();
        }
        if app.quit || term.load(Ordering::Relaxed) {
            return Ok(());
        }
        // While events come, only look for a key between two pumps: waiting a frame here
        // (as when idle) would leave the input's channel to fill and shed packets.
        let wait = if busy {
            Duration::from_millis(1)
        } else if dirty {
            FRAME.saturating_sub(last.elapsed())
        } else {
            Duration::from_millis(100)
        };
        if !event::poll(wait)? {
            continue;
        }
        dirty = true;
        match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
                    return Ok(());
                }
                if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('l') {
                    // Redraw everything (another program wrote on the screen).
                    t.clear()?;
                    continue;
                }
                if let Some(key) = key_of(k.code) {
                    app.key(key);
                }
            }
            Event::Mouse(m) if m.kind == MouseEventKind::Down(MouseButton::Left) => {
                click(app, &areas, m.column, m.row)
            }
            _ => {}
        }
    }
}

fn key_of(code: KeyCode) -> Option<Key> {
    Some(match code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

/// A click inside a pane's border selects the row or tree line under it.
fn click(app: &mut App, areas: &Areas, x: u16, y: u16) {
    let inside = |r: ratatui::layout::Rect| {
        x > r.x && x + 1 < r.x + r.width && y > r.y && y + 1 < r.y + r.height
    };
    if inside(areas.list) {
        app.click_list((y - areas.list.y - 1) as usize);
    } else if inside(areas.tree) {
        app.click_tree(areas.tree_top + (y - areas.tree.y - 1) as usize);
    }
}
