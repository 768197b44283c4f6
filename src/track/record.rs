//! Compact records of conversations, so that a table of every conversation in a large capture
//! (`sockscope flows`) costs a fixed, small size per conversation: a [`Flow`] summary with its
//! analysis state is about a kilobyte, a [`FlowRecord`] is at most 128 bytes. Strings are built
//! only when the table is printed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::analysis::Analysis;
use super::notes::Handshake;
use super::seq::SeqNumber;
use super::state::TcpState;
use super::{Endpoint, Flow, FlowKey, Outcome, RoleBasis, Side, scratch_flow};
use crate::source::Timestamp;

/// What a conversation with analysis events keeps beside its record: the counts, and the facts
/// that only such a conversation has (retransmitted bytes, a retransmitted handshake), so the
/// table printed from records equals the one printed from summaries.
#[derive(Clone, Copy, Debug)]
pub struct EventCounts {
    pub counts: [u32; Analysis::TABLE.len()],
    pub retransmitted_bytes: [u32; 2],
    pub handshake: Option<Handshake>,
}

impl EventCounts {
    pub fn of(f: &Flow) -> EventCounts {
        EventCounts {
            counts: f.analysis_counts,
            retransmitted_bytes: [
                f.sides[0].retransmitted_bytes,
                f.sides[1].retransmitted_bytes,
            ],
            handshake: f.handshake,
        }
    }
}

const V6: u16 = 1 << 0;
/// The conversation is still followed: the tracker's live state is the authority.
const LIVE: u16 = 1 << 1;
const ESTABLISHED: u16 = 1 << 2;
const SIM_OPEN: u16 = 1 << 3;
const SIM_CLOSE: u16 = 1 << 4;
const REFUSED: u16 = 1 << 5;
const FIN0: u16 = 1 << 6;
const FIN1: u16 = 1 << 7;
const RST0: u16 = 1 << 8;
const RST1: u16 = 1 << 9;
const NO_EVENTS: u32 = u32::MAX;
const NO_RTT: u64 = u64::MAX;

/// What the conversations table needs of one conversation, in a fixed size. Kept: endpoints,
/// roles, both sides' segment and byte counts, TCP states, FIN sequence numbers and RST flags,
/// the first and last timestamps, the handshake RTT, the outcome's inputs, UDP pairs and the
/// analysis counts (beside, when any). Not kept: ISNs, SYN options, windows, the last TSval.
#[derive(Clone, Copy, Debug)]
pub struct FlowRecord {
    /// Client then server; an IPv4 address in the first four bytes.
    addrs: [[u8; 16]; 2],
    ports: [u16; 2],
    segments: [u64; 2],
    bytes: [u64; 2],
    first_sec: i64,
    last_sec: i64,
    first_nsec: u32,
    last_nsec: u32,
    rtt_ns: u64,
    /// TCP: the two FIN sequence numbers; UDP: the request/response pairs.
    extra: u64,
    /// Index into the tracker's event counts, or [`NO_EVENTS`].
    events: u32,
    flags: u16,
    protocol: u8,
    roles: RoleBasis,
    states: [TcpState; 2],
    first_fin: Option<Endpoint>,
    first_rst: Option<Endpoint>,
    /// Derived from the fields above ([`Flow::outcome`]), kept so that the table reads it
    /// without rebuilding the summary.
    outcome: Outcome,
}

const _: () = assert!(std::mem::size_of::<FlowRecord>() <= 128);

fn addr_bytes(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => {
            let mut b = [0; 16];
            b[..4].copy_from_slice(&a.octets());
            b
        }
        IpAddr::V6(a) => a.octets(),
    }
}

