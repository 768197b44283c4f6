//! Where frames come from: capture files, live sockets, or memory (for tests).
//!
//! A [`Frame`] is one captured link-layer frame: its kernel timestamp, its link type, the length
//! it had on the wire and the bytes that were captured (which may be fewer). Every source is a
//! lending iterator ([`Source::next_frame`]) so that no frame is copied on the hot path.

pub mod live;
pub mod memory;
pub mod pcap;
pub mod pcapng;

use std::fmt;

pub use memory::MemorySource;
pub use pcap::FileSource;

/// A point in time, seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub sec: i64,
    /// Always below 1_000_000_000.
    pub nsec: u32,
    /// A pcap record's microsecond field as written, when it held a second or more (0
    /// otherwise): `sec` and `nsec` carry the whole seconds over, where tcpdump prints the
    /// field as it is (in the struct's padding: the size stays 16 bytes).
    pub written_us: u32,
}

impl Timestamp {
    pub const fn new(sec: i64, nsec: u32) -> Self {
        Timestamp {
            sec,
            nsec,
            written_us: 0,
        }
    }

    /// The seconds field as the pcap record wrote it (`sec` less what the microseconds
    /// carried over).
    pub fn written_sec(self) -> i64 {
        self.sec - i64::from(self.written_us / 1_000_000)
    }

    /// Builds a timestamp from a count of `units` per second (1_000_000 for µs, 1_000_000_000 for ns).
    pub fn from_units(sec: i64, frac: u64, units_per_sec: u64) -> Self {
        let extra = (frac / units_per_sec) as i64;
        let frac = frac % units_per_sec;
        let nsec = if units_per_sec >= 1_000_000_000 {
            frac / (units_per_sec / 1_000_000_000)
        } else {
            frac * (1_000_000_000 / units_per_sec)
        };
        Timestamp::new(sec.saturating_add(extra), nsec as u32)
    }

    /// Signed difference `self - earlier` in nanoseconds.
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        (self.sec as i128 - earlier.sec as i128) * 1_000_000_000 + self.nsec as i128
            - earlier.nsec as i128
    }
}

/// A link-layer header type, as numbered by tcpdump.org's LINKTYPE_ registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in host byte order of the writer.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6, told apart by the version nibble (LINKTYPE_RAW).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// DLT values 12 and 14 are raw IP on some platforms; libpcap maps them to LINKTYPE_RAW.
    pub fn normalized(self) -> LinkType {
        match self.0 {
            12 | 14 => LinkType::RAW,
            _ => self,
        }
    }

    /// The LINKTYPE_ name without its prefix, for messages and the verbose view.
    pub fn name(self) -> &'static str {
        match self.normalized().0 {
            0 => "NULL",
            1 => "EN10MB",
            6 => "IEEE802",
            9 => "PPP",
            10 => "FDDI",
            50 => "PPP_HDLC",
            51 => "PPP_ETHER",
            101 => "RAW",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            119 => "PRISM_HEADER",
            127 => "IEEE802_11_RADIOTAP",
            192 => "PPI",
            195 => "IEEE802_15_4",
            220 => "USB_LINUX_MMAPPED",
            228 => "IPV4",
            229 => "IPV6",
            276 => "LINUX_SLL2",
            _ => "unknown",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// One captured frame, borrowed from its source until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    pub link: LinkType,
    /// Length of the frame on the wire; `data.len()` is less when the snap length cut it.
    pub orig_len: u32,
    pub data: &'a [u8],
}

impl<'a> Frame<'a> {
    /// A copy that owns its bytes (to hand to another thread).
    pub fn to_owned_frame(&self) -> OwnedFrame {
        OwnedFrame {
            ts: self.ts,
            link: self.link,
            orig_len: self.orig_len,
            data: self.data.to_vec(),
        }
    }

    /// A frame captured in full: `orig_len` is `data.len()` (packets built in memory).
    pub fn whole(ts: Timestamp, link: LinkType, data: &'a [u8]) -> Self {
        Frame {
            ts,
            link,
            orig_len: data.len() as u32,
            data,
        }
    }
}

/// A frame that owns its bytes (memory sources, tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedFrame {
    pub ts: Timestamp,
    pub link: LinkType,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

impl OwnedFrame {
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            ts: self.ts,
            link: self.link,
            orig_len: self.orig_len,
            data: &self.data,
        }
    }
}

/// Something that went wrong while reading frames. Earlier frames stay valid.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source could not be opened or read at all (missing file, not a capture, empty).
    #[error("{path}: {reason}")]
    Open { path: String, reason: String },
    /// Reading stopped in the middle of the input; what came before was delivered.
    #[error("{path}: {reason}")]
    Truncated { path: String, reason: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A stream of frames. `Ok(None)` is the clean end; an `Err` ends the stream too.
pub trait Source {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError>;

    /// Whether the next call may have to wait for input that has not arrived yet (a capture
    /// still being written to a pipe), so that a caller can first flush what it has printed.
    fn may_wait(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_units() {
        assert_eq!(
            Timestamp::from_units(5, 250_000, 1_000_000),
            Timestamp::new(5, 250_000_000)
        );
        assert_eq!(
            Timestamp::from_units(5, 7, 1_000_000_000),
            Timestamp::new(5, 7)
        );
        // a fraction of a second beyond one second carries over
        assert_eq!(
            Timestamp::from_units(5, 1_500_000, 1_000_000),
            Timestamp::new(6, 500_000_000)
        );
        assert_eq!(
            Timestamp::from_units(1, 1, 10),
            Timestamp::new(1, 100_000_000)
        );
        assert_eq!(
            Timestamp::new(2, 0).nanos_since(Timestamp::new(1, 999_999_999)),
            1
        );
    }

    #[test]
    fn link_names() {
        assert_eq!(LinkType(12).normalized(), LinkType::RAW);
        assert_eq!(LinkType::LINUX_SLL2.to_string(), "LINUX_SLL2 (276)");
    }
}
