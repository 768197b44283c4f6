//! Tracker tests over hand-built packets: roles, relative numbers, states, teardown kinds,
//! analysis events, UDP pairing and bounded memory.

use super::*;
use crate::decode::build::{PacketBuilder, TcpOptionElement};
use crate::decode::decode;
use crate::source::{Frame, LinkType, Timestamp};

/// The paths of the captures bundled with the project (pcap and pcapng).
pub(crate) fn bundled_captures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .filter(|p| p.ends_with(".pcap") || p.ends_with(".pcapng"))
        .collect();
    v.sort();
    v
}

/// A TCP segment between 127.0.0.1 ports. `flags` holds letters as tcpdump prints them:
/// S, F, R, P; `ack` sets the ACK flag.
fn tcp(
    src: u16,
    dst: u16,
    flags: &str,
    seq: u32,
    ack: Option<u32>,
    win: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut b = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).tcp(src, dst, seq, win);
    for c in flags.chars() {
        b = match c {
            'S' => b.syn(),
            'F' => b.fin(),
            'R' => b.rst(),
            'P' => b.psh(),
            _ => b,
        };
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    if flags.contains('S') {
        b = b
            .options(&[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::WindowScale(7),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
            ])
            .unwrap();
    }
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .udp(src, dst)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// Observes `bytes` at `us` microseconds.
fn at(t: &mut Tracker, us: i64, bytes: &[u8]) -> TrackInfo {
    let ts = Timestamp::new(us / 1_000_000, (us % 1_000_000) as u32 * 1000);
    let f = Frame::whole(ts, LinkType::RAW, bytes);
    t.observe(&decode(&f)).expect("tracked")
}

fn observe(t: &mut Tracker, bytes: &[u8]) -> TrackInfo {
    at(t, 0, bytes)
}

const C: u16 = 54321;
const S: u16 = 7;
const CI: u32 = 1000; // client ISN
const SI: u32 = 5000; // server ISN

/// SYN, SYN-ACK, ACK at 0, 100, 200 µs.
fn handshake(t: &mut Tracker) -> [TrackInfo; 3] {
    [
        at(t, 0, &tcp(C, S, "S", CI, None, 65535, b"")),
        at(t, 100, &tcp(S, C, "S", SI, Some(CI + 1), 65535, b"")),
        at(t, 200, &tcp(C, S, "", CI + 1, Some(SI + 1), 512, b"")),
    ]
}

fn names(i: &TrackInfo) -> Vec<&'static str> {
    i.analysis.names().collect()
}

fn change(i: &TrackInfo, k: usize) -> Option<(Endpoint, &'static str, &'static str)> {
    i.state_change[k].map(|c| (c.endpoint, c.from.name(), c.to.name()))
}

#[test]
fn handshake_roles_and_relative_numbers_across_wrap() {
    let mut t = Tracker::new();
    let c_isn = u32::MAX - 2; // the client's data crosses the 2^32 boundary
    let s_isn = 7000;
    let syn = observe(&mut t, &tcp(54321, 7, "S", c_isn, None, 1000, b""));
    assert_eq!(
        (syn.flow, syn.dir, syn.roles, syn.rel_seq),
        (0, Dir::ToServer, RoleBasis::Syn, 0)
    );
    let synack = observe(
        &mut t,
        &tcp(7, 54321, "S", s_isn, Some(c_isn.wrapping_add(1)), 1000, b""),
    );
    assert_eq!(
        (synack.dir, synack.rel_seq, synack.rel_ack),
        (Dir::ToClient, 0, 1)
    );
    let data = observe(
        &mut t,
        &tcp(
            54321,
            7,
            "P",
            c_isn.wrapping_add(1),
            Some(s_isn + 1),
            1000,
            b"hello",
        ),
    );
    assert_eq!((data.rel_seq, data.rel_ack), (1, 1));
    assert!(data.analysis.is_empty(), "{:?}", names(&data));
    let ack = observe(
        &mut t,
        &tcp(
            7,
            54321,
            "",
            s_isn + 1,
            Some(c_isn.wrapping_add(6)),
            1000,
            b"",
        ),
    );
    assert_eq!(ack.rel_ack, 6);
    assert!(ack.analysis.is_empty(), "{:?}", names(&ack));
    // More data after the wrap: still in order, no analysis event.
    let more = observe(
        &mut t,
        &tcp(
            54321,
            7,
            "P",
            c_isn.wrapping_add(6),
            Some(s_isn + 1),
            1000,
            b"abc",
        ),
    );
    assert_eq!(more.rel_seq, 6);
    assert!(more.analysis.is_empty(), "{:?}", names(&more));
    assert_eq!(t.flows().len(), 1);
    assert_eq!(t.flows()[0].client.1, 54321);
    assert_eq!(t.flows()[0].sides[0].bytes, 8);
}

