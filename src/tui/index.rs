//! The packet index behind the explorer: one offset per packet (`Vec<u64>`) and a little
//! metadata (time, lengths, link type, the tracker's verdict), with the bytes read back on demand
//! for the rows on screen. A classic pcap file is read once, front to back; each frame's bytes
//! stay in the file and are fetched with a positioned read. Other inputs (pcapng, standard
//! input, live frames) keep their bytes in one in-memory arena that the offsets point into.

use std::collections::HashMap;
use std::fs::File;
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{Receiver, Sender};

use crate::decode::{self, Packet};
use crate::render::learner::{LearnerRenderer, Memo};
use crate::render::{PacketContext, Renderer};
use crate::source::pcap::FileKind;
use crate::source::{FileSource, Frame, LinkType, Source, SourceError, Timestamp};
use crate::track::calls::CallEvent;
use crate::track::notes::{Context, Handshake};
use crate::track::{
    Analysis, Dir, Endpoint, Limits, RoleBasis, StateChange, TcpState, TrackInfo, Tracker,
};

/// pcap-savefile(5): a 24-byte file header, then per record a 16-byte header and the captured
/// bytes, nothing in between. Only this layout lets an offset be computed without a parser.
const PCAP_FILE_HEADER: u64 = 24;
const PCAP_RECORD_HEADER: u64 = 16;

/// How many frames the reading thread sends at a time.
const BATCH: usize = 4096;

/// A growing list kept in fixed chunks: growing never copies what is there, so a million
/// records never need twice their memory for a moment, as a doubling `Vec` does.
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

/// Records per chunk.
const CHUNK: usize = 1 << 16;

impl<T: Copy> Chunked<T> {
    pub fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn push(&mut self, v: T) {
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(v);
            self.len += 1;
        }
    }

    pub fn extend(&mut self, vs: impl IntoIterator<Item = T>) {
        for v in vs {
            self.push(v);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T: Copy> Default for Chunked<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// What the explorer knows of one item (a packet, or a socket call), as [`Index::meta`] gives
/// it back from the compact record it keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Meta {
    pub ts: Timestamp,
    pub link: LinkType,
    pub caplen: u32,
    pub orig_len: u32,
    /// The conversation tracker's view (direction, relative numbers, analysis), computed once
    /// in capture order so a row can be drawn alone.
    pub track: Option<TrackInfo>,
    /// What the learner view remembered of the packet's conversation just before it, so that
    /// a row drawn alone has the note `replay` writes.
    pub notes: Memo,
    /// A socket call rather than a packet: its position in [`Index::calls`].
    pub call: Option<u32>,
}

/// The record kept per item: the offset of its bytes and the few fields of [`Meta`] that
/// cannot be read back from them (the length captured comes from the next offset). The
/// tracker's occasional facts (a handshake's times, a UDP reply's delay, a duplicate ACK's
/// count) are in [`Index::extras`]; an item whose [`Meta`] neither can hold exactly (a time
/// past 2262, most teaching context) has its whole [`Meta`] in [`Index::rare`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Item {
    /// The offset (bits 0–47), the state changes (bits 48–59, [`pack_changes`]) and whether
    /// the item has an [`Extra`] (bit 60).
    off: u64,
    /// Nanoseconds since the Unix epoch.
    ts_ns: i64,
    orig_len: u32,
    /// The conversation, or the call's position in [`Index::calls`].
    flow: u32,
    rel_seq: u32,
    rel_ack: u32,
    window: u32,
    /// The learner's memo ([`Memo::acked`]).
    acked: u32,
    analysis: u16,
    /// The learner's memo ([`Memo::bits`]).
    notes: u16,
    /// The TCP states of client and server, 4 bits each (positions in [`STATES`]).
    states: u8,
    /// [`bits`]: tracked, direction, first of its conversation, window scaled, call, rare;
    /// the two top bits say how the roles were decided (positions in [`ROLES`]).
    bits: u8,
    /// Position of its link type in [`Index::links`].
    link: u8,
}

/// The bits of [`Item::off`] that hold the offset, and the flag of an item with an [`Extra`].
const OFFSET: u64 = (1 << 48) - 1;
const HAS_EXTRA: u64 = 1 << 60;

