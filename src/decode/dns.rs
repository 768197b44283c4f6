//! DNS messages (RFC 1035 §4.1): the fixed header, names walked label by label with compression
//! pointers (bounded: a pointer must point backwards, so a name cannot loop), and a `Copy`
//! summary of the question and the first answer, for the learner, `-v` and JSON views.
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
}