#[test]
fn full_connection_states_and_fin_close() {
    let mut t = Tracker::new();
    let [syn, synack, ack] = handshake(&mut t);
    assert!(syn.new_flow && !synack.new_flow);
    assert_eq!(
        change(&syn, 0),
        Some((Endpoint::Client, "CLOSED", "SYN-SENT"))
    );
    assert_eq!(
        change(&syn, 1),
        Some((Endpoint::Server, "LISTEN", "SYN-RECEIVED"))
    );
    assert_eq!(change(&synack, 0), None);
    assert_eq!(
        change(&synack, 1),
        Some((Endpoint::Client, "SYN-SENT", "ESTABLISHED"))
    );
    assert_eq!(
        change(&ack, 1),
        Some((Endpoint::Server, "SYN-RECEIVED", "ESTABLISHED"))
    );
    assert_eq!(ack.handshake_rtt_ns, Some(200_000));
    // Window scaling: both SYNs carried wscale 7, so the ACK's 512 means 65536 bytes.
    assert_eq!((ack.window, ack.window_scaled), (512 << 7, true));
    at(
        &mut t,
        300,
        &tcp(C, S, "P", CI + 1, Some(SI + 1), 512, b"hello"),
    );
    at(&mut t, 400, &tcp(S, C, "", SI + 1, Some(CI + 6), 512, b""));
    let fin1 = at(&mut t, 500, &tcp(C, S, "F", CI + 6, Some(SI + 1), 512, b""));
    assert_eq!(
        change(&fin1, 0),
        Some((Endpoint::Client, "ESTABLISHED", "FIN-WAIT-1"))
    );
    assert_eq!(
        change(&fin1, 1),
        Some((Endpoint::Server, "ESTABLISHED", "CLOSE-WAIT"))
    );
    let fin2 = at(&mut t, 600, &tcp(S, C, "F", SI + 1, Some(CI + 7), 512, b""));
    assert_eq!(
        change(&fin2, 0),
        Some((Endpoint::Server, "CLOSE-WAIT", "LAST-ACK"))
    );
    assert_eq!(
        change(&fin2, 1),
        Some((Endpoint::Client, "FIN-WAIT-1", "TIME-WAIT"))
    );
    let last = at(&mut t, 700, &tcp(C, S, "", CI + 7, Some(SI + 2), 512, b""));
    assert_eq!(
        change(&last, 1),
        Some((Endpoint::Server, "LAST-ACK", "CLOSED"))
    );
    assert_eq!(last.states, [TcpState::TimeWait, TcpState::Closed]);
    let f = &t.flows()[0];
    assert_eq!(f.outcome(), Outcome::ClosedByFin(Endpoint::Client));
    assert_eq!(f.sides[0].mss, Some(1460));
    assert_eq!(f.sides[1].wscale, Some(7));
    assert!(f.sides[0].sack_ok);
    assert_eq!(f.handshake_rtt_ns, Some(200_000));
    assert!(f.analysis_counts.iter().all(|&n| n == 0));
}

#[test]
fn fin_wait_2_when_fin_is_acked_alone() {
    let mut t = Tracker::new();
    handshake(&mut t);
    at(&mut t, 300, &tcp(C, S, "F", CI + 1, Some(SI + 1), 512, b""));
    let ack = at(&mut t, 400, &tcp(S, C, "", SI + 1, Some(CI + 2), 512, b""));
    assert_eq!(
        change(&ack, 1),
        Some((Endpoint::Client, "FIN-WAIT-1", "FIN-WAIT-2"))
    );
    assert_eq!(
        t.flows()[0].outcome(),
        Outcome::HalfClosed(Endpoint::Client)
    );
    let fin = at(&mut t, 500, &tcp(S, C, "F", SI + 1, Some(CI + 2), 512, b""));
    assert_eq!(
        change(&fin, 1),
        Some((Endpoint::Client, "FIN-WAIT-2", "TIME-WAIT"))
    );
}

#[test]
fn simultaneous_close_goes_through_closing() {
    let mut t = Tracker::new();
    handshake(&mut t);
    // Both FINs acknowledge only the SYNs: each was sent before the other arrived.
    at(&mut t, 300, &tcp(C, S, "F", CI + 1, Some(SI + 1), 512, b""));
    let f2 = at(&mut t, 301, &tcp(S, C, "F", SI + 1, Some(CI + 1), 512, b""));
    assert_eq!(
        change(&f2, 0),
        Some((Endpoint::Server, "CLOSE-WAIT", "CLOSING"))
    );
    assert_eq!(
        change(&f2, 1),
        Some((Endpoint::Client, "FIN-WAIT-1", "CLOSING"))
    );
    let a1 = at(&mut t, 400, &tcp(C, S, "", CI + 2, Some(SI + 2), 512, b""));
    assert_eq!(
        change(&a1, 1),
        Some((Endpoint::Server, "CLOSING", "TIME-WAIT"))
    );
    let a2 = at(&mut t, 401, &tcp(S, C, "", SI + 2, Some(CI + 2), 512, b""));
    assert_eq!(
        change(&a2, 1),
        Some((Endpoint::Client, "CLOSING", "TIME-WAIT"))
    );
    assert_eq!(t.flows()[0].outcome(), Outcome::SimultaneousClose);
}

