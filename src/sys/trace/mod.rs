//! The system-call tracer behind `sockscope run`: ptrace with a seccomp filter, so that only
//! socket-related calls stop the traced program (as `strace --seccomp-bpf` does).
//!
//! # How a call is seen
//! The child installs a seccomp BPF program that returns SECCOMP_RET_TRACE for the traced call
//! numbers and SECCOMP_RET_ALLOW for every other call, then execs the program. A traced call
//! stops the thread with PTRACE_EVENT_SECCOMP *before the call runs*: that is where its enter
//! stamp is taken, so it precedes anything the call sends. The thread is then resumed with
//! PTRACE_SYSCALL, and stops again at syscall-exit, after the call completed: the return stamp.
//! Other threads and processes are resumed with PTRACE_CONT and run at full speed.
//!
//! Since Linux 4.8 the seccomp stop comes after the (unrequested) syscall-enter stop, so after a
//! seccomp stop the next syscall stop is the exit; older kernels put the seccomp stop first and
//! would report an extra enter stop. Those kernels are refused (see [`check_kernel`]).
//!
//! Threads, forks and execs are followed (PTRACE_O_TRACECLONE, TRACEFORK, TRACEVFORK,
//! TRACEEXEC); PTRACE_O_EXITKILL kills the traced programs if sockscope dies.

#![allow(unsafe_code)]

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod arch;
#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod arch;

pub mod procfs;
mod table;

use std::collections::HashMap;
use std::ffi::{CString, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The calls the tracer can stop at, whatever their number on this architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syscall {
    Socket,
    Bind,
    Listen,
    Accept,
    Accept4,
    Connect,
    Getsockname,
    Sendto,
    Sendmsg,
    Write,
    Writev,
    Recvfrom,
    Recvmsg,
    Read,
    Readv,
    Shutdown,
    Close,
    Setsockopt,
    Poll,
    Ppoll,
    Select,
    Pselect6,
    EpollWait,
    EpollPwait,
    EpollPwait2,
    EpollCtl,
}

impl Syscall {
    /// The system call's name, as strace prints it.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::Socket => "socket",
            Syscall::Bind => "bind",
            Syscall::Listen => "listen",
            Syscall::Accept => "accept",
            Syscall::Accept4 => "accept4",
            Syscall::Connect => "connect",
            Syscall::Getsockname => "getsockname",
            Syscall::Sendto => "sendto",
            Syscall::Sendmsg => "sendmsg",
            Syscall::Write => "write",
            Syscall::Writev => "writev",
            Syscall::Recvfrom => "recvfrom",
            Syscall::Recvmsg => "recvmsg",
            Syscall::Read => "read",
            Syscall::Readv => "readv",
            Syscall::Shutdown => "shutdown",
            Syscall::Close => "close",
            Syscall::Setsockopt => "setsockopt",
            Syscall::Poll => "poll",
            Syscall::Ppoll => "ppoll",
            Syscall::Select => "select",
            Syscall::Pselect6 => "pselect6",
            Syscall::EpollWait => "epoll_wait",
            Syscall::EpollPwait => "epoll_pwait",
            Syscall::EpollPwait2 => "epoll_pwait2",
            Syscall::EpollCtl => "epoll_ctl",
        }
    }

    /// The call with this number on this architecture, if it is one the tracer knows.
    pub fn from_number(nr: u64) -> Option<Syscall> {
        arch::TABLE
            .iter()
            .find(|(n, _)| u64::from(*n) == nr)
            .map(|&(_, s)| s)
    }

    /// Every call the tracer knows on this architecture.
    pub fn all() -> impl Iterator<Item = Syscall> {
        arch::TABLE.iter().map(|&(_, s)| s)
    }
}

/// A call's number, arguments and (at its exit) result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Regs {
    pub nr: u64,
    pub args: [u64; 6],
    pub ret: i64,
}

