//! DNS as tcpdump 4.99 prints it without `-v` (print-domain.c `domain_print`): the id and flag
//! marks, the questions of a query, the answer records of a response, and the message length,
//! with tcpdump's own reactions to cut or malformed messages (`<BAD PTR>`, ` [|domain]`).
//!
//! Bytes are read only through [`crate::decode::dns`]'s bounded helpers; a read past the
//! captured bytes where tcpdump's `GET_` macros would jump out ends the line with ` [|domain]`.

use crate::decode::dns::{self, HEADER_LEN, be16, be32, flag, label, rtype, skip_name};
use crate::render::fmt::{push_hex, push_ipv4, push_ipv6, push_u64};

/// tcpdump's longjmp out of a printer: the caller appends ` [|domain]`.
struct Trunc;

type R<T> = Result<T, Trunc>;

/// RFC 1035 §2.3.4: 255 octets.
const MAXCDNAME: u32 = 255;

/// mDNS's "unicast response" question bit and "cache flush" record bit (RFC 6762 §5.4, §10.2).
const C_QU: u16 = 0x8000;

/// Prints a DNS message; `b` is the captured payload (from the TCP length prefix, if
/// `over_tcp`), `length` its length on the wire.
/// `vflag` is the number of `-v`: names of records at `-v`, every section at `-vv`, record
/// TTLs at `-vvv`.
pub fn domain(line: &mut Vec<u8>, b: &[u8], length: u32, over_tcp: bool, mdns: bool, vflag: u8) {
    if print(line, b, length, over_tcp, mdns, vflag).is_err() {
        line.extend_from_slice(b" [|domain]");
    }
}

