//! End to end: `sockscope lesson handshake --tui` with a live capture, in a real terminal
//! (tmux): the demo's socket calls and the packets it makes appear in the explorer as they
//! happen, the status line says when the lesson ended, `q` quits and the terminal is restored.
//! Needs tmux and CAP_NET_RAW: without them it fails under CI, else prints a skip line.

use std::process::Command;

use super::support;
use super::tui_live::wait_for_within as wait_for;
use super::tui_tmux::{assert_terminal_restored, start, tmux};

#[test]
fn live_lesson_in_the_explorer() {
    let has_tmux = Command::new("tmux").arg("-V").output().is_ok();
    if !support::require("tmux", "apt-get install tmux", has_tmux) || !support::cap_net_raw() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sockscope");
    let socket = format!("sockscope-tui-lesson-{}", std::process::id());
    let socket = socket.as_str();
    let script = format!("{bin} lesson handshake --tui --color never; echo EXIT=$?; sleep 30");
    start(socket, (160, 48), &script);
    let screen = wait_for(socket, "the lesson ended", 30);
    assert!(screen.contains("live lesson handshake"), "{screen}");
    // The demo's calls are rows of their own, marked », among the live packets.
    assert!(screen.contains("» "), "{screen}");
    assert!(!screen.contains("lesson recording"), "{screen}");
    // From the top: the server's first call, then the handshake.
    tmux(socket, &["send-keys", "-t", "t", "g"]);
    let top = wait_for(socket, "SYN-ACK", 10);
    assert!(top.contains("socket("), "{top}");
    assert!(top.contains("connect("), "{top}");
    assert!(top.contains("handshake complete"), "{top}");
    tmux(socket, &["send-keys", "-t", "t", "q"]);
    let end = wait_for(socket, "EXIT=", 20);
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(!end.contains("Packets "), "{end}");
    assert_terminal_restored(socket);
}
