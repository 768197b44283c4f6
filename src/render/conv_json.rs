//! `flows --json` and `ladder --json`: one JSON object per conversation per line, so other
//! tools can tabulate or draw them. The fields are described in docs/json.md; analysis events
//! carry Wireshark's `tcp.analysis.*` field names.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::ladder::{Diagram, Row};
use crate::track::analysis::Analysis;
use crate::track::{Dir, Flow, Tracker};

fn endpoint((ip, port): (std::net::IpAddr, u16)) -> Value {
    json!({ "ip": ip.to_string(), "port": port })
}

/// One conversation as `flows --json` writes it.
pub fn flow(f: &Flow) -> Value {
    let analysis: serde_json::Map<String, Value> = Analysis::TABLE
        .iter()
        .filter(|(bit, _, _)| f.count(*bit) > 0)
        .map(|(bit, name, _)| (name.to_string(), json!(f.count(*bit))))
        .collect();
    let side = |i: usize| json!({ "packets": f.sides[i].segments, "bytes": f.sides[i].bytes });
    json!({
        "index": f.index,
        "protocol": if f.is_tcp() { "tcp" } else { "udp" },
        "client": endpoint(f.client),
        "server": endpoint(f.server),
        "roles_guessed": f.is_tcp() && f.roles.guessed(),
        "to_server": side(0),
        "to_client": side(1),
        "first_ns": f.first_ts.nanos_since(crate::source::Timestamp::new(0, 0)) as i64,
        "duration_ns": f.duration_ns(),
        "handshake_rtt_ns": f.handshake_rtt_ns,
        "outcome": f.outcome().short(),
        "outcome_text": f.outcome().describe(),
        "udp_request_responses": if f.is_tcp() { None } else { Some(f.udp_pairs) },
        "analysis": analysis,
    })
}

/// Every conversation of `t`, one object per line.
pub fn write_flows(out: &mut dyn Write, t: &Tracker) -> io::Result<()> {
    for f in t.summaries() {
        writeln!(out, "{}", flow(&f))?;
    }
    Ok(())
}

/// One diagram as `ladder --json` writes it: the conversation, the states before its first
/// segment, and its rows in order (segments with their notes, and state changes).
pub fn diagram(d: &Diagram) -> Value {
    let state = |s: Option<crate::track::state::TcpState>| s.map(|s| s.name());
    let rows: Vec<Value> = d
        .rows
        .iter()
        .map(|r| match r {
            Row::Arrow(a) => json!({
                "kind": "segment",
                "frame": a.number,
                "time_ms": a.time_ms,
                "direction": match a.dir {
                    Dir::ToServer => "to_server",
                    Dir::ToClient => "to_client",
                },
                "flags": a.flags,
                "numbers": a.numbers,
                "analysis": a.analysis,
                "notes": a.notes,
            }),
            Row::States { client, server } => json!({
                "kind": "states",
                "client": state(*client),
                "server": state(*server),
            }),
        })
        .collect();
    json!({
        "index": d.index,
        "protocol": if d.tcp { "tcp" } else { "udp" },
        "client": d.client_label,
        "server": d.server_label,
        "title": d.title,
        "summary": d.summary,
        "initial_states": { "client": state(d.initial[0]), "server": state(d.initial[1]) },
        "rows": rows,
        "rows_not_drawn": d.elided,
    })
}

/// Every diagram, one object per line.
pub fn write_diagrams(out: &mut dyn Write, ds: &[Diagram]) -> io::Result<()> {
    for d in ds {
        writeln!(out, "{}", diagram(d))?;
    }
    Ok(())
}
