//! A traced socket call as one learner line (`run`'s default view, and `replay` of a file that
//! `run -w` saved): who called, `→ call(args)` at its enter, `← call = result` at its return,
//! and one sentence on what it does on the wire.

use std::io::Write as _;

use super::time::TimeFormatter;
use crate::source::Timestamp;
use crate::track::calls::{CallEvent, Phase};
use crate::track::sockcalls::wire_note;

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
