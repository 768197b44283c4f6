//! aarch64: system call numbers (include/uapi/asm-generic/unistd.h) and registers.

use super::Regs;
pub use super::table::aarch64::{AUDIT_ARCH, TABLE};

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
