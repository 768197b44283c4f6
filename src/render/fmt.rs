//! Fast text formatting into a reusable byte buffer, for every renderer (tcpdump, JSON, learner,
//! time stamps): integers (C's `%u`, `%0Nu`, `%x`, `%0Nx`), IPv4 and IPv6 addresses (as
//! tcpdump's `addrtostr6` and BIND's `inet_ntop` print them, RFC 5952 compression), MACs, hex.
//!
//! Renderers build a packet's line in a `Vec<u8>` with these and write it with one call:
//! `core::fmt` and many small writes cost more than decoding the packet. No allocation beyond
//! growing the buffer.

use std::net::IpAddr;

/// "00" "01" … "99": two digits per division, as itoa does.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends what `f` writes at the start of `N` bytes of room made at the end of `buf`; `f`
/// returns how many bytes it wrote. The room is made with one fixed-size store and cut back
/// after: cheaper than a `memcpy` call of a few bytes from a stack buffer (whose narrow writes
/// and wide read also stall store forwarding).
#[inline(always)]
fn with_room<const N: usize>(buf: &mut Vec<u8>, f: impl FnOnce(&mut [u8; N]) -> usize) {
    let start = buf.len();
    buf.extend_from_slice(&[0u8; N]);
    let room: &mut [u8; N] = (&mut buf[start..start + N])
        .try_into()
        .expect("exactly N bytes");
    let n = f(room);
    buf.truncate(start + n);
}

/// Writes the decimal digits of `n` at the start of `tmp`; returns how many.
#[inline]
fn digits(tmp: &mut [u8; 20], mut n: u64) -> usize {
    let len = n.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut i = len;
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        tmp[..2].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        tmp[0] = b'0' + n as u8;
    }
    len
}

/// `'0'` in each byte of a word.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n` (below 10^8, zero-padded) as digit values 0-9, one per byte of
/// a little-endian word, the most significant in the lowest byte: split into two halves of four
/// digits, each half into pairs, each pair into digits, every lane at once (a multiply and a
/// shift stand for the divisions by 100 and 10, exact below 10^4 and 10^2). Most numbers on a
/// line (sequence numbers, timestamps, ports, time fractions) take one or two of these and no
/// digit loop.
#[inline(always)]
pub(crate) fn eight_digits(n: u32) -> u64 {
    debug_assert!(n < 100_000_000);
    let x = u64::from(n / 10_000) | u64::from(n % 10_000) << 32;
    let h = ((x * 10486) >> 20) & 0x0000_007f_0000_007f;
    let x = ((x - h * 100) << 16) | h;
    let h = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    ((x - h * 10) << 8) | h
}

/// Appends the decimal digits of `n`.
#[inline]
pub fn push_u64(buf: &mut Vec<u8>, n: u64) {
    match u32::try_from(n) {
        Ok(n) => push_u32(buf, n),
        Err(_) => with_room(buf, |room| digits(room, n)),
    }
}

/// Appends the decimal digits of `n`: one or two words of eight digits stored whole, the
/// leading zeros cut off after (no digit count, no loop; see [`u32_text`]). Always inlined: a
/// call's register saves and constant loads cost as much as the digits.
#[inline(always)]
pub fn push_u32(buf: &mut Vec<u8>, n: u32) {
    let (word, len) = u32_text(n);
    let start = buf.len();
    buf.extend_from_slice(&word.to_le_bytes());
    buf.truncate(start + len);
}

