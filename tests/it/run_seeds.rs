//! `sockscope run` on the rest of the seed tutorials' programs (issue 10, point 2): the threaded
//! echo server with three clients, a selectors server, `nc` as a client, the UDP pair and an RST
//! close, each in a network namespace of its own; and `run -w`, whose pcapng file tshark opens
//! and `replay` shows as the same timeline.
//!
//! Needs root (CAP_NET_RAW, a namespace), python3, unshare and ip (nc and tshark for their
//! tests): without them a test prints a visible skip line and passes, or fails when CI is set.

use std::io::Write;
use std::process::Command;

use serde_json::Value;

use super::run_trace::{BIN, dump, is_call, position, prerequisites, run_json, shell_quote};

/// Skips (or fails under CI) when `tool` is missing.
fn have(test: &str, tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {tool} missing, and CI is set"
        );
        let _ = writeln!(std::io::stderr(), "SKIP {test}: needs {tool}");
    }
    ok
}

/// Waits (up to 10 s) until a TCP socket listens on `port` (hex, as in /proc/net/tcp).
fn wait_listen(hex_port: &str) -> String {
    format!(
        "i=0; while [ $i -lt 200 ] && ! grep -q ':{hex_port} 00000000:0000 0A' /proc/net/tcp; do \
         sleep 0.05; i=$((i+1)); done"
    )
}

fn returns(e: &Value, call: &str) -> bool {
    is_call(e, call, "return")
}

fn is_packet(e: &Value) -> bool {
    e["event"] == "packet"
}

#[test]
fn threaded_server_with_three_clients() {
    let test = "threaded_server_with_three_clients";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    let script = format!(
        "python3 threaded_echo_server.py & S=$!; {}; \
         python3 echo_client.py & A=$!; python3 echo_client.py & B=$!; python3 echo_client.py & C=$!; \
         wait $A $B $C; sleep 0.2; kill $S; wait $S; exit 0",
        wait_listen("04D2")
    );
    let (ev, status) = run_json(&dir, &script);
    assert_eq!(status, 0, "{}", dump(&ev));
    let accepts = ev
        .iter()
        .filter(|e| {
            (returns(e, "accept4") || returns(e, "accept"))
                && e["result"].as_i64().is_some_and(|r| r >= 0)
        })
        .count();
    assert_eq!(accepts, 3, "{}", dump(&ev));
    // Each client got its echo back, after the server's thread sent it.
    let mut clients: Vec<i64> = ev
        .iter()
        .filter(|e| returns(e, "recvfrom") && e["result"] == 12 && e["comm"] == "python3")
        .filter_map(|e| e["pid"].as_i64())
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert!(
        clients.len() >= 4,
        "3 clients and the server's threads: {}",
        dump(&ev)
    );
    // The server's sends come from threads other than its main one.
    let threaded = ev
        .iter()
        .any(|e| is_call(e, "sendto", "enter") && e["pid"] != e["tid"]);
    assert!(threaded, "{}", dump(&ev));
}

const SELECTORS_SERVER: &str = r#"
import selectors, socket
sel = selectors.DefaultSelector()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 1234))
srv.listen()
srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ)
served = 0
while served < 1:
    for key, _ in sel.select():
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
        else:
            data = s.recv(1024)
            if data:
                s.sendall(data)
            else:
                sel.unregister(s)
                s.close()
                served += 1
"#;

#[test]
fn a_selectors_server() {
    let test = "a_selectors_server";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    let tmp = std::env::temp_dir().join(format!("sockscope-sel-{}.py", std::process::id()));
    std::fs::write(&tmp, SELECTORS_SERVER).unwrap();
    let script = format!(
        "python3 {} & {}; python3 echo_client.py; wait",
        tmp.display(),
        wait_listen("04D2")
    );
    let (ev, status) = run_json(&dir, &script);
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(status, 0, "{}", dump(&ev));
    // The server waits in epoll_wait (or poll/select) on its sockets, and its wait returns
    // after the packet that woke it: the client's data.
    let waits = |e: &Value| {
        [
            "epoll_wait",
            "epoll_pwait",
            "poll",
            "ppoll",
            "select",
            "pselect6",
        ]
        .iter()
        .any(|c| is_call(e, c, "enter"))
            && e["args"].as_str().unwrap_or("").contains("socket")
    };
    position(&ev, "a wait on sockets", waits);
    let data = position(&ev, "client data", |e| {
        is_packet(e) && e["transport"]["dst_port"] == 1234 && e["payload_len"] == 12
    });
    let recv = position(&ev, "server recv", |e| {
        returns(e, "recvfrom") && e["result"] == 12
    });
    assert!(data < recv, "{}", dump(&ev));
}

