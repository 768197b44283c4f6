//! x86_64: system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) and registers.

use super::Regs;
pub use super::table::x86_64::{AUDIT_ARCH, TABLE};

/// The registers at a stop, from the kernel's `user_regs_struct`.
pub fn regs_of(r: &libc::user_regs_struct) -> Regs {
    Regs {
        nr: r.orig_rax,
        args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9],
        ret: r.rax as i64,
    }
}
