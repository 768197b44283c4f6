//! `-#` / `--number` for the learner (and verbose) view: each packet's frame number in a column
//! before its lines, as tcpdump's `-#` prints it (5 wide, right-aligned, then two spaces). The
//! number is the frame's place in the file from 1, counting frames the filter hid: tshark's
//! `frame.number`, the number `explain packet --frame` takes and the ladder's `frame N`.

use std::io::{self, Write};

use super::tcpdump::extras::number;
use super::{PacketContext, Renderer};
use crate::decode::Packet;

/// Writes `inner`'s lines of each packet behind its frame number (later lines indented to
/// match).
pub struct Numbered {
    inner: Box<dyn Renderer>,
    buf: Vec<u8>,
    /// The number column of the packet being written (reused).
    first: Vec<u8>,
}

impl Numbered {
    pub fn new(inner: Box<dyn Renderer>) -> Self {
        Numbered {
            inner,
            buf: Vec::new(),
            first: Vec::with_capacity(16),
        }
    }

    /// Writes the buffered lines, the first behind `first`, the others behind blanks.
    fn emit(&mut self, out: &mut dyn Write, first: &[u8]) -> io::Result<()> {
        let pad = [b' '; 7];
        for (i, line) in self.buf.split_inclusive(|b| *b == b'\n').enumerate() {
            out.write_all(if i == 0 { first } else { &pad })?;
            out.write_all(line)?;
        }
        self.buf.clear();
        Ok(())
    }
}

impl Renderer for Numbered {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.inner.packet(&mut self.buf, pkt, ctx)?;
        let mut first = std::mem::take(&mut self.first);
        first.clear();
        number(&mut first, ctx.number);
        let done = self.emit(out, &first);
        self.first = first;
        done
    }

    fn call(&mut self, out: &mut dyn Write, ev: &crate::track::calls::CallEvent) -> io::Result<()> {
        self.inner.call(&mut self.buf, ev)?;
        self.emit(out, &[b' '; 7])
    }

    fn numbered_call(
        &mut self,
        out: &mut dyn Write,
        ev: &crate::track::calls::CallEvent,
        number: u64,
    ) -> io::Result<()> {
        self.inner.numbered_call(&mut self.buf, ev, number)?;
        self.emit(out, &[b' '; 7])
    }

    fn hidden(&mut self, pkt: &Packet<'_>, ctx: &PacketContext) {
        self.inner.hidden(pkt, ctx);
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.inner.finish(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Renderer for Two {
        fn packet(
            &mut self,
            out: &mut dyn Write,
            _: &Packet<'_>,
            _: &PacketContext,
        ) -> io::Result<()> {
            out.write_all(b"line\n  more\n")
        }
    }

    #[test]
    fn number_before_the_first_line_and_blanks_before_the_rest() {
        let mut n = Numbered::new(Box::new(Two));
        let mut out = Vec::new();
        let data = [0u8; 0];
        let frame = crate::source::Frame {
            ts: crate::source::Timestamp::new(0, 0),
            link: crate::source::LinkType::RAW,
            orig_len: 0,
            data: &data,
        };
        let pkt = crate::decode::decode(&frame);
        let ctx = PacketContext {
            number: 12,
            track: None,
        };
        n.packet(&mut out, &pkt, &ctx).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "   12  line\n         more\n"
        );
    }
}
