//! The explorer's state and what each key does to it, apart from any terminal: the list (all
//! packets or those a filter keeps), the selection, the folds of the tree, the focused pane, the
//! filter being typed, and the live behaviour (follow the tail, pause with space).

use std::collections::HashSet;

use super::content::{self, TreeLine};
use super::index::{Batch, Event, Index};
use crate::filter::Filter;
use crate::source::Frame;
use crate::source::live::KernelStats;

/// The panes, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Tree,
    Hex,
    /// The ladder, the followed stream or the note ([`Aux`]).
    Aux,
}

/// What the third pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aux {
    Ladder,
    Follow,
    Note,
}

/// A key, independent of the terminal library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Tab,
    BackTab,
    Esc,
    Backspace,
}

/// A running input's counts, for the status line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStatus {
    /// The capture's kernel counts, when the input is a live capture.
    pub kernel: Option<KernelStats>,
    /// Packets the explorer shed because it was behind (never the capture's).
    pub shed: u64,
}

/// The selected packet's panes, made once per selection.
pub struct Details {
    pub packet: usize,
    pub tree: Vec<TreeLine>,
    pub data: Vec<u8>,
    /// Ladder lines (made for a width) and the lines of the selected arrow.
    pub ladder: Option<(usize, Vec<String>, std::ops::Range<usize>)>,
    pub follow: Option<Vec<String>>,
    pub note: String,
}

pub struct App {
    pub index: Index,
    /// Where the packets come from, for the title.
    pub name: String,
    pub color: bool,
    /// Arrival times in UTC (tests) rather than the local zone.
    pub utc: bool,
    /// Positions of the shown packets in `index`, when a filter is on.
    pub shown: Option<Vec<usize>>,
    pub filter: Option<Filter>,
    /// Position in the shown list.
    pub selected: usize,
    /// First shown row of the list.
    pub top: usize,
    pub focus: Pane,
    pub aux: Aux,
    /// Tree keys that are unfolded; kept from packet to packet.
    pub open: HashSet<String>,
    /// Cursor among the tree's visible lines.
    pub tree_cursor: usize,
    /// Scroll of the hex and aux panes.
    pub hex_top: usize,
    pub aux_top: Option<usize>,
    /// The filter being typed, and the error of the last one tried.
    pub typing: Option<String>,
    pub filter_error: Option<String>,
    pub help: bool,
    /// Live: the selection follows new packets until the user moves up.
    pub tail: bool,
    /// Live: the list is frozen at this many packets (capture goes on).
    pub paused: Option<usize>,
    /// Reading ended (`Some`), with an error message when it ended badly.
    pub done: Option<Option<String>>,
    /// A running input (`live`, `run`): its counts.
    pub live: Option<LiveStatus>,
    pub quit: bool,
    /// A filter being applied: the next item to test, and the packet to select once the
    /// filtered list reaches it. The list fills in steps between frames ([`App::work`]).
    pub filtering: Option<(usize, Option<usize>)>,
    /// Rows the list showed last time, for PgUp/PgDn and clicks.
    pub list_height: usize,
    details: Option<Details>,
    /// The last ladder drawn, for the next selection in the same conversation.
    drawn: Option<content::Drawn>,
    /// Keys pressed while a file's first frames were still being read: they act once those
    /// arrive, so that none is lost on the still-empty list.
    pending: Vec<Key>,
}

impl App {
    pub fn new(index: Index, name: &str, color: bool, utc: bool) -> App {
        App {
            index,
            name: name.to_string(),
            color,
            utc,
            shown: None,
            filter: None,
            selected: 0,
            top: 0,
            focus: Pane::List,
            aux: Aux::Ladder,
            open: HashSet::new(),
            tree_cursor: 0,
            hex_top: 0,
            aux_top: None,
            typing: None,
            filter_error: None,
            help: false,
            tail: false,
            paused: None,
            done: None,
            live: None,
            quit: false,
            list_height: 10,
            filtering: None,
            details: None,
            drawn: None,
            pending: Vec::new(),
        }
    }

