//! `sockscope tui`: an interactive explorer of a capture in the terminal (ratatui + crossterm):
//! the packet list in the learner view's words, the `-v` field tree with the bytes of the
//! selected field highlighted in the dump, the ladder of the selected packet's conversation, its
//! followed stream and its teaching note. A user-interface layer over the core, like `lesson`
//! and `explain`: it only calls the core's views and never the other way round.
//!
//! [`index`] reads the file once into offsets and small per-packet records; the panes decode
//! only what is on screen ([`content`]); [`model`] holds the state and what each key does;
//! [`view`] draws it; [`term`] owns the terminal; `cmd::tui` is the command's glue.

pub mod content;
pub mod fields;
pub mod index;
pub mod live;
pub mod model;
pub mod term;
pub mod view;

#[cfg(test)]
mod tests;