fn print(
    line: &mut Vec<u8>,
    b: &[u8],
    mut length: u32,
    over_tcp: bool,
    mdns: bool,
    vflag: u8,
) -> R<()> {
    let mut b = b;
    if over_tcp {
        // RFC 1035 §4.2.2: a two-byte length before the message.
        if length < 2 {
            line.extend_from_slice(b" [DNS over TCP: length ");
            push_u64(line, length as u64);
            line.extend_from_slice(b" < 2] (invalid)");
            return Ok(());
        }
        length -= 2;
        let prefix = be16(b, 0).ok_or(Trunc)?;
        if prefix as u32 != length {
            line.extend_from_slice(b" [prefix length(");
            push_u64(line, prefix as u64);
            line.extend_from_slice(b") != length(");
            push_u64(line, length as u64);
            line.extend_from_slice(b")] (invalid)");
            return Ok(());
        }
        b = &b[2..];
        line.push(b' ');
    }
    if (length as usize) < HEADER_LEN {
        line.extend_from_slice(b"domain [length ");
        push_u64(line, length as u64);
        line.extend_from_slice(b" < 12] (invalid)");
        return Ok(());
    }
    let h = dns::Header::parse(b).ok_or(Trunc)?;
    let rcode = extended_rcode(b, &h);
    let p = Printer { b, mdns, vflag };
    let (qd, mut an, ns, ar) = (h.qdcount, h.ancount, h.nscount, h.arcount);
    push_u64(line, h.id as u64);
    line.extend_from_slice(dns::OPCODES[h.opcode() as usize].as_bytes());
    if h.is_response() {
        match dns::rcode_name(rcode) {
            "" if rcode != 0 => {
                line.extend_from_slice(b" Resp");
                push_u64(line, (rcode & 0xfff) as u64);
            }
            s => line.extend_from_slice(s.as_bytes()),
        }
        if h.has(flag::AA) {
            line.push(b'*');
        }
        if !h.has(flag::RA) {
            line.push(b'-');
        }
        if h.has(flag::TC) {
            line.push(b'|');
        }
        if h.has(flag::AD) {
            line.push(b'$');
        }
        if qd != 1 {
            bracket(line, qd, b"q]");
        }
        let mut cp = HEADER_LEN;
        for i in 0..qd {
            // print-domain.c separates skipped questions with commas even without -vv.
            if i != 0 {
                line.push(b',');
            }
            if vflag > 1 {
                line.extend_from_slice(b" q:");
                cp = p.question(line, cp)?.ok_or(Trunc)?;
            } else {
                cp = skip_name(b, cp).ok_or(Trunc)? + 4;
            }
        }
        line.push(b' ');
        push_u64(line, an as u64);
        line.push(b'/');
        push_u64(line, ns as u64);
        line.push(b'/');
        push_u64(line, ar as u64);
        cp = p.section(line, cp, &mut an, b"")?;
        if an > 0 {
            return Err(Trunc);
        }
        // print-domain.c prints the authority and additional sections at -vv.
        if vflag > 1 {
            p.other_sections(line, cp, ns, ar)?;
        }
    } else {
        if h.has(flag::RD) {
            line.push(b'+');
        }
        if h.has(flag::CD) {
            line.push(b'%');
        }
        // "Any weirdness?": bits a query should not carry.
        if h.flags & 0x6cf != 0 {
            line.extend_from_slice(b" [b2&3=0x");
            push_hex(line, h.flags as u64);
            line.push(b']');
        }
        // IQUERY (RFC 1035 §6.4, obsolete) carries one answer and no question.
        if h.opcode() == 1 {
            if qd != 0 {
                bracket(line, qd, b"q]");
            }
            if an != 1 {
                bracket(line, an, b"a]");
            }
        } else {
            if an != 0 {
                bracket(line, an, b"a]");
            }
            if qd != 1 {
                bracket(line, qd, b"q]");
            }
        }
        if ns != 0 {
            bracket(line, ns, b"n]");
        }
        if ar != 0 {
            bracket(line, ar, b"au]");
        }
        let mut qd = qd;
        let mut cp = HEADER_LEN;
        if qd > 0 {
            cp = p.question(line, cp)?.ok_or(Trunc)?;
            qd -= 1;
            while cp < b.len() && qd > 0 {
                cp = p.question(line, cp)?.ok_or(Trunc)?;
                qd -= 1;
            }
        }
        if qd > 0 {
            return Err(Trunc);
        }
        // print-domain.c prints a query's other sections at -vv too.
        if vflag > 1 {
            cp = p.section(line, cp, &mut an, b"")?;
            if an > 0 {
                return Err(Trunc);
            }
            p.other_sections(line, cp, ns, ar)?;
        }
    }
    line.extend_from_slice(b" (");
    push_u64(line, length as u64);
    line.push(b')');
    Ok(())
}

fn bracket(line: &mut Vec<u8>, n: u16, tail: &[u8]) {
    line.extend_from_slice(b" [");
    push_u64(line, n as u64);
    line.extend_from_slice(tail);
}

/// The response code with the OPT record's upper eight bits (RFC 6891 §6.1.3), found the way
/// print-domain.c finds it: skipping every record up to the first OPT, as far as captured.
fn extended_rcode(b: &[u8], h: &dns::Header) -> u16 {
    let rcode = h.rcode() as u16;
    let len = b.len();
    let mut cp = HEADER_LEN;
    for _ in 0..h.qdcount {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        cp = c + 4;
        if cp >= len {
            return rcode;
        }
    }
    for _ in 0..(h.ancount as u32 + h.nscount as u32) {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        cp = c + 8;
        let Some(rdlen) = be16(b, cp) else {
            return rcode;
        };
        cp += 2 + rdlen as usize;
        if cp >= len {
            return rcode;
        }
    }
    for _ in 0..h.arcount {
        let Some(c) = skip_name(b, cp) else {
            return rcode;
        };
        let Some(t) = be16(b, c) else {
            return rcode;
        };
        cp = c + 4;
        let Some(&hi) = b.get(cp) else {
            return rcode;
        };
        if t == rtype::OPT {
            return rcode | (hi as u16) << 4;
        }
        cp += 4;
        let Some(rdlen) = be16(b, cp) else {
            return rcode;
        };
        cp += 2 + rdlen as usize;
        if cp >= len {
            return rcode;
        }
    }
    rcode
}

