//! aarch64: system call numbers (include/uapi/asm-generic/unistd.h) and registers.

use super::{Regs, Syscall};

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

/// The registers at a stop: x8 holds the number, x0–x5 the arguments, x0 the result.
pub fn regs_of(r: &libc::user_regs_struct) -> Regs {
    Regs {
        nr: r.regs[8],
        args: [
            r.regs[0], r.regs[1], r.regs[2], r.regs[3], r.regs[4], r.regs[5],
        ],
        ret: r.regs[0] as i64,
    }
}