/// The decimal digits of `n` in the low bytes of a little-endian word, and how many there are
/// (1 to 10), for [`push_u32`] and [`Room::put_u32`]: below 10^8 one word of eight digits
/// whose leading zeros (its low zero bytes) are shifted out, the units digit kept even when 0;
/// above, one or two digits (at most 42) then eight.
#[inline(always)]
fn u32_text(n: u32) -> (u128, usize) {
    if n >= 100_000_000 {
        let hi = (n / 100_000_000) as usize;
        let lo = u128::from(eight_digits(n % 100_000_000) | ASCII_ZEROS);
        if hi >= 10 {
            let pair = u16::from_le_bytes([PAIRS[hi * 2], PAIRS[hi * 2 + 1]]);
            (u128::from(pair) | lo << 16, 10)
        } else {
            (u128::from(b'0' + hi as u8) | lo << 8, 9)
        }
    } else {
        let d = eight_digits(n);
        let skip = (d | 1 << 56).trailing_zeros() / 8;
        (
            u128::from((d | ASCII_ZEROS) >> (skip * 8)),
            8 - skip as usize,
        )
    }
}

/// A line built at the start of a fixed array, with the write position in a local (a
/// register), where each append to a `Vec` loads and stores its length and checks its capacity.
/// Every write stores a whole fixed-size piece and then advances by the part that counts, so
/// the array needs room for the longest line plus the widest piece (16 bytes); a write past
/// the end panics (bounds-checked), it never goes unchecked.
pub struct Room<'a, const N: usize> {
    buf: &'a mut [u8; N],
    pos: usize,
}

impl<'a, const N: usize> Room<'a, N> {
    #[inline(always)]
    pub fn new(buf: &'a mut [u8; N]) -> Self {
        Room { buf, pos: 0 }
    }

    /// Appends `bytes`.
    #[inline(always)]
    pub fn put<const K: usize>(&mut self, bytes: &[u8; K]) {
        self.buf[self.pos..self.pos + K].copy_from_slice(bytes);
        self.pos += K;
    }

    /// Appends the first `len` bytes of `bytes` (the whole array is stored).
    #[inline(always)]
    pub fn put_cut<const K: usize>(&mut self, bytes: &[u8; K], len: usize) {
        debug_assert!(len <= K);
        self.buf[self.pos..self.pos + K].copy_from_slice(bytes);
        self.pos += len.min(K);
    }

    /// Appends the decimal digits of `n`, as [`push_u32`].
    #[inline(always)]
    pub fn put_u32(&mut self, n: u32) {
        let (word, len) = u32_text(n);
        self.put_cut(&word.to_le_bytes(), len);
    }

    /// Appends `n` as exactly six digits then a space (`%06u `), for `n` below 10^6.
    #[inline(always)]
    pub fn put_micros_space(&mut self, n: u32) {
        debug_assert!(n < 1_000_000);
        let d = (eight_digits(n) | ASCII_ZEROS) >> 16 | u64::from(b' ') << 48;
        self.put_cut(&d.to_le_bytes(), 7);
    }

    /// Appends `n` as exactly nine digits then a space (`%09u `), for `n` below 10^9.
    #[inline(always)]
    pub fn put_nanos_space(&mut self, n: u32) {
        debug_assert!(n < 1_000_000_000);
        let lo = u128::from(eight_digits(n % 100_000_000) | ASCII_ZEROS);
        let d = u128::from(b'0' + (n / 100_000_000) as u8) | lo << 8 | u128::from(b' ') << 72;
        self.put_cut(&d.to_le_bytes(), 10);
    }

    /// What was written.
    #[inline(always)]
    pub fn text(&self) -> &[u8] {
        &self.buf[..self.pos]
    }
}

/// Appends `n` in decimal with leading zeros to at least `width` digits (C's `%0Nu`); unlike
/// [`push_padded`] it never drops digits.
#[inline(always)]
pub fn push_u64_width(buf: &mut Vec<u8>, n: u64, width: usize) {
    // The fraction of every time stamp (`%06u`, `%09u`): exactly `width` digits, no count,
    // inlined (once per line); other widths and larger numbers take the general way.
    if width == 6 && n < 1_000_000 {
        let d = eight_digits(n as u32) | ASCII_ZEROS;
        buf.extend_from_slice(&(d >> 16).to_le_bytes()[..6]);
    } else if width == 9 && n < 1_000_000_000 {
        buf.push(b'0' + (n / 100_000_000) as u8);
        let d = eight_digits((n % 100_000_000) as u32) | ASCII_ZEROS;
        buf.extend_from_slice(&d.to_le_bytes());
    } else {
        push_zero_padded(buf, n, width);
    }
}

