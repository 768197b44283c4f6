//! pcapng blocks, read by hand: sections in either byte order, interfaces with their link type,
//! snap length, `if_tsresol`, `if_tsoffset` and name, and packets from Enhanced, Simple and
//! obsolete Packet Blocks; every other block type is skipped, and options are walked one by one
//! so that an option we do not know, or a malformed one, is passed over (tshark reads such files
//! whole). Block and option layouts are those of draft-ietf-opsawg-pcapng (section numbers below).
//!
//! The parser works on a byte slice that starts at a block and never allocates for a packet: it
//! answers with positions in that slice, or with how many bytes it needs to go on.

use std::fmt;
use std::ops::Range;

use super::{LinkType, Timestamp};

/// Section Header Block type (§4.1); also the first four bytes of every pcapng file.
pub const SECTION_HEADER: u32 = 0x0A0D_0D0A;
/// Interface Description Block (§4.2).
const INTERFACE_DESCRIPTION: u32 = 1;
/// Obsolete Packet Block (Appendix A).
const PACKET: u32 = 2;
/// Simple Packet Block (§4.4).
const SIMPLE_PACKET: u32 = 3;
/// Enhanced Packet Block (§4.3).
const ENHANCED_PACKET: u32 = 6;
/// The Section Header's byte-order magic, read in the section's own byte order (§4.1).
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// opt_endofopt and opt_comment, valid in every block (§3.5).
const OPT_END: u16 = 0;
pub const OPT_COMMENT: u16 = 1;
/// Interface Description options (§4.2).
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// Block type, total length, ..., total length: the smallest block has 12 bytes (§3.1).
const BLOCK_OVERHEAD: usize = 12;

/// One interface of a section, from its Interface Description Block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub link: LinkType,
    /// 0 means no limit (§4.2).
    pub snaplen: u32,
    /// Timestamp units per second: `if_tsresol`, 10^6 when absent (§4.2).
    pub units_per_sec: u64,
    /// Seconds added to every timestamp of this interface (`if_tsoffset`, §4.2).
    pub ts_offset: i64,
    /// `if_name` and `if_description`, as written (any bytes are kept, lossily as UTF-8).
    pub name: Option<String>,
    pub description: Option<String>,
}

impl Interface {
    /// The time of a packet whose timestamp field holds `units` (§4.3: units since 1970).
    pub fn timestamp(&self, units: u64) -> Timestamp {
        let per = self.units_per_sec;
        let sec = (units / per) as i64;
        let nsec = ((units % per) as u128 * 1_000_000_000 / per as u128) as u32;
        Timestamp::new(sec.saturating_add(self.ts_offset), nsec)
    }
}

/// The state a section carries: its byte order and the interfaces described so far.
#[derive(Clone, Debug, Default)]
pub struct Section {
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
}

/// A packet found in a block, as positions in the slice the block was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketAt {
    /// The whole block's length.
    pub len: usize,
    pub iface: u32,
    pub ts: Timestamp,
    pub orig_len: u32,
    pub data: Range<usize>,
    /// The block's options (empty for a Simple Packet Block).
    pub options: Range<usize>,
}

/// What reading the block at the start of a slice gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The slice is shorter than the block: this many bytes are needed from its start.
    Need(usize),
    Packet(PacketAt),
    /// A section header or interface description, now part of the section's state.
    Described {
        len: usize,
    },
    /// A block passed over (statistics, names, decryption secrets, custom, unknown).
    Other {
        len: usize,
    },
}

