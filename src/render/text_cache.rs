//! The text of recently printed addresses and endpoints, so that a packet between known hosts
//! copies a few strings instead of formatting its addresses again (an IPv6 address costs more
//! to format than the rest of a tcpdump line). A capture talks among a few hosts far more
//! often than it meets a new one. The tcpdump view keeps addresses here, the learner view
//! endpoints with their port and service, and whole `source → destination` cells.
//!
//! A two-way set-associative table of [`SETS`] × 2 slots, allocated once: memory stays bounded
//! whatever the input (about 90 KiB with the default sizes), and a new key takes the first way
//! of its set, moving the one there to the second (the older one leaves). A slot stores the
//! text its caller's formatter wrote with the key, so a hit always gives what formatting
//! would; a text longer than a slot's capacity is written afresh each time.

/// Sets in the table (a power of two), of two slots each.
const SETS: usize = 512;

/// The longest text kept by default: an IPv6 endpoint in brackets with its port and a service
/// name of 15.
pub const TEXT: usize = 64;

#[derive(Clone, Copy)]
struct Slot<const WORDS: usize, const CAP: usize> {
    /// The key's words (an address: IPv4 in the first four bytes, the rest zero).
    key: [u64; WORDS],
    /// What else the text depends on (family, port, protocol), as the caller packs it.
    tag: u32,
    /// Length of `text`; 0 for an empty slot (no key prints as nothing).
    len: u8,
    text: [u8; CAP],
}

/// Texts of keys of `WORDS` machine words (by default one address, two words), of at most
/// `CAP` bytes (below 256; by default [`TEXT`]).
pub struct TextCache<const WORDS: usize = 2, const CAP: usize = { TEXT }> {
    sets: Box<[[Slot<WORDS, CAP>; 2]]>,
    /// Where a missing text is formatted (reused).
    scratch: Vec<u8>,
}

impl<const WORDS: usize, const CAP: usize> Default for TextCache<WORDS, CAP> {
    fn default() -> Self {
        const { assert!(CAP < 256, "a slot's length is a byte") };
        let empty = Slot {
            key: [0; WORDS],
            tag: 0,
            len: 0,
            text: [0; CAP],
        };
        TextCache {
            sets: vec![[empty; 2]; SETS].into_boxed_slice(),
            scratch: Vec::with_capacity(CAP),
        }
    }
}

impl<const WORDS: usize, const CAP: usize> Slot<WORDS, CAP> {
    #[inline]
    fn holds(&self, key: &[u64; WORDS], tag: u32) -> bool {
        // Word by word without a branch: an array's `==` of more than two words calls
        // `memcmp`.
        let differ = self.key.iter().zip(key).fold(0, |d, (a, b)| d | (a ^ b));
        self.len != 0 && differ == 0 && self.tag == tag
    }
}

impl TextCache {
    /// Appends the text of (`key`, `tag`): from the table, or as `format` writes it (then kept).
    /// `format` must write the same text for the same key and tag.
    #[inline]
    pub fn push(
        &mut self,
        line: &mut Vec<u8>,
        key: &[u8; 16],
        tag: u32,
        format: impl FnOnce(&mut Vec<u8>),
    ) {
        self.push_words(line, &words(key), tag, format);
    }
}

impl<const WORDS: usize, const CAP: usize> TextCache<WORDS, CAP> {
    /// [`TextCache::push`] with the key in words.
    #[inline]
    pub fn push_words(
        &mut self,
        line: &mut Vec<u8>,
        key: &[u64; WORDS],
        tag: u32,
        format: impl FnOnce(&mut Vec<u8>),
    ) {
        let mut h = (tag as u64).rotate_left(40);
        for (i, w) in key.iter().enumerate() {
            h ^= w.rotate_left(29 * i as u32 % 64);
        }
        // FxHash's constant; the top bits of the product mix every input bit.
        let h = h.wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        let set = &mut self.sets[(h >> (64 - SETS.trailing_zeros())) as usize];
        let slot = if set[0].holds(key, tag) {
            &set[0]
        } else if set[1].holds(key, tag) {
            &set[1]
        } else {
            self.scratch.clear();
            format(&mut self.scratch);
            match fill(set, &self.scratch, key, tag) {
                Some(slot) => slot,
                None => return line.extend_from_slice(&self.scratch),
            }
        };
        // A fixed-size copy, cut back: cheaper than a `memcpy` call of a variable length.
        let start = line.len();
        line.extend_from_slice(&slot.text);
        line.truncate(start + slot.len as usize);
    }
}

