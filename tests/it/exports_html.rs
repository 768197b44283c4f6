//! The ladder's HTML page is readable when projected: large text, the ladder scaled to the
//! page with a zoom control (buttons and the keys + − 0), and a packet's details shown on
//! click as well as on hover. Checked in the page's text, and in headless Chromium: a click on
//! an arrow (at its place on the screen) shows that packet's details, and the zoom changes the
//! ladder's drawn width.

use std::path::PathBuf;

use super::exports_mermaid::{capture, dir, dump_dom, ladder, pre_out};

fn export(name: &str) -> (PathBuf, String) {
    let out = dir(name).join("ladder.html");
    ladder(&[
        capture("lesson-concurrent.pcap").to_str().unwrap(),
        "--export",
        "html",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    (out, text)
}

#[test]
fn page_has_large_text_zoom_and_click_details() {
    let (_, html) = export("html-structure");
    assert!(
        html.contains("body{font-family:sans-serif;font-size:20px"),
        "{html}"
    );
    assert!(html.contains("#detail{font-family:monospace;font-size:20px"));
    // The ladder follows the page's width (its viewBox keeps the proportions).
    assert!(html.contains("#ladder svg{width:100%;height:auto"));
    for id in [
        "zoom-in",
        "zoom-out",
        "zoom-fit",
        "zoom-level",
        "detail",
        "ladder",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(html.contains("addEventListener('click'"));
    assert!(html.contains("addEventListener('mouseenter'"));
    assert!(html.contains("addEventListener('keydown'"));
    let start = html.find("<svg").unwrap();
    let end = html.find("</svg>").unwrap() + "</svg>".len();
    roxmltree::Document::parse(&html[start..end]).expect("the embedded SVG is well-formed");
}

/// What the test script saw, as `key=value` lines.
fn run_in_chromium(name: &str, script: &str) -> String {
    let (path, html) = export(name);
    let page = html.replace(
        "</body>",
        &format!("<pre id=\"out\">pending</pre><script>{script}</script></body>"),
    );
    std::fs::write(&path, page).unwrap();
    pre_out(&dump_dom(&path))
}

#[test]
fn clicking_an_arrow_shows_its_details_and_zoom_scales_the_ladder() {
    if !crate::support::chromium() {
        return;
    }
    let seen = run_in_chromium(
        "html-click",
        r#"
var res = [];
// The fourth arrow drawn: frame 10, conversation 0 being drawn whole first.
var g = document.querySelectorAll('g.packet')[3];
var line = g.querySelector('line');
line.scrollIntoView({block: 'center'});
var r = line.getBoundingClientRect();
var x = r.left + r.width / 2, y = r.top + r.height / 2;
var hit = document.elementFromPoint(x, y);
res.push('hit_is_packet=' + (hit !== null && hit.closest('g.packet') === g));
hit.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: x, clientY: y}));
res.push('after_click=' + document.getElementById('detail').textContent.split('\n')[0]);
g.dispatchEvent(new MouseEvent('mouseleave'));
res.push('after_leave=' + document.getElementById('detail').textContent.split('\n')[0]);
res.push('pinned=' + g.classList.contains('pinned'));
var w0 = document.querySelector('#ladder svg').getBoundingClientRect().width;
document.dispatchEvent(new KeyboardEvent('keydown', {key: '+', bubbles: true}));
var w1 = document.querySelector('#ladder svg').getBoundingClientRect().width;
res.push('key_plus=' + document.getElementById('zoom-level').textContent + ' ' + (w1 / w0).toFixed(2));
document.getElementById('zoom-out').click();
document.getElementById('zoom-out').click();
res.push('two_minus=' + document.getElementById('zoom-level').textContent);
document.dispatchEvent(new KeyboardEvent('keydown', {key: '0', bubbles: true}));
res.push('key_0=' + document.getElementById('zoom-level').textContent);
document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
res.push('after_esc=' + document.getElementById('detail').textContent.split(',')[0]);
document.getElementById('out').textContent = res.join('\n');
"#,
    );
    let expect = [
        "hit_is_packet=true",
        "after_click=frame 10 ·",
        "after_leave=frame 10 ·",
        "pinned=true",
        "key_plus=125% 1.25",
        "two_minus=80%",
        "key_0=100%",
        "after_esc=Point at an arrow",
    ];
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines.len(), expect.len(), "{seen}");
    for (l, e) in lines.iter().zip(expect) {
        assert!(l.starts_with(e), "expected {e:?}, saw {l:?}\n{seen}");
    }
}