/// The tracker's occasional facts about one item, kept aside in [`Index::extras`].
#[derive(Clone, Copy, Debug, Default)]
struct Extra {
    /// The handshake's RTT (TCP) or the reply's delay (UDP).
    delay_ns: u64,
    /// The handshake as it happened ([`Handshake`]), on the ACK that completed it.
    handshake_ns: u64,
    handshake_segments: u32,
    dup_ack_num: u32,
    /// Which of them there are: [`extra`].
    flags: u8,
}

/// The flags of [`Extra::flags`].
mod extra {
    pub const RTT: u8 = 1;
    pub const REPLY: u8 = 2;
    pub const HANDSHAKE: u8 = 4;
    pub const RESENT: u8 = 8;
}

/// A packet's state changes in 12 bits, 6 a change: present, whose (0 the client), and the
/// state it left (a position in [`STATES`]); the state it entered is the one
/// [`TrackInfo::states`] gives for that endpoint.
fn pack_changes(t: &TrackInfo) -> u64 {
    let mut b = 0;
    for (k, c) in t.state_change.iter().enumerate() {
        if let Some(c) = c {
            let who = u64::from(c.endpoint == Endpoint::Server);
            b |= (1 | who << 1 | state_code(c.from) << 2) << (6 * k);
        }
    }
    b
}

fn unpack_changes(b: u64, states: [TcpState; 2]) -> [Option<StateChange>; 2] {
    let one = |c: u64| {
        (c & 1 != 0).then(|| {
            let server = c & 2 != 0;
            StateChange {
                endpoint: if server {
                    Endpoint::Server
                } else {
                    Endpoint::Client
                },
                from: STATES[(c >> 2 & 15).min(10) as usize],
                to: states[usize::from(server)],
            }
        })
    };
    [one(b & 63), one(b >> 6 & 63)]
}

fn state_code(s: TcpState) -> u64 {
    STATES.iter().position(|&x| x == s).unwrap_or(0) as u64
}

/// The flags of [`Item::bits`].
mod bits {
    pub const TRACKED: u8 = 1;
    pub const TO_CLIENT: u8 = 2;
    pub const NEW_FLOW: u8 = 4;
    pub const SCALED: u8 = 8;
    pub const CALL: u8 = 16;
    pub const RARE: u8 = 32;
    pub const ROLES: u32 = 6;
}

const STATES: [TcpState; 11] = [
    TcpState::Closed,
    TcpState::Listen,
    TcpState::SynSent,
    TcpState::SynReceived,
    TcpState::Established,
    TcpState::FinWait1,
    TcpState::FinWait2,
    TcpState::CloseWait,
    TcpState::Closing,
    TcpState::LastAck,
    TcpState::TimeWait,
];

const ROLES: [RoleBasis; 4] = [
    RoleBasis::Syn,
    RoleBasis::SynAck,
    RoleBasis::FirstPacket,
    RoleBasis::Port,
];

/// The compact record of `m` (whose bytes start at `off`), and its occasional facts.
fn pack(m: &Meta, off: u64, links: &mut Vec<LinkType>) -> (Item, Option<Extra>) {
    let link = match links.iter().position(|&l| l == m.link) {
        Some(k) => k,
        None => {
            links.push(m.link);
            links.len() - 1
        }
    };
    let mut it = Item {
        off: off & OFFSET,
        ts_ns: m
            .ts
            .sec
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(i64::from(m.ts.nsec)))
            .unwrap_or(0),
        orig_len: m.orig_len,
        flow: m.call.unwrap_or(0),
        acked: m.notes.acked,
        notes: m.notes.bits,
        link: u8::try_from(link).unwrap_or(0),
        bits: if m.call.is_some() { bits::CALL } else { 0 },
        ..Item::default()
    };
    let mut extra = None;
    if let Some(t) = m.track {
        let state = |s: TcpState| state_code(s) as u8;
        let roles = ROLES.iter().position(|&r| r == t.roles).unwrap_or(0) as u8;
        it.flow = t.flow;
        it.rel_seq = t.rel_seq;
        it.rel_ack = t.rel_ack;
        it.window = t.window;
        it.analysis = t.analysis.0;
        it.states = state(t.states[0]) | state(t.states[1]) << 4;
        it.bits |= bits::TRACKED
            | if t.dir == Dir::ToClient {
                bits::TO_CLIENT
            } else {
                0
            }
            | if t.new_flow { bits::NEW_FLOW } else { 0 }
            | if t.window_scaled { bits::SCALED } else { 0 }
            | roles << bits::ROLES;
        it.off |= pack_changes(&t) << 48;
        let mut x = Extra {
            dup_ack_num: t.dup_ack_num,
            ..Extra::default()
        };
        if let Some(ns) = t.handshake_rtt_ns {
            (x.delay_ns, x.flags) = (ns, extra::RTT);
        }
        if let Some(ns) = t.reply_after_ns {
            (x.delay_ns, x.flags) = (ns, x.flags | extra::REPLY);
        }
        if let Some(h) = t.context.handshake {
            x.handshake_ns = h.duration_ns;
            x.handshake_segments = h.segments;
            x.flags |= extra::HANDSHAKE | if h.retransmitted { extra::RESENT } else { 0 };
        }
        if x.flags != 0 || x.dup_ack_num != 0 {
            it.off |= HAS_EXTRA;
            extra = Some(x);
        }
    }
    (it, extra)
}