#[test]
fn simultaneous_open() {
    let mut t = Tracker::new();
    at(&mut t, 0, &tcp(C, S, "S", CI, None, 1000, b""));
    let s2 = at(&mut t, 1, &tcp(S, C, "S", SI, None, 1000, b""));
    assert_eq!(
        change(&s2, 1),
        Some((Endpoint::Client, "SYN-SENT", "SYN-RECEIVED"))
    );
    let sa1 = at(&mut t, 2, &tcp(C, S, "S", CI, Some(SI + 1), 1000, b""));
    assert_eq!(
        change(&sa1, 1),
        Some((Endpoint::Server, "SYN-RECEIVED", "ESTABLISHED"))
    );
    let sa2 = at(&mut t, 3, &tcp(S, C, "S", SI, Some(CI + 1), 1000, b""));
    assert_eq!(sa2.states, [TcpState::Established, TcpState::Established]);
    assert!(t.flows()[0].simultaneous_open);
}

#[test]
fn refused_connection() {
    let mut t = Tracker::new();
    at(&mut t, 0, &tcp(C, 9, "S", CI, None, 1000, b""));
    let rst = at(&mut t, 50, &tcp(9, C, "R", 0, Some(CI + 1), 0, b""));
    assert_eq!(rst.rel_ack, 1);
    assert_eq!(
        change(&rst, 1),
        Some((Endpoint::Client, "SYN-SENT", "CLOSED"))
    );
    assert!(rst.analysis.is_empty(), "{:?}", names(&rst));
    let f = &t.flows()[0];
    assert_eq!(f.outcome(), Outcome::Refused);
    assert_eq!(f.outcome().describe(), "refused (SYN answered by RST)");
}

#[test]
fn reset_after_established() {
    let mut t = Tracker::new();
    handshake(&mut t);
    at(&mut t, 300, &tcp(S, C, "R", SI + 1, Some(CI + 1), 0, b""));
    assert_eq!(t.flows()[0].outcome(), Outcome::Reset(Endpoint::Server));
}

#[test]
fn unanswered_syn_is_incomplete_and_its_retransmission_flagged() {
    let mut t = Tracker::new();
    let first = at(&mut t, 0, &tcp(C, S, "S", CI, None, 1000, b""));
    assert!(first.analysis.is_empty());
    // Linux retries after 1 s: same ISN, so same conversation, flagged as a retransmission.
    let again = at(&mut t, 1_000_000, &tcp(C, S, "S", CI, None, 1000, b""));
    assert_eq!(again.flow, 0);
    assert_eq!(names(&again), ["retransmission"]);
    assert_eq!(again.state_change, [None, None]);
    let f = &t.flows()[0];
    assert_eq!(f.outcome(), Outcome::Incomplete);
    assert_eq!(f.sides[0].segments, 2);
    assert_eq!(f.count(Analysis::RETRANSMISSION), 1);
}

#[test]
fn mid_connection_guesses_roles() {
    let mut t = Tracker::new();
    // Port 80 has a service name: its end is the server although it sent first.
    let i = observe(&mut t, &tcp(80, 40000, "", 500, Some(900), 1000, b"data"));
    assert_eq!(
        (i.roles, i.dir, i.rel_seq, i.rel_ack),
        (RoleBasis::Port, Dir::ToClient, 1, 1)
    );
    assert_eq!(i.states, [TcpState::Established, TcpState::Established]);
    assert!(i.roles.guessed());
    assert_eq!(t.flows()[0].server.1, 80);
    // Two ephemeral ports: the first sender is the client.
    let j = observe(&mut t, &tcp(50000, 40001, "", 1, Some(1), 1000, b"x"));
    assert_eq!((j.roles, j.dir), (RoleBasis::FirstPacket, Dir::ToServer));
    let other = observe(&mut t, &tcp(40001, 80, "S", 1, None, 1000, b""));
    assert_eq!(other.flow, 2);
    assert_eq!(t.flows()[0].outcome(), Outcome::Open);
}

