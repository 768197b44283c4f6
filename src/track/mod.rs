//! Connection tracking: conversations keyed by a canonical 5-tuple, roles (client, server),
//! and relative sequence numbers with wrapping arithmetic (RFC 9293 §3.4).
//!
//! [`Tracker::observe`] is called once per packet, in order, and returns a [`TrackInfo`] that the
//! renderers use. The tracking issue extends the per-flow state (TCP states, analysis).

pub mod seq;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::{Packet, Transport, proto};
pub use seq::SeqNumber;

/// A conversation's identity, the same for both directions: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub protocol: u8,
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether `src` is the `lo` endpoint.
    pub fn of(protocol: u8, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (FlowKey, bool) {
        if src <= dst {
            (
                FlowKey {
                    protocol,
                    lo: src,
                    hi: dst,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    protocol,
                    lo: dst,
                    hi: src,
                },
                false,
            )
        }
    }
}

/// Direction of a packet relative to the roles of its conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// How the roles of a conversation were decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleBasis {
    /// The client sent the first SYN (without ACK).
    Syn,
    /// The first packet seen was a SYN-ACK: its receiver is the client.
    SynAck,
    /// No handshake was seen: the sender of the first packet is taken as the client.
    FirstPacket,
}

/// Per-direction sequence state.
#[derive(Clone, Copy, Debug, Default)]
pub struct Side {
    /// Base for relative numbers: the ISN when the SYN was seen.
    pub isn: Option<SeqNumber>,
    pub segments: u64,
    pub bytes: u64,
}

/// One conversation.
#[derive(Clone, Debug)]
pub struct Flow {
    pub index: u32,
    pub key: FlowKey,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub roles: RoleBasis,
    /// [client → server, server → client].
    pub sides: [Side; 2],
}

/// What the tracker says about one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackInfo {
    /// Index of the conversation, in order of first appearance, from 0.
    pub flow: u32,
    pub dir: Dir,
    pub roles: RoleBasis,
    /// TCP only: sequence and acknowledgement numbers relative to each side's ISN.
    pub rel_seq: u32,
    pub rel_ack: u32,
}

/// Follows every TCP and UDP conversation seen.
#[derive(Debug, Default)]
pub struct Tracker {
    index: HashMap<FlowKey, u32>,
    flows: Vec<Flow>,
}

impl Tracker {
    pub fn new() -> Self {
        Tracker::default()
    }

    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    pub fn flow(&self, i: u32) -> Option<&Flow> {
        self.flows.get(i as usize)
    }

    /// Updates the conversation of `p` and describes `p` within it. `None` for packets that
    /// are not TCP or UDP over IP.
    pub fn observe(&mut self, p: &Packet<'_>) -> Option<TrackInfo> {
        let (src, dst) = (p.src_ip()?, p.dst_ip()?);
        let (sp, dp, protocol) = match &p.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, proto::TCP),
            Transport::Udp(u) => (u.src_port, u.dst_port, proto::UDP),
            _ => return None,
        };
        let (key, _) = FlowKey::of(protocol, (src, sp), (dst, dp));
        let tcp = p.tcp();
        let idx = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.flows.len() as u32;
                let (client, server, roles) = match tcp {
                    Some(t) if t.flags.syn() && !t.flags.ack() => {
                        ((src, sp), (dst, dp), RoleBasis::Syn)
                    }
                    Some(t) if t.flags.syn() => ((dst, dp), (src, sp), RoleBasis::SynAck),
                    _ => ((src, sp), (dst, dp), RoleBasis::FirstPacket),
                };
                self.flows.push(Flow {
                    index: i,
                    key,
                    client,
                    server,
                    roles,
                    sides: [Side::default(); 2],
                });
                self.index.insert(key, i);
                i
            }
        };
        let flow = &mut self.flows[idx as usize];
        let dir = if (src, sp) == flow.client && (dst, dp) == flow.server {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let (me, peer) = match dir {
            Dir::ToServer => (0, 1),
            Dir::ToClient => (1, 0),
        };
        let mut info = TrackInfo {
            flow: idx,
            dir,
            roles: flow.roles,
            rel_seq: 0,
            rel_ack: 0,
        };
        flow.sides[me].segments += 1;
        flow.sides[me].bytes += p.payload_wire_len as u64;
        if let Some(t) = tcp {
            let seq = SeqNumber(t.seq);
            // Without a SYN, the first byte seen is numbered 1, as Wireshark does.
            let base = *flow.sides[me]
                .isn
                .get_or_insert(if t.flags.syn() { seq } else { seq - 1 });
            info.rel_seq = seq - base;
            if t.flags.ack() {
                let ack = SeqNumber(t.ack);
                let peer_base = *flow.sides[peer].isn.get_or_insert(ack - 1);
                info.rel_ack = ack - peer_base;
            }
        }
        Some(info)
    }
}

#[cfg(test)]
mod tests;
