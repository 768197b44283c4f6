//! TCP options walked the way tcpdump's print-tcp.c walks them, quirks included: each option's
//! data is consumed by the printer's idea of its length, a mismatch with the length byte is
//! reported, a length that cannot be right ends the walk (`[bad opt]`) and so does the end of
//! the capture (`[|tcp]`). Values are decoded here, typed, including Multipath TCP (RFC 8684,
//! print-mptcp.c) and TCP Fast Open (RFC 7413); printers only format them. An iterator over the
//! header's bytes: nothing is allocated or copied per packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{TcpFlags, TcpSummary, be16, be32, be64};

pub use super::tcp::kind;

/// The TCP Fast Open magic in an RFC 6994 experimental option.
const TFO_MAGIC: u16 = 0xf989;
/// Length of a TCP MD5 signature (RFC 2385).
const MD5_LEN: usize = 16;

/// How one option, or the walk, ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Read whole.
    Whole,
    /// A length that cannot be right: tcpdump's `[bad opt]` ends the line.
    Bad,
    /// The capture ends here: tcpdump's `[|tcp]` ends the line.
    Truncated,
}

/// TCP Fast Open cookie or cookie request (RFC 7413 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastOpen<'a> {
    CookieRequest,
    Cookie(&'a [u8]),
    /// A length no cookie can have.
    Invalid,
}

impl<'a> FastOpen<'a> {
    fn read(data: &'a [u8]) -> Self {
        if data.is_empty() {
            FastOpen::CookieRequest
        } else if !data.len().is_multiple_of(2) || data.len() < 4 || data.len() > 16 {
            FastOpen::Invalid
        } else {
            FastOpen::Cookie(data)
        }
    }
}

/// The value of one option, as far as it was read before the option ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Nothing to show: EOL, NOP, SACK permitted, or an option that ended before its value.
    None,
    /// MSS, window scale, and the 4-byte CC and echo options.
    Number(u32),
    Timestamp {
        val: u32,
        ecr: u32,
    },
    /// `announced` blocks by the length byte, and those that were captured.
    Sack {
        announced: u8,
        blocks: SackBlocks<'a>,
    },
    /// A SACK whose data is no whole number of blocks.
    InvalidSack,
    Md5(&'a [u8]),
    Scps {
        cap: u8,
        id: u8,
    },
    /// RFC 5482: the raw 16-bit field (the low bit says minutes or seconds).
    UserTimeout(u16),
    /// TCP-AO (RFC 5925 §2.2): the key ids as far as captured and the MAC bytes read.
    TcpAo {
        key_id: Option<u8>,
        rnext_key_id: Option<u8>,
        mac: &'a [u8],
    },
    /// TCP-AO whose length leaves no room for the key ids.
    InvalidTcpAo,
    /// Read on demand with [`MptcpOption::read`] (the walk only checks it).
    Mptcp(MptcpOption<'a>),
    FastOpen(FastOpen<'a>),
    /// RFC 6994 experimental option: its magic, and the Fast Open data when it is TFO's.
    Experimental {
        magic: u16,
        tfo: Option<FastOpen<'a>>,
    },
    /// Any other kind: its data bytes as far as they were read.
    Unknown(&'a [u8]),
}

/// The (left, right) edges of the SACK blocks that were captured whole (RFC 2018 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlocks<'a>(&'a [u8]);

impl<'a> SackBlocks<'a> {
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.0
            .chunks_exact(8)
            .map(|b| (be32(&b[..4]), be32(&b[4..])))
    }
}

/// A Multipath TCP option from its kind byte, with the TCP flags its reading depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MptcpOption<'a> {
    bytes: &'a [u8],
    th_flags: u8,
}

impl<'a> MptcpOption<'a> {
    /// Reads the option; `None` where tcpdump gives up before printing anything.
    pub fn read(&self) -> Option<Mptcp<'a>> {
        mptcp(self.bytes, self.th_flags)
    }
}

/// One option as tcpdump reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkedOption<'a> {
    pub kind: u8,
    /// The length byte (1 for EOL and NOP).
    pub len: u8,
    pub value: Value<'a>,
    /// Whether the walk goes on after this option.
    pub end: End,
    /// The printer's idea of the option's size differs from the length byte (`[len N]`).
    pub len_mismatch: bool,
}

