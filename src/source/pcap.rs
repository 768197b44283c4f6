//! Capture files: pcap (µs and ns, both byte orders) and pcapng (many interfaces, if_tsresol),
//! streamed through a bounded buffer so a file of any size is read in constant memory.
//!
//! Framing is done by `pcap-file`'s slice parsers; this module owns the buffer, so that a damaged
//! or cut-off file ends with a clear message after every complete record was delivered, and a
//! malformed record can never make the reader loop (a pitfall of `pcap-file` 2.0's reader).

use std::fs::File;
use std::io::{self, Read};

use pcap_file::Endianness;
use pcap_file::pcap::{PcapParseError, PcapParser};
use pcap_file::pcapng::PcapNgParseError;
use pcap_file::pcapng::{Block, PcapNgParser, blocks::enhanced_packet::EnhancedPacketBlock};

use super::{Frame, LinkType, Source, SourceError, Timestamp};

/// How much is read from the file at a time.
const CHUNK: usize = 1 << 20;
/// No record may be larger than this: a bigger length field means the file is damaged.
const MAX_RECORD: usize = 64 << 20;

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
/// The bits of the link-type field that hold the link type (pcap-savefile(5)).
const LINKTYPE_MASK: u32 = 0x03ff_ffff;
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// The byte-order magic of a pcapng section header, as a big-endian section writes it.
const BYTE_ORDER_MAGIC_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];
/// pcapng block types that carry packets (enhanced, simple, obsolete packet block).
const PACKET_BLOCK_TYPES: [u32; 3] = [6, 3, 2];

enum Format {
    Pcap {
        parser: PcapParser,
        link: LinkType,
        units: u64,
        big_endian: bool,
    },
    PcapNg {
        parser: PcapNgParser,
    },
}

/// The kind of file being read, for messages and `-q` summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pcap { nanosecond: bool, big_endian: bool },
    PcapNg,
}

/// Reads frames from a pcap or pcapng stream.
pub struct FileSource {
    path: String,
    reader: Box<dyn Read>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    format: Format,
    /// Bytes of records consumed so far, for error positions.
    offset: u64,
    /// Frames of a pcapng block that owns its bytes are copied here.
    scratch: Vec<u8>,
    /// Blocks that could not be decoded and were skipped (pcapng only).
    pub skipped_blocks: u64,
}