/// Why a block cannot be read. Blocks before it were read; what follows it cannot be framed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    TooShort { kind: u32, len: u32 },
    Unaligned { kind: u32, len: u32 },
    TooLarge { kind: u32, len: u32, max: usize },
    LengthsDiffer { kind: u32, head: u32, tail: u32 },
    ByteOrder { magic: [u8; 4] },
    Version { major: u16, minor: u16 },
    BodyTooShort { kind: u32, len: u32 },
    CaptureTooLong { kind: u32, caplen: u32, room: usize },
    NoInterface { iface: u32, count: usize },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Malformed::TooShort { kind, len } => write!(
                f,
                "a {} claims {len} bytes, fewer than the {BLOCK_OVERHEAD} of a block's type and lengths",
                block_name(kind)
            ),
            Malformed::Unaligned { kind, len } => write!(
                f,
                "a {} claims {len} bytes, not a multiple of 4 as every block is",
                block_name(kind)
            ),
            Malformed::TooLarge { kind, len, max } => write!(
                f,
                "a {} claims {len} bytes, more than the {} MiB any capture allows",
                block_name(kind),
                max >> 20
            ),
            Malformed::LengthsDiffer { kind, head, tail } => write!(
                f,
                "a {} starts with length {head} but ends with length {tail}",
                block_name(kind)
            ),
            Malformed::ByteOrder { magic } => write!(
                f,
                "a section header's byte-order magic is {:02x} {:02x} {:02x} {:02x}, not 1a2b3c4d in either order",
                magic[0], magic[1], magic[2], magic[3]
            ),
            Malformed::Version { major, minor } => write!(
                f,
                "a section header has version {major}.{minor}; only major version 1 is defined"
            ),
            Malformed::BodyTooShort { kind, len } => write!(
                f,
                "a {} of {len} bytes is too short for its fixed fields",
                block_name(kind)
            ),
            Malformed::CaptureTooLong { kind, caplen, room } => write!(
                f,
                "a {} claims {caplen} captured bytes but holds only {room}",
                block_name(kind)
            ),
            Malformed::NoInterface { iface, count } => write!(
                f,
                "a packet block names interface {iface}, but its section describes {count}"
            ),
        }
    }
}

impl std::error::Error for Malformed {}

fn block_name(kind: u32) -> String {
    match kind {
        SECTION_HEADER => "section header block".into(),
        INTERFACE_DESCRIPTION => "interface description block".into(),
        PACKET => "packet block".into(),
        SIMPLE_PACKET => "simple packet block".into(),
        ENHANCED_PACKET => "enhanced packet block".into(),
        k => format!("block of type {k:#x}"),
    }
}

/// The unsigned number of `n` bytes at `at`, in the given byte order (the caller has checked
/// the length).
fn uint_at(b: &[u8], at: usize, n: usize, big: bool) -> u64 {
    let bytes = &b[at..at + n];
    let push = |acc: u64, byte: &u8| (acc << 8) | u64::from(*byte);
    if big {
        bytes.iter().fold(0, push)
    } else {
        bytes.iter().rev().fold(0, push)
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> u16 {
    uint_at(b, at, 2, big) as u16
}

pub(super) fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    uint_at(b, at, 4, big) as u32
}

/// A 64-bit timestamp stored as high then low 32-bit words (§4.3).
fn ts_at(b: &[u8], at: usize, big: bool) -> u64 {
    (u64::from(u32_at(b, at, big)) << 32) | u64::from(u32_at(b, at + 4, big))
}

/// The options of a block: (code, value) pairs, each value padded to 4 bytes (§3.5). The walk
/// ends at opt_endofopt, at the end of the bytes, or at an option whose length overruns them:
/// a malformed option costs the options after it, never the packet.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    rest: &'a [u8],
    big: bool,
}

