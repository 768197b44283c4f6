//! Capture files: pcap (µs and ns, both byte orders) and pcapng (see [`super::pcapng`]), streamed
//! through a bounded buffer so a file of any size is read in constant memory, and a record is
//! delivered as soon as its bytes are there (a pipe that a capture is still being written to is
//! shown as it grows).
//!
//! This module owns the buffer, so that a damaged or cut-off file ends with a clear message after
//! every complete record was delivered, and a malformed record can never make the reader loop.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use super::pcapng::{self, Interface, OPT_COMMENT, Options, Parsed, Section, u32_at};
use super::{Frame, LinkType, Source, SourceError, Timestamp};

/// The buffer's first size; it grows (up to [`MAX_RECORD`]) only for a record larger than it.
const CHUNK: usize = 1 << 20;
/// No record may be larger than this: a bigger length field means the file is damaged.
const MAX_RECORD: usize = 64 << 20;
/// A pcap file header, and a pcap record header (pcap-savefile(5)).
const PCAP_HEADER: usize = 24;
const PCAP_RECORD: usize = 16;

/// pcap magics: microseconds and nanoseconds, as little- and big-endian writers store them.
const PCAP_MICRO_LE: [u8; 4] = [0xd4, 0xc3, 0xb2, 0xa1];
const PCAP_MICRO_BE: [u8; 4] = [0xa1, 0xb2, 0xc3, 0xd4];
const PCAP_NANO_LE: [u8; 4] = [0x4d, 0x3c, 0xb2, 0xa1];
const PCAP_NANO_BE: [u8; 4] = [0xa1, 0xb2, 0x3c, 0x4d];
/// The bits of the link-type field that hold the link type (pcap-savefile(5)).
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

enum Format {
    Pcap {
        link: LinkType,
        snaplen: u32,
        nanosecond: bool,
        big_endian: bool,
    },
    PcapNg(Section),
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
    input: Input,
    done: bool,
    format: Format,
    /// Bytes of records consumed so far, for error positions.
    offset: u64,
    /// The options of the last packet delivered (pcapng), as positions in the buffer.
    last_options: Range<usize>,
    /// The last frame delivered: its interface (pcapng), time, link type, length on the wire
    /// and bytes (positions in the buffer, valid until the next read).
    last: Option<LastFrame>,
    /// Blocks that carry no packet and were passed over (pcapng: statistics, names, custom...).
    pub skipped_blocks: u64,
    /// pcap records whose fraction of a second was a second or more (seen in fuzzed files); it
    /// was carried into the seconds, where tcpdump and tshark print the field as it is.
    pub fraction_overflows: u64,
    /// The input is a regular file: a read never waits for a writer (see `may_wait`).
    regular: bool,
}

/// Where the last frame delivered is: interface (pcapng), time, link type, length on the wire,
/// and the positions of its bytes in the buffer.
type LastFrame = (Option<u32>, Timestamp, LinkType, u32, Range<usize>);

/// The reader and its bounded buffer: `buf[start..end]` holds bytes read but not yet used.
struct Input {
    reader: Box<dyn Read>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Ends the reading when set (by a signal handler): a read interrupted by the signal
    /// returns, and the reader reports the end of the input.
    stop: Option<&'static AtomicBool>,
}