/// One step of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walked<'a> {
    Option(WalkedOption<'a>),
    /// The walk ends before an option's name: a length that cannot be right, or the end of
    /// the capture.
    Stop(End),
}

/// Iterates over the options of a TCP header as tcpdump walks them.
#[derive(Clone, Debug)]
pub struct TcpdumpOptions<'a> {
    opts: &'a [u8],
    /// What remains of the options area the header announces.
    hlen: usize,
    cp: usize,
    th_flags: u8,
    done: bool,
}

impl<'a> TcpSummary<'a> {
    /// The options as tcpdump's printer reads them.
    pub fn tcpdump_options(&self) -> TcpdumpOptions<'a> {
        TcpdumpOptions {
            opts: self.options,
            hlen: (self.header_len as usize).saturating_sub(20),
            cp: 0,
            th_flags: (self.flags.0 & 0xff) as u8,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpdumpOptions<'a> {
    type Item = Walked<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Walked<'a>> {
        if self.done || self.hlen == 0 {
            return None;
        }
        self.done = true;
        let opts = self.opts;
        let start = self.cp;
        let Some(&opt) = opts.get(self.cp) else {
            return Some(Walked::Stop(End::Truncated));
        };
        self.cp += 1;
        let len;
        if opt == kind::EOL || opt == kind::NOP {
            len = 1usize;
        } else {
            let Some(&l) = opts.get(self.cp) else {
                return Some(Walked::Stop(End::Truncated));
            };
            len = l as usize;
            self.cp += 1;
            if len < 2 || len > self.hlen {
                return Some(Walked::Stop(End::Bad));
            }
            self.hlen -= 1;
        }
        self.hlen -= 1;
        // What remains of the header from this option's data on, as far as it was captured.
        let data = opts.get(self.cp..).unwrap_or(&[]);
        let data = &data[..self.hlen.min(data.len())];
        let from_kind = &opts[start..];
        let (datalen, value, end) = read_value(opt, len, data, from_kind, self.hlen, self.th_flags);
        let mut w = WalkedOption {
            kind: opt,
            len: len as u8,
            value,
            end,
            len_mismatch: false,
        };
        if end == End::Whole {
            self.cp += datalen;
            self.hlen -= datalen;
            let seen = datalen + if len == 1 { 1 } else { 2 };
            w.len_mismatch = seen != len;
            self.done = opt == kind::EOL;
        }
        Some(Walked::Option(w))
    }
}

/// tcpdump's LENCHECK: `l` bytes must fit the header and must have been captured.
#[inline]
fn check(l: usize, hlen: usize, data: &[u8]) -> Result<(), End> {
    if l > hlen {
        Err(End::Bad)
    } else if l > data.len() {
        Err(End::Truncated)
    } else {
        Ok(())
    }
}

/// An option whose value takes `n` bytes, read by `f` once they are known to be there.
#[inline]
fn fixed<'a>(
    n: usize,
    hlen: usize,
    data: &'a [u8],
    f: fn(&'a [u8]) -> Value<'a>,
) -> (usize, Value<'a>, End) {
    match check(n, hlen, data) {
        Ok(()) => (n, f(data), End::Whole),
        Err(e) => (n, Value::None, e),
    }
}