struct Printer<'a> {
    /// The message as captured.
    b: &'a [u8],
    mdns: bool,
    /// The number of `-v`.
    vflag: u8,
}

impl Printer<'_> {
    /// The records of one section, as print-domain.c's loops: `tag` (` ns:`, ` ar:`) before
    /// the first when there is one and bytes are left, commas between; `left` counts down.
    fn section(&self, line: &mut Vec<u8>, mut cp: usize, left: &mut u16, tag: &[u8]) -> R<usize> {
        if *left == 0 || (!tag.is_empty() && cp >= self.b.len()) {
            return Ok(cp);
        }
        line.extend_from_slice(tag);
        cp = self.rr(line, cp)?.ok_or(Trunc)?;
        *left -= 1;
        while cp < self.b.len() && *left > 0 {
            line.push(b',');
            cp = self.rr(line, cp)?.ok_or(Trunc)?;
            *left -= 1;
        }
        Ok(cp)
    }

    /// The authority and additional sections (`-vv`).
    fn other_sections(&self, line: &mut Vec<u8>, cp: usize, mut ns: u16, mut ar: u16) -> R<()> {
        let cp = self.section(line, cp, &mut ns, b" ns:")?;
        if ns > 0 {
            return Err(Trunc);
        }
        self.section(line, cp, &mut ar, b" ar:")?;
        if ar > 0 {
            return Err(Trunc);
        }
        Ok(())
    }

    fn get(&self, i: usize) -> R<u8> {
        self.b.get(i).copied().ok_or(Trunc)
    }

    /// tcpdump's `labellen`: the length of the label at `cp` (a pointer's first byte as is),
    /// printing why when the label type is unusable.
    fn labellen(&self, line: &mut Vec<u8>, cp: usize) -> Option<usize> {
        let i = *self.b.get(cp)?;
        match i & label::MASK {
            label::EXTENDED => {
                let elt = i & !label::MASK;
                if elt != label::BITLABEL {
                    line.extend_from_slice(b"<ELT ");
                    push_u64(line, elt as u64);
                    line.push(b'>');
                    return None;
                }
                let bits = match *self.b.get(cp + 1)? {
                    0 => 256,
                    n => n as usize,
                };
                Some(bits.div_ceil(8) + 1)
            }
            label::RESERVED => {
                line.extend_from_slice(b"<BAD LABEL TYPE>");
                None
            }
            _ => Some(i as usize),
        }
    }

    /// The length byte at `cp` and its label's length, as tcpdump reads each next label.
    fn next_label(&self, line: &mut Vec<u8>, cp: usize) -> Option<(u8, usize)> {
        let i = *self.b.get(cp)?;
        Some((i, self.labellen(line, cp)?))
    }

    /// tcpdump's `fqdn_print`: prints the name at `cp`, returns the offset after it in place.
    fn name(&self, line: &mut Vec<u8>, cp: usize) -> R<Option<usize>> {
        self.name_from(line, cp, 0)
    }

    /// [`Self::name`] with compression pointers counted from `base` (print-domain.c's `bp`).
    fn name_from(&self, line: &mut Vec<u8>, mut cp: usize, base: usize) -> R<Option<usize>> {
        let b = self.b;
        let Some(mut l) = self.labellen(line, cp) else {
            return Ok(None);
        };
        let Some(&first) = b.get(cp) else {
            return Ok(None);
        };
        // `cp - bp` as tcpdump's unsigned `max_offset`: huge when `bp` lies after `cp`.
        let mut max_offset = cp.wrapping_sub(base) as u32 as usize;
        let mut i = first;
        cp += 1;
        let mut compress = false;
        let mut rp = 0usize;
        if i & label::MASK != label::POINTER {
            rp = cp + l;
        }
        if i == 0 {
            line.push(b'.');
            return Ok(Some(rp));
        }
        let mut name_chars = 0u32;
        while i != 0 && cp < b.len() {
            match i & label::MASK {
                label::POINTER => {
                    if !compress {
                        rp = cp + 1;
                        compress = true;
                    }
                    let Some(&lo) = b.get(cp) else {
                        return Ok(None);
                    };
                    let offset = (((i as usize) << 8) | lo as usize) & 0x3fff;
                    // Pointers must go backwards (BIND's rule), which rules out loops.
                    if offset >= max_offset {
                        line.extend_from_slice(b"<BAD PTR>");
                        return Ok(None);
                    }
                    max_offset = offset;
                    cp = base + offset;
                    let Some((next, n)) = self.next_label(line, cp) else {
                        return Ok(None);
                    };
                    (i, l) = (next, n);
                    cp += 1;
                    continue;
                }
                label::EXTENDED => {
                    let elt = i & !label::MASK;
                    if elt != label::BITLABEL {
                        line.extend_from_slice(b"<ELT ");
                        push_u64(line, elt as u64);
                        line.push(b'>');
                        return Ok(None);
                    }
                    self.bitlabel(line, cp)?;
                }
                label::RESERVED => {
                    line.extend_from_slice(b"<BAD LABEL TYPE>");
                    return Ok(None);
                }
                _ => {
                    let l32 = l as u32;
                    if name_chars + l32 <= MAXCDNAME {
                        if printn(line, b, cp, l) {
                            return Ok(None);
                        }
                    } else if name_chars < MAXCDNAME
                        && printn(line, b, cp, (MAXCDNAME - name_chars) as usize)
                    {
                        return Ok(None);
                    }
                    name_chars += l32;
                }
            }
            cp += l;
            if name_chars <= MAXCDNAME {
                line.push(b'.');
            }
            name_chars += 1;
            let Some((next, n)) = self.next_label(line, cp) else {
                return Ok(None);
            };
            (i, l) = (next, n);
            cp += 1;
            if !compress {
                rp += l + 1;
            }
        }
        if name_chars > MAXCDNAME {
            line.extend_from_slice(b"<DOMAIN NAME TOO LONG>");
        }
        Ok(Some(rp))
    }

    /// A binary label (RFC 2673) as `\[xHEX/BITS]`, as print-domain.c's `blabel_print`.
    fn bitlabel(&self, line: &mut Vec<u8>, cp: usize) -> R<()> {
        let bitlen = match self.get(cp)? {
            0 => 256u32,
            n => n as u32,
        };
        let lim = cp + 1 + bitlen.div_ceil(4) as usize;
        line.extend_from_slice(b"\\[x");
        let mut bitp = cp + 1;
        let mut bits = bitlen;
        while bitp < lim && bits > 7 {
            crate::render::fmt::push_hex_byte(line, self.get(bitp)?);
            bits -= 8;
            bitp += 1;
        }
        if bits > 4 {
            let tc = self.get(bitp)?;
            crate::render::fmt::push_hex_byte(line, tc & (0xffu32 << (8 - bits)) as u8);
        } else if bits > 0 {
            let tc = self.get(bitp)?;
            push_hex(line, (((tc >> 4) & 0x0f) & (0x0f << (4 - bits))) as u64);
        }
        line.push(b'/');
        push_u64(line, bitlen as u64);
        line.push(b']');
        Ok(())
    }

    /// tcpdump's `ns_qprint`: ` TYPE[ CLASS][ (QU|QM)]? NAME`.
    fn question(&self, line: &mut Vec<u8>, np: usize) -> R<Option<usize>> {
        let Some(cp) = skip_name(self.b, np) else {
            return Ok(None);
        };
        let (Some(t), Some(c)) = (be16(self.b, cp), be16(self.b, cp + 2)) else {
            return Ok(None);
        };
        line.push(b' ');
        dns::push_type(line, t);
        let class = if self.mdns { c & !C_QU } else { c };
        if class != 1 {
            line.push(b' ');
            push_class(line, class);
        }
        if self.mdns {
            line.extend_from_slice(if c & C_QU != 0 { b" (QU)" } else { b" (QM)" });
        }
        line.extend_from_slice(b"? ");
        Ok(self.name(line, np)?.map(|rp| rp + 4))
    }

    /// tcpdump's `ns_rprint` without -v: ` TYPE DATA` for a resource record.
    fn rr(&self, line: &mut Vec<u8>, cp: usize) -> R<Option<usize>> {
        let b = self.b;
        let end = b.len();
        // The owner name is printed from -v on.
        let cp = if self.vflag > 0 {
            line.push(b' ');
            match self.name(line, cp)? {
                Some(c) => Some(c),
                None => return Ok(None),
            }
        } else {
            skip_name(b, cp)
        };
        let Some(mut cp) = cp else {
            return Ok(Some(end));
        };
        if cp + 10 > end {
            return Ok(Some(end));
        }
        let typ = be16(b, cp).ok_or(Trunc)?;
        let i = be16(b, cp + 2).ok_or(Trunc)?;
        let class = if self.mdns { i & !C_QU } else { i };
        if class != 1 && typ != rtype::OPT {
            line.push(b' ');
            push_class(line, class);
        }
        if self.mdns && i & C_QU != 0 {
            line.extend_from_slice(b" (Cache flush)");
        }
        if typ != rtype::OPT && self.vflag > 2 {
            line.extend_from_slice(b" [");
            push_relts(line, be32(b, cp + 4).ok_or(Trunc)?);
            line.push(b']');
        }
        let opt_flags = be16(b, cp + 6).ok_or(Trunc)?;
        let len = be16(b, cp + 8).ok_or(Trunc)? as usize;
        cp += 10;
        let rp = cp + len;
        line.push(b' ');
        dns::push_type(line, typ);
        if rp > end {
            return Ok(None);
        }
        match typ {
            rtype::A => {
                let Some(a) = b.get(cp..cp + 4) else {
                    return Ok(None);
                };
                line.push(b' ');
                push_ipv4(line, [a[0], a[1], a[2], a[3]]);
            }
            rtype::NS | rtype::CNAME | rtype::PTR | rtype::DNAME => {
                line.push(b' ');
                if self.name(line, cp)?.is_none() {
                    return Ok(None);
                }
            }
            rtype::MX => {
                line.push(b' ');
                if cp + 2 > end || self.name(line, cp + 2)?.is_none() {
                    return Ok(None);
                }
                line.push(b' ');
                push_u64(line, be16(b, cp).ok_or(Trunc)? as u64);
            }
            rtype::TXT => {
                while cp < rp {
                    line.extend_from_slice(b" \"");
                    let Some(&n) = b.get(cp) else {
                        return Ok(None);
                    };
                    if printn(line, b, cp + 1, n as usize) {
                        return Ok(None);
                    }
                    cp += 1 + n as usize;
                    line.push(b'"');
                }
            }
            rtype::SRV => {
                line.push(b' ');
                if cp + 6 > end || self.name(line, cp + 6)?.is_none() {
                    return Ok(None);
                }
                line.push(b':');
                push_u64(line, be16(b, cp + 4).ok_or(Trunc)? as u64);
                line.push(b' ');
                push_u64(line, be16(b, cp).ok_or(Trunc)? as u64);
                line.push(b' ');
                push_u64(line, be16(b, cp + 2).ok_or(Trunc)? as u64);
            }
            rtype::AAAA => {
                let Some(a) = b.get(cp..cp + 16) else {
                    return Ok(None);
                };
                let mut x = [0u8; 16];
                x.copy_from_slice(a);
                line.push(b' ');
                push_ipv6(line, &x);
            }
            rtype::A6 => {
                let Some(&pbit) = b.get(cp) else {
                    return Ok(None);
                };
                let pbyte = (pbit as usize & !7) / 8;
                if pbit > 128 {
                    line.push(b' ');
                    push_u64(line, pbit as u64);
                    line.extend_from_slice(b"(bad plen)");
                } else {
                    if pbit < 128 {
                        let src = b.get(cp + 1..cp + 1 + 16 - pbyte).ok_or(Trunc)?;
                        let mut a = [0u8; 16];
                        a[pbyte..].copy_from_slice(src);
                        line.push(b' ');
                        push_u64(line, pbit as u64);
                        line.push(b' ');
                        push_ipv6(line, &a);
                    }
                    if pbit > 0 {
                        line.push(b' ');
                        if self.name(line, cp + 1 + 16 - pbyte)?.is_none() {
                            return Ok(None);
                        }
                    }
                }
            }
            rtype::URI => {
                if cp + len > end {
                    return Ok(None);
                }
                line.push(b' ');
                push_u64(line, be16(b, cp).ok_or(Trunc)? as u64);
                line.push(b' ');
                push_u64(line, be16(b, cp + 2).ok_or(Trunc)? as u64);
                line.push(b' ');
                if printn(line, b, cp + 4, len.wrapping_sub(4)) {
                    return Ok(None);
                }
            }
            rtype::OPT => {
                line.extend_from_slice(b" UDPsize=");
                push_u64(line, class as u64);
                if opt_flags & 0x8000 != 0 {
                    line.extend_from_slice(b" DO");
                }
                if cp < rp {
                    line.extend_from_slice(b" [");
                    while cp < rp {
                        match self.edns_option(line, cp)? {
                            Some(next) => cp = next,
                            None => return Ok(None),
                        }
                        if cp < rp {
                            line.push(b',');
                        }
                    }
                    line.push(b']');
                }
            }
            rtype::SOA if self.vflag > 0 => {
                for _ in 0..2 {
                    line.push(b' ');
                    match self.name(line, cp)? {
                        Some(c) => cp = c,
                        None => return Ok(None),
                    }
                }
                // MNAME RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13).
                for i in 0..5 {
                    line.push(b' ');
                    push_u64(line, be32(b, cp + 4 * i).ok_or(Trunc)? as u64);
                }
            }
            rtype::TSIG if cp + len > end => return Ok(None),
            rtype::TSIG if self.vflag > 0 => {
                // RFC 8945 §4.2: algorithm name, time signed (6), fudge, MAC size and MAC,
                // original id, error, other length.
                line.push(b' ');
                let Some(mut cp) = self.name(line, cp)? else {
                    return Ok(None);
                };
                cp += 6;
                line.extend_from_slice(b" fudge=");
                push_u64(line, be16(b, cp).ok_or(Trunc)? as u64);
                let maclen = be16(b, cp + 2).ok_or(Trunc)?;
                line.extend_from_slice(b" maclen=");
                push_u64(line, maclen as u64);
                cp += 4 + maclen as usize;
                for (i, tag) in [&b" origid="[..], b" error=", b" otherlen="]
                    .iter()
                    .enumerate()
                {
                    line.extend_from_slice(tag);
                    push_u64(line, be16(b, cp + 2 * i).ok_or(Trunc)? as u64);
                }
            }
            rtype::UNSPECA if cp + len > end || printn(line, b, cp, len) => return Ok(None),
            _ => {}
        }
        Ok(Some(rp))
    }

    /// An EDNS option (RFC 6891 §6.1.2) as print-domain.c's `eopt_print`: its name and, for
    /// the options this view knows no better, the data in hex.
    fn edns_option(&self, line: &mut Vec<u8>, cp: usize) -> R<Option<usize>> {
        let b = self.b;
        let Some(opt) = be16(b, cp) else {
            return Ok(None);
        };
        match edns_option_name(opt) {
            Some(n) => line.extend_from_slice(n.as_bytes()),
            None => {
                line.extend_from_slice(b"Opt");
                push_u64(line, opt as u64);
            }
        }
        let Some(len) = be16(b, cp + 2) else {
            return Ok(None);
        };
        let start = cp + 4;
        let data = b.get(start..start + len as usize).ok_or(Trunc)?;
        if !data.is_empty() {
            line.push(b' ');
            match opt {
                // PADDING: the length only.
                12 => {
                    line.push(b'(');
                    push_u64(line, len as u64);
                    line.push(b')');
                }
                // EXPIRE (RFC 7314).
                9 if data.len() == 4 => {
                    push_u64(line, be32(data, 0).unwrap_or(0) as u64);
                    line.extend_from_slice(b" sec");
                }
                // COOKIE (RFC 7873): client and server parts.
                10 if (data.len() == 8 || (16..=40).contains(&data.len())) => {
                    for (i, x) in data.iter().enumerate() {
                        if i == 8 {
                            line.push(b' ');
                        }
                        crate::render::fmt::push_hex_byte(line, *x);
                    }
                }
                9 | 10 => line.extend_from_slice(b" (invalid)"),
                // ECS (RFC 7871 §6): ADDRESS/SOURCE PREFIX/SCOPE PREFIX.
                8 => ecs(line, data),
                // KEEPALIVE (RFC 7828 §3.1): units of 100 ms, printed as `%0.1f sec`.
                11 if data.len() == 2 => {
                    let v = be16(data, 0).unwrap_or(0);
                    push_u64(line, (v / 10) as u64);
                    line.push(b'.');
                    push_u64(line, (v % 10) as u64);
                    line.extend_from_slice(b" sec");
                }
                // KEY-TAG (RFC 8145 §4.1): a list of 16-bit key tags.
                14 if data.len() % 2 == 0 => {
                    for (i, t) in data.chunks(2).enumerate() {
                        if i > 0 {
                            line.push(b' ');
                        }
                        push_u64(line, u16::from_be_bytes([t[0], t[1]]) as u64);
                    }
                }
                11 | 14 => line.extend_from_slice(b" (invalid)"),
                // DAU, DHU, N3U (RFC 6975 §3): one algorithm number a byte.
                5..=7 => {
                    for (i, &a) in data.iter().enumerate() {
                        if i > 0 {
                            line.push(b' ');
                        }
                        match algorithm_name(opt, a) {
                            Some(n) => line.extend_from_slice(n.as_bytes()),
                            None => {
                                line.extend_from_slice(b"Alg_");
                                push_u64(line, a as u64);
                            }
                        }
                    }
                }
                // CHAIN (RFC 7901 §4): the closest trust point, a name. print-domain.c passes
                // the option's end as the message start, so a pointer in it points past it.
                13 => {
                    let _ = self.name_from(line, start, start + len as usize)?;
                }
                _ => crate::render::fmt::push_hex_bytes(line, data),
            }
        }
        Ok(Some(start + len as usize))
    }
}