impl Input {
    fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads once (what the reader has, without waiting for more) so that the bytes not yet
    /// used can reach `need`; returns false at the end of the input.
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start + need > self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if need > self.buf.len() {
            // Callers check `need` against MAX_RECORD first.
            let len = need.max(self.buf.len() * 2).min(MAX_RECORD.max(need));
            self.buf.resize(len, 0);
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
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if self.stopped() {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until `need` bytes are there or the input ends; returns how many are there.
    fn fill_to(&mut self, need: usize) -> io::Result<usize> {
        while self.end - self.start < need && self.fill(need)? {}
        Ok(self.end - self.start)
    }
}

impl FileSource {
    /// Opens `path` (or standard input for `-`) and reads the file header.
    pub fn open(path: &str) -> Result<FileSource, SourceError> {
        let mut regular = false;
        let reader: Box<dyn Read> = if path == "-" {
            Box::new(io::stdin())
        } else {
            match File::open(path) {
                Ok(f) => {
                    let meta = f.metadata().ok();
                    if meta.as_ref().is_some_and(|m| m.is_dir()) {
                        return Err(open_err(path, "is a directory, not a capture file"));
                    }
                    regular = meta.is_some_and(|m| m.is_file());
                    Box::new(f)
                }
                Err(e) => return Err(open_err(path, &describe_io(&e))),
            }
        };
        let mut source = Self::from_reader(path, reader)?;
        source.regular = regular;
        Ok(source)
    }

    /// Reads a capture from any reader; `name` is used in messages. Only the file header (pcap)
    /// or the first section header block (pcapng) is waited for.
    pub fn from_reader(name: &str, reader: Box<dyn Read>) -> Result<FileSource, SourceError> {
        let mut input = Input {
            reader,
            buf: vec![0u8; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            stop: None,
        };
        let io_err = |e: io::Error| open_err(name, &describe_io(&e));
        let got = input.fill_to(4).map_err(io_err)?;
        if got == 0 {
            return Err(open_err(
                name,
                "the file is empty, so it is not a capture (a pcap or pcapng file starts with a magic number)",
            ));
        }
        if got < 4 {
            return Err(open_err(
                name,
                &format!("only {got} bytes long, too short to be a capture file"),
            ));
        }
        let magic: [u8; 4] = input.buf[..4].try_into().unwrap_or_default();
        let format = match magic {
            PCAP_MICRO_LE | PCAP_MICRO_BE | PCAP_NANO_LE | PCAP_NANO_BE => {
                if input.fill_to(PCAP_HEADER).map_err(io_err)? < PCAP_HEADER {
                    return Err(open_err(
                        name,
                        "the pcap file header is cut short (it needs 24 bytes)",
                    ));
                }
                let big_endian = matches!(magic, PCAP_MICRO_BE | PCAP_NANO_BE);
                let h = &input.buf[..PCAP_HEADER];
                input.start = PCAP_HEADER;
                // magic, version (2 × 16 bits), thiszone, sigfigs, snaplen, link type
                Format::Pcap {
                    link: link_type(u32_at(h, 20, big_endian)),
                    snaplen: u32_at(h, 16, big_endian),
                    nanosecond: matches!(magic, PCAP_NANO_LE | PCAP_NANO_BE),
                    big_endian,
                }
            }
            m if u32::from_be_bytes(m) == pcapng::SECTION_HEADER => {
                let mut section = Section::default();
                loop {
                    match section.parse(input.available(), MAX_RECORD) {
                        Ok(Parsed::Need(n)) => {
                            if input.fill_to(n).map_err(io_err)? < n {
                                return Err(open_err(
                                    name,
                                    "the pcapng section header block is cut short",
                                ));
                            }
                        }
                        Ok(_) => break,
                        Err(e) => {
                            return Err(open_err(name, &format!("bad pcapng section header: {e}")));
                        }
                    }
                }
                // The section header stays in the buffer: the first next_frame reads it again.
                Format::PcapNg(section)
            }
            _ => {
                return Err(open_err(
                    name,
                    &format!(
                        "not a pcap or pcapng file: it starts with {:02x} {:02x} {:02x} {:02x}, where a capture starts with d4 c3 b2 a1 (pcap), 4d 3c b2 a1 (pcap, ns) or 0a 0d 0d 0a (pcapng)",
                        magic[0], magic[1], magic[2], magic[3]
                    ),
                ));
            }
        };
        Ok(FileSource {
            path: name.to_string(),
            offset: input.start as u64,
            input,
            done: false,
            format,
            last_options: 0..0,
            last: None,
            skipped_blocks: 0,
            fraction_overflows: 0,
            regular: false,
        })
    }

    pub fn kind(&self) -> FileKind {
        match &self.format {
            Format::Pcap {
                nanosecond,
                big_endian,
                ..
            } => FileKind::Pcap {
                nanosecond: *nanosecond,
                big_endian: *big_endian,
            },
            Format::PcapNg(_) => FileKind::PcapNg,
        }
    }

    /// The link type of the file (pcap) or of its first interface (pcapng), if known yet.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.format {
            Format::Pcap { link, .. } => Some(*link),
            Format::PcapNg(s) => s.interfaces.first().map(|i| i.link),
        }
    }

    /// The snap length of the file (pcap) or of its first interface (pcapng).
    pub fn snaplen(&self) -> Option<u32> {
        match &self.format {
            Format::Pcap { snaplen, .. } => Some(*snaplen),
            Format::PcapNg(s) => s.interfaces.first().map(|i| i.snaplen),
        }
    }

    /// The interfaces of the current pcapng section read so far (none for pcap).
    pub fn interfaces(&self) -> &[Interface] {
        match &self.format {
            Format::Pcap { .. } => &[],
            Format::PcapNg(s) => &s.interfaces,
        }
    }

    /// The options of the last packet delivered (pcapng; none for pcap), valid until the next
    /// call to `next_frame`.
    pub fn packet_options(&self) -> Options<'_> {
        let big = matches!(&self.format, Format::PcapNg(s) if s.big_endian);
        Options::new(&self.input.buf[self.last_options.clone()], big)
    }