impl<'a> Options<'a> {
    pub fn new(bytes: &'a [u8], big_endian: bool) -> Self {
        Options {
            rest: bytes,
            big: big_endian,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < 4 {
            return None;
        }
        let code = u16_at(self.rest, 0, self.big);
        let len = usize::from(u16_at(self.rest, 2, self.big));
        let padded = (len + 3) & !3;
        if code == OPT_END || self.rest.len() < 4 + len {
            self.rest = &[];
            return None;
        }
        let value = &self.rest[4..4 + len];
        self.rest = self.rest.get(4 + padded..).unwrap_or(&[]);
        Some((code, value))
    }
}

/// The total length of the block at the start of `b`, once enough of it is there to tell
/// (8 bytes, or 12 for a section header whose byte order is in its body).
fn block_len(b: &[u8], section_big: bool) -> Result<Option<(u32, u32, bool)>, Malformed> {
    if b.len() < 8 {
        return Ok(None);
    }
    let is_section = b[..4] == SECTION_HEADER.to_be_bytes();
    let big = if is_section {
        let Some(bom) = b.get(8..12) else {
            return Ok(None);
        };
        if bom == BYTE_ORDER_MAGIC.to_be_bytes() {
            true
        } else if bom == BYTE_ORDER_MAGIC.to_le_bytes() {
            false
        } else {
            return Err(Malformed::ByteOrder {
                magic: [bom[0], bom[1], bom[2], bom[3]],
            });
        }
    } else {
        section_big
    };
    Ok(Some((u32_at(b, 0, big), u32_at(b, 4, big), big)))
}

impl Section {
    /// Whether the slice holds the whole block at its start (or a block that cannot be read):
    /// when not, reading on needs more input.
    pub fn complete(&self, b: &[u8]) -> bool {
        match block_len(b, self.big_endian) {
            Ok(Some((_, len, _))) => b.len() >= len as usize,
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Reads the block at the start of `b`: a section header starts a new section, an interface
    /// description adds an interface, a packet block gives its packet. `max` bounds a block.
    pub fn parse(&mut self, b: &[u8], max: usize) -> Result<Parsed, Malformed> {
        let Some((kind, len, big)) = block_len(b, self.big_endian)? else {
            return Ok(Parsed::Need(if b.len() < 8 { 8 } else { 12 }));
        };
        if (len as usize) < BLOCK_OVERHEAD {
            return Err(Malformed::TooShort { kind, len });
        }
        if len % 4 != 0 {
            return Err(Malformed::Unaligned { kind, len });
        }
        if len as usize > max {
            return Err(Malformed::TooLarge { kind, len, max });
        }
        let len_us = len as usize;
        if b.len() < len_us {
            return Ok(Parsed::Need(len_us));
        }
        let tail = u32_at(b, len_us - 4, big);
        if tail != len {
            return Err(Malformed::LengthsDiffer {
                kind,
                head: len,
                tail,
            });
        }
        let body = 8..len_us - 4;
        let short = Malformed::BodyTooShort { kind, len };
        match kind {
            SECTION_HEADER => {
                // byte-order magic, major, minor, section length (64 bits), options (§4.1)
                if body.len() < 16 {
                    return Err(short);
                }
                let major = u16_at(b, 12, big);
                if major != 1 {
                    return Err(Malformed::Version {
                        major,
                        minor: u16_at(b, 14, big),
                    });
                }
                self.big_endian = big;
                self.interfaces.clear();
                Ok(Parsed::Described { len: len_us })
            }
            INTERFACE_DESCRIPTION => {
                // link type (16 bits), reserved (16), snap length (32), options (§4.2)
                if body.len() < 8 {
                    return Err(short);
                }
                let mut iface = Interface {
                    link: LinkType(u32::from(u16_at(b, 8, big))),
                    snaplen: u32_at(b, 12, big),
                    units_per_sec: 1_000_000,
                    ts_offset: 0,
                    name: None,
                    description: None,
                };
                for (code, value) in Options::new(&b[16..body.end], big) {
                    match (code, value) {
                        (IF_NAME, v) => iface.name = Some(text(v)),
                        (IF_DESCRIPTION, v) => iface.description = Some(text(v)),
                        (IF_TSRESOL, &[r]) => {
                            if let Some(units) = resolution(r) {
                                iface.units_per_sec = units;
                            }
                        }
                        (IF_TSOFFSET, v) if v.len() == 8 => {
                            iface.ts_offset = uint_at(v, 0, 8, big) as i64;
                        }
                        _ => {}
                    }
                }
                self.interfaces.push(iface);
                Ok(Parsed::Described { len: len_us })
            }
            ENHANCED_PACKET | PACKET => {
                // EPB: interface (32), timestamp (64), captured and original length (32 each);
                // the obsolete PB has a 16-bit interface and a 16-bit drop count instead.
                if body.len() < 20 {
                    return Err(short);
                }
                let iface = if kind == ENHANCED_PACKET {
                    u32_at(b, 8, big)
                } else {
                    u32::from(u16_at(b, 8, big))
                };
                let units = ts_at(b, 12, big);
                let caplen = u32_at(b, 20, big);
                let orig_len = u32_at(b, 24, big);
                let room = body.len() - 20;
                if caplen as usize > room {
                    return Err(Malformed::CaptureTooLong { kind, caplen, room });
                }
                let data = 28..28 + caplen as usize;
                let options = ((data.end + 3) & !3).min(body.end)..body.end;
                let ts = self.interface(iface)?.timestamp(units);
                Ok(Parsed::Packet(PacketAt {
                    len: len_us,
                    iface,
                    ts,
                    orig_len,
                    data,
                    options,
                }))
            }
            SIMPLE_PACKET => {
                // original length, then the data, cut to the snap length of interface 0 (§4.4)
                if body.len() < 4 {
                    return Err(short);
                }
                let orig_len = u32_at(b, 8, big);
                let snaplen = self.interface(0)?.snaplen;
                let mut caplen = (orig_len as usize).min(body.len() - 4);
                if snaplen != 0 {
                    caplen = caplen.min(snaplen as usize);
                }
                Ok(Parsed::Packet(PacketAt {
                    len: len_us,
                    iface: 0,
                    // A simple packet block has no timestamp.
                    ts: Timestamp::default(),
                    orig_len,
                    data: 12..12 + caplen,
                    options: body.end..body.end,
                }))
            }
            _ => Ok(Parsed::Other { len: len_us }),
        }
    }

    fn interface(&self, iface: u32) -> Result<&Interface, Malformed> {
        self.interfaces
            .get(iface as usize)
            .ok_or(Malformed::NoInterface {
                iface,
                count: self.interfaces.len(),
            })
    }
}

/// `if_tsresol`: the high bit clear means 10^-n seconds, set means 2^-n (§4.2). A resolution
/// finer than 64 bits can count is ignored (the default stays).
fn resolution(r: u8) -> Option<u64> {
    let n = u32::from(r & 0x7f);
    if r & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

/// A string option: UTF-8 by the specification, kept whatever it holds; some writers end it
/// with NUL bytes, which are not part of the name.
fn text(v: &[u8]) -> String {
    let end = v.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    String::from_utf8_lossy(&v[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len() + 3) & !3;
        let mut v = kind.to_le_bytes().to_vec();
        v.extend((len as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(len - 4, 0);
        v.extend((len as u32).to_le_bytes());
        v
    }

    #[test]
    fn resolutions() {
        assert_eq!(resolution(6), Some(1_000_000));
        assert_eq!(resolution(9), Some(1_000_000_000));
        assert_eq!(resolution(0x80 | 10), Some(1024));
        assert_eq!(resolution(20), None);
        assert_eq!(resolution(0x80 | 64), None);
        let i = Interface {
            link: LinkType::ETHERNET,
            snaplen: 0,
            units_per_sec: 1024,
            ts_offset: -1,
            name: None,
            description: None,
        };
        assert_eq!(i.timestamp(3 * 1024 + 256), Timestamp::new(2, 250_000_000));
    }

    #[test]
    fn options_stop_at_an_overrunning_length() {
        let mut o = Vec::new();
        o.extend(1u16.to_le_bytes());
        o.extend(3u16.to_le_bytes());
        o.extend([0xff, 0xfe, 0x80, 0]);
        o.extend(2989u16.to_le_bytes());
        o.extend(400u16.to_le_bytes());
        o.extend([1, 2, 3, 4]);
        let got: Vec<_> = Options::new(&o, false).collect();
        assert_eq!(got, vec![(1, &[0xff, 0xfe, 0x80][..])]);
    }

    #[test]
    fn needs_and_unknown_blocks() {
        let mut s = Section::default();
        let b = le_block(0x0BAD, &[1, 2, 3, 4, 5]);
        assert_eq!(s.parse(&b[..5], 1 << 20), Ok(Parsed::Need(8)));
        assert_eq!(s.parse(&b[..9], 1 << 20), Ok(Parsed::Need(20)));
        assert!(!s.complete(&b[..19]));
        assert!(s.complete(&b));
        assert_eq!(s.parse(&b, 1 << 20), Ok(Parsed::Other { len: 20 }));
        assert_eq!(
            s.parse(&b, 16),
            Err(Malformed::TooLarge {
                kind: 0x0BAD,
                len: 20,
                max: 16
            })
        );
    }
}
