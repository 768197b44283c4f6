//! The traced system calls' numbers and audit architecture of each architecture the tracer
//! supports, as data compiled on every architecture, so that both tables are checked against
//! the kernel's headers on whichever machine runs the tests.

use super::Syscall;

/// x86_64 (arch/x86/entry/syscalls/syscall_64.tbl).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub mod x86_64 {
    use super::Syscall;

    /// AUDIT_ARCH_X86_64 (linux/audit.h): EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
    pub const AUDIT_ARCH: u32 = 0xC000_003E;

    /// The traced calls and their numbers. x86_64 has no `send`/`recv` system calls: libc's
    /// send() and recv() are sendto() and recvfrom() with no address.
    pub const TABLE: &[(u32, Syscall)] = &[
        (0, Syscall::Read),
        (1, Syscall::Write),
        (3, Syscall::Close),
        (7, Syscall::Poll),
        (19, Syscall::Readv),
        (20, Syscall::Writev),
        (23, Syscall::Select),
        (41, Syscall::Socket),
        (42, Syscall::Connect),
        (43, Syscall::Accept),
        (44, Syscall::Sendto),
        (45, Syscall::Recvfrom),
        (46, Syscall::Sendmsg),
        (47, Syscall::Recvmsg),
        (48, Syscall::Shutdown),
        (49, Syscall::Bind),
        (50, Syscall::Listen),
        (51, Syscall::Getsockname),
        (54, Syscall::Setsockopt),
        (232, Syscall::EpollWait),
        (233, Syscall::EpollCtl),
        (270, Syscall::Pselect6),
        (271, Syscall::Ppoll),
        (281, Syscall::EpollPwait),
        (288, Syscall::Accept4),
        (441, Syscall::EpollPwait2),
    ];
}

/// aarch64 (include/uapi/asm-generic/unistd.h).
#[cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]
pub mod aarch64 {
    use super::Syscall;

    /// AUDIT_ARCH_AARCH64 (linux/audit.h): EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
    pub const AUDIT_ARCH: u32 = 0xC000_00B7;

    /// The traced calls and their numbers. The generic table has no poll, select or epoll_wait:
    /// libc implements them with ppoll, pselect6 and epoll_pwait.
    pub const TABLE: &[(u32, Syscall)] = &[
        (21, Syscall::EpollCtl),
        (22, Syscall::EpollPwait),
        (57, Syscall::Close),
        (63, Syscall::Read),
        (64, Syscall::Write),
        (65, Syscall::Readv),
        (66, Syscall::Writev),
        (72, Syscall::Pselect6),
        (73, Syscall::Ppoll),
        (198, Syscall::Socket),
        (200, Syscall::Bind),
        (201, Syscall::Listen),
        (202, Syscall::Accept),
        (203, Syscall::Connect),
        (204, Syscall::Getsockname),
        (206, Syscall::Sendto),
        (207, Syscall::Recvfrom),
        (208, Syscall::Setsockopt),
        (210, Syscall::Shutdown),
        (211, Syscall::Sendmsg),
        (212, Syscall::Recvmsg),
        (242, Syscall::Accept4),
        (441, Syscall::EpollPwait2),
    ];
}

#[cfg(test)]
mod tests {
    //! Each number against the kernel's own header (Debian's linux-libc-dev): aarch64 uses
    //! the generic table, x86_64 its own. A missing header fails under CI, else is skipped.
    use std::collections::HashMap;
    use std::io::Write as _;

    /// `#define __NR_<name> <number>` lines of a header (and `__NR3264_` aliases).
    fn numbers(path: &str) -> Option<HashMap<String, u32>> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut m = HashMap::new();
        for line in text.lines() {
            let mut w = line.split_whitespace();
            if w.next() != Some("#define") {
                continue;
            }
            let (Some(name), Some(n)) = (w.next(), w.next()) else {
                continue;
            };
            let Some(name) = name
                .strip_prefix("__NR_")
                .or_else(|| name.strip_prefix("__NR3264_"))
            else {
                continue;
            };
            if let Ok(n) = n.parse() {
                m.insert(name.to_string(), n);
            }
        }
        Some(m)
    }

    fn header(path: &str) -> Option<HashMap<String, u32>> {
        let m = numbers(path);
        if m.is_none() {
            let what = format!(
                "{path} (Debian's linux-libc-dev) is needed to check the tracer's system call table"
            );
            assert!(std::env::var_os("CI").is_none(), "{what}");
            let _ = writeln!(std::io::stderr(), "SKIP: {what}");
        }
        m
    }

    fn check(table: &[(u32, super::Syscall)], names: &HashMap<String, u32>) {
        for &(n, s) in table {
            assert_eq!(
                names.get(s.name()),
                Some(&n),
                "{} is not {n} in the header",
                s.name()
            );
        }
    }

    #[test]
    fn aarch64_numbers_are_the_generic_tables() {
        if let Some(m) = header("/usr/include/asm-generic/unistd.h") {
            check(super::aarch64::TABLE, &m);
            // The generic table has none of the old calls; libc uses the p-variants.
            for old in ["poll", "select", "epoll_wait", "accept"] {
                let has = super::aarch64::TABLE.iter().any(|&(_, s)| s.name() == old);
                assert_eq!(has, m.contains_key(old), "{old}");
            }
        }
    }

    #[test]
    fn x86_64_numbers_are_the_kernels() {
        if let Some(m) = header("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") {
            check(super::x86_64::TABLE, &m);
        }
    }

    #[test]
    fn audit_arches_are_the_elf_machines() {
        // linux/audit.h: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000);
        // linux/elf-em.h: EM_X86_64 62, EM_AARCH64 183.
        assert_eq!(super::x86_64::AUDIT_ARCH, 0x8000_0000 | 0x4000_0000 | 62);
        assert_eq!(super::aarch64::AUDIT_ARCH, 0x8000_0000 | 0x4000_0000 | 183);
    }
}