impl FileSource {
    /// Opens `path` (or standard input for `-`) and reads the file header.
    pub fn open(path: &str) -> Result<FileSource, SourceError> {
        let reader: Box<dyn Read> = if path == "-" {
            Box::new(io::stdin())
        } else {
            match File::open(path) {
                Ok(f) => {
                    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                        return Err(open_err(path, "is a directory, not a capture file"));
                    }
                    Box::new(f)
                }
                Err(e) => return Err(open_err(path, &describe_io(&e))),
            }
        };
        Self::from_reader(path, reader)
    }

    /// Reads a capture from any reader; `name` is used in messages.
    pub fn from_reader(name: &str, mut reader: Box<dyn Read>) -> Result<FileSource, SourceError> {
        let mut buf = vec![0u8; CHUNK];
        let mut end = 0;
        while end < 64 {
            match reader.read(&mut buf[end..]) {
                Ok(0) => break,
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(open_err(name, &describe_io(&e))),
            }
        }
        if end == 0 {
            return Err(open_err(
                name,
                "the file is empty, so it is not a capture (a pcap or pcapng file starts with a magic number)",
            ));
        }
        let head = &buf[..end];
        let magic: [u8; 4] = match head.get(..4) {
            Some(m) => m.try_into().unwrap_or_default(),
            None => {
                return Err(open_err(
                    name,
                    &format!("only {end} bytes long, too short to be a capture file"),
                ));
            }
        };
        let format = if PCAP_MAGICS.contains(&magic) {
            match PcapParser::new(head) {
                Ok((_, parser)) => {
                    let h = parser.header();
                    let nanosecond = matches!(
                        h.ts_resolution,
                        pcap_file::pcap::PcapTsResolution::NanoSecond
                    );
                    Format::Pcap {
                        link: link_type(u32::from(h.datalink)),
                        units: if nanosecond { 1_000_000_000 } else { 1_000_000 },
                        big_endian: matches!(h.endianness, Endianness::Big),
                        parser,
                    }
                }
                Err(PcapParseError::IncompleteBuffer(..)) => {
                    return Err(open_err(
                        name,
                        "the pcap file header is cut short (it needs 24 bytes)",
                    ));
                }
                Err(e) => return Err(open_err(name, &format!("bad pcap file header: {e}"))),
            }
        } else if magic == PCAPNG_MAGIC {
            // The section header may be longer than what was read so far.
            let mut need_more = true;
            let mut parsed = None;
            while need_more {
                match PcapNgParser::new(&buf[..end]) {
                    Ok((_, parser)) => {
                        parsed = Some(parser);
                        need_more = false;
                    }
                    Err(PcapNgParseError::IncompleteBuffer(..)) if end < buf.len() => {
                        match reader.read(&mut buf[end..]) {
                            Ok(0) => need_more = false,
                            Ok(n) => end += n,
                            Err(e) => return Err(open_err(name, &describe_io(&e))),
                        }
                    }
                    Err(PcapNgParseError::IncompleteBuffer(..)) => need_more = false,
                    Err(e) => {
                        return Err(open_err(name, &format!("bad pcapng section header: {e}")));
                    }
                }
            }
            match parsed {
                Some(parser) => Format::PcapNg { parser },
                None => {
                    return Err(open_err(
                        name,
                        "the pcapng section header block is cut short",
                    ));
                }
            }
        } else {
            return Err(open_err(
                name,
                &format!(
                    "not a pcap or pcapng file: it starts with {:02x} {:02x} {:02x} {:02x}, where a capture starts with d4 c3 b2 a1 (pcap), 4d 3c b2 a1 (pcap, ns) or 0a 0d 0d 0a (pcapng)",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            ));
        };
        // The pcap parser consumed its 24-byte header; the pcapng parser reads its section header
        // again as an ordinary block, which keeps its state consistent.
        let start = match format {
            Format::Pcap { .. } => 24,
            Format::PcapNg { .. } => 0,
        };
        let mut src = FileSource {
            path: name.to_string(),
            reader,
            buf,
            start,
            end,
            eof: false,
            done: false,
            format,
            offset: start as u64,
            scratch: Vec::new(),
            skipped_blocks: 0,
        };
        if let Format::PcapNg { .. } = src.format {
            // Re-create the parser on the same bytes so that the first block (the SHB) is consumed.
            if let Format::PcapNg { parser } = &mut src.format
                && let Ok((rem, p)) = PcapNgParser::new(&src.buf[..src.end])
            {
                src.start = src.end - rem.len();
                src.offset = src.start as u64;
                *parser = p;
            }
        }
        Ok(src)
    }

    pub fn kind(&self) -> FileKind {
        match &self.format {
            Format::Pcap {
                units, big_endian, ..
            } => FileKind::Pcap {
                nanosecond: *units == 1_000_000_000,
                big_endian: *big_endian,
            },
            Format::PcapNg { .. } => FileKind::PcapNg,
        }
    }

    /// The link type of the file (pcap) or of its first interface (pcapng), if known yet.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.format {
            Format::Pcap { link, .. } => Some(*link),
            Format::PcapNg { parser } => parser
                .interfaces()
                .first()
                .map(|i| link_type(u32::from(i.linktype))),
        }
    }

    /// The snap length of the file (pcap) or of its first interface (pcapng).
    pub fn snaplen(&self) -> Option<u32> {
        match &self.format {
            Format::Pcap { parser, .. } => Some(parser.header().snaplen),
            Format::PcapNg { parser } => parser.interfaces().first().map(|i| i.snaplen),
        }
    }

    /// Reads more bytes; returns false at the end of the input.
    fn fill(&mut self) -> Result<bool, SourceError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD {
                return Err(SourceError::Truncated {
                    path: self.path.clone(),
                    reason: format!(
                        "a record at byte {} claims more than {} MiB; the file is damaged there",
                        self.offset,
                        MAX_RECORD >> 20
                    ),
                });
            }
            let new_len = (self.buf.len() * 2).min(MAX_RECORD);
            self.buf.resize(new_len, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SourceError::Io(e)),
            }
        }
    }

    fn truncated(&mut self, reason: String) -> SourceError {
        self.done = true;
        SourceError::Truncated {
            path: self.path.clone(),
            reason,
        }
    }
}

/// What one parse step found, as positions in the buffer so the borrow of the buffer ends.
enum Step {
    Frame {
        consumed: usize,
        ts: Timestamp,
        link: LinkType,
        orig_len: u32,
        data: DataAt,
    },
    Skip {
        consumed: usize,
    },
    Incomplete,
    Bad(String),
}

enum DataAt {
    Buf(usize, usize),
    Scratch,
}

impl Source for FileSource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let base = self.buf.as_ptr() as usize;
            let slice = &self.buf[self.start..self.end];
            let step = match &mut self.format {
                Format::Pcap {
                    parser,
                    link,
                    units,
                    big_endian,
                } => pcap_step(parser, slice, base, *link, *units, *big_endian),
                Format::PcapNg { parser } => pcapng_step(parser, slice, base, &mut self.scratch),
            };
            match step {
                Step::Frame {
                    consumed,
                    ts,
                    link,
                    orig_len,
                    data,
                } => {
                    self.start += consumed;
                    self.offset += consumed as u64;
                    let data = match data {
                        DataAt::Buf(off, len) => &self.buf[off..off + len],
                        DataAt::Scratch => &self.scratch[..],
                    };
                    return Ok(Some(Frame {
                        ts,
                        link,
                        orig_len,
                        data,
                    }));
                }
                Step::Skip { consumed } => {
                    self.start += consumed;
                    self.offset += consumed as u64;
                }
                Step::Incomplete => {
                    if !self.fill()? {
                        let left = self.end - self.start;
                        self.done = true;
                        if left == 0 {
                            return Ok(None);
                        }
                        let offset = self.offset;
                        return Err(self.truncated(format!(
                            "the last record is cut short: {left} bytes remain at byte {offset}, fewer than its header announces (the file was truncated)"
                        )));
                    }
                }
                Step::Bad(reason) => {
                    let offset = self.offset;
                    return Err(
                        self.truncated(format!("damaged record at byte {offset}: {reason}"))
                    );
                }
            }
        }
    }
}

