//! docs/numbering.md's rule, checked across the views on one capture (the concurrent lesson's
//! pcapng, whose socket-call records are frames too): frames count from 1 over every record of
//! the file, as tshark's frame.number; conversations count from 0 over the whole capture,
//! whatever the filter shows; and the counts that several views print agree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::exports_mermaid::capture;

fn file() -> PathBuf {
    capture("lesson-concurrent.pcapng")
}

/// `sockscope CMD FILE ARGS…` on the capture (CMD may be two words: `explain packet`): standard
/// output.
fn run(cmd: &str, args: &[&str]) -> String {
    let path = file();
    let mut all: Vec<&str> = cmd.split(' ').collect();
    all.push(path.to_str().unwrap());
    all.extend_from_slice(args);
    super::exports_mermaid::sockscope(&all).0
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Per packet (calls left out), from `replay --json`: number → (flow, source port, raw seq).
fn packets() -> BTreeMap<u64, (u64, u64, u64)> {
    json_lines(&run("replay", &["--json"]))
        .into_iter()
        .filter(|p| p["event"] != "call")
        .map(|p| {
            let t = &p["transport"];
            (
                p["number"].as_u64().unwrap(),
                (
                    p["flow"].as_u64().unwrap(),
                    t["src_port"].as_u64().unwrap(),
                    t["seq"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn frame_numbers_agree_between_json_learner_ladder_explain_and_tshark() {
    let packets = packets();
    // The file starts with socket-call records: they are frames too.
    assert!(*packets.keys().next().unwrap() > 1, "{packets:?}");

    // The learner view's -# column.
    let learner: Vec<u64> = run("replay", &["-#"])
        .lines()
        .filter_map(|l| l.get(..5)?.trim().parse().ok())
        .collect();
    assert_eq!(learner, packets.keys().copied().collect::<Vec<_>>());

    // The ladder's frames, and the conversation each is drawn in.
    for d in json_lines(&run("ladder", &["--json"])) {
        for r in d["rows"].as_array().unwrap() {
            if let Some(n) = r["frame"].as_u64() {
                assert_eq!(packets[&n].0, d["index"].as_u64().unwrap(), "frame {n}");
            }
        }
    }
    let drawn: BTreeSet<u64> = json_lines(&run("ladder", &["--json"]))
        .iter()
        .flat_map(|d| {
            let rows = d["rows"].as_array().unwrap().clone();
            rows.into_iter().filter_map(|r| r["frame"].as_u64())
        })
        .collect();
    assert_eq!(drawn, packets.keys().copied().collect());

    // explain packet --frame N is the packet numbered N.
    for (&n, &(_, port, seq)) in packets.iter().step_by(7) {
        let text = run("explain packet", &["--frame", &n.to_string()]);
        let head = text.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(head.starts_with(&format!("Packet {n} of ")), "{head}");
        assert!(head.contains(&format!(".{port} > ")), "frame {n}: {head}");
        // tcpdump's line leaves the seq out of a segment with no data and no SYN or FIN.
        let shows_seq = head.contains(", seq ");
        assert!(
            !shows_seq || head.contains(&format!("seq {seq}")),
            "frame {n}: {head}"
        );
    }

    // tshark numbers the same frames the same way, and its tcp.stream is our conversation.
    if !crate::support::tool("tshark") {
        return;
    }
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file())
        .args([
            "-Y",
            "tcp",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tcp.stream",
        ])
        .args(["-e", "tcp.srcport", "-e", "tcp.seq_raw"])
        .output()
        .unwrap();
    let tshark: BTreeMap<u64, (u64, u64, u64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<u64> = l.split('\t').map(|x| x.parse().unwrap()).collect();
            (f[0], (f[1], f[2], f[3]))
        })
        .collect();
    assert_eq!(tshark, packets);
}

#[test]
fn conversation_numbers_agree_between_views_and_filters() {
    let flows = json_lines(&run("flows", &["--json"]));
    let index: Vec<u64> = flows.iter().map(|f| f["index"].as_u64().unwrap()).collect();
    assert_eq!(index, [0, 1, 2]);
    let ladder = json_lines(&run("ladder", &["--json"]));
    let ladder_index: Vec<u64> = ladder
        .iter()
        .map(|d| d["index"].as_u64().unwrap())
        .collect();
    assert_eq!(ladder_index, index);
    let from_packets: BTreeSet<u64> = packets().values().map(|p| p.0).collect();
    assert_eq!(from_packets, index.iter().copied().collect());
    assert_eq!(
        run("flows", &["port 1"]),
        "no TCP or UDP conversation has a packet that passed the filter (and --skip)\n"
    );
    let quiet = run("replay", &["-q"]);
    for f in &flows {
        let n = f["index"].as_u64().unwrap();
        let (cport, sport) = (
            f["client"]["port"].as_u64().unwrap(),
            f["server"]["port"].as_u64().unwrap(),
        );
        let ns = n.to_string();
        // --flow N in the ladder and follow.
        let one = json_lines(&run("ladder", &["--json", "--flow", &ns]));
        assert_eq!(one[0]["index"], f["index"]);
        assert!(
            one[0]["client"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{cport}"))
        );
        let followed = run("follow", &["--flow", &ns]);
        let to_server = f["to_server"]["bytes"].as_u64().unwrap();
        let to_client = f["to_client"]["bytes"].as_u64().unwrap();
        assert!(
            followed.ends_with(&format!(
                "── end: client → server {to_server} bytes, server → client {to_client} bytes ──\n"
            )),
            "{followed}"
        );
        // -q lists it as #N with the same counts.
        let line = format!(
            "  #{n} TCP 127.0.0.1:{cport} → 127.0.0.1:{sport}: client→server {} packets, {to_server} payload bytes; server→client {} packets, {to_client} payload bytes",
            f["to_server"]["packets"], f["to_client"]["packets"]
        );
        assert!(quiet.lines().any(|l| l == line), "{line}\n{quiet}");
        // The ladder's summary says the same.
        let summary = one[0]["summary"].as_str().unwrap();
        assert!(
            summary.contains(&format!(
                "client→server {to_server} bytes in {} segments",
                f["to_server"]["packets"]
            )),
            "{summary}"
        );
        // A filter that shows only this conversation keeps its number everywhere.
        let filter = format!("port {cport}");
        let filtered = json_lines(&run("flows", &["--json", &filter]));
        assert_eq!(filtered.len(), 1);
        assert_eq!(filtered[0]["index"], f["index"]);
        assert_eq!(filtered[0]["to_server"], f["to_server"]);
        let table = run("flows", &[&filter]);
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("{n}  TCP")),
            "{table}"
        );
        let drawn = run("ladder", &[&filter]);
        assert!(
            drawn.starts_with(&format!("#{n} TCP 127.0.0.1:{cport} ")),
            "{drawn}"
        );
        let per_packet = json_lines(&run("replay", &["--json", &filter]));
        assert!(
            per_packet
                .iter()
                .filter(|p| p["event"] != "call")
                .all(|p| p["flow"] == f["index"])
        );
        let verbose = run("replay", &["-v", "-c", "1", &filter]);
        assert!(
            verbose.contains(&format!("conversation: {n} (")),
            "{verbose}"
        );
    }
}