impl FlowRecord {
    /// The record of `f`, marked live (its tracker still follows it); `events` is where its
    /// analysis counts are, if any.
    pub fn of(f: &Flow, events: Option<u32>, live: bool) -> Self {
        let v6 = f.client.0.is_ipv6();
        let bit = |b: bool, m: u16| if b { m } else { 0 };
        let fin = |i: usize| f.sides[i].fin_seq.map_or(0, |s| s.0);
        let extra = if f.is_tcp() {
            (u64::from(fin(0)) << 32) | u64::from(fin(1))
        } else {
            f.udp_pairs
        };
        FlowRecord {
            addrs: [addr_bytes(f.client.0), addr_bytes(f.server.0)],
            ports: [f.client.1, f.server.1],
            segments: [f.sides[0].segments, f.sides[1].segments],
            bytes: [f.sides[0].bytes, f.sides[1].bytes],
            first_sec: f.first_ts.sec,
            last_sec: f.last_ts.sec,
            first_nsec: f.first_ts.nsec,
            last_nsec: f.last_ts.nsec,
            rtt_ns: f.handshake_rtt_ns.unwrap_or(NO_RTT),
            extra,
            events: events.unwrap_or(NO_EVENTS),
            flags: bit(v6, V6)
                | bit(live, LIVE)
                | bit(f.established, ESTABLISHED)
                | bit(f.simultaneous_open, SIM_OPEN)
                | bit(f.simultaneous_close, SIM_CLOSE)
                | bit(f.refused, REFUSED)
                | bit(f.sides[0].fin_seq.is_some(), FIN0)
                | bit(f.sides[1].fin_seq.is_some(), FIN1)
                | bit(f.sides[0].sent_rst, RST0)
                | bit(f.sides[1].sent_rst, RST1),
            protocol: f.key.protocol,
            roles: f.roles,
            states: [f.sides[0].state, f.sides[1].state],
            first_fin: f.first_fin,
            first_rst: f.first_rst,
            outcome: f.outcome(),
        }
    }

    /// The record of `f` as it starts (no packet counted yet), marked live: what
    /// [`FlowRecord::of`] writes of a conversation just begun, from the few facts that are not
    /// zero or blank then. While the tracker follows it, the live state is the authority and
    /// of its record only the key is read; the whole record is written when it retires.
    pub fn live(f: &Flow) -> Self {
        let bit = |b: bool, m: u16| if b { m } else { 0 };
        FlowRecord {
            addrs: [addr_bytes(f.client.0), addr_bytes(f.server.0)],
            ports: [f.client.1, f.server.1],
            segments: [0; 2],
            bytes: [0; 2],
            first_sec: f.first_ts.sec,
            last_sec: f.first_ts.sec,
            first_nsec: f.first_ts.nsec,
            last_nsec: f.first_ts.nsec,
            rtt_ns: NO_RTT,
            extra: 0,
            events: NO_EVENTS,
            flags: bit(f.client.0.is_ipv6(), V6) | LIVE | bit(f.established, ESTABLISHED),
            protocol: f.key.protocol,
            roles: f.roles,
            states: [f.sides[0].state, f.sides[1].state],
            first_fin: None,
            first_rst: None,
            outcome: f.outcome(),
        }
    }

    /// What the conversations table prints of this record, numbered `index`: the fields of
    /// [`FlowRecord::expand`]'s summary that the table reads, without building it.
    pub fn brief<'a>(&self, index: u32, events: &'a [EventCounts]) -> Brief<'a> {
        let e = events.get(self.events as usize);
        let tcp = self.protocol == crate::decode::proto::TCP;
        let first = Timestamp::new(self.first_sec, self.first_nsec);
        Brief {
            index,
            tcp,
            guessed: tcp && self.roles.guessed(),
            client: (self.ip(0), self.ports[0]),
            server: (self.ip(1), self.ports[1]),
            segments: self.segments,
            bytes: self.bytes,
            retransmitted_bytes: e.map_or([0; 2], |e| e.retransmitted_bytes),
            duration_ns: Timestamp::new(self.last_sec, self.last_nsec)
                .nanos_since(first)
                .max(0) as u64,
            handshake_rtt_ns: (self.rtt_ns != NO_RTT).then_some(self.rtt_ns),
            handshake: e.and_then(|e| e.handshake),
            outcome: self.outcome,
            udp_pairs: if tcp { 0 } else { self.extra },
            analysis_counts: e.map(|e| &e.counts),
        }
    }

    /// Whether the tracker still follows this conversation.
    pub fn is_live(&self) -> bool {
        self.flags & LIVE != 0
    }

    fn ip(&self, i: usize) -> IpAddr {
        let b = self.addrs[i];
        if self.flags & V6 != 0 {
            IpAddr::V6(Ipv6Addr::from(b))
        } else {
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        }
    }

    /// The conversation's key (to find its live state).
    pub fn key(&self) -> FlowKey {
        let (client, server) = ((self.ip(0), self.ports[0]), (self.ip(1), self.ports[1]));
        FlowKey::of(self.protocol, client, server).0
    }

    /// The summary back, numbered `index`, with the fields this record does not keep at their
    /// defaults (see [`FlowRecord`]).
    pub fn expand(&self, index: u32, events: &[EventCounts]) -> Flow {
        let client = (self.ip(0), self.ports[0]);
        let server = (self.ip(1), self.ports[1]);
        let mut f = scratch_flow(index, self.key(), client, server);
        let tcp = f.is_tcp();
        let has = |m: u16| self.flags & m != 0;
        for (i, side) in f.sides.iter_mut().enumerate() {
            let fin = [(self.extra >> 32) as u32, self.extra as u32][i];
            *side = Side {
                segments: self.segments[i],
                bytes: self.bytes[i],
                state: self.states[i],
                fin_seq: (tcp && has([FIN0, FIN1][i])).then_some(SeqNumber(fin)),
                sent_rst: has([RST0, RST1][i]),
                ..Side::default()
            };
        }
        f.roles = self.roles;
        f.first_ts = Timestamp::new(self.first_sec, self.first_nsec);
        f.last_ts = Timestamp::new(self.last_sec, self.last_nsec);
        f.handshake_rtt_ns = (self.rtt_ns != NO_RTT).then_some(self.rtt_ns);
        f.established = has(ESTABLISHED);
        f.simultaneous_open = has(SIM_OPEN);
        f.simultaneous_close = has(SIM_CLOSE);
        f.refused = has(REFUSED);
        f.first_fin = self.first_fin;
        f.first_rst = self.first_rst;
        if let Some(e) = events.get(self.events as usize) {
            f.analysis_counts = e.counts;
            f.sides[0].retransmitted_bytes = e.retransmitted_bytes[0];
            f.sides[1].retransmitted_bytes = e.retransmitted_bytes[1];
            f.handshake = e.handshake;
        }
        f.udp_pairs = if tcp { 0 } else { self.extra };
        f
    }
}