/// The printer's data length for the option, its value, and how it ended.
#[inline]
fn read_value<'a>(
    opt: u8,
    len: usize,
    data: &'a [u8],
    from_kind: &'a [u8],
    hlen: usize,
    th_flags: u8,
) -> (usize, Value<'a>, End) {
    let fixed = |n: usize, f: fn(&'a [u8]) -> Value<'a>| fixed(n, hlen, data, f);
    match opt {
        kind::MSS => fixed(2, |d| Value::Number(be16(d) as u32)),
        kind::WSCALE => fixed(1, |d| Value::Number(d[0] as u32)),
        kind::CC | kind::CC_NEW | kind::CC_ECHO | kind::ECHO | kind::ECHO_REPLY => {
            fixed(4, |d| Value::Number(be32(d)))
        }
        kind::TIMESTAMP => fixed(8, |d| Value::Timestamp {
            val: be32(d),
            ecr: be32(&d[4..]),
        }),
        kind::MD5 => fixed(MD5_LEN, |d| Value::Md5(&d[..MD5_LEN])),
        kind::SCPS => fixed(2, |d| Value::Scps {
            cap: d[0],
            id: d[1],
        }),
        kind::UTO => fixed(2, |d| Value::UserTimeout(be16(d))),
        kind::EOL | kind::NOP | kind::SACK_PERMITTED => (0, Value::None, End::Whole),
        kind::SACK => sack(len - 2, data, hlen),
        kind::TCP_AO => tcp_ao(len - 2, data, hlen),
        kind::MPTCP => {
            let datalen = len - 2;
            if let Err(e) = check(datalen, hlen, data) {
                return (datalen, Value::None, e);
            }
            // The option from its kind byte, whole (checked above).
            let m = MptcpOption {
                bytes: &from_kind[..len],
                th_flags,
            };
            match m.read() {
                Some(r) => {
                    let end = if r.valid { End::Whole } else { End::Bad };
                    (datalen, Value::Mptcp(m), end)
                }
                None => (datalen, Value::None, End::Bad),
            }
        }
        kind::FAST_OPEN => {
            let datalen = len - 2;
            match check(datalen, hlen, data) {
                Ok(()) => (
                    datalen,
                    Value::FastOpen(FastOpen::read(&data[..datalen])),
                    End::Whole,
                ),
                Err(e) => (datalen, Value::None, e),
            }
        }
        kind::EXPERIMENT2 => {
            let datalen = len - 2;
            if let Err(e) = check(datalen, hlen, data) {
                return (datalen, Value::None, e);
            }
            if datalen < 2 {
                return (datalen, Value::None, End::Bad);
            }
            let magic = be16(data);
            let tfo = (magic == TFO_MAGIC).then(|| FastOpen::read(&data[2..datalen]));
            (datalen, Value::Experimental { magic, tfo }, End::Whole)
        }
        _ => {
            let datalen = len - 2;
            let mut n = 0;
            let mut end = End::Whole;
            while n < datalen {
                if let Err(e) = check(n + 1, hlen, data) {
                    end = e;
                    break;
                }
                n += 1;
            }
            (datalen, Value::Unknown(&data[..n]), end)
        }
    }
}

fn sack(datalen: usize, data: &[u8], hlen: usize) -> (usize, Value<'_>, End) {
    if !datalen.is_multiple_of(8) {
        return (datalen, Value::InvalidSack, End::Whole);
    }
    let mut end = End::Whole;
    let mut i = 0;
    while i < datalen {
        // LENCHECK(i + 4) before the left edge, LENCHECK(i + 8) before the right one.
        if let Err(e) = check(i + 4, hlen, data).and_then(|()| check(i + 8, hlen, data)) {
            end = e;
            break;
        }
        i += 8;
    }
    let v = Value::Sack {
        announced: (datalen / 8) as u8,
        blocks: SackBlocks(&data[..i]),
    };
    (datalen, v, end)
}

fn tcp_ao(datalen: usize, data: &[u8], hlen: usize) -> (usize, Value<'_>, End) {
    if datalen < 2 {
        return (datalen, Value::InvalidTcpAo, End::Whole);
    }
    let mut v = (None, None, 0usize);
    let mut end = End::Whole;
    'read: {
        if let Err(e) = check(1, hlen, data) {
            end = e;
            break 'read;
        }
        v.0 = Some(data[0]);
        if let Err(e) = check(2, hlen, data) {
            end = e;
            break 'read;
        }
        v.1 = Some(data[1]);
        for i in 2..datalen {
            if let Err(e) = check(i + 1, hlen, data) {
                end = e;
                break 'read;
            }
            v.2 = i + 1;
        }
    }
    let mac = data.get(2..v.2).unwrap_or(&[]);
    let value = Value::TcpAo {
        key_id: v.0,
        rnext_key_id: v.1,
        mac,
    };
    (datalen, value, end)
}

