//! `sockscope run` on real programs: the seed tutorials' Python echo server and client run
//! unchanged under the tracer, and the JSON timeline must put calls and packets in their
//! physical order (issue 10, point 1). Each run happens in a network namespace of its own, so
//! the seed programs' fixed port cannot meet anyone else's traffic.
//!
//! Needs root (CAP_NET_RAW for the capture, CAP_SYS_ADMIN for the namespace), python3, unshare
//! and ip: without them the tests print a visible skip line and pass, or fail when CI is set.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub(super) const BIN: &str = env!("CARGO_BIN_EXE_sockscope");

/// The seed programs: `../shared/seed-programs` beside the crate (CI and the main checkout),
/// else SOCKSCOPE_SEED_PROGRAMS, else /work/shared/seed-programs.
pub(super) fn seed_dir() -> Option<PathBuf> {
    let rel = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seed-programs");
    [
        Some(rel),
        std::env::var_os("SOCKSCOPE_SEED_PROGRAMS").map(PathBuf::from),
        Some(PathBuf::from("/work/shared/seed-programs")),
    ]
    .into_iter()
    .flatten()
    .find(|d| d.join("echo_server.py").is_file())
}

/// Whether the prerequisites are there; if not, fails under CI and prints a skip line otherwise.
pub(super) fn prerequisites(test: &str) -> Option<PathBuf> {
    let ok = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing = if !ok("python3", &["-c", "pass"]) {
        Some("python3")
    } else if !ok("unshare", &["-n", "ip", "link", "set", "lo", "up"]) {
        Some("root (a network namespace with unshare -n and ip)")
    } else {
        None
    };
    let dir = seed_dir();
    let missing = missing.or(dir.is_none().then_some("the seed programs"));
    if let Some(m) = missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {m} missing, and CI is set"
        );
        let _ = writeln!(std::io::stderr(), "SKIP {test}: needs {m}");
        return None;
    }
    dir
}

/// Runs `sockscope run --json -- sh -c SCRIPT` in a new network namespace; the events and the
/// exit status.
pub(super) fn run_json(dir: &PathBuf, script: &str) -> (Vec<Value>, i32) {
    let inner = format!(
        "ip link set lo up && exec {BIN} run --json -- sh -c {}",
        shell_quote(script)
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &inner])
        .current_dir(dir)
        .output()
        .expect("unshare runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let events = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l}: {e}")))
        .collect();
    (events, out.status.code().unwrap_or(-1))
}

pub(super) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The server starts, and the client starts once port 1234 listens (state 0A in the table).
const ECHO: &str = "python3 echo_server.py & \
    i=0; while [ $i -lt 200 ] && ! grep -q ':04D2 00000000:0000 0A' /proc/net/tcp; do \
    sleep 0.05; i=$((i+1)); done; python3 echo_client.py; wait";

pub(super) fn position(ev: &[Value], what: &str, f: impl Fn(&Value) -> bool) -> usize {
    ev.iter()
        .position(f)
        .unwrap_or_else(|| panic!("no {what} in:\n{}", dump(ev)))
}

