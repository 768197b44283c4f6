//! Privileges: the commands that need none run with no capability at all, even from a binary
//! given `cap_net_raw+eip` or as root; a lesson started with sudo runs its demo servers,
//! clients and parsing as the sudo user, without capabilities. Checked on the running
//! process's `/proc/PID/status` (and every thread's, `/proc/PID/task/TID/status`).
//!
//! These need root, setcap (libcap2-bin) and setpriv (util-linux); without them each test says
//! why on stderr and returns.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;

fn status_of(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The value of a `Name:\tvalue` line of a status text.
fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn cap(status: &str, name: &str) -> u64 {
    u64::from_str_radix(field(status, name).expect("a capability line"), 16).unwrap()
}

fn is_root() -> bool {
    status_of(Path::new("/proc/self/status"))
        .is_some_and(|s| field(&s, "Uid").is_some_and(|u| u.starts_with("0\t")))
}

fn has_tool(t: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {t}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Asserts that a status shows no capability in any set, and no_new_privs.
fn assert_powerless(status: &str) {
    for set in ["CapEff", "CapPrm", "CapInh", "CapAmb"] {
        assert_eq!(cap(status, set), 0, "{set} is not empty:\n{status}");
    }
    assert_eq!(field(status, "NoNewPrivs"), Some("1"), "{status}");
}

/// A scratch directory with a copy of the binary, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("sockscope-{what}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Spawns `make()`, retrying while exec fails with ETXTBSY (a process forked by another test
/// while a copied binary was open for writing may hold that descriptor until its own exec).
fn spawn_retrying(make: impl Fn() -> Command) -> Child {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match make().spawn() {
            Err(e) if e.raw_os_error() == Some(26) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            r => return r.expect("the command starts"),
        }
    }
}

/// Reads the child's stdout until a line containing `marker`; panics if it ends first.
fn wait_for_line(child: &mut Child, marker: &str) -> BufReader<std::process::ChildStdout> {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the output ended before {marker:?}");
        if line.contains(marker) {
            return out;
        }
    }
}

/// Copies `src` into `dir` and gives the copy CAP_NET_RAW; `None` when setcap fails.
fn setcap_copy(src: &Path, dir: &Path) -> Option<PathBuf> {
    let exe = dir.join(src.file_name().unwrap());
    crate::support::copy_executable(src, &exe);
    let set = Command::new("setcap")
        .arg("cap_net_raw+eip")
        .arg(&exe)
        .output()
        .unwrap();
    set.status.success().then_some(exe)
}

/// `demo http server` from a copy of the binary given `cap_net_raw+eip`, run as an ordinary
/// user: the file capability gives it CAP_NET_RAW at exec, and it gives everything up at once.
#[test]
fn a_setcap_binary_serving_http_as_an_ordinary_user_has_no_capability() {
    if !is_root() || !has_tool("setcap") || !has_tool("setpriv") {
        eprintln!("skipped: needs root, setcap (libcap2-bin) and setpriv (util-linux)");
        return;
    }
    let dir = Scratch::new("setcap-http");
    let Some(exe) = setcap_copy(Path::new(env!("CARGO_BIN_EXE_sockscope")), &dir.0) else {
        eprintln!("skipped: this file system takes no file capabilities");
        return;
    };
    // Does this directory honour file capabilities (not mounted nosuid)? A copy of cat, given
    // the same capability, shows it in its own status.
    let cat = setcap_copy(Path::new("/bin/cat"), &dir.0).unwrap();
    let probe = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&cat)
        .arg("/proc/self/status")
        .output()
        .unwrap();
    let probe = String::from_utf8_lossy(&probe.stdout);
    if field(&probe, "CapEff").is_none_or(|v| u64::from_str_radix(v, 16) != Ok(1 << 13)) {
        eprintln!("skipped: {:?} ignores file capabilities (nosuid?)", dir.0);
        return;
    }
    let mut child = spawn_retrying(|| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe)
            .args(["demo", "http", "server", "--port", "0", "--root"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        c
    });
    let _out = wait_for_line(&mut child, "listening on");
    let status = status_of(&PathBuf::from(format!("/proc/{}/status", child.id())));
    let _ = child.kill();
    let _ = child.wait();
    let status = status.expect("the server is running");
    assert!(
        field(&status, "Uid").is_some_and(|u| u.starts_with(&format!("{NOBODY}\t"))),
        "{status}"
    );
    assert_powerless(&status);
}

/// As root, a command that needs no privilege keeps uid 0 but no capability.
#[test]
fn root_serving_http_has_no_capability() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = Scratch::new("root-http");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["demo", "http", "server", "--port", "0", "--root"])
        .arg(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _out = wait_for_line(&mut child, "listening on");
    let status = status_of(&PathBuf::from(format!("/proc/{}/status", child.id())));
    let _ = child.kill();
    let _ = child.wait();
    assert_powerless(&status.expect("the server is running"));
}

/// A port free for TCP on 127.0.0.1, below the usual ephemeral range.
fn free_port() -> u16 {
    let base = 30_000 + (std::process::id() % 1000) as u16;
    (base..base + 2000)
        .find(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        .expect("a free port")
}

/// `sudo sockscope lesson handshake`: once the capture runs, every thread of the process (the
/// lesson's demo server and client included) is the sudo user, without capabilities.
#[test]
fn a_lesson_under_sudo_runs_its_demo_as_the_sudo_user() {
    let may_capture = status_of(Path::new("/proc/self/status"))
        .is_some_and(|s| cap(&s, "CapEff") & (1 << 13) != 0);
    if !is_root() || !may_capture {
        eprintln!("skipped: needs root with CAP_NET_RAW");
        return;
    }
    let dir = Scratch::new("sudo-lesson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["lesson", "handshake", "--port", &free_port().to_string()])
        .env("SUDO_UID", NOBODY.to_string())
        .env("SUDO_GID", NOBODY.to_string())
        .env("SUDO_USER", "nobody")
        .env("TZ", "UTC")
        .current_dir(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_for_line(&mut child, "Live: capturing on lo");
    // Look at every thread while the lesson runs: its demo server and client come and go.
    let tasks = PathBuf::from(format!("/proc/{}/task", child.id()));
    let (mut looks, mut most_threads) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let Ok(entries) = std::fs::read_dir(&tasks) else {
            break;
        };
        let statuses: Vec<String> = entries
            .flatten()
            .filter_map(|e| status_of(&e.path().join("status")))
            .collect();
        most_threads = most_threads.max(statuses.len());
        for s in &statuses {
            let uid = field(s, "Uid").unwrap_or("");
            assert!(
                uid.split_whitespace().all(|u| u == NOBODY.to_string()),
                "a thread is not the sudo user:\n{s}"
            );
            assert_powerless(s);
            looks += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(out);
    let _ = child.kill();
    let status = child.wait_with_output().unwrap();
    assert!(looks > 0, "the lesson ended before it could be looked at");
    assert!(
        most_threads > 1,
        "never saw the demo's threads ({most_threads} at most); stderr: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}