/// A stopped thread of the traced program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tracee {
    /// Thread group (process) id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
}

impl Tracee {
    /// Reads `len` bytes at `addr` of the stopped thread's memory (fewer when the end is not
    /// mapped; `None` when nothing could be read).
    pub fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if addr == 0 || len == 0 {
            return None;
        }
        let mut buf = vec![0u8; len];
        let local = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: len,
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: len,
        };
        // SAFETY: `local` points at `buf`, `len` writable bytes owned here; `remote` is only
        // read by the kernel, in the other process, and a bad address fails with EFAULT.
        let n = unsafe { libc::process_vm_readv(self.tid as i32, &local, 1, &remote, 1, 0) };
        if n > 0 {
            buf.truncate(n as usize);
            return Some(buf);
        }
        self.peek(addr, len)
    }

    /// The PTRACE_PEEKDATA fallback (process_vm_readv may be missing or refused).
    fn peek(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        let word = std::mem::size_of::<libc::c_long>() as u64;
        let mut a = addr;
        while out.len() < len {
            clear_errno();
            // SAFETY: PEEKDATA reads one word of the stopped tracee; a bad address sets errno.
            let v = unsafe {
                libc::ptrace(
                    libc::PTRACE_PEEKDATA,
                    self.tid as libc::pid_t,
                    a as *mut libc::c_void,
                    std::ptr::null_mut::<libc::c_void>(),
                )
            };
            if v == -1 && io::Error::last_os_error().raw_os_error().unwrap_or(0) != 0 {
                break;
            }
            let bytes = v.to_ne_bytes();
            let take = (len - out.len()).min(bytes.len());
            out.extend_from_slice(&bytes[..take]);
            a += word;
        }
        (!out.is_empty()).then_some(out)
    }
}

fn clear_errno() {
    // SAFETY: __errno_location returns this thread's errno slot, always valid to write.
    unsafe { *libc::__errno_location() = 0 }
}

/// What the tracer reports to its user, at each stop, while the thread is still stopped.
pub trait Handler {
    /// A traced call is about to run (`ts_ns`: CLOCK_REALTIME taken at the stop). Return true
    /// to see its return too.
    fn enter(&mut self, t: Tracee, ts_ns: u64, call: Syscall, args: [u64; 6]) -> bool;
    /// The call this thread entered has completed with `ret` (a negative errno on failure).
    fn exit(&mut self, t: Tracee, ts_ns: u64, ret: i64);
    /// `child` appeared (a thread of `parent` when the pids match, else a new process).
    fn spawned(&mut self, parent: Tracee, child: Tracee);
    /// The thread's process called execve successfully.
    fn exec(&mut self, t: Tracee);
}

/// Why tracing could not start.
#[derive(Debug)]
pub enum TraceError {
    /// Yama's ptrace_scope is 3: no process may trace another.
    YamaForbids,
    /// ptrace was refused (Yama's ptrace_scope 2 without CAP_SYS_PTRACE, or a seccomp policy).
    Permission {
        scope: Option<u32>,
        err: io::Error,
    },
    /// Linux before 4.8 orders seccomp and syscall stops differently.
    OldKernel(String),
    /// The program could not be started.
    Exec {
        program: String,
        err: io::Error,
    },
    Io {
        what: &'static str,
        err: io::Error,
    },
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceError::YamaForbids => write!(
                f,
                "tracing is disabled on this machine: /proc/sys/kernel/yama/ptrace_scope is 3 \
                 (only a reboot lowers it)"
            ),
            TraceError::Permission { scope, err } => match scope {
                Some(s @ 1..) => write!(
                    f,
                    "ptrace was refused ({err}): /proc/sys/kernel/yama/ptrace_scope is {s}; run as \
                     root or lower it with `sudo sysctl kernel.yama.ptrace_scope=1`"
                ),
                _ => write!(
                    f,
                    "ptrace was refused ({err}): a container or seccomp policy may forbid it"
                ),
            },
            TraceError::OldKernel(r) => write!(
                f,
                "Linux {r} is too old for `run`: it needs 4.8 or later (seccomp and ptrace stop order)"
            ),
            TraceError::Exec { program, err } => write!(f, "cannot run {program}: {err}"),
            TraceError::Io { what, err } => write!(f, "{what}: {err}"),
        }
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TraceError::Permission { err, .. }
            | TraceError::Exec { err, .. }
            | TraceError::Io { err, .. } => Some(err),
            _ => None,
        }
    }
}