    /// How many packets the list shows.
    pub fn len(&self) -> usize {
        let n = match &self.shown {
            Some(v) => v.len(),
            None => self.index.len(),
        };
        self.paused.map_or(n, |p| n.min(p))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Position in the index of the `k`th shown packet.
    pub fn packet_at(&self, k: usize) -> Option<usize> {
        match &self.shown {
            Some(v) => v.get(k).copied(),
            None => (k < self.index.len()).then_some(k),
        }
    }

    pub fn selected_packet(&self) -> Option<usize> {
        self.packet_at(self.selected)
    }

    /// Appends one frame (live capture): the list follows it when at the tail.
    pub fn append(&mut self, frame: &Frame<'_>) {
        let before = self.index.len();
        self.index.append(frame);
        self.appended(before);
    }

    /// Appends a frame or a call (`live`, `run`).
    pub fn push(&mut self, e: Event) {
        let before = self.index.len();
        match e {
            Event::Packet(f) => self.index.append(&f.as_frame()),
            Event::Call(c) => self.index.append_call(c),
        }
        self.appended(before);
    }

    /// Appends a batch read from a file.
    pub fn append_batch(&mut self, b: Batch) {
        let before = self.index.len();
        if let Some(end) = b.end.clone() {
            self.done = Some(end);
        }
        self.index.append_batch(b);
        self.appended(before);
    }

    fn appended(&mut self, before: usize) {
        // While a filter is being applied, its steps reach the new items too.
        if self.filtering.is_none() {
            self.filter_items(before, self.index.len());
        }
        if self.tail && self.paused.is_none() && !self.is_empty() {
            self.select(self.len() - 1);
        }
        if !self.pending.is_empty() && (!self.is_empty() || self.done.is_some()) {
            for k in std::mem::take(&mut self.pending) {
                self.key(k);
            }
        }
    }

    /// Adds the items `from..to` that the filter keeps to the shown list. Socket calls are
    /// always kept: the filter speaks of packets.
    fn filter_items(&mut self, from: usize, to: usize) {
        if let (Some(f), Some(shown)) = (&self.filter, &mut self.shown) {
            for i in from..to {
                if self.index.call(i).is_some()
                    || self.index.with_packet(i, |p, _| f.matches(p)) == Some(true)
                {
                    shown.push(i);
                }
            }
        }
    }

    /// Tries a filter: keeps it when it parses and starts re-filtering the index (the first
    /// step at once, the rest between frames), else keeps its error.
    pub fn apply_filter(&mut self, expr: &str) {
        let current = self.selected_packet();
        if expr.trim().is_empty() {
            self.filter = None;
            self.shown = None;
            self.filter_error = None;
            self.filtering = None;
            self.top = 0;
            self.select(current.unwrap_or(0));
            return;
        }
        match Filter::parse(expr) {
            Ok(f) => {
                self.shown = Some(Vec::new());
                self.filter = Some(f);
                self.filter_error = None;
                self.filtering = Some((0, current));
                self.top = 0;
                self.selected = 0;
                self.work();
            }
            Err(e) => self.filter_error = Some(e.to_string()),
        }
    }

    /// Goes on with a filter being applied for a few milliseconds; returns whether it did
    /// anything (the screen then changed).
    pub fn work(&mut self) -> bool {
        const STEP: usize = 2048;
        const BUDGET: std::time::Duration = std::time::Duration::from_millis(20);
        let Some((mut at, mut keep)) = self.filtering else {
            return false;
        };
        let start = std::time::Instant::now();
        while at < self.index.len() && start.elapsed() < BUDGET {
            let to = (at + STEP).min(self.index.len());
            self.filter_items(at, to);
            at = to;
        }
        let finished = at >= self.index.len();
        // Keep the selected packet when it is still shown, else the first after it.
        if let (Some(c), Some(shown)) = (keep, &self.shown) {
            let k = shown.partition_point(|&i| i < c);
            if k < shown.len() || finished {
                keep = None;
                self.select(k.min(self.len().saturating_sub(1)));
            }
        }
        self.filtering = (!finished).then_some((at, keep));
        if finished && self.tail && self.paused.is_none() && !self.is_empty() {
            self.select(self.len() - 1);
        }
        true
    }

    /// Selects the `k`th shown packet and scrolls the list to it.
    pub fn select(&mut self, k: usize) {
        let k = k.min(self.len().saturating_sub(1));
        self.selected = k;
        let h = self.list_height.max(1);
        if k < self.top {
            self.top = k;
        } else if k >= self.top + h {
            self.top = k + 1 - h;
        }
        self.aux_top = None;
        self.hex_top = 0;
    }

    /// The selected packet's panes, made on first use after the selection changed.
    pub fn details(&mut self, ladder_width: usize) -> Option<&Details> {
        let i = self.selected_packet()?;
        if self.details.as_ref().is_none_or(|d| d.packet != i) {
            let (tree, data) = content::tree(&self.index, i, self.utc);
            let note = content::rows(&self.index, &[i])
                .pop()
                .map(|r| r.note)
                .unwrap_or_default();
            self.details = Some(Details {
                packet: i,
                tree,
                data,
                ladder: None,
                follow: None,
                note,
            });
        }
        let d = self.details.as_mut()?;
        match self.aux {
            Aux::Ladder
                if ladder_width > 0 && d.ladder.as_ref().is_none_or(|l| l.0 != ladder_width) =>
            {
                let (lines, mine) =
                    content::ladder_kept(&self.index, i, ladder_width, &mut self.drawn);
                d.ladder = Some((ladder_width, lines, mine));
            }
            Aux::Follow if d.follow.is_none() => {
                d.follow = Some(content::follow(&self.index, i));
            }
            _ => {}
        }
        self.details.as_ref()
    }

    /// The selected packet's panes as last made by [`App::details`].
    pub fn details_ref(&self) -> Option<&Details> {
        self.details
            .as_ref()
            .filter(|d| Some(d.packet) == self.selected_packet())
    }

    /// The tree lines shown under the current folds (positions in `tree`).
    pub fn visible_tree(&self, tree: &[TreeLine]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut hide_below = usize::MAX;
        for (n, l) in tree.iter().enumerate() {
            if l.depth > hide_below {
                continue;
            }
            hide_below = usize::MAX;
            out.push(n);
            if l.has_children && !self.open.contains(&l.key) {
                hide_below = l.depth;
            }
        }
        out
    }

    /// The tree line under the cursor.
    pub fn tree_line(&self) -> Option<&TreeLine> {
        let d = self.details.as_ref()?;
        let v = self.visible_tree(&d.tree);
        d.tree
            .get(*v.get(self.tree_cursor.min(v.len().saturating_sub(1)))?)
    }

    /// Handles one key.
    pub fn key(&mut self, key: Key) {
        // A file whose first frames are still being read: the key waits for them (`q` does not).
        let reading = self.live.is_none() && self.done.is_none() && self.index.is_empty();
        if reading && key != Key::Char('q') {
            self.pending.push(key);
            return;
        }
        if let Some(t) = &mut self.typing {
            match key {
                Key::Char(c) => t.push(c),
                Key::Backspace => {
                    t.pop();
                }
                Key::Enter => {
                    let expr = std::mem::take(t);
                    self.apply_filter(&expr);
                    if self.filter_error.is_none() {
                        self.typing = None;
                    } else {
                        self.typing = Some(expr);
                    }
                }
                Key::Esc => {
                    self.typing = None;
                    self.filter_error = None;
                }
                _ => {}
            }
            return;
        }
        if self.help {
            if matches!(key, Key::Esc | Key::Enter | Key::Char('?' | 'q')) {
                self.help = false;
            }
            return;
        }
        if self.focus != Pane::List {
            // The tree and the dump are made on drawing; keys may come first.
            self.details(0);
        }
        let page = self.list_height.max(1);
        match key {
            Key::Char('q') => self.quit = true,
            Key::Char('?') => self.help = true,
            Key::Char('/') => {
                let current = self.filter.as_ref().map(|f| f.expr().to_string());
                self.typing = Some(current.unwrap_or_default());
            }
            Key::Char('f') => self.show_aux(Aux::Follow),
            Key::Char('l') => self.show_aux(Aux::Ladder),
            Key::Char('n') => self.show_aux(Aux::Note),
            Key::Char(' ') => {
                self.paused = match self.paused {
                    Some(_) => None,
                    None => Some(self.len()),
                };
            }
            Key::Tab => self.focus = next_pane(self.focus, 1),
            Key::BackTab => self.focus = next_pane(self.focus, 3),
            Key::Up | Key::Char('k') => self.step(-1),
            Key::Down | Key::Char('j') => self.step(1),
            Key::PageUp => self.step(-(page as i64)),
            Key::PageDown => self.step(page as i64),
            Key::Home | Key::Char('g') => self.step(i64::MIN / 2),
            Key::End | Key::Char('G') => {
                self.step(i64::MAX / 2);
                if self.focus == Pane::List {
                    self.tail = true;
                }
            }
            Key::Enter => self.enter(),
            _ => {}
        }
    }

    fn show_aux(&mut self, aux: Aux) {
        self.aux = aux;
        self.aux_top = None;
        self.focus = Pane::Aux;
    }

    fn step(&mut self, by: i64) {
        let moved = |at: usize, len: usize| {
            (at as i64 + by).clamp(0, len.saturating_sub(1) as i64) as usize
        };
        match self.focus {
            Pane::List => {
                if by < 0 {
                    self.tail = false;
                }
                let k = moved(self.selected, self.len());
                self.select(k);
            }
            Pane::Tree => {
                let n = self
                    .details
                    .as_ref()
                    .map_or(0, |d| self.visible_tree(&d.tree).len());
                self.tree_cursor = moved(self.tree_cursor, n);
            }
            Pane::Hex => {
                let rows = self
                    .details
                    .as_ref()
                    .map_or(0, |d| d.data.len().div_ceil(16));
                self.hex_top = moved(self.hex_top, rows);
            }
            Pane::Aux => {
                let lines = self.aux_lines().map_or(0, |l| l.len());
                let at = self.aux_top.unwrap_or(0);
                self.aux_top = Some(moved(at, lines));
            }
        }
    }

    fn enter(&mut self) {
        match self.focus {
            Pane::List => {
                self.focus = Pane::Tree;
                self.details(0);
            }
            Pane::Tree => {
                if let Some(l) = self.tree_line().filter(|l| l.has_children) {
                    let key = l.key.clone();
                    if !self.open.remove(&key) {
                        self.open.insert(key);
                    }
                }
            }
            _ => {}
        }
    }

    /// Lines of the aux pane as last made.
    pub fn aux_lines(&self) -> Option<Vec<String>> {
        let d = self.details.as_ref()?;
        match self.aux {
            Aux::Ladder => d.ladder.as_ref().map(|l| l.1.clone()),
            Aux::Follow => d.follow.clone(),
            Aux::Note => Some(vec![d.note.clone()]),
        }
    }

    /// A mouse click on row `row` of the list (0 = first shown row).
    pub fn click_list(&mut self, row: usize) {
        self.focus = Pane::List;
        self.tail = false;
        self.select(self.top + row);
    }

    /// A mouse click on line `line` of the tree pane.
    pub fn click_tree(&mut self, line: usize) {
        self.focus = Pane::Tree;
        self.tree_cursor = line;
    }
}

fn next_pane(p: Pane, by: usize) -> Pane {
    const ORDER: [Pane; 4] = [Pane::List, Pane::Tree, Pane::Hex, Pane::Aux];
    let at = ORDER.iter().position(|&q| q == p).unwrap_or(0);
    ORDER[(at + by) % 4]
}