/// [`push_u64_width`] for any width and number.
fn push_zero_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    let len = n.checked_ilog10().unwrap_or(0) as usize + 1;
    for _ in len..width {
        buf.push(b'0');
    }
    push_u64(buf, n);
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

/// Appends `n` with exactly `width` digits, zero-padded (the leading digits are dropped if `n`
/// has more).
#[inline]
pub fn push_padded(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    if width <= 20 {
        return with_room(buf, |room: &mut [u8; 20]| {
            for d in room[..width].iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
            width
        });
    }
    let start = buf.len();
    buf.resize(start + width, b'0');
    for i in (start..start + width).rev() {
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Each byte value's decimal digits then a dot, little-endian in a word, and how many bytes
/// that is (2 to 4): an IPv4 address is four look-ups, no division.
pub(crate) static IPV4_OCTETS: [(u32, u8); 256] = {
    let mut t = [(0, 0); 256];
    let mut o = 0;
    while o < 256 {
        let d = [(o / 100) as u8, (o / 10 % 10) as u8, (o % 10) as u8];
        let skip = if o >= 100 {
            0
        } else if o >= 10 {
            1
        } else {
            2
        };
        let mut text = [0u8; 4];
        let mut i = skip;
        while i < 3 {
            text[i - skip] = b'0' + d[i];
            i += 1;
        }
        text[3 - skip] = b'.';
        t[o] = (u32::from_le_bytes(text), (4 - skip) as u8);
        o += 1;
    }
    t
};

/// Appends `a.b.c.d`: the octets' text from [`IPV4_OCTETS`] gathered in one word and stored
/// whole.
#[inline]
pub fn push_ipv4(buf: &mut Vec<u8>, a: [u8; 4]) {
    let (mut word, mut n) = (0u128, 0);
    for o in a {
        let (text, len) = IPV4_OCTETS[usize::from(o)];
        word |= u128::from(text) << (8 * n);
        n += u32::from(len);
    }
    let start = buf.len();
    buf.extend_from_slice(&word.to_le_bytes());
    // Without the last dot.
    buf.truncate(start + n as usize - 1);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Number of hex digits of `n` without leading zeros (1 for 0).
#[inline]
fn hex_len(n: u64) -> usize {
    ((64 - (n | 1).leading_zeros()).div_ceil(4)) as usize
}

/// Appends `n` in lower-case hex without leading zeros (C's `%x`).
#[inline]
pub fn push_hex(buf: &mut Vec<u8>, n: u64) {
    push_hex_width(buf, n, 0)
}

/// Appends `n` in lower-case hex as at least `width` digits, zero-padded (C's `%0Nx`).
#[inline]
pub fn push_hex_width(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let len = hex_len(n);
    for _ in 16..width {
        buf.push(b'0');
    }
    // Digits past the highest set nibble come out as '0': that is the padding.
    let w = width.clamp(len, 16);
    with_room(buf, |room: &mut [u8; 16]| {
        for d in room[..w].iter_mut().rev() {
            *d = HEX[(n & 0xf) as usize];
            n >>= 4;
        }
        w
    })
}

/// Appends `b` as two lower-case hex digits.
#[inline]
pub fn push_hex_byte(buf: &mut Vec<u8>, b: u8) {
    buf.push(HEX[(b >> 4) as usize]);
    buf.push(HEX[(b & 0xf) as usize]);
}

/// Appends each byte as two lower-case hex digits (C's `%02x` in a loop).
#[inline]
pub fn push_hex_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        push_hex_byte(buf, b);
    }
}

/// Appends an IPv6 address the way inet_ntop does (see [`write_ipv6`]).
pub fn push_ipv6(buf: &mut Vec<u8>, a: &[u8; 16]) {
    with_room(buf, |room| write_ipv6(room, a))
}

/// Appends a signed decimal number.
#[inline]
pub fn push_i64(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_u64(buf, n.unsigned_abs());
}

/// Appends a MAC address as `02:00:5e:10:00:01`.
#[inline]
pub fn push_mac(buf: &mut Vec<u8>, m: [u8; 6]) {
    with_room(buf, |tmp: &mut [u8; 17]| {
        for (i, b) in m.iter().enumerate() {
            tmp[3 * i] = HEX[(b >> 4) as usize];
            tmp[3 * i + 1] = HEX[(b & 0xf) as usize];
            if i < 5 {
                tmp[3 * i + 2] = b':';
            }
        }
        17
    });
}

/// Appends an IPv6 address exactly as Rust's `Ipv6Addr` `Display` writes it (see
/// [`write_ipv6_std`]).
pub fn push_ipv6_std(buf: &mut Vec<u8>, a: &[u8; 16]) {
    with_room(buf, |room| write_ipv6_std(room, a))
}

/// Appends an address of either family.
#[inline]
pub fn push_ip(buf: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => push_ipv4(buf, a.octets()),
        IpAddr::V6(a) => push_ipv6(buf, &a.octets()),
    }
}

