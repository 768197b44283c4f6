//! A recorded lesson tells the same story as a live one: each call of the demo (by its name and
//! phase) carries the same sentence about the wire in `lesson NAME --recorded` as in a live
//! `lesson NAME` (as root), because call records carry the socket's protocol.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `call phase` → the sentences said for it, from a lesson's text output.
fn sentences(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (phase, mark) = if line.contains("] enters") {
            ("enter", '»')
        } else if line.contains("] returns") {
            ("return", '«')
        } else {
            continue;
        };
        let Some(call) = line.split(mark).nth(1).map(|rest| {
            rest.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        }) else {
            continue;
        };
        let said = line
            .split_once(&format!("] {phase}s"))
            .map_or("", |(_, s)| s.trim_start_matches(':').trim());
        map.entry(format!("{call} {phase}"))
            .or_default()
            .insert(said.to_string());
    }
    map
}

#[test]
fn recorded_lessons_say_the_same_call_sentences_as_live_ones() {
    if !crate::timeline_lessons::can_capture() {
        return;
    }
    // Each lesson, and a call whose sentence needs the protocol.
    for (name, call, said) in [
        (
            "handshake",
            "connect enter",
            "connect: the kernel sends SYN",
        ),
        ("udp", "sendto enter", "send (UDP)"),
        ("http", "sendfile enter", "send: copies the bytes"),
        ("refused", "connect enter", "connect: the kernel sends SYN"),
    ] {
        let live = sentences(&["lesson", name]);
        let recorded = sentences(&["lesson", name, "--recorded", "--speed", "0"]);
        assert!(
            live.get(call)
                .is_some_and(|s| s.iter().any(|t| t.starts_with(said))),
            "{name}: live {call} says {said:?}: {live:#?}"
        );
        assert_eq!(recorded, live, "lesson {name}");
    }
}
