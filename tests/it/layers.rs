//! The layer rules of docs/architecture.md, checked by reading the source:
//! - the core (`src/source`, `src/decode`, `src/track`, `src/filter`, `src/render`, the
//!   pipeline and the name tables) imports neither the commands (`cmd`, `cli`, `app`), nor the
//!   layers above it (`lesson`, `demo`, `explain`), nor clap; it reads no environment variable,
//!   exits no process and asks no terminal;
//! - `unsafe` appears only under `src/sys/`, and the crate denies `unsafe_code` elsewhere;
//! - the system layer (`src/sys/`) imports nothing above the core (`cmd`, `lesson`, `demo`,
//!   `explain` …): those use it, not the other way round;
//! - etherparse appears only under `src/decode/` (and in unit-test files, `tests.rs`, which may
//!   build fixture packets with its `PacketBuilder`: that is not decoding);
//! - renderers (`src/render/`) read no header fields out of packet bytes: decode/ does (a
//!   heuristic looking for big-endian readers and payload indexing);
//! - every source file opens with a `//!` line.
//!
//! Comments and string literals are blanked before looking, so prose about a rule never breaks
//! it. Each failure lists every offending `file:line`.

use std::path::{Path, PathBuf};

/// The core's files: directories (with a trailing slash) and single files, under `src/`.
const CORE: &[&str] = &[
    "source/",
    "decode/",
    "track/",
    "filter/",
    "render/",
    "pipeline.rs",
    "services.rs",
];

/// Modules of the crate the core must not import: the commands and the layers above the core.
const ABOVE_CORE: &[&str] = &["cmd", "cli", "app", "lesson", "demo", "explain"];

/// Code the core must not contain, with the rule each breaks.
const CORE_FORBIDDEN: &[(&str, &str)] = &[
    ("clap", "the core knows nothing of clap"),
    ("env::var", "the core reads no environment variable"),
    ("env::var_os", "the core reads no environment variable"),
    ("env::vars", "the core reads no environment variable"),
    ("env::vars_os", "the core reads no environment variable"),
    ("env::set_var", "the core changes no environment variable"),
    ("process::exit", "the core has no exit codes"),
    ("is_terminal", "the core does no terminal detection"),
    ("isatty", "the core does no terminal detection"),
];

/// One source file: its path relative to the crate root, and its code with comments and
/// literals blanked (same lines).
struct SourceFile {
    path: String,
    code: String,
}

fn sources() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect(&root.join("src"), &mut paths);
    paths.sort();
    assert!(paths.len() > 20, "too few sources found: {paths:?}");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            SourceFile {
                path: p.strip_prefix(root).unwrap().display().to_string(),
                code: blank_comments_and_literals(&text),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn in_core(path: &str) -> bool {
    let rel = path.strip_prefix("src/").unwrap_or(path);
    CORE.iter().any(|c| {
        if c.ends_with('/') {
            rel.starts_with(c)
        } else {
            rel == *c
        }
    })
}

/// Replaces the text of comments, string, byte-string and char literals with spaces, keeping
/// line breaks (so line numbers hold) and the quotes. Lifetimes stay.
fn blank_comments_and_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&c, i) {
            // r"…", r#"…"#, br"…": no escapes, ends at a quote followed by as many #.
            let open = c[i..].iter().position(|&ch| ch == '"').unwrap() + i;
            out.extend(&c[i..=open]);
            i = open + 1;
            while i < c.len() {
                if c[i] == '"'
                    && c[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes
                {
                    out.push('"');
                    i += 1;
                    break;
                }
                out.push(blank(c[i]));
                i += 1;
            }
        } else if c[i] == '"' || (c[i] == '\'' && is_char_literal(&c, i)) {
            i = blank_quoted(&c, i, &mut out);
        } else {
            // An identifier is copied whole, so the `r` ending one never starts a raw string.
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            if i == start {
                i += 1;
            }
            out.extend(&c[start..i]);
        }
    }
    out
}

/// A blank for `ch`: a space, or the line break it is.
fn blank(ch: char) -> char {
    if ch == '\n' { '\n' } else { ' ' }
}

/// Blanks the string or char literal whose opening quote is at `i`, escapes included, keeping
/// its quotes and line breaks; returns the index after it.
fn blank_quoted(c: &[char], mut i: usize, out: &mut String) -> usize {
    let quote = c[i];
    out.push(quote);
    i += 1;
    while i < c.len() && c[i] != quote {
        if c[i] == '\\' {
            out.push(' ');
            i += 1;
        }
        if let Some(&ch) = c.get(i) {
            out.push(blank(ch));
            i += 1;
        }
    }
    if i < c.len() {
        out.push(quote);
        i += 1;
    }
    i
}

