//! DNS messages (RFC 1035 §4.1): the fixed header, names walked label by label with compression
//! pointers (bounded: a pointer must point backwards, so a name cannot loop), and a `Copy`
//! summary of the question and the first answer, for the learner, `-v` and JSON views; and the
//! walk the tcpdump view prints (print-domain.c's order and its reactions to cut or malformed
//! messages): names part by part, record fields, record data and EDNS options.
//!
//! Nothing here allocates: a name is never copied out of the message; [`Name`] walks its labels
//! where it lies, and a view prints them as it goes.

/// The DNS ports tcpdump decodes (print-udp.c, print-tcp.c): 53 (DNS, RFC 1035 §4.2) and 5353
/// (multicast DNS, RFC 6762; UDP only). tcpdump 4.99 has no LLMNR (5355) printer.
pub const PORT: u16 = 53;
pub const MDNS_PORT: u16 = 5353;

/// Header flag bits (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
pub mod flag {
    pub const QR: u16 = 0x8000;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    pub const AD: u16 = 0x0020;
    pub const CD: u16 = 0x0010;
}

/// Record types this crate names (IANA "Resource Record (RR) TYPEs").
pub mod rtype {
    pub const A: u16 = 1;
    pub const NS: u16 = 2;
    pub const CNAME: u16 = 5;
    pub const SOA: u16 = 6;
    pub const PTR: u16 = 12;
    pub const MX: u16 = 15;
    pub const TXT: u16 = 16;
    pub const AAAA: u16 = 28;
    pub const SRV: u16 = 33;
    pub const A6: u16 = 38;
    pub const DNAME: u16 = 39;
    pub const OPT: u16 = 41;
    pub const UNSPECA: u16 = 104;
    pub const TSIG: u16 = 250;
    pub const URI: u16 = 256;
}

/// The 12-byte header (RFC 1035 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

pub const HEADER_LEN: usize = 12;

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        let w = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        Some(Header {
            id: w(0)?,
            flags: w(2)?,
            qdcount: w(4)?,
            ancount: w(6)?,
            nscount: w(8)?,
            arcount: w(10)?,
        })
    }
    pub fn is_response(&self) -> bool {
        self.flags & flag::QR != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// A big-endian 16-bit word at `i`, if captured.
pub fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i.checked_add(1)?)?]))
}

/// A big-endian 32-bit word at `i`, if captured.
pub fn be32(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The two top bits of a length byte (RFC 1035 §4.1.4, RFC 6891 §5): a label, a pointer, an
/// extended label type, or reserved.
pub mod label {
    pub const MASK: u8 = 0xc0;
    pub const POINTER: u8 = 0xc0;
    pub const EXTENDED: u8 = 0x40;
    pub const RESERVED: u8 = 0x80;
    /// The one extended label type ever defined: binary labels (RFC 2673, now historic).
    pub const BITLABEL: u8 = 0x01;
}

/// Skips a name the way tcpdump's `ns_nskip` does (stopping at the first pointer, whose target
/// is not followed): the offset just after it, or `None` when it runs out of captured bytes or
/// uses an unknown label type.
pub fn skip_name(b: &[u8], mut cp: usize) -> Option<usize> {
    let mut i = *b.get(cp)?;
    cp += 1;
    while i != 0 {
        match i & label::MASK {
            label::POINTER => return Some(cp + 1),
            label::EXTENDED => {
                if i & !label::MASK != label::BITLABEL {
                    return None;
                }
                let bits = match *b.get(cp)? {
                    0 => 256,
                    n => n as usize,
                };
                cp += 1 + bits.div_ceil(8);
            }
            label::RESERVED => return None,
            _ => cp += i as usize,
        }
        i = *b.get(cp)?;
        cp += 1;
    }
    Some(cp)
}

/// A name in a message: its labels, walked (pointers followed) without copying.
#[derive(Clone, Copy, Debug)]
pub struct Name<'a> {
    pub msg: &'a [u8],
    pub at: usize,
}