/// Multipath TCP option subtypes (RFC 8684 §3, and RFC 6824 for version 0).
pub mod mp {
    pub const CAPABLE: u8 = 0;
    pub const JOIN: u8 = 1;
    pub const DSS: u8 = 2;
    pub const ADD_ADDR: u8 = 3;
    pub const REMOVE_ADDR: u8 = 4;
    pub const PRIO: u8 = 5;
    pub const FAIL: u8 = 6;
    pub const FAST_CLOSE: u8 = 7;
    pub const TCPRST: u8 = 8;
    /// Anything above TCPRST.
    pub const UNKNOWN: u8 = 9;
    pub const CAPABLE_A: u8 = 0x80;
    pub const JOIN_B: u8 = 0x01;
    pub const PRIO_B: u8 = 0x01;
    /// DSS flags (RFC 8684 §3.3).
    pub const DSS_F: u8 = 0x10;
    pub const DSS_M8: u8 = 0x08;
    pub const DSS_M: u8 = 0x04;
    pub const DSS_A8: u8 = 0x02;
    pub const DSS_A: u8 = 0x01;
}

/// A Multipath TCP option: its length and subtype, and the body as far as it could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mptcp<'a> {
    pub len: u8,
    /// The subtype, [`mp::UNKNOWN`] for anything above [`mp::TCPRST`].
    pub subtype: u8,
    pub body: MptcpBody<'a>,
    /// False where tcpdump's printer gives up (after printing what `body` holds).
    pub valid: bool,
}

/// What tcpdump prints of each MPTCP subtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MptcpBody<'a> {
    /// Nothing (an invalid option, or an unknown subtype).
    None,
    CapableUnknownVersion(u8),
    Capable {
        version: u8,
        flags: u8,
        sender_key: Option<u64>,
        receiver_key: Option<u64>,
        data_len: Option<u16>,
    },
    JoinSyn {
        backup: bool,
        id: u8,
        token: u32,
        nonce: u32,
    },
    JoinSynAck {
        backup: bool,
        id: u8,
        hmac: u64,
        nonce: u32,
    },
    JoinAck {
        hmac: &'a [u8],
    },
    Dss(Dss),
    AddAddr {
        /// The low nibble of byte 2: version and echo (v0 carried the IP version there).
        kind: u8,
        id: u8,
        addr: IpAddr,
        port: Option<u16>,
        hmac: Option<u64>,
    },
    RemoveAddr {
        ids: &'a [u8],
    },
    Prio {
        backup: bool,
        id: Option<u8>,
    },
    Fail {
        seq: u64,
    },
    FastClose {
        key: u64,
    },
    TcpRst {
        flags: u8,
        reason: u8,
    },
}

/// Data Sequence Signal (RFC 8684 §3.3), as far as it was read: a `Some(None)` number was
/// announced by its flag but is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Dss {
    pub fin: bool,
    pub ack: Option<Option<u64>>,
    pub seq: Option<Option<u64>>,
    pub subseq: Option<u32>,
    pub len: Option<u16>,
    pub csum: Option<u16>,
}

