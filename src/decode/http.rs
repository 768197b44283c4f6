//! HTTP/1.x messages as they start a TCP segment (RFC 9112 §2-§7): the request or status line,
//! the header fields, and the body bytes that follow them, set against Content-Length
//! (RFC 9112 §6.3) or chunked transfer coding (§7.1). One segment is summarised on its own;
//! nothing is reassembled, and nothing is copied out of the segment.

/// The ports tcpdump calls HTTP (print-tcp.c HTTP_PORT, HTTP_PORT_ALT).
pub const PORT: u16 = 80;
pub const PORT_ALT: u16 = 8080;

/// The start of an HTTP/1.x message in a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary<'a> {
    /// The request line or the status line, without its CR LF.
    pub first_line: &'a [u8],
    pub kind: Kind<'a>,
    /// Header fields seen in this segment.
    pub headers: u16,
    /// The blank line ending the header section is in this segment.
    pub headers_complete: bool,
    pub content_length: Option<u64>,
    /// `Transfer-Encoding` ends with `chunked` (RFC 9112 §6.1).
    pub chunked: bool,
    pub content_type: Option<&'a [u8]>,
    /// Body bytes in this segment after the header section.
    pub body_in_segment: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    Request {
        method: &'a [u8],
        target: &'a [u8],
        version: &'a [u8],
    },
    Response {
        version: &'a [u8],
        status: u16,
        reason: &'a [u8],
    },
}

/// Request methods recognised at the start of a segment (RFC 9110 §9.1, plus PATCH from
/// RFC 5789).
const METHODS: [&[u8]; 9] = [
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS", b"TRACE", b"PATCH",
];

/// Reads the message that starts `b`, if it starts with a request or status line.
pub fn parse(b: &[u8]) -> Option<Summary<'_>> {
    // A start line begins with a version (a response) or a method and a space (a request):
    // anything else is rejected before the payload is searched for the end of the line.
    let word = b.iter().take(9).position(|&c| c == b' ')?;
    if !(METHODS.contains(&&b[..word]) || b.starts_with(b"HTTP/1.")) {
        return None;
    }
    let eol = b.iter().position(|&c| c == b'\n')?;
    let first_line = b[..eol].strip_suffix(b"\r").unwrap_or(&b[..eol]);
    let kind = start_line(first_line)?;
    let mut s = Summary {
        first_line,
        kind,
        headers: 0,
        headers_complete: false,
        content_length: None,
        chunked: false,
        content_type: None,
        body_in_segment: 0,
    };
    let mut at = eol + 1;
    while let Some(n) = b[at..].iter().position(|&c| c == b'\n') {
        let raw = &b[at..at + n];
        let field = raw.strip_suffix(b"\r").unwrap_or(raw);
        at += n + 1;
        if field.is_empty() {
            s.headers_complete = true;
            s.body_in_segment = b.len() - at;
            break;
        }
        s.headers = s.headers.saturating_add(1);
        let Some(colon) = field.iter().position(|&c| c == b':') else {
            continue;
        };
        let (name, value) = (&field[..colon], field[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            s.content_length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value
                .rsplit(|&c| c == b',')
                .next()
                .unwrap_or(&[])
                .trim_ascii();
            s.chunked = last.eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"content-type") {
            let main = value
                .split(|&c| c == b';')
                .next()
                .unwrap_or(&[])
                .trim_ascii();
            s.content_type = Some(main);
        }
    }
    Some(s)
}

/// `METHOD SP TARGET SP HTTP/x.y` (RFC 9112 §3) or `HTTP/x.y SP CODE SP REASON` (§4).
fn start_line(l: &[u8]) -> Option<Kind<'_>> {
    let mut parts = l.splitn(3, |&c| c == b' ');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next().unwrap_or(&[]));
    let is_version = |v: &[u8]| v.len() == 8 && v.starts_with(b"HTTP/1.");
    if is_version(a) && b.len() == 3 && b.iter().all(u8::is_ascii_digit) {
        let status = b.iter().fold(0u16, |n, d| n * 10 + (d - b'0') as u16);
        return Some(Kind::Response {
            version: a,
            status,
            reason: c,
        });
    }
    if METHODS.contains(&a) && !b.is_empty() && is_version(c) {
        return Some(Kind::Request {
            method: a,
            target: b,
            version: c,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response() {
        let r = parse(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(r.first_line, b"GET /index.html HTTP/1.1");
        assert_eq!(r.headers, 1);
        assert!(r.headers_complete);
        let s = parse(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello",
        )
        .unwrap();
        assert!(matches!(s.kind, Kind::Response { status: 200, .. }));
        assert_eq!(s.content_length, Some(5));
        assert_eq!(s.content_type, Some(&b"text/html"[..]));
        assert_eq!(s.body_in_segment, 5);
        let c = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n").unwrap();
        assert!(c.chunked && !c.headers_complete);
        assert!(parse(b"hello there\r\n").is_none());
        assert!(parse(b"GET / HTTP/1.1").is_none());
    }
}