#[test]
fn reused_ports_start_a_new_conversation() {
    let mut t = Tracker::new();
    handshake(&mut t);
    at(&mut t, 300, &tcp(C, S, "R", CI + 1, None, 0, b""));
    let again = at(&mut t, 400, &tcp(C, S, "S", 90_000, None, 1000, b""));
    assert_eq!(again.flow, 1);
    assert!(again.new_flow);
    assert_eq!(names(&again), ["reused_ports"]);
}

/// Client sends 3 segments of 100 bytes from rel seq 1 after the handshake.
fn data(t: &mut Tracker, us: i64, rel: u32, len: usize) -> TrackInfo {
    at(
        t,
        us,
        &tcp(C, S, "P", CI + rel, Some(SI + 1), 512, &vec![b'x'; len]),
    )
}
fn ack_of(t: &mut Tracker, us: i64, rel: u32, win: u16) -> TrackInfo {
    at(t, us, &tcp(S, C, "", SI + 1, Some(CI + rel), win, b""))
}

#[test]
fn loss_dup_acks_and_fast_retransmission() {
    let mut t = Tracker::new();
    handshake(&mut t);
    assert!(data(&mut t, 1000, 1, 100).analysis.is_empty());
    // 101..201 is lost: the next segment leaves a hole.
    let gap = data(&mut t, 1010, 201, 100);
    assert_eq!(names(&gap), ["lost_segment"]);
    let a1 = ack_of(&mut t, 1020, 101, 512);
    assert!(a1.analysis.is_empty(), "{:?}", names(&a1));
    let d1 = ack_of(&mut t, 1030, 101, 512);
    assert_eq!((names(&d1), d1.dup_ack_num), (vec!["duplicate_ack"], 1));
    let d2 = ack_of(&mut t, 1040, 101, 512);
    assert_eq!((names(&d2), d2.dup_ack_num), (vec!["duplicate_ack"], 2));
    let fast = data(&mut t, 1050, 101, 100);
    assert_eq!(names(&fast), ["retransmission", "fast_retransmission"]);
    assert_eq!(
        fast.analysis.labels().collect::<Vec<_>>(),
        ["fast retransmission"]
    );
    let full = ack_of(&mut t, 1060, 301, 512);
    assert!(full.analysis.is_empty(), "{:?}", names(&full));
    // The same bytes again after they were acknowledged: spurious.
    let spurious = data(&mut t, 900_000, 201, 100);
    assert_eq!(
        names(&spurious),
        ["retransmission", "spurious_retransmission"]
    );
}

#[test]
fn timeout_retransmission_and_out_of_order() {
    let mut t = Tracker::new();
    handshake(&mut t);
    data(&mut t, 1000, 1, 100);
    data(&mut t, 1001, 101, 100);
    // Within the handshake RTT (200 µs) of the highest segment: reordered in the network.
    let ooo = data(&mut t, 1050, 51, 50);
    assert_eq!(names(&ooo), ["out_of_order"]);
    // Long after: the sender's timer fired.
    let rto = data(&mut t, 300_000, 101, 100);
    assert_eq!(names(&rto), ["retransmission"]);
}

#[test]
fn ack_of_unseen_segment() {
    let mut t = Tracker::new();
    handshake(&mut t);
    data(&mut t, 1000, 1, 100);
    let a = ack_of(&mut t, 1100, 201, 512);
    assert_eq!(names(&a), ["ack_lost_segment"]);
}

#[test]
fn zero_window_probe_and_update() {
    let mut t = Tracker::new();
    handshake(&mut t);
    data(&mut t, 1000, 1, 100);
    let zw = ack_of(&mut t, 1100, 101, 0);
    assert_eq!(names(&zw), ["zero_window"]);
    let probe = data(&mut t, 200_000, 101, 1);
    assert_eq!(names(&probe), ["zero_window_probe"]);
    let probe_ack = ack_of(&mut t, 200_100, 101, 0);
    assert_eq!(names(&probe_ack), ["zero_window", "zero_window_probe_ack"]);
    let upd = ack_of(&mut t, 300_000, 101, 512);
    assert_eq!(names(&upd), ["window_update"]);
}

#[test]
fn window_full() {
    let mut t = Tracker::new();
    handshake(&mut t);
    // The server offers 2 << 7 = 256 bytes.
    ack_of(&mut t, 500, 1, 2);
    let full = data(&mut t, 1000, 1, 256);
    assert_eq!(names(&full), ["window_full"]);
}

#[test]
fn keep_alive_and_its_ack() {
    let mut t = Tracker::new();
    handshake(&mut t);
    data(&mut t, 1000, 1, 100);
    ack_of(&mut t, 1100, 101, 512);
    let ka = data(&mut t, 60_000_000, 100, 0);
    assert_eq!(names(&ka), ["keep_alive"]);
    let kack = ack_of(&mut t, 60_000_100, 101, 512);
    assert_eq!(names(&kack), ["keep_alive_ack"]);
}

