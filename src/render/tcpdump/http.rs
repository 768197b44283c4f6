//! HTTP as tcpdump 4.99 prints it without `-v` (print-http.c, util-print.c `txtproto_print`):
//! `: HTTP: <first line>` when the segment starts with a request method or has a 3-digit status
//! code as its second token, `: HTTP` alone otherwise, and ` [|http]` after a first line that
//! does not end within the segment.

/// print-http.c's `httpcmds`, compared without regard to case.
const METHODS: [&[u8]; 38] = [
    b"GET",
    b"PUT",
    b"COPY",
    b"HEAD",
    b"LOCK",
    b"MOVE",
    b"POLL",
    b"POST",
    b"BCOPY",
    b"BMOVE",
    b"MKCOL",
    b"TRACE",
    b"LABEL",
    b"MERGE",
    b"DELETE",
    b"SEARCH",
    b"UNLOCK",
    b"REPORT",
    b"UPDATE",
    b"NOTIFY",
    b"BDELETE",
    b"CONNECT",
    b"OPTIONS",
    b"CHECKIN",
    b"PROPFIND",
    b"CHECKOUT",
    b"CCM_POST",
    b"SUBSCRIBE",
    b"BPROPFIND",
    b"PROPPATCH",
    b"BPROPPATCH",
    b"UNCHECKOUT",
    b"MKACTIVITY",
    b"MKWORKSPACE",
    b"UNSUBSCRIBE",
    b"RPC_CONNECT",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
];

/// tcpdump's MAX_TOKEN.
const MAX_TOKEN: usize = 128;

/// `b` is the captured payload, `len` its length on the wire.
pub fn http(line: &mut Vec<u8>, b: &[u8], len: usize) {
    line.extend_from_slice(b": HTTP");
    let mut print_this = false;
    let (idx, tok) = fetch_token(b, 0, len);
    if idx != 0 {
        if METHODS.iter().any(|m| m.eq_ignore_ascii_case(tok)) {
            print_this = true;
        }
        // The status code is the second token of a response line.
        let (idx, tok) = fetch_token(b, idx, len);
        if idx != 0 && tok.len() == 3 && tok.iter().all(u8::is_ascii_digit) {
            print_this = true;
        }
    }
    if print_this {
        first_line(line, b, len);
    }
}

/// The token at `idx` and the index after the blanks that follow it (0: no token).
fn fetch_token(b: &[u8], mut idx: usize, len: usize) -> (usize, &[u8]) {
    let start = idx;
    while idx < len {
        let Some(&c) = b.get(idx) else {
            return (0, &[]);
        };
        if !c.is_ascii() {
            return (0, &[]);
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            break;
        }
        if !(0x20..0x7f).contains(&c) || idx - start + 2 > MAX_TOKEN + 1 {
            return (0, &[]);
        }
        idx += 1;
    }
    if idx == start {
        return (0, &[]);
    }
    let tok = &b[start..idx];
    while idx < len {
        let Some(&c) = b.get(idx) else { break };
        if c == b'\r' || c == b'\n' || !(0x20..0x7f).contains(&c) || (c != b' ' && c != b'\t') {
            break;
        }
        idx += 1;
    }
    (idx, tok)
}

/// util-print.c's `print_txt_line` for the first line: `: LINE` up to CR LF or LF; nothing for
/// binary data; the line and ` [|http]` when it does not end in the segment or the capture.
fn first_line(line: &mut Vec<u8>, b: &[u8], len: usize) {
    let mut idx = 0;
    while idx < len {
        let Some(&c) = b.get(idx) else {
            // tcpdump's GET_U_1 past the capture: the printer gives up.
            line.extend_from_slice(b" [|http]");
            return;
        };
        if c == b'\n' {
            break;
        } else if c == b'\r' {
            if idx + 1 >= len {
                return;
            }
            match b.get(idx + 1) {
                Some(b'\n') => break,
                Some(_) => return,
                None => {
                    line.extend_from_slice(b" [|http]");
                    return;
                }
            }
        } else if !(0x20..0x7f).contains(&c) && c != b'\t' {
            return;
        }
        idx += 1;
    }
    line.extend_from_slice(b": ");
    line.extend_from_slice(&b[..idx]);
    if idx >= len {
        line.extend_from_slice(b" [|http]");
    }
}
