//! The TCP part of tcpdump's line (print-tcp.c): flags, relative sequence numbers, window,
//! urgent pointer and the options list, including Multipath TCP (print-mptcp.c, RFC 8684) and
//! TCP Fast Open (RFC 7413), byte for byte as tcpdump walks them, quirks included.

use crate::decode::{FLAG_TABLE, TcpFlags, TcpSummary};
use crate::render::fmt::{
    push_hex, push_hex_bytes, push_hex_width, push_ipv4, push_ipv6, push_short, push_u64,
};

/// Option kinds with a meaning for the printer (IANA "TCP Option Kind Numbers").
mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_OK: u8 = 4;
    pub const SACK: u8 = 5;
    pub const ECHO: u8 = 6;
    pub const ECHO_REPLY: u8 = 7;
    pub const TIMESTAMP: u8 = 8;
    pub const CC: u8 = 11;
    pub const CC_NEW: u8 = 12;
    pub const CC_ECHO: u8 = 13;
    pub const MD5: u8 = 19;
    pub const SCPS: u8 = 20;
    pub const UTO: u8 = 28;
    pub const TCP_AO: u8 = 29;
    pub const MPTCP: u8 = 30;
    pub const FAST_OPEN: u8 = 34;
    pub const EXPERIMENT2: u8 = 254;
}

/// tcpdump's names of option kinds (`tcp_option_values`); others print as `unknown-N`.
const OPTION_NAMES: [(u8, &str); 19] = [
    (kind::EOL, "eol"),
    (kind::NOP, "nop"),
    (kind::MSS, "mss"),
    (kind::WSCALE, "wscale"),
    (kind::SACK_OK, "sackOK"),
    (kind::SACK, "sack"),
    (kind::ECHO, "echo"),
    (kind::ECHO_REPLY, "echoreply"),
    (kind::TIMESTAMP, "TS"),
    (kind::CC, "cc"),
    (kind::CC_NEW, "ccnew"),
    (kind::CC_ECHO, ""),
    (kind::MD5, "md5"),
    (kind::SCPS, "scps"),
    (kind::UTO, "uto"),
    (kind::TCP_AO, "tcp-ao"),
    (kind::MPTCP, "mptcp"),
    (kind::FAST_OPEN, "tfo"),
    (kind::EXPERIMENT2, "exp"),
];

/// [`OPTION_NAMES`] indexed by kind.
const NAME_BY_KIND: [Option<&str>; 256] = {
    let mut t: [Option<&str>; 256] = [None; 256];
    let mut i = 0;
    while i < OPTION_NAMES.len() {
        t[OPTION_NAMES[i].0 as usize] = Some(OPTION_NAMES[i].1);
        i += 1;
    }
    t
};

/// The name tcpdump gives an option kind, or `None` for `unknown-N`.
pub fn option_name(k: u8) -> Option<&'static str> {
    NAME_BY_KIND[k as usize]
}

/// The TCP Fast Open magic in an RFC 6994 experimental option.
const TFO_MAGIC: u16 = 0xf989;
/// Length of a TCP MD5 signature (RFC 2385).
const MD5_LEN: usize = 16;

/// Writes `Flags [..]` (`none` when no flag is set).
pub fn flags(buf: &mut Vec<u8>, f: TcpFlags) {
    buf.extend_from_slice(b"Flags [");
    if f.0 == 0 {
        buf.extend_from_slice(b"none");
    }
    for (bit, c, _) in FLAG_TABLE {
        if f.has(bit) {
            buf.push(c as u8);
        }
    }
    buf.push(b']');
}

/// What the options printer needs beyond the option bytes: the bases tcpdump subtracts to print
/// relative numbers in SACK blocks, and whether the whole segment was captured (for md5).
#[derive(Clone, Copy, Debug, Default)]
pub struct SackBase {
    pub thseq: u32,
    pub thack: u32,
    pub rev: bool,
    pub segment_captured: bool,
}

