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
use crate::source::pcap::FileKind;
use crate::source::{FileSource, Frame, LinkType, Source, SourceError, Timestamp};
use crate::track::calls::CallEvent;
use crate::track::{Dir, TrackInfo, Tracker};

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

/// What the explorer keeps per packet besides its offset.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub ts: Timestamp,
    pub link: LinkType,
    pub caplen: u32,
    pub orig_len: u32,
    /// The conversation tracker's view (direction, relative numbers, analysis), computed once
    /// in capture order so a row can be drawn alone.
    pub track: Option<TrackInfo>,
    /// A socket call rather than a packet: its position in [`Index::calls`].
    pub call: Option<u32>,
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

/// Frames read by the indexing thread, to append to an [`Index`].
pub struct Batch {
    pub offsets: Vec<u64>,
    pub meta: Vec<Meta>,
    /// The frames' bytes, when the store is memory (offsets are relative to this).
    pub bytes: Vec<u8>,
    /// Socket calls recorded in the file (lesson recordings, `run -w`); a call's `meta.call`
    /// counts from the first of them.
    pub calls: Vec<CallEvent>,
    /// Reading ended: `Some(None)` at the clean end, `Some(Some(message))` on an error.
    pub end: Option<Option<String>>,
}

/// Offsets and metadata of every packet, in capture order.
pub struct Index {
    store: Store,
    pub offsets: Chunked<u64>,
    pub meta: Chunked<Meta>,
    /// The tracker used by [`Index::append`] (frames added one at a time, live).
    tracker: Tracker,
    /// Socket calls (`run`), in the order they were appended.
    pub calls: Vec<CallEvent>,
    /// Appended frames: each (source, destination) pair's conversation and whether the source
    /// is its client, so a call's addresses find its conversation.
    ends: HashMap<(SocketAddr, SocketAddr), (u32, bool)>,
    /// The first item that is a packet (times count from it, as in `replay`).
    pub first_packet: Option<usize>,
}

impl Index {
    /// An empty index whose frames are kept in memory (live capture, tests).
    pub fn in_memory() -> Index {
        Index {
            store: Store::Memory(Vec::new()),
            offsets: Chunked::new(),
            meta: Chunked::new(),
            tracker: Tracker::new(),
            calls: Vec::new(),
            ends: HashMap::new(),
            first_packet: None,
        }
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Appends one frame (live capture, tests): tracks it and copies its bytes.
    pub fn append(&mut self, frame: &Frame<'_>) {
        let p = decode::decode(frame);
        let track = self.tracker.observe(&p);
        let Store::Memory(arena) = &mut self.store else {
            return;
        };
        if let (Some(t), Some((sp, dp)), Some(s), Some(d)) =
            (track, p.ports(), p.src_ip(), p.dst_ip())
        {
            let (src, dst) = (SocketAddr::new(s, sp), SocketAddr::new(d, dp));
            let client = t.dir == Dir::ToServer;
            self.ends.insert((src, dst), (t.flow, client));
            self.ends.insert((dst, src), (t.flow, !client));
        }
        self.first_packet.get_or_insert(self.offsets.len());
        self.offsets.push(arena.len() as u64);
        arena.extend_from_slice(frame.data);
        self.meta.push(meta_of(frame, track));
    }

    /// Appends a socket call (`run`): a row of its own, with no bytes.
    pub fn append_call(&mut self, ev: CallEvent) {
        let ts = crate::source::Timestamp::new(
            (ev.ts_ns / 1_000_000_000) as i64,
            (ev.ts_ns % 1_000_000_000) as u32,
        );
        self.offsets.push(0);
        self.meta.push(Meta {
            ts,
            link: LinkType::ETHERNET,
            caplen: 0,
            orig_len: 0,
            track: None,
            call: Some(self.calls.len() as u32),
        });
        self.calls.push(ev);
    }

    /// The call at item `i`, when it is one.
    pub fn call(&self, i: usize) -> Option<&CallEvent> {
        let k = self.meta.get(i)?.call?;
        self.calls.get(k as usize)
    }

    /// The conversation of a call's socket, once a packet of it was seen, and whether the
    /// caller is its client.
    pub fn call_flow(&self, ev: &CallEvent) -> Option<(u32, bool)> {
        let l: SocketAddr = ev.local.as_deref()?.parse().ok()?;
        let r: SocketAddr = ev.remote.as_deref()?.parse().ok()?;
        self.ends.get(&(l, r)).copied()
    }

    /// The conversation item `i` belongs to (a packet's, or its call's socket's).
    pub fn flow_of(&self, i: usize) -> Option<u32> {
        let m = self.meta.get(i)?;
        match m.call {
            Some(_) => self.call_flow(self.call(i)?).map(|f| f.0),
            None => m.track.map(|t| t.flow),
        }
    }

    /// Appends a batch from the indexing thread.
    pub fn append_batch(&mut self, b: Batch) {
        match &mut self.store {
            Store::Memory(arena) => {
                let base = arena.len() as u64;
                arena.extend_from_slice(&b.bytes);
                self.offsets.extend(b.offsets.iter().map(|o| o + base));
            }
            Store::File(_) => self.offsets.extend(b.offsets.iter().copied()),
        }
        if let Some(k) = b.meta.iter().position(|m| m.call.is_none()) {
            self.first_packet.get_or_insert(self.meta.len() + k);
        }
        let base = self.calls.len() as u32;
        self.meta.extend(b.meta.iter().map(|m| Meta {
            call: m.call.map(|c| c + base),
            ..*m
        }));
        self.calls.extend(b.calls);
    }

    /// The captured bytes of packet `i` (0-based), read back from the store.
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        let (Some(&off), Some(m)) = (self.offsets.get(i), self.meta.get(i)) else {
            return Vec::new();
        };
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
        let m = self.meta.get(i).filter(|m| m.call.is_none())?;
        let data = self.bytes(i);
        let frame = Frame {
            ts: m.ts,
            link: m.link,
            orig_len: m.orig_len,
            data: &data,
        };
        Some(f(&decode::decode(&frame), m))
    }
}

fn meta_of(frame: &Frame<'_>, track: Option<TrackInfo>) -> Meta {
    Meta {
        ts: frame.ts,
        link: frame.link,
        caplen: frame.data.len() as u32,
        orig_len: frame.orig_len,
        track,
        call: None,
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
    Ok((
        Index {
            store,
            offsets: Chunked::new(),
            meta: Chunked::new(),
            tracker: Tracker::new(),
            calls: Vec::new(),
            ends: HashMap::new(),
            first_packet: None,
        },
        rx,
    ))
}

/// Reads every frame once: decode, track, and record where its bytes are.
fn read_all(mut source: FileSource, by_offset: bool, tx: &Sender<Batch>) {
    let mut tracker = Tracker::new();
    let mut pos = PCAP_FILE_HEADER;
    let mut batch = new_batch();
    let end = loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                let call = crate::pipeline::call_record(&frame);
                let track = match call {
                    Some(_) => None,
                    None => tracker.observe(&decode::decode(&frame)),
                };
                if by_offset {
                    batch.offsets.push(pos + PCAP_RECORD_HEADER);
                    pos += PCAP_RECORD_HEADER + frame.data.len() as u64;
                } else {
                    batch.offsets.push(batch.bytes.len() as u64);
                    batch.bytes.extend_from_slice(frame.data);
                }
                let mut m = meta_of(&frame, track);
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
        bytes: Vec::new(),
        calls: Vec::new(),
        end: None,
    }
}
