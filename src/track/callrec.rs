//! One call event as the bytes of a capture-file record, so a pcapng file carries socket calls
//! beside packets: each call is a frame on its own interface, named [`INTERFACE_NAME`], of link
//! type [`LINKTYPE_USER0`] (147, a link type reserved for private use, which Wireshark opens and
//! shows as raw data), stamped with the event's time; its bytes are one JSON object, the call's
//! line of `run --json` / `lesson --json` without the trailing newline (docs/json.md).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use super::calls::{CallEvent, Family, Phase, Proto};

/// LINKTYPE_USER0 (tcpdump.org link-layer header types): the link type of call records.
pub const LINKTYPE_USER0: u32 = 147;

/// The name (pcapng `if_name`) of the interface that carries call records.
pub const INTERFACE_NAME: &str = "sockscope-calls";

/// Why a record's bytes are not a call event.
#[derive(Debug, thiserror::Error)]
pub enum CallRecError {
    #[error("a call record is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a call record has no valid {0:?} field")]
    Field(&'static str),
}

/// The call event as the JSON object documented in docs/json.md (`"event": "call"`).
pub fn to_json(ev: &CallEvent) -> Value {
    json!({
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
        "proto": ev.proto.map(Proto::name),
        "family": ev.family.map(Family::name),
    })
}

/// [`to_json`] with the frame number of the record (`"number"`, as a packet's: docs/json.md),
/// as one line of JSON without a newline: what the JSON views print for a call read from a
/// file. The record itself holds no number (its place in a file is not its own to know).
pub fn to_bytes_numbered(ev: &CallEvent, number: u64) -> Vec<u8> {
    let mut v = to_json(ev);
    v["number"] = number.into();
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The record's bytes: [`to_json`] as one line of JSON, without a newline.
pub fn to_bytes(ev: &CallEvent) -> Vec<u8> {
    // Serializing a Value into memory cannot fail.
    serde_json::to_vec(&to_json(ev)).unwrap_or_default()
}

/// Reads a record written by [`to_bytes`] (a trailing newline is allowed). The timestamp is
/// taken from the object's `ts_sec` and `ts_nsec`.
pub fn from_bytes(b: &[u8]) -> Result<CallEvent, CallRecError> {
    let v: Value = serde_json::from_slice(b)?;
    let u = |k: &'static str| {
        v.get(k)
            .and_then(Value::as_u64)
            .ok_or(CallRecError::Field(k))
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let id =
        |k: &'static str| u(k).and_then(|n| u32::try_from(n).map_err(|_| CallRecError::Field(k)));
    let phase = match v.get("phase").and_then(Value::as_str) {
        Some("enter") => Phase::Enter,
        Some("return") => Phase::Return,
        _ => return Err(CallRecError::Field("phase")),
    };
    let call = s("call").ok_or(CallRecError::Field("call"))?;
    Ok(CallEvent {
        ts_ns: u("ts_sec")? * 1_000_000_000 + u("ts_nsec")?,
        pid: id("pid")?,
        tid: id("tid")?,
        comm: s("comm").unwrap_or_default(),
        call: intern(&call),
        phase,
        fd: v.get("fd").and_then(Value::as_i64).map(|n| n as i32),
        args: s("args").unwrap_or_default(),
        local: s("local"),
        remote: s("remote"),
        result: v.get("result").and_then(Value::as_i64),
        errno: s("errno").map(|e| intern(&e)),
        bytes: v.get("bytes").and_then(Value::as_u64),
        preview: s("preview"),
        flow: v.get("flow").and_then(Value::as_u64).map(|n| n as u32),
        // Absent from records written before they were kept: unknown.
        proto: v
            .get("proto")
            .and_then(Value::as_str)
            .and_then(Proto::from_name),
        family: v
            .get("family")
            .and_then(Value::as_str)
            .and_then(Family::from_name),
    })
}

/// A `'static` copy of a call or errno name: each distinct name is kept once (there are a few
/// dozen system calls and errno names, so this stays small).
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(n);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CallEvent {
        CallEvent {
            ts_ns: 1_700_000_000_123_456_789,
            pid: 4242,
            tid: 4243,
            comm: "client".into(),
            call: "connect",
            phase: Phase::Return,
            fd: Some(3),
            args: "3, 127.0.0.1:7007".into(),
            local: Some("127.0.0.1:45426".into()),
            remote: Some("127.0.0.1:7007".into()),
            result: None,
            errno: Some("ECONNREFUSED"),
            bytes: None,
            preview: Some("\"hi\\n\"".into()),
            flow: Some(0),
            proto: Some(Proto::Tcp),
            family: Some(Family::Inet),
        }
    }

    #[test]
    fn a_record_reads_back_as_the_same_event() {
        let ev = event();
        let b = to_bytes(&ev);
        assert!(!b.ends_with(b"\n"));
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(text.contains("\"event\":\"call\""), "{text}");
        assert!(text.contains("\"ts\":\"1700000000.123456789\""), "{text}");
        assert_eq!(from_bytes(&b).unwrap(), ev);
        let mut line = b;
        line.push(b'\n');
        assert_eq!(from_bytes(&line).unwrap(), ev);
        let mut enter = event();
        enter.phase = Phase::Enter;
        (enter.errno, enter.local, enter.fd) = (None, None, None);
        assert_eq!(from_bytes(&to_bytes(&enter)).unwrap(), enter);
    }

    #[test]
    fn a_record_without_proto_and_family_still_reads() {
        // As the recordings made before the two keys were written.
        let old = br#"{"event":"call","ts_sec":1,"ts_nsec":2,"pid":1,"tid":1,"call":"connect","phase":"enter","fd":3}"#;
        let ev = from_bytes(old).unwrap();
        assert_eq!((ev.call, ev.proto, ev.family), ("connect", None, None));
        let text = String::from_utf8(to_bytes(&event())).unwrap();
        assert!(text.contains(r#""proto":"tcp""#), "{text}");
        assert!(text.contains(r#""family":"ipv4""#), "{text}");
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        assert!(matches!(
            from_bytes(b"\x01\x02"),
            Err(CallRecError::Json(_))
        ));
        let no_phase = br#"{"ts_sec":1,"ts_nsec":2,"pid":1,"tid":1,"call":"x"}"#;
        assert!(matches!(
            from_bytes(no_phase),
            Err(CallRecError::Field("phase"))
        ));
    }
}