/// How the options list ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsEnd {
    /// `]` was written; the line continues with `, length N`.
    Closed,
    /// tcpdump's `[bad opt]`: the line ends here.
    Bad,
    /// The capture ended inside the options: ` [|tcp]` ends the line.
    Truncated,
}

pub(super) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
pub(super) fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
pub(super) fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Writes `, options [...]` for the option bytes of `t`, walking them the way print-tcp.c does:
/// each option's data is consumed by its printer's idea of its length, a mismatch with the length
/// byte adds `[len N]`, and a length that cannot be right ends the line with `[bad opt]`.
pub fn options(buf: &mut Vec<u8>, t: &TcpSummary<'_>, sb: SackBase) -> OptionsEnd {
    let opts = t.options;
    // The options area the header announces; `opts` holds what was captured of it.
    let mut hlen = (t.header_len as usize).saturating_sub(20);
    let mut cp = 0usize;
    let mut first = true;
    let th_flags = (t.flags.0 & 0xff) as u8;
    buf.extend_from_slice(b", options [");
    let bad = |buf: &mut Vec<u8>, first: bool| {
        buf.extend_from_slice(b"[bad opt]");
        if !first {
            buf.push(b']');
        }
        OptionsEnd::Bad
    };
    while hlen > 0 {
        if !first {
            buf.push(b',');
        }
        let Some(&opt) = opts.get(cp) else {
            buf.extend_from_slice(b" [|tcp]");
            return OptionsEnd::Truncated;
        };
        cp += 1;
        let len;
        if opt == kind::EOL || opt == kind::NOP {
            len = 1usize;
        } else {
            let Some(&l) = opts.get(cp) else {
                buf.extend_from_slice(b" [|tcp]");
                return OptionsEnd::Truncated;
            };
            len = l as usize;
            cp += 1;
            if len < 2 || len > hlen {
                return bad(buf, first);
            }
            hlen -= 1;
        }
        hlen -= 1;
        match option_name(opt) {
            Some(n) => push_short(buf, n.as_bytes()),
            None => {
                buf.extend_from_slice(b"unknown-");
                push_u64(buf, opt as u64);
            }
        }
        // `data` is what remains of the header from this option's data on.
        let data = opts.get(cp..).unwrap_or(&[]);
        let data = &data[..hlen.min(data.len())];
        let datalen: usize;
        // tcpdump's LENCHECK: the option must fit the header; and its bytes must have been
        // captured, or the line ends with [|tcp] where tcpdump's GET_ macros give up.
        macro_rules! lencheck {
            ($l:expr) => {
                if $l > hlen {
                    return bad(buf, first);
                }
                if $l > data.len() {
                    buf.extend_from_slice(b" [|tcp]");
                    return OptionsEnd::Truncated;
                }
            };
        }
        match opt {
            kind::MSS => {
                datalen = 2;
                lencheck!(datalen);
                buf.push(b' ');
                push_u64(buf, be16(data) as u64);
            }
            kind::WSCALE => {
                datalen = 1;
                lencheck!(datalen);
                buf.push(b' ');
                push_u64(buf, data[0] as u64);
            }
            kind::SACK => {
                datalen = len - 2;
                if !datalen.is_multiple_of(8) {
                    buf.extend_from_slice(b" invalid sack");
                } else {
                    buf.push(b' ');
                    push_u64(buf, (datalen / 8) as u64);
                    buf.push(b' ');
                    let base = if sb.rev { sb.thseq } else { sb.thack };
                    let mut i = 0;
                    while i < datalen {
                        lencheck!(i + 4);
                        let s = be32(&data[i..]).wrapping_sub(base);
                        lencheck!(i + 8);
                        let e = be32(&data[i + 4..]).wrapping_sub(base);
                        buf.push(b'{');
                        push_u64(buf, s as u64);
                        buf.push(b':');
                        push_u64(buf, e as u64);
                        buf.push(b'}');
                        i += 8;
                    }
                }
            }
            kind::CC | kind::CC_NEW | kind::CC_ECHO | kind::ECHO | kind::ECHO_REPLY => {
                datalen = 4;
                lencheck!(datalen);
                buf.push(b' ');
                push_u64(buf, be32(data) as u64);
            }
            kind::TIMESTAMP => {
                datalen = 8;
                lencheck!(datalen);
                buf.extend_from_slice(b" val ");
                push_u64(buf, be32(data) as u64);
                buf.extend_from_slice(b" ecr ");
                push_u64(buf, be32(&data[4..]) as u64);
            }
            kind::MD5 => {
                datalen = MD5_LEN;
                lencheck!(datalen);
                // tcpdump (with libcrypto, as distributions build it) cannot check the signature
                // without the shared secret of -M, nor without the whole segment.
                if sb.segment_captured {
                    buf.extend_from_slice(b" shared secret not supplied with -M, can't check - ");
                } else {
                    buf.extend_from_slice(b" snaplen too short, can't check - ");
                }
                push_hex_bytes(buf, &data[..MD5_LEN]);
            }
            kind::SCPS => {
                datalen = 2;
                lencheck!(datalen);
                buf.extend_from_slice(b" cap ");
                push_hex_bytes(buf, &data[..1]);
                buf.extend_from_slice(b" id ");
                push_u64(buf, data[1] as u64);
            }
            kind::TCP_AO => {
                datalen = len - 2;
                if datalen < 2 {
                    buf.extend_from_slice(b" (invalid)");
                } else {
                    lencheck!(1);
                    buf.extend_from_slice(b" keyid ");
                    push_u64(buf, data[0] as u64);
                    lencheck!(2);
                    buf.extend_from_slice(b" rnextkeyid ");
                    push_u64(buf, data[1] as u64);
                    if datalen > 2 {
                        buf.extend_from_slice(b" mac 0x");
                        for i in 2..datalen {
                            lencheck!(i + 1);
                            push_hex_bytes(buf, &data[i..i + 1]);
                        }
                    }
                }
            }
            kind::EOL | kind::NOP | kind::SACK_OK => datalen = 0,
            kind::UTO => {
                datalen = 2;
                lencheck!(datalen);
                let v = be16(data) as u64;
                buf.extend_from_slice(b" 0x");
                push_hex(buf, v);
                buf.push(b' ');
                // The low bit says minutes (1) or seconds (0) (RFC 5482 §3).
                push_u64(buf, if v & 1 != 0 { (v >> 1) * 60 } else { v >> 1 });
            }
            kind::MPTCP => {
                datalen = len - 2;
                lencheck!(datalen);
                if !mptcp(buf, &opts[cp - 2..cp + datalen], th_flags) {
                    return bad(buf, first);
                }
            }
            kind::FAST_OPEN => {
                datalen = len - 2;
                lencheck!(datalen);
                buf.push(b' ');
                fast_open(buf, &data[..datalen]);
            }
            kind::EXPERIMENT2 => {
                datalen = len - 2;
                lencheck!(datalen);
                if datalen < 2 {
                    return bad(buf, first);
                }
                let magic = be16(data);
                buf.push(b'-');
                if magic == TFO_MAGIC {
                    buf.extend_from_slice(b"tfo");
                    fast_open(buf, &data[2..datalen]);
                } else {
                    push_hex_width(buf, magic as u64, 4);
                }
            }
            _ => {
                datalen = len - 2;
                if datalen > 0 {
                    buf.extend_from_slice(b" 0x");
                }
                for i in 0..datalen {
                    lencheck!(i + 1);
                    push_hex_bytes(buf, &data[i..i + 1]);
                }
            }
        }
        cp += datalen;
        hlen -= datalen;
        let mut seen = datalen + 1;
        if opt != kind::EOL && opt != kind::NOP {
            seen += 1;
        }
        if seen != len {
            buf.extend_from_slice(b"[len ");
            push_u64(buf, len as u64);
            buf.push(b']');
        }
        first = false;
        if opt == kind::EOL {
            break;
        }
    }
    buf.push(b']');
    OptionsEnd::Closed
}

