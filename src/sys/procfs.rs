//! Facts about this process: its user ids and the capability sets `/proc/self/status` shows
//! (proc_pid_status(5)).

/// The effective user id (geteuid(2)).
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The real user id (getuid(2)).
pub fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The real group id (getgid(2)).
pub fn gid() -> u32 {
    // SAFETY: getgid has no preconditions and cannot fail.
    unsafe { libc::getgid() }
}

/// A capability set line of a `/proc/<pid>/status` text (`CapEff`, `CapPrm`, `CapInh`,
/// `CapAmb`, `CapBnd`) as a bit mask.
pub fn cap_set(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// Whether the `CapEff:` line of a `/proc/<pid>/status` text has capability `bit`.
pub fn cap_eff_has(status: &str, bit: u32) -> bool {
    cap_set(status, "CapEff").is_some_and(|mask| bit < 64 && (mask >> bit) & 1 == 1)
}

/// Whether this process has capability `bit` in its effective set now.
pub fn has_effective_cap(bit: u32) -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| cap_eff_has(&s, bit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_lines() {
        let s = "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000002000\n\
                 CapEff:\t000001ffffffffff\n";
        assert_eq!(cap_set(s, "CapPrm"), Some(0x2000));
        assert_eq!(cap_set(s, "CapAmb"), None);
        assert!(cap_eff_has(s, 13));
        assert!(!cap_eff_has("CapEff:\t0000000000000000\n", 13));
        assert!(!cap_eff_has("no such line", 13));
    }
}
