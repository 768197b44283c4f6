//! The integration tests, as one test binary (one link instead of one per file). Each module
//! was a file of its own under tests/; insta names their snapshots `it__<module>__<name>.snap`
//! in tests/it/snapshots/.
//!
//! A test that needs something the machine may lack asks [`support`] for it: missing, it is
//! skipped with a visible `SKIP` line, or fails when `CI` is set.

mod analysis_vs_tshark;
mod appl_tcpdump_lines;
mod audit_claims;
mod case_captures;
mod conformance;
mod corpus;
mod decode_agree;
mod demos;
mod explain;
mod exports_html;
mod exports_ladder_window;
mod exports_mermaid;
mod exports_numbering;
mod filter;
mod ladder_export;
mod layers;
mod layout_cmd;
mod lessons;
mod lessons2_netlab;
mod live;
mod pace_lessons;
mod pcapng_reader;
mod perf_ring;
mod polish_rows;
mod reader;
mod run_seeds;
mod run_trace;
mod runx3_call_sentences;
mod runx3_wildcard;
mod stdin_stream;
mod support;
mod sys_privileges;
mod tcpd3_any;
mod tcpd3_pcapng_out;
mod tcpd3_pppoe;
mod tcpd3_signal;
mod tcpd3_time;
mod tcpd3_verbose;
mod tcpd4_vv;
mod tcpdump_cli;
mod teach_points;
mod timeline_lessons;
mod track_views;
mod tui_lesson;
mod tui_live;
mod tui_tmux;
mod views;

/// A snapshot under the old layout (`tests/snapshots/<module>__<name>.snap`, e.g. from a branch
/// made before the move) is never read: it belongs in `tests/it/snapshots/` as
/// `it__<module>__<name>.snap`, contents unchanged.
#[test]
fn no_snapshot_is_left_in_the_old_directory() {
    let old = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let left: Vec<String> = std::fs::read_dir(&old)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".snap"))
        .map(|name| format!("git mv tests/snapshots/{name} tests/it/snapshots/it__{name}"))
        .collect();
    assert!(
        left.is_empty(),
        "snapshots in the old place:\n{}",
        left.join("\n")
    );
}