    /// Ends the reading once `flag` is set (SIGINT or SIGTERM): the frames read so far were
    /// delivered, a read waiting for more input (a pipe, a FIFO) returns when the signal
    /// interrupts it, and [`Source::next_frame`] then reports the end of the input, not a
    /// record cut short.
    pub fn stop_on(&mut self, flag: &'static AtomicBool) {
        self.input.stop = Some(flag);
    }

    /// The interface the last packet delivered was captured on (pcapng; `None` for pcap).
    pub fn packet_interface(&self) -> Option<&Interface> {
        let (iface, ..) = self.last.as_ref()?;
        self.interfaces().get((*iface)? as usize)
    }

    /// The last frame delivered again, until the next call to `next_frame` (for a reader that
    /// also wants [`FileSource::packet_interface`] and the comments of each frame).
    pub fn last_frame(&self) -> Option<Frame<'_>> {
        let (_, ts, link, orig_len, data) = self.last.clone()?;
        Some(Frame {
            ts,
            link,
            orig_len,
            data: &self.input.buf[data],
        })
    }

    /// The comments (`opt_comment`) of the last packet delivered: any bytes, UTF-8 or not.
    pub fn packet_comments(&self) -> impl Iterator<Item = &[u8]> {
        self.packet_options()
            .filter(|(code, _)| *code == OPT_COMMENT)
            .map(|(_, v)| v)
    }

    fn damaged(&mut self, what: String) -> SourceError {
        self.done = true;
        SourceError::Truncated {
            path: self.path.clone(),
            reason: format!("damaged record at byte {}: {what}", self.offset),
        }
    }
}

/// What one parse step found, as positions in the available bytes.
enum Step {
    Need(usize),
    Frame {
        len: usize,
        /// The pcapng interface (none in pcap).
        iface: Option<u32>,
        ts: Timestamp,
        link: LinkType,
        orig_len: u32,
        data: Range<usize>,
        options: Range<usize>,
    },
    /// A block without a packet; `counted` when it was passed over unread.
    Skip {
        len: usize,
        counted: bool,
    },
}