impl<'a> Name<'a> {
    /// Calls `f` with each label in order (the root gives none). Pointers must point backwards
    /// (as BIND requires), so the walk ends; it stops quietly on anything malformed and returns
    /// false then.
    pub fn labels(&self, mut f: impl FnMut(&'a [u8])) -> bool {
        let b = self.msg;
        let mut cp = self.at;
        let mut limit = self.at;
        loop {
            let Some(&i) = b.get(cp) else { return false };
            match i & label::MASK {
                0 if i == 0 => return true,
                0 => {
                    let Some(l) = b.get(cp + 1..cp + 1 + i as usize) else {
                        return false;
                    };
                    f(l);
                    cp += 1 + i as usize;
                }
                label::POINTER => {
                    let Some(&lo) = b.get(cp + 1) else {
                        return false;
                    };
                    let to = (((i & 0x3f) as usize) << 8) | lo as usize;
                    if to >= limit {
                        return false;
                    }
                    limit = to;
                    cp = to;
                }
                _ => return false,
            }
        }
    }

    /// Appends the name in dotted form with a trailing dot (`example.com.`; `.` for the root),
    /// bytes outside printable ASCII as `\DDD` (RFC 4343 §2.1).
    pub fn push(&self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let ok = self.labels(|l| {
            for &c in l {
                if c == b'.' || c == b'\\' {
                    out.push(b'\\');
                    out.push(c);
                } else if c.is_ascii_graphic() {
                    out.push(c);
                } else {
                    out.push(b'\\');
                    out.extend_from_slice(&[b'0' + c / 100, b'0' + c / 10 % 10, b'0' + c % 10]);
                }
            }
            out.push(b'.');
        });
        if out.len() == start {
            out.push(b'.');
        }
        ok
    }
}

/// What a view says about one DNS message: the header, the first question and the first answer.
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a> {
    pub header: Header,
    /// Over TCP, the 2-byte length prefix (RFC 1035 §4.2.2) was present and removed.
    pub over_tcp: bool,
    /// The first question: its name, type and class.
    pub question: Option<(Name<'a>, u16, u16)>,
    /// The first answer record: its type, its data, and where the data starts in `msg`.
    pub answer: Option<(u16, &'a [u8], usize)>,
    /// The message, for names in the answer.
    pub msg: &'a [u8],
}

impl<'a> Summary<'a> {
    /// Reads a message (after the TCP length prefix, if any).
    pub fn parse(msg: &'a [u8], over_tcp: bool) -> Option<Summary<'a>> {
        let header = Header::parse(msg)?;
        let mut s = Summary {
            header,
            over_tcp,
            question: None,
            answer: None,
            msg,
        };
        let mut cp = HEADER_LEN;
        for i in 0..header.qdcount {
            let end = skip_name(msg, cp)?;
            let (t, c) = (be16(msg, end)?, be16(msg, end + 2)?);
            if i == 0 {
                s.question = Some((Name { msg, at: cp }, t, c));
            }
            cp = end + 4;
        }
        if header.ancount > 0
            && let Some(end) = skip_name(msg, cp)
            && let (Some(t), Some(len)) = (be16(msg, end), be16(msg, end + 8))
            && let Some(data) = msg.get(end + 10..end + 10 + len as usize)
        {
            s.answer = Some((t, data, end + 10));
        }
        Some(s)
    }
}

/// tcpdump's names of record types (print-domain.c `ns_type2str`), else `None`.
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP_PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "UNSPECA",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

/// A type's name, or `Type<N>` as tcpdump writes an unknown one.
pub fn push_type(out: &mut Vec<u8>, t: u16) {
    match type_name(t) {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => {
            use std::io::Write as _;
            let _ = write!(out, "Type{t}");
        }
    }
}

/// Class names (RFC 1035 §3.2.4, RFC 2136 for ANY's use): IN is the one almost always seen.
pub fn class_name(c: u16) -> Option<&'static str> {
    Some(match c {
        1 => "IN",
        3 => "CHAOS",
        4 => "HS",
        255 => "ANY",
        _ => return None,
    })
}

/// Opcodes as tcpdump suffixes them to the id (print-domain.c `ns_ops`; RFC 1035 §4.1.1,
/// RFC 1996 NOTIFY, RFC 2136 UPDATE).
pub const OPCODES: [&str; 16] = [
    "",
    " inv_q",
    " stat",
    " op3",
    " notify",
    " update",
    " op6",
    " op7",
    " op8",
    " updateA",
    " updateD",
    " updateDA",
    " updateM",
    " updateMA",
    " zoneInit",
    " zoneRef",
];

/// Response codes as tcpdump prints them (print-domain.c `ns_resp`, with its two entries that
/// lack the leading space), extended by the OPT record's upper bits (RFC 6891 §6.1.3).
pub fn rcode_name(rcode: u16) -> &'static str {
    const NAMES: [&str; 24] = [
        "",
        " FormErr",
        " ServFail",
        " NXDomain",
        " NotImp",
        " Refused",
        " YXDomain",
        " YXRRSet",
        " NXRRSet",
        " NotAuth",
        " NotZone",
        " Resp11",
        " Resp12",
        " Resp13",
        " Resp14",
        " NoChange",
        " BadVers",
        "Resp17",
        " Resp18",
        " Resp19",
        " Resp20",
        "Resp21",
        " Resp22",
        " BadCookie",
    ];
    NAMES.get(rcode as usize).copied().unwrap_or("")
}

// ------------------------------------------------------------------ the walk tcpdump prints

/// A read past the captured bytes where print-domain.c's `GET_` macros jump out of the printer
/// (the view then ends its line with ` [|domain]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut;

/// RFC 1035 §2.3.4: 255 octets.
const MAXCDNAME: u32 = 255;

/// One step of a name as print-domain.c's `fqdn_print` prints it, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamePart<'a> {
    /// Label bytes, as captured (cut short where the capture or the 255-octet limit ends).
    Text(&'a [u8]),
    /// The dot after a label (or the root's lone dot).
    Dot,
    /// A binary label (RFC 2673): its start, whole bytes, a last partial byte (masked) or
    /// nibble, and its end with the bit count.
    BitStart,
    BitByte(u8),
    BitNibble(u8),
    BitEnd(u32),
    /// A compression pointer that does not point backwards (BIND's rule, which rules out loops).
    BadPtr,
    /// An extended label type other than binary labels.
    Elt(u8),
    /// The reserved label type (0b10).
    BadLabelType,
    /// The name is longer than 255 octets.
    TooLong,
}

/// tcpdump's `labellen`: the length of the label at `cp` (a pointer's first byte as is),
/// telling `f` why when the label type is unusable.
fn labellen<'a>(b: &'a [u8], cp: usize, f: &mut impl FnMut(NamePart<'a>)) -> Option<usize> {
    let i = *b.get(cp)?;
    match i & label::MASK {
        label::EXTENDED => {
            let elt = i & !label::MASK;
            if elt != label::BITLABEL {
                f(NamePart::Elt(elt));
                return None;
            }
            let bits = match *b.get(cp + 1)? {
                0 => 256,
                n => n as usize,
            };
            Some(bits.div_ceil(8) + 1)
        }
        label::RESERVED => {
            f(NamePart::BadLabelType);
            None
        }
        _ => Some(i as usize),
    }
}

/// Walks the name at `cp` as print-domain.c's `fqdn_print` does, compression pointers counted
/// from `base` (its `bp`: the message start, or for a CHAIN option the option's end), handing
/// each part to `f`. `Ok(Some(next))` is the offset after the name in place, `Ok(None)` the
/// printer's NULL (the name stopped early), `Err(Cut)` a jump out.
pub fn walk_name<'a>(
    b: &'a [u8],
    mut cp: usize,
    base: usize,
    f: &mut impl FnMut(NamePart<'a>),
) -> Result<Option<usize>, Cut> {
    let Some(mut l) = labellen(b, cp, f) else {
        return Ok(None);
    };
    let Some(&first) = b.get(cp) else {
        return Ok(None);
    };
    // `cp - bp` as tcpdump's unsigned `max_offset`: huge when `bp` lies after `cp`.
    let mut max_offset = cp.wrapping_sub(base) as u32 as usize;
    let mut i = first;
    cp += 1;
    let mut compress = false;
    let mut rp = 0usize;
    if i & label::MASK != label::POINTER {
        rp = cp + l;
    }
    if i == 0 {
        f(NamePart::Dot);
        return Ok(Some(rp));
    }
    let mut name_chars = 0u32;
    while i != 0 && cp < b.len() {
        match i & label::MASK {
            label::POINTER => {
                if !compress {
                    rp = cp + 1;
                    compress = true;
                }
                let Some(&lo) = b.get(cp) else {
                    return Ok(None);
                };
                let offset = (((i as usize) << 8) | lo as usize) & 0x3fff;
                if offset >= max_offset {
                    f(NamePart::BadPtr);
                    return Ok(None);
                }
                max_offset = offset;
                cp = base + offset;
                let Some(n) = labellen(b, cp, f) else {
                    return Ok(None);
                };
                (i, l) = (b[cp], n);
                cp += 1;
                continue;
            }
            label::EXTENDED => {
                let elt = i & !label::MASK;
                if elt != label::BITLABEL {
                    f(NamePart::Elt(elt));
                    return Ok(None);
                }
                bitlabel(b, cp, f)?;
            }
            label::RESERVED => {
                f(NamePart::BadLabelType);
                return Ok(None);
            }
            _ => {
                let l32 = l as u32;
                let take = if name_chars + l32 <= MAXCDNAME {
                    Some(l)
                } else if name_chars < MAXCDNAME {
                    Some((MAXCDNAME - name_chars) as usize)
                } else {
                    None
                };
                if let Some(n) = take {
                    let from = cp.min(b.len());
                    f(NamePart::Text(&b[from..(cp + n).min(b.len())]));
                    if cp + n > b.len() {
                        return Ok(None);
                    }
                }
                name_chars += l32;
            }
        }
        cp += l;
        if name_chars <= MAXCDNAME {
            f(NamePart::Dot);
        }
        name_chars += 1;
        let Some(n) = labellen(b, cp, f) else {
            return Ok(None);
        };
        (i, l) = (b[cp], n);
        cp += 1;
        if !compress {
            rp += l + 1;
        }
    }
    if name_chars > MAXCDNAME {
        f(NamePart::TooLong);
    }
    Ok(Some(rp))
}

/// A binary label's bits (RFC 2673 §3.2) as print-domain.c's `blabel_print` shows them.
fn bitlabel<'a>(b: &'a [u8], cp: usize, f: &mut impl FnMut(NamePart<'a>)) -> Result<(), Cut> {
    let byte = |i: usize| b.get(i).copied().ok_or(Cut);
    let bitlen = match byte(cp)? {
        0 => 256u32,
        n => n as u32,
    };
    let lim = cp + 1 + bitlen.div_ceil(4) as usize;
    f(NamePart::BitStart);
    let mut bitp = cp + 1;
    let mut bits = bitlen;
    while bitp < lim && bits > 7 {
        f(NamePart::BitByte(byte(bitp)?));
        bits -= 8;
        bitp += 1;
    }
    if bits > 4 {
        f(NamePart::BitByte(
            byte(bitp)? & (0xffu32 << (8 - bits)) as u8,
        ));
    } else if bits > 0 {
        f(NamePart::BitNibble(
            ((byte(bitp)? >> 4) & 0x0f) & (0x0f << (4 - bits)),
        ));
    }
    f(NamePart::BitEnd(bitlen));
    Ok(())
}

/// DNS over TCP's two-byte length prefix (RFC 1035 §4.2.2), if captured.
pub fn tcp_length_prefix(b: &[u8]) -> Option<u16> {
    be16(b, 0)
}

/// A question's type and class after its name (at `after_name`), if captured.
pub fn question_fields(b: &[u8], after_name: usize) -> Option<(u16, u16)> {
    Some((be16(b, after_name)?, be16(b, after_name + 2)?))
}

/// A resource record's fixed fields after its name (RFC 1035 §4.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHead {
    pub rtype: u16,
    /// The class field as sent (an OPT record's UDP payload size, RFC 6891 §6.1.2).
    pub class: u16,
    pub ttl: u32,
    pub rdlen: u16,
    /// Where the data starts.
    pub rdata: usize,
}

impl RecordHead {
    /// The ten bytes at `cp`, or `None` when fewer are captured.
    pub fn parse(b: &[u8], cp: usize) -> Option<RecordHead> {
        b.get(cp..cp.checked_add(10)?)?;
        Some(RecordHead {
            rtype: be16(b, cp)?,
            class: be16(b, cp + 2)?,
            ttl: be32(b, cp + 4)?,
            rdlen: be16(b, cp + 8)?,
            rdata: cp + 10,
        })
    }
    /// An OPT record's flags (the TTL's low half, RFC 6891 §6.1.3; DO is 0x8000).
    pub fn opt_flags(&self) -> u16 {
        self.ttl as u16
    }
    /// An OPT record's upper eight bits of the response code (RFC 6891 §6.1.3).
    pub fn extended_rcode(&self) -> u8 {
        (self.ttl >> 24) as u8
    }
    /// The offset after the data.
    pub fn end(&self) -> usize {
        self.rdata + self.rdlen as usize
    }
}

/// The response code with the OPT record's upper eight bits (RFC 6891 §6.1.3), found the way
/// print-domain.c finds it: skipping every record up to the first OPT, as far as captured.
pub fn extended_rcode(b: &[u8], h: &Header) -> u16 {
    let rcode = h.rcode() as u16;
    let len = b.len();
    let mut cp = HEADER_LEN;
    for _ in 0..h.qdcount {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        cp = c + 4;
        if cp >= len {
            return rcode;
        }
    }
    for _ in 0..(h.ancount as u32 + h.nscount as u32) {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        cp = c + 8;
        let Some(rdlen) = be16(b, cp) else {
            return rcode;
        };
        cp += 2 + rdlen as usize;
        if cp >= len {
            return rcode;
        }
    }
    for _ in 0..h.arcount {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        let Some(t) = be16(b, c) else {
            return rcode;
        };
        cp = c + 4;
        let Some(&hi) = b.get(cp) else {
            return rcode;
        };
        if t == rtype::OPT {
            return rcode | (hi as u16) << 4;
        }
        cp += 4;
        let Some(rdlen) = be16(b, cp) else {
            return rcode;
        };
        cp += 2 + rdlen as usize;
        if cp >= len {
            return rcode;
        }
    }
    rcode
}

/// An IPv4 address (A, RFC 1035 §3.4.1) at `at`, if captured.
pub fn ipv4_at(b: &[u8], at: usize) -> Option<[u8; 4]> {
    b.get(at..at.checked_add(4)?)?.try_into().ok()
}

/// An IPv6 address (AAAA, RFC 3596 §2.2) at `at`, if captured.
pub fn ipv6_at(b: &[u8], at: usize) -> Option<[u8; 16]> {
    b.get(at..at.checked_add(16)?)?.try_into().ok()
}

/// A 16-bit field of record data (MX preference, SRV priority/weight/port, URI
/// priority/weight: RFC 1035 §3.3.9, RFC 2782, RFC 7553 §4.5), if captured.
pub fn rdata_u16(b: &[u8], at: usize) -> Result<u16, Cut> {
    be16(b, at).ok_or(Cut)
}

/// A 32-bit field of record data (SOA's serial and timers, RFC 1035 §3.3.13), if captured.
pub fn rdata_u32(b: &[u8], at: usize) -> Result<u32, Cut> {
    be32(b, at).ok_or(Cut)
}

/// One `<character-string>` of a TXT record (RFC 1035 §3.3.14) at `at`: its bytes as
/// captured and the offset after it; `None` when its length byte is not captured.
pub fn character_string(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let n = *b.get(at)? as usize;
    let from = (at + 1).min(b.len());
    Some((&b[from..(at + 1 + n).min(b.len())], at + 1 + n))
}

/// An A6 record's prefix (RFC 2874 §3.1.1) as print-domain.c reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A6 {
    /// A prefix length over 128.
    BadPlen(u8),
    /// The prefix length, the address suffix (zero-padded; absent when the prefix is 128) and
    /// where the prefix name starts (absent when the prefix length is 0).
    Prefix {
        plen: u8,
        suffix: Option<[u8; 16]>,
        name_at: Option<usize>,
    },
}

