//! The bundled demos on live lessons (`sockscope lesson NAME --json`, as root): their socket
//! calls and the packets come out in physical order, every time: connect enter < SYN < SYN-ACK
//! < connect return, accept returns after the handshake's last ACK, a send's enter before its
//! data, a recv's return after the data it read, close (or shutdown) enter before its FIN, a
//! recv returning 0 after the peer's FIN, ECONNREFUSED after the RST that answered the SYN, and
//! ECONNRESET after the peer's RST (SO_LINGER 0 close).

use std::process::Command;

use serde_json::Value;

/// Whether this process may capture (CAP_NET_RAW in CapEff); without it the test is skipped,
/// or fails when CI is set.
pub(crate) fn can_capture() -> bool {
    crate::support::cap_net_raw()
}

/// One event of a lesson's timeline.
#[derive(Debug, Clone)]
struct Ev {
    ts: u64,
    /// Calls: `client connect enter`, `server recvfrom return`; packets: `c>s SYN`, `s>c DATA`.
    label: String,
    /// The client port of the connection the event belongs to, when known.
    conn: Option<u64>,
    result: Option<i64>,
    errno: Option<String>,
}

/// TCP flag bits (RFC 9293 §3.1).
const FIN: u64 = 1;
const SYN: u64 = 2;
const RST: u64 = 4;
const ACK: u64 = 16;

