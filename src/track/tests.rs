//! Tracker tests over hand-built packets.

use super::*;
use crate::decode::decode;
use crate::source::{Frame, LinkType, Timestamp};
use etherparse::PacketBuilder;

fn tcp(src: u16, dst: u16, seq: u32, ack: Option<u32>, syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).tcp(src, dst, seq, 1000);
    if syn {
        b = b.syn();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn observe(t: &mut Tracker, bytes: &[u8]) -> TrackInfo {
    let f = Frame::whole(Timestamp::default(), LinkType::RAW, bytes);
    t.observe(&decode(&f)).expect("tracked")
}

#[test]
fn handshake_roles_and_relative_numbers_across_wrap() {
    let mut t = Tracker::new();
    let c_isn = u32::MAX - 2; // the client's data crosses the 2^32 boundary
    let s_isn = 7000;
    let syn = observe(&mut t, &tcp(54321, 7, c_isn, None, true, b""));
    assert_eq!(
        (syn.flow, syn.dir, syn.roles, syn.rel_seq),
        (0, Dir::ToServer, RoleBasis::Syn, 0)
    );
    let synack = observe(
        &mut t,
        &tcp(7, 54321, s_isn, Some(c_isn.wrapping_add(1)), true, b""),
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
            c_isn.wrapping_add(1),
            Some(s_isn + 1),
            false,
            b"hello",
        ),
    );
    assert_eq!((data.rel_seq, data.rel_ack), (1, 1));
    let ack = observe(
        &mut t,
        &tcp(7, 54321, s_isn + 1, Some(c_isn.wrapping_add(6)), false, b""),
    );
    assert_eq!(ack.rel_ack, 6);
    assert_eq!(t.flows().len(), 1);
    assert_eq!(t.flows()[0].client.1, 54321);
    assert_eq!(t.flows()[0].sides[0].bytes, 5);
}

#[test]
fn mid_connection_guesses_roles() {
    let mut t = Tracker::new();
    let i = observe(&mut t, &tcp(80, 40000, 500, Some(900), false, b"data"));
    assert_eq!(
        (i.roles, i.rel_seq, i.rel_ack),
        (RoleBasis::FirstPacket, 1, 1)
    );
    let other = observe(&mut t, &tcp(40001, 80, 1, None, true, b""));
    assert_eq!(other.flow, 1);
}