/// Reads an A6 record's data at `at`; `Ok(None)` when its first byte is not captured.
pub fn a6(b: &[u8], at: usize) -> Result<Option<A6>, Cut> {
    let Some(&plen) = b.get(at) else {
        return Ok(None);
    };
    if plen > 128 {
        return Ok(Some(A6::BadPlen(plen)));
    }
    let pbyte = (plen as usize & !7) / 8;
    let suffix = if plen < 128 {
        let src = b.get(at + 1..at + 1 + 16 - pbyte).ok_or(Cut)?;
        let mut a = [0u8; 16];
        a[pbyte..].copy_from_slice(src);
        Some(a)
    } else {
        None
    };
    let name_at = (plen > 0).then_some(at + 1 + 16 - pbyte);
    Ok(Some(A6::Prefix {
        plen,
        suffix,
        name_at,
    }))
}

/// A TSIG record's numbers after its algorithm name (RFC 8945 §4.2), in order: fudge, MAC
/// size, original id, error, other length (the 6-byte time signed and the MAC skipped); each
/// `Err(Cut)` where not captured, and the walk stops there.
pub fn tsig_numbers(b: &[u8], after_name: usize) -> impl Iterator<Item = Result<u16, Cut>> + '_ {
    let mut at = after_name + 6;
    let mut k = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done || k == 5 {
            return None;
        }
        let v = be16(b, at).ok_or(Cut);
        done = v.is_err();
        at += 2;
        if k == 1
            && let Ok(maclen) = v
        {
            at += maclen as usize;
        }
        k += 1;
        Some(v)
    })
}

