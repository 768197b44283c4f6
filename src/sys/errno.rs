//! The errno values sockscope names or compares against (errno(3)), so that no module outside
//! the system layer needs libc.

pub use libc::{
    EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, EMFILE,
    ENETUNREACH, EPERM, EPIPE, ETIMEDOUT,
};
