//! `-x` and `-X`: a hex dump (and ASCII) of each packet after the line of the current view, in
//! tcpdump's layout (print-ascii.c): `\t0x0000:  4500 003c 5c2e 4000 ...  E..<\.@.`, 16 bytes
//! per line in groups of two.
//!
//! Which bytes: with `--format tcpdump` the dump starts at the network header, as `tcpdump -x`
//! does, so the two can be compared; in every other view it covers the whole captured frame,
//! link header included (tcpdump's `-xx`), because learners should see the Ethernet header too.

use std::io::{self, Write};

use super::{PacketContext, Renderer};
use crate::decode::Packet;

const BYTES_PER_LINE: usize = 16;

/// Wraps another renderer and dumps each packet's bytes after its output.
pub struct HexRenderer {
    inner: Box<dyn Renderer>,
    ascii: bool,
    /// Dump from the network header (tcpdump's `-x`) rather than the whole frame.
    from_network: bool,
    /// Only the printable characters, as tcpdump's `-A` (no offsets, no hex).
    text: bool,
}

impl HexRenderer {
    pub fn new(inner: Box<dyn Renderer>, ascii: bool, from_network: bool) -> Self {
        HexRenderer {
            inner,
            ascii,
            from_network,
            text: false,
        }
    }

    /// tcpdump's `-A` (`-AA` with `whole_frame`): each packet as text after its line.
    pub fn text(inner: Box<dyn Renderer>, whole_frame: bool) -> Self {
        HexRenderer {
            text: true,
            ..HexRenderer::new(inner, false, !whole_frame)
        }
    }
}

impl Renderer for HexRenderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.inner.packet(out, p, ctx)?;
        let bytes = if self.from_network {
            // tcpdump dumps nothing when the frame holds only its link header.
            p.data.get(p.net_offset as usize..).unwrap_or(&[])
        } else {
            p.data
        };
        if self.text {
            return text(out, bytes);
        }
        dump(out, bytes, self.ascii)
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.inner.finish(out)
    }
}

/// Writes `bytes` as tcpdump's `-x` (or `-X` with `ascii`) does, one line per 16 bytes.
pub fn dump(out: &mut dyn Write, bytes: &[u8], ascii: bool) -> io::Result<()> {
    // Each line: tab, offset, then " xxxx" per pair; the hex part is padded to 40 characters
    // when the ASCII column follows.
    let mut line = [0u8; 8 + 40 + 2 + BYTES_PER_LINE];
    for (i, chunk) in bytes.chunks(BYTES_PER_LINE).enumerate() {
        write!(out, "\t0x{:04x}: ", i * BYTES_PER_LINE)?;
        let mut n = 0;
        for pair in chunk.chunks(2) {
            line[n] = b' ';
            n += 1;
            for &b in pair {
                line[n] = HEX[(b >> 4) as usize];
                line[n + 1] = HEX[(b & 0x0f) as usize];
                n += 2;
            }
        }
        if ascii {
            while n < 40 {
                line[n] = b' ';
                n += 1;
            }
            line[n] = b' ';
            line[n + 1] = b' ';
            n += 2;
            for &b in chunk {
                // tcpdump's ND_ASCII_ISGRAPH: '!' to '~'; a space shows as '.'.
                line[n] = if b.is_ascii_graphic() { b } else { b'.' };
                n += 1;
            }
        }
        line[n] = b'\n';
        out.write_all(&line[..n + 1])?;
    }
    Ok(())
}

/// Writes `bytes` as tcpdump's `-A` does (print-ascii.c `ascii_print`): printable characters,
/// tab, space and newline as they are, others as `.`; a carriage return vanishes before a
/// newline or at the end. Nothing at all for an empty packet.
pub fn text(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut s = Vec::with_capacity(bytes.len() + 1);
    for (i, &b) in bytes.iter().enumerate() {
        let left = bytes.len() - i - 1;
        if b == b'\r' {
            if left > 1 && bytes[i + 1] != b'\n' {
                s.push(b'.');
            }
        } else if b.is_ascii_graphic() || matches!(b, b'\t' | b' ' | b'\n') {
            s.push(b);
        } else {
            s.push(b'.');
        }
    }
    s.push(b'\n');
    out.write_all(&s)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn s(bytes: &[u8], ascii: bool) -> String {
        let mut v = Vec::new();
        dump(&mut v, bytes, ascii).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn tcpdump_layout() {
        let b: Vec<u8> = (0x40u8..0x40 + 19).collect();
        assert_eq!(
            s(&b, false),
            "\t0x0000:  4041 4243 4445 4647 4849 4a4b 4c4d 4e4f\n\t0x0010:  5051 52\n"
        );
        assert_eq!(
            s(&b, true),
            "\t0x0000:  4041 4243 4445 4647 4849 4a4b 4c4d 4e4f  @ABCDEFGHIJKLMNO\n\
             \t0x0010:  5051 52                                  PQR\n"
        );
        assert_eq!(
            s(b"a b", true),
            "\t0x0000:  6120 62                                  a.b\n"
        );
        assert_eq!(s(&[], true), "");
    }
}
