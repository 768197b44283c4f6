//! Tunnel headers read from a packet's payload: GRE (RFC 2784, RFC 2890, RFC 1701 for routing),
//! VXLAN (RFC 7348) and OTV (draft-hasmit-otv), VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe), Geneve
//! (RFC 8926) and NSH (RFC 8300). Each reader returns a `Copy` summary of the fields and the
//! inner bytes, or says where the capture ended; the inner bytes are then decoded as a frame of
//! their own with [`super::decode`]. Nothing here allocates.

use super::{be16, be32};

/// UDP ports of the tunnels tcpdump recognises by port.
pub mod port {
    pub const VXLAN: u16 = 4789;
    /// Overlay Transport Virtualization (draft-hasmit-otv), whose header is VXLAN's with the
    /// reserved bytes holding an overlay id; also the port Linux once used for VXLAN.
    pub const OTV: u16 = 8472;
    pub const VXLAN_GPE: u16 = 4790;
    /// Geneve is recognised by destination port only (print-udp.c).
    pub const GENEVE: u16 = 6081;
}

/// Ethertypes a tunnel may carry besides IPv4 and IPv6.
pub mod ethertype {
    /// Transparent Ethernet Bridging: a whole Ethernet frame.
    pub const TEB: u16 = 0x6558;
    pub const NSH: u16 = 0x894f;
}

/// GRE header flags (RFC 2784 §2, RFC 2890 §2, RFC 1701 for routing).
mod gre_bits {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQUENCE: u16 = 0x1000;
    pub const VERSION_MASK: u16 = 0x0007;
    pub const BASE_LEN: usize = 4;
}

/// A GRE header, read as far as it was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gre<'a> {
    pub version: u16,
    /// The protocol type (an ethertype); `None` when the capture ends before it.
    pub protocol: Option<u16>,
    /// The routing offset, present with the checksum or routing bit (the checksum itself is
    /// not kept).
    pub routing_offset: Option<u16>,
    pub key: Option<u32>,
    pub seq: Option<u32>,
    /// The capture ends inside the optional fields, after those given above.
    pub cut: bool,
    /// Source routing entries follow (RFC 1701); they are not read.
    pub routing: bool,
    /// The bytes after the header.
    pub inner: &'a [u8],
}

/// Reads a GRE header; `None` when not even the flags word was captured.
pub fn gre(b: &[u8]) -> Option<Gre<'_>> {
    use gre_bits::*;
    let flags = be16(b.get(..2)?);
    let mut g = Gre {
        version: flags & VERSION_MASK,
        protocol: None,
        routing_offset: None,
        key: None,
        seq: None,
        cut: false,
        routing: flags & ROUTING != 0,
        inner: &[],
    };
    if g.version != 0 || b.len() < BASE_LEN {
        return Some(g);
    }
    g.protocol = Some(be16(&b[2..]));
    let mut o = BASE_LEN;
    if flags & (CHECKSUM | ROUTING) != 0 {
        let Some(off) = b.get(o + 2..o + 4) else {
            g.cut = true;
            return Some(g);
        };
        g.routing_offset = Some(be16(off));
        o += 4;
    }
    // The key, then the sequence number, each 4 bytes when its bit is set.
    let mut word = |bit: u16| -> Result<Option<u32>, ()> {
        if flags & bit == 0 {
            return Ok(None);
        }
        let v = b.get(o..o + 4).ok_or(())?;
        o += 4;
        Ok(Some(be32(v)))
    };
    let (Ok(key), seq) = (word(KEY), word(SEQUENCE)) else {
        g.cut = true;
        return Some(g);
    };
    g.key = key;
    let Ok(seq) = seq else {
        g.cut = true;
        return Some(g);
    };
    g.seq = seq;
    g.inner = b.get(o..).unwrap_or(&[]);
    Some(g)
}

/// VXLAN and VXLAN-GPE headers (RFC 7348 §5, draft-ietf-nvo3-vxlan-gpe §3.1).
pub mod vxlan_bits {
    pub const LEN: usize = 8;
    /// The VNI is valid.
    pub const FLAG_I: u8 = 0x08;
    /// VXLAN-GPE: the next-protocol field is valid.
    pub const FLAG_P: u8 = 0x04;
    /// VXLAN-GPE: an OAM packet.
    pub const FLAG_O: u8 = 0x01;
    pub const NP_IPV4: u8 = 1;
    pub const NP_IPV6: u8 = 2;
    pub const NP_ETHERNET: u8 = 3;
    pub const NP_NSH: u8 = 4;
}

/// A VXLAN, OTV or VXLAN-GPE header (the same 8 bytes, read differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vxlan<'a> {
    /// The flags byte.
    pub flags: u8,
    /// OTV: the overlay id in the low 24 bits of the first word.
    pub overlay: u32,
    /// VXLAN-GPE: the next protocol (byte 3).
    pub next_protocol: u8,
    /// The 24-bit VNI (OTV's instance).
    pub vni: u32,
    pub inner: &'a [u8],
}