/// EDNS option codes (IANA "DNS EDNS0 Option Codes (OPT)").
pub mod eopt {
    pub const DAU: u16 = 5;
    pub const DHU: u16 = 6;
    pub const N3U: u16 = 7;
    pub const ECS: u16 = 8;
    pub const EXPIRE: u16 = 9;
    pub const COOKIE: u16 = 10;
    pub const KEEPALIVE: u16 = 11;
    pub const PADDING: u16 = 12;
    pub const CHAIN: u16 = 13;
    pub const KEY_TAG: u16 = 14;
}

/// What follows an EDNS option's code (RFC 6891 §6.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionData<'a> {
    /// The data, all captured; the next option starts at `next`.
    Data { data: &'a [u8], next: usize },
    /// The length field is not captured.
    NoLength,
    /// The data is not all captured.
    Cut,
}

/// The EDNS option at `cp`: its code (`None` when not captured) and what follows.
pub fn edns_option(b: &[u8], cp: usize) -> Option<(u16, OptionData<'_>)> {
    let code = be16(b, cp)?;
    let Some(len) = be16(b, cp + 2) else {
        return Some((code, OptionData::NoLength));
    };
    let start = cp + 4;
    let end = start + len as usize;
    Some((
        code,
        match b.get(start..end) {
            Some(data) => OptionData::Data { data, next: end },
            None => OptionData::Cut,
        },
    ))
}