impl Source for FileSource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        self.last_options = 0..0;
        self.last = None;
        // The usual pcap record, whole in the buffer with its fraction below a second: read
        // here in one go. Anything else (a record cut by the buffer, the end, an odd field,
        // pcapng) takes the general steps below, which check everything.
        if let Format::Pcap {
            link,
            nanosecond,
            big_endian,
            ..
        } = self.format
            && !self.done
            && !self.input.stopped()
            && let Some((incl, ts, orig_len)) =
                whole_record(self.input.available(), nanosecond, big_endian)
        {
            let base = self.input.start;
            let len = PCAP_RECORD + incl;
            self.input.start += len;
            self.offset += len as u64;
            let at = base + PCAP_RECORD..base + len;
            self.last = Some((None, ts, link, orig_len, at.clone()));
            return Ok(Some(Frame {
                ts,
                link,
                orig_len,
                data: &self.input.buf[at],
            }));
        }
        loop {
            if self.done || self.input.stopped() {
                return Ok(None);
            }
            let avail = self.input.available();
            let step = match &mut self.format {
                Format::Pcap {
                    link,
                    nanosecond,
                    big_endian,
                    ..
                } => pcap_step(
                    avail,
                    *link,
                    *nanosecond,
                    *big_endian,
                    &mut self.fraction_overflows,
                ),
                Format::PcapNg(section) => pcapng_step(section, avail),
            };
            match step {
                Ok(Step::Frame {
                    len,
                    iface,
                    ts,
                    link,
                    orig_len,
                    data,
                    options,
                }) => {
                    let base = self.input.start;
                    self.input.start += len;
                    self.offset += len as u64;
                    self.last_options = base + options.start..base + options.end;
                    let at = base + data.start..base + data.end;
                    self.last = Some((iface, ts, link, orig_len, at));
                    return Ok(Some(Frame {
                        ts,
                        link,
                        orig_len,
                        data: &self.input.buf[base + data.start..base + data.end],
                    }));
                }
                Ok(Step::Skip { len, counted }) => {
                    self.input.start += len;
                    self.offset += len as u64;
                    self.skipped_blocks += u64::from(counted);
                }
                Ok(Step::Need(n)) => {
                    if !self.input.fill(n).map_err(SourceError::Io)? {
                        if self.input.stopped() {
                            return Ok(None);
                        }
                        self.done = true;
                        let left = self.input.end - self.input.start;
                        if left == 0 {
                            return Ok(None);
                        }
                        return Err(SourceError::Truncated {
                            path: self.path.clone(),
                            reason: format!(
                                "the last record is cut short: {left} bytes remain at byte {}, fewer than its header announces (the file was truncated)",
                                self.offset
                            ),
                        });
                    }
                }
                Err(what) => return Err(self.damaged(what)),
            }
        }
    }

    fn may_wait(&self) -> bool {
        if self.regular || self.done || self.input.eof {
            return false;
        }
        let avail = self.input.available();
        match &self.format {
            Format::Pcap { big_endian, .. } => {
                avail.len() < PCAP_RECORD
                    || avail.len() < PCAP_RECORD + record_field(avail, 8, *big_endian) as usize
            }
            Format::PcapNg(section) => !section.complete(avail),
        }
    }
}

/// The 32-bit field at `at` of a pcap record header, in the file's byte order (the caller has
/// checked the length): one load, where the general reader goes byte by byte.
#[inline(always)]
fn record_field(b: &[u8], at: usize, big: bool) -> u32 {
    let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if big {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    }
}

/// A pcap record that [`pcap_step`] would deliver as it is: whole in `b`, its captured length
/// within bounds and its fraction below a second. Its captured length, time and length on the
/// wire; `None` for anything [`pcap_step`] must look at.
#[inline(always)]
fn whole_record(b: &[u8], nanosecond: bool, big: bool) -> Option<(usize, Timestamp, u32)> {
    let head: &[u8; PCAP_RECORD] = b.get(..PCAP_RECORD)?.try_into().ok()?;
    let field = |at: usize| record_field(head, at, big);
    let incl = field(8) as usize;
    let frac = field(4);
    let units: u32 = if nanosecond { 1_000_000_000 } else { 1_000_000 };
    if incl > MAX_RECORD - PCAP_RECORD || b.len() < PCAP_RECORD + incl || frac >= units {
        return None;
    }
    let nsec = if nanosecond { frac } else { frac * 1000 };
    Some((incl, Timestamp::new(i64::from(field(0)), nsec), field(12)))
}