/// The algorithm names print-domain.c gives in DAU (DNSSEC algorithms), DHU (DS hash
/// algorithms) and N3U (NSEC3 hash algorithms) options, as tcpdump 4.99.3 prints them.
fn algorithm_name(opt: u16, a: u8) -> Option<&'static str> {
    Some(match (opt, a) {
        (5, 0) => "DELETE",
        (5, 1) => "RSAMD5",
        (5, 2) => "DH",
        (5, 3) => "DS",
        (5, 5) => "RSASHA1",
        (5, 6) => "DSA-NSEC3-SHA1",
        (5, 7) => "RSASHA1-NSEC3-SHA1",
        (5, 8) => "RSASHA256",
        (5, 10) => "RSASHA512",
        (5, 12) => "ECC-GOST",
        (5, 13) => "ECDSAP256SHA256",
        (5, 14) => "ECDSAP384SHA384",
        (5, 15) => "ED25519",
        (5, 16) => "ED448",
        (5, 252) => "INDIRECT",
        (5, 253) => "PRIVATEDNS",
        (5, 254) => "PRIVATEOID",
        (6 | 7, 1) => "SHA-1",
        (6, 2) => "SHA-256",
        (6, 3) => "GOST_R_34.11-94",
        (6, 4) => "SHA-384",
        _ => return None,
    })
}