/// Refuses kernels before 4.8 (the seccomp stop came before the syscall-enter stop there).
pub fn check_kernel() -> Result<(), TraceError> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut nums = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse::<u32>().ok());
    let (maj, min) = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
    if maj == 0 || (maj, min) >= (4, 8) {
        Ok(())
    } else {
        Err(TraceError::OldKernel(release.trim().to_string()))
    }
}

/// Yama's ptrace_scope, when Yama is there.
pub fn yama_scope() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The current CLOCK_REALTIME in nanoseconds (the clock packets are stamped with).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The value of a [`Progress`] while the tracer waits for a stop.
pub const IDLE: u64 = u64::MAX;

/// Shared with the thread that merges calls with packets: while the tracer is handling a stop,
/// the time it woke up (every stamp it takes is later); while it waits, [`IDLE`] (any later
/// stamp will be later than the reader's clock).
pub type Progress = AtomicU64;

/// The BPF program: SECCOMP_RET_TRACE for the numbers in `traced` on this architecture,
/// SECCOMP_RET_ALLOW for everything else (and for any other architecture's calls).
fn seccomp_program(traced: &[u32]) -> Vec<libc::sock_filter> {
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let stmt = |code, k| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let n = traced.len();
    // Offsets in struct seccomp_data: nr at 0, arch at 4.
    let mut p = vec![
        stmt(LD_W_ABS, 4),
        libc::sock_filter {
            code: JEQ_K,
            jt: 0,
            jf: (n + 1) as u8,
            k: arch::AUDIT_ARCH,
        },
        stmt(LD_W_ABS, 0),
    ];
    for (i, &nr) in traced.iter().enumerate() {
        p.push(libc::sock_filter {
            code: JEQ_K,
            jt: (n - i) as u8,
            jf: 0,
            k: nr,
        });
    }
    p.push(stmt(RET_K, libc::SECCOMP_RET_ALLOW));
    p.push(stmt(RET_K, libc::SECCOMP_RET_TRACE));
    p
}

/// A started, stopped child, ready for [`Traced::run`].
pub struct Traced {
    root: u32,
    program: String,
    /// Read end of the pipe the child reports a failed exec on.
    report: i32,
}

/// Where the child failed, in the report pipe.
const STAGE_TRACEME: u8 = 1;
const STAGE_SECCOMP: u8 = 2;
const STAGE_EXEC: u8 = 3;
const STAGE_USER: u8 = 4;

