//! Child processes: a signal to stop one, and what one inherits across exec (capabilities(7)).

use std::process::Command;

/// Sends SIGINT to process `pid` (kill(2)), e.g. to make a child tcpdump write out what it has
/// and exit. Errors (the process is gone) are ignored.
pub fn interrupt(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill takes two integers and touches no memory of ours.
    unsafe { libc::kill(pid, libc::SIGINT) };
}

/// Makes capability `bit` survive the exec of `cmd`'s program when it has no file
/// capabilities: the child puts it into its inheritable set (allowed when it is in the
/// permitted set) and then into its ambient set, which exec hands on. Failures (nothing to
/// raise) are ignored; the program then says for itself what it may not do.
pub fn hand_on_capability(cmd: &mut Command, bit: u32) {
    use std::os::unix::process::CommandExt;
    let closure = move || {
        super::privileges::add_inheritable(bit);
        // SAFETY: prctl with integer arguments only; async-signal-safe.
        unsafe {
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                bit as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        Ok(())
    };
    // SAFETY: between fork and exec the closure makes raw syscalls only (async-signal-safe), on
    // structures it owns; it allocates nothing and takes no lock.
    unsafe { cmd.pre_exec(closure) };
}