#[test]
fn udp_flows_pair_requests_and_replies() {
    let mut t = Tracker::new();
    let q = at(&mut t, 0, &udp(41000, 53, b"query"));
    assert_eq!(
        (q.dir, q.roles, q.reply_after_ns),
        (Dir::ToServer, RoleBasis::Port, None)
    );
    let r = at(&mut t, 300, &udp(53, 41000, b"answer!"));
    assert_eq!(
        (r.flow, r.dir, r.reply_after_ns),
        (0, Dir::ToClient, Some(300_000))
    );
    let q2 = at(&mut t, 1000, &udp(41000, 53, b"again"));
    assert_eq!(q2.reply_after_ns, None);
    let f = &t.flows()[0];
    assert_eq!((f.sides[0].segments, f.sides[0].bytes), (2, 10));
    assert_eq!((f.sides[1].segments, f.sides[1].bytes), (1, 7));
    assert_eq!(f.udp_pairs, 1);
    assert_eq!(f.outcome(), Outcome::Datagrams);
}

#[test]
fn memory_is_bounded() {
    let mut t = Tracker::with_limits(Limits {
        live: 100,
        summaries: 1000,
        closed_linger_ns: 1,
        idle_ns: 10_000_000_000,
        ..Limits::default()
    });
    for i in 0..5000u32 {
        let port = 1024 + (i % 60000) as u16;
        let ip = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let mut v = Vec::new();
        PacketBuilder::ipv4(ip, [10, 0, 0, 1], 64)
            .udp(port, 53)
            .write(&mut v, b"q")
            .unwrap();
        at(&mut t, i as i64, &v);
    }
    assert!(t.live_flows() <= 100, "{}", t.live_flows());
    assert!(t.flows().len() <= 1000);
    assert!(t.dropped_summaries() >= 4000);
    assert!(t.evicted_flows() >= 4900);
    let last = t.flows().last().unwrap();
    assert_eq!(last.index, 4999);
    assert_eq!(t.flow(4999).unwrap().index, 4999);
    assert!(t.flow(0).is_none());
}

#[test]
fn analysis_names_follow_the_table() {
    let a = Analysis(Analysis::RETRANSMISSION | Analysis::DUPLICATE_ACK);
    assert_eq!(
        a.names().collect::<Vec<_>>(),
        ["retransmission", "duplicate_ack"]
    );
    assert_eq!(Analysis::bit_of("window_full"), Some(Analysis::WINDOW_FULL));
    let all: u16 = Analysis::TABLE.iter().map(|r| r.0).fold(0, |x, b| {
        assert_eq!(x & b, 0, "each bit once");
        x | b
    });
    assert_eq!(all.count_ones() as usize, Analysis::TABLE.len());
}

#[test]
fn summaries_stay_compact() {
    // The default cap of 200 000 summaries stays under 75 MB (the handshake's facts and the
    // retransmitted bytes added 24 bytes a summary).
    assert!(
        std::mem::size_of::<Flow>() <= 360,
        "{}",
        std::mem::size_of::<Flow>()
    );
}

#[test]
fn a_conversation_outliving_its_summary_keeps_its_roles_numbers_and_states() {
    // Keep only 2 summaries: the first conversation's summary is dropped while it is still
    // going on, and tracking must not notice.
    let mut t = Tracker::with_limits(Limits {
        summaries: 2,
        ..Limits::default()
    });
    let syn = observe(&mut t, &tcp(40000, 7, "S", 1000, None, 100, b""));
    assert_eq!((syn.flow, syn.dir), (0, Dir::ToServer));
    observe(&mut t, &tcp(7, 40000, "S", 5000, Some(1001), 100, b""));
    observe(&mut t, &tcp(40000, 7, "", 1001, Some(5001), 100, b""));
    for port in 41000..41010 {
        observe(&mut t, &tcp(port, 7, "S", 1, None, 100, b""));
    }
    assert!(t.dropped_summaries() > 0, "the first summary was dropped");
    assert!(t.flow(0).is_none());
    let reply = observe(&mut t, &tcp(7, 40000, "P", 5001, Some(1001), 100, b"hi"));
    assert_eq!(reply.flow, 0);
    assert_eq!(
        reply.dir,
        Dir::ToClient,
        "the server's segment goes to the client"
    );
    assert_eq!((reply.rel_seq, reply.rel_ack), (1, 1));
    assert_eq!(reply.states, [TcpState::Established, TcpState::Established]);
    assert_eq!(reply.roles, RoleBasis::Syn);
}

// ---- Issue 11: notes derived from the conversation, over the case captures. ----

