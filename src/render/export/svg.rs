//! The ladder as a self-contained SVG: one diagram per conversation, stacked; each arrow is a
//! group with a `<title>` (the packet's details, shown on hover) and a `data-frame` attribute.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::xml_escape as esc;
use crate::render::ladder::{Diagram, Row};
use crate::track::Dir;

/// Geometry, in SVG user units.
const WIDTH: u32 = 1180;
const TIME_X: u32 = 70;
const LEFT_X: u32 = 200;
const RIGHT_X: u32 = 640;
const NOTE_X: u32 = 660;
const HEAD_H: u32 = 92;
const ARROW_H: u32 = 34;
const STATE_H: u32 = 20;
const NOTE_LINE_H: u32 = 13;
const GAP_H: u32 = 40;
pub const CLIENT_COLOUR: &str = "#1f6fb4";
pub const SERVER_COLOUR: &str = "#8e44ad";
pub const EVENT_COLOUR: &str = "#c0392b";

fn row_height(r: &Row) -> u32 {
    match r {
        Row::States { .. } => STATE_H,
        Row::Arrow(a) => {
            let events = if a.analysis.is_empty() { 0 } else { 12 };
            (ARROW_H + events).max(8 + NOTE_LINE_H * a.notes.len() as u32)
        }
    }
}

fn diagram_height(d: &Diagram) -> u32 {
    HEAD_H + d.rows.iter().map(row_height).sum::<u32>() + 30
}

/// The `<svg>` element alone (for embedding in HTML).
pub fn svg_element(diagrams: &[Diagram]) -> String {
    let total: u32 = diagrams.iter().map(diagram_height).sum::<u32>()
        + GAP_H * diagrams.len().saturating_sub(1) as u32
        + 10;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}" viewBox="0 0 {WIDTH} {total}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<defs><marker id="head-c" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{CLIENT_COLOUR}"/></marker><marker id="head-s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{SERVER_COLOUR}"/></marker></defs>"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let mut y = 10;
    for d in diagrams {
        diagram(&mut s, d, y);
        y += diagram_height(d) + GAP_H;
    }
    s.push_str("</svg>\n");
    s
}

fn diagram(s: &mut String, d: &Diagram, top: u32) {
    let h = diagram_height(d);
    let _ = writeln!(s, r#"<g class="conversation" data-flow="{}">"#, d.index);
    let _ = writeln!(
        s,
        r#"<text x="10" y="{}" font-size="14" font-weight="bold">{}</text>"#,
        top + 16,
        esc(&format!("#{} {}", d.index, d.title))
    );
    let ly = top + 44;
    let _ = writeln!(
        s,
        r#"<text x="{LEFT_X}" y="{ly}" text-anchor="middle" font-weight="bold" fill="{CLIENT_COLOUR}">{}</text>"#,
        esc(&d.client_label)
    );
    let _ = writeln!(
        s,
        r#"<text x="{RIGHT_X}" y="{ly}" text-anchor="middle" font-weight="bold" fill="{SERVER_COLOUR}">{}</text>"#,
        esc(&d.server_label)
    );
    let _ = writeln!(
        s,
        r##"<text x="{TIME_X}" y="{ly}" text-anchor="end" fill="#666">ms</text>"##
    );
    if d.tcp {
        for (x, st) in [(LEFT_X, d.initial[0]), (RIGHT_X, d.initial[1])] {
            if let Some(st) = st {
                state_box(s, x, top + 62, st.name());
            }
        }
    }
    let lane_top = top + 72;
    let lane_bottom = top + h - 30;
    for x in [LEFT_X, RIGHT_X] {
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="{lane_top}" x2="{x}" y2="{lane_bottom}" stroke="#999" stroke-width="2"/>"##
        );
    }
    let mut y = top + HEAD_H;
    for r in &d.rows {
        let rh = row_height(r);
        match r {
            Row::States { client, server } => {
                for (x, st) in [(LEFT_X, client), (RIGHT_X, server)] {
                    if let Some(st) = st {
                        state_box(s, x, y + 8, st.name());
                    }
                }
            }
            Row::Arrow(a) => {
                let (x1, x2, colour, head) = match a.dir {
                    Dir::ToServer => (LEFT_X, RIGHT_X - 2, CLIENT_COLOUR, "head-c"),
                    Dir::ToClient => (RIGHT_X, LEFT_X + 2, SERVER_COLOUR, "head-s"),
                };
                let ay = y + 20;
                let dash = if a.analysis.is_empty() {
                    ""
                } else {
                    r#" stroke-dasharray="6 3""#
                };
                let _ = writeln!(
                    s,
                    r#"<g class="packet" data-frame="{}"><title>{}</title>"#,
                    a.number,
                    esc(&a.detail)
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{TIME_X}" y="{}" text-anchor="end" fill="#666">{:.3}</text>"##,
                    ay + 4,
                    a.time_ms
                );
                let _ = writeln!(
                    s,
                    r#"<line x1="{x1}" y1="{ay}" x2="{x2}" y2="{ay}" stroke="{colour}" stroke-width="2"{dash} marker-end="url(#{head})"/>"#
                );
                let mid = (LEFT_X + RIGHT_X) / 2;
                let label = format!(
                    r#"<tspan font-weight="bold">{}</tspan> {}"#,
                    esc(&a.flags),
                    esc(&a.numbers)
                );
                if !a.analysis.is_empty() {
                    // The events go under the arrow, where they have the lane's whole width.
                    let _ = writeln!(
                        s,
                        r#"<text x="{}" y="{}" text-anchor="middle" fill="{EVENT_COLOUR}" font-weight="bold">[{}]</text>"#,
                        (LEFT_X + RIGHT_X) / 2,
                        ay + 15,
                        esc(&a.analysis.join(", "))
                    );
                }
                let _ = writeln!(
                    s,
                    r#"<text x="{mid}" y="{}" text-anchor="middle" fill="{colour}">{label}</text>"#,
                    ay - 5
                );
                for (i, n) in a.notes.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        r##"<text x="{NOTE_X}" y="{}" fill="#555" font-size="11">{}</text>"##,
                        y + 14 + NOTE_LINE_H * i as u32,
                        esc(n)
                    );
                }
                s.push_str("</g>\n");
            }
        }
        y += rh;
    }
    if !d.summary.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="10" y="{}" fill="#444">{}</text>"##,
            top + h - 10,
            esc(&d.summary)
        );
    }
    s.push_str("</g>\n");
}

fn state_box(s: &mut String, x: u32, y: u32, name: &str) {
    let w = 8 * name.len() as u32 + 12;
    let _ = writeln!(
        s,
        r##"<rect x="{}" y="{}" width="{w}" height="16" rx="4" fill="#f3f3f3" stroke="#bbb"/><text x="{x}" y="{}" text-anchor="middle" font-size="11" fill="#333">{}</text>"##,
        x - w / 2,
        y - 12,
        y,
        esc(name)
    );
}

/// A standalone SVG file.
pub fn write(out: &mut dyn Write, diagrams: &[Diagram]) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    out.write_all(svg_element(diagrams).as_bytes())
}