pub(super) fn dump(ev: &[Value]) -> String {
    ev.iter()
        .map(|e| match e["event"].as_str() {
            Some("call") => format!(
                "{} call {} {} {}({}) = {} {}",
                e["ts"], e["pid"], e["phase"], e["call"], e["args"], e["result"], e["errno"]
            ),
            _ => format!(
                "{} packet {}:{} {}",
                e["ts"],
                e["transport"]["src_port"],
                e["transport"]["dst_port"],
                e["transport"]["flags"]
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn is_call(e: &Value, call: &str, phase: &str) -> bool {
    e["event"] == "call" && e["call"] == call && e["phase"] == phase
}

fn is_tcp(e: &Value, flags: &str, to_server: bool) -> bool {
    let t = &e["transport"];
    let port = if to_server { "dst_port" } else { "src_port" };
    e["event"] == "packet" && t["flags"] == flags && t[port] == 1234
}

/// Checks issue 10's orderings on one run of the echo client and server.
fn check_echo_orderings(ev: &[Value]) {
    // The output is in time order.
    let ts: Vec<f64> = ev
        .iter()
        .map(|e| e["ts"].as_str().unwrap().parse::<f64>().unwrap())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "not in time order:\n{}",
        dump(ev)
    );
    let connect_enter = position(ev, "connect enter", |e| {
        is_call(e, "connect", "enter") && e["args"].as_str().unwrap_or("").contains(":1234")
    });
    let client = ev[connect_enter]["pid"].clone();
    let syn = position(ev, "SYN", |e| is_tcp(e, "SYN", true));
    let syn_ack = position(ev, "SYN-ACK", |e| is_tcp(e, "SYN-ACK", false));
    let last_ack = syn_ack
        + 1
        + position(&ev[syn_ack + 1..], "handshake ACK", |e| {
            is_tcp(e, "ACK", true)
        });
    let connect_return = position(ev, "connect return", |e| {
        is_call(e, "connect", "return") && e["pid"] == client && e["result"] == 0
    });
    let accept_return = position(ev, "accept return", |e| {
        (is_call(e, "accept4", "return") || is_call(e, "accept", "return"))
            && e["result"].as_i64().is_some_and(|r| r >= 0)
    });
    let server = ev[accept_return]["pid"].clone();
    let send_enter = position(ev, "client send enter", |e| {
        is_call(e, "sendto", "enter") && e["pid"] == client
    });
    let data = position(ev, "data segment", |e| {
        is_tcp(e, "PSH-ACK", true) && e["payload_len"].as_u64().unwrap_or(0) > 0
    });
    let recv_data = position(ev, "server recv of the data", |e| {
        is_call(e, "recvfrom", "return") && e["pid"] == server && e["result"] == 12
    });
    let close_enter = position(ev, "client close enter", |e| {
        is_call(e, "close", "enter") && e["pid"] == client
    });
    let fin = position(ev, "client FIN", |e| is_tcp(e, "FIN-ACK", true));
    let recv_eof = position(ev, "server recv 0", |e| {
        is_call(e, "recvfrom", "return") && e["pid"] == server && e["result"] == 0
    });
    let order = [
        ("connect enter < SYN", connect_enter < syn),
        ("SYN < SYN-ACK", syn < syn_ack),
        ("SYN-ACK < connect return", syn_ack < connect_return),
        ("handshake ACK < accept return", last_ack < accept_return),
        ("send enter < data segment", send_enter < data),
        ("data segment < recv return", data < recv_data),
        ("close enter < FIN", close_enter < fin),
        ("FIN < recv returning 0", fin < recv_eof),
    ];
    for (what, ok) in order {
        assert!(ok, "{what} does not hold:\n{}", dump(ev));
    }
}

#[test]
fn echo_client_and_server_orderings_hold_20_times() {
    let Some(dir) = prerequisites("echo_client_and_server_orderings_hold_20_times") else {
        return;
    };
    for round in 0..20 {
        let (ev, status) = run_json(&dir, ECHO);
        assert_eq!(status, 0, "round {round}: exit status\n{}", dump(&ev));
        check_echo_orderings(&ev);
    }
}

#[test]
fn a_refused_connect_returns_econnrefused_after_the_rst() {
    let Some(dir) = prerequisites("a_refused_connect_returns_econnrefused_after_the_rst") else {
        return;
    };
    let script = "python3 -c \"import socket; socket.socket().connect(('127.0.0.1', 1234))\"";
    let (ev, status) = run_json(&dir, script);
    // Python's exit status (1, the uncaught ConnectionRefusedError) is sockscope's.
    assert_eq!(status, 1, "{}", dump(&ev));
    let enter = position(&ev, "connect enter", |e| is_call(e, "connect", "enter"));
    let syn = position(&ev, "SYN", |e| is_tcp(e, "SYN", true));
    let rst = position(&ev, "RST", |e| is_tcp(e, "RST-ACK", false));
    let ret = position(&ev, "connect return", |e| {
        is_call(e, "connect", "return") && e["errno"] == "ECONNREFUSED"
    });
    assert!(enter < syn && syn < rst && rst < ret, "{}", dump(&ev));
    // Calls carry the documented keys.
    for k in [
        "ts", "pid", "tid", "comm", "call", "phase", "fd", "local", "remote", "result", "errno",
        "flow",
    ] {
        assert!(ev[ret].get(k).is_some(), "call without {k}");
    }
}

#[test]
fn a_missing_program_is_a_one_line_error() {
    let out = Command::new(BIN)
        .args(["run", "--no-capture", "--", "/nonexistent/program"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot run /nonexistent/program"), "{err}");
}

#[test]
fn the_exit_status_is_the_programs() {
    let out = Command::new(BIN)
        .args(["run", "--no-capture", "--", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn under_sudo_the_program_runs_as_the_sudo_user() {
    if !crate::support::root("to run the traced program as another user") {
        return;
    }
    let out = Command::new(BIN)
        .args(["run", "--no-capture", "--", "id", "-u"])
        .env("SUDO_UID", "65534")
        .env("SUDO_GID", "65534")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.lines().any(|l| l == "65534"), "{text}");
    // Without sudo's variables, root stays root.
    let out = Command::new(BIN)
        .args(["run", "--no-capture", "--", "id", "-u"])
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l == "0"), "{text}");
}

/// tcpdump's "N packets received by filter" line of the run's standard error.
fn received_by_filter(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(" packets received by filter"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in:\n{stderr}"))
}

#[test]
fn the_kernel_filter_lets_only_the_programs_ports_through() {
    let Some(dir) = prerequisites("the_kernel_filter_lets_only_the_programs_ports_through") else {
        return;
    };
    // A busy unrelated flow in the same namespace: UDP to port 9999, 2,000 datagrams a second.
    let noise = "python3 -c \"import socket, time\ns = socket.socket(socket.AF_INET, \
        socket.SOCK_DGRAM)\nend = time.time() + 30\nwhile time.time() < end:\n    \
        s.sendto(b'x' * 20, ('127.0.0.1', 9999)); time.sleep(0.0005)\" & sleep 0.3; ";
    let inner = format!(
        "ip link set lo up && {noise}{BIN} run --json -- sh -c {}; s=$?; kill $!; exit $s",
        shell_quote(ECHO)
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &inner])
        .current_dir(&dir)
        .output()
        .expect("unshare runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let packets: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "packet")
        .collect();
    assert!(packets.len() >= 10, "{text}");
    // Every packet the kernel let through is one of the program's: the noise never reached
    // the capture socket.
    assert_eq!(
        received_by_filter(&err),
        packets.len() as u64,
        "{err}\n{}",
        dump(&packets)
    );
}

#[test]
fn a_connection_over_a_veth_pair_is_captured_on_its_interface() {
    let Some(_) = prerequisites("a_connection_over_a_veth_pair_is_captured_on_its_interface")
    else {
        return;
    };
    let pair = VethPair::new("ssr");
    let (a, b, ok) = (pair.a.clone(), pair.b.clone(), pair.ok);
    let server = "import socket\ns = socket.socket()\ns.bind(('10.77.0.2', 7007))\ns.listen()\n\
        c, _ = s.accept()\nc.sendall(c.recv(100))\nc.close()";
    let client = "import socket, time\nfor i in range(100):\n    try:\n        \
        s = socket.create_connection(('10.77.0.2', 7007)); break\n    except OSError:\n        \
        time.sleep(0.05)\ns.sendall(b'hello')\ns.recv(100)\ns.close()";
    let out = ok.then(|| {
        let mut srv = Command::new("ip")
            .args(["netns", "exec", &b, "python3", "-c", server])
            .spawn()
            .expect("ip netns exec runs");
        let out = Command::new("ip")
            .args(["netns", "exec", &a, BIN, "run", "--json", "--"])
            .args(["python3", "-c", client])
            .output()
            .expect("ip netns exec runs");
        let _ = srv.wait();
        out
    });
    drop(pair);
    let out = out.expect("the veth pair between two namespaces is set up");
    let text = String::from_utf8_lossy(&out.stdout);
    let ev: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let connect = position(&ev, "connect enter", |e| is_call(e, "connect", "enter"));
    let syn = position(&ev, "SYN", |e| {
        e["event"] == "packet"
            && e["transport"]["flags"] == "SYN"
            && e["transport"]["dst_port"] == 7007
            && e["net"]["dst"] == "10.77.0.2"
    });
    assert!(connect < syn, "{}", dump(&ev));
}

/// Two network namespaces joined by a veth pair: `a` has 10.77.0.1/24, `b` 10.77.0.2/24, each
/// with its `lo` up. Both namespaces are deleted when this is dropped.
pub(super) struct VethPair {
    pub a: String,
    pub b: String,
    /// Whether every step of the setup succeeded.
    pub ok: bool,
}

impl VethPair {
    /// Namespaces named `<prefix>A<pid>` and `<prefix>B<pid>`.
    pub(super) fn new(prefix: &str) -> VethPair {
        let id = std::process::id();
        let (a, b) = (format!("{prefix}A{id}"), format!("{prefix}B{id}"));
        let setup = [
            format!("netns add {a}"),
            format!("netns add {b}"),
            format!("link add {prefix}a{id} netns {a} type veth peer name {prefix}b{id} netns {b}"),
            format!("-n {a} addr add 10.77.0.1/24 dev {prefix}a{id}"),
            format!("-n {b} addr add 10.77.0.2/24 dev {prefix}b{id}"),
            format!("-n {a} link set {prefix}a{id} up"),
            format!("-n {b} link set {prefix}b{id} up"),
            format!("-n {a} link set lo up"),
            format!("-n {b} link set lo up"),
        ];
        let ok = setup.iter().all(|c| ip(c));
        VethPair { a, b, ok }
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        ip(&format!("netns del {}", self.a));
        ip(&format!("netns del {}", self.b));
    }
}

/// Runs `ip ARGS…`; whether it succeeded.
fn ip(args: &str) -> bool {
    Command::new("ip")
        .args(args.split_whitespace())
        .status()
        .is_ok_and(|s| s.success())
}