#[test]
fn nc_as_a_client() {
    let test = "nc_as_a_client";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    if !have(test, "nc") {
        return;
    }
    let script = format!(
        "python3 echo_server.py & {}; printf 'hello\\n' | nc -N 127.0.0.1 1234; wait",
        wait_listen("04D2")
    );
    let (ev, status) = run_json(&dir, &script);
    assert_eq!(status, 0, "{}", dump(&ev));
    let enter = position(&ev, "nc connect", |e| {
        is_call(e, "connect", "enter") && e["comm"] == "nc"
    });
    let syn = position(&ev, "SYN", |e| {
        is_packet(e) && e["transport"]["flags"] == "SYN" && e["transport"]["dst_port"] == 1234
    });
    // nc connects without blocking: connect returns 0 or EINPROGRESS, and nc waits for the
    // handshake in select or poll.
    position(&ev, "nc connect return", |e| {
        returns(e, "connect")
            && e["comm"] == "nc"
            && (e["result"] == 0 || e["errno"] == "EINPROGRESS")
    });
    assert!(enter < syn, "{}", dump(&ev));
    // nc writes its input with write(2) on the socket: decoded too, before its segment.
    let write = position(&ev, "nc write", |e| {
        (is_call(e, "write", "enter") || is_call(e, "sendto", "enter")) && e["comm"] == "nc"
    });
    let data = position(&ev, "nc data", |e| {
        is_packet(e) && e["transport"]["dst_port"] == 1234 && e["payload_len"] == 6
    });
    assert!(write < data, "{}", dump(&ev));
}

#[test]
fn the_udp_pair() {
    let test = "the_udp_pair";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    // 12000 = 0x2EE0; a bound UDP socket is state 07 in /proc/net/udp.
    let script = "python3 udp_server.py & S=$!; i=0; while [ $i -lt 200 ] && \
        ! grep -q ':2EE0 00000000:0000 07' /proc/net/udp; do sleep 0.05; i=$((i+1)); done; \
        printf 'hello\\nend\\n' | python3 udp_client.py; kill $S; wait $S; exit 0";
    let (ev, status) = run_json(&dir, script);
    assert_eq!(status, 0, "{}", dump(&ev));
    let send = position(&ev, "client sendto", |e| {
        is_call(e, "sendto", "enter") && e["args"].as_str().unwrap_or("").contains(":12000")
    });
    let request = position(&ev, "request datagram", |e| {
        is_packet(e) && e["transport"]["dst_port"] == 12000
    });
    let server_recv = position(&ev, "server recvfrom", |e| {
        returns(e, "recvfrom") && e["result"] == 5
    });
    let reply = position(&ev, "reply datagram", |e| {
        is_packet(e) && e["transport"]["src_port"] == 12000
    });
    let client_pid = ev[send]["pid"].clone();
    let client_recv = position(&ev, "client recvfrom", |e| {
        returns(e, "recvfrom") && e["pid"] == client_pid && e["result"] == 5
    });
    assert!(
        send < request && request < server_recv && server_recv < reply && reply < client_recv,
        "{}",
        dump(&ev)
    );
}

const RST_SCRIPT: &str = r#"
import socket, struct, time, os
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 1234))
srv.listen()
if os.fork() == 0:
    c = socket.create_connection(("127.0.0.1", 1234))
    time.sleep(0.3)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    os._exit(0)
conn, _ = srv.accept()
try:
    conn.recv(1024)
except ConnectionResetError:
    print("reset")
os.wait()
"#;

#[test]
fn an_rst_close_fails_the_peers_recv_with_econnreset() {
    let test = "an_rst_close_fails_the_peers_recv_with_econnreset";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    let tmp = std::env::temp_dir().join(format!("sockscope-rst-{}.py", std::process::id()));
    std::fs::write(&tmp, RST_SCRIPT).unwrap();
    let (ev, status) = run_json(&dir, &format!("python3 {}", tmp.display()));
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(status, 0, "{}", dump(&ev));
    let linger = position(&ev, "SO_LINGER", |e| {
        is_call(e, "setsockopt", "enter") && e["args"].as_str().unwrap_or("").contains("SO_LINGER")
    });
    let close = position(&ev, "close enter", |e| {
        is_call(e, "close", "enter") && e["pid"] == ev[linger]["pid"]
    });
    let rst = position(&ev, "RST", |e| {
        is_packet(e)
            && e["transport"]["flags"]
                .as_str()
                .unwrap_or("")
                .starts_with("RST")
    });
    let reset = position(&ev, "recv ECONNRESET", |e| {
        returns(e, "recvfrom") && e["errno"] == "ECONNRESET"
    });
    assert!(
        linger < close && close < rst && rst < reset,
        "{}",
        dump(&ev)
    );
}