/// The [`Meta`] a compact record (and its occasional facts) holds, with `caplen` bytes
/// captured.
fn unpack(it: &Item, x: Option<&Extra>, caplen: u32, links: &[LinkType]) -> Meta {
    let has = |b: u8| it.bits & b != 0;
    let x = x.copied().unwrap_or_default();
    let delay = |f: u8| (x.flags & f != 0).then_some(x.delay_ns);
    let states = [
        STATES[usize::from(it.states & 15).min(10)],
        STATES[usize::from(it.states >> 4).min(10)],
    ];
    let track = has(bits::TRACKED).then(|| TrackInfo {
        flow: it.flow,
        dir: if has(bits::TO_CLIENT) {
            Dir::ToClient
        } else {
            Dir::ToServer
        },
        roles: ROLES[usize::from(it.bits >> bits::ROLES)],
        rel_seq: it.rel_seq,
        rel_ack: it.rel_ack,
        new_flow: has(bits::NEW_FLOW),
        analysis: Analysis(it.analysis),
        dup_ack_num: x.dup_ack_num,
        state_change: unpack_changes(it.off >> 48, states),
        states,
        handshake_rtt_ns: delay(extra::RTT),
        window: it.window,
        window_scaled: has(bits::SCALED),
        reply_after_ns: delay(extra::REPLY),
        context: Context {
            handshake: (x.flags & extra::HANDSHAKE != 0).then_some(Handshake {
                duration_ns: x.handshake_ns,
                segments: x.handshake_segments,
                retransmitted: x.flags & extra::RESENT != 0,
            }),
            ..Context::default()
        },
    });
    Meta {
        ts: Timestamp::new(
            it.ts_ns.div_euclid(1_000_000_000),
            it.ts_ns.rem_euclid(1_000_000_000) as u32,
        ),
        link: links
            .get(usize::from(it.link))
            .copied()
            .unwrap_or(LinkType::ETHERNET),
        caplen,
        orig_len: it.orig_len,
        track,
        notes: Memo {
            bits: it.notes,
            acked: it.acked,
        },
        call: has(bits::CALL).then_some(it.flow),
    }
}

/// An event of a live explorer: a captured frame or a traced program's socket call.
pub enum Event {
    Packet(crate::source::OwnedFrame),
    Call(CallEvent),
}

/// Where the bytes of the packets are.
enum Store {
    /// A classic pcap file, read with positioned reads.
    File(File),
    /// Frames kept in memory, one after another.
    Memory(Vec<u8>),
}

impl Store {
    /// Bytes between one frame's data and the next one's (a pcap record header).
    fn gap(&self) -> u64 {
        match self {
            Store::File(_) => PCAP_RECORD_HEADER,
            Store::Memory(_) => 0,
        }
    }
}

