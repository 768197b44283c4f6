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
pub fn domain(line: &mut Vec<u8>, b: &[u8], length: u32, over_tcp: bool, mdns: bool) {
    if print(line, b, length, over_tcp, mdns).is_err() {
        line.extend_from_slice(b" [|domain]");
    }
}

fn print(line: &mut Vec<u8>, b: &[u8], mut length: u32, over_tcp: bool, mdns: bool) -> R<()> {
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
    let p = Printer { b, mdns };
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
            cp = skip_name(b, cp).ok_or(Trunc)? + 4;
        }
        line.push(b' ');
        push_u64(line, an as u64);
        line.push(b'/');
        push_u64(line, ns as u64);
        line.push(b'/');
        push_u64(line, ar as u64);
        if an > 0 {
            cp = p.rr(line, cp)?.ok_or(Trunc)?;
            an -= 1;
            while cp < b.len() && an > 0 {
                line.push(b',');
                cp = p.rr(line, cp)?.ok_or(Trunc)?;
                an -= 1;
            }
        }
        if an > 0 {
            return Err(Trunc);
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
}

impl Printer<'_> {
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
    fn name(&self, line: &mut Vec<u8>, mut cp: usize) -> R<Option<usize>> {
        let b = self.b;
        let Some(mut l) = self.labellen(line, cp) else {
            return Ok(None);
        };
        let Some(&first) = b.get(cp) else {
            return Ok(None);
        };
        let mut max_offset = cp;
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
                    cp = offset;
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
        let Some(mut cp) = skip_name(b, cp) else {
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
            rtype::UNSPECA if cp + len > end || printn(line, b, cp, len) => return Ok(None),
            rtype::TSIG if cp + len > end => return Ok(None),
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
                _ => crate::render::fmt::push_hex_bytes(line, data),
            }
        }
        Ok(Some(start + len as usize))
    }
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
