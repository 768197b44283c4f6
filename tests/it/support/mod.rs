//! Code the test modules share: the generator of the synthetic captures, and the checks of
//! what a test needs from the machine.
//!
//! A test that needs something this machine may lack (a tool such as tshark, CAP_NET_RAW, root,
//! IPv6 loopback, the tcpdump corpus in `../shared`) asks for it with [`require`] or one of the
//! helpers below. When it is there the test runs. When it is missing:
//! - with `CI` set (to anything but the empty string), the test fails and says what is missing
//!   and how to get it: CI installs everything, so a missing prerequisite there is a bug;
//! - otherwise the test returns early after one `SKIP` line on stderr, written to the stream
//!   itself: libtest captures the `print!`/`eprint!` of a passing test, so those lines were lost
//!   and a fresh clone "passed" tests that never ran.

pub mod gen_captures;

use std::io::Write;
use std::path::{Path, PathBuf};

/// What a test does about a prerequisite.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The prerequisite is there.
    Run,
    /// Missing outside CI: return early after printing this line.
    Skip(String),
    /// Missing in CI: fail with this message.
    Fail(String),
}

/// The decision alone, for `test` needing `what` (obtained as `how` says), given whether it
/// is `available` and the value of `CI`.
pub fn verdict(test: &str, what: &str, how: &str, available: bool, ci: Option<&str>) -> Verdict {
    if available {
        Verdict::Run
    } else if ci.is_some_and(|v| !v.is_empty()) {
        Verdict::Fail(format!(
            "{test} needs {what}, which is missing, and CI is set, where every test must run. \
             To get it: {how}."
        ))
    } else {
        Verdict::Skip(format!(
            "SKIP {test}: needs {what}, which is missing. To get it: {how}. \
             (With CI set this is a failure.)"
        ))
    }
}

/// True when `available`. Otherwise fails the calling test when `CI` is set, or prints a skip
/// line the harness shows and returns false (the test then returns). `what` names the
/// prerequisite; `how` says how to get it.
#[track_caller]
pub fn require(what: &str, how: &str, available: bool) -> bool {
    let ci = std::env::var("CI").ok();
    // libtest runs each test on a thread named after it.
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("a test");
    match verdict(test, what, how, available, ci.as_deref()) {
        Verdict::Run => true,
        Verdict::Skip(line) => {
            // Not eprintln!: libtest would capture it and drop it when the test passes.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            false
        }
        Verdict::Fail(message) => panic!("{message}"),
    }
}

/// The Debian package that gives each program the tests run (`.ci/run` installs them all).
const PACKAGES: &[(&str, &str)] = &[
    ("tcpdump", "tcpdump"),
    ("tshark", "tshark"),
    ("nc", "netcat-openbsd"),
    ("curl", "curl"),
    ("python3", "python3"),
    ("ip", "iproute2"),
    ("setcap", "libcap2-bin"),
    ("setpriv", "util-linux"),
    ("chromium", "chromium"),
    ("strace", "strace"),
    ("tmux", "tmux"),
    ("nft", "nftables"),
];

/// The first executable file called `name` in a directory of `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Requires the program `name` on `PATH`.
pub fn tool(name: &str) -> bool {
    let package = PACKAGES
        .iter()
        .find(|(tool, _)| *tool == name)
        .map_or(name, |(_, package)| package);
    require(
        &format!("`{name}` on PATH"),
        &format!("apt-get install {package} (.ci/run installs it)"),
        which(name).is_some(),
    )
}

/// Requires headless Chromium (`chromium` or `chromium-browser`, as scripts/screenshot-ladder.sh
/// looks for).
pub fn chromium() -> bool {
    require(
        "`chromium` (or `chromium-browser`) on PATH",
        "apt-get install chromium (.ci/run installs it)",
        which("chromium")
            .or_else(|| which("chromium-browser"))
            .is_some(),
    )
}

/// Whether this process has CAP_NET_RAW in its effective set (what opening a packet socket
/// needs).
pub fn has_cap_net_raw() -> bool {
    const CAP_NET_RAW: u32 = 13;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let v = s.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(v.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_NET_RAW) != 0)
}

/// Requires CAP_NET_RAW (live capture).
pub fn cap_net_raw() -> bool {
    require(
        "CAP_NET_RAW, to open packet sockets",
        "run the tests as root (CI does), e.g. `sudo -E cargo test --release`",
        has_cap_net_raw(),
    )
}

/// Whether this process runs as root (uid 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:\t0\t")))
}

/// Requires root, to run a program as another user or to give a file capabilities.
pub fn root(why: &str) -> bool {
    require(
        &format!("root, {why}"),
        "run the tests as root (CI does), e.g. `sudo -E cargo test --release`",
        is_root(),
    )
}

/// Requires that files in `dir` can be given capabilities that then take effect (`works`);
/// `detail` says what went wrong.
pub fn file_capabilities(dir: &Path, works: bool, detail: &str) -> bool {
    require(
        &format!(
            "file capabilities that work in {} ({detail})",
            dir.display()
        ),
        "point TMPDIR at a file system that stores them (ext4, xfs, btrfs, tmpfs) and is not \
         mounted nosuid",
        works,
    )
}