/// Every TCP/UDP packet of a bundled capture, tracked; with the tracker at the end.
fn track_capture(name: &str) -> (Vec<TrackInfo>, Tracker) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/").to_string() + name;
    use crate::source::Source;
    let mut src = crate::source::FileSource::open(&path).expect("capture opens");
    let mut t = Tracker::new();
    let mut v = Vec::new();
    while let Some(f) = src.next_frame().expect("capture reads") {
        if let Some(i) = t.observe(&decode(&f)) {
            v.push(i);
        }
    }
    (v, t)
}

#[test]
fn synack_loss_ack_echoes_the_second_synack_and_karn_gives_no_rtt() {
    // Items 1 and 2: the client's ACK echoes SYN-ACK 2 of 2 (RFC 7323 §3); the handshake
    // took 1.006 s and 5 segments and gives no RTT sample (RFC 6298 §3).
    let (infos, t) = track_capture("case-synack-loss.pcap");
    let ack = infos
        .iter()
        .find(|i| i.context.handshake.is_some())
        .expect("completing ACK");
    assert_eq!(ack.context.echo, Some(notes::Echo::Nth { n: 2, of: 2 }));
    let hs = ack.context.handshake.unwrap();
    assert!(hs.retransmitted);
    assert_eq!(hs.segments, 5);
    assert!((1_000_000_000..1_010_000_000).contains(&hs.duration_ns));
    assert_eq!(ack.handshake_rtt_ns, None);
    assert_eq!(t.flows()[0].handshake_rtt_ns, None);
}

#[test]
fn syn_loss_resend_is_the_timer_and_no_rtt_sample() {
    // Items 2 and 4: the second SYN comes 1.014 s later, ≥ the initial RTO of 1 s.
    let (infos, t) = track_capture("case-syn-loss.pcap");
    let r = infos
        .iter()
        .find_map(|i| i.context.resend)
        .expect("resent SYN");
    assert!(
        matches!(r, notes::Resend::Timer { rto_ns: 1_000_000_000, gap_ns } if gap_ns >= 1_000_000_000)
    );
    let f = &t.flows()[0];
    assert_eq!(f.handshake_rtt_ns, None);
    assert_eq!(f.handshake.map(|h| h.segments), Some(4));
}

#[test]
fn synack_loss_third_synack_answers_the_repeated_syn_and_its_ack_is_not_a_hole() {
    // Items 3 and 4: the third SYN-ACK answers the repeated SYN; the duplicate ACK after it
    // answers that SYN-ACK (RFC 9293 §3.10.7.4).
    let (infos, _) = track_capture("case-synack-loss.pcap");
    let resends: Vec<_> = infos.iter().filter_map(|i| i.context.resend).collect();
    assert!(resends.contains(&notes::Resend::AnswersSyn), "{resends:?}");
    let dups: Vec<_> = infos.iter().filter_map(|i| i.context.dup_ack).collect();
    assert_eq!(dups, vec![notes::DupAck::AnswersSyn]);
}

#[test]
fn ipv6_loss_dup_acks_carry_sack_and_resends_are_not_the_timer() {
    // Items 3 and 4: the duplicate ACKs carry SACK blocks; the resends come µs after the
    // original, far below the 200 ms minimum RTO: fast retransmit, never the timer.
    let (infos, t) = track_capture("case-ipv6-loss.pcap");
    let dups: Vec<_> = infos
        .iter()
        .filter(|i| i.context.dup_ack.is_some())
        .collect();
    assert!(!dups.is_empty());
    assert!(
        dups.iter()
            .all(|i| i.context.dup_ack == Some(notes::DupAck::Sack))
    );
    assert!(dups.iter().all(|i| {
        i.context
            .sack
            .is_some_and(|(l, r, _)| l > i.rel_ack && r > l)
    }));
    let resends: Vec<_> = infos.iter().filter_map(|i| i.context.resend).collect();
    assert!(!resends.is_empty());
    assert!(
        resends
            .iter()
            .all(|r| !matches!(r, notes::Resend::Timer { .. })),
        "{resends:?}"
    );
    assert!(
        resends
            .iter()
            .any(|r| matches!(r, notes::Resend::Fast { dups, .. } if *dups >= 3))
    );
    // Item 8: retransmitted bytes are counted apart.
    assert_eq!(t.flows()[0].sides[0].retransmitted_bytes, 3 * 1428);
}

