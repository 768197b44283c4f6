//! Conversations that a view of one conversation does not show (`ladder --flow N`,
//! `follow --flow N`): the tracker still follows them, because conversation numbers are the
//! capture-wide ones (docs/numbering.md), but keeps only what numbering needs — when a packet
//! starts a new conversation rather than continuing one. That is the key (the map's), the
//! client's end, each side's TCP state, ISN and FIN (the states step on them, RFC 9293 §3.10,
//! and a SYN with another ISN starts a new conversation), the time of the last packet and
//! whether the connection closed (for the linger and the least-recently-seen cap). About
//! 120 bytes a conversation instead of about 1 KiB.
//!
//! A shadowed conversation's packet is tracked by the same code as any other: the shadow is
//! expanded into a [`Live`] for the packet, then folded back.

use super::analysis::DirAnalysis;
use super::index::Slot;
use super::{Earlier, FlowKey, Live, Notes, RoleBasis, SeqNumber, TcpState, scratch_flow};
use crate::source::Timestamp;

/// What numbering needs of one side.
#[derive(Clone, Copy, Debug)]
struct Core {
    isn: Option<SeqNumber>,
    fin_seq: Option<SeqNumber>,
    state: TcpState,
    isn_from_syn: bool,
}

/// A conversation followed only for numbering.
#[derive(Clone, Debug)]
pub(super) struct Shadow {
    pub(super) last_seen: Timestamp,
    pub(super) index: u32,
    sides: [Core; 2],
    /// The client is the key's `lo` end.
    client_is_lo: bool,
    pub(super) closed: bool,
}

impl Shadow {
    /// Folds `live` (the conversation of `key`) into a shadow; returns its box for reuse.
    pub(super) fn fold(slot: Slot, key: &FlowKey) -> (Shadow, Box<Live>) {
        let live = slot.live;
        let f = &live.flow;
        let core = |i: usize| Core {
            isn: f.sides[i].isn,
            fin_seq: f.sides[i].fin_seq,
            state: f.sides[i].state,
            isn_from_syn: f.sides[i].isn_from_syn,
        };
        let shadow = Shadow {
            last_seen: slot.last_seen,
            index: live.index,
            sides: [core(0), core(1)],
            client_is_lo: f.client == key.lo,
            closed: slot.closed,
        };
        (shadow, live)
    }

    /// The conversation of `key` as a [`Live`] whose numbering state is the shadow's, in
    /// `spare` (a live conversation's box, overwritten) when there is one.
    pub(super) fn expand(&self, key: &FlowKey, spare: Option<Box<Live>>) -> Slot {
        let (client, server) = if self.client_is_lo {
            (key.lo, key.hi)
        } else {
            (key.hi, key.lo)
        };
        let mut flow = scratch_flow(self.index, *key, client, server);
        flow.roles = RoleBasis::FirstPacket;
        for (side, core) in flow.sides.iter_mut().zip(self.sides) {
            side.isn = core.isn;
            side.fin_seq = core.fin_seq;
            side.state = core.state;
            side.isn_from_syn = core.isn_from_syn;
        }
        let live = Live {
            index: self.index,
            client_is_lo: self.client_is_lo,
            flow,
            dirs: [DirAnalysis::default(); 2],
            // A conversation kept for its number only: nobody prints its notes.
            notes: Notes::new(false),
            earlier: Earlier::Nothing,
        };
        let live = match spare {
            Some(mut b) => {
                *b = live;
                b
            }
            None => Box::new(live),
        };
        Slot {
            last_seen: self.last_seen,
            closed: self.closed,
            live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, Tracker};
    use crate::decode::build::PacketBuilder;
    use crate::decode::decode;
    use crate::source::{Frame, LinkType, Timestamp};

    /// A TCP segment from port `src` to port `dst` on 127.0.0.1 (flags: S, F, R, A), or with
    /// `flags` "U" a UDP datagram.
    fn seg(src: u16, dst: u16, flags: &str, seq: u32, ack: u32) -> Vec<u8> {
        let ip = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64);
        let mut v = Vec::new();
        if flags == "U" {
            ip.udp(src, dst).write(&mut v, b"q").unwrap();
            return v;
        }
        let mut b = ip.tcp(src, dst, seq, 1000);
        for c in flags.chars() {
            b = match c {
                'S' => b.syn(),
                'F' => b.fin(),
                'R' => b.rst(),
                'A' => b.ack(ack),
                _ => b,
            };
        }
        b.write(&mut v, &[]).unwrap();
        v
    }

    /// Conversation numbers, and the pinned one's summary, are those of a full tracker: across
    /// teardowns, a linger, reused ports and the cap on conversations followed.
    #[test]
    fn numbering_and_the_pinned_summary_match_a_full_tracker() {
        let mut script = Vec::new();
        // Past SWEEP_EVERY packets, so that sweeps run too.
        for i in 0..1500u16 {
            // Client ports come back within the linger (reused), UDP ones after up to 21 s.
            let (c, t) = (40000 + i % 2, i64::from(i) * 3_000_000);
            script.push((t, seg(c, 80, "S", 100 + u32::from(i), 0)));
            script.push((t + 1, seg(80, c, "SA", 900, 101 + u32::from(i))));
            script.push((t + 2, seg(50000 + i % 7, 53, "U", 0, 0)));
            script.push((t + 3, seg(c, 80, "FA", 101 + u32::from(i), 901)));
            script.push((t + 4, seg(80, c, "FA", 901, 102 + u32::from(i))));
            if i % 3 == 0 {
                script.push((t + 5, seg(80, c, "R", 902, 0)));
            }
            script.push((t + 6, seg(c, 80, "A", 102 + u32::from(i), 902)));
        }
        let limits = Limits {
            live: 6,
            idle_ns: 25_000_000_000,
            ..Limits::default()
        };
        let run = |t: &mut Tracker| -> Vec<u32> {
            let frames = script.iter().map(|(us, b)| {
                let ts = Timestamp::new(us / 1_000_000, (us % 1_000_000) as u32 * 1000);
                (ts, b)
            });
            frames
                .map(|(ts, b)| t.observe(&decode(&Frame::whole(ts, LinkType::RAW, b))))
                .map(|i| i.expect("tracked").flow)
                .collect()
        };
        let mut full = Tracker::with_limits(limits);
        let numbers = run(&mut full);
        assert!(full.conversations() > 1500 && full.evicted_flows() > 0);
        for pin in [0, 5, 1001, full.conversations() - 1] {
            let mut one = Tracker::with_limits(Limits {
                summaries: 0,
                pinned: Some(pin),
                ..limits
            });
            assert_eq!(run(&mut one), numbers, "pinned {pin}");
            let (a, b) = (
                one.flow(pin).expect("pinned"),
                full.flow(pin).expect("kept"),
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert!(one.index.len() <= 1 && one.live_flows() == full.live_flows());
        }
    }
}
