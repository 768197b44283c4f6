//! The one pipeline: Source → Decode → Track → filter → Render, on one thread, with counts.
//! Every decoded packet is tracked, also those the filter or `--skip` hide, so that flow numbers
//! and relative sequence numbers belong to the capture (as Wireshark's `tcp.stream`), whatever
//! is shown.

use std::io::{self, Write};

use crate::decode::Packet;
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
    filter: Option<&dyn Fn(&Packet<'_>) -> bool>,
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
        // A source about to wait for input (a pipe being written to): show what is printed.
        if source.may_wait()
            && let Err(e) = out.flush()
        {
            break classify(e);
        }
        let frame = match source.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break End::Done,
            Err(e) => break End::SourceError(e),
        };
        st.frames += 1;
        // Checked here first: the call (and its large answer) only for call records.
        if frame.link.0 == crate::track::callrec::LINKTYPE_USER0
            && let Some(ev) = call_record(&frame)
        {
            if let Err(e) = render.numbered_call(out, &ev, st.frames) {
                break classify(e);
            }
            continue;
        }
        st.bytes += frame.orig_len as u64;
        // In two steps (see `Packet::undecoded`): decoded where it is kept, not copied.
        let mut pkt = Packet::undecoded(&frame);
        pkt.decode_layers();
        // The tracker's answer is written straight into the context: a separate `track` moved
        // into it would be copied (it is larger than the packet's own fields).
        let mut ctx = PacketContext {
            number: st.frames,
            track: None,
        };
        if let Some(t) = tracker.as_deref_mut() {
            ctx.track = t.observe(&pkt);
        }
        if let Some(f) = filter
            && !f(&pkt)
        {
            render.hidden(&pkt, &ctx);
            continue;
        }
        st.matched += 1;
        if st.matched <= limits.skip {
            render.hidden(&pkt, &ctx);
            continue;
        }
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

/// The socket call a frame holds, when it is a call record of `run -w` (a frame of link type
/// LINKTYPE_USER0 whose bytes are a call event's JSON object): the one place where replayed
/// views tell calls from packets.
pub fn call_record(frame: &crate::source::Frame<'_>) -> Option<crate::track::calls::CallEvent> {
    if frame.link.0 != crate::track::callrec::LINKTYPE_USER0 {
        return None;
    }
    crate::track::callrec::from_bytes(frame.data).ok()
}

fn classify(e: io::Error) -> End {
    if e.kind() == io::ErrorKind::BrokenPipe {
        End::OutputClosed
    } else {
        End::Output(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::build::PacketBuilder;
    use crate::source::{LinkType, MemorySource, OwnedFrame, Timestamp};

    /// Records (frame number, flow) of each packet it is shown, and the numbers of those hidden.
    struct Seen(Vec<(u64, Option<u32>)>, Vec<u64>);
    impl Renderer for Seen {
        fn packet(
            &mut self,
            _: &mut dyn Write,
            _: &Packet<'_>,
            ctx: &PacketContext,
        ) -> io::Result<()> {
            self.0.push((ctx.number, ctx.track.map(|t| t.flow)));
            Ok(())
        }
        fn hidden(&mut self, _: &Packet<'_>, ctx: &PacketContext) {
            self.1.push(ctx.number);
        }
    }

    fn udp(sport: u16) -> OwnedFrame {
        let mut data = Vec::new();
        PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .udp(sport, 9)
            .write(&mut data, b"x")
            .unwrap();
        OwnedFrame {
            ts: Timestamp::new(1, 0),
            link: LinkType::RAW,
            orig_len: data.len() as u32,
            data,
        }
    }

    #[test]
    fn skip_filter_and_count_keep_the_captures_flow_numbers() {
        // flows 0,1,0,2,1 on source ports 1000,2000,1000,3000,2000
        let frames = [1000, 2000, 1000, 3000, 2000].map(udp).to_vec();
        let mut src = MemorySource::new(frames);
        let mut tracker = Tracker::new();
        let mut seen = Seen(Vec::new(), Vec::new());
        let not_port_1000 = |p: &Packet<'_>| p.ports().map(|(s, _)| s != 1000).unwrap_or(true);
        let (st, end) = run(
            &mut src,
            Some(&not_port_1000),
            Some(&mut tracker),
            &mut seen,
            &mut Vec::new(),
            Limits {
                count: Some(1),
                skip: 1,
            },
        );
        assert!(matches!(end, End::Done));
        // matches are frames 2, 4, 5; skip 1 → frame 4 (flow 2) is the one shown.
        assert_eq!(seen.0, vec![(4, Some(2))]);
        // Filtered out (1, 3) or skipped (2): hidden, for views that track themselves.
        assert_eq!(seen.1, vec![1, 2, 3]);
        assert_eq!((st.frames, st.matched, st.shown), (4, 2, 1));
    }
}