#[test]
fn run_w_saves_a_pcapng_that_tshark_opens_and_replay_shows_again() {
    let test = "run_w_saves_a_pcapng_that_tshark_opens_and_replay_shows_again";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    if !have(test, "tshark") {
        return;
    }
    let file = std::env::temp_dir().join(format!("sockscope-runw-{}.pcapng", std::process::id()));
    let script = format!(
        "python3 echo_server.py & {}; python3 echo_client.py; wait",
        wait_listen("04D2")
    );
    let inner = format!(
        "ip link set lo up && exec {BIN} run --json -w {} -- sh -c {}",
        file.display(),
        shell_quote(&script)
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &inner])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let packets = live.iter().filter(|e| is_packet(e)).count();
    let calls = live.iter().filter(|e| e["event"] == "call").count();
    assert!(packets >= 10 && calls >= 10, "{}", dump(&live));
    // tshark opens it: every packet and every call record is a frame.
    let t = Command::new("tshark")
        .args(["-r", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let frames = String::from_utf8_lossy(&t.stdout).lines().count();
    assert_eq!(frames, packets + calls);
    // replay --json shows the same calls, in the same places among the packets.
    let r = Command::new(BIN)
        .args(["replay", "--json", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let replayed: Vec<Value> = String::from_utf8_lossy(&r.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let kinds = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|e| match e["event"].as_str() {
                Some("call") => format!("{} {} {}", e["call"], e["phase"], e["ts"]),
                _ => format!("packet {}", e["ts"]),
            })
            .collect()
    };
    assert_eq!(kinds(&replayed), kinds(&live));
    // And the learner view of the file has the call lines.
    let r = Command::new(BIN)
        .args(["replay", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("→ connect(") && text.contains("SYN"),
        "{text}"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn run_ladder_names_the_programs_and_draws_calls_on_their_side() {
    let test = "run_ladder_names_the_programs_and_draws_calls_on_their_side";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    let script = format!(
        "python3 echo_server.py & {}; python3 echo_client.py; wait",
        wait_listen("04D2")
    );
    let inner = format!(
        "ip link set lo up && exec {BIN} run --ladder --color never -- sh -c {}",
        shell_quote(&script)
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &inner])
        .env("COLUMNS", "160")
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("python3 echo_server.py [pid ")
            && text.contains("python3 echo_client.py [pid "),
        "{text}"
    );
    // A call row sits between the lanes' bars.
    assert!(
        text.lines()
            .any(|l| l.contains("│ python3[") && l.contains("← recvfrom")),
        "{text}"
    );
}

/// `live VIEW -c 10` on lo while a client talks to the echo server; its output. The client
/// keeps its socket a moment: a program is found only while it holds the socket (as `ss -p`).
const LINGERING_CLIENT: &str = "import socket, time
s = socket.create_connection(('127.0.0.1', 1234))
s.sendall(b'Hello World!')
s.recv(1024)
time.sleep(0.5)
s.close()
";

fn live_view(dir: &std::path::Path, view: &str) -> String {
    let script = format!(
        "ip link set lo up && python3 echo_server.py >/dev/null & {wait}; \
         {BIN} live -i lo {view} -c 10 --color never > live.out 2>live.err & L=$!; sleep 1; \
         python3 client.py >/dev/null; timeout 10 sh -c \"wait $L\"; wait; cat live.out live.err",
        wait = wait_listen("04D2")
    );
    let tmp = std::env::temp_dir().join(format!(
        "sockscope-live-{}-{}",
        std::process::id(),
        view.trim_start_matches('-')
    ));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::copy(dir.join("echo_server.py"), tmp.join("echo_server.py")).unwrap();
    std::fs::write(tmp.join("client.py"), LINGERING_CLIENT).unwrap();
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .env("COLUMNS", "200")
        .current_dir(&tmp)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn live_views_name_the_program_at_each_end() {
    let test = "live_views_name_the_program_at_each_end";
    let Some(dir) = prerequisites(test) else {
        return;
    };
    for view in ["--flows", "--ladder"] {
        let text = live_view(&dir, view);
        assert!(
            text.contains("python3 echo_server.py [pid ")
                && text.contains("python3 client.py [pid "),
            "{view}:\n{text}"
        );
    }
}
