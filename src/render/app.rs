//! Short notes on the application layer (DNS, HTTP/1.x) shared by the learner, `-v` and JSON
//! views: what a segment or datagram carries, in one line.

use std::io::Write as _;

use crate::decode::dns::{self, rtype};
use crate::decode::http::{self, Kind};
use crate::render::fmt::{push_ipv4, push_ipv6};

/// The one-line note of an application message.
pub fn note(out: &mut Vec<u8>, a: &crate::decode::app::App<'_>) {
    match a {
        crate::decode::app::App::Dns(d) => dns_note(out, d),
        crate::decode::app::App::Http(h) => http_note(out, h),
    }
}

/// `query A example.com.` or `response A example.com.: 93.184.216.34 (1 answer)`, with the
/// response code when it is not NOERROR (RFC 1035 §4.1.1).
pub fn dns_note(out: &mut Vec<u8>, s: &dns::Summary<'_>) {
    let h = &s.header;
    out.extend_from_slice(if h.is_response() {
        b"DNS response"
    } else {
        b"DNS query"
    });
    if let Some((name, t, _)) = s.question {
        out.push(b' ');
        dns::push_type(out, t);
        out.push(b' ');
        name.push(out);
    }
    if !h.is_response() {
        return;
    }
    if h.rcode() != 0 {
        out.push(b' ');
        out.extend_from_slice(dns::rcode_name(h.rcode() as u16).trim_start().as_bytes());
    }
    if let Some((t, data, at)) = s.answer {
        out.extend_from_slice(b": ");
        answer(out, s.msg, t, data, at);
    }
    let n = h.ancount;
    let _ = write!(out, " ({n} answer{})", if n == 1 { "" } else { "s" });
}

/// The first answer's data: an address, or the type and the name it points to, or the type.
pub fn answer(out: &mut Vec<u8>, msg: &[u8], t: u16, data: &[u8], at: usize) {
    match (t, data.len()) {
        (rtype::A, 4) => push_ipv4(out, [data[0], data[1], data[2], data[3]]),
        (rtype::AAAA, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(data);
            push_ipv6(out, &a);
        }
        (rtype::CNAME | rtype::NS | rtype::PTR, _) => {
            dns::push_type(out, t);
            out.push(b' ');
            dns::Name { msg, at }.push(out);
        }
        _ => dns::push_type(out, t),
    }
}

/// `GET /index.html HTTP/1.1` or `HTTP/1.1 200 OK (text/html, 1234 bytes)`: the first line,
/// then what the header section says of the body (RFC 9112 §6.3).
pub fn http_note(out: &mut Vec<u8>, s: &http::Summary<'_>) {
    out.extend_from_slice(s.first_line);
    let mut parts: Vec<String> = Vec::new();
    if let Some(ct) = s.content_type {
        parts.push(String::from_utf8_lossy(ct).into_owned());
    }
    if let Some(n) = s.content_length {
        parts.push(format!("{n} byte{}", if n == 1 { "" } else { "s" }));
    } else if s.chunked {
        parts.push("chunked".to_string());
    }
    let show = match s.kind {
        Kind::Response { .. } => !parts.is_empty(),
        Kind::Request { .. } => s.content_length.unwrap_or(0) > 0 || s.chunked,
    };
    if show {
        let _ = write!(out, " ({})", parts.join(", "));
    }
}