#[test]
fn zero_window_probes_and_reopening_update() {
    // Items 5 and 9: Linux's probes (tshark: keep_alive) go to a zero window; the window
    // update reopens it; the early resend is not the timer.
    let (infos, _) = track_capture("case-zero-window.pcap");
    let probes = infos
        .iter()
        .filter(|i| i.analysis.has(Analysis::KEEP_ALIVE))
        .collect::<Vec<_>>();
    assert!(!probes.is_empty());
    assert!(probes.iter().all(|i| i.context.peer_window_zero));
    assert!(infos.iter().any(|i| i.context.reopens));
    assert!(
        infos
            .iter()
            .filter_map(|i| i.context.resend)
            .all(|r| !matches!(r, notes::Resend::Timer { .. }))
    );
}

#[test]
fn window_update_with_grown_sack_is_flagged_as_new_sack_information() {
    // Item 5: over the lossy captures, a window update whose SACK block grew is reported so.
    let (infos, _) = track_capture("lossy-unseen.pcap");
    for i in infos
        .iter()
        .filter(|i| i.analysis.has(Analysis::WINDOW_UPDATE))
    {
        if let Some((l, r, _)) = i.context.sack {
            assert!(r > l);
        }
    }
}

#[test]
fn refused_rst_is_seq_zero_from_closed() {
    // Item 6: RFC 9293 §3.10.7.1, <SEQ=0><ACK=SEG.SEQ+1>: relative 0 as absolute 0.
    for name in ["synthetic-refused.pcap", "lesson-refused.pcap"] {
        let (infos, t) = track_capture(name);
        let rst = infos.last().unwrap();
        assert!(rst.context.rst_from_closed, "{name}");
        assert_eq!(rst.rel_seq, 0, "{name}");
        assert_eq!(rst.rel_ack, 1, "{name}");
        assert!(t.flows()[0].refused);
    }
}

/// Without the notes' facts ([`Limits::notes`] off, as the streaming views run), every packet's
/// description is the same but for those facts: the handshake and its echo stay, and so does
/// every conversation's summary.
#[test]
fn without_notes_only_the_notes_facts_are_left_out() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("captures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        use crate::source::Source;
        let mut src =
            crate::source::FileSource::open(&format!("{dir}/{name}")).expect("capture opens");
        let mut full = Tracker::new();
        let mut lite = Tracker::with_limits(Limits {
            notes: false,
            ..Limits::default()
        });
        while let Some(f) = src.next_frame().expect("capture reads") {
            let p = decode(&f);
            let (Some(mut a), Some(b)) = (full.observe(&p), lite.observe(&p)) else {
                continue;
            };
            a.context = notes::Context {
                handshake: a.context.handshake,
                echo: a.context.echo,
                ..notes::Context::default()
            };
            assert_eq!(a, b, "{name}");
        }
        let kept = |t: &Tracker| format!("{:?}", t.flows());
        assert_eq!(kept(&full), kept(&lite), "{name}");
    }
}

type End = (std::net::IpAddr, u16);

/// Every ordered pair of the endpoints made of `ips` and `ports`.
fn endpoint_pairs(ips: &[std::net::IpAddr], ports: &[u16]) -> Vec<(End, End)> {
    let ends: Vec<End> = (ips.iter())
        .flat_map(|&ip| ports.iter().map(move |&port| (ip, port)))
        .collect();
    (ends.iter())
        .flat_map(|&a| ends.iter().map(move |&b| (a, b)))
        .collect()
}

/// `FlowKey::of` orders two IPv4 endpoints as the tuples `(IpAddr, u16)` order.
#[test]
fn flow_key_orders_ipv4_endpoints_as_tuples() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ips: [IpAddr; 6] = [
        Ipv4Addr::new(0, 0, 0, 0).into(),
        Ipv4Addr::new(10, 0, 0, 1).into(),
        Ipv4Addr::new(10, 0, 0, 2).into(),
        Ipv4Addr::new(255, 255, 255, 255).into(),
        Ipv6Addr::LOCALHOST.into(),
        Ipv6Addr::UNSPECIFIED.into(),
    ];
    for (src, dst) in endpoint_pairs(&ips, &[0, 1, 80, 65535]) {
        let (key, src_is_lo) = FlowKey::of(6, src, dst);
        assert_eq!(src_is_lo, src <= dst, "{src:?} {dst:?}");
        assert_eq!((key.lo, key.hi), (src.min(dst), src.max(dst)));
    }
}

