//! Drawing the explorer with ratatui: the list, the tree, the bytes, the ladder / stream / note
//! pane, the status line (or the filter being typed and its error) and the help. Every
//! distinction drawn in colour is also drawn without it: the selected row and field in reverse
//! video, the focused pane's title marked `▶`, analysis rows marked `!`, folds `▸`/`▾`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::content::{self, Mark};
use super::model::{App, Aux, Pane};
use crate::track::Dir;

/// Where the panes were drawn, for mouse clicks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Areas {
    pub list: Rect,
    pub tree: Rect,
    /// First tree line shown.
    pub tree_top: usize,
}

/// Every key, for `?`.
pub const HELP: [(&str, &str); 17] = [
    ("↑ ↓  j k", "move in the focused pane"),
    ("PgUp PgDn", "a page up or down"),
    (
        "g  G",
        "first / last (G in the list also follows new packets)",
    ),
    (
        "Enter",
        "list: go to the tree · tree: fold or unfold the layer or field",
    ),
    ("Tab  Shift-Tab", "next / previous pane"),
    (
        "/",
        "filter in tcpdump syntax (Enter applies, Esc cancels, empty clears)",
    ),
    ("l", "ladder of the selected packet's conversation"),
    ("f", "follow the conversation's stream"),
    ("n", "the teaching note of the selected packet"),
    (
        "space",
        "pause or resume the list (packets keep being read)",
    ),
    ("mouse click", "select a packet or a tree line"),
    ("?", "this help (Esc or ? closes it)"),
    ("q  Ctrl-L", "quit · redraw the screen"),
    ("", ""),
    (
        "list marks",
        "▶ selected · ! analysis (retransmission, duplicate ACK …)",
    ),
    (
        "tree marks",
        "▸ folded · ▾ unfolded; the field's bytes are reversed in the dump",
    ),
    (
        "colours",
        "cyan client→server · yellow server→client · magenta » socket call (--color, NO_COLOR)",
    ),
];

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &mut App, areas: &mut Areas) {
    let area = f.area();
    let status_h = match (&app.typing, &app.filter_error) {
        (Some(_), Some(e)) => 1 + cut(e, area.width as usize).len() as u16,
        _ => 1,
    };
    let [body, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(status_h)]).areas(area);
    let big = area.height >= 40;
    let (list, tree, hex, aux) = if big {
        let [list, middle, aux] = Layout::vertical([
            Constraint::Percentage(35),
            Constraint::Percentage(35),
            Constraint::Percentage(30),
        ])
        .areas(body);
        let [tree, hex] = if area.width >= 120 {
            Layout::horizontal([Constraint::Min(40), Constraint::Length(76)]).areas(middle)
        } else {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle)
        };
        (list, Some(tree), Some(hex), Some(aux))
    } else {
        // Small screens: the list above, the focused pane (or the tree) below.
        let [list, below] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
        match app.focus {
            Pane::Hex => (list, None, Some(below), None),
            Pane::Aux => (list, None, None, Some(below)),
            _ => (list, Some(below), None, None),
        }
    };
    app.list_height = list.height.saturating_sub(2) as usize;
    areas.list = list;
    areas.tree = tree.unwrap_or_default();
    draw_list(f, app, list);
    let ladder_width = aux
        .map_or(80, |a| a.width.saturating_sub(2) as usize)
        .max(40);
    if app.details(ladder_width).is_some() {
        if let Some(r) = tree {
            areas.tree_top = draw_tree(f, app, r);
        }
        if let Some(r) = hex {
            draw_hex(f, app, r);
        }
        if let Some(r) = aux {
            draw_aux(f, app, r);
        }
    }
    draw_status(f, app, status);
    if app.help {
        draw_help(f, area);
    }
}

fn block<'a>(title: String, focused: bool) -> Block<'a> {
    let title = if focused {
        format!("▶ {title} ")
    } else {
        format!(" {title} ")
    };
    let b = Block::default().borders(Borders::ALL).title(title);
    if focused {
        b.title_style(Style::default().add_modifier(Modifier::BOLD))
    } else {
        b
    }
}

fn dir_color(d: Option<Dir>) -> Color {
    match d {
        Some(Dir::ToServer) => Color::Cyan,
        Some(Dir::ToClient) => Color::Yellow,
        None => Color::Blue,
    }
}

fn mark_style(m: Mark, color: bool) -> Style {
    let mut s = Style::default();
    if m.bold {
        s = s.add_modifier(Modifier::BOLD);
    }
    if m.dim {
        s = s.add_modifier(Modifier::DIM);
    }
    if color {
        if let Some(d) = m.dir {
            s = s.fg(dir_color(d));
        }
        if m.analysis {
            s = s.fg(Color::Red);
        }
        if m.call {
            s = s.fg(Color::Magenta);
        }
    }
    s
}