/// A key of 16 bytes as two machine words.
#[inline]
pub fn words(key: &[u8; 16]) -> [u64; 2] {
    let w = u128::from_le_bytes(*key);
    [w as u64, (w >> 64) as u64]
}

/// Stores `text` in the first slot of `set`, the one there moving to the second; `None` when
/// the text is too long (or empty) to keep.
#[cold]
fn fill<'s, const WORDS: usize, const CAP: usize>(
    set: &'s mut [Slot<WORDS, CAP>; 2],
    text: &[u8],
    key: &[u64; WORDS],
    tag: u32,
) -> Option<&'s Slot<WORDS, CAP>> {
    if text.is_empty() || text.len() > CAP {
        return None;
    }
    set[1] = set[0];
    let slot = &mut set[0];
    slot.key = *key;
    slot.tag = tag;
    slot.len = text.len() as u8;
    slot.text[..text.len()].copy_from_slice(text);
    Some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fmt;

    fn format(v6: bool, a: &[u8; 16]) -> Vec<u8> {
        let mut t = Vec::new();
        if v6 {
            fmt::push_ipv6(&mut t, a);
        } else {
            fmt::push_ipv4(&mut t, [a[0], a[1], a[2], a[3]]);
        }
        t
    }

    #[test]
    fn same_text_as_formatting_whatever_shares_a_slot() {
        let mut names = TextCache::default();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut seen: Vec<(bool, [u8; 16])> = Vec::new();
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v6 = x & 1 == 0;
            // Often an address seen before, so that hits and replacements both happen.
            let (v6, a) = if i % 3 != 0 && !seen.is_empty() {
                seen[(x >> 8) as usize % seen.len()]
            } else {
                let mut a = [0u8; 16];
                let n = if v6 { 16 } else { 4 };
                for (j, b) in a[..n].iter_mut().enumerate() {
                    // Zero words are common in IPv6 addresses (`::` compression).
                    *b = if (x >> (j * 3)) & 3 == 0 {
                        0
                    } else {
                        (x >> (j * 4)) as u8
                    };
                }
                // The longest text of all: no zero word.
                if i == 7 {
                    a = [0xff; 16];
                }
                seen.push((v6, a));
                (v6, a)
            };
            let (mut got, mut want) = (b"x".to_vec(), b"x".to_vec());
            names.push(&mut got, &a, v6 as u32, |t| t.extend(format(v6, &a)));
            want.extend(format(v6, &a));
            assert_eq!(got, want);
        }
    }

    /// Keys of more words: every word tells texts apart, and a hit gives the kept text.
    #[test]
    fn wide_keys() {
        let mut c: TextCache<5, 16> = TextCache::default();
        let text = |k: &[u64; 5]| format!("{k:?}").into_bytes();
        for round in 0..3 {
            for i in 0..5 {
                let mut k = [7u64; 5];
                k[i] = round;
                let mut line = Vec::new();
                c.push_words(&mut line, &k, 9, |t| t.extend(text(&k)));
                assert_eq!(line, text(&k));
            }
        }
    }

    /// The tag tells apart texts of one address, and a text too long to keep is still written.
    #[test]
    fn tags_and_long_texts() {
        let mut c = TextCache::default();
        let a = [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let long = vec![b'z'; TEXT + 5];
        for _ in 0..3 {
            let mut line = Vec::new();
            c.push(&mut line, &a, 1, |t| t.extend_from_slice(b"10.0.0.1:80"));
            c.push(&mut line, &a, 2, |t| t.extend_from_slice(b"10.0.0.1:443"));
            c.push(&mut line, &a, 3, |t| t.extend_from_slice(&long));
            let mut want = b"10.0.0.1:8010.0.0.1:443".to_vec();
            want.extend_from_slice(&long);
            assert_eq!(line, want);
        }
    }
}