/// Reads one MPTCP option (`o` from its kind byte, as long as its length byte says). `None`
/// where tcpdump gives up before printing anything.
fn mptcp(o: &[u8], th_flags: u8) -> Option<Mptcp<'_>> {
    const SYN: u8 = TcpFlags::SYN as u8;
    const ACK: u8 = TcpFlags::ACK as u8;
    let len = o.len();
    if len < 3 {
        return None;
    }
    let subtype = (o[2] >> 4).min(mp::UNKNOWN);
    let mut m = Mptcp {
        len: len as u8,
        subtype,
        body: MptcpBody::None,
        valid: false,
    };
    let body = match subtype {
        mp::CAPABLE => {
            let syn_ok = (len == 12 || len == 4) && th_flags & SYN != 0;
            let ack_ok = (len == 20 || len == 22 || len == 24) && th_flags & (SYN | ACK) == ACK;
            if !syn_ok && !ack_ok {
                return Some(m);
            }
            let version = o[2] & 0xf;
            if version > 1 {
                MptcpBody::CapableUnknownVersion(version)
            } else {
                let flags = o[3];
                let csum = flags & mp::CAPABLE_A != 0;
                let keys = len == 12 || len >= 20;
                MptcpBody::Capable {
                    version,
                    flags,
                    sender_key: keys.then(|| be64(&o[4..])),
                    receiver_key: (len >= 20).then(|| be64(&o[12..])),
                    data_len: ((len == 22 && !csum) || len == 24).then(|| be16(&o[20..])),
                }
            }
        }
        mp::JOIN => {
            let ok = (len == 12 && th_flags & SYN != 0)
                || (len == 16 && th_flags & (SYN | ACK) == (SYN | ACK))
                || (len == 24 && th_flags & ACK != 0);
            if !ok {
                return Some(m);
            }
            let (backup, id) = (o[2] & mp::JOIN_B != 0, o[3]);
            match len {
                12 => MptcpBody::JoinSyn {
                    backup,
                    id,
                    token: be32(&o[4..]),
                    nonce: be32(&o[8..]),
                },
                16 => MptcpBody::JoinSynAck {
                    backup,
                    id,
                    hmac: be64(&o[4..]),
                    nonce: be32(&o[12..]),
                },
                _ => MptcpBody::JoinAck { hmac: &o[4..24] },
            }
        }
        mp::DSS => {
            if len < 4 || th_flags & SYN != 0 {
                return Some(m);
            }
            let (d, ok) = dss(o);
            m.body = MptcpBody::Dss(d);
            m.valid = ok;
            return Some(m);
        }
        mp::ADD_ADDR => {
            if ![8, 10, 16, 18, 20, 22, 28, 30].contains(&len) {
                return Some(m);
            }
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
            let addr = if addr_len == 4 {
                IpAddr::V4(Ipv4Addr::new(o[4], o[5], o[6], o[7]))
            } else {
                let mut a = [0u8; 16];
                a.copy_from_slice(&o[4..20]);
                IpAddr::V6(Ipv6Addr::from(a))
            };
            let at = 4 + addr_len;
            let mac_at = at + if port { 2 } else { 0 };
            MptcpBody::AddAddr {
                kind: o[2] & 0xf,
                id: o[3],
                addr,
                port: port.then(|| be16(&o[at..])),
                hmac: mac.then(|| be64(&o[mac_at..])),
            }
        }
        mp::REMOVE_ADDR => {
            if len < 4 {
                return Some(m);
            }
            MptcpBody::RemoveAddr { ids: &o[3..] }
        }
        mp::PRIO => {
            if len != 3 && len != 4 {
                return Some(m);
            }
            MptcpBody::Prio {
                backup: o[2] & mp::PRIO_B != 0,
                id: (len == 4).then_some(o[3]),
            }
        }
        mp::FAIL | mp::FAST_CLOSE => {
            if len != 12 {
                return Some(m);
            }
            let v = be64(&o[4..]);
            if subtype == mp::FAIL {
                MptcpBody::Fail { seq: v }
            } else {
                MptcpBody::FastClose { key: v }
            }
        }
        mp::TCPRST => {
            if len != 4 {
                return Some(m);
            }
            MptcpBody::TcpRst {
                flags: o[2] & 0xf,
                reason: o[3],
            }
        }
        _ => MptcpBody::None,
    };
    m.body = body;
    m.valid = true;
    Some(m)
}

/// Reads a DSS option (`o` from its kind byte); false where tcpdump's printer gives up.
fn dss(o: &[u8]) -> (Dss, bool) {
    let f = o[3];
    let mut d = Dss {
        fin: f & mp::DSS_F != 0,
        ..Dss::default()
    };
    let mut rest = &o[4..];
    let number = |rest: &mut &[u8], wide: bool| -> Option<u64> {
        let n = if wide { 8 } else { 4 };
        let b = rest.get(..n)?;
        *rest = &rest[n..];
        Some(if wide { be64(b) } else { be32(b) as u64 })
    };
    if f & mp::DSS_A != 0 {
        let a = number(&mut rest, f & mp::DSS_A8 != 0);
        d.ack = Some(a);
        if a.is_none() {
            return (d, false);
        }
    }
    if f & mp::DSS_M != 0 {
        let s = number(&mut rest, f & mp::DSS_M8 != 0);
        d.seq = Some(s);
        if s.is_none() || rest.len() < 4 {
            return (d, false);
        }
        d.subseq = Some(be32(rest));
        rest = &rest[4..];
        if rest.len() < 2 {
            return (d, false);
        }
        d.len = Some(be16(rest));
        rest = &rest[2..];
        if rest.len() >= 2 {
            d.csum = Some(be16(rest));
            rest = &rest[2..];
        }
    }
    (d, rest.is_empty())
}