/// The number of `#` of a raw string literal starting at `i`, if one does.
fn raw_string_start(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c.get(j) == Some(&'b') || c.get(j) == Some(&'c') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
    (c.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// Whether the quote at `i` opens a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) rather than
/// a lifetime or label (`'a`, `'static`).
fn is_char_literal(c: &[char], i: usize) -> bool {
    match c.get(i + 1) {
        Some('\\') => true,
        Some(_) => c.get(i + 2) == Some(&'\''),
        None => false,
    }
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// The 1-based line numbers where `needle` occurs in `code` as whole words (not inside a longer
/// identifier: `unsafe` does not match `unsafe_code`).
fn lines_with(code: &str, needle: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let hit = line.match_indices(needle).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + needle.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        });
        if hit {
            found.push(n + 1);
        }
    }
    found
}

/// The crate modules a line's `crate::` paths start with, `crate::{a, b::c}` giving a and b.
fn crate_modules(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group, up to its closing brace.
            let (mut depth, mut item_start) = (0, true);
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ if item_start && is_ident(ch) => {
                        let name: String =
                            group[k..].chars().take_while(|&c| is_ident(c)).collect();
                        found.push((line, name));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push((line, rest.chars().take_while(|&c| is_ident(c)).collect()));
        }
    }
    found
}

fn report(rule: &str, offences: &[String]) {
    assert!(
        offences.is_empty(),
        "{rule} (docs/architecture.md); {} offence(s):\n{}",
        offences.len(),
        offences.join("\n")
    );
}

/// The offences against the core's rule.
fn core_offences(files: &[SourceFile]) -> Vec<String> {
    let mut offences = Vec::new();
    for f in files.iter().filter(|f| in_core(&f.path)) {
        for (line, module) in crate_modules(&f.code) {
            if ABOVE_CORE.contains(&module.as_str()) {
                offences.push(format!(
                    "{}:{line}: imports crate::{module}, above the core",
                    f.path
                ));
            }
        }
        for (needle, rule) in CORE_FORBIDDEN {
            for line in lines_with(&f.code, needle) {
                offences.push(format!("{}:{line}: `{needle}`: {rule}", f.path));
            }
        }
    }
    offences
}

#[test]
fn the_core_uses_no_command_clap_environment_exit_or_terminal() {
    report(
        "the core imports neither cmd/cli/app, lesson, demo, explain nor clap, and reads no \
         environment, exits nothing and asks no terminal",
        &core_offences(&sources()),
    );
}

#[test]
fn the_system_layer_uses_nothing_above_the_core() {
    let offences: Vec<String> = sources()
        .iter()
        .filter(|f| f.path.starts_with("src/sys/"))
        .flat_map(|f| {
            crate_modules(&f.code)
                .into_iter()
                .filter(|(_, m)| ABOVE_CORE.contains(&m.as_str()))
                .map(move |(line, m)| format!("{}:{line}: imports crate::{m}", f.path))
        })
        .collect();
    report(
        "src/sys/ imports neither the commands nor lesson, demo or explain (they use sys)",
        &offences,
    );
}

#[test]
fn unsafe_appears_only_under_src_sys() {
    let files = sources();
    let mut offences: Vec<String> = files
        .iter()
        .filter(|f| !f.path.starts_with("src/sys/"))
        .flat_map(|f| {
            lines_with(&f.code, "unsafe")
                .into_iter()
                .map(move |line| format!("{}:{line}: `unsafe` outside src/sys/", f.path))
        })
        .collect();
    let lib = files.iter().find(|f| f.path == "src/lib.rs").unwrap();
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let denied = lib.code.contains("#![deny(unsafe_code)]")
        || manifest
            .lines()
            .any(|l| l.replace(' ', "") == "unsafe_code=\"deny\"");
    if !denied {
        offences.push(
            "src/lib.rs: the crate does not deny unsafe_code (#![deny(unsafe_code)], or \
             unsafe_code = \"deny\" under [lints.rust] in Cargo.toml)"
                .to_string(),
        );
    }
    report("`unsafe` appears only under src/sys/", &offences);
}

#[test]
fn etherparse_appears_only_under_src_decode() {
    let offences: Vec<String> = sources()
        .iter()
        .filter(|f| !f.path.starts_with("src/decode/") && !f.path.ends_with("/tests.rs"))
        .flat_map(|f| {
            lines_with(&f.code, "etherparse")
                .into_iter()
                .map(move |line| format!("{}:{line}: etherparse outside src/decode/", f.path))
        })
        .collect();
    report("etherparse appears only under src/decode/", &offences);
}

