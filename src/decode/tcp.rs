//! TCP flags and options (RFC 9293 §3.1, RFC 7323, RFC 2018, RFC 3168, RFC 9768 for AE),
//! decoded from raw header bytes without allocation.

/// TCP control bits, as in the 12 low bits of header bytes 12..14.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    /// Accurate ECN (RFC 9768), formerly the ECN-nonce bit NS (RFC 3540).
    pub const AE: u16 = 0x100;

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
    pub fn psh(self) -> bool {
        self.has(Self::PSH)
    }
    pub fn urg(self) -> bool {
        self.has(Self::URG)
    }

    /// The name of one flag bit as [`FLAG_TABLE`] gives it (`"SYN"`); `"?"` for a bit that is
    /// no flag.
    pub fn name_of(bit: u16) -> &'static str {
        FLAG_TABLE
            .iter()
            .find(|(b, _, _)| *b == bit)
            .map_or("?", |(_, _, name)| name)
    }
}

/// One row per flag: bit, tcpdump's letter, the name a learner reads. Order is tcpdump's.
pub const FLAG_TABLE: [(u16, char, &str); 9] = [
    (TcpFlags::FIN, 'F', "FIN"),
    (TcpFlags::SYN, 'S', "SYN"),
    (TcpFlags::RST, 'R', "RST"),
    (TcpFlags::PSH, 'P', "PSH"),
    (TcpFlags::ACK, '.', "ACK"),
    (TcpFlags::URG, 'U', "URG"),
    (TcpFlags::ECE, 'E', "ECE"),
    (TcpFlags::CWR, 'W', "CWR"),
    (TcpFlags::AE, 'e', "AE"),
];

/// Option kinds (IANA "TCP Option Kind Numbers").
pub mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
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

/// One decoded TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    /// Up to four (left, right) edges; `count` of them are valid.
    Sack {
        blocks: [(u32, u32); 4],
        count: u8,
    },
    Timestamp {
        val: u32,
        ecr: u32,
    },
    /// A kind this decoder does not interpret, with its data.
    Unknown {
        kind: u8,
        data: &'a [u8],
    },
    /// A known kind whose length field is wrong, or an option that runs past the header.
    Bad {
        kind: u8,
        len: u8,
    },
}

/// What the conversation tracker reads from a segment's options, gathered in one walk: the
/// handshake options (RFC 9293 §3.7.1, RFC 7323 §2.2, RFC 2018 §2), the timestamps (RFC 7323
/// §3.2) and the SACK blocks (RFC 2018 §3). Where an option appears twice, the last one counts,
/// as for a walk of [`TcpOptions`] that keeps what it meets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionFacts {
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_permitted: bool,
    /// (TSval, TSecr).
    pub timestamp: Option<(u32, u32)>,
    /// Up to four (left, right) edges; `sack_count` of them are valid.
    pub sack: [(u32, u32); 4],
    pub sack_count: u8,
}

impl OptionFacts {
    /// The facts of the options area `bytes`. The layout Linux puts in every segment after the
    /// handshake (NOP, NOP, timestamps) is read without walking.
    pub fn of(bytes: &[u8]) -> Self {
        let mut f = OptionFacts::default();
        if bytes.is_empty() {
            return f;
        }
        if let Some(ts) = nop_nop_timestamps(bytes) {
            f.timestamp = Some(ts);
            return f;
        }
        for o in TcpOptions::new(bytes) {
            match o {
                TcpOption::Mss(m) => f.mss = Some(m),
                TcpOption::WindowScale(w) => f.wscale = Some(w),
                TcpOption::SackPermitted => f.sack_permitted = true,
                TcpOption::Timestamp { val, ecr } => f.timestamp = Some((val, ecr)),
                TcpOption::Sack { blocks, count } => {
                    f.sack = blocks;
                    f.sack_count = count;
                }
                _ => {}
            }
        }
        f
    }

    /// The valid SACK blocks.
    pub fn sack_blocks(&self) -> &[(u32, u32)] {
        &self.sack[..self.sack_count as usize]
    }
}