/// TCP Fast Open cookie or cookie request (RFC 7413 §4.1.1).
fn fast_open(buf: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        buf.extend_from_slice(b" cookiereq");
    } else if !data.len().is_multiple_of(2) || data.len() < 4 || data.len() > 16 {
        buf.extend_from_slice(b" (invalid)");
    } else {
        buf.extend_from_slice(b" cookie ");
        push_hex_bytes(buf, data);
    }
}

/// Multipath TCP option subtypes (RFC 8684 §3, and RFC 6824 for version 0).
mod mp {
    pub const CAPABLE: u8 = 0;
    pub const JOIN: u8 = 1;
    pub const DSS: u8 = 2;
    pub const ADD_ADDR: u8 = 3;
    pub const REMOVE_ADDR: u8 = 4;
    pub const PRIO: u8 = 5;
    pub const FAIL: u8 = 6;
    pub const FAST_CLOSE: u8 = 7;
    pub const TCPRST: u8 = 8;
    /// Subtype names in tcpdump's order; anything above TCPRST is "unknown".
    pub const NAMES: [&str; 10] = [
        "capable",
        "join",
        "dss",
        "add-addr",
        "rem-addr",
        "prio",
        "fail",
        "fast-close",
        "tcprst",
        "unknown",
    ];
    /// MP_CAPABLE flag letters, most significant bit first (A = checksum required).
    pub const CAPABLE_FLAGS: [(u8, u8); 8] = [
        (0x80, b'A'),
        (0x40, b'B'),
        (0x20, b'C'),
        (0x10, b'D'),
        (0x08, b'E'),
        (0x04, b'F'),
        (0x02, b'G'),
        (0x01, b'H'),
    ];
    pub const CAPABLE_A: u8 = 0x80;
    pub const JOIN_B: u8 = 0x01;
    pub const PRIO_B: u8 = 0x01;
    /// DSS flags (RFC 8684 §3.3).
    pub const DSS_F: u8 = 0x10;
    pub const DSS_M8: u8 = 0x08;
    pub const DSS_M: u8 = 0x04;
    pub const DSS_A8: u8 = 0x02;
    pub const DSS_A: u8 = 0x01;
    /// ADD_ADDR low nibble: version and echo (v0 carried the IP version there).
    pub const ADD_ADDR_KINDS: [(u8, &str); 4] = [
        (0x6, "v0-ip6"),
        (0x4, "v0-ip4"),
        (0x1, "v1-echo"),
        (0x0, "v1"),
    ];
    pub const TCPRST_FLAGS: [(u8, u8); 4] =
        [(0x08, b'U'), (0x04, b'V'), (0x02, b'W'), (0x01, b'T')];
    pub const TCPRST_REASONS: [&str; 7] = [
        "Unspecified error",
        "MPTCP-specific error",
        "Lack of resources",
        "Administratively prohibited",
        "Too much outstanding data",
        "Unacceptable performance",
        "Middlebox interference",
    ];
}