/// Frames read by the indexing thread, to append to an [`Index`].
pub struct Batch {
    pub offsets: Vec<u64>,
    pub meta: Vec<Meta>,
    /// Where the last frame's data ends (relative to `bytes` when the store is memory).
    pub tail: u64,
    /// The frames' bytes, when the store is memory (offsets are relative to this).
    pub bytes: Vec<u8>,
    /// Socket calls recorded in the file (lesson recordings, `run -w`); a call's `meta.call`
    /// counts from the first of them.
    pub calls: Vec<CallEvent>,
    /// Reading ended: `Some(None)` at the clean end, `Some(Some(message))` on an error.
    pub end: Option<Option<String>>,
}

/// What is remembered along the items, to track and note the next one (frames appended one
/// at a time, live, or read by the indexing thread).
struct Follow {
    tracker: Tracker,
    learner: LearnerRenderer,
    sink: Vec<u8>,
    frames: u64,
}

impl Follow {
    fn new() -> Follow {
        Follow {
            // As `replay` follows conversations, so that the rows say what it says.
            tracker: Tracker::with_limits(Limits::streaming()),
            learner: LearnerRenderer::new(false, false, None),
            sink: Vec::new(),
            frames: 0,
        }
    }

    /// Tracks a frame and shows it to a learner view, as `replay` does: returns its [`Meta`]
    /// (a call record's is a call's, with its event).
    fn next<'f>(&mut self, frame: &'f Frame<'_>) -> (Meta, Option<CallEvent>, Option<Packet<'f>>) {
        self.frames += 1;
        let mut m = Meta {
            ts: frame.ts,
            link: frame.link,
            caplen: frame.data.len() as u32,
            orig_len: frame.orig_len,
            track: None,
            notes: Memo::default(),
            call: None,
        };
        if let Some(ev) = crate::pipeline::call_record(frame) {
            m.call = Some(0);
            return (m, Some(ev), None);
        }
        let p = decode::decode(frame);
        m.track = self.tracker.observe(&p);
        if let Some(t) = m.track {
            m.notes = self.learner.memo(t.flow, t.dir);
        }
        self.sink.clear();
        let ctx = PacketContext {
            number: self.frames,
            track: m.track,
        };
        let _ = self.learner.packet(&mut self.sink, &p, &ctx);
        (m, None, Some(p))
    }
}

/// Offsets and metadata of every packet, in capture order.
pub struct Index {
    store: Store,
    items: Chunked<Item>,
    /// Where the last item's data ends.
    tail: u64,
    /// The link types seen ([`Item::link`]).
    links: Vec<LinkType>,
    /// The occasional facts of the items that have some, in order of item.
    extras: Vec<(u32, Extra)>,
    /// The whole [`Meta`] of the items whose record cannot hold it.
    rare: HashMap<u32, Meta>,
    /// What [`Index::append`] remembers (frames added one at a time, live).
    follow: Follow,
    /// Socket calls (`run`), in the order they were appended.
    pub calls: Vec<CallEvent>,
    /// Appended frames: each (source, destination) pair's conversation and whether the source
    /// is its client, so a call's addresses find its conversation.
    ends: HashMap<(SocketAddr, SocketAddr), (u32, bool)>,
    /// The first item that is a packet (times count from it, as in `replay`).
    pub first_packet: Option<usize>,
}

impl Index {
    fn with_store(store: Store) -> Index {
        Index {
            store,
            items: Chunked::new(),
            tail: 0,
            links: Vec::new(),
            extras: Vec::new(),
            rare: HashMap::new(),
            follow: Follow::new(),
            calls: Vec::new(),
            ends: HashMap::new(),
            first_packet: None,
        }
    }

