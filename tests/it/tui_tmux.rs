//! End to end: `sockscope tui` driven in a real terminal (tmux send-keys / capture-pane): open
//! the handshake recording, move to the SYN-ACK, unfold TCP, put the cursor on the window field
//! and see its two bytes highlighted, filter `tcp port 7007`, quit, and find the terminal
//! restored (alternate screen left, cursor shown).

use std::io::Write;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Starts a tmux server on `socket` with one `width`×`height` window running `script` in sh.
pub(super) fn start(socket: &str, (width, height): (u16, u16), script: &str) {
    let (w, h) = (width.to_string(), height.to_string());
    tmux(
        socket,
        &[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            script,
        ],
    );
}

pub(super) fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until the pane shows `what` (capture-pane with escape codes when `escapes`).
fn wait_for(socket: &str, what: &str, escapes: bool) -> String {
    let start = Instant::now();
    loop {
        let args: &[&str] = if escapes {
            &["capture-pane", "-p", "-e", "-t", "t"]
        } else {
            &["capture-pane", "-p", "-t", "t"]
        };
        let screen = tmux(socket, args);
        if screen.contains(what) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = tmux(socket, &["kill-server"]);
            panic!("never saw {what:?}; the screen:\n{screen}");
        }
        sleep(Duration::from_millis(50));
    }
}

fn keys(socket: &str, keys: &[&str]) {
    for k in keys {
        tmux(socket, &["send-keys", "-t", "t", k]);
        sleep(Duration::from_millis(40));
    }
}

#[test]
fn explore_handshake_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("tmux is needed for this test (apt-get install tmux)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIP explore_handshake_in_tmux: tmux is not installed"
        );
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sockscope");
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/lesson-handshake.pcap"
    );
    let socket = format!("sockscope-tui-{}", std::process::id());
    let socket = socket.as_str();
    // A shell that runs the explorer, then prints the terminal modes it finds when it ends.
    let script = format!("{bin} tui --color never {capture}; echo EXIT=$?; sleep 30");
    start(socket, (120, 40), &script);
    // Wait for the whole recording to be indexed: a key pressed while the list is still empty
    // (the first frame can be drawn before the indexing thread's first batch) moves nothing.
    wait_for(socket, "Packets 1/10 ·", false);
    // The SYN-ACK is the second packet; then to the tree, down to TCP, unfold it.
    keys(socket, &["j", "Tab", "j", "j", "j", "Enter"]);
    wait_for(socket, "▾ Transmission Control Protocol", false);
    // source port, destination port, seq, ack, header length, flags, window.
    keys(socket, &["j", "j", "j", "j", "j", "j", "j"]);
    let screen = wait_for(socket, "Bytes 48-49 (window)", false);
    assert!(screen.contains("window: 65483"), "{screen}");
    // The two bytes of the window (65483 = 0xffcb) are drawn in reverse video.
    let colored = wait_for(socket, "\x1b[7m", true);
    assert!(
        colored.contains("\x1b[7mff cb") || colored.contains("\x1b[7mff\x1b["),
        "window bytes not highlighted:\n{colored}"
    );
    // A filter: the list keeps the conversation on port 7007.
    keys(socket, &["/"]);
    tmux(socket, &["send-keys", "-t", "t", "-l", "tcp port 7007"]);
    keys(socket, &["Enter"]);
    wait_for(socket, "filter: tcp port 7007", false);
    keys(socket, &["q"]);
    let end = wait_for(socket, "EXIT=0", false);
    // Back on the normal screen: the explorer's frame is gone, the cursor visible.
    assert!(!end.contains("Packets "), "{end}");
    assert_terminal_restored(socket);
}

/// After quitting: the alternate screen is off and the cursor shown; ends the tmux server.
pub(super) fn assert_terminal_restored(socket: &str) {
    let alt = tmux(
        socket,
        &[
            "display-message",
            "-p",
            "-t",
            "t",
            "#{alternate_on} #{cursor_flag}",
        ],
    );
    let _ = tmux(socket, &["kill-server"]);
    assert_eq!(
        alt.trim(),
        "0 1",
        "alternate screen on / cursor hidden after quitting"
    );
}