/// An ECS option (RFC 7871 §6) as print-domain.c's `print_eopt_ecs` accepts it: family 1
/// (IPv4) or 2 (IPv6), prefix lengths within the address size, and exactly the bytes the
/// source prefix needs. `v6` says which family; `addr` is zero-padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ecs {
    pub v6: bool,
    pub addr: [u8; 16],
    pub source: u8,
    pub scope: u8,
}

impl Ecs {
    pub fn parse(data: &[u8]) -> Option<Ecs> {
        let family = be16(data, 0)?;
        let (&source, &scope) = (data.get(2)?, data.get(3)?);
        let bits = match family {
            1 => 32,
            2 => 128,
            _ => return None,
        };
        let a = &data[4..];
        if a.len() > bits / 8
            || source as usize > bits
            || scope as usize > bits
            || (source as usize).div_ceil(8) != a.len()
        {
            return None;
        }
        let mut addr = [0u8; 16];
        addr[..a.len()].copy_from_slice(a);
        Some(Ecs {
            v6: family == 2,
            addr,
            source,
            scope,
        })
    }
}

/// A 16-bit option value (KEEPALIVE's timeout in units of 100 ms, RFC 7828 §3.1) when the data
/// is exactly two bytes.
pub fn option_u16(data: &[u8]) -> Option<u16> {
    (data.len() == 2).then(|| be16(data, 0)).flatten()
}