    /// An empty index whose frames are kept in memory (live capture, tests).
    pub fn in_memory() -> Index {
        Index::with_store(Store::Memory(Vec::new()))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Keeps item `m`, whose bytes start at `off`.
    fn push(&mut self, m: &Meta, off: u64) {
        let (mut it, x) = pack(m, off, &mut self.links);
        let n = self.items.len() as u32;
        if unpack(&it, x.as_ref(), m.caplen, &self.links) != *m {
            it.bits |= bits::RARE;
            it.off &= OFFSET;
            self.rare.insert(n, *m);
        } else if let Some(x) = x {
            self.extras.push((n, x));
        }
        if m.call.is_none() {
            self.first_packet.get_or_insert(n as usize);
        }
        self.items.push(it);
    }

    /// What is known of item `i`.
    pub fn meta(&self, i: usize) -> Option<Meta> {
        let it = self.items.get(i)?;
        if it.bits & bits::RARE != 0 {
            return self.rare.get(&(i as u32)).copied();
        }
        let next = match self.items.get(i + 1) {
            Some(n) => (n.off & OFFSET) - self.store.gap(),
            None => self.tail,
        };
        let x = match it.off & HAS_EXTRA {
            0 => None,
            _ => self
                .extras
                .binary_search_by_key(&(i as u32), |e| e.0)
                .ok()
                .map(|k| &self.extras[k].1),
        };
        let caplen = next.saturating_sub(it.off & OFFSET) as u32;
        Some(unpack(it, x, caplen, &self.links))
    }

    /// How many items have occasional facts kept aside, and how many their whole [`Meta`].
    pub fn aside(&self) -> (usize, usize) {
        (self.extras.len(), self.rare.len())
    }

    /// Every item's [`Meta`], in order.
    pub fn metas(&self) -> impl Iterator<Item = Meta> + '_ {
        (0..self.len()).filter_map(|i| self.meta(i))
    }

    /// Appends one frame (live capture, tests): tracks it and copies its bytes.
    pub fn append(&mut self, frame: &Frame<'_>) {
        let (m, _, p) = self.follow.next(frame);
        let Store::Memory(arena) = &mut self.store else {
            return;
        };
        // A conversation's ends are those of its first packet.
        if let (Some(t), Some(p)) = (m.track.filter(|t| t.new_flow), p)
            && let (Some((sp, dp)), Some(s), Some(d)) = (p.ports(), p.src_ip(), p.dst_ip())
        {
            let (src, dst) = (SocketAddr::new(s, sp), SocketAddr::new(d, dp));
            let client = t.dir == Dir::ToServer;
            self.ends.insert((src, dst), (t.flow, client));
            self.ends.insert((dst, src), (t.flow, !client));
        }
        let off = arena.len() as u64;
        arena.extend_from_slice(frame.data);
        self.tail = arena.len() as u64;
        self.push(&m, off);
    }

    /// Appends a socket call (`run`): a row of its own, with no bytes.
    pub fn append_call(&mut self, ev: CallEvent) {
        let ts = crate::source::Timestamp::new(
            (ev.ts_ns / 1_000_000_000) as i64,
            (ev.ts_ns % 1_000_000_000) as u32,
        );
        let m = Meta {
            ts,
            link: LinkType::ETHERNET,
            caplen: 0,
            orig_len: 0,
            track: None,
            notes: Memo::default(),
            call: Some(self.calls.len() as u32),
        };
        self.push(&m, self.tail + self.store.gap());
        self.tail += self.store.gap();
        self.calls.push(ev);
    }

    /// The call at item `i`, when it is one.
    pub fn call(&self, i: usize) -> Option<&CallEvent> {
        let it = self.items.get(i)?;
        if it.bits & bits::CALL == 0 {
            return None;
        }
        self.calls.get(self.meta(i)?.call? as usize)
    }

    /// The conversation of a call's socket, once a packet of it was seen, and whether the
    /// caller is its client.
    pub fn call_flow(&self, ev: &CallEvent) -> Option<(u32, bool)> {
        let l: SocketAddr = ev.local.as_deref()?.parse().ok()?;
        let r: SocketAddr = ev.remote.as_deref()?.parse().ok()?;
        self.ends.get(&(l, r)).copied()
    }

    /// The conversation item `i` belongs to, when it is a packet (read from its record alone).
    pub fn packet_flow(&self, i: usize) -> Option<u32> {
        let it = self.items.get(i)?;
        (it.bits & (bits::TRACKED | bits::CALL) == bits::TRACKED).then_some(it.flow)
    }

    /// The conversation item `i` belongs to (a packet's, or its call's socket's).
    pub fn flow_of(&self, i: usize) -> Option<u32> {
        match self.call(i) {
            Some(ev) => self.call_flow(ev).map(|f| f.0),
            None => self.packet_flow(i),
        }
    }

