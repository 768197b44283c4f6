//! The tcpdump view's `-v` (`sockscope -nn -v -r FILE`) against `tcpdump -nn -v -r FILE`, line
//! for line over every bundled capture (captures/*.pcap), alone and with `-e`, `-S` and `-t`.
//! The one known difference is not -v's: an IPv4 header cut by the snap length prints `[|ip]`
//! where tcpdump prints `IP  [|ip]` (synthetic-truncated.pcap; the one-line view has it too).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;

/// captures/*.pcap, in order.
pub fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = (std::fs::read_dir(&dir).expect("captures/").flatten())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".pcap"))
        .collect();
    v.sort();
    v
}

/// What `prog args` printed (with TZ=UTC); it must succeed.
pub fn stdout(prog: &str, args: &[&str]) -> String {
    let o = Command::new(prog)
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("runs");
    assert!(o.status.success(), "{prog} {args:?}: {o:?}");
    String::from_utf8(o.stdout).expect("utf-8")
}

/// Compares our lines with tcpdump's for `opts` over `files`, line for line; returns the lines
/// compared. The one known difference (`[|ip]`, above) is checked for its tail only.
pub fn compare(opts: &[&str], files: &[PathBuf]) -> usize {
    let mut compared = 0;
    for f in files {
        let mut args = opts.to_vec();
        args.extend(["-r", f.to_str().expect("utf-8")]);
        let ours = stdout(env!("CARGO_BIN_EXE_sockscope"), &args);
        let theirs = stdout("tcpdump", &args);
        let (ours, theirs): (Vec<&str>, Vec<&str>) =
            (ours.lines().collect(), theirs.lines().collect());
        assert_eq!(ours.len(), theirs.len(), "{args:?}: line count");
        for (a, b) in ours.iter().zip(&theirs) {
            if b.ends_with(" [|ip]") {
                assert!(a.ends_with("[|ip]"), "{args:?}: {a}");
                continue;
            }
            assert_eq!(a, b, "{args:?}");
            compared += 1;
        }
    }
    compared
}

#[test]
fn verbose_lines_match_tcpdump() {
    if !support::tool("tcpdump") {
        return;
    }
    let files = captures();
    let mut compared = 0;
    for opts in [&["-nn", "-v"][..], &["-nnv", "-e"], &["-nnvS", "-t"]] {
        compared += compare(opts, &files);
    }
    assert!(compared > 10_000, "only {compared} lines compared");
}

#[test]
fn more_verbosity_is_refused_in_one_line() {
    let o = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["-nnvvvv", "-r", "captures/lesson-udp.pcap"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("tcpdump's -vvvv is not supported: -vvv is the most"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