/// Reads a VXLAN-style header; `None` when fewer than 8 bytes were captured.
pub fn vxlan(b: &[u8]) -> Option<Vxlan<'_>> {
    let h = b.get(..vxlan_bits::LEN)?;
    Some(Vxlan {
        flags: h[0],
        overlay: be32(h) & 0x00ff_ffff,
        next_protocol: h[3],
        vni: be32(&h[4..]) >> 8,
        inner: &b[vxlan_bits::LEN..],
    })
}

/// Geneve header (RFC 8926 §3.4).
pub mod geneve_bits {
    pub const LEN: usize = 8;
    pub const VERSION_SHIFT: u8 = 6;
    pub const OPTIONS_LEN_MASK: u8 = 0x3f;
    /// Control packet (OAM).
    pub const FLAG_O: u8 = 0x80;
    /// Critical options present.
    pub const FLAG_C: u8 = 0x40;
}

/// What follows a Geneve header's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneveBody<'a> {
    /// The inner packet.
    Inner(&'a [u8]),
    /// The datagram on the wire is this many bytes shorter than the header and its options.
    Missing(usize),
    /// The capture ends inside the options.
    Cut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geneve<'a> {
    pub version: u8,
    pub flags: u8,
    pub protocol: u16,
    pub vni: u32,
    pub reserved: u8,
    /// Bytes of options.
    pub options_len: usize,
    pub body: GeneveBody<'a>,
}

/// Reads a Geneve header from a UDP payload of `wire_len` bytes on the wire; `None` when fewer
/// than 8 bytes were captured.
pub fn geneve(b: &[u8], wire_len: u32) -> Option<Geneve<'_>> {
    use geneve_bits::*;
    let h = b.get(..LEN)?;
    let options_len = (h[0] & OPTIONS_LEN_MASK) as usize * 4;
    let wire = wire_len as usize;
    let body = if wire < LEN + options_len {
        GeneveBody::Missing(LEN + options_len - wire)
    } else {
        b.get(LEN + options_len..)
            .map_or(GeneveBody::Cut, GeneveBody::Inner)
    };
    Some(Geneve {
        version: h[0] >> VERSION_SHIFT,
        flags: h[1],
        protocol: be16(&h[2..]),
        vni: be32(&h[4..]) >> 8,
        reserved: h[7],
        options_len,
        body,
    })
}

/// NSH base header (RFC 8300 §2.2) and next-protocol values.
pub mod nsh_bits {
    pub const BASE_LEN: usize = 8;
    pub const WORD: usize = 4;
    pub const FLAG_O: u8 = 0x2;
    pub const NP_IPV4: u8 = 1;
    pub const NP_IPV6: u8 = 2;
    pub const NP_ETHERNET: u8 = 3;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nsh<'a> {
    pub version: u8,
    /// The two flag bits after the version (O is 0x2).
    pub flags: u8,
    /// Header length in 4-byte words.
    pub words: usize,
    pub next_protocol: u8,
    pub service_path_id: u32,
    pub service_index: u8,
    /// The bytes after the header; `None` when the capture ends inside it.
    pub inner: Option<&'a [u8]>,
}

/// Reads an NSH header; `None` when fewer than 8 bytes were captured.
pub fn nsh(b: &[u8]) -> Option<Nsh<'_>> {
    use nsh_bits::*;
    let h = b.get(..BASE_LEN)?;
    let base = be32(h);
    let words = ((base >> 16) & 0x3f) as usize;
    Some(Nsh {
        version: (base >> 30) as u8,
        flags: ((base >> 28) & 0x3) as u8,
        words,
        next_protocol: (base & 0xff) as u8,
        service_path_id: be32(&h[4..]) >> 8,
        service_index: h[7],
        inner: b.get(words * WORD..),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_fields_in_order_and_where_the_capture_ends() {
        // Key and sequence present, IPv4 inside.
        let b = [0x30, 0, 0x08, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0x45];
        let g = gre(&b).expect("gre");
        assert_eq!((g.protocol, g.key, g.seq), (Some(0x0800), Some(7), Some(9)));
        assert_eq!((g.cut, g.inner), (false, &[0x45][..]));
        // Cut inside the key.
        let g = gre(&b[..6]).expect("gre");
        assert_eq!((g.key, g.cut), (None, true));
        assert_eq!(gre(&b[..1]), None);
    }

    #[test]
    fn geneve_missing_and_cut() {
        // One word of options, 8 + 4 needed.
        let b = [1, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 0];
        assert_eq!(geneve(&b, 10).unwrap().body, GeneveBody::Missing(2));
        assert_eq!(geneve(&b, 20).unwrap().body, GeneveBody::Cut);
        assert_eq!(geneve(&b, 20).unwrap().vni, 1);
    }
}