/// An ECS option's data (RFC 7871 §6) as print-domain.c's `print_eopt_ecs`: family 1 (IPv4)
/// or 2 (IPv6), the prefix lengths within the address size, and exactly the bytes the source
/// prefix needs; anything else is ` (invalid)`.
fn ecs(line: &mut Vec<u8>, data: &[u8]) {
    let (Some(family), Some(&src), Some(&scope)) = (be16(data, 0), data.get(2), data.get(3)) else {
        line.extend_from_slice(b" (invalid)");
        return;
    };
    let bits = match family {
        1 => 32,
        2 => 128,
        _ => 0,
    };
    let addr = &data[4..];
    if bits == 0
        || addr.len() > bits / 8
        || src as usize > bits
        || scope as usize > bits
        || (src as usize).div_ceil(8) != addr.len()
    {
        line.extend_from_slice(b" (invalid)");
        return;
    }
    let mut padded = [0u8; 16];
    padded[..addr.len()].copy_from_slice(addr);
    if bits == 32 {
        push_ipv4(line, [padded[0], padded[1], padded[2], padded[3]]);
    } else {
        push_ipv6(line, &padded);
    }
    line.push(b'/');
    push_u64(line, src as u64);
    line.push(b'/');
    push_u64(line, scope as u64);
}

