//! Allocation-free text for the tcpdump line: decimal and hex integers, IPv4 dotted quads and
//! IPv6 addresses in the RFC 5952 form that tcpdump's `addrtostr6` (and `inet_ntop`) print,
//! all appended to a reused byte buffer.

/// "00".."99": two digits per table lookup.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Number of decimal digits of `n`.
#[inline]
fn digits(n: u64) -> usize {
    let mut d = 1;
    let mut p = 10u64;
    while d < 20 && n >= p {
        d += 1;
        p = p.wrapping_mul(10);
    }
    d
}

/// Appends `n` in decimal.
#[inline]
pub fn dec(buf: &mut Vec<u8>, n: u64) {
    if n < 10 {
        buf.push(b'0' + n as u8);
        return;
    }
    let nd = digits(n);
    let start = buf.len();
    buf.reserve(nd);
    let out = &mut buf.spare_capacity_mut()[..nd];
    let mut i = nd;
    let mut n = n;
    while n >= 100 {
        let r = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        out[i].write(PAIRS[r]);
        out[i + 1].write(PAIRS[r + 1]);
    }
    if n >= 10 {
        let r = n as usize * 2;
        out[i - 2].write(PAIRS[r]);
        out[i - 1].write(PAIRS[r + 1]);
    } else {
        out[i - 1].write(b'0' + n as u8);
    }
    // SAFETY: the loop above wrote all `nd` bytes after `start`: the pairs fill positions
    // i..nd as i steps down by two, and the last one or two digits fill what is left below i
    // (i is 1 or 2 there because `nd` counts every digit).
    unsafe { buf.set_len(start + nd) };
}

/// Appends `n` in decimal with leading zeros to at least `width` digits (C's `%0Nu`).
#[inline]
pub fn dec_width(buf: &mut Vec<u8>, n: u64, width: usize) {
    for _ in digits(n)..width {
        buf.push(b'0');
    }
    dec(buf, n);
}

/// Appends a few bytes one by one: for short, variable lengths this beats `extend_from_slice`,
/// which calls `memcpy`.
#[inline]
pub fn push_short(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.reserve(bytes.len());
    for &b in bytes {
        buf.push(b);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `n` in lower-case hex without leading zeros (C's `%x`).
pub fn hex(buf: &mut Vec<u8>, n: u64) {
    let mut tmp = [0u8; 16];
    let mut i = tmp.len();
    let mut n = n;
    loop {
        i -= 1;
        tmp[i] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    push_short(buf, &tmp[i..]);
}

/// Appends each byte as two lower-case hex digits (C's `%02x` in a loop).
pub fn hex_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        buf.push(HEX[(b >> 4) as usize]);
        buf.push(HEX[(b & 0xf) as usize]);
    }
}

/// Appends `n` as at least `width` hex digits (C's `%0Nx`).
pub fn hex_width(buf: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = 1;
    while digits < 16 && (n >> (4 * digits)) != 0 {
        digits += 1;
    }
    for _ in digits..width {
        buf.push(b'0');
    }
    hex(buf, n);
}

/// Each octet 0..=255 as text: length, then up to three digits.
const OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, te, o) = ((i / 100) as u8, ((i / 10) % 10) as u8, (i % 10) as u8);
        t[i] = if i >= 100 {
            [3, b'0' + h, b'0' + te, b'0' + o]
        } else if i >= 10 {
            [2, b'0' + te, b'0' + o, 0]
        } else {
            [1, b'0' + o, 0, 0]
        };
        i += 1;
    }
    t
};

/// Appends an IPv4 address as a dotted quad.
#[inline]
pub fn ipv4(buf: &mut Vec<u8>, a: [u8; 4]) {
    buf.reserve(15);
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            buf.push(b'.');
        }
        let t = &OCTETS[*b as usize];
        for d in &t[1..=t[0] as usize] {
            buf.push(*d);
        }
    }
}

/// Appends an IPv6 address: the first longest run of two or more zero groups becomes `::`,
/// groups in lower-case hex without leading zeros, and `::a.b.c.d` / `::ffff:a.b.c.d` for
/// IPv4-compatible and IPv4-mapped addresses (RFC 5952 §4 and §5, as `addrtostr6` prints).
pub fn ipv6(buf: &mut Vec<u8>, a: [u8; 16]) {
    let mut words = [0u16; 8];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // The first longest run of zero words, if at least two long.
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let (mut cur_base, mut cur_len) = (usize::MAX, 0usize);
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            if cur_base == usize::MAX {
                cur_base = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur_base != usize::MAX {
            if best_base == usize::MAX || cur_len > best_len {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = usize::MAX;
        }
    }
    if cur_base != usize::MAX && (best_base == usize::MAX || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if best_base != usize::MAX && best_len < 2 {
        best_base = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if best_base != usize::MAX && i >= best_base && i < best_base + best_len {
            if i == best_base {
                buf.push(b':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            buf.push(b':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            ipv4(buf, [a[12], a[13], a[14], a[15]]);
            return;
        }
        hex(buf, words[i] as u64);
        i += 1;
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        buf.push(b':');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    fn v6(t: &str) -> String {
        let a: std::net::Ipv6Addr = t.parse().unwrap();
        s(|b| ipv6(b, a.octets()))
    }

    #[test]
    fn integers() {
        assert_eq!(s(|b| dec(b, 0)), "0");
        assert_eq!(s(|b| dec(b, u64::MAX)), "18446744073709551615");
        let mut n = 1u64;
        while n < u64::MAX / 3 {
            for m in [n - 1, n, n + 1, n * 2 + 7] {
                assert_eq!(s(|b| dec(b, m)), m.to_string());
            }
            n *= 3;
        }
        assert_eq!(s(|b| dec_width(b, 42, 6)), "000042");
        assert_eq!(s(|b| dec_width(b, 1234567, 6)), "1234567");
        assert_eq!(s(|b| hex(b, 0)), "0");
        assert_eq!(s(|b| hex(b, 0x9b59be3d695e66a7)), "9b59be3d695e66a7");
        assert_eq!(s(|b| hex_width(b, 0x309, 6)), "000309");
        assert_eq!(s(|b| hex_bytes(b, &[0, 0xab, 9])), "00ab09");
        assert_eq!(s(|b| ipv4(b, [10, 0, 255, 1])), "10.0.255.1");
        for o in 0..=255u8 {
            assert_eq!(s(|b| ipv4(b, [o, 9, 99, o])), format!("{o}.9.99.{o}"));
        }
    }

    #[test]
    fn ipv6_like_addrtostr6() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("fe80::1"), "fe80::1");
        assert_eq!(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
        assert_eq!(v6("1:0:0:0:0:0:0:0"), "1::");
        assert_eq!(v6("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
        assert_eq!(v6("::192.0.2.1"), "::192.0.2.1");
        assert_eq!(v6("::0.0.0.2"), "::2");
        assert_eq!(
            v6("3030:3030:3030:3030:3030:3030:3030:3030"),
            "3030:3030:3030:3030:3030:3030:3030:3030"
        );
    }
}