fn pcap_step(
    b: &[u8],
    link: LinkType,
    nanosecond: bool,
    big: bool,
    overflows: &mut u64,
) -> Result<Step, String> {
    if b.len() < PCAP_RECORD {
        return Ok(Step::Need(PCAP_RECORD));
    }
    // seconds, micro- or nanoseconds, captured length, original length (pcap-savefile(5))
    let field = |at: usize| record_field(b, at, big);
    let incl = field(8) as usize;
    // Checked before asking for that many bytes: a damaged length field would otherwise make
    // us read the rest of the file in search of the record's end.
    if incl > MAX_RECORD - PCAP_RECORD {
        return Err(format!(
            "its captured length {incl} is larger than any capture allows"
        ));
    }
    if b.len() < PCAP_RECORD + incl {
        return Ok(Step::Need(PCAP_RECORD + incl));
    }
    let units: u32 = if nanosecond { 1_000_000_000 } else { 1_000_000 };
    let frac = field(4);
    let sec = i64::from(field(0));
    let ts = if frac < units {
        // The usual record: a fraction below a second, no division.
        Timestamp::new(sec, if nanosecond { frac } else { frac * 1000 })
    } else {
        *overflows += 1;
        let mut ts = Timestamp::from_units(sec, u64::from(frac), u64::from(units));
        if !nanosecond {
            ts.written_us = frac;
        }
        ts
    };
    Ok(Step::Frame {
        len: PCAP_RECORD + incl,
        iface: None,
        ts,
        link,
        orig_len: field(12),
        data: PCAP_RECORD..PCAP_RECORD + incl,
        options: 0..0,
    })
}

fn pcapng_step(section: &mut Section, b: &[u8]) -> Result<Step, String> {
    match section.parse(b, MAX_RECORD) {
        Ok(Parsed::Need(n)) => Ok(Step::Need(n)),
        Ok(Parsed::Described { len }) => Ok(Step::Skip {
            len,
            counted: false,
        }),
        Ok(Parsed::Other { len }) => Ok(Step::Skip { len, counted: true }),
        Ok(Parsed::Packet(p)) => {
            let link = section
                .interfaces
                .get(p.iface as usize)
                .map_or(LinkType(u32::MAX), |i| i.link);
            Ok(Step::Frame {
                len: p.len,
                iface: Some(p.iface),
                ts: p.ts,
                link,
                orig_len: p.orig_len,
                data: p.data,
                options: p.options,
            })
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The link type in a file header: the low 26 bits (the upper bits may hold an FCS length,
/// libpcap's `LT_LINKTYPE`).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast read of a whole record gives what the general step gives, or leaves the record
    /// to it: over every cut of records with fractions around a second, lengths around the
    /// buffer's end and the limit, in both byte orders and both resolutions.
    #[test]
    fn a_whole_record_reads_as_the_general_step_reads_it() {
        let mut checked = 0;
        for big in [false, true] {
            for nanosecond in [false, true] {
                let units = if nanosecond {
                    1_000_000_000u32
                } else {
                    1_000_000
                };
                for frac in [0, 1, units - 1, units, units + 1, u32::MAX] {
                    for incl in [0u32, 1, 60, (MAX_RECORD - PCAP_RECORD) as u32, u32::MAX] {
                        let w = |v: u32| {
                            if big {
                                v.to_be_bytes()
                            } else {
                                v.to_le_bytes()
                            }
                        };
                        let mut b = Vec::new();
                        for v in [1_700_000_000, frac, incl, 1234] {
                            b.extend_from_slice(&w(v));
                        }
                        b.extend(std::iter::repeat_n(7u8, (incl as usize).min(100)));
                        for cut in 0..=b.len() {
                            let rec = &b[..cut];
                            let fast = whole_record(rec, nanosecond, big);
                            let general = pcap_step(rec, LinkType::RAW, nanosecond, big, &mut 0);
                            match (fast, general) {
                                (
                                    Some((n, ts, orig)),
                                    Ok(Step::Frame {
                                        len,
                                        ts: t,
                                        orig_len,
                                        data,
                                        ..
                                    }),
                                ) => {
                                    assert_eq!((PCAP_RECORD + n, ts, orig), (len, t, orig_len));
                                    assert_eq!(data, PCAP_RECORD..PCAP_RECORD + n);
                                    checked += 1;
                                }
                                (Some(f), g) => {
                                    panic!("{f:?} where the step gives {:?}", g.is_ok())
                                }
                                (None, Ok(Step::Frame { ts, .. })) => {
                                    assert!(frac >= units, "left a usual record: {ts:?}")
                                }
                                (None, _) => {}
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 20, "{checked}");
    }
}
