//! The ladder as Mermaid `sequenceDiagram`s, one per conversation: one per file, or a Markdown
//! document with one fenced `mermaid` block per conversation.

use std::io::{self, Write};

use crate::render::ladder::{Diagram, Row};
use crate::track::Dir;

/// Mermaid message text: `;` and `#` have meanings there, so they become entity codes.
fn text(s: &str) -> String {
    s.replace('#', "#35;").replace(';', "#59;")
}

/// One conversation's `sequenceDiagram`: Mermaid draws one diagram per text (a second
/// `sequenceDiagram` line in the same text is a parse error), so each file or Markdown block
/// holds one.
pub fn write(out: &mut dyn Write, d: &Diagram) -> io::Result<()> {
    writeln!(out, "%% conversation {}: {}", d.index, d.title)?;
    writeln!(out, "sequenceDiagram")?;
    writeln!(out, "    participant C as {}", text(&d.client_label))?;
    writeln!(out, "    participant S as {}", text(&d.server_label))?;
    if d.tcp {
        for (who, st) in [("C", d.initial[0]), ("S", d.initial[1])] {
            if let Some(st) = st {
                writeln!(out, "    Note over {who}: {}", st.name())?;
            }
        }
    }
    for r in &d.rows {
        match r {
            Row::Arrow(a) => {
                let (from, to) = match a.dir {
                    Dir::ToServer => ("C", "S"),
                    Dir::ToClient => ("S", "C"),
                };
                let mut msg = format!("{:.3} ms {} {}", a.time_ms, a.flags, a.numbers);
                if !a.analysis.is_empty() {
                    msg.push_str(&format!(" [{}]", a.analysis.join(", ")));
                }
                let arrow = if a.analysis.is_empty() { "->>" } else { "--x" };
                writeln!(out, "    {from}{arrow}{to}: {}", text(msg.trim_end()))?;
                if let Some(n) = a.notes.first() {
                    let side = if from == "C" {
                        "right of S"
                    } else {
                        "left of C"
                    };
                    writeln!(out, "    Note {side}: {}", text(n))?;
                }
            }
            Row::States { client, server } => {
                for (who, st) in [("C", client), ("S", server)] {
                    if let Some(st) = st {
                        writeln!(out, "    Note over {who}: {}", st.name())?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A Markdown document: per conversation, a heading and its diagram in a fenced `mermaid`
/// block (the form GitHub and most Markdown renderers draw).
pub fn write_markdown(out: &mut dyn Write, diagrams: &[Diagram]) -> io::Result<()> {
    for (i, d) in diagrams.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "## #{} {}", d.index, d.title)?;
        writeln!(out)?;
        writeln!(out, "```mermaid")?;
        write(out, d)?;
        writeln!(out, "```")?;
        writeln!(out)?;
        writeln!(out, "{}", d.summary)?;
    }
    Ok(())
}
