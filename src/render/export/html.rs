//! The ladder as one self-contained HTML page: the SVG, a legend, and the details of the packet
//! under the pointer (from each arrow's `<title>`, shown by a few lines of inline script and
//! also as the browser's own tooltip).

use std::io::{self, Write};

use super::svg::{CLIENT_COLOUR, EVENT_COLOUR, SERVER_COLOUR, svg_element};
use super::xml_escape as esc;
use crate::render::ladder::Diagram;

const SCRIPT: &str = r#"
document.querySelectorAll('g.packet').forEach(function (g) {
  g.addEventListener('mouseenter', function () {
    document.getElementById('detail').textContent = g.querySelector('title').textContent;
    g.style.opacity = '0.6';
  });
  g.addEventListener('mouseleave', function () { g.style.opacity = '1'; });
});
"#;

pub fn write(out: &mut dyn Write, diagrams: &[Diagram]) -> io::Result<()> {
    let title = diagrams
        .first()
        .map_or("sockscope ladder".to_string(), |d| d.title.clone());
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="en"><head><meta charset="utf-8">"#)?;
    writeln!(out, "<title>{}</title>", esc(&title))?;
    writeln!(
        out,
        "<style>body{{font-family:sans-serif;margin:16px;color:#222}} .legend span{{margin-right:18px}} \
         #detail{{font-family:monospace;background:#f6f6f6;border:1px solid #ddd;padding:6px;min-height:1.4em;position:sticky;top:0}} \
         g.packet{{cursor:help}}</style></head><body>"
    )?;
    writeln!(
        out,
        "<h1 style=\"font-size:18px\">TCP/UDP ladder — sockscope</h1>"
    )?;
    writeln!(
        out,
        r#"<p class="legend"><span style="color:{CLIENT_COLOUR}">━▶ client → server</span><span style="color:{SERVER_COLOUR}">◀━ server → client</span><span style="color:{EVENT_COLOUR}">╍ [event] analysis event (dashed arrow)</span><span>▭ TCP state (RFC 9293) after the segment</span><span>seq/ack relative to each side's ISN; len = payload bytes; ms since the first packet</span></p>"#
    )?;
    writeln!(
        out,
        r#"<div id="detail">Point at an arrow to see the packet's details.</div>"#
    )?;
    out.write_all(svg_element(diagrams).as_bytes())?;
    writeln!(out, "<script>{SCRIPT}</script>")?;
    writeln!(out, "</body></html>")
}