/// Starts `argv` stopped under the tracer, with the seccomp filter for `traced`; as the user
/// `(uid, gid)` when given (the user who ran sudo), else as this process's user.
pub fn spawn(
    argv: &[OsString],
    traced: &[Syscall],
    user: Option<(u32, u32)>,
) -> Result<Traced, TraceError> {
    check_kernel()?;
    let scope = yama_scope();
    if scope == Some(3) {
        return Err(TraceError::YamaForbids);
    }
    let program = argv
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cargs: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| TraceError::Exec {
            program: program.clone(),
            err: io::Error::new(
                io::ErrorKind::InvalidInput,
                "an argument contains a NUL byte",
            ),
        })?;
    let mut ptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let numbers: Vec<u32> = arch::TABLE
        .iter()
        .filter(|(_, s)| traced.contains(s))
        .map(|&(n, _)| n)
        .collect();
    let mut filter = seccomp_program(&numbers);
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(TraceError::Io {
            what: "cannot create a pipe",
            err: io::Error::last_os_error(),
        });
    }
    // SAFETY: fork; the child only makes async-signal-safe calls on memory prepared above
    // (no allocation, no locks) and then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(TraceError::Io {
            what: "cannot fork",
            err: io::Error::last_os_error(),
        });
    }
    if pid == 0 {
        // SAFETY: in the child, see above; `prog` and `ptrs` outlive these calls.
        unsafe { child(fds[1], &prog, &ptrs, user) }
    }
    // SAFETY: closing our copy of the write end, which we own.
    unsafe { libc::close(fds[1]) };
    let t = Traced {
        root: pid as u32,
        program,
        report: fds[0],
    };
    let mut status = 0;
    // SAFETY: waits for our own child; writes `status`.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    if r != pid || !libc::WIFSTOPPED(status) {
        return Err(t.failure(scope).unwrap_or(TraceError::Io {
            what: "the program did not stop for the tracer",
            err: io::Error::last_os_error(),
        }));
    }
    let opts = libc::PTRACE_O_TRACESECCOMP
        | libc::PTRACE_O_TRACESYSGOOD
        | libc::PTRACE_O_TRACECLONE
        | libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        | libc::PTRACE_O_TRACEEXEC
        | libc::PTRACE_O_EXITKILL;
    // SAFETY: the child is our tracee and stopped.
    if unsafe { ptrace(libc::PTRACE_SETOPTIONS, pid as u32, 0, opts as u64) } != 0 {
        let err = io::Error::last_os_error();
        // SAFETY: killing our own child, which cannot go on untraced.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        return Err(TraceError::Permission { scope, err });
    }
    Ok(t)
}

/// The child's side: become a tracee, stop, become `user`, install the filter, exec. Never
/// returns.
///
/// # Safety
/// Called only in a freshly forked child; `prog` and `argv` must be valid and NUL-terminated.
unsafe fn child(
    report: i32,
    prog: &libc::sock_fprog,
    argv: &[*const libc::c_char],
    user: Option<(u32, u32)>,
) -> ! {
    let fail = |stage: u8| -> ! {
        let e = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut msg = [0u8; 5];
        msg[0] = stage;
        msg[1..].copy_from_slice(&e.to_ne_bytes());
        // SAFETY: write and _exit are async-signal-safe; `msg` is on our stack.
        unsafe {
            libc::write(report, msg.as_ptr().cast(), msg.len());
            libc::_exit(127)
        }
    };
    // SAFETY: plain system calls on valid arguments, in the child only.
    unsafe {
        if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) != 0 {
            fail(STAGE_TRACEME);
        }
        libc::raise(libc::SIGSTOP);
        // The program runs as the user who ran sudo, not as root; the tracer keeps root's
        // right to trace it (CAP_SYS_PTRACE).
        if let Some((uid, gid)) = user
            && crate::sys::privileges::become_in_child(uid, gid).is_err()
        {
            fail(STAGE_USER);
        }
        // Needed to install a filter without CAP_SYS_ADMIN (seccomp(2)); it also means a
        // set-user-ID program run under the tracer gains no privileges.
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            fail(STAGE_SECCOMP);
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            prog as *const libc::sock_fprog,
        ) != 0
        {
            fail(STAGE_SECCOMP);
        }
        libc::execvp(argv[0], argv.as_ptr());
    }
    fail(STAGE_EXEC)
}

/// ptrace with integer arguments.
///
/// # Safety
/// `req` must not make the kernel write through `data` or `addr` unless they point at memory
/// of the right size.
unsafe fn ptrace(req: libc::c_uint, tid: u32, addr: u64, data: u64) -> libc::c_long {
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        libc::ptrace(
            req,
            tid as libc::pid_t,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    }
}

