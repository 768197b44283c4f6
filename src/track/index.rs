//! The table of live conversations: keyed compactly (an IPv4 conversation's canonical 5-tuple
//! is one 128-bit number, hashed and compared at once, where a [`FlowKey`] of two `IpAddr`s is
//! 44 bytes), and with what the sweeps and the least-recently-seen cap read (the time of the
//! last packet, whether the connection closed) beside each conversation's box, so that they
//! scan the table without following a pointer per conversation.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use super::{FlowKey, Live};
use crate::source::Timestamp;

type Hasher = foldhash::fast::RandomState;

/// A conversation's identity in the table: the same for both directions, ordered as
/// [`FlowKey::of`] orders the endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Key {
    /// Protocol in bits 96..104, then the `lo` endpoint (address, port) in bits 48..96 and the
    /// `hi` one in bits 0..48.
    V4(u128),
    V6(FlowKey),
}

/// One IPv4 endpoint as a number that orders as the tuple `(IpAddr, u16)` does.
fn endpoint_word(ip: Ipv4Addr, port: u16) -> u64 {
    (u64::from(u32::from(ip)) << 16) | u64::from(port)
}

impl Key {
    /// The key of a packet from `src` to `dst`, and whether `src` is the `lo` endpoint (as
    /// [`FlowKey::of`] says).
    pub(super) fn of(protocol: u8, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (Key, bool) {
        match (src, dst) {
            ((IpAddr::V4(a), ap), (IpAddr::V4(b), bp)) => Key::v4(protocol, (a, ap), (b, bp)),
            _ => {
                let (k, src_is_lo) = FlowKey::of(protocol, src, dst);
                (Key::V6(k), src_is_lo)
            }
        }
    }

    /// [`Key::of`] two IPv4 endpoints.
    pub(super) fn v4(protocol: u8, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> (Key, bool) {
        let (a, b) = (endpoint_word(src.0, src.1), endpoint_word(dst.0, dst.1));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let w = (u128::from(protocol) << 96) | (u128::from(lo) << 48) | u128::from(hi);
        (Key::V4(w), a <= b)
    }

    /// The key of the conversation `k`.
    pub(super) fn of_flow(k: &FlowKey) -> Key {
        Key::of(k.protocol, k.lo, k.hi).0
    }

    /// The public form of this key.
    pub(super) fn flow_key(&self) -> FlowKey {
        match *self {
            Key::V4(w) => {
                let end = |x: u128| {
                    let x = x as u64 & 0xffff_ffff_ffff;
                    let ip = Ipv4Addr::from((x >> 16) as u32);
                    (IpAddr::V4(ip), x as u16)
                };
                FlowKey {
                    protocol: (w >> 96) as u8,
                    lo: end(w >> 48),
                    hi: end(w),
                }
            }
            Key::V6(k) => k,
        }
    }
}

/// A live conversation with what the sweeps read.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) last_seen: Timestamp,
    /// Both ends are CLOSED or in TIME-WAIT, or a RST was seen: forgotten after a linger.
    pub(super) closed: bool,
    pub(super) live: Box<Live>,
}

impl Slot {
    /// After a packet at `ts`; `closed`: what a TCP segment says of the connection.
    pub(super) fn seen(&mut self, ts: Timestamp, closed: Option<bool>) {
        self.last_seen = ts;
        if let Some(c) = closed {
            self.closed = c;
        }
    }
}

/// The live conversations, IPv4 ones (the usual case) in a table of their own.
#[derive(Debug, Default)]
pub(super) struct Index {
    v4: HashMap<u128, Slot, Hasher>,
    v6: HashMap<FlowKey, Slot, Hasher>,
}

impl Index {
    pub(super) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub(super) fn get(&self, k: &Key) -> Option<&Slot> {
        match k {
            Key::V4(w) => self.v4.get(w),
            Key::V6(f) => self.v6.get(f),
        }
    }

    pub(super) fn get_mut(&mut self, k: &Key) -> Option<&mut Slot> {
        match k {
            Key::V4(w) => self.v4.get_mut(w),
            Key::V6(f) => self.v6.get_mut(f),
        }
    }

    pub(super) fn remove(&mut self, k: &Key) -> Option<Slot> {
        match k {
            Key::V4(w) => self.v4.remove(w),
            Key::V6(f) => self.v6.remove(f),
        }
    }

    /// Inserts `s` as the conversation `k` (replacing any) and returns it.
    pub(super) fn insert(&mut self, k: Key, s: Slot) -> &mut Slot {
        match k {
            Key::V4(w) => self.v4.entry(w).insert_entry(s).into_mut(),
            Key::V6(f) => self.v6.entry(f).insert_entry(s).into_mut(),
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Slot> {
        self.v4.values().chain(self.v6.values())
    }

    /// Keeps the conversations for which `keep` says so.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&mut Slot) -> bool) {
        self.v4.retain(|_, s| keep(s));
        self.v6.retain(|_, s| keep(s));
    }
}