/// (TSval, TSecr) of an options area that is exactly NOP, NOP, timestamps: the layout Linux
/// puts in every segment after the handshake (RFC 7323 Appendix A), read without a walk.
pub fn nop_nop_timestamps(bytes: &[u8]) -> Option<(u32, u32)> {
    match *bytes {
        [
            kind::NOP,
            kind::NOP,
            kind::TIMESTAMP,
            10,
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
        ] => Some((
            u32::from_be_bytes([a, b, c, d]),
            u32::from_be_bytes([e, f, g, h]),
        )),
        _ => None,
    }
}

/// The values of a SYN's or SYN-ACK's options area that is exactly MSS, SACK permitted,
/// timestamps, NOP, window scale: the layout Linux puts in its handshake, read without a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxSynOptions {
    pub mss: u16,
    pub ts_val: u32,
    pub ts_ecr: u32,
    pub wscale: u8,
}

/// [`LinuxSynOptions`] when `bytes` are exactly that layout (20 bytes, every length byte right).
pub fn linux_syn_options(bytes: &[u8]) -> Option<LinuxSynOptions> {
    match *bytes {
        [
            kind::MSS,
            4,
            m0,
            m1,
            kind::SACK_PERMITTED,
            2,
            kind::TIMESTAMP,
            10,
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
            kind::NOP,
            kind::WSCALE,
            3,
            wscale,
        ] => Some(LinuxSynOptions {
            mss: u16::from_be_bytes([m0, m1]),
            ts_val: u32::from_be_bytes([a, b, c, d]),
            ts_ecr: u32::from_be_bytes([e, f, g, h]),
            wscale,
        }),
        _ => None,
    }
}

/// Iterates over the options area of a TCP header. Stops after EOL or a malformed option.
#[derive(Clone, Debug)]
pub struct TcpOptions<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> TcpOptions<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        TcpOptions {
            rest: bytes,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = TcpOption<'a>;

    fn next(&mut self) -> Option<TcpOption<'a>> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let k = self.rest[0];
        match k {
            kind::EOL => {
                self.done = true;
                return Some(TcpOption::Eol);
            }
            kind::NOP => {
                self.rest = &self.rest[1..];
                return Some(TcpOption::Nop);
            }
            _ => {}
        }
        let Some(&len) = self.rest.get(1) else {
            self.done = true;
            return Some(TcpOption::Bad { kind: k, len: 0 });
        };
        let l = len as usize;
        if l < 2 || l > self.rest.len() {
            self.done = true;
            return Some(TcpOption::Bad { kind: k, len });
        }
        let data = &self.rest[2..l];
        self.rest = &self.rest[l..];
        let be16 = |d: &[u8]| u16::from_be_bytes([d[0], d[1]]);
        let be32 = |d: &[u8]| u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        let opt = match (k, l) {
            (kind::MSS, 4) => TcpOption::Mss(be16(data)),
            (kind::WSCALE, 3) => TcpOption::WindowScale(data[0]),
            (kind::SACK_PERMITTED, 2) => TcpOption::SackPermitted,
            (kind::TIMESTAMP, 10) => TcpOption::Timestamp {
                val: be32(data),
                ecr: be32(&data[4..]),
            },
            (kind::SACK, _) if (l - 2).is_multiple_of(8) && l <= 34 => {
                let mut blocks = [(0, 0); 4];
                let count = (l - 2) / 8;
                for (i, b) in blocks.iter_mut().enumerate().take(count) {
                    *b = (be32(&data[i * 8..]), be32(&data[i * 8 + 4..]));
                }
                TcpOption::Sack {
                    blocks,
                    count: count as u8,
                }
            }
            (kind::MSS | kind::WSCALE | kind::SACK_PERMITTED | kind::TIMESTAMP | kind::SACK, _) => {
                TcpOption::Bad { kind: k, len }
            }
            _ => TcpOption::Unknown { kind: k, data },
        };
        Some(opt)
    }
}

