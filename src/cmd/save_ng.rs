//! `replay FILE -w OUT --pcapng` (and `sockscope -r FILE -w OUT --pcapng`): the packets that pass
//! the filter, `--skip` and `-c` saved as pcapng, each on the interface it was captured on (name
//! and description kept), with its comments, and the socket-call records of `run -w` on their
//! own interface. The reader ([`Tee`]) notes each frame's interface and comments; the writer
//! ([`NgSaving`]) is the target of the view the pipeline hands the frames that pass.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::rc::Rc;

use super::pipeline::SaveTarget;
use crate::decode::Packet;
use crate::pcapng_writer::PcapngWriter;
use crate::source::pcapng::Interface;
use crate::source::{FileSource, Frame, LinkType, OwnedFrame, Source, SourceError, Timestamp};

/// What the reader knew of the frame it delivered last.
#[derive(Default)]
pub struct Last {
    iface: Option<Interface>,
    comments: Vec<Vec<u8>>,
    /// A socket-call record, kept whole (the view gets it decoded).
    call: Option<OwnedFrame>,
}

/// A capture file that remembers each frame's interface and comments for [`NgSaving`].
pub struct Tee {
    inner: FileSource,
    last: Rc<RefCell<Last>>,
}

impl Tee {
    pub fn new(inner: FileSource) -> (Tee, Rc<RefCell<Last>>) {
        let last = Rc::new(RefCell::new(Last::default()));
        (
            Tee {
                inner,
                last: last.clone(),
            },
            last,
        )
    }
}

impl Source for Tee {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        if self.inner.next_frame()?.is_none() {
            return Ok(None);
        }
        let frame = self.inner.last_frame();
        let mut l = self.last.borrow_mut();
        l.iface = self.inner.packet_interface().cloned();
        l.comments = self.inner.packet_comments().map(<[u8]>::to_vec).collect();
        l.call = frame
            .as_ref()
            .filter(|f| f.link.0 == crate::track::callrec::LINKTYPE_USER0)
            .map(Frame::to_owned_frame);
        Ok(frame)
    }

    fn may_wait(&self) -> bool {
        self.inner.may_wait()
    }
}

/// Writes each frame it is given to a pcapng file (the target of a [`super::pipeline::Saving`]).
pub struct NgSaving {
    writer: PcapngWriter<Box<dyn Write>>,
    /// The interfaces written so far, and their ids in the file.
    written: Vec<(Interface, u32)>,
    last: Rc<RefCell<Last>>,
    snaplen: u32,
}

impl NgSaving {
    /// Creates `path` (`-`: standard output) for the frames `last` describes.
    pub fn create(path: &Path, last: Rc<RefCell<Last>>, snaplen: u32) -> io::Result<NgSaving> {
        let out: Box<dyn Write> = if path == Path::new("-") {
            Box::new(BufWriter::new(io::stdout()))
        } else {
            Box::new(BufWriter::new(File::create(path)?))
        };
        Ok(NgSaving {
            writer: PcapngWriter::new(out)?,
            written: Vec::new(),
            last,
            snaplen,
        })
    }

    /// The id in the file of the frame's interface (described on first use): the one the file
    /// read gave, or for a pcap file one of the frame's link type.
    fn interface(&mut self, link: LinkType) -> io::Result<u32> {
        let iface = self.last.borrow().iface.clone().unwrap_or(Interface {
            link,
            snaplen: self.snaplen,
            units_per_sec: 1_000_000_000,
            ts_offset: 0,
            name: None,
            description: None,
        });
        if let Some((_, id)) = self.written.iter().find(|(i, _)| *i == iface) {
            return Ok(*id);
        }
        let id = self.writer.add_described_interface(
            iface.link.0,
            iface.snaplen,
            iface.name.as_deref(),
            iface.description.as_deref(),
        )?;
        self.written.push((iface, id));
        Ok(id)
    }

    fn save(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        orig_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let id = self.interface(link)?;
        let ns = (ts.sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.nsec as u64);
        let comments = std::mem::take(&mut self.last.borrow_mut().comments);
        self.writer
            .write_commented(id, ns, orig_len, data, &comments)
    }
}

impl SaveTarget for NgSaving {
    fn packet(&mut self, p: &Packet<'_>) -> io::Result<()> {
        self.save(p.ts, p.link_type, p.orig_len, p.data)
    }

    fn call(&mut self) -> io::Result<()> {
        let call = self.last.borrow_mut().call.take();
        match call {
            Some(f) => {
                let f = f.as_frame();
                self.save(f.ts, f.link, f.orig_len, f.data)
            }
            None => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}
