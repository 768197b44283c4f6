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

/// No neighbour in the order of last packets.
const NIL: u32 = u32::MAX;

/// A place in the table's store: a live conversation with its neighbours in the order of last
/// packets, or a vacant place (`slot` is `None`) awaiting reuse.
#[derive(Debug)]
struct Node {
    key: Key,
    slot: Option<Slot>,
    /// The conversation whose last packet came just before this one's, and just after.
    prev: u32,
    next: u32,
}

/// The live conversations, IPv4 ones (the usual case) in a map of their own, each map naming
/// its conversation's place in one store. The places are chained in the order in which their
/// conversations' last packets came (an intrusive list: two links each, moved in O(1) per
/// packet), so that the least recently seen are found without sorting the table: see
/// [`Index::oldest`].
#[derive(Debug)]
pub(super) struct Index {
    v4: HashMap<u128, u32, Hasher>,
    v6: HashMap<FlowKey, u32, Hasher>,
    nodes: Vec<Node>,
    /// Vacant places in `nodes`.
    vacant: Vec<u32>,
    /// The least and the most recently seen conversations.
    head: u32,
    tail: u32,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            v4: HashMap::default(),
            v6: HashMap::default(),
            nodes: Vec::new(),
            vacant: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }
}

impl Index {
    pub(super) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    // Once per packet: inlined into the tracker as the map look-up it wraps was.
    #[inline(always)]
    fn place(&self, k: &Key) -> Option<u32> {
        match k {
            Key::V4(w) => self.v4.get(w).copied(),
            Key::V6(f) => self.v6.get(f).copied(),
        }
    }

    #[inline]
    pub(super) fn get(&self, k: &Key) -> Option<&Slot> {
        self.nodes[self.place(k)? as usize].slot.as_ref()
    }

    /// The conversation `k`, which a packet has just been seen on: it becomes the most
    /// recently seen.
    // Once per packet: inlined into the tracker as the map look-up it wraps was.
    #[inline(always)]
    pub(super) fn get_seen(&mut self, k: &Key) -> Option<&mut Slot> {
        let i = self.place(k)?;
        if self.tail != i {
            self.unlink(i);
            self.link_last(i);
        }
        self.nodes[i as usize].slot.as_mut()
    }

    pub(super) fn remove(&mut self, k: &Key) -> Option<Slot> {
        let i = match k {
            Key::V4(w) => self.v4.remove(w),
            Key::V6(f) => self.v6.remove(f),
        }?;
        Some(self.free(i))
    }

    /// Inserts `s` as the conversation `k`, the most recently seen (replacing any), and
    /// returns it.
    pub(super) fn insert(&mut self, k: Key, s: Slot) -> &mut Slot {
        let node = Node {
            key: k,
            slot: Some(s),
            prev: NIL,
            next: NIL,
        };
        let i = match self.vacant.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        let replaced = match k {
            Key::V4(w) => self.v4.insert(w, i),
            Key::V6(f) => self.v6.insert(f, i),
        };
        if let Some(old) = replaced {
            self.free(old);
        }
        self.link_last(i);
        self.nodes[i as usize].slot.as_mut().expect("just inserted")
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Slot> {
        self.nodes.iter().filter_map(|n| n.slot.as_ref())
    }

    /// Keeps the conversations for which `keep` says so; gives the others to `gone`.
    pub(super) fn retain(
        &mut self,
        mut keep: impl FnMut(&mut Slot) -> bool,
        mut gone: impl FnMut(Slot),
    ) {
        for i in 0..self.nodes.len() {
            let n = &mut self.nodes[i];
            if let Some(s) = &mut n.slot
                && !keep(s)
            {
                let key = n.key;
                gone(
                    self.remove(&key)
                        .expect("a conversation's key names its place"),
                );
            }
        }
    }

    /// Empties the table, giving every conversation to `gone` in the order of the store (no
    /// look-up per conversation: the maps are dropped whole).
    pub(super) fn drain(&mut self, mut gone: impl FnMut(Slot)) {
        for n in self.nodes.drain(..) {
            if let Some(s) = n.slot {
                gone(s);
            }
        }
        *self = Index::default();
    }

    /// Removes the `n` least recently seen conversations (fewer if there are fewer), giving
    /// each to `gone`, the least recently seen first.
    pub(super) fn oldest(&mut self, n: usize, mut gone: impl FnMut(Slot)) {
        for _ in 0..n {
            if self.head == NIL {
                return;
            }
            let key = self.nodes[self.head as usize].key;
            gone(
                self.remove(&key)
                    .expect("a conversation's key names its place"),
            );
        }
    }

    /// Empties place `i` (already out of the maps): unlinked and vacant.
    fn free(&mut self, i: u32) -> Slot {
        self.unlink(i);
        self.vacant.push(i);
        (self.nodes[i as usize].slot.take()).expect("a mapped place holds a conversation")
    }

    #[inline]
    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            x => self.nodes[x as usize].prev = prev,
        }
    }

    #[inline]
    fn link_last(&mut self, i: u32) {
        let tail = self.tail;
        let n = &mut self.nodes[i as usize];
        n.prev = tail;
        n.next = NIL;
        match tail {
            NIL => self.head = i,
            t => self.nodes[t as usize].next = i,
        }
        self.tail = i;
    }
}
