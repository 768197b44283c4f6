//! A traced socket call as one learner line (`run`'s default view, and `replay` of a file that
//! `run -w` saved): who called, `→ call(args)` at its enter, `← call = result` at its return,
//! and one sentence on what it does on the wire.

use std::io::Write as _;

use super::time::TimeFormatter;
use crate::source::Timestamp;
use crate::track::calls::{CallEvent, Phase};
use crate::track::sockcalls::wire_note;

/// SGR codes (ECMA-48) for a socket call when colour is on: bold green, a style of its own.
/// Calls are what the learner's program did; they stand out from the dimmed notes and from
/// the packets' colours (cyan, yellow or magenta by direction). Without colour their marker
/// (`→`/`←` here, `»`/`«` on the ladder) sets them apart.
pub const CALL: &str = "\x1b[1;32m";
const RESET: &str = "\x1b[0m";

/// Paints the call line in `b` from byte `from` (after its time column) up to its note
/// (`   # ...`) or its end, in [`CALL`].
pub fn paint_call(b: &mut Vec<u8>, from: usize) {
    let end = b.len() - usize::from(b.last() == Some(&b'\n'));
    let stop = b[from..end]
        .windows(5)
        .position(|w| w == b"   # ")
        .map_or(end, |i| from + i);
    if stop <= from {
        return;
    }
    b.splice(stop..stop, RESET.bytes());
    b.splice(from..from, CALL.bytes());
}

/// Appends the line of `ev` (with its newline) to `b`.
pub fn call_line(b: &mut Vec<u8>, time: &mut TimeFormatter, ev: &CallEvent) {
    time.push(
        b,
        Timestamp::new(
            (ev.ts_ns / 1_000_000_000) as i64,
            (ev.ts_ns % 1_000_000_000) as u32,
        ),
    );
    call_text(b, ev);
}

/// The line of `ev` after its time column.
pub fn call_text(b: &mut Vec<u8>, ev: &CallEvent) {
    let who = format!("{}[{}]", ev.comm, ev.pid);
    let _ = match ev.phase {
        Phase::Enter => write!(b, "{who:<18} → {}({})", ev.call, ev.args),
        Phase::Return => {
            let _ = write!(b, "{who:<18} ← {} = ", ev.call);
            match (ev.result, ev.errno) {
                (_, Some(e)) => write!(b, "-1 {e}"),
                (Some(r), None) => write!(b, "{r}"),
                _ => write!(b, "?"),
            }
        }
    };
    if let Some(p) = &ev.preview {
        let _ = write!(b, " {p}");
    }
    if let (Phase::Return, Some(l), Some(r), "accept" | "accept4" | "connect") =
        (ev.phase, &ev.local, &ev.remote, ev.call)
    {
        let _ = write!(b, "  ({l} ↔ {r})");
    }
    if let Some(n) = wire_note(ev) {
        let _ = write!(b, "   # {n}");
    }
    b.push(b'\n');
}