    /// Appends a batch from the indexing thread.
    pub fn append_batch(&mut self, b: Batch) {
        let base = match &mut self.store {
            Store::Memory(arena) => {
                let base = arena.len() as u64;
                arena.extend_from_slice(&b.bytes);
                base
            }
            Store::File(_) => 0,
        };
        let calls = self.calls.len() as u32;
        for (m, &off) in b.meta.iter().zip(&b.offsets) {
            let m = Meta {
                call: m.call.map(|c| c + calls),
                ..*m
            };
            self.push(&m, off + base);
        }
        if !b.offsets.is_empty() {
            self.tail = b.tail + base;
        }
        self.calls.extend(b.calls);
    }

    /// The captured bytes of packet `i` (0-based), read back from the store.
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        let (Some(it), Some(m)) = (self.items.get(i), self.meta(i)) else {
            return Vec::new();
        };
        let off = it.off & OFFSET;
        match &self.store {
            Store::Memory(arena) => arena
                .get(off as usize..off as usize + m.caplen as usize)
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            Store::File(f) => {
                let mut buf = vec![0; m.caplen as usize];
                match f.read_exact_at(&mut buf, off) {
                    Ok(()) => buf,
                    Err(_) => Vec::new(),
                }
            }
        }
    }

    /// Runs `f` on packet `i`, decoded from its bytes.
    pub fn with_packet<R>(&self, i: usize, f: impl FnOnce(&Packet<'_>, &Meta) -> R) -> Option<R> {
        let m = self.meta(i).filter(|m| m.call.is_none())?;
        let data = self.bytes(i);
        let frame = Frame {
            ts: m.ts,
            link: m.link,
            orig_len: m.orig_len,
            data: &data,
        };
        Some(f(&decode::decode(&frame), &m))
    }
}

/// Opens a capture and starts reading it on another thread: returns the (empty) index and the
/// channel its batches arrive on, the first after [`BATCH`] frames. A file is opened here first,
/// so that a missing or unreadable one is an error at once.
pub fn open(path: &str) -> Result<(Index, Receiver<Batch>), SourceError> {
    let by_offset = path != "-" && matches!(FileSource::open(path)?.kind(), FileKind::Pcap { .. });
    let store = if by_offset {
        Store::File(File::open(path).map_err(SourceError::Io)?)
    } else {
        Store::Memory(Vec::new())
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = path.to_string();
    // The reader is opened again on the thread (it is not `Send`).
    std::thread::Builder::new()
        .name("index".into())
        .spawn(move || match FileSource::open(&owned) {
            Ok(source) => read_all(source, by_offset, &tx),
            Err(e) => {
                let mut b = new_batch();
                b.end = Some(Some(e.to_string()));
                let _ = tx.send(b);
            }
        })
        .map_err(SourceError::Io)?;
    Ok((Index::with_store(store), rx))
}

/// Reads every frame once: decode, track, and record where its bytes are.
fn read_all(mut source: FileSource, by_offset: bool, tx: &Sender<Batch>) {
    let mut follow = Follow::new();
    let mut pos = PCAP_FILE_HEADER;
    let mut batch = new_batch();
    let end = loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                let (mut m, call, _) = follow.next(&frame);
                if by_offset {
                    batch.offsets.push(pos + PCAP_RECORD_HEADER);
                    pos += PCAP_RECORD_HEADER + frame.data.len() as u64;
                    batch.tail = pos;
                } else {
                    batch.offsets.push(batch.bytes.len() as u64);
                    batch.bytes.extend_from_slice(frame.data);
                    batch.tail = batch.bytes.len() as u64;
                }
                if let Some(ev) = call {
                    m.call = Some(batch.calls.len() as u32);
                    batch.calls.push(ev);
                }
                batch.meta.push(m);
                if batch.offsets.len() >= BATCH
                    && tx.send(std::mem::replace(&mut batch, new_batch())).is_err()
                {
                    return;
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    batch.end = Some(end);
    let _ = tx.send(batch);
}

fn new_batch() -> Batch {
    Batch {
        offsets: Vec::with_capacity(BATCH),
        meta: Vec::with_capacity(BATCH),
        tail: 0,
        bytes: Vec::new(),
        calls: Vec::new(),
        end: None,
    }
}
