//! x86_64: system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) and registers.

use super::{Regs, Syscall};

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

/// The registers at a stop, from the kernel's `user_regs_struct`.
pub fn regs_of(r: &libc::user_regs_struct) -> Regs {
    Regs {
        nr: r.orig_rax,
        args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9],
        ret: r.rax as i64,
    }
}
