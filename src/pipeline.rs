//! The one pipeline: Source → Decode → filter → Track → Render, on one thread, with counts.
//! Filtered-out packets are not tracked; views that need whole conversations filter by flow.

use std::io::{self, Write};

use crate::decode::decode;
use crate::render::{PacketContext, Renderer};
use crate::source::{Source, SourceError};
use crate::track::Tracker;

/// Limits on what is shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this many packets shown.
    pub count: Option<u64>,
    /// Skip this many matching packets first.
    pub skip: u64,
}

/// What a run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub frames: u64,
    pub matched: u64,
    pub shown: u64,
    pub bytes: u64,
}

/// How a run ended.
#[derive(Debug)]
pub enum End {
    /// The source ran out, or the count was reached.
    Done,
    /// The reader of our output went away (e.g. `| head`): not an error.
    OutputClosed,
    /// The source stopped with an error after delivering what it could.
    SourceError(SourceError),
    Output(io::Error),
}

/// Runs frames from `source` through decode and `render` until the end or the limits.
pub fn run(
    source: &mut dyn Source,
    filter: Option<&dyn Fn(&crate::decode::Packet<'_>) -> bool>,
    mut tracker: Option<&mut Tracker>,
    render: &mut dyn Renderer,
    out: &mut dyn Write,
    limits: Limits,
) -> (Stats, End) {
    let mut st = Stats::default();
    let end = loop {
        if limits.count.is_some_and(|c| st.shown >= c) {
            break End::Done;
        }
        let frame = match source.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break End::Done,
            Err(e) => break End::SourceError(e),
        };
        st.frames += 1;
        st.bytes += frame.orig_len as u64;
        let pkt = decode(&frame);
        if let Some(f) = filter
            && !f(&pkt)
        {
            continue;
        }
        st.matched += 1;
        if st.matched <= limits.skip {
            continue;
        }
        let track = tracker.as_deref_mut().and_then(|t| t.observe(&pkt));
        let ctx = PacketContext {
            number: st.frames,
            track,
        };
        if let Err(e) = render.packet(out, &pkt, &ctx) {
            break classify(e);
        }
        st.shown += 1;
    };
    if let End::Done | End::SourceError(_) = end
        && let Err(e) = render.finish(out).and_then(|_| out.flush())
    {
        return (st, classify(e));
    }
    (st, end)
}

fn classify(e: io::Error) -> End {
    if e.kind() == io::ErrorKind::BrokenPipe {
        End::OutputClosed
    } else {
        End::Output(e)
    }
}