/// `1 byte`, `2 bytes`: `n` and the noun in the number `n` asks for.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// Writers into fixed-size room (the JSON view writes at a cursor into room it has made): each
// writes at the start of the array it is given and returns how many bytes it wrote.

/// The decimal digits of `n`.
#[inline(always)]
pub fn write_u64(room: &mut [u8; 20], n: u64) -> usize {
    match u32::try_from(n) {
        Ok(n) => write_u32((&mut room[..16]).try_into().expect("16 bytes"), n),
        Err(_) => digits(room, n),
    }
}

/// The decimal digits of `n`: one or two words of eight digits stored whole, the leading zeros
/// cut off after (no digit count, no loop); at most 10 bytes, the rest of the room is scratch.
#[inline(always)]
pub fn write_u32(room: &mut [u8; 16], n: u32) -> usize {
    if n >= 100_000_000 {
        // One or two digits (at most 42), then eight.
        let hi = (n / 100_000_000) as usize;
        let lo = (eight_digits(n % 100_000_000) | ASCII_ZEROS).to_le_bytes();
        if hi >= 10 {
            room[..2].copy_from_slice(&PAIRS[hi * 2..hi * 2 + 2]);
            room[2..10].copy_from_slice(&lo);
            return 10;
        }
        room[0] = b'0' + hi as u8;
        room[1..9].copy_from_slice(&lo);
        return 9;
    }
    let d = eight_digits(n);
    // The leading zeros are the low zero bytes; the units digit is kept even when 0.
    let skip = (d | 1 << 56).trailing_zeros() / 8;
    room[..8].copy_from_slice(&((d | ASCII_ZEROS) >> (skip * 8)).to_le_bytes());
    8 - skip as usize
}

/// The lower-case hex digits of `w` without leading zeros (C's `%x`): four stored, the count
/// kept.
#[inline(always)]
fn write_hex16(room: &mut [u8], w: u16) -> usize {
    let len = (16 - (w | 1).leading_zeros()).div_ceil(4);
    let digits = [
        HEX[(w >> 12) as usize],
        HEX[(w >> 8 & 0xf) as usize],
        HEX[(w >> 4 & 0xf) as usize],
        HEX[(w & 0xf) as usize],
    ];
    // The first digit in the lowest byte: shifting drops the leading zeros.
    let word = u32::from_le_bytes(digits) >> ((4 - len) * 8);
    room[..4].copy_from_slice(&word.to_le_bytes());
    len as usize
}