fn pcap_step(
    parser: &PcapParser,
    slice: &[u8],
    base: usize,
    link: LinkType,
    units: u64,
    big_endian: bool,
) -> Step {
    // Check the captured length before asking for that many bytes: a damaged length field
    // would otherwise make us read the rest of the file in search of the record's end.
    if let Some(len) = slice.get(8..12) {
        let b: [u8; 4] = len.try_into().unwrap_or_default();
        let incl = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize;
        if incl > MAX_RECORD - 16 {
            return Step::Bad(format!(
                "its captured length {incl} is larger than any capture allows"
            ));
        }
    }
    match parser.next_raw_packet(slice) {
        Ok((rem, pkt)) => {
            let consumed = slice.len() - rem.len();
            let off = pkt.data.as_ptr() as usize - base;
            Step::Frame {
                consumed,
                ts: Timestamp::from_units(pkt.ts_sec as i64, pkt.ts_frac as u64, units),
                link,
                orig_len: pkt.orig_len,
                data: DataAt::Buf(off, pkt.data.len()),
            }
        }
        Err(PcapParseError::IncompleteBuffer(..)) => Step::Incomplete,
        Err(e) => Step::Bad(e.to_string()),
    }
}

fn pcapng_step(
    parser: &mut PcapNgParser,
    slice: &[u8],
    base: usize,
    scratch: &mut Vec<u8>,
) -> Step {
    if slice.len() >= 8 {
        // Total block length, in the section's byte order; a section header block carries its
        // own byte order (its byte-order magic), which may differ from the previous section's.
        let b: [u8; 4] = slice[4..8].try_into().unwrap_or_default();
        let big = if slice[..4] == PCAPNG_MAGIC {
            match slice.get(8..12) {
                Some(bom) => bom == BYTE_ORDER_MAGIC_BE,
                None => return Step::Incomplete,
            }
        } else {
            matches!(parser.section().endianness, Endianness::Big)
        };
        let len = if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize;
        if len > MAX_RECORD {
            return Step::Bad(format!("a block claims {len} bytes"));
        }
    }
    match parser.next_block(slice) {
        Ok((rem, block)) => {
            let consumed = slice.len() - rem.len();
            let (iface, ts, orig_len, data) = match block {
                Block::EnhancedPacket(EnhancedPacketBlock {
                    interface_id,
                    timestamp,
                    original_len,
                    data,
                    ..
                }) => (interface_id, timestamp, original_len, data),
                Block::Packet(p) => (p.interface_id as u32, p.timestamp, p.original_len, p.data),
                Block::SimplePacket(p) => (0, std::time::Duration::ZERO, p.original_len, p.data),
                _ => return Step::Skip { consumed },
            };
            let link = parser
                .interfaces()
                .get(iface as usize)
                .map(|i| link_type(u32::from(i.linktype)))
                .unwrap_or(LinkType(u32::MAX));
            let ts = Timestamp::new(ts.as_secs() as i64, ts.subsec_nanos());
            let data = match data {
                std::borrow::Cow::Borrowed(d) => DataAt::Buf(d.as_ptr() as usize - base, d.len()),
                std::borrow::Cow::Owned(d) => {
                    scratch.clear();
                    scratch.extend_from_slice(&d);
                    DataAt::Scratch
                }
            };
            Step::Frame {
                consumed,
                ts,
                link,
                orig_len,
                data,
            }
        }
        Err(PcapNgParseError::IncompleteBuffer(..)) => Step::Incomplete,
        Err(e) => {
            // A block whose content is bad but whose framing is sound is skipped, like tcpdump
            // skips unknown blocks, unless it carries a packet: losing packets silently would
            // mislead, so that ends the file with a message. A framing error ends it too.
            match parser.next_raw_block(slice) {
                Ok((rem, raw)) if !PACKET_BLOCK_TYPES.contains(&raw.type_) => Step::Skip {
                    consumed: slice.len() - rem.len(),
                },
                Ok(_) => Step::Bad(format!("a packet block cannot be read: {e}")),
                Err(_) => Step::Bad(e.to_string()),
            }
        }
    }
}

/// The link type in a file header or interface block: the low 26 bits (the upper bits of the
/// pcap field may hold an FCS length, libpcap's `LT_LINKTYPE`).
fn link_type(field: u32) -> LinkType {
    LinkType(field & LINKTYPE_MASK)
}

fn open_err(path: &str, reason: &str) -> SourceError {
    SourceError::Open {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => {
            "no such file (check the path; bundled recordings are in captures/)".into()
        }
        io::ErrorKind::PermissionDenied => {
            "permission denied: this user may not read the file".into()
        }
        _ => e.to_string(),
    }
}
