//! The system layer: libc and FFI calls, each unsafe block with its SAFETY comment.

pub mod sockowners;
pub mod trace;
