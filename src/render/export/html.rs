//! The ladder as one self-contained HTML page, readable when projected: large text, the SVG
//! scaled to the page's width with a zoom control (buttons, and the keys + and − and 0), a
//! legend, and the details of a packet (from each arrow's `<title>`) shown when the pointer is
//! over its arrow and kept when the arrow is clicked or tapped (also the browser's own tooltip).

use std::io::{self, Write};

use super::svg::{CLIENT_COLOUR, EVENT_COLOUR, SERVER_COLOUR, svg_element};
use super::xml_escape as esc;
use crate::render::ladder::Diagram;

/// Details on hover and on click (a clicked arrow stays chosen until clicked again or Esc), and
/// the zoom, in steps of 25 % of the page's width from 50 % to 400 %.
const SCRIPT: &str = r#"
(function () {
  var detail = document.getElementById('detail');
  var ladder = document.getElementById('ladder');
  var level = document.getElementById('zoom-level');
  var hint = detail.textContent;
  var pinned = null;
  var zoom = 1;
  function details(g) { return g.querySelector('title').textContent; }
  function show() { detail.textContent = pinned ? details(pinned) : hint; }
  function setZoom(z) {
    zoom = Math.min(4, Math.max(0.5, Math.round(z * 100) / 100));
    ladder.style.width = (zoom * 100) + '%';
    level.textContent = Math.round(zoom * 100) + '%';
    document.body.dataset.zoom = zoom;
  }
  document.querySelectorAll('g.packet').forEach(function (g) {
    g.addEventListener('mouseenter', function () {
      detail.textContent = details(g);
      g.classList.add('hover');
    });
    g.addEventListener('mouseleave', function () { g.classList.remove('hover'); show(); });
    g.addEventListener('click', function () {
      if (pinned) { pinned.classList.remove('pinned'); }
      pinned = pinned === g ? null : g;
      if (pinned) { pinned.classList.add('pinned'); }
      show();
    });
  });
  document.getElementById('zoom-in').addEventListener('click', function () { setZoom(zoom * 1.25); });
  document.getElementById('zoom-out').addEventListener('click', function () { setZoom(zoom / 1.25); });
  document.getElementById('zoom-fit').addEventListener('click', function () { setZoom(1); });
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === '+' || e.key === '=') { setZoom(zoom * 1.25); e.preventDefault(); }
    else if (e.key === '-' || e.key === '_') { setZoom(zoom / 1.25); e.preventDefault(); }
    else if (e.key === '0') { setZoom(1); e.preventDefault(); }
    else if (e.key === 'Escape' && pinned) { pinned.classList.remove('pinned'); pinned = null; show(); }
  });
  setZoom(1);
})();
"#;

/// Text sizes for a room: the page's text at 20 px, the ladder scaled to the page's width (its
/// 12-unit text is then about 20 px on a 1920-pixel projector), and zoomable.
const STYLE: &str = "body{font-family:sans-serif;font-size:20px;line-height:1.4;margin:16px;color:#222} \
h1{font-size:28px;margin:0 0 8px} .legend span{margin-right:22px;display:inline-block} \
#bar{position:sticky;top:0;background:#fff;padding:6px 0;z-index:1} \
#detail{font-family:monospace;font-size:20px;white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:8px;min-height:1.4em} \
#zoom button{font-size:22px;min-width:2.4em;margin-right:6px} #zoom-level{margin-left:6px} \
#ladder svg{width:100%;height:auto;display:block} \
g.packet{cursor:pointer} g.packet.hover{opacity:.6} g.packet.pinned{opacity:1;filter:drop-shadow(0 0 4px #e67e22)}";

pub fn write(out: &mut dyn Write, diagrams: &[Diagram]) -> io::Result<()> {
    let title = diagrams
        .first()
        .map_or("sockscope ladder".to_string(), |d| d.title.clone());
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(
        out,
        r#"<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">"#
    )?;
    writeln!(out, "<title>{}</title>", esc(&title))?;
    writeln!(out, "<style>{STYLE}</style></head><body>")?;
    writeln!(out, "<h1>TCP/UDP ladder — sockscope</h1>")?;
    writeln!(
        out,
        r#"<p class="legend"><span style="color:{CLIENT_COLOUR}">━▶ client → server</span><span style="color:{SERVER_COLOUR}">◀━ server → client</span><span style="color:{EVENT_COLOUR}">╍ [event] analysis event (dashed arrow)</span><span>▭ TCP state (RFC 9293) after the segment</span><span>seq/ack relative to each side's ISN; len = payload bytes; ms since the first packet</span></p>"#
    )?;
    writeln!(
        out,
        r#"<div id="bar"><div id="zoom">Zoom <button id="zoom-out" title="smaller (key -)">−</button><button id="zoom-fit" title="fit the page's width (key 0)">fit</button><button id="zoom-in" title="larger (key +)">+</button><span id="zoom-level">100%</span></div>"#
    )?;
    writeln!(
        out,
        r#"<div id="detail">Point at an arrow, or click it, to see the packet's details (click again or Esc to let go).</div></div>"#
    )?;
    writeln!(out, r#"<div id="ladder">"#)?;
    out.write_all(svg_element(diagrams).as_bytes())?;
    writeln!(out, "</div>")?;
    writeln!(out, "<script>{SCRIPT}</script>")?;
    writeln!(out, "</body></html>")
}