fn bit_letters(buf: &mut Vec<u8>, table: &[(u8, u8)], v: u8) {
    buf.extend_from_slice(b" flags [");
    let mut any = false;
    for (bit, c) in table {
        if v & bit != 0 {
            buf.push(*c);
            any = true;
        }
    }
    if !any {
        buf.extend_from_slice(b"none");
    }
    buf.push(b']');
}

/// Prints one MPTCP option (`opt` starts at its kind byte). Returns false where tcpdump's
/// printer gives up, which makes the caller print `[bad opt]`.
fn mptcp(buf: &mut Vec<u8>, opt: &[u8], th_flags: u8) -> bool {
    const SYN: u8 = TcpFlags::SYN as u8;
    const ACK: u8 = TcpFlags::ACK as u8;
    let len = opt.len();
    if len < 3 {
        return false;
    }
    let subtype = (opt[2] >> 4).min(mp::TCPRST + 1);
    buf.push(b' ');
    push_u64(buf, len as u64);
    buf.push(b' ');
    buf.extend_from_slice(mp::NAMES[subtype as usize].as_bytes());
    match subtype {
        mp::CAPABLE => {
            let syn_ok = (len == 12 || len == 4) && th_flags & SYN != 0;
            let ack_ok = (len == 20 || len == 22 || len == 24) && th_flags & (SYN | ACK) == ACK;
            if !syn_ok && !ack_ok {
                return false;
            }
            let version = opt[2] & 0xf;
            if version > 1 {
                buf.extend_from_slice(b" Unknown Version (");
                push_u64(buf, version as u64);
                buf.push(b')');
                return true;
            }
            buf.extend_from_slice(b" v");
            push_u64(buf, version as u64);
            let f = opt[3];
            bit_letters(buf, &mp::CAPABLE_FLAGS, f);
            let csum = f & mp::CAPABLE_A != 0;
            if csum {
                buf.extend_from_slice(b" csum");
            }
            if len == 12 || len >= 20 {
                buf.extend_from_slice(b" {0x");
                push_hex(buf, be64(&opt[4..]));
                if len >= 20 {
                    buf.extend_from_slice(b",0x");
                    push_hex(buf, be64(&opt[12..]));
                }
                if (len == 22 && !csum) || len == 24 {
                    buf.extend_from_slice(b",data_len=");
                    push_u64(buf, be16(&opt[20..]) as u64);
                }
                buf.push(b'}');
            }
            true
        }
        mp::JOIN => {
            let ok = (len == 12 && th_flags & SYN != 0)
                || (len == 16 && th_flags & (SYN | ACK) == (SYN | ACK))
                || (len == 24 && th_flags & ACK != 0);
            if !ok {
                return false;
            }
            if len != 24 {
                if opt[2] & mp::JOIN_B != 0 {
                    buf.extend_from_slice(b" backup");
                }
                buf.extend_from_slice(b" id ");
                push_u64(buf, opt[3] as u64);
            }
            match len {
                12 => {
                    buf.extend_from_slice(b" token 0x");
                    push_hex(buf, be32(&opt[4..]) as u64);
                    buf.extend_from_slice(b" nonce 0x");
                    push_hex(buf, be32(&opt[8..]) as u64);
                }
                16 => {
                    buf.extend_from_slice(b" hmac 0x");
                    push_hex(buf, be64(&opt[4..]));
                    buf.extend_from_slice(b" nonce 0x");
                    push_hex(buf, be32(&opt[12..]) as u64);
                }
                _ => {
                    buf.extend_from_slice(b" hmac 0x");
                    push_hex_bytes(buf, &opt[4..24]);
                }
            }
            true
        }
        mp::DSS => dss(buf, opt, th_flags),
        mp::ADD_ADDR => {
            if ![8, 10, 16, 18, 20, 22, 28, 30].contains(&len) {
                return false;
            }
            buf.push(b' ');
            let k = opt[2] & 0xf;
            match mp::ADD_ADDR_KINDS.iter().find(|(v, _)| *v == k) {
                Some((_, n)) => buf.extend_from_slice(n.as_bytes()),
                None => buf.extend_from_slice(b"[bad version/echo]"),
            }
            buf.extend_from_slice(b" id ");
            push_u64(buf, opt[3] as u64);
            let (addr_len, port, mac) = match len {
                8 => (4, false, false),
                10 => (4, true, false),
                16 => (4, false, true),
                18 => (4, true, true),
                20 => (16, false, false),
                22 => (16, true, false),
                28 => (16, false, true),
                _ => (16, true, true),
            };
            buf.push(b' ');
            if addr_len == 4 {
                push_ipv4(buf, [opt[4], opt[5], opt[6], opt[7]]);
            } else {
                let mut a = [0u8; 16];
                a.copy_from_slice(&opt[4..20]);
                push_ipv6(buf, &a);
            }
            let mut o = 4 + addr_len;
            if port {
                buf.push(b':');
                push_u64(buf, be16(&opt[o..]) as u64);
                o += 2;
            }
            if mac {
                buf.extend_from_slice(b" hmac 0x");
                push_hex(buf, be64(&opt[o..]));
            }
            true
        }
        mp::REMOVE_ADDR => {
            if len < 4 {
                return false;
            }
            buf.extend_from_slice(b" id");
            for id in &opt[3..] {
                buf.push(b' ');
                push_u64(buf, *id as u64);
            }
            true
        }
        mp::PRIO => {
            if len != 3 && len != 4 {
                return false;
            }
            if opt[2] & mp::PRIO_B != 0 {
                buf.extend_from_slice(b" backup");
            } else {
                buf.extend_from_slice(b" non-backup");
            }
            if len == 4 {
                buf.extend_from_slice(b" id ");
                push_u64(buf, opt[3] as u64);
            }
            true
        }
        mp::FAIL => {
            if len != 12 {
                return false;
            }
            buf.extend_from_slice(b" seq ");
            push_u64(buf, be64(&opt[4..]));
            true
        }
        mp::FAST_CLOSE => {
            if len != 12 {
                return false;
            }
            buf.extend_from_slice(b" key 0x");
            push_hex(buf, be64(&opt[4..]));
            true
        }
        mp::TCPRST => {
            if len != 4 {
                return false;
            }
            bit_letters(buf, &mp::TCPRST_FLAGS, opt[2] & 0xf);
            buf.extend_from_slice(b" reason ");
            match mp::TCPRST_REASONS.get(opt[3] as usize) {
                Some(r) => buf.extend_from_slice(r.as_bytes()),
                None => {
                    buf.extend_from_slice(b"unknown (0x");
                    push_hex_width(buf, opt[3] as u64, 2);
                    buf.push(b')');
                }
            }
            true
        }
        _ => true,
    }
}