/// Requires IPv6 on the loopback interface (`::1`).
pub fn ipv6_loopback() -> bool {
    require(
        "IPv6 loopback (::1)",
        "enable IPv6 on lo: `sysctl -w net.ipv6.conf.lo.disable_ipv6=0`",
        std::net::TcpListener::bind("[::1]:0").is_ok(),
    )
}

/// The directory of shared test data beside the repository (`../shared`, as in CI), or the
/// one `SOCKSCOPE_SHARED` names (for a checkout somewhere else, e.g. a git worktree).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SOCKSCOPE_SHARED") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// Requires `rel` inside the shared directory (e.g. `corpus/tcpdump`); returns its path.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = shared_dir().join(rel);
    require(
        &format!("{} (shared test data)", path.display()),
        "put the shared directory (tcpdump's test corpus in corpus/tcpdump, the conformance \
         script in tools/) beside the repository as ../shared, or set SOCKSCOPE_SHARED to it",
        path.exists(),
    )
    .then_some(path)
}

/// Requires tcpdump's test corpus; returns its directory.
pub fn corpus() -> Option<PathBuf> {
    shared("corpus/tcpdump")
}

/// Copies the executable `src` to `dst` and returns once `dst` can be executed. Another test's
/// fork made while the copy's file was open for writing holds it open until that child execs,
/// and an exec meanwhile fails with ETXTBSY ("Text file busy"); this waits that out.
pub fn copy_executable(src: &Path, dst: &Path) {
    std::fs::copy(src, dst).unwrap();
    for _ in 0..100 {
        match std::process::Command::new(dst)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
        {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => return,
        }
    }
    panic!("{} stayed busy (ETXTBSY) for 2 s", dst.display());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn present_prerequisites_run_whatever_ci_says() {
        for ci in [None, Some(""), Some("true")] {
            assert_eq!(verdict("t", "x", "y", true, ci), Verdict::Run);
        }
    }

    #[test]
    fn a_missing_prerequisite_skips_outside_ci_and_fails_in_ci() {
        for ci in [None, Some("")] {
            let Verdict::Skip(line) = verdict(
                "m::t",
                "`tshark` on PATH",
                "apt-get install tshark",
                false,
                ci,
            ) else {
                panic!("not a skip with CI={ci:?}");
            };
            assert!(
                line.starts_with("SKIP m::t: needs `tshark` on PATH"),
                "{line}"
            );
            assert!(
                line.contains("To get it: apt-get install tshark."),
                "{line}"
            );
        }
        for ci in ["true", "1", "yes"] {
            let Verdict::Fail(message) = verdict(
                "m::t",
                "`tshark` on PATH",
                "apt-get install tshark",
                false,
                Some(ci),
            ) else {
                panic!("not a failure with CI={ci:?}");
            };
            assert!(message.contains("m::t needs `tshark` on PATH"), "{message}");
            assert!(
                message.contains("To get it: apt-get install tshark."),
                "{message}"
            );
        }
    }

    /// The environment variable that makes [`missing_prerequisite_probe`] ask for something
    /// that does not exist; without it that test does nothing.
    const PROBE: &str = "SOCKSCOPE_TEST_PREREQUISITE_PROBE";

    #[test]
    fn missing_prerequisite_probe() {
        if std::env::var_os(PROBE).is_none() {
            return;
        }
        if !require(
            "a prerequisite no machine has",
            "nowhere, it is a probe",
            false,
        ) {
            return;
        }
        unreachable!("the probe's prerequisite cannot be there");
    }

    /// Runs the probe in a child of this test binary, with the harness capturing output as it
    /// does by default.
    fn probe(ci: Option<&str>) -> std::process::Output {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args(["--exact", "support::tests::missing_prerequisite_probe"])
            .env(PROBE, "1")
            .env_remove("CI");
        if let Some(ci) = ci {
            c.env("CI", ci);
        }
        c.output().unwrap()
    }

    #[test]
    fn the_skip_line_shows_through_the_harness_and_ci_makes_it_a_failure() {
        let skipped = probe(None);
        let err = String::from_utf8_lossy(&skipped.stderr);
        assert!(skipped.status.success(), "{err}");
        assert!(
            err.contains(
                "SKIP support::tests::missing_prerequisite_probe: needs a prerequisite no \
                 machine has, which is missing. To get it: nowhere, it is a probe."
            ),
            "the harness swallowed the skip line: {err}"
        );
        let failed = probe(Some("true"));
        let out = String::from_utf8_lossy(&failed.stdout);
        assert!(!failed.status.success(), "{out}");
        assert!(
            out.contains(
                "support::tests::missing_prerequisite_probe needs a prerequisite no machine \
                 has, which is missing, and CI is set"
            ),
            "{out}"
        );
        assert!(out.contains("To get it: nowhere, it is a probe."), "{out}");
        assert!(!out.contains("SKIP"), "{out}");
    }
}