fn regs(tid: u32) -> io::Result<Regs> {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: (&mut r as *mut libc::user_regs_struct).cast(),
        iov_len: std::mem::size_of::<libc::user_regs_struct>(),
    };
    // SAFETY: GETREGSET writes at most iov_len bytes into `r` and updates `iov`.
    let rc = unsafe {
        ptrace(
            libc::PTRACE_GETREGSET,
            tid,
            libc::NT_PRSTATUS as u64,
            &mut iov as *mut libc::iovec as u64,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(arch::regs_of(&r))
}

fn resume(req: libc::c_uint, tid: u32, sig: i32) {
    // SAFETY: resuming a stopped tracee; an error (ESRCH: it was killed) leaves nothing to do.
    unsafe { ptrace(req, tid, 0, sig as u64) };
}

/// One traced thread.
struct Task {
    pid: u32,
    /// Its first stop (the SIGSTOP of a newly attached thread) has been seen.
    started: bool,
    /// Between a seccomp stop resumed with PTRACE_SYSCALL and its syscall-exit stop.
    in_call: bool,
}

impl Traced {
    /// The process id of the program started.
    pub fn pid(&self) -> u32 {
        self.root
    }

    /// Runs the program to its end (and that of every process it started), reporting each
    /// traced call to `h`. Returns the program's exit status (128 + N when signal N killed it).
    pub fn run(self, h: &mut dyn Handler, progress: &Progress) -> Result<i32, TraceError> {
        let mut tasks: HashMap<u32, Task> = HashMap::new();
        tasks.insert(
            self.root,
            Task {
                pid: self.root,
                started: true,
                in_call: false,
            },
        );
        resume(libc::PTRACE_CONT, self.root, 0);
        let mut exit_status = 0;
        loop {
            progress.store(IDLE, Ordering::SeqCst);
            let mut status = 0;
            // SAFETY: waits for any traced thread; writes `status`.
            let tid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL) };
            progress.store(now_ns(), Ordering::SeqCst);
            if tid < 0 {
                match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => continue,
                    _ => break, // ECHILD: every traced process has ended.
                }
            }
            let tid = tid as u32;
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                tasks.remove(&tid);
                if tid == self.root {
                    exit_status = if libc::WIFEXITED(status) {
                        libc::WEXITSTATUS(status)
                    } else {
                        128 + libc::WTERMSIG(status)
                    };
                }
                continue;
            }
            if !libc::WIFSTOPPED(status) {
                continue;
            }
            let task = tasks.entry(tid).or_insert_with(|| Task {
                pid: procfs::tgid(tid).unwrap_or(tid),
                started: false,
                in_call: false,
            });
            let me = Tracee { pid: task.pid, tid };
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            if sig == libc::SIGTRAP | 0x80 {
                if std::mem::take(&mut task.in_call)
                    && let Ok(r) = regs(tid)
                {
                    h.exit(me, now_ns(), r.ret);
                }
                resume(libc::PTRACE_CONT, tid, 0);
            } else if sig == libc::SIGTRAP && event == libc::PTRACE_EVENT_SECCOMP {
                let ts = now_ns();
                let want_exit = match regs(tid) {
                    Ok(r) => match Syscall::from_number(r.nr) {
                        Some(call) => h.enter(me, ts, call, r.args),
                        None => false,
                    },
                    Err(_) => false,
                };
                task.in_call = want_exit;
                let req = if want_exit {
                    libc::PTRACE_SYSCALL
                } else {
                    libc::PTRACE_CONT
                };
                resume(req, tid, 0);
            } else if sig == libc::SIGTRAP
                && matches!(
                    event,
                    libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE
                )
            {
                let mut msg: libc::c_ulong = 0;
                // SAFETY: GETEVENTMSG writes one unsigned long into `msg`.
                unsafe {
                    ptrace(
                        libc::PTRACE_GETEVENTMSG,
                        tid,
                        0,
                        &mut msg as *mut libc::c_ulong as u64,
                    )
                };
                let child_tid = msg as u32;
                let child_pid = if event == libc::PTRACE_EVENT_CLONE {
                    procfs::tgid(child_tid).unwrap_or(child_tid)
                } else {
                    child_tid
                };
                tasks.entry(child_tid).or_insert(Task {
                    pid: child_pid,
                    started: false,
                    in_call: false,
                });
                h.spawned(
                    me,
                    Tracee {
                        pid: child_pid,
                        tid: child_tid,
                    },
                );
                resume(libc::PTRACE_CONT, tid, 0);
            } else if sig == libc::SIGTRAP && event == libc::PTRACE_EVENT_EXEC {
                task.in_call = false;
                h.exec(me);
                resume(libc::PTRACE_CONT, tid, 0);
            } else if sig == libc::SIGSTOP && !task.started {
                // The stop every newly attached thread starts with: not the program's signal.
                task.started = true;
                resume(libc::PTRACE_CONT, tid, 0);
            } else {
                // A signal-delivery stop (re-inject the signal) or a group-stop (GETSIGINFO
                // fails for those; resume without a signal).
                // SAFETY: siginfo_t is plain data; GETSIGINFO writes one.
                let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: writes one siginfo_t into `si`.
                let delivery = unsafe {
                    ptrace(
                        libc::PTRACE_GETSIGINFO,
                        tid,
                        0,
                        &mut si as *mut libc::siginfo_t as u64,
                    )
                } == 0;
                task.started = true;
                resume(libc::PTRACE_CONT, tid, if delivery { sig } else { 0 });
            }
        }
        progress.store(IDLE, Ordering::SeqCst);
        if let Some(e) = self.failure(yama_scope()) {
            return Err(e);
        }
        Ok(exit_status)
    }

    /// What the child reported on the pipe before exec, if it failed.
    fn failure(&self, scope: Option<u32>) -> Option<TraceError> {
        let mut msg = [0u8; 5];
        // SAFETY: reads at most 5 bytes into `msg` from the pipe we own (the child's end is
        // closed by its exec or exit, so this does not block).
        let n = unsafe { libc::read(self.report, msg.as_mut_ptr().cast(), msg.len()) };
        if n != 5 {
            return None;
        }
        let err =
            io::Error::from_raw_os_error(i32::from_ne_bytes([msg[1], msg[2], msg[3], msg[4]]));
        Some(match msg[0] {
            STAGE_TRACEME if scope == Some(3) => TraceError::YamaForbids,
            STAGE_TRACEME => TraceError::Permission { scope, err },
            STAGE_SECCOMP => TraceError::Io {
                what: "cannot install the seccomp filter",
                err,
            },
            STAGE_USER => TraceError::Io {
                what: "cannot run the program as the user who ran sudo (SUDO_UID, SUDO_GID)",
                err,
            },
            _ => TraceError::Exec {
                program: self.program.clone(),
                err,
            },
        })
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        // SAFETY: closing the pipe end we own.
        unsafe { libc::close(self.report) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_has_a_number_on_this_architecture_once() {
        let mut seen = std::collections::HashSet::new();
        for &(n, s) in arch::TABLE {
            assert!(seen.insert(s), "{s:?} twice");
            assert_eq!(Syscall::from_number(u64::from(n)), Some(s));
        }
    }

    #[test]
    fn the_filter_jumps_land_on_the_two_returns() {
        let p = seccomp_program(&[41, 42, 43]);
        let allow = p.len() - 2;
        let trace = p.len() - 1;
        assert_eq!(p[allow].k, libc::SECCOMP_RET_ALLOW);
        assert_eq!(p[trace].k, libc::SECCOMP_RET_TRACE);
        // Wrong architecture: to ALLOW.
        assert_eq!(1 + 1 + p[1].jf as usize, allow);
        for i in 0..3 {
            let at = 3 + i;
            assert_eq!(at + 1 + p[at].jt as usize, trace);
        }
    }
}