fn lesson(name: &str) -> Vec<Ev> {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["lesson", name, "--json", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lesson {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // The server's port: where the client connects (or sends) to.
    let server_port = lines
        .iter()
        .find_map(|v| {
            let remote = v.get("remote")?.as_str()?;
            (v["comm"].as_str()?.starts_with("client")).then_some(())?;
            remote.rsplit(':').next()?.parse::<u64>().ok()
        })
        .expect("a client call names the server's address");
    let port = |v: &Value, key: &str| {
        v.get(key)?
            .as_str()?
            .rsplit(':')
            .next()?
            .parse::<u64>()
            .ok()
    };
    // Each client role's own port (from any of its calls that names it).
    let mut client_ports = std::collections::HashMap::new();
    for v in &lines {
        if let (Some(comm), Some(p)) = (v["comm"].as_str(), port(v, "local"))
            && comm.starts_with("client")
        {
            client_ports.insert(comm.to_string(), p);
        }
    }
    let mut evs = Vec::new();
    let mut seen_synack = std::collections::HashSet::new();
    let mut handshake_ack = std::collections::HashSet::new();
    for v in &lines {
        let ts = v["ts_sec"].as_u64().unwrap() * 1_000_000_000 + v["ts_nsec"].as_u64().unwrap();
        let conn;
        let label = if v["event"] == "call" {
            let comm = v["comm"].as_str().unwrap();
            let role = if comm.starts_with("server") {
                conn = port(v, "remote");
                "server"
            } else {
                conn = client_ports.get(comm).copied();
                "client"
            };
            format!(
                "{role} {} {}",
                v["call"].as_str().unwrap(),
                v["phase"].as_str().unwrap()
            )
        } else {
            let t = &v["transport"];
            if t["kind"] != "tcp" {
                continue;
            }
            let dir = if t["dst_port"].as_u64() == Some(server_port) {
                conn = t["src_port"].as_u64();
                "c>s"
            } else {
                conn = t["dst_port"].as_u64();
                "s>c"
            };
            let f = t["flag_bits"].as_u64().unwrap();
            let data = v["payload_len"].as_u64().unwrap_or(0) > 0;
            let what = if f & RST != 0 {
                "RST"
            } else if f & SYN != 0 && f & ACK != 0 {
                seen_synack.insert(conn);
                "SYN-ACK"
            } else if f & SYN != 0 {
                "SYN"
            } else if f & FIN != 0 {
                "FIN"
            } else if data {
                "DATA"
            } else if seen_synack.contains(&conn) && dir == "c>s" && handshake_ack.insert(conn) {
                "HANDSHAKE-ACK"
            } else {
                "ACK"
            };
            format!("{dir} {what}")
        };
        evs.push(Ev {
            ts,
            label,
            conn,
            result: v["result"].as_i64(),
            errno: v["errno"].as_str().map(str::to_string),
        });
    }
    // The timeline's promise: time order.
    assert!(evs.windows(2).all(|w| w[0].ts <= w[1].ts), "{evs:#?}");
    evs
}

/// The position of the first event matching `p`.
fn at(evs: &[Ev], what: &str, p: impl Fn(&Ev) -> bool) -> usize {
    evs.iter()
        .position(p)
        .unwrap_or_else(|| panic!("no {what} in {:#?}", labels(evs)))
}

fn first(evs: &[Ev], label: &str) -> usize {
    at(evs, label, |e| e.label == label)
}

fn labels(evs: &[Ev]) -> Vec<&str> {
    evs.iter().map(|e| e.label.as_str()).collect()
}

fn before(evs: &[Ev], a: usize, b: usize, why: &str) {
    assert!(a < b, "{why}: {:#?}", labels(evs));
}

/// connect enter < SYN < SYN-ACK < connect return; accept returns after the last ACK.
fn handshake(evs: &[Ev]) {
    let enter = first(evs, "client connect enter");
    let syn = first(evs, "c>s SYN");
    let synack = first(evs, "s>c SYN-ACK");
    let ret = first(evs, "client connect return");
    before(evs, enter, syn, "connect enter before the SYN");
    before(evs, syn, synack, "SYN before SYN-ACK");
    before(evs, synack, ret, "connect returns after the SYN-ACK");
    let ack = first(evs, "c>s HANDSHAKE-ACK");
    let accept = first(evs, "server accept4 return");
    before(
        evs,
        ack,
        accept,
        "accept returns after the handshake's last ACK",
    );
}

/// Each side's send enter before its first data segment; the other side's recv returns with
/// bytes after it.
fn data(evs: &[Ev]) {
    for (me, dir, peer) in [("client", "c>s", "server"), ("server", "s>c", "client")] {
        let send = first(evs, &format!("{me} sendto enter"));
        let seg = first(evs, &format!("{dir} DATA"));
        before(
            evs,
            send,
            seg,
            &format!("{me}'s send enter before its data"),
        );
        let recv = at(evs, "a recv with data", |e| {
            e.label == format!("{peer} recvfrom return") && e.result.is_some_and(|r| r > 0)
        });
        before(
            evs,
            seg,
            recv,
            &format!("{peer}'s recv returns after the data"),
        );
    }
}

/// `closer`'s `call` enter before its FIN; the peer's recv returning 0 after that FIN.
fn fin(evs: &[Ev], closer: &str, call: &str) {
    let (dir, peer) = if closer == "client" {
        ("c>s", "server")
    } else {
        ("s>c", "client")
    };
    let enter = first(evs, &format!("{closer} {call} enter"));
    let fin = first(evs, &format!("{dir} FIN"));
    before(
        evs,
        enter,
        fin,
        &format!("{closer}'s {call} enter before its FIN"),
    );
    let eof = at(evs, "a recv returning 0", |e| {
        e.label == format!("{peer} recvfrom return") && e.result == Some(0)
    });
    before(
        evs,
        fin,
        eof,
        &format!("{peer}'s recv returns 0 after the FIN"),
    );
}

fn check_handshake_lesson(evs: &[Ev]) {
    handshake(evs);
    data(evs);
    fin(evs, "client", "close");
}

#[test]
fn the_handshake_lesson_is_in_physical_order_20_times_and_the_same_each_time() {
    if !can_capture() {
        return;
    }
    let mut shapes = Vec::new();
    for _ in 0..20 {
        let evs = lesson("handshake");
        check_handshake_lesson(&evs);
        shapes.push(shape(&evs));
    }
    // Live twice (and more) gives the same order of each side's calls relative to the packets.
    for s in &shapes[1..] {
        assert_eq!(s, &shapes[0]);
    }
}

/// What must not change between runs: per side, its calls among the packets that are not pure
/// ACKs (whether the kernel sends a pure ACK or delays it onto data depends on timing). Of the
/// calls, the enters that can cause packets, and the returns that wait for packets (connect,
/// accept, recv): a send's or close's return, or a recv's enter, can come before or after the
/// peer's next segment depending on how the threads are scheduled, and a polling server retries
/// its reads and accepts on a timer.
fn shape(evs: &[Ev]) -> [Vec<String>; 2] {
    ["client", "server"].map(|side| {
        evs.iter()
            .filter(|e| {
                let l = e.label.as_str();
                if l.ends_with(" ACK") {
                    return false;
                }
                if l.starts_with("c>s") || l.starts_with("s>c") {
                    return true;
                }
                let has = |calls: &[&str]| calls.iter().any(|c| l.contains(&format!(" {c} ")));
                let keep = if l.ends_with(" return") {
                    has(&["connect", "accept4", "recvfrom"])
                } else {
                    !has(&["accept4", "recvfrom"])
                };
                l.starts_with(side) && keep
            })
            .map(|e| e.label.clone())
            .collect()
    })
}

#[test]
fn half_close_orders_shutdown_fins_and_end_of_stream() {
    if !can_capture() {
        return;
    }
    let evs = lesson("half-close");
    handshake(&evs);
    data(&evs);
    fin(&evs, "client", "shutdown");
    fin(&evs, "server", "close");
}

#[test]
fn a_refused_connect_returns_econnrefused_after_the_rst() {
    if !can_capture() {
        return;
    }
    let evs = lesson("refused");
    let enter = first(&evs, "client connect enter");
    let syn = first(&evs, "c>s SYN");
    let rst = first(&evs, "s>c RST");
    let ret = first(&evs, "client connect return");
    before(&evs, enter, syn, "connect enter before the SYN");
    before(&evs, syn, rst, "SYN before the RST");
    before(&evs, rst, ret, "connect returns after the RST");
    assert_eq!(evs[ret].errno.as_deref(), Some("ECONNREFUSED"));
}

#[test]
fn an_rst_close_makes_the_peers_recv_fail_after_the_rst() {
    if !can_capture() {
        return;
    }
    let evs = lesson("reset");
    handshake(&evs);
    data(&evs);
    let close = first(&evs, "client close enter");
    let rst = first(&evs, "c>s RST");
    before(&evs, close, rst, "close enter before its RST");
    let reset = at(&evs, "a recv failing with ECONNRESET", |e| {
        e.label == "server recvfrom return" && e.errno.as_deref() == Some("ECONNRESET")
    });
    before(&evs, rst, reset, "the server's recv fails after the RST");
}

/// The events of each connection (by client port), in order of their first SYN.
fn connections(evs: &[Ev]) -> Vec<Vec<Ev>> {
    let mut ports: Vec<u64> = Vec::new();
    for e in evs {
        if let (Some(p), "c>s SYN") = (e.conn, e.label.as_str())
            && !ports.contains(&p)
        {
            ports.push(p);
        }
    }
    ports
        .iter()
        .map(|&p| evs.iter().filter(|e| e.conn == Some(p)).cloned().collect())
        .collect()
}

/// `side`'s close enter comes before its own FIN.
fn close_before_fin(evs: &[Ev], side: &str) {
    let dir = if side == "client" { "c>s" } else { "s>c" };
    let enter = first(evs, &format!("{side} close enter"));
    let fin = first(evs, &format!("{dir} FIN"));
    before(
        evs,
        enter,
        fin,
        &format!("{side}'s close enter before its FIN"),
    );
}

#[test]
fn the_concurrent_lesson_orders_every_connection_with_both_sides_calls() {
    if !can_capture() {
        return;
    }
    let evs = lesson("concurrent");
    let conns = connections(&evs);
    assert_eq!(conns.len(), 3, "{:#?}", labels(&evs));
    for c in &conns {
        handshake(c);
        data(c);
        fin(c, "client", "close");
        close_before_fin(c, "server");
    }
}

#[test]
fn the_http_lesson_orders_the_servers_calls_too() {
    if !can_capture() {
        return;
    }
    let evs = lesson("http");
    handshake(&evs);
    data(&evs);
    // The body leaves by sendfile: its enter comes before the body's segment.
    let sendfile = first(&evs, "server sendfile enter");
    let body = at(&evs, "a second data segment from the server", |e| {
        e.label == "s>c DATA" && e.ts > evs[first(&evs, "s>c DATA")].ts
    });
    before(&evs, sendfile, body, "sendfile enter before the body");
    close_before_fin(&evs, "client");
    close_before_fin(&evs, "server");
}
