//! TCP sequence numbers: 32-bit values compared and subtracted modulo 2^32 (RFC 9293 §3.4,
//! "serial number arithmetic" of RFC 1982).

use std::cmp::Ordering;
use std::ops::{Add, Sub};

/// A TCP sequence number. Ordering is circular: `a < b` when `b` is less than 2^31 ahead of `a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }
}

/// The distance from `rhs` forward to `self`, modulo 2^32.
impl Sub<SeqNumber> for SeqNumber {
    type Output = u32;
    fn sub(self, rhs: SeqNumber) -> u32 {
        self.0.wrapping_sub(rhs.0)
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(match (self.0.wrapping_sub(other.0)) as i32 {
            0 => Ordering::Equal,
            d if d < 0 => Ordering::Less,
            _ => Ordering::Greater,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps() {
        let near_end = SeqNumber(u32::MAX - 1);
        let after = near_end + 5;
        assert_eq!(after, SeqNumber(3));
        assert!(near_end < after);
        assert!(after > near_end);
        assert_eq!(after - near_end, 5);
        assert_eq!(SeqNumber(3) - 5u32, SeqNumber(u32::MAX - 1));
    }
}