/// The table's compact key is the same for both directions, and names the conversation that
/// `FlowKey::of` names: IPv4 and IPv6, equal addresses, ports in either order.
#[test]
fn compact_keys_agree_with_flow_keys() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ips: [IpAddr; 6] = [
        Ipv4Addr::new(10, 0, 0, 1).into(),
        Ipv4Addr::new(10, 0, 0, 2).into(),
        Ipv4Addr::new(192, 168, 1, 1).into(),
        Ipv4Addr::new(255, 255, 255, 255).into(),
        Ipv6Addr::LOCALHOST.into(),
        "2001:db8::1".parse().unwrap(),
    ];
    let ports = [0, 1, 80, 443, 65535];
    let mut seen = std::collections::HashSet::new();
    for protocol in [proto::TCP, proto::UDP] {
        for (src, dst) in endpoint_pairs(&ips, &ports) {
            let (flow_key, src_is_lo) = FlowKey::of(protocol, src, dst);
            let (key, lo) = index::Key::of(protocol, src, dst);
            assert_eq!(lo, src_is_lo, "{src:?} {dst:?}");
            assert_eq!(key, index::Key::of(protocol, dst, src).0, "{src:?} {dst:?}");
            assert_eq!(key.flow_key(), flow_key, "{src:?} {dst:?}");
            assert_eq!(index::Key::of_flow(&flow_key), key, "{src:?} {dst:?}");
            seen.insert(key);
        }
    }
    // Distinct conversations, distinct keys: as many as unordered pairs of endpoints.
    let ends = ips.len() * ports.len();
    assert_eq!(seen.len(), 2 * ends * (ends + 1) / 2);
}

/// `observe_brief` does what `observe` does: the same conversation numbers and first packets,
/// and the same summaries after every bundled capture.
#[test]
fn observe_brief_agrees_with_observe() {
    for p in &bundled_captures() {
        let flows = Limits {
            notes: false,
            ..Limits::records()
        };
        // The last pair: the table's tracker (no notes) against one that derives them all.
        let pairs = [
            (Limits::default(), Limits::default()),
            (Limits::records(), Limits::records()),
            (Limits::records(), flows),
        ];
        for (full, brief) in pairs {
            let (mut a, mut b) = (Tracker::with_limits(full), Tracker::with_limits(brief));
            let mut src = crate::source::FileSource::open(p).unwrap();
            while let Ok(Some(f)) = crate::source::Source::next_frame(&mut src) {
                let pkt = decode(&f);
                let full = a.observe(&pkt).map(|i| (i.flow, i.new_flow));
                assert_eq!(b.observe_brief(&pkt), full, "{p}");
            }
            let sa: Vec<String> = a.summaries().map(|f| format!("{f:?}")).collect();
            let sb: Vec<String> = b.summaries().map(|f| format!("{f:?}")).collect();
            assert_eq!(sa, sb, "{p}");
        }
    }
}

/// Beyond the cap, the least recently seen tenth of the live conversations is dropped: the
/// same ones as a model of the rule picks, with packets that revisit older conversations so
/// that the order of last packets differs from the order of first ones.
#[test]
fn the_cap_evicts_the_least_recently_seen() {
    evicts_least_recently_seen(|step| step * 1000);
}

/// The same with packets out of time order: the least recently seen are those whose last
/// packet is the earliest, not those whose last packet came first.
#[test]
fn the_cap_evicts_the_least_recently_seen_out_of_order() {
    evicts_least_recently_seen(|step| (step * 7919 % 600) * 1000);
}

fn evicts_least_recently_seen(time: fn(i64) -> i64) {
    let limits = Limits {
        live: 40,
        ..Limits::records()
    };
    let mut t = Tracker::with_limits(limits);
    // Conversation by client port → time of its last packet, as the rule sees them.
    let mut model: std::collections::BTreeMap<u16, i64> = Default::default();
    let mut numbers: std::collections::HashMap<u16, u32> = Default::default();
    for step in 0..600i64 {
        // Mostly new conversations; every third packet revisits one seen earlier.
        let port = if step % 3 == 2 {
            let ports: Vec<u16> = model.keys().copied().collect();
            ports[(step as usize * 7) % ports.len()]
        } else {
            20000 + step as u16
        };
        if !model.contains_key(&port) && model.len() >= limits.live {
            let mut by_age: Vec<(i64, u16)> = model.iter().map(|(&p, &s)| (s, p)).collect();
            by_age.sort();
            for (_, p) in by_age.iter().take((model.len() / 10).max(1)) {
                model.remove(p);
            }
        }
        let info = at(&mut t, time(step), &udp(port, 53, b"q"));
        if info.new_flow {
            numbers.insert(port, info.flow);
        }
        model.insert(port, time(step));
        let mut live: Vec<u32> = t.index.values().map(|s| s.live.index).collect();
        let mut want: Vec<u32> = model.keys().map(|p| numbers[p]).collect();
        live.sort();
        want.sort();
        assert_eq!(live, want, "after packet {step}");
    }
    assert!(t.evicted_flows() > 100);
}

/// A live conversation's state stays within 648 bytes (a 656-byte allocation): up to
/// [`Limits::live`] of them are held at once, most of a conversations table's memory.
#[test]
fn live_state_stays_small() {
    assert!(std::mem::size_of::<super::Live>() <= 648);
}
