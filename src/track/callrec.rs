//! A call event as the bytes of a capture-file record: one JSON object, the event's line as
//! `run --json` prints it without the newline (documented in docs/json.md). In a pcapng file
//! these records are the frames of an interface named [`INTERFACE`] with link type
//! [`LINK_TYPE`], stamped with the event's own time.

use serde_json::Value;

use super::calls::{CallEvent, Phase};
use super::sockcalls::errno_name;
use crate::sys::trace::Syscall;

/// The name of the pcapng interface whose frames are call records.
pub const INTERFACE: &str = "sockscope-calls";
/// LINKTYPE_USER0 (tcpdump.org link-layer header types: 147, "reserved for private use").
pub const LINK_TYPE: u32 = 147;

/// The event as one JSON object, without a newline.
pub fn to_bytes(ev: &CallEvent) -> Vec<u8> {
    let v = serde_json::json!({
        "event": "call",
        "ts": format!("{}.{:09}", ev.ts_ns / 1_000_000_000, ev.ts_ns % 1_000_000_000),
        "ts_sec": ev.ts_ns / 1_000_000_000,
        "ts_nsec": ev.ts_ns % 1_000_000_000,
        "pid": ev.pid,
        "tid": ev.tid,
        "comm": ev.comm,
        "call": ev.call,
        "phase": ev.phase.name(),
        "fd": ev.fd,
        "args": ev.args,
        "local": ev.local,
        "remote": ev.remote,
        "result": ev.result,
        "errno": ev.errno,
        "bytes": ev.bytes,
        "preview": ev.preview,
        "flow": ev.flow,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The event a record holds; `None` when the bytes are not a call record this version knows
/// (an unknown call or errno name included).
pub fn from_bytes(b: &[u8]) -> Option<CallEvent> {
    let v: Value = serde_json::from_slice(b).ok()?;
    if v.get("event")?.as_str()? != "call" {
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let u = |k: &str| v.get(k).and_then(Value::as_u64);
    let i = |k: &str| v.get(k).and_then(Value::as_i64);
    let call_name = v.get("call")?.as_str()?;
    let call = Syscall::all()
        .map(Syscall::name)
        .find(|n| *n == call_name)?;
    let phase = match v.get("phase")?.as_str()? {
        "enter" => Phase::Enter,
        "return" => Phase::Return,
        _ => return None,
    };
    let errno = match v.get("errno").and_then(Value::as_str) {
        None => None,
        Some(e) => Some((1..600).map(errno_name).find(|n| *n == e)?),
    };
    Some(CallEvent {
        ts_ns: u("ts_sec")? * 1_000_000_000 + u("ts_nsec")?,
        pid: u("pid")? as u32,
        tid: u("tid")? as u32,
        comm: s("comm").unwrap_or_default(),
        call,
        phase,
        fd: i("fd").map(|f| f as i32),
        args: s("args").unwrap_or_default(),
        local: s("local"),
        remote: s("remote"),
        result: i("result"),
        errno,
        bytes: u("bytes"),
        preview: s("preview"),
        flow: u("flow").map(|f| f as u32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_gives_back_its_event() {
        let ev = CallEvent {
            ts_ns: 1_768_471_200_000_240_123,
            pid: 4242,
            tid: 4243,
            comm: "python3".into(),
            call: "connect",
            phase: Phase::Return,
            fd: Some(3),
            args: "3, 127.0.0.1:7007".into(),
            local: Some("127.0.0.1:50000".into()),
            remote: Some("127.0.0.1:7007".into()),
            result: None,
            errno: Some("ECONNREFUSED"),
            bytes: None,
            preview: None,
            flow: Some(2),
        };
        let b = to_bytes(&ev);
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(text.contains("\"ts\":\"1768471200.000240123\""), "{text}");
        assert!(!b.ends_with(b"\n"));
        assert_eq!(from_bytes(&b), Some(ev));
        assert_eq!(from_bytes(b"{\"event\":\"packet\"}"), None);
        assert_eq!(from_bytes(b"\x00\x01"), None);
    }
}