/// An IPv6 address the way inet_ntop does: the longest run (first on a tie) of two or more zero
/// words becomes `::` (RFC 5952 §4.2), and an IPv4-compatible (`::a.b.c.d`) or IPv4-mapped
/// (`::ffff:a.b.c.d`) address ends in dotted form. At most 45 bytes.
pub fn write_ipv6(room: &mut [u8; 48], a: &[u8; 16]) -> usize {
    let w: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
    // Longest run of zero words; none (base 8) when shorter than two.
    let (mut best_base, mut best_len) = (8, 0);
    let mut i = 0;
    while i < 8 {
        if w[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < 8 && w[i] == 0 {
            i += 1;
        }
        if i - start > best_len {
            (best_base, best_len) = (start, i - start);
        }
    }
    if best_len < 2 {
        (best_base, best_len) = (8, 0);
    }
    let mut n = 0;
    let mut i = 0;
    while i < 8 {
        if i == best_base {
            // The run's first colon; the next word's (or the end's) makes it `::`.
            room[n] = b':';
            n += 1;
            i += best_len;
            if i == 8 {
                room[n] = b':';
                n += 1;
            }
            continue;
        }
        if i != 0 {
            room[n] = b':';
            n += 1;
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let tail: &mut [u8; 16] = (&mut room[n..n + 16]).try_into().expect("16 bytes");
            return n + write_ipv4(tail, [a[12], a[13], a[14], a[15]]);
        }
        n += write_hex16(&mut room[n..], w[i]);
        i += 1;
    }
    n
}

/// An IPv6 address exactly as Rust's `Ipv6Addr` `Display` writes it: as [`write_ipv6`] except
/// that an IPv4-compatible address (`::a.b.c.d`, deprecated by RFC 4291) stays in hex.
pub fn write_ipv6_std(room: &mut [u8; 48], a: &[u8; 16]) -> usize {
    if a[..12].iter().all(|&b| b == 0) {
        use std::io::Write as _;
        let mut rest = &mut room[..];
        // At most 39 bytes ("::ffff:ffff" forms are shorter): always fits.
        let _ = write!(rest, "{}", std::net::Ipv6Addr::from(*a));
        48 - rest.len()
    } else {
        write_ipv6(room, a)
    }
}

/// `n` as exactly nine digits, zero-padded (as [`push_padded`] with width 9): nanoseconds.
#[inline]
pub fn write_padded9(room: &mut [u8; 9], n: u64) -> usize {
    let mut n = n % 1_000_000_000;
    // Four pairs from the right, then the leading digit.
    for i in (0..4).rev() {
        let d = (n % 100) as usize * 2;
        n /= 100;
        room[1 + 2 * i..3 + 2 * i].copy_from_slice(&PAIRS[d..d + 2]);
    }
    room[0] = b'0' + n as u8;
    9
}

/// Each octet's decimal digits followed by a dot, and how many of those bytes are digits.
const OCTETS: [([u8; 4], usize); 256] = {
    let mut t = [([0u8; 4], 0usize); 256];
    let mut o = 0;
    while o < 256 {
        let (h, te, u) = ((o / 100) as u8, (o / 10 % 10) as u8, (o % 10) as u8);
        t[o] = if o >= 100 {
            ([b'0' + h, b'0' + te, b'0' + u, b'.'], 3)
        } else if o >= 10 {
            ([b'0' + te, b'0' + u, b'.', 0], 2)
        } else {
            ([b'0' + u, b'.', 0, 0], 1)
        };
        o += 1;
    }
    t
};

/// `a.b.c.d`: each octet and its dot with one 4-byte copy from a table.
#[inline]
pub fn write_ipv4(room: &mut [u8; 16], a: [u8; 4]) -> usize {
    let mut n = 0;
    for o in a {
        let (bytes, digits) = &OCTETS[o as usize];
        // At most 3 × 4 + 4 = 16 bytes: the last octet's dot (and any byte after) is room
        // past the end, not counted.
        room[n..n + 4].copy_from_slice(bytes);
        n += digits + 1;
    }
    n - 1
}

/// A MAC address as `02:00:5e:10:00:01`.
#[inline]
pub fn write_mac(room: &mut [u8; 17], m: [u8; 6]) -> usize {
    for (i, b) in m.iter().enumerate() {
        room[3 * i] = HEX[(b >> 4) as usize];
        room[3 * i + 1] = HEX[(b & 0xf) as usize];
        if i < 5 {
            room[3 * i + 2] = b':';
        }
    }
    17
}

/// `b` as two lower-case hex digits.
#[inline]
pub fn write_hex_byte(room: &mut [u8; 2], b: u8) -> usize {
    *room = [HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]];
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Room`]'s numbers are [`push_u32`]'s and `%06u `, `%09u `.
    #[test]
    fn room_writes_what_the_pushes_write() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut buf = [0u8; 64];
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every length of number, the edges of each included.
            let n = match i % 4 {
                0 => x as u32,
                1 => (x as u32) >> (x >> 59),
                2 => 10u32
                    .saturating_pow(i / 4 % 10)
                    .wrapping_sub((x & 1) as u32),
                _ => i,
            };
            let mut room = Room::new(&mut buf);
            room.put(b"<");
            room.put_u32(n);
            room.put_micros_space(n % 1_000_000);
            room.put_nanos_space(n % 1_000_000_000);
            room.put_cut(b"ab>zz", 3);
            let mut want = b"<".to_vec();
            push_u32(&mut want, n);
            want.extend(format!("{:06} {:09} ab>", n % 1_000_000, n % 1_000_000_000).bytes());
            assert_eq!(room.text(), &want[..], "{n}");
        }
    }

    #[test]
    fn word_digits_equal_the_digit_loop() {
        let mut edges = vec![0u64, 9, 10, 99, 100, 12_345_678, 99_999_999, 100_000_000];
        edges.extend([999_999_999, 1_000_000_000, 1_700_000_000, u32::MAX as u64]);
        edges.extend([u32::MAX as u64 + 1, u64::MAX]);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            edges.push(x >> (x % 64));
        }
        for n in edges {
            let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
            let la = write_u64(&mut a, n);
            let lb = digits(&mut b, n);
            assert_eq!(&a[..la], &b[..lb], "{n}");
            assert_eq!(&a[..la], n.to_string().as_bytes());
        }
    }

    #[test]
    fn ipv6_writer_equals_display() {
        // Words drawn from {0, 1, 0xffff, 0x1234, 0xab}: every placement of zero runs.
        let words = [0u16, 1, 0xffff, 0x1234, 0xab, 0];
        let mut x = 12345u64;
        for _ in 0..20_000 {
            let mut a = [0u8; 16];
            for i in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                a[2 * i..2 * i + 2].copy_from_slice(&words[(x % 6) as usize].to_be_bytes());
            }
            let mut room = [0u8; 48];
            let n = write_ipv6_std(&mut room, &a);
            let want = std::net::Ipv6Addr::from(a).to_string();
            assert_eq!(std::str::from_utf8(&room[..n]).unwrap(), want);
        }
    }

    #[test]
    fn plural_agrees_with_its_number() {
        assert_eq!(plural(0, "byte", "bytes"), "0 bytes");
        assert_eq!(plural(1, "byte", "bytes"), "1 byte");
        assert_eq!(plural(2, "segment", "segments"), "2 segments");
        assert_eq!(plural(1, "packet", "packets"), "1 packet");
    }
    use std::net::Ipv6Addr;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn integers() {
        for p in 0..20 {
            let ten = 10u64.pow(p);
            for n in [ten - 1, ten, ten + 1, ten.wrapping_mul(7) / 3] {
                assert_eq!(s(|b| push_u64(b, n)), n.to_string());
            }
        }
        for n in [
            0u64,
            7,
            10,
            99,
            100,
            101,
            999,
            1000,
            65535,
            4294967295,
            u64::MAX,
        ] {
            assert_eq!(s(|b| push_u64(b, n)), n.to_string());
        }
        assert_eq!(s(|b| push_padded(b, 42, 6)), "000042");
        assert_eq!(s(|b| push_padded(b, 1234567, 3)), "567");
        assert_eq!(s(|b| push_padded(b, 7, 22)), "0000000000000000000007");
        assert_eq!(s(|b| push_hex(b, 0x0)), "0");
        assert_eq!(s(|b| push_hex(b, 0xdb8)), "db8");
        assert_eq!(s(|b| push_hex_byte(b, 0x0a)), "0a");
        for n in [0i64, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(s(|b| push_i64(b, n)), n.to_string());
        }
        assert_eq!(
            s(|b| push_mac(b, [2, 0, 0x5e, 0x10, 0, 0xff])),
            "02:00:5e:10:00:ff"
        );
    }

    #[test]
    fn fixed_room_writers() {
        let room = |f: &dyn Fn(&mut [u8; 20]) -> usize| {
            let mut r = [b'#'; 20];
            let n = f(&mut r);
            String::from_utf8(r[..n].to_vec()).unwrap()
        };
        for o in 0..=255u8 {
            for a in [[o, 255 - o, o / 3, 9], [9, o, 100, o], [o; 4]] {
                let got = room(&|r| write_ipv4((&mut r[..16]).try_into().unwrap(), a));
                assert_eq!(got, std::net::Ipv4Addr::from(a).to_string());
            }
        }
        for n in [0u64, 9, 10, 99, 100, 12345, 4294967295, u64::MAX] {
            assert_eq!(room(&|r| write_u64(r, n)), n.to_string());
        }
        for n in [0u64, 16000, 999_999_999, 1_000_000_001, 123_456_789] {
            let got = room(&|r| write_padded9((&mut r[..9]).try_into().unwrap(), n));
            assert_eq!(got, s(|b| push_padded(b, n, 9)));
        }
        let mac = room(&|r| {
            write_mac(
                (&mut r[..17]).try_into().unwrap(),
                [2, 0, 0x5e, 0xa, 0, 0xff],
            )
        });
        assert_eq!(mac, "02:00:5e:0a:00:ff");
        assert_eq!(
            room(&|r| write_hex_byte((&mut r[..2]).try_into().unwrap(), 0xa7)),
            "a7"
        );
    }

    #[test]
    fn eight_digits_of_every_half() {
        // The multiply-and-shift divisions are exact for every 4-digit half.
        for h in 0..10_000u32 {
            for n in [h, h * 10_000, h * 10_000 + 9999 - h] {
                let got = (eight_digits(n) | ASCII_ZEROS).to_le_bytes();
                assert_eq!(std::str::from_utf8(&got).unwrap(), format!("{n:08}"));
            }
        }
    }

    #[test]
    fn u32_path_and_fractions_agree_with_core_fmt() {
        let mut x = 0x9e37_79b9u32;
        let mut cases = vec![0u32, 9, 10, 99, 100, 65535, 999_999, 1_000_000, u32::MAX];
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            cases.push(x);
            cases.push(x >> (x % 32));
        }
        for n in cases {
            assert_eq!(s(|b| push_u32(b, n)), n.to_string());
            assert_eq!(s(|b| push_u64(b, n as u64)), n.to_string());
            for w in [6, 9] {
                assert_eq!(s(|b| push_u64_width(b, n as u64, w)), format!("{n:0w$}"));
            }
        }
        for n in [u32::MAX as u64 + 1, 999_999_999_999, u64::MAX] {
            assert_eq!(s(|b| push_u64_width(b, n, 9)), format!("{n:09}"));
            assert_eq!(s(|b| push_u64(b, n)), n.to_string());
        }
    }

    #[test]
    fn ipv4() {
        assert_eq!(s(|b| push_ipv4(b, [127, 0, 0, 1])), "127.0.0.1");
        assert_eq!(s(|b| push_ipv4(b, [255, 255, 10, 0])), "255.255.10.0");
        for o in 0..=255u8 {
            let a = [o, 255 - o, o / 3, 9];
            assert_eq!(
                s(|b| push_ipv4(b, a)),
                std::net::Ipv4Addr::from(a).to_string()
            );
        }
    }

    #[test]
    fn ipv6_as_inet_ntop() {
        let cases = [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), // a single zero word is not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),          // the longest run wins
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),    // the first of equal runs wins
            ("fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::192.0.2.1", "::192.0.2.1"), // IPv4-compatible, as inet_ntop prints it
            ("::ffff:0:1", "::ffff:0.0.0.1"),
            ("ff02::1:ff00:1", "ff02::1:ff00:1"),
        ];
        for (input, want) in cases {
            let a: Ipv6Addr = input.parse().unwrap();
            assert_eq!(s(|b| push_ipv6(b, &a.octets())), want, "{input}");
            assert_eq!(s(|b| push_ipv6_std(b, &a.octets())), a.to_string());
        }
    }

    #[test]
    fn ipv6_agrees_with_std_outside_the_embedded_ipv4_forms() {
        // std follows RFC 5952 too; the two differ only for ::a.b.c.d.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut a = [0u8; 16];
            for chunk in a.chunks_mut(2) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // make zero words common
                let v = if x.is_multiple_of(3) {
                    0
                } else {
                    (x >> 20) as u16
                };
                chunk.copy_from_slice(&v.to_be_bytes());
            }
            let ip = Ipv6Addr::from(a);
            assert_eq!(s(|b| push_ipv6_std(b, &a)), ip.to_string());
            if a[..12].iter().all(|&b| b == 0) {
                continue;
            }
            assert_eq!(s(|b| push_ipv6(b, &a)), ip.to_string());
        }
    }

    // The tests below came with the tcpdump view's own formatting module, merged into this one.

    fn v6(t: &str) -> String {
        let a: Ipv6Addr = t.parse().unwrap();
        s(|b| push_ipv6(b, &a.octets()))
    }

    #[test]
    fn integers_as_tcpdump_prints_them() {
        assert_eq!(s(|b| push_u64(b, 0)), "0");
        assert_eq!(s(|b| push_u64(b, u64::MAX)), "18446744073709551615");
        let mut n = 1u64;
        while n < u64::MAX / 3 {
            for m in [n - 1, n, n + 1, n * 2 + 7] {
                assert_eq!(s(|b| push_u64(b, m)), m.to_string());
            }
            n *= 3;
        }
        assert_eq!(s(|b| push_u64_width(b, 42, 6)), "000042");
        assert_eq!(s(|b| push_u64_width(b, 1234567, 6)), "1234567");
        assert_eq!(s(|b| push_hex(b, 0)), "0");
        assert_eq!(s(|b| push_hex(b, 0x9b59be3d695e66a7)), "9b59be3d695e66a7");
        assert_eq!(s(|b| push_hex_width(b, 0x309, 6)), "000309");
        assert_eq!(s(|b| push_hex_bytes(b, &[0, 0xab, 9])), "00ab09");
        assert_eq!(s(|b| push_ipv4(b, [10, 0, 255, 1])), "10.0.255.1");
        for o in 0..=255u8 {
            assert_eq!(s(|b| push_ipv4(b, [o, 9, 99, o])), format!("{o}.9.99.{o}"));
        }
    }

    #[test]
    fn widths_agree_with_core_fmt() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = x >> (i % 64);
            let w = i % 24;
            assert_eq!(s(|b| push_u64_width(b, n, w)), format!("{n:0w$}"));
            assert_eq!(s(|b| push_hex_width(b, n, w)), format!("{n:0w$x}"));
            assert_eq!(s(|b| push_hex(b, n)), format!("{n:x}"));
        }
        assert_eq!(s(|b| push_hex_width(b, u64::MAX, 18)), "00ffffffffffffffff");
        assert_eq!(s(|b| push_hex_width(b, 0, 0)), "0");
        assert_eq!(s(|b| push_short(b, b"abc")), "abc");
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