/// The options area split into one byte range per option, each read with [`TcpOptions`]: a
/// length byte that is impossible still gets a range (of at least one byte, never past the
/// area), and EOL or a malformed option ends the walk. `explain packet` draws one box per range.
#[derive(Clone, Debug)]
pub struct TcpOptionSpans<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> TcpOptionSpans<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        TcpOptionSpans {
            bytes,
            at: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpOptionSpans<'a> {
    type Item = (std::ops::Range<usize>, TcpOption<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (b, o) = (self.bytes, self.at);
        if self.done || o >= b.len() {
            return None;
        }
        let len = match b[o] {
            kind::EOL | kind::NOP => 1,
            _ => b
                .get(o + 1)
                .map(|&l| (l as usize).clamp(1, b.len() - o))
                .unwrap_or(1),
        };
        let opt = TcpOptions::new(&b[o..o + len]).next()?;
        self.at = o + len;
        self.done = matches!(opt, TcpOption::Eol | TcpOption::Bad { .. });
        Some((o..o + len, opt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_come_from_the_table() {
        assert_eq!(TcpFlags::name_of(TcpFlags::SYN), "SYN");
        assert_eq!(TcpFlags::name_of(TcpFlags::AE), "AE");
        assert_eq!(TcpFlags::name_of(0x200), "?");
    }

    #[test]
    fn linux_syn_options() {
        // mss 65495, sackOK, TS val 1 ecr 0, nop, wscale 7: what Linux sends on loopback.
        let raw = [
            2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let v: Vec<_> = TcpOptions::new(&raw).collect();
        assert_eq!(
            v,
            vec![
                TcpOption::Mss(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamp { val: 1, ecr: 0 },
                TcpOption::Nop,
                TcpOption::WindowScale(7),
            ]
        );
    }

    #[test]
    fn option_facts_come_from_one_walk() {
        // The Linux SYN above.
        let syn = [
            2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let f = OptionFacts::of(&syn);
        assert_eq!(
            (f.mss, f.wscale, f.sack_permitted, f.timestamp, f.sack_count),
            (Some(65495), Some(7), true, Some((1, 0)), 0)
        );
        // NOP, NOP, timestamps: read without walking, same answer as the walk.
        let ts = [1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 9];
        assert_eq!(OptionFacts::of(&ts).timestamp, Some((256, 9)));
        // SACK then timestamps, and a second timestamp option: the last one counts.
        let sack = [
            1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 6, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3,
            0, 0, 0, 4,
        ];
        let f = OptionFacts::of(&sack);
        assert_eq!(f.sack_blocks(), &[(5, 6)]);
        assert_eq!(f.timestamp, Some((3, 4)));
        // A walk stops at EOL: nothing after it counts.
        assert_eq!(OptionFacts::of(&[0, 2, 4, 1, 0]), OptionFacts::default());
        assert_eq!(OptionFacts::of(&[]), OptionFacts::default());
    }

    #[test]
    fn sack_blocks_and_unknown_kind() {
        let raw = [
            5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 30, 4, 9, 9,
        ];
        let v: Vec<_> = TcpOptions::new(&raw).collect();
        assert_eq!(
            v[0],
            TcpOption::Sack {
                blocks: [(1, 2), (3, 4), (0, 0), (0, 0)],
                count: 2
            }
        );
        assert_eq!(
            v[1],
            TcpOption::Unknown {
                kind: 30,
                data: &[9, 9]
            }
        );
    }

    #[test]
    fn malformed_options_stop() {
        // length 1 is impossible; length past the end is cut
        assert_eq!(
            TcpOptions::new(&[2, 1, 0, 0]).collect::<Vec<_>>(),
            vec![TcpOption::Bad { kind: 2, len: 1 }]
        );
        assert_eq!(
            TcpOptions::new(&[8, 10, 0]).collect::<Vec<_>>(),
            vec![TcpOption::Bad { kind: 8, len: 10 }]
        );
        assert_eq!(
            TcpOptions::new(&[2, 3, 0]).collect::<Vec<_>>(),
            vec![TcpOption::Bad { kind: 2, len: 3 }]
        );
        assert_eq!(
            TcpOptions::new(&[0, 2, 4]).collect::<Vec<_>>(),
            vec![TcpOption::Eol]
        );
    }
}
