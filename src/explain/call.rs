//! `explain packet --frame N` on a socket-call record (a frame of link type LINKTYPE_USER0 that
//! `run -w` and the lessons store beside the packets, [`crate::track::callrec`]): who made the
//! call, which call, its phase and result, and the sentence the learner view prints for it.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::wrap;
use crate::track::callrec::{self, INTERFACE_NAME, LINKTYPE_USER0};
use crate::track::calls::{CallEvent, Phase};
use crate::track::sockcalls::wire_note;

/// The explanation of frame `number` of `file`, the call `ev`, as text.
pub fn text(file: &str, number: u64, len: usize, ev: &CallEvent) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Frame {number} of {file}: a socket call, not a packet ({len} bytes on interface \
         {INTERFACE_NAME}, link type USER0 ({LINKTYPE_USER0}): the call's record, stored beside \
         the packets)"
    );
    let mut line = Vec::new();
    crate::render::calls::call_text(&mut line, ev);
    let _ = writeln!(o, "  {}", String::from_utf8_lossy(&line).trim_end());
    o.push('\n');
    // The key in a column of its own, the value wrapped beside it.
    let row = |o: &mut String, k: &str, v: &str| {
        let lines = wrap(v, &" ".repeat(15), 96);
        o.push_str(&format!("  {k:<12} "));
        o.push_str(lines.get(15..).unwrap_or_default());
    };
    row(
        &mut o,
        "Who:",
        &format!("{}, process {}, thread {}", ev.comm, ev.pid, ev.tid),
    );
    let fd = ev
        .fd
        .map(|f| format!(" on descriptor {f}"))
        .unwrap_or_default();
    row(&mut o, "Call:", &format!("{}({}){fd}", ev.call, ev.args));
    row(&mut o, "Phase:", phase(ev.phase));
    if ev.phase == Phase::Return {
        row(&mut o, "Result:", &result(ev));
    }
    if let (Some(l), r) = (&ev.local, &ev.remote) {
        let r = r.as_deref().map(|r| format!(" ↔ {r}")).unwrap_or_default();
        row(&mut o, "Socket:", &format!("{l}{r}"));
    }
    if let Some(n) = wire_note(ev) {
        row(&mut o, "On the wire:", n);
    }
    o
}

/// The same as JSON: the call's object (docs/json.md, with its frame `number`), and the words.
pub fn json(file: &str, number: u64, ev: &CallEvent) -> Value {
    let mut call = callrec::to_json(ev);
    call["number"] = number.into();
    json!({
        "file": file,
        "frame": number,
        "link_type": LINKTYPE_USER0,
        "call": call,
        "phase": phase(ev.phase),
        "result": (ev.phase == Phase::Return).then(|| result(ev)),
        "wire_note": wire_note(ev),
    })
}

/// What the phase means: when its stamp was taken (docs/json.md).
fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Enter => "enter: stamped as the call starts, before it can send anything",
        Phase::Return => "return: stamped after the call completed",
    }
}

/// A return's result in words: `-1, ECONNREFUSED` or the value.
fn result(ev: &CallEvent) -> String {
    match (ev.result, ev.errno) {
        (_, Some(e)) => format!("-1: failed with {e}"),
        (Some(r), None) => match ev.bytes {
            Some(b) => format!("{r} ({})", crate::render::fmt::plural(b, "byte", "bytes")),
            None => r.to_string(),
        },
        _ => "not recorded".into(),
    }
}