fn draw_list(f: &mut Frame<'_>, app: &mut App, r: Rect) {
    let h = r.height.saturating_sub(2) as usize;
    if app.selected < app.top {
        app.top = app.selected;
    } else if app.selected >= app.top + h.max(1) {
        app.top = app.selected + 1 - h.max(1);
    }
    let which: Vec<usize> = (app.top..(app.top + h).min(app.len()))
        .filter_map(|k| app.packet_at(k))
        .collect();
    let rows = content::rows(&app.index, &which);
    let lines: Vec<Line<'_>> = rows
        .into_iter()
        .enumerate()
        .map(|(n, row)| {
            let selected = app.top + n == app.selected;
            let gutter = format!(
                "{}{}{:>6} ",
                if selected { "▶" } else { " " },
                if row.analysis { "!" } else { " " },
                row.number
            );
            let mut spans = vec![Span::raw(gutter)];
            spans.extend(
                row.spans
                    .into_iter()
                    .map(|(t, m)| Span::styled(t, mark_style(m, app.color))),
            );
            let line = Line::from(spans);
            if selected {
                line.style(Style::default().add_modifier(Modifier::REVERSED))
            } else {
                line
            }
        })
        .collect();
    let mut title = format!(
        "Packets {}/{} · {}",
        app.selected.min(app.len().saturating_sub(1)) + usize::from(!app.is_empty()),
        app.len(),
        app.name
    );
    if let Some(fl) = &app.filter {
        title.push_str(&format!(" · filter: {}", fl.expr()));
    }
    if let Some((at, _)) = app.filtering {
        let n = app.index.len().max(1);
        title.push_str(&format!(" · filtering {}%", at * 100 / n));
    }
    if app.paused.is_some() {
        title.push_str(" · PAUSED");
    }
    if app.is_empty() && app.done.is_some() && app.filtering.is_none() {
        let msg = if app.filter.is_some() {
            "no packet matches the filter"
        } else {
            "the capture holds no packet"
        };
        let p = Paragraph::new(msg).block(block(title, app.focus == Pane::List));
        f.render_widget(p, r);
        return;
    }
    f.render_widget(
        Paragraph::new(lines).block(block(title, app.focus == Pane::List)),
        r,
    );
}

/// Draws the tree; returns the first line shown.
fn draw_tree(f: &mut Frame<'_>, app: &App, r: Rect) -> usize {
    let Some(d) = app.details_ref() else { return 0 };
    let visible = app.visible_tree(&d.tree);
    let cursor = app.tree_cursor.min(visible.len().saturating_sub(1));
    let h = r.height.saturating_sub(2) as usize;
    let top = (cursor + 1).saturating_sub(h.max(1));
    let lines: Vec<Line<'_>> = visible
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(n, &i)| {
            let l = &d.tree[i];
            let fold = match (l.has_children, app.open.contains(&l.key)) {
                (false, _) => "  ",
                (true, true) => "▾ ",
                (true, false) => "▸ ",
            };
            let text = format!("{}{fold}{}", "  ".repeat(l.depth), l.text);
            let mut style = Style::default();
            if l.depth == 0 {
                style = style.add_modifier(Modifier::BOLD);
            }
            if n == cursor {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Line::styled(text, style)
        })
        .collect();
    let title = format!("Frame {} fields", d.packet + 1);
    f.render_widget(
        Paragraph::new(lines).block(block(title, app.focus == Pane::Tree)),
        r,
    );
    top
}

fn draw_hex(f: &mut Frame<'_>, app: &App, r: Rect) {
    let color = app.color;
    let hl = app.tree_line().map(|l| (l.bytes.clone(), l.text.clone()));
    let Some(d) = app.details_ref() else { return };
    let range = hl.as_ref().map_or(0..0, |h| h.0.clone());
    let h = r.height.saturating_sub(2) as usize;
    let rows = d.data.len().div_ceil(16);
    // Scroll to the highlighted bytes unless the user scrolled.
    let top = if app.hex_top > 0 {
        app.hex_top
    } else {
        (range.start / 16)
            .saturating_sub(h.saturating_sub(1))
            .min(rows)
    };
    let mark = if color {
        Style::default().bg(Color::Yellow).fg(Color::Black)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let lines: Vec<Line<'_>> = d
        .data
        .chunks(16)
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(row, chunk)| {
            let base = row * 16;
            let mut spans = vec![Span::raw(format!("{base:04x}  "))];
            for (k, b) in chunk.iter().enumerate() {
                let s = if range.contains(&(base + k)) {
                    mark
                } else {
                    Style::default()
                };
                spans.push(Span::styled(format!("{b:02x}"), s));
                let gap_marked =
                    range.contains(&(base + k)) && range.contains(&(base + k + 1)) && k < 15;
                spans.push(Span::styled(
                    if k == 7 { "  " } else { " " },
                    if gap_marked { s } else { Style::default() },
                ));
            }
            spans.push(Span::raw(
                " ".repeat((16 - chunk.len()) * 3 + usize::from(chunk.len() <= 8)),
            ));
            spans.push(Span::raw(" "));
            for (k, &b) in chunk.iter().enumerate() {
                let c = if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                };
                let s = if range.contains(&(base + k)) {
                    mark
                } else {
                    Style::default()
                };
                spans.push(Span::styled(c.to_string(), s));
            }
            Line::from(spans)
        })
        .collect();
    let title = match &hl {
        Some((r, text)) if !r.is_empty() => {
            let name = text.split(':').next().unwrap_or("");
            format!("Bytes {}-{} ({name})", r.start, r.end - 1)
        }
        _ => "Bytes".to_string(),
    };
    f.render_widget(
        Paragraph::new(lines).block(block(title, app.focus == Pane::Hex)),
        r,
    );
}

