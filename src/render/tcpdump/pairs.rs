//! The text `SRC.SPORT > DST.DPORT` of recent directions of conversations, so that most lines
//! copy their address part in one piece: a conversation sends many packets each way, and one
//! look-up of the pair costs less than two of its endpoints (each address with its port).
//!
//! A two-way set-associative table of [`SETS`] × 2 slots (about 140 KiB), allocated at the
//! first miss and never grown: memory stays bounded whatever the input. A new pair takes the
//! first way of its set, the one there moving to the second (the older one leaves). A slot holds
//! the very text its caller wrote for the pair, so a hit prints what formatting would.

/// Sets in the table (a power of two), of two slots each.
const SETS: usize = 512;

/// The longest text kept: two IPv6 addresses of 39 characters with ports of 5, and ` > `.
pub const TEXT: usize = 96;

/// One direction of a conversation: the two addresses (IPv4 in the first four bytes, the rest
/// zero), then the ports and the family.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PairKey {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// Source port in the high half, destination port in the low half, the family above, and
    /// a bit that no empty slot has.
    tag: u64,
}

impl PairKey {
    #[inline(always)]
    pub fn new(src: [u8; 16], dst: [u8; 16], sport: u16, dport: u16, v6: bool) -> PairKey {
        let tag = u64::from(sport) << 16 | u64::from(dport) | u64::from(v6) << 32 | 1 << 33;
        PairKey { src, dst, tag }
    }

    /// The set of the key: FxHash's constant multiplies the words folded together, and the top
    /// bits of the product mix every input bit.
    #[inline(always)]
    fn set(&self) -> usize {
        let (s, d) = (u128::from_le_bytes(self.src), u128::from_le_bytes(self.dst));
        let folded = s as u64
            ^ ((s >> 64) as u64).rotate_left(19)
            ^ (d as u64).rotate_left(37)
            ^ ((d >> 64) as u64).rotate_left(53)
            ^ self.tag;
        (folded.wrapping_mul(0x51_7c_c1_b7_27_22_0a_95) >> (64 - SETS.trailing_zeros())) as usize
    }
}

#[derive(Clone, Copy)]
struct Slot {
    key: PairKey,
    len: u8,
    text: [u8; TEXT],
}

const EMPTY: Slot = Slot {
    key: PairKey {
        src: [0; 16],
        dst: [0; 16],
        tag: 0,
    },
    len: 0,
    text: [0; TEXT],
};

#[derive(Default)]
pub struct PairTexts {
    /// Empty until the first miss.
    sets: Vec<[Slot; 2]>,
}

impl PairTexts {
    /// The text of `key` (the whole slot, and how much of it counts), when it is kept.
    #[inline(always)]
    pub fn get(&self, key: &PairKey) -> Option<(&[u8; TEXT], usize)> {
        let set = self.sets.get(key.set())?;
        let slot = if set[0].key == *key {
            &set[0]
        } else if set[1].key == *key {
            &set[1]
        } else {
            return None;
        };
        Some((&slot.text, slot.len as usize))
    }

    /// Appends the text of `key`: from the table, or as `format` writes it (then kept).
    /// `format` must write the same text for the same key.
    #[inline(always)]
    pub fn push(&mut self, line: &mut Vec<u8>, key: &PairKey, format: impl FnOnce(&mut Vec<u8>)) {
        if let Some((text, len)) = self.get(key) {
            // A fixed-size copy, cut back: cheaper than a `memcpy` of a variable length.
            let start = line.len();
            line.extend_from_slice(text);
            line.truncate(start + len);
            return;
        }
        let start = line.len();
        format(line);
        self.fill(key.set(), key, &line[start..]);
    }

    /// Keeps `text` in the first slot of set `at`, the one there moving to the second.
    #[cold]
    #[inline(never)]
    fn fill(&mut self, at: usize, key: &PairKey, text: &[u8]) {
        if text.len() > TEXT {
            return;
        }
        if self.sets.is_empty() {
            self.sets = vec![[EMPTY; 2]; SETS];
        }
        let set = &mut self.sets[at];
        set[1] = set[0];
        set[0].key = *key;
        set[0].len = text.len() as u8;
        set[0].text[..text.len()].copy_from_slice(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever shares a set or replaces what, a pair's text is the one its formatter writes.
    #[test]
    fn same_text_as_formatting() {
        let mut t = PairTexts::default();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..30_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // A small population, so that hits, misses and replacements all happen.
            let n = (x % 3000) as u8;
            let m = (x >> 20) as u8 % 7;
            let key = PairKey::new([n; 16], [m; 16], u16::from(n), u16::from(m), i % 2 == 0);
            let want = format!("{n}.{m}.{}", key.tag);
            let mut line = b"x".to_vec();
            t.push(&mut line, &key, |l| l.extend_from_slice(want.as_bytes()));
            assert_eq!(&line[1..], want.as_bytes());
        }
    }
}
