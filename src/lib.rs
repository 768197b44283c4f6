//! sockscope: a packet inspector and teaching sniffer for socket programming.
//!
//! The pipeline is Source → Decode → Track → Render: [`source`] yields frames, [`decode`] turns
//! each into a plain [`decode::Packet`] summary, `track` follows conversations, and [`render`]
//! writes one view of each packet. [`cli`] holds the clap definitions; [`cmd`] resolves them into
//! one configuration, builds the pipeline and runs a command.
//! [`sys`] holds every libc call, and is the only module allowed `unsafe`.
#![deny(unsafe_code)]

pub mod capture_writer;
pub mod cli;
pub mod cmd;
pub mod decode;
pub mod demo;
pub mod explain;
pub mod filter;
pub mod lesson;
pub mod pcapng_writer;
pub mod pipeline;
pub mod render;
pub mod services;
pub mod source;
pub mod sys;
pub mod track;
pub mod tui;