fn draw_aux(f: &mut Frame<'_>, app: &App, r: Rect) {
    let focused = app.focus == Pane::Aux;
    let aux_top = app.aux_top;
    let aux = app.aux;
    let Some(d) = app.details_ref() else { return };
    let h = r.height.saturating_sub(2) as usize;
    let frame = d.packet + 1;
    let (title, lines, mine): (String, Vec<String>, std::ops::Range<usize>) = match aux {
        Aux::Ladder => {
            let (_, lines, mine) = d.ladder.clone().unwrap_or_default();
            (format!("Ladder (frame {frame} highlighted)"), lines, mine)
        }
        Aux::Follow => (
            "Follow stream".to_string(),
            d.follow.clone().unwrap_or_default(),
            0..0,
        ),
        Aux::Note => {
            let p = Paragraph::new(if d.note.is_empty() {
                "no note for this packet".to_string()
            } else {
                d.note.clone()
            })
            .wrap(Wrap { trim: false })
            .block(block(format!("Note on frame {frame}"), focused));
            f.render_widget(p, r);
            return;
        }
    };
    // Scrolled to the selected arrow, a third down the pane, unless the user scrolled.
    let top = aux_top.unwrap_or_else(|| mine.start.saturating_sub(h / 3));
    let shown: Vec<Line<'_>> = lines
        .into_iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(n, l)| {
            if mine.contains(&n) {
                Line::styled(
                    format!("▶{l}"),
                    Style::default().add_modifier(Modifier::REVERSED),
                )
            } else {
                Line::raw(format!(" {l}"))
            }
        })
        .collect();
    f.render_widget(Paragraph::new(shown).block(block(title, focused)), r);
}

fn draw_status(f: &mut Frame<'_>, app: &App, r: Rect) {
    let mut lines = Vec::new();
    if let Some(t) = &app.typing {
        lines.push(Line::from(vec![
            Span::styled("filter: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(format!("{t}█")),
        ]));
        if let Some(e) = &app.filter_error {
            let style = if app.color {
                Style::default().fg(Color::Red)
            } else {
                Style::default().add_modifier(Modifier::BOLD)
            };
            lines.extend(
                cut(e, r.width as usize)
                    .into_iter()
                    .map(|l| Line::styled(l, style)),
            );
        }
    } else {
        let reading = match (&app.done, &app.live) {
            (None, Some(_)) => String::new(),
            (None, None) => format!("reading… {} packets · ", app.index.len()),
            (Some(Some(e)), _) => format!("{e} · "),
            (Some(None), _) => String::new(),
        };
        let reading = match &app.live {
            Some(l) => format!("{}{reading}", live_status(app, l)),
            None => reading,
        };
        lines.push(Line::raw(format!(
            "{reading}? help  / filter  Tab pane  Enter fold  l ladder  f follow  n note  q quit"
        )));
    }
    f.render_widget(Paragraph::new(lines), r);
}

/// `live · 120 packets · kernel: 130 received, 0 dropped · 0 shed · ` (the kernel's counts only
/// for a capture; shed: packets the explorer let go because it was behind).
fn live_status(app: &App, l: &super::model::LiveStatus) -> String {
    let what = if app.index.calls.is_empty() {
        "packets"
    } else {
        "packets and calls"
    };
    let mut s = format!("{} {what}", app.index.len());
    if let Some(k) = l.kernel {
        s.push_str(&format!(
            " · kernel: {} received, {} dropped",
            k.received, k.dropped
        ));
    }
    s.push_str(&format!(" · {} shed", l.shed));
    if app.paused.is_some() {
        s.push_str(" · paused (space resumes)");
    } else if !app.tail {
        s.push_str(" · G follows");
    }
    s.push_str(" · ");
    s
}

fn draw_help(f: &mut Frame<'_>, area: Rect) {
    let w = area.width.min(96);
    let h = (HELP.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let lines: Vec<Line<'_>> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(
                    format!("{k:>15}  "),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Keys".to_string(), true)),
        r,
    );
}

/// The lines of `text`, each cut into pieces of at most `width` characters (the filter error,
/// whose caret line must stay under the expression, so no word wrapping).
fn cut(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        out.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
    }
    out
}