/// Ways of reading header fields out of packet bytes: the decoder's job, not a renderer's.
const BYTE_READERS: &[&str] = &["be16", "be32", "be64", "from_be_bytes", "payload.get"];

/// Renderers that still walk bytes themselves, each with why; the list may only shrink (it is
/// empty: the tcpdump view's DNS walk lives in decode/dns.rs).
const KNOWN_BYTE_READERS: &[&str] = &[];

#[test]
fn renderers_read_no_header_bytes() {
    // A heuristic: renderers format what decode/ read; render/fmt.rs turns addresses into text
    // (IPv6 groups), which is formatting, and unit-test files build fixtures.
    let offences: Vec<String> = sources()
        .iter()
        .filter(|f| f.path.starts_with("src/render/"))
        .filter(|f| f.path != "src/render/fmt.rs" && !f.path.ends_with("/tests.rs"))
        .filter(|f| !KNOWN_BYTE_READERS.contains(&f.path.as_str()))
        .flat_map(|f| {
            BYTE_READERS.iter().flat_map(move |needle| {
                lines_with(&f.code, needle).into_iter().map(move |line| {
                    format!(
                        "{}:{line}: `{needle}` reads packet bytes in a renderer",
                        f.path
                    )
                })
            })
        })
        .collect();
    report("renderers read no header bytes", &offences);
    for known in KNOWN_BYTE_READERS {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(known);
        assert!(
            path.is_file(),
            "{known} is gone: remove it from KNOWN_BYTE_READERS"
        );
    }
}

#[test]
fn every_source_file_opens_with_a_doc_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let offences: Vec<String> = sources()
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(root.join(&f.path)).unwrap();
            !text.starts_with("//!")
        })
        .map(|f| format!("{}:1: does not open with a `//!` line", f.path))
        .collect();
    report("every module opens with a `//!` line", &offences);
}

// ---- the checker itself ----

#[test]
fn comments_and_literals_are_blanked_line_for_line() {
    let src = "let a = \"unsafe { x }\"; // unsafe\n\
               /* unsafe /* nested */ still */ let b = r#\"etherparse \"# ;\n\
               let c = '\\''; let d: &'static str = \"\\\"clap\";\n\
               unsafe { f(b'\"') }\n";
    let code = blank_comments_and_literals(src);
    assert_eq!(code.lines().count(), src.lines().count());
    assert_eq!(lines_with(&code, "unsafe"), vec![4]);
    assert_eq!(lines_with(&code, "etherparse"), Vec::<usize>::new());
    assert_eq!(lines_with(&code, "clap"), Vec::<usize>::new());
    assert!(code.contains("&'static str"), "{code}");
    assert!(code.contains("let b = r#\""), "{code}");
}

#[test]
fn words_match_whole() {
    assert_eq!(
        lines_with("#![deny(unsafe_code)]\n", "unsafe"),
        Vec::<usize>::new()
    );
    assert_eq!(lines_with("x\nstd::env::var(\"A\")\n", "env::var"), vec![2]);
    assert_eq!(
        lines_with("std::env::var_os(\"A\")\n", "env::var"),
        Vec::<usize>::new()
    );
    assert_eq!(
        lines_with("std::env::var_os(\"A\")\n", "env::var_os"),
        vec![1]
    );
}

#[test]
fn grouped_and_plain_crate_paths_are_seen() {
    let code = "use crate::{app::Failure, decode::{self, x}, cmd};\nuse crate::explain::y;\n";
    let mods = crate_modules(code);
    let names: Vec<(usize, &str)> = mods.iter().map(|(l, m)| (*l, m.as_str())).collect();
    assert_eq!(
        names,
        [(1, "app"), (1, "decode"), (1, "cmd"), (2, "explain")]
    );
}

#[test]
fn an_offending_core_file_is_reported_with_file_and_line() {
    let files = [
        SourceFile {
            path: "src/render/x.rs".into(),
            code: "//!\nuse crate::cmd::Failure;\nfn f() { std::env::var(\"A\"); }\n".into(),
        },
        SourceFile {
            path: "src/cmd/y.rs".into(),
            code: "use clap::Parser;\n".into(),
        },
    ];
    assert_eq!(
        core_offences(&files),
        [
            "src/render/x.rs:2: imports crate::cmd, above the core",
            "src/render/x.rs:3: `env::var`: the core reads no environment variable",
        ]
    );
}
