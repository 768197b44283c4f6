//! `sockscope run` of a server listening on the wildcard address (0.0.0.0), reached from another
//! host: a client in a second network namespace, over a veth pair. The first SYN arrives on the
//! veth interface before any accept names it; it must be captured all the same (as root).

use std::process::Command;

use serde_json::Value;

use crate::run_trace::{BIN, VethPair, dump, is_call, position, prerequisites};

#[test]
fn a_wildcard_listener_sees_the_first_syn_from_another_host() {
    let test = "a_wildcard_listener_sees_the_first_syn_from_another_host";
    if prerequisites(test).is_none() {
        return;
    }
    let pair = VethPair::new("ssw");
    let server = "import socket\ns = socket.socket()\n\
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('0.0.0.0', 7007))\n\
        s.listen()\nc, _ = s.accept()\nc.sendall(c.recv(100))\nc.close()";
    let client = "import socket, time\nfor i in range(200):\n    try:\n        \
        s = socket.create_connection(('10.77.0.2', 7007)); break\n    except OSError:\n        \
        time.sleep(0.05)\ns.sendall(b'hello')\ns.recv(100)\ns.close()";
    let out = pair.ok.then(|| {
        let traced = Command::new("ip")
            .args(["netns", "exec", &pair.b, BIN, "run", "--json", "--"])
            .args(["python3", "-c", server])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ip netns exec runs");
        let client = Command::new("ip")
            .args(["netns", "exec", &pair.a, "python3", "-c", client])
            .status();
        (traced.wait_with_output().expect("run ends"), client)
    });
    drop(pair);
    let (out, client) = out.expect("the veth pair between two namespaces is set up");
    assert!(client.is_ok_and(|s| s.success()), "the client failed");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let listen = position(&ev, "listen return", |e| is_call(e, "listen", "return"));
    // The SYN the listener answers: the client may also have tried (and been refused) between
    // the bind and the listen.
    let syn = listen
        + position(
            &ev[listen..],
            "the client's SYN on the veth after listen",
            |e| {
                e["event"] == "packet"
                    && e["transport"]["flags"] == "SYN"
                    && e["transport"]["dst_port"] == 7007
                    && e["net"]["src"] == "10.77.0.1"
            },
        );
    let accept = position(&ev, "accept return", |e| {
        (is_call(e, "accept4", "return") || is_call(e, "accept", "return"))
            && e["result"].as_i64().is_some_and(|r| r >= 0)
    });
    assert!(listen < syn && syn < accept, "{}", dump(&ev));
}
