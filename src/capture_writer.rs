//! Saving captured frames to a pcap file (`live -w`): nanosecond timestamps, the capture's link
//! type and snap length, written through pcap-file's `PcapWriter` behind a buffer.
//!
//! The file is a classic pcap (not pcapng) with the nanosecond magic 0xa1b23c4d, which tcpdump,
//! tshark and `sockscope replay` all read. Everything written is flushed by [`CaptureWriter::flush`];
//! the live command calls it whenever the socket is idle and at exit.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use pcap_file::pcap::{PcapHeader, PcapTsResolution, PcapWriter, RawPcapPacket};
use pcap_file::{DataLink, Endianness};

use crate::source::{Frame, LinkType};

/// Write buffer: big enough that a flood costs few write syscalls.
const BUFFER_BYTES: usize = 1 << 20;

/// A pcap file (or standard output, `-w -`) being written.
pub struct CaptureWriter<W: Write = Box<dyn Write>> {
    pcap: PcapWriter<W>,
    snaplen: u32,
    pub written: u64,
}

impl CaptureWriter<Box<dyn Write>> {
    /// Creates (or truncates) `path` and writes the file header; `-` is standard output, as in
    /// tcpdump (`sockscope live -w - | wireshark -k -i -`). With `owner` (uid, gid) the file is
    /// handed to that user first, for a capture that drops root privileges afterwards.
    pub fn create(
        path: &Path,
        link: LinkType,
        snaplen: u32,
        owner: Option<(u32, u32)>,
    ) -> io::Result<Self> {
        let out: Box<dyn Write> = if path == Path::new("-") {
            Box::new(BufWriter::with_capacity(BUFFER_BYTES, io::stdout()))
        } else {
            let file = File::create(path)?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
            }
            Box::new(BufWriter::with_capacity(BUFFER_BYTES, file))
        };
        CaptureWriter::new(out, link, snaplen)
    }
}

impl<W: Write> CaptureWriter<W> {
    pub fn new(writer: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen,
            datalink: DataLink::from(link.0),
            ts_resolution: PcapTsResolution::NanoSecond,
            endianness: Endianness::native(),
        };
        let pcap = PcapWriter::with_header(writer, header).map_err(to_io)?;
        Ok(CaptureWriter {
            pcap,
            snaplen,
            written: 0,
        })
    }

    /// Appends one frame. Bytes beyond the snap length are cut, the wire length is kept.
    pub fn write(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let data = &frame.data[..frame.data.len().min(self.snaplen as usize)];
        let raw = RawPcapPacket {
            // The classic pcap record has 32-bit seconds (good until 2106).
            ts_sec: frame.ts.sec.clamp(0, u32::MAX as i64) as u32,
            ts_frac: frame.ts.nsec,
            incl_len: data.len() as u32,
            orig_len: frame.orig_len.max(data.len() as u32),
            data: data.into(),
        };
        self.pcap.write_raw_packet(&raw).map_err(to_io)?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.pcap.flush().map_err(to_io)
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.pcap.into_inner())
    }
}

fn to_io(e: pcap_file::pcap::PcapWriteError) -> io::Error {
    match e {
        pcap_file::pcap::PcapWriteError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileSource, Source, Timestamp};

    #[test]
    fn written_file_reads_back_with_nanoseconds() {
        let frames = [
            (
                Timestamp::new(1_700_000_000, 123_456_789),
                vec![1u8; 60],
                60,
            ),
            (Timestamp::new(1_700_000_001, 5), vec![2u8; 100], 70_000),
        ];
        let mut w = CaptureWriter::new(Vec::new(), LinkType::ETHERNET, 100).unwrap();
        for (ts, data, orig) in &frames {
            w.write(&Frame {
                ts: *ts,
                link: LinkType::ETHERNET,
                orig_len: *orig,
                data,
            })
            .unwrap();
        }
        let bytes = w.into_inner().unwrap();
        // nanosecond magic, native byte order
        assert_eq!(&bytes[..4], &0xa1b2_3c4du32.to_ne_bytes());
        let dir = std::env::temp_dir().join(format!("sockscope-cw-{}", std::process::id()));
        std::fs::write(&dir, &bytes).unwrap();
        let mut src = FileSource::open(dir.to_str().unwrap()).unwrap();
        for (ts, data, orig) in &frames {
            let f = src.next_frame().unwrap().unwrap();
            assert_eq!(f.ts, *ts);
            assert_eq!(f.data, &data[..]);
            assert_eq!(f.orig_len, *orig);
            assert_eq!(f.link, LinkType::ETHERNET);
        }
        assert!(src.next_frame().unwrap().is_none());
        let _ = std::fs::remove_file(dir);
    }
}
