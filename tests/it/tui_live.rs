//! End to end: `sockscope live --tui -i lo 'tcp port P'` in a real terminal (tmux): the test
//! makes a TCP connection on 127.0.0.1:P, sees its SYN in the list and the kernel's counts in
//! the status line, quits with `q` and finds the terminal restored and live's counts printed.
//! Needs tmux and CAP_NET_RAW: without them it fails under CI, else prints a skip line.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A missing prerequisite: fails under CI, else says SKIP and returns false.
fn require(ok: bool, what: &str) -> bool {
    if !ok {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("live_tui_shows_the_syn needs {what}");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIP live_tui_shows_the_syn: needs {what}"
        );
    }
    ok
}

fn can_capture() -> bool {
    crate::support::has_cap_net_raw()
}

use super::tui_tmux::tmux;

/// Waits until the pane shows `what`.
fn wait_for(socket: &str, what: &str) -> String {
    wait_for_within(socket, what, 15)
}

/// Waits until the pane shows `what`, at most `secs` seconds.
pub(super) fn wait_for_within(socket: &str, what: &str, secs: u64) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(socket, &["capture-pane", "-p", "-t", "t"]);
        if screen.contains(what) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = tmux(socket, &["kill-server"]);
            panic!("never saw {what:?}; the screen:\n{screen}");
        }
        sleep(Duration::from_millis(50));
    }
}

#[test]
fn live_tui_shows_the_syn() {
    let has_tmux = Command::new("tmux").arg("-V").output().is_ok();
    if !require(has_tmux, "tmux (apt-get install tmux)")
        || !require(can_capture(), "CAP_NET_RAW (run as root)")
    {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sockscope");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = format!("sockscope-tui-live-{}", std::process::id());
    let socket = socket.as_str();
    let script = format!(
        "{bin} live --tui --color never -i lo --drop-privileges root 'tcp port {port}'; \
         echo EXIT=$?; sleep 30"
    );
    super::tui_tmux::start(socket, (160, 40), &script);
    wait_for(socket, "kernel:");
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (_server, _) = listener.accept().unwrap();
    let screen = wait_for(socket, &format!("→ 127.0.0.1:{port}"));
    assert!(screen.contains("SYN "), "{screen}");
    assert!(screen.contains("SYN-ACK"), "{screen}");
    assert!(screen.contains("0 shed"), "{screen}");
    drop(client);
    tmux(socket, &["send-keys", "-t", "t", "q"]);
    let end = wait_for(socket, "EXIT=0");
    assert!(!end.contains("Packets "), "{end}");
    assert!(end.contains("packets captured"), "{end}");
    assert!(end.contains("0 packets shed by the explorer"), "{end}");
    super::tui_tmux::assert_terminal_restored(socket);
}
