//! `sockscope explain`: answers "what is this address / port / packet?" from the facts.
//!
//! Each explanation is split in two: a pure part that turns the input and a set of machine facts
//! into text or JSON (deterministic, golden-tested), and the part that reads the facts of this
//! machine right now (`/proc`, `getifaddrs`). Tests inject their own facts.

pub mod call;
pub mod diagram;
pub mod ip;
pub mod packet;
pub mod port;
pub mod sockets;

/// Why an explanation could not be given: the input names nothing there is to explain.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// Bad input (a packet number the file does not have, a file that cannot be read).
    #[error("{0}")]
    Usage(String),
}

/// Wraps `text` to lines of at most `width` characters, each prefixed by `indent`.
pub(crate) fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}
