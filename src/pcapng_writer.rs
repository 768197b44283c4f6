//! Saving frames of several interfaces to a pcapng file (`run -w`, `replay -w --pcapng`): one
//! Section Header Block, one Interface Description Block per interface (with `if_name`,
//! `if_description` when known, and `if_tsresol` = 9, so timestamps are nanoseconds), and an
//! Enhanced Packet Block per frame (with its `opt_comment`s), all in this machine's
//! byte order (pcapng, draft-ietf-opsawg-pcapng §4.1, §4.2, §4.3). tcpdump, tshark and
//! `sockscope replay` read it.

use std::io::{self, Write};

/// Block types (draft-ietf-opsawg-pcapng §10.1).
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;
/// Option codes (§4.2, §3.5): if_name, if_description, if_tsresol; opt_comment.
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const OPT_COMMENT: u16 = 1;
const IF_TSRESOL: u16 = 9;

/// A pcapng file being written.
pub struct PcapngWriter<W: Write> {
    out: W,
    interfaces: u32,
    pub written: u64,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// Appends one option: code, length, value padded to 32 bits (§3.5).
fn option(opts: &mut Vec<u8>, code: u16, v: &[u8]) {
    opts.extend_from_slice(&code.to_ne_bytes());
    opts.extend_from_slice(&(v.len() as u16).to_ne_bytes());
    opts.extend_from_slice(v);
    opts.extend(std::iter::repeat_n(0, pad4(v.len())));
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut b = Vec::with_capacity(28);
        b.extend_from_slice(&SHB.to_ne_bytes());
        b.extend_from_slice(&28u32.to_ne_bytes());
        b.extend_from_slice(&0x1A2B_3C4Du32.to_ne_bytes());
        b.extend_from_slice(&1u16.to_ne_bytes());
        b.extend_from_slice(&0u16.to_ne_bytes());
        // Section length: not known (-1).
        b.extend_from_slice(&(-1i64).to_ne_bytes());
        b.extend_from_slice(&28u32.to_ne_bytes());
        out.write_all(&b)?;
        Ok(PcapngWriter {
            out,
            interfaces: 0,
            written: 0,
        })
    }

    /// Describes one more interface; returns its id for [`PcapngWriter::write`].
    pub fn add_interface(&mut self, link_type: u32, snaplen: u32, name: &str) -> io::Result<u32> {
        self.add_described_interface(link_type, snaplen, Some(name), None)
    }

    /// [`PcapngWriter::add_interface`] with the name and description a file gave, if any.
    pub fn add_described_interface(
        &mut self,
        link_type: u32,
        snaplen: u32,
        name: Option<&str>,
        description: Option<&str>,
    ) -> io::Result<u32> {
        let mut opts = Vec::new();
        if let Some(name) = name {
            option(&mut opts, IF_NAME, name.as_bytes());
        }
        if let Some(d) = description {
            option(&mut opts, IF_DESCRIPTION, d.as_bytes());
        }
        // 10^-9 seconds.
        option(&mut opts, IF_TSRESOL, &[9]);
        opts.extend_from_slice(&[0; 4]);
        let total = (20 + opts.len()) as u32;
        let mut b = Vec::with_capacity(total as usize);
        b.extend_from_slice(&IDB.to_ne_bytes());
        b.extend_from_slice(&total.to_ne_bytes());
        b.extend_from_slice(&(link_type as u16).to_ne_bytes());
        b.extend_from_slice(&0u16.to_ne_bytes());
        b.extend_from_slice(&snaplen.to_ne_bytes());
        b.extend_from_slice(&opts);
        b.extend_from_slice(&total.to_ne_bytes());
        self.out.write_all(&b)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Appends one frame of interface `id`, stamped `ts_ns` (nanoseconds since the epoch).
    pub fn write(&mut self, id: u32, ts_ns: u64, orig_len: u32, data: &[u8]) -> io::Result<()> {
        self.write_commented(id, ts_ns, orig_len, data, &[])
    }

    /// [`PcapngWriter::write`] with comments (`opt_comment`, any bytes, kept as they are).
    pub fn write_commented(
        &mut self,
        id: u32,
        ts_ns: u64,
        orig_len: u32,
        data: &[u8],
        comments: &[Vec<u8>],
    ) -> io::Result<()> {
        let mut opts = Vec::new();
        for c in comments {
            option(&mut opts, OPT_COMMENT, &c[..c.len().min(u16::MAX as usize)]);
        }
        if !opts.is_empty() {
            opts.extend_from_slice(&[0; 4]);
        }
        let total = (32 + data.len() + pad4(data.len()) + opts.len()) as u32;
        let mut h = Vec::with_capacity(28);
        h.extend_from_slice(&EPB.to_ne_bytes());
        h.extend_from_slice(&total.to_ne_bytes());
        h.extend_from_slice(&id.to_ne_bytes());
        h.extend_from_slice(&((ts_ns >> 32) as u32).to_ne_bytes());
        h.extend_from_slice(&(ts_ns as u32).to_ne_bytes());
        h.extend_from_slice(&(data.len() as u32).to_ne_bytes());
        h.extend_from_slice(&orig_len.max(data.len() as u32).to_ne_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)?;
        self.out.write_all(&[0; 3][..pad4(data.len())])?;
        self.out.write_all(&opts)?;
        self.out.write_all(&total.to_ne_bytes())?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileSource, LinkType, Source, Timestamp};

    #[test]
    fn two_interfaces_read_back_with_nanoseconds() {
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        let eth = w.add_interface(1, 65535, "lo").unwrap();
        let user = w.add_interface(147, 65535, "sockscope-calls").unwrap();
        w.write(eth, 1_700_000_000_123_456_789, 60, &[1; 60])
            .unwrap();
        w.write(user, 1_700_000_000_123_456_790, 3, b"{}x").unwrap();
        let bytes = w.into_inner().unwrap();
        let path = std::env::temp_dir().join(format!("sockscope-ngw-{}", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let mut src = FileSource::open(path.to_str().unwrap()).unwrap();
        let f = src.next_frame().unwrap().unwrap();
        assert_eq!(f.ts, Timestamp::new(1_700_000_000, 123_456_789));
        assert_eq!(f.link, LinkType::ETHERNET);
        assert_eq!(f.data, &[1; 60][..]);
        let f = src.next_frame().unwrap().unwrap();
        assert_eq!(f.ts, Timestamp::new(1_700_000_000, 123_456_790));
        assert_eq!(f.link, LinkType(147));
        assert_eq!(f.data, b"{}x");
        assert!(src.next_frame().unwrap().is_none());
        let _ = std::fs::remove_file(path);
    }
}