/// What the conversations table (`sockscope flows`) prints of one conversation: read from a
/// [`FlowRecord`] or lent from a [`Flow`], so that a long table never rebuilds summaries.
#[derive(Clone, Copy, Debug)]
pub struct Brief<'a> {
    pub index: u32,
    pub tcp: bool,
    /// TCP roles guessed (no handshake seen): [`RoleBasis::guessed`].
    pub guessed: bool,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// [client → server, server → client], as in [`Side`].
    pub segments: [u64; 2],
    pub bytes: [u64; 2],
    pub retransmitted_bytes: [u32; 2],
    pub duration_ns: u64,
    pub handshake_rtt_ns: Option<u64>,
    pub handshake: Option<Handshake>,
    pub outcome: Outcome,
    /// UDP: request/response pairs (0 for TCP).
    pub udp_pairs: u64,
    /// In the order of [`Analysis::TABLE`]; `None` when none counted.
    pub analysis_counts: Option<&'a [u32; Analysis::TABLE.len()]>,
}

impl<'a> Brief<'a> {
    /// The table's view of summary `f`.
    pub fn of(f: &'a Flow) -> Self {
        let side = |i: usize| &f.sides[i];
        Brief {
            index: f.index,
            tcp: f.is_tcp(),
            guessed: f.is_tcp() && f.roles.guessed(),
            client: f.client,
            server: f.server,
            segments: [side(0).segments, side(1).segments],
            bytes: [side(0).bytes, side(1).bytes],
            retransmitted_bytes: [side(0).retransmitted_bytes, side(1).retransmitted_bytes],
            duration_ns: f.duration_ns(),
            handshake_rtt_ns: f.handshake_rtt_ns,
            handshake: f.handshake,
            outcome: f.outcome(),
            udp_pairs: f.udp_pairs,
            analysis_counts: Some(&f.analysis_counts),
        }
    }