/// A 32-bit option value (EXPIRE's seconds, RFC 7314 §2) when the data is exactly four bytes.
pub fn option_u32(data: &[u8]) -> Option<u32> {
    (data.len() == 4).then(|| be32(data, 0)).flatten()
}

/// KEY-TAG's tags (RFC 8145 §4.1), when the data is a whole number of them.
pub fn key_tags(data: &[u8]) -> Option<impl Iterator<Item = u16> + '_> {
    data.len()
        .is_multiple_of(2)
        .then(|| data.chunks(2).map(|t| u16::from_be_bytes([t[0], t[1]])))
}

/// A COOKIE option (RFC 7873 §4) when its length is valid: the 8-byte client cookie and the
/// server cookie (8 to 32 bytes, or none).
pub fn cookie(data: &[u8]) -> Option<(&[u8], &[u8])> {
    (data.len() == 8 || (16..=40).contains(&data.len())).then(|| data.split_at(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_pointers_and_loops() {
        // header, then "a.example." at 12, then a pointer to 14 ("example.").
        let mut m = vec![0u8; 12];
        m.extend_from_slice(b"\x01a\x07example\x00\xc0\x0e");
        let mut s = Vec::new();
        assert!(Name { msg: &m, at: 12 }.push(&mut s));
        assert_eq!(s, b"a.example.");
        s.clear();
        assert!(Name { msg: &m, at: 23 }.push(&mut s));
        assert_eq!(s, b"example.");
        assert_eq!(skip_name(&m, 12), Some(23));
        assert_eq!(skip_name(&m, 23), Some(25));
        // A pointer to itself ends the walk instead of looping.
        let l = vec![0xc0, 0x00];
        s.clear();
        assert!(!Name { msg: &l, at: 0 }.push(&mut s));
        // Cut short: no panic.
        assert_eq!(skip_name(b"\x05ab", 0), None);
        assert!(Summary::parse(&m[..5], false).is_none());
    }

    #[test]
    fn the_walk_tcpdump_prints() {
        let mut m = vec![0u8; 12];
        m.extend_from_slice(b"\x01a\x07example\x00\xc0\x0e\xc0\x19");
        let walk = |at: usize, base: usize| {
            let mut parts = Vec::new();
            let r = walk_name(&m, at, base, &mut |p| parts.push(p));
            (r, parts)
        };
        let (r, parts) = walk(23, 0);
        assert_eq!(r, Ok(Some(25)));
        assert_eq!(
            parts,
            [NamePart::Text(b"example"), NamePart::Dot],
            "a pointer followed"
        );
        // A pointer that does not point backwards.
        assert_eq!(walk(25, 0), (Ok(None), vec![NamePart::BadPtr]));
        // Cut inside a label: the captured part, then the name stops.
        let cut = b"\x05ab";
        let mut parts = Vec::new();
        assert_eq!(walk_name(cut, 0, 0, &mut |p| parts.push(p)), Ok(None));
        assert_eq!(parts, [NamePart::Text(b"ab")]);
        // Record fields, EDNS options and their values.
        let rr = [0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 4, 0, 8, 0, 0];
        let h = RecordHead::parse(&rr, 0).expect("ten bytes");
        assert_eq!(
            (h.rtype, h.class, h.opt_flags(), h.end()),
            (41, 4096, 0x8000, 14)
        );
        assert_eq!(
            edns_option(&rr, 10),
            Some((
                eopt::ECS,
                OptionData::Data {
                    data: &[],
                    next: 14
                }
            ))
        );
        assert_eq!(edns_option(&[0, 8, 0, 9, 1], 0), Some((8, OptionData::Cut)));
        assert_eq!(edns_option(&[0, 8, 0], 0), Some((8, OptionData::NoLength)));
        let e = Ecs::parse(&[0, 1, 24, 0, 192, 0, 2]).expect("valid");
        assert_eq!(
            (e.v6, &e.addr[..4], e.source, e.scope),
            (false, &[192, 0, 2, 0][..], 24, 0)
        );
        assert!(
            Ecs::parse(&[0, 1, 24, 0, 192, 0]).is_none(),
            "3 bytes for /24"
        );
        assert!(Ecs::parse(&[0, 3, 8, 0, 1]).is_none(), "family 3");
        assert_eq!(option_u16(&[4, 210]), Some(1234));
        assert_eq!(
            key_tags(&[0x75, 0x30, 0xea, 0x60]).map(|t| t.collect::<Vec<_>>()),
            Some(vec![30000, 60000])
        );
        assert!(key_tags(&[0, 5, 0]).is_none());
        assert_eq!(cookie(&[1; 12]), None);
        assert_eq!(
            tsig_numbers(&[0; 12], 0).collect::<Vec<_>>(),
            [Ok(0), Ok(0), Ok(0), Err(Cut)],
            "fudge, MAC size 0, original id, then the capture ends"
        );
    }
}
