//! Exports of the ladder for slides and handouts: a self-contained SVG, an HTML page (the SVG,
//! a legend and per-packet details on hover or click, zoomable), and Mermaid `sequenceDiagram`s
//! (one per conversation).

pub mod html;
pub mod mermaid;
pub mod svg;

use std::io::{self, Write};

use super::ladder::Diagram;

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Svg,
    Html,
    Mermaid,
}

impl ExportFormat {
    /// Parses `svg`, `html` or `mermaid` (also `mmd`).
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "svg" => Some(ExportFormat::Svg),
            "html" | "htm" => Some(ExportFormat::Html),
            "mermaid" | "mmd" => Some(ExportFormat::Mermaid),
            _ => None,
        }
    }
}

/// Writes `diagrams` in `format`. Mermaid draws one diagram per text: one conversation is a
/// `sequenceDiagram`, several a Markdown document with one fenced block each (to have one file
/// per conversation, call this once per diagram).
pub fn write(out: &mut dyn Write, format: ExportFormat, diagrams: &[Diagram]) -> io::Result<()> {
    match (format, diagrams) {
        (ExportFormat::Svg, _) => svg::write(out, diagrams),
        (ExportFormat::Html, _) => html::write(out, diagrams),
        (ExportFormat::Mermaid, [d]) => mermaid::write(out, d),
        (ExportFormat::Mermaid, _) => mermaid::write_markdown(out, diagrams),
    }
}

/// Escapes text for XML and HTML.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push('?'),
            c => o.push(c),
        }
    }
    o
}
