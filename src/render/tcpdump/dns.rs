//! DNS as tcpdump 4.99 prints it (print-domain.c `domain_print`): the id and flag marks, the
//! questions of a query, the answer records of a response, and the message length; record
//! names from `-v` on, every section and EDNS options at `-vv`, record TTLs at `-vvv`;
//! with tcpdump's own reactions to cut or malformed messages (`<BAD PTR>`, ` [|domain]`).
//!
//! The bytes are walked by [`crate::decode::dns`] (names part by part, record fields, EDNS
//! options); this module only formats what it hands over. A read past the captured bytes where
//! tcpdump's `GET_` macros would jump out ([`dns::Cut`]) ends the line with ` [|domain]`.

use crate::decode::dns::{
    self, A6, Cut, HEADER_LEN, NamePart, OptionData, eopt, flag, rtype, skip_name,
};
use crate::render::fmt::{push_hex, push_hex_byte, push_hex_bytes, push_ipv4, push_ipv6, push_u64};

/// tcpdump's longjmp out of a printer: the caller appends ` [|domain]`.
type R<T> = Result<T, Cut>;

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
        let prefix = dns::tcp_length_prefix(b).ok_or(Cut)?;
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
    let h = dns::Header::parse(b).ok_or(Cut)?;
    let rcode = dns::extended_rcode(b, &h);
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
                cp = p.question(line, cp)?.ok_or(Cut)?;
            } else {
                cp = skip_name(b, cp).ok_or(Cut)? + 4;
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
            return Err(Cut);
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
            cp = p.question(line, cp)?.ok_or(Cut)?;
            qd -= 1;
            while cp < b.len() && qd > 0 {
                cp = p.question(line, cp)?.ok_or(Cut)?;
                qd -= 1;
            }
        }
        if qd > 0 {
            return Err(Cut);
        }
        // print-domain.c prints a query's other sections at -vv too.
        if vflag > 1 {
            cp = p.section(line, cp, &mut an, b"")?;
            if an > 0 {
                return Err(Cut);
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
        cp = self.rr(line, cp)?.ok_or(Cut)?;
        *left -= 1;
        while cp < self.b.len() && *left > 0 {
            line.push(b',');
            cp = self.rr(line, cp)?.ok_or(Cut)?;
            *left -= 1;
        }
        Ok(cp)
    }

    /// The authority and additional sections (`-vv`).
    fn other_sections(&self, line: &mut Vec<u8>, cp: usize, mut ns: u16, mut ar: u16) -> R<()> {
        let cp = self.section(line, cp, &mut ns, b" ns:")?;
        if ns > 0 {
            return Err(Cut);
        }
        self.section(line, cp, &mut ar, b" ar:")?;
        if ar > 0 {
            return Err(Cut);
        }
        Ok(())
    }

    /// tcpdump's `fqdn_print`: prints the name at `cp`, returns the offset after it in place.
    fn name(&self, line: &mut Vec<u8>, cp: usize) -> R<Option<usize>> {
        self.name_from(line, cp, 0)
    }

    /// [`Self::name`] with compression pointers counted from `base` (print-domain.c's `bp`).
    fn name_from(&self, line: &mut Vec<u8>, cp: usize, base: usize) -> R<Option<usize>> {
        dns::walk_name(self.b, cp, base, &mut |part| name_part(line, part))
    }

    /// tcpdump's `ns_qprint`: ` TYPE[ CLASS][ (QU|QM)]? NAME`.
    fn question(&self, line: &mut Vec<u8>, np: usize) -> R<Option<usize>> {
        let Some((t, c)) = skip_name(self.b, np).and_then(|cp| dns::question_fields(self.b, cp))
        else {
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

    /// tcpdump's `ns_rprint`: `[ NAME] TYPE[ [TTL]] DATA` for a resource record.
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
        let Some(h) = cp.and_then(|cp| dns::RecordHead::parse(b, cp)) else {
            return Ok(Some(end));
        };
        let (typ, i) = (h.rtype, h.class);
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
            push_relts(line, h.ttl);
            line.push(b']');
        }
        let (mut cp, len, rp) = (h.rdata, h.rdlen as usize, h.end());
        line.push(b' ');
        dns::push_type(line, typ);
        if rp > end {
            return Ok(None);
        }
        match typ {
            rtype::A => {
                let Some(a) = dns::ipv4_at(b, cp) else {
                    return Ok(None);
                };
                line.push(b' ');
                push_ipv4(line, a);
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
                push_u64(line, dns::rdata_u16(b, cp)? as u64);
            }
            rtype::TXT => {
                while cp < rp {
                    line.extend_from_slice(b" \"");
                    let Some((text, next)) = dns::character_string(b, cp) else {
                        return Ok(None);
                    };
                    if printn(line, text, next - cp - 1) {
                        return Ok(None);
                    }
                    cp = next;
                    line.push(b'"');
                }
            }
            rtype::SRV => {
                line.push(b' ');
                if cp + 6 > end || self.name(line, cp + 6)?.is_none() {
                    return Ok(None);
                }
                // RFC 2782: priority, weight, port, then the target; printed target:port
                // priority weight.
                line.push(b':');
                push_u64(line, dns::rdata_u16(b, cp + 4)? as u64);
                line.push(b' ');
                push_u64(line, dns::rdata_u16(b, cp)? as u64);
                line.push(b' ');
                push_u64(line, dns::rdata_u16(b, cp + 2)? as u64);
            }
            rtype::AAAA => {
                let Some(a) = dns::ipv6_at(b, cp) else {
                    return Ok(None);
                };
                line.push(b' ');
                push_ipv6(line, &a);
            }
            rtype::A6 => match dns::a6(b, cp)? {
                None => return Ok(None),
                Some(A6::BadPlen(plen)) => {
                    line.push(b' ');
                    push_u64(line, plen as u64);
                    line.extend_from_slice(b"(bad plen)");
                }
                Some(A6::Prefix {
                    plen,
                    suffix,
                    name_at,
                }) => {
                    if let Some(a) = suffix {
                        line.push(b' ');
                        push_u64(line, plen as u64);
                        line.push(b' ');
                        push_ipv6(line, &a);
                    }
                    if let Some(at) = name_at {
                        line.push(b' ');
                        if self.name(line, at)?.is_none() {
                            return Ok(None);
                        }
                    }
                }
            },
            rtype::URI => {
                if cp + len > end {
                    return Ok(None);
                }
                // RFC 7553 §4.5: priority, weight, target.
                line.push(b' ');
                push_u64(line, dns::rdata_u16(b, cp)? as u64);
                line.push(b' ');
                push_u64(line, dns::rdata_u16(b, cp + 2)? as u64);
                line.push(b' ');
                let from = (cp + 4).min(end);
                if printn(line, &b[from..], len.wrapping_sub(4)) {
                    return Ok(None);
                }
            }
            rtype::OPT => {
                line.extend_from_slice(b" UDPsize=");
                push_u64(line, class as u64);
                if h.opt_flags() & 0x8000 != 0 {
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
                    push_u64(line, dns::rdata_u32(b, cp + 4 * i)? as u64);
                }
            }
            rtype::TSIG if cp + len > end => return Ok(None),
            rtype::TSIG if self.vflag > 0 => {
                line.push(b' ');
                let Some(cp) = self.name(line, cp)? else {
                    return Ok(None);
                };
                let tags = [
                    &b" fudge="[..],
                    b" maclen=",
                    b" origid=",
                    b" error=",
                    b" otherlen=",
                ];
                for (tag, v) in tags.iter().zip(dns::tsig_numbers(b, cp)) {
                    line.extend_from_slice(tag);
                    push_u64(line, v? as u64);
                }
            }
            rtype::UNSPECA if cp + len > end || printn(line, &b[cp.min(end)..], len) => {
                return Ok(None);
            }
            _ => {}
        }
        Ok(Some(rp))
    }

    /// An EDNS option (RFC 6891 §6.1.2) as print-domain.c's `eopt_print`: its name and its
    /// data as tcpdump shows each option (hex for the ones it knows no better).
    fn edns_option(&self, line: &mut Vec<u8>, cp: usize) -> R<Option<usize>> {
        let Some((opt, data)) = dns::edns_option(self.b, cp) else {
            return Ok(None);
        };
        match edns_option_name(opt) {
            Some(n) => line.extend_from_slice(n.as_bytes()),
            None => {
                line.extend_from_slice(b"Opt");
                push_u64(line, opt as u64);
            }
        }
        let (data, next) = match data {
            OptionData::NoLength => return Ok(None),
            OptionData::Cut => return Err(Cut),
            OptionData::Data { data, next } => (data, next),
        };
        if data.is_empty() {
            return Ok(Some(next));
        }
        line.push(b' ');
        match opt {
            eopt::PADDING => {
                line.push(b'(');
                push_u64(line, data.len() as u64);
                line.push(b')');
            }
            eopt::EXPIRE => match dns::option_u32(data) {
                Some(secs) => {
                    push_u64(line, secs as u64);
                    line.extend_from_slice(b" sec");
                }
                None => line.extend_from_slice(INVALID),
            },
            // Client and server cookie, a space between.
            eopt::COOKIE => match dns::cookie(data) {
                Some((client, server)) => {
                    push_hex_bytes(line, client);
                    if !server.is_empty() {
                        line.push(b' ');
                        push_hex_bytes(line, server);
                    }
                }
                None => line.extend_from_slice(INVALID),
            },
            eopt::ECS => match dns::Ecs::parse(data) {
                Some(e) if e.v6 => ecs(line, |l| push_ipv6(l, &e.addr), &e),
                Some(e) => ecs(
                    line,
                    |l| push_ipv4(l, [e.addr[0], e.addr[1], e.addr[2], e.addr[3]]),
                    &e,
                ),
                None => line.extend_from_slice(INVALID),
            },
            // Units of 100 ms, printed as `%0.1f sec`.
            eopt::KEEPALIVE => match dns::option_u16(data) {
                Some(v) => {
                    push_u64(line, (v / 10) as u64);
                    line.push(b'.');
                    push_u64(line, (v % 10) as u64);
                    line.extend_from_slice(b" sec");
                }
                None => line.extend_from_slice(INVALID),
            },
            eopt::KEY_TAG => match dns::key_tags(data) {
                Some(tags) => {
                    for (i, t) in tags.enumerate() {
                        if i > 0 {
                            line.push(b' ');
                        }
                        push_u64(line, t as u64);
                    }
                }
                None => line.extend_from_slice(INVALID),
            },
            eopt::DAU | eopt::DHU | eopt::N3U => {
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
            // print-domain.c passes the option's end as the message start, so a pointer in
            // the name points past it.
            eopt::CHAIN => {
                let _ = self.name_from(line, next - data.len(), next)?;
            }
            _ => push_hex_bytes(line, data),
        }
        Ok(Some(next))
    }
}

/// netdissect.c's `nd_print_invalid`, after the option's space.
const INVALID: &[u8] = b" (invalid)";

/// ECS as `ADDRESS/SOURCE/SCOPE`.
fn ecs(line: &mut Vec<u8>, addr: impl FnOnce(&mut Vec<u8>), e: &dns::Ecs) {
    addr(line);
    line.push(b'/');
    push_u64(line, e.source as u64);
    line.push(b'/');
    push_u64(line, e.scope as u64);
}

/// Formats one part of a name as `fqdn_print` prints it.
fn name_part(line: &mut Vec<u8>, part: NamePart<'_>) {
    match part {
        NamePart::Text(t) => {
            printn(line, t, t.len());
        }
        NamePart::Dot => line.push(b'.'),
        NamePart::BitStart => line.extend_from_slice(b"\\[x"),
        NamePart::BitByte(x) => push_hex_byte(line, x),
        NamePart::BitNibble(x) => push_hex(line, x as u64),
        NamePart::BitEnd(bits) => {
            line.push(b'/');
            push_u64(line, bits as u64);
            line.push(b']');
        }
        NamePart::BadPtr => line.extend_from_slice(b"<BAD PTR>"),
        NamePart::Elt(elt) => {
            line.extend_from_slice(b"<ELT ");
            push_u64(line, elt as u64);
            line.push(b'>');
        }
        NamePart::BadLabelType => line.extend_from_slice(b"<BAD LABEL TYPE>"),
        NamePart::TooLong => line.extend_from_slice(b"<DOMAIN NAME TOO LONG>"),
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

/// tcpdump's `nd_printn`: up to `n` bytes of `b` (the bytes captured from where the text
/// starts), each as `fn_print_char` shows it (`M-` for the high bit, `^` for control
/// characters); true when the capture ended first.
pub(super) fn printn(line: &mut Vec<u8>, b: &[u8], n: usize) -> bool {
    let take = n.min(b.len());
    for &c in &b[..take] {
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
