//! The Mermaid export draws one diagram per text: several conversations go one per file
//! (`OUT-<conversation>.ext`), or one fenced block each in a Markdown file; `--flow N` writes
//! one. Checked for structure here, and parsed by Mermaid itself in headless Chromium (every
//! bundled capture) when Chromium and Mermaid's script (`npm install -g mermaid@11`) are there.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// A fresh directory of this test's own (tests run in parallel).
pub fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("exports-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `sockscope ARGS…` (100 columns, no colour), which must succeed: its standard output and
/// standard error.
pub fn sockscope(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "sockscope {args:?}: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

/// `sockscope ladder ARGS…`.
pub fn ladder(args: &[&str]) -> (String, String) {
    sockscope(&[&["ladder"], args].concat())
}

/// Segments per conversation of `file`, from `ladder --json`.
fn segments(file: &Path) -> Vec<(u64, usize)> {
    let (json, _) = ladder(&[file.to_str().unwrap(), "--json"]);
    json.lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            let n = d["rows"].as_array().unwrap();
            let n = n.iter().filter(|r| r["kind"] == "segment").count();
            (d["index"].as_u64().unwrap(), n)
        })
        .collect()
}

/// One diagram's lines are of the few kinds the export writes, each in Mermaid's syntax.
fn check_structure(text: &str, arrows: usize) {
    assert_eq!(text.matches("sequenceDiagram").count(), 1, "{text}");
    let mut n = 0;
    for l in text.lines() {
        let ok = l.starts_with("%% ")
            || l == "sequenceDiagram"
            || l.starts_with("    participant C as ")
            || l.starts_with("    participant S as ")
            || l.starts_with("    Note over C: ")
            || l.starts_with("    Note over S: ")
            || l.starts_with("    Note right of S: ")
            || l.starts_with("    Note left of C: ")
            || ["C->>S: ", "S->>C: ", "C--xS: ", "S--xC: "]
                .iter()
                .any(|a| {
                    l.starts_with(&format!("    {a}")) && {
                        n += 1;
                        true
                    }
                });
        assert!(ok, "not a line of a sequenceDiagram: {l:?}");
        // `;` ends a statement and `#` starts an entity code in Mermaid: written as codes.
        if !l.starts_with("%%") {
            assert!(
                !l.replace("#59;", "")
                    .replace("#35;", "")
                    .contains([';', '#']),
                "{l}"
            );
        }
    }
    assert_eq!(n, arrows, "one arrow per segment: {text}");
}

#[test]
fn several_conversations_go_one_per_file_named_by_index() {
    let d = dir("mermaid-files");
    let file = capture("lesson-concurrent.pcap");
    let out = d.join("ladder.mmd");
    let (_, said) = ladder(&[
        file.to_str().unwrap(),
        "--export",
        "mermaid",
        out.to_str().unwrap(),
    ]);
    let segs = segments(&file);
    assert_eq!(segs.len(), 3);
    assert!(!out.exists(), "no file holds several diagrams");
    for (i, n) in &segs {
        let f = d.join(format!("ladder-{i}.mmd"));
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with(&format!("%% conversation {i}: ")),
            "{text}"
        );
        check_structure(&text, *n);
    }
    assert!(
        said.contains("ladder-0.mmd") && said.contains("(3 conversations, one diagram per file)"),
        "{said}"
    );
}

#[test]
fn flow_writes_that_conversation_alone() {
    let d = dir("mermaid-flow");
    let file = capture("lesson-concurrent.pcap");
    let out = d.join("one.mmd");
    ladder(&[
        file.to_str().unwrap(),
        "--flow",
        "2",
        "--export",
        "mermaid",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("%% conversation 2: "), "{text}");
    check_structure(&text, segments(&file)[2].1);
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
}

#[test]
fn markdown_holds_one_fenced_block_per_conversation() {
    let d = dir("mermaid-md");
    let file = capture("lesson-concurrent.pcap");
    let out = d.join("ladder.md");
    ladder(&[
        file.to_str().unwrap(),
        "--export",
        "mermaid",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(&out).unwrap();
    let (stdout, _) = ladder(&[file.to_str().unwrap(), "--export", "mermaid", "-"]);
    assert_eq!(stdout, md, "standard output gets the same Markdown");
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 3, "{md}");
    for ((i, n), b) in segments(&file).iter().zip(&blocks) {
        assert!(b.starts_with(&format!("%% conversation {i}: ")), "{b}");
        check_structure(b, *n);
    }
}

/// The texts of the fenced `mermaid` blocks of a Markdown document.
fn mermaid_blocks(md: &str) -> Vec<String> {
    md.split("```mermaid\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

/// Mermaid's browser bundle, installed by npm (`npm install -g mermaid@11`; or the file named by
/// `MERMAID_JS`).
fn mermaid_js() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MERMAID_JS") {
        return Some(PathBuf::from(p));
    }
    let root = Command::new("npm").args(["root", "-g"]).output().ok()?;
    let root = String::from_utf8(root.stdout).ok()?;
    Some(Path::new(root.trim()).join("mermaid/dist/mermaid.min.js")).filter(|p| p.is_file())
}

/// Loads `html` in headless Chromium, lets its scripts run, and returns the page as it is then.
pub fn dump_dom(html: &Path) -> String {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| crate::support::which(b).is_some())
        .unwrap();
    let profile = html.with_extension("profile");
    let out = Command::new("timeout")
        .arg("90")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Text between `<pre id="out">` and `</pre>` of a dumped page.
pub fn pre_out(dom: &str) -> String {
    dom.split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or("(no result: the page's script did not run)")
        .to_string()
}

#[test]
fn every_bundled_capture_parses_in_mermaid() {
    if !crate::support::chromium() {
        return;
    }
    let js = mermaid_js();
    if !crate::support::require(
        "Mermaid's browser bundle (mermaid/dist/mermaid.min.js)",
        "npm install -g mermaid@11 (.ci/run installs it), or MERMAID_JS=path",
        js.is_some(),
    ) {
        return;
    }
    let d = dir("mermaid-parse");
    let mut texts: Vec<(String, String)> = Vec::new();
    let captures = capture("");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&captures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    for f in &files {
        let (md, _) = ladder(&[f.to_str().unwrap(), "--export", "mermaid", "-"]);
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let blocks = if md.starts_with("%% conversation") {
            vec![md]
        } else {
            mermaid_blocks(&md)
        };
        for (i, b) in blocks.into_iter().enumerate() {
            texts.push((format!("{name} #{i}"), b));
        }
    }
    assert!(texts.len() >= files.len(), "a diagram per capture at least");
    // Parsed each; drawn too when small (a drawing of thousands of arrows takes long).
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><script src="file://{js}"></script></head>
<body><pre id="out">pending</pre><script>
const texts = {texts};
(async () => {{
  mermaid.initialize({{startOnLoad: false}});
  const res = [];
  let i = 0;
  for (const [name, t] of texts) {{
    try {{
      await mermaid.parse(t);
      if (t.length < 20000) {{ await mermaid.render('d' + (i++), t); }}
      res.push('ok ' + name);
    }} catch (e) {{ res.push('ERR ' + name + ': ' + String(e.message || e).slice(0, 400)); }}
  }}
  document.getElementById('out').textContent = res.join('\n');
}})();
</script></body></html>"#,
        js = js.unwrap().display(),
        texts = serde_json::to_string(&texts).unwrap()
    );
    let html = d.join("parse.html");
    std::fs::write(&html, page).unwrap();
    let result = pre_out(&dump_dom(&html));
    let ok = result.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok, texts.len(), "Mermaid rejected some diagrams:\n{result}");
}
