//! The text of recently printed IP addresses, so that the `SRC.SPORT > DST.DPORT` of a packet
//! between known hosts copies two strings instead of formatting two addresses (an IPv6 address
//! costs more to format than the rest of its TCP line). A capture talks among a few hosts far
//! more often than it meets a new one.
//!
//! A two-way set-associative table of [`SETS`] × 2 entries of 64 bytes, allocated once: memory
//! stays bounded whatever the input, and a new address takes the first way of its set, moving
//! the one there to the second (the older one leaves). The text is the one [`fmt::push_ipv4`]
//! and [`fmt::push_ipv6`] write; a slot stores it with its key, so a hit always gives what
//! formatting would.

use crate::render::fmt;

/// Sets in the table (a power of two), of two slots each: 64 KiB in all.
const SETS: usize = 512;

/// The longest address text: eight groups of four hex digits and seven colons (an
/// IPv4-mapped form is shorter).
const TEXT: usize = 40;

#[derive(Clone, Copy)]
struct Slot {
    /// The address (IPv4 in the first four bytes, the rest zero).
    key: [u8; 16],
    v6: bool,
    /// Length of `text`; 0 for an empty slot (no address prints as nothing).
    len: u8,
    text: [u8; TEXT],
}

const EMPTY: Slot = Slot {
    key: [0; 16],
    v6: false,
    len: 0,
    text: [0; TEXT],
};

pub struct AddrText {
    sets: Box<[[Slot; 2]]>,
    /// Where a missing address is formatted (reused).
    scratch: Vec<u8>,
}

impl Default for AddrText {
    fn default() -> Self {
        AddrText {
            sets: vec![[EMPTY; 2]; SETS].into_boxed_slice(),
            scratch: Vec::with_capacity(64),
        }
    }
}

impl Slot {
    #[inline]
    fn holds(&self, v6: bool, a: &[u8; 16]) -> bool {
        self.len != 0 && self.key == *a && self.v6 == v6
    }
}

impl AddrText {
    /// Appends the address `a` (IPv6 when `v6`, else IPv4 in its first four bytes) as
    /// `push_ipv6` / `push_ipv4` write it.
    #[inline]
    pub fn push(&mut self, line: &mut Vec<u8>, v6: bool, a: &[u8; 16]) {
        let lo = u64::from_le_bytes([a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]]);
        let hi = u64::from_le_bytes([a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]]);
        // FxHash's constant; the top bits of the product mix every input bit.
        let h = (lo ^ hi.rotate_left(29) ^ v6 as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        let set = &mut self.sets[(h >> (64 - SETS.trailing_zeros())) as usize];
        let slot = if set[0].holds(v6, a) {
            &set[0]
        } else if set[1].holds(v6, a) {
            &set[1]
        } else {
            fill(set, &mut self.scratch, v6, a)
        };
        // A fixed-size copy, cut back: cheaper than a `memcpy` call of a variable length.
        let start = line.len();
        line.extend_from_slice(&slot.text);
        line.truncate(start + slot.len as usize);
    }
}

/// Formats `a` into the first slot of `set`, the one there moving to the second.
#[cold]
fn fill<'s>(set: &'s mut [Slot; 2], text: &mut Vec<u8>, v6: bool, a: &[u8; 16]) -> &'s Slot {
    text.clear();
    if v6 {
        fmt::push_ipv6(text, a);
    } else {
        fmt::push_ipv4(text, [a[0], a[1], a[2], a[3]]);
    }
    set[1] = set[0];
    let slot = &mut set[0];
    slot.key = *a;
    slot.v6 = v6;
    slot.len = text.len() as u8;
    slot.text[..text.len()].copy_from_slice(text);
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_formatting_whatever_shares_a_slot() {
        let mut names = AddrText::default();
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
            names.push(&mut got, v6, &a);
            if v6 {
                fmt::push_ipv6(&mut want, &a);
            } else {
                fmt::push_ipv4(&mut want, [a[0], a[1], a[2], a[3]]);
            }
            assert_eq!(got, want);
        }
    }
}