/// Data Sequence Signal (RFC 8684 §3.3): data ack, mapping and checksum, each optional.
fn dss(buf: &mut Vec<u8>, opt: &[u8], th_flags: u8) -> bool {
    if opt.len() < 4 || th_flags & (TcpFlags::SYN as u8) != 0 {
        return false;
    }
    let f = opt[3];
    if f & mp::DSS_F != 0 {
        buf.extend_from_slice(b" fin");
    }
    let mut rest = &opt[4..];
    let number = |buf: &mut Vec<u8>, rest: &mut &[u8], wide: bool| -> bool {
        if wide {
            if rest.len() < 8 {
                return false;
            }
            push_u64(buf, be64(rest));
            *rest = &rest[8..];
        } else {
            if rest.len() < 4 {
                return false;
            }
            push_u64(buf, be32(rest) as u64);
            *rest = &rest[4..];
        }
        true
    };
    if f & mp::DSS_A != 0 {
        buf.extend_from_slice(b" ack ");
        if !number(buf, &mut rest, f & mp::DSS_A8 != 0) {
            return false;
        }
    }
    if f & mp::DSS_M != 0 {
        buf.extend_from_slice(b" seq ");
        if !number(buf, &mut rest, f & mp::DSS_M8 != 0) {
            return false;
        }
        if rest.len() < 4 {
            return false;
        }
        buf.extend_from_slice(b" subseq ");
        push_u64(buf, be32(rest) as u64);
        rest = &rest[4..];
        if rest.len() < 2 {
            return false;
        }
        buf.extend_from_slice(b" len ");
        push_u64(buf, be16(rest) as u64);
        rest = &rest[2..];
        if rest.len() >= 2 {
            buf.extend_from_slice(b" csum 0x");
            push_hex(buf, be16(rest) as u64);
            rest = &rest[2..];
        }
    }
    rest.is_empty()
}
