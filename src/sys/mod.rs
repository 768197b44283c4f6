//! The system layer: every libc and FFI call of sockscope, behind safe functions.
//!
//! This is the only module that may use `unsafe`; the crate root denies it everywhere else.
//! Each `unsafe` block carries a `// SAFETY:` comment saying why it is sound. Modules by concern:
//! [`packet`] (the AF_PACKET socket, its options, recvmmsg, BPF attach), [`ring`] (its
//! TPACKET_V3 memory-mapped receive ring), [`signals`] (the stop
//! flag), [`privileges`] (users, capabilities), [`tz`] (the local time zone and broken-down
//! times), [`term`] (terminal size), [`ifaddrs`] (interface addresses), [`procfs`] (facts about
//! this process from `/proc`), [`errno`] (error numbers), [`fd`] (waiting on descriptors, socket queue sizes) and
//! [`process`] (signals to children, what a child inherits), [`netns`] (a lesson's own network
//! namespace), [`rawsock`] (raw IPv4 sockets), [`sockowners`] (which
//! process owns a socket, as `ss -p` finds it), and [`trace`] (the ptrace and
//! seccomp tracer of `sockscope run`).
#![allow(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
pub mod errno;
pub mod fd;
pub mod ifaddrs;
pub mod netns;
pub mod packet;
pub mod privileges;
pub mod process;
pub mod procfs;
pub mod rawsock;
pub mod ring;
pub mod signals;
pub mod sockowners;
pub mod term;
pub mod trace;
pub mod tz;