fn edns_option_name(opt: u16) -> Option<&'static str> {
    Some(match opt {
        1 => "LLQ",
        2 => "UL",
        3 => "NSID",
        5 => "DAU",
        6 => "DHU",
        7 => "N3U",
        8 => "ECS",
        9 => "EXPIRE",
        10 => "COOKIE",
        11 => "KEEPALIVE",
        12 => "PADDING",
        13 => "CHAIN",
        14 => "KEY-TAG",
        16 => "CLIENT-TAG",
        17 => "SERVER-TAG",
        _ => return None,
    })
}

/// netdissect.c's `unsigned_relts_print`: a number of seconds as `1y2w3d4h5m6s`, units that
/// are zero left out, `0s` for zero.
fn push_relts(line: &mut Vec<u8>, mut secs: u32) {
    const UNITS: [(u32, u8); 6] = [
        (31_536_000, b'y'),
        (604_800, b'w'),
        (86_400, b'd'),
        (3_600, b'h'),
        (60, b'm'),
        (1, b's'),
    ];
    if secs == 0 {
        line.extend_from_slice(b"0s");
        return;
    }
    for (unit, c) in UNITS {
        if secs >= unit {
            push_u64(line, (secs / unit) as u64);
            line.push(c);
            secs %= unit;
        }
    }
}

fn push_class(line: &mut Vec<u8>, class: u16) {
    match dns::class_name(class) {
        Some(n) => line.extend_from_slice(n.as_bytes()),
        None => {
            line.extend_from_slice(b"(Class ");
            push_u64(line, class as u64);
            line.push(b')');
        }
    }
}

/// tcpdump's `nd_printn`: up to `n` bytes from `at`, each as `fn_print_char` shows it
/// (`M-` for the high bit, `^` for control characters); true when the capture ended first.
pub(super) fn printn(line: &mut Vec<u8>, b: &[u8], at: usize, n: usize) -> bool {
    let avail = b.len().saturating_sub(at);
    let take = n.min(avail);
    for &c in &b[at.min(b.len())..at.min(b.len()) + take] {
        let mut c = c;
        if !c.is_ascii() {
            c &= 0x7f;
            line.extend_from_slice(b"M-");
        }
        if !(0x20..0x7f).contains(&c) {
            c ^= 0x40;
            line.push(b'^');
        }
        line.push(c);
    }
    take < n
}