    /// Count of segments with the event `bit` of [`Analysis::TABLE`], as [`Flow::count`].
    pub fn count(&self, bit: u16) -> u32 {
        let at = Analysis::TABLE.iter().position(|(b, _, _)| *b == bit);
        match (self.analysis_counts, at) {
            (Some(c), Some(i)) => c[i],
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, Tracker};
    use crate::render::flows::write_table;
    use crate::source::{FileSource, Source};

    fn table(path: &str, limits: Limits) -> String {
        let mut t = Tracker::with_limits(limits);
        let mut src = FileSource::open(path).unwrap();
        while let Ok(Some(f)) = src.next_frame() {
            t.observe(&crate::decode::decode(&f));
        }
        let mut out = Vec::new();
        write_table(&mut out, &t, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The table from records equals the table from full summaries, for every capture of the
    /// repository, also when conversations are retired as soon as the next one starts.
    #[test]
    fn records_print_the_same_table_as_summaries() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let p = p.to_str().unwrap();
            if !(p.ends_with(".pcap") || p.ends_with(".pcapng")) {
                continue;
            }
            for live in [1, 100_000] {
                let summaries = Limits {
                    live,
                    ..Limits::default()
                };
                let records = Limits {
                    live,
                    ..Limits::records()
                };
                assert_eq!(table(p, records), table(p, summaries), "{p}, live {live}");
            }
            n += 1;
        }
        assert!(n > 10, "{n} captures");
    }

    /// The summaries lent one at a time are those the iterator gives, with records or not.
    #[test]
    fn summaries_lent_equal_summaries_iterated() {
        for p in &super::super::tests::bundled_captures() {
            for limits in [Limits::default(), Limits::records()] {
                let mut t = Tracker::with_limits(Limits { live: 2, ..limits });
                let mut src = FileSource::open(p).unwrap();
                while let Ok(Some(f)) = src.next_frame() {
                    t.observe(&crate::decode::decode(&f));
                }
                let iterated: Vec<String> = t.summaries().map(|f| format!("{f:?}")).collect();
                let mut lent = Vec::new();
                let _ = t.try_for_each_summary(|f| {
                    lent.push(format!("{f:?}"));
                    Ok::<(), ()>(())
                });
                assert_eq!(lent, iterated, "{p}");
            }
        }
    }

    /// A record's brief is the brief of the summary it expands to.
    #[test]
    fn briefs_equal_those_of_expanded_summaries() {
        let mut n = 0;
        for p in &super::super::tests::bundled_captures() {
            let mut t = Tracker::with_limits(Limits {
                live: 1,
                ..Limits::records()
            });
            let mut src = FileSource::open(p).unwrap();
            while let Ok(Some(f)) = src.next_frame() {
                t.observe(&crate::decode::decode(&f));
            }
            for (r, i) in t.records.iter().zip(0u32..) {
                let f = r.expand(i, &t.events);
                let mut expanded = super::Brief::of(&f);
                let brief = r.brief(i, &t.events);
                if brief.analysis_counts.is_none() {
                    assert!(f.analysis_counts.iter().all(|&c| c == 0));
                    expanded.analysis_counts = None;
                }
                assert_eq!(format!("{brief:?}"), format!("{expanded:?}"), "{p} #{i}");
                n += 1;
            }
        }
        assert!(n > 20, "{n}");
    }

    /// A conversation's first record, written from its few set facts, is the record of its
    /// summary as it starts: TCP with each way of deciding the roles, and UDP.
    #[test]
    fn a_live_record_is_the_record_of_a_new_conversation() {
        use super::super::{FlowKey, RoleBasis, TcpState, scratch_flow};
        use crate::source::Timestamp;
        let a = ("10.0.0.1".parse().unwrap(), 40000);
        let b = ("2001:db8::1".parse().unwrap(), 80);
        let c = ("10.0.0.2".parse().unwrap(), 53);
        let starts = [
            (
                6,
                a,
                c,
                RoleBasis::Syn,
                [TcpState::Closed, TcpState::Listen],
            ),
            (
                6,
                a,
                c,
                RoleBasis::SynAck,
                [TcpState::SynSent, TcpState::Listen],
            ),
            (6, b, b, RoleBasis::Port, [TcpState::Established; 2]),
            (17, a, c, RoleBasis::FirstPacket, [TcpState::Closed; 2]),
        ];
        for (protocol, client, server, roles, states) in starts {
            let key = FlowKey::of(protocol, client, server).0;
            let mut f = scratch_flow(7, key, client, server);
            f.roles = roles;
            f.first_ts = Timestamp::new(1_700_000_000, 123_456_789);
            f.last_ts = f.first_ts;
            f.sides[0].state = states[0];
            f.sides[1].state = states[1];
            f.established = protocol == 6 && roles.guessed();
            let (live, of) = (
                super::FlowRecord::live(&f),
                super::FlowRecord::of(&f, None, true),
            );
            assert_eq!(format!("{live:?}"), format!("{of:?}"), "{roles:?}");
        }
    }

    #[test]
    fn a_record_fits_in_128_bytes() {
        assert!(std::mem::size_of::<super::FlowRecord>() <= 128);
    }
}
