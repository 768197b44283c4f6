//! The TCP part of tcpdump's line (print-tcp.c): flags, relative sequence numbers, window,
//! urgent pointer and the options list, including Multipath TCP (print-mptcp.c, RFC 8684) and
//! TCP Fast Open (RFC 7413), byte for byte as tcpdump prints them. The options are read by
//! [`crate::decode::tcp_walk`], quirks included; this module only formats.

use std::net::IpAddr;

use crate::decode::tcp::linux_syn_options;
use crate::decode::tcp_walk::{
    Dss, End, FastOpen, Mptcp, MptcpBody, Value, Walked, WalkedOption, kind, mp,
};
use crate::decode::{FLAG_TABLE, TcpFlags, TcpSummary};
use crate::render::fmt::{
    push_hex, push_hex_bytes, push_hex_width, push_ipv4, push_ipv6, push_short, push_u32, push_u64,
};

/// tcpdump's names of option kinds (`tcp_option_values`); others print as `unknown-N`.
const OPTION_NAMES: [(u8, &str); 19] = [
    (kind::EOL, "eol"),
    (kind::NOP, "nop"),
    (kind::MSS, "mss"),
    (kind::WSCALE, "wscale"),
    (kind::SACK_PERMITTED, "sackOK"),
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

/// `Flags [..]` for each value of the flags byte, with its length: the letters in
/// [`FLAG_TABLE`]'s order, `none` when no flag is set. tcpdump 4.99 prints only the eight flags
/// of byte 13; the AE bit (RFC 9768, tshark's tcp.flags.ae) is left out rather than shown as a
/// letter, so the byte is the whole key. Built at compile time: a line copies one entry.
const FLAGS_TEXT: [([u8; 16], u8); 256] = {
    let mut t = [([0u8; 16], 0u8); 256];
    let mut byte = 0;
    while byte < 256 {
        let text = &mut t[byte].0;
        let head = b"Flags [";
        let mut n = 0;
        while n < head.len() {
            text[n] = head[n];
            n += 1;
        }
        if byte == 0 {
            let none = b"none";
            let mut i = 0;
            while i < none.len() {
                text[n] = none[i];
                n += 1;
                i += 1;
            }
        }
        let mut i = 0;
        while i < FLAG_TABLE.len() {
            let (bit, c, _) = FLAG_TABLE[i];
            if bit != TcpFlags::AE && byte as u16 & bit != 0 {
                text[n] = c as u8;
                n += 1;
            }
            i += 1;
        }
        text[n] = b']';
        t[byte].1 = n as u8 + 1;
        byte += 1;
    }
    t
};

/// `Flags [..]` in the first bytes of a word, and how many.
#[inline(always)]
pub(super) fn flags_text(f: TcpFlags) -> ([u8; 16], u8) {
    FLAGS_TEXT[(f.0 & 0xff) as usize]
}

/// Writes `Flags [..]` (`none` when no flag is set).
#[inline]
pub fn flags(buf: &mut Vec<u8>, f: TcpFlags) {
    let (text, len) = &FLAGS_TEXT[(f.0 & 0xff) as usize];
    // A fixed-size copy, cut back: cheaper than a `memcpy` call of a variable length.
    let start = buf.len();
    buf.extend_from_slice(text);
    buf.truncate(start + *len as usize);
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

/// Writes `, options [...]` for the options of `t` as the decoder walked them the way
/// print-tcp.c does: a mismatch with the length byte adds `[len N]`, and a length that cannot be
/// right ends the line with `[bad opt]`.
pub fn options(buf: &mut Vec<u8>, t: &TcpSummary<'_>, sb: SackBase) -> OptionsEnd {
    if linux_options(buf, t) {
        return OptionsEnd::Closed;
    }
    walked_options(buf, t, sb)
}

/// [`options`] for any options, through the walk.
fn walked_options(buf: &mut Vec<u8>, t: &TcpSummary<'_>, sb: SackBase) -> OptionsEnd {
    buf.extend_from_slice(b", options [");
    let bad = |buf: &mut Vec<u8>, first: bool| {
        buf.extend_from_slice(b"[bad opt]");
        if !first {
            buf.push(b']');
        }
        OptionsEnd::Bad
    };
    let truncated = |buf: &mut Vec<u8>| {
        buf.extend_from_slice(b" [|tcp]");
        OptionsEnd::Truncated
    };
    let mut first = true;
    for step in t.tcpdump_options() {
        if !first {
            buf.push(b',');
        }
        let o = match step {
            Walked::Stop(End::Truncated) => return truncated(buf),
            Walked::Stop(_) => return bad(buf, first),
            Walked::Option(o) => o,
        };
        match option_name(o.kind) {
            Some(n) => push_short(buf, n.as_bytes()),
            None => {
                buf.extend_from_slice(b"unknown-");
                push_u64(buf, o.kind as u64);
            }
        }
        // The common options inline; the rest in `value`.
        match o.value {
            Value::None => {}
            Value::Number(n) => {
                buf.push(b' ');
                push_u64(buf, n as u64);
            }
            Value::Timestamp { val, ecr } => {
                buf.extend_from_slice(b" val ");
                push_u64(buf, val as u64);
                buf.extend_from_slice(b" ecr ");
                push_u64(buf, ecr as u64);
            }
            _ => value(buf, &o, sb),
        }
        match o.end {
            End::Bad => return bad(buf, first),
            End::Truncated => return truncated(buf),
            End::Whole => {}
        }
        if o.len_mismatch {
            buf.extend_from_slice(b"[len ");
            push_u64(buf, o.len as u64);
            buf.push(b']');
        }
        first = false;
    }
    buf.push(b']');
    OptionsEnd::Closed
}

/// Linux's two usual option layouts, recognised by the decoder's readers of exactly those bytes
/// ([`TcpSummary::nop_nop_timestamps`], [`linux_syn_options`]) and written without the walk:
/// `nop,nop,TS` (every segment of a connection with timestamps, RFC 7323 Appendix A's layout)
/// and `mss,sackOK,TS,nop,wscale` (its SYN and SYN-ACK). They are taken only when the header's
/// options area is exactly that long and was captured whole, so that every length byte is the
/// one the walk would accept and nothing follows: the walk prints the very same text for them
/// (tests below compare the two). Anything else, a cut or a length byte off by one included,
/// goes through [`options`]'s walk. Returns whether the options were written.
#[inline]
fn linux_options(buf: &mut Vec<u8>, t: &TcpSummary<'_>) -> bool {
    // The header's options area is what was captured of it, whole.
    if t.options.len() != (t.header_len as usize).saturating_sub(20) {
        return false;
    }
    if let Some((val, ecr)) = t.nop_nop_timestamps() {
        buf.extend_from_slice(b", options [nop,nop,TS val ");
        timestamps(buf, val, ecr);
    } else if let Some(o) = linux_syn_options(t.options) {
        buf.extend_from_slice(b", options [mss ");
        push_u32(buf, o.mss as u32);
        buf.extend_from_slice(b",sackOK,TS val ");
        timestamps(buf, o.ts_val, o.ts_ecr);
        buf.extend_from_slice(b",nop,wscale ");
        push_u32(buf, o.wscale as u32);
    } else {
        return false;
    }
    buf.push(b']');
    true
}

/// `V ecr E` of a timestamps option (RFC 7323 §3.2: TSval, then TSecr). Always inlined: a
/// call's register saves and constants cost as much as one of the numbers.
#[inline(always)]
fn timestamps(buf: &mut Vec<u8>, val: u32, ecr: u32) {
    push_u32(buf, val);
    buf.extend_from_slice(b" ecr ");
    push_u32(buf, ecr);
}

/// Writes what was read of the value of one of the less common options.
#[cold]
fn value(buf: &mut Vec<u8>, o: &WalkedOption<'_>, sb: SackBase) {
    let datalen = (o.len as usize).saturating_sub(2);
    match o.value {
        Value::None | Value::Number(_) | Value::Timestamp { .. } => {}
        Value::InvalidSack => buf.extend_from_slice(b" invalid sack"),
        Value::Sack { announced, blocks } => {
            buf.push(b' ');
            push_u64(buf, announced as u64);
            buf.push(b' ');
            let base = if sb.rev { sb.thseq } else { sb.thack };
            for (s, e) in blocks.iter() {
                buf.push(b'{');
                push_u64(buf, s.wrapping_sub(base) as u64);
                buf.push(b':');
                push_u64(buf, e.wrapping_sub(base) as u64);
                buf.push(b'}');
            }
        }
        Value::Md5(sig) => {
            // tcpdump (with libcrypto, as distributions build it) cannot check the signature
            // without the shared secret of -M, nor without the whole segment.
            if sb.segment_captured {
                buf.extend_from_slice(b" shared secret not supplied with -M, can't check - ");
            } else {
                buf.extend_from_slice(b" snaplen too short, can't check - ");
            }
            push_hex_bytes(buf, sig);
        }
        Value::Scps { cap, id } => {
            buf.extend_from_slice(b" cap ");
            push_hex_bytes(buf, &[cap]);
            buf.extend_from_slice(b" id ");
            push_u64(buf, id as u64);
        }
        Value::UserTimeout(v) => {
            let v = v as u64;
            buf.extend_from_slice(b" 0x");
            push_hex(buf, v);
            buf.push(b' ');
            // The low bit says minutes (1) or seconds (0) (RFC 5482 §3).
            push_u64(buf, if v & 1 != 0 { (v >> 1) * 60 } else { v >> 1 });
        }
        Value::InvalidTcpAo => buf.extend_from_slice(b" (invalid)"),
        Value::TcpAo {
            key_id,
            rnext_key_id,
            mac,
        } => {
            if let Some(k) = key_id {
                buf.extend_from_slice(b" keyid ");
                push_u64(buf, k as u64);
            }
            if let Some(k) = rnext_key_id {
                buf.extend_from_slice(b" rnextkeyid ");
                push_u64(buf, k as u64);
                if datalen > 2 {
                    buf.extend_from_slice(b" mac 0x");
                    push_hex_bytes(buf, mac);
                }
            }
        }
        Value::Mptcp(m) => {
            if let Some(m) = m.read() {
                mptcp(buf, &m);
            }
        }
        Value::FastOpen(f) => {
            buf.push(b' ');
            fast_open(buf, f);
        }
        Value::Experimental { magic, tfo } => {
            buf.push(b'-');
            match tfo {
                Some(f) => {
                    buf.extend_from_slice(b"tfo");
                    fast_open(buf, f);
                }
                None => push_hex_width(buf, magic as u64, 4),
            }
        }
        Value::Unknown(data) => {
            if datalen > 0 {
                buf.extend_from_slice(b" 0x");
            }
            push_hex_bytes(buf, data);
        }
    }
}

/// TCP Fast Open cookie or cookie request (RFC 7413 §4.1.1).
fn fast_open(buf: &mut Vec<u8>, f: FastOpen<'_>) {
    match f {
        FastOpen::CookieRequest => buf.extend_from_slice(b" cookiereq"),
        FastOpen::Invalid => buf.extend_from_slice(b" (invalid)"),
        FastOpen::Cookie(c) => {
            buf.extend_from_slice(b" cookie ");
            push_hex_bytes(buf, c);
        }
    }
}

/// Subtype names in tcpdump's order ([`mp::UNKNOWN`] last).
const MPTCP_NAMES: [&str; 10] = [
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
const CAPABLE_FLAGS: [(u8, u8); 8] = [
    (0x80, b'A'),
    (0x40, b'B'),
    (0x20, b'C'),
    (0x10, b'D'),
    (0x08, b'E'),
    (0x04, b'F'),
    (0x02, b'G'),
    (0x01, b'H'),
];
/// ADD_ADDR low nibble: version and echo (v0 carried the IP version there).
const ADD_ADDR_KINDS: [(u8, &str); 4] = [
    (0x6, "v0-ip6"),
    (0x4, "v0-ip4"),
    (0x1, "v1-echo"),
    (0x0, "v1"),
];
const TCPRST_FLAGS: [(u8, u8); 4] = [(0x08, b'U'), (0x04, b'V'), (0x02, b'W'), (0x01, b'T')];
const TCPRST_REASONS: [&str; 7] = [
    "Unspecified error",
    "MPTCP-specific error",
    "Lack of resources",
    "Administratively prohibited",
    "Too much outstanding data",
    "Unacceptable performance",
    "Middlebox interference",
];

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

/// Writes one MPTCP option as print-mptcp.c does, as far as it was read.
fn mptcp(buf: &mut Vec<u8>, m: &Mptcp<'_>) {
    buf.push(b' ');
    push_u64(buf, m.len as u64);
    buf.push(b' ');
    buf.extend_from_slice(MPTCP_NAMES[m.subtype.min(mp::UNKNOWN) as usize].as_bytes());
    match m.body {
        MptcpBody::None => {}
        MptcpBody::CapableUnknownVersion(v) => {
            buf.extend_from_slice(b" Unknown Version (");
            push_u64(buf, v as u64);
            buf.push(b')');
        }
        MptcpBody::Capable {
            version,
            flags,
            sender_key,
            receiver_key,
            data_len,
        } => {
            buf.extend_from_slice(b" v");
            push_u64(buf, version as u64);
            bit_letters(buf, &CAPABLE_FLAGS, flags);
            if flags & mp::CAPABLE_A != 0 {
                buf.extend_from_slice(b" csum");
            }
            if let Some(k) = sender_key {
                buf.extend_from_slice(b" {0x");
                push_hex(buf, k);
                if let Some(r) = receiver_key {
                    buf.extend_from_slice(b",0x");
                    push_hex(buf, r);
                }
                if let Some(l) = data_len {
                    buf.extend_from_slice(b",data_len=");
                    push_u64(buf, l as u64);
                }
                buf.push(b'}');
            }
        }
        MptcpBody::JoinSyn {
            backup,
            id,
            token,
            nonce,
        } => {
            join_id(buf, backup, id);
            buf.extend_from_slice(b" token 0x");
            push_hex(buf, token as u64);
            buf.extend_from_slice(b" nonce 0x");
            push_hex(buf, nonce as u64);
        }
        MptcpBody::JoinSynAck {
            backup,
            id,
            hmac,
            nonce,
        } => {
            join_id(buf, backup, id);
            buf.extend_from_slice(b" hmac 0x");
            push_hex(buf, hmac);
            buf.extend_from_slice(b" nonce 0x");
            push_hex(buf, nonce as u64);
        }
        MptcpBody::JoinAck { hmac } => {
            buf.extend_from_slice(b" hmac 0x");
            push_hex_bytes(buf, hmac);
        }
        MptcpBody::Dss(d) => dss(buf, &d),
        MptcpBody::AddAddr {
            kind,
            id,
            addr,
            port,
            hmac,
        } => {
            buf.push(b' ');
            match ADD_ADDR_KINDS.iter().find(|(v, _)| *v == kind) {
                Some((_, n)) => buf.extend_from_slice(n.as_bytes()),
                None => buf.extend_from_slice(b"[bad version/echo]"),
            }
            buf.extend_from_slice(b" id ");
            push_u64(buf, id as u64);
            buf.push(b' ');
            match addr {
                IpAddr::V4(a) => push_ipv4(buf, a.octets()),
                IpAddr::V6(a) => push_ipv6(buf, &a.octets()),
            }
            if let Some(p) = port {
                buf.push(b':');
                push_u64(buf, p as u64);
            }
            if let Some(h) = hmac {
                buf.extend_from_slice(b" hmac 0x");
                push_hex(buf, h);
            }
        }
        MptcpBody::RemoveAddr { ids } => {
            buf.extend_from_slice(b" id");
            for id in ids {
                buf.push(b' ');
                push_u64(buf, *id as u64);
            }
        }
        MptcpBody::Prio { backup, id } => {
            if backup {
                buf.extend_from_slice(b" backup");
            } else {
                buf.extend_from_slice(b" non-backup");
            }
            if let Some(id) = id {
                buf.extend_from_slice(b" id ");
                push_u64(buf, id as u64);
            }
        }
        MptcpBody::Fail { seq } => {
            buf.extend_from_slice(b" seq ");
            push_u64(buf, seq);
        }
        MptcpBody::FastClose { key } => {
            buf.extend_from_slice(b" key 0x");
            push_hex(buf, key);
        }
        MptcpBody::TcpRst { flags, reason } => {
            bit_letters(buf, &TCPRST_FLAGS, flags);
            buf.extend_from_slice(b" reason ");
            match TCPRST_REASONS.get(reason as usize) {
                Some(r) => buf.extend_from_slice(r.as_bytes()),
                None => {
                    buf.extend_from_slice(b"unknown (0x");
                    push_hex_width(buf, reason as u64, 2);
                    buf.push(b')');
                }
            }
        }
    }
}

fn join_id(buf: &mut Vec<u8>, backup: bool, id: u8) {
    if backup {
        buf.extend_from_slice(b" backup");
    }
    buf.extend_from_slice(b" id ");
    push_u64(buf, id as u64);
}

/// Data Sequence Signal (RFC 8684 §3.3): data ack, mapping and checksum, as far as read.
fn dss(buf: &mut Vec<u8>, d: &Dss) {
    if d.fin {
        buf.extend_from_slice(b" fin");
    }
    if let Some(a) = d.ack {
        buf.extend_from_slice(b" ack ");
        let Some(a) = a else { return };
        push_u64(buf, a);
    }
    if let Some(s) = d.seq {
        buf.extend_from_slice(b" seq ");
        let Some(s) = s else { return };
        push_u64(buf, s);
        let Some(sub) = d.subseq else { return };
        buf.extend_from_slice(b" subseq ");
        push_u64(buf, sub as u64);
        let Some(l) = d.len else { return };
        buf.extend_from_slice(b" len ");
        push_u64(buf, l as u64);
        if let Some(c) = d.csum {
            buf.extend_from_slice(b" csum 0x");
            push_hex(buf, c as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpFlags;

    fn summary(header_len: u8, options: &[u8]) -> TcpSummary<'_> {
        TcpSummary {
            src_port: 1,
            dst_port: 2,
            seq: 0,
            ack: 0,
            header_len,
            reserved: 0,
            flags: TcpFlags(TcpFlags::ACK),
            window: 0,
            checksum: 0,
            urgent: 0,
            options,
        }
    }

    /// The fast path's text and ending against the walk's, and whether it was taken.
    fn both(header_len: u8, o: &[u8]) -> bool {
        let t = summary(header_len, o);
        let (mut fast, mut walk) = (Vec::new(), Vec::new());
        let end = options(&mut fast, &t, SackBase::default());
        let walk_end = walked_options(&mut walk, &t, SackBase::default());
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&walk),
            "{o:?}"
        );
        assert_eq!(end, walk_end);
        linux_options(&mut Vec::new(), &t)
    }

    #[test]
    fn flags_of_every_byte() {
        for f in 0..=0x1ffu16 {
            let mut want = String::from("Flags [");
            if f & 0xff == 0 {
                want.push_str("none");
            }
            for (bit, c, _) in FLAG_TABLE {
                if f & bit != 0 && bit != TcpFlags::AE {
                    want.push(c);
                }
            }
            want.push(']');
            let mut got = Vec::new();
            flags(&mut got, TcpFlags(f));
            assert_eq!(String::from_utf8(got).unwrap(), want);
        }
    }

    const VALUES: [u32; 8] = [0, 1, 9, 10, 99, 65535, 1 << 31, u32::MAX];

    #[test]
    fn nop_nop_timestamps_as_the_walk_prints_them() {
        for val in VALUES {
            for ecr in VALUES {
                let mut o = vec![1, 1, 8, 10];
                o.extend_from_slice(&val.to_be_bytes());
                o.extend_from_slice(&ecr.to_be_bytes());
                assert!(both(32, &o));
                // Cut by the capture, or a header that says more or less: the walk's.
                for cut in 0..o.len() {
                    assert!(!both(32, &o[..cut]));
                }
                assert!(!both(36, &o));
                let mut long = o.clone();
                long.extend_from_slice(&[1, 1, 1, 1]);
                assert!(!both(36, &long));
                // A length byte off by one: `[len N]` or `[bad opt]`.
                for l in [0, 1, 2, 9, 11, 12, 255] {
                    let mut bad = o.clone();
                    bad[3] = l;
                    assert!(!both(32, &bad));
                }
            }
        }
    }

    #[test]
    fn syn_options_as_the_walk_prints_them() {
        for mss in [0u16, 9, 536, 1460, 65535] {
            for ts in VALUES {
                for ws in [0u8, 7, 14, 255] {
                    let mut o = vec![2, 4];
                    o.extend_from_slice(&mss.to_be_bytes());
                    o.extend_from_slice(&[4, 2, 8, 10]);
                    o.extend_from_slice(&ts.to_be_bytes());
                    o.extend_from_slice(&(!ts).to_be_bytes());
                    o.extend_from_slice(&[1, 3, 3, ws]);
                    assert!(both(40, &o));
                    for cut in 0..o.len() {
                        assert!(!both(40, &o[..cut]));
                    }
                    // Each fixed byte changed: another option, a length off, or a bad one.
                    for i in [0, 1, 4, 5, 6, 7, 16, 17, 18] {
                        for v in [0, 1, 2, 3, 5, 255] {
                            let mut other = o.clone();
                            if other[i] == v {
                                continue;
                            }
                            other[i] = v;
                            assert!(!both(40, &other));
                        }
                    }
                    assert!(!both(44, &o));
                }
            }
        }
    }
}
