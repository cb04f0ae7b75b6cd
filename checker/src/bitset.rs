//! A fixed-size bitset over operation indices with an incrementally maintained hash.
//!
//! The hash is a Zobrist hash (XOR of one random key per set bit), so setting or clearing a
//! bit updates it in O(1) and the search never rehashes the whole set.
use crate::hash::mix64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitset {
    words: Vec<u64>,
    hash: u64,
}

/// The Zobrist key of bit `i`.
#[inline]
pub fn bit_key(i: usize) -> u64 {
    mix64(i as u64 ^ 0x6a09_e667_f3bc_c908)
}

impl Bitset {
    pub fn new(bits: usize) -> Self {
        Bitset {
            words: vec![0; bits.div_ceil(64).max(1)],
            hash: 0,
        }
    }

    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Flips bit `i` (set if clear, clear if set).
    #[inline]
    pub fn toggle(&mut self, i: usize) {
        self.words[i / 64] ^= 1 << (i % 64);
        self.hash ^= bit_key(i);
    }

    #[inline]
    pub fn hash(&self) -> u64 {
        self.hash
    }

    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggle_restores_hash_and_bits() {
        let mut b = Bitset::new(130);
        let empty = b.clone();
        b.toggle(0);
        b.toggle(129);
        assert!(b.contains(0) && b.contains(129) && !b.contains(64));
        assert_eq!(b.count(), 2);
        assert_ne!(b.hash(), 0);
        b.toggle(0);
        b.toggle(129);
        assert_eq!(b, empty);
    }

    #[test]
    fn hash_is_order_independent() {
        let mut a = Bitset::new(10);
        let mut b = Bitset::new(10);
        a.toggle(3);
        a.toggle(7);
        b.toggle(7);
        b.toggle(3);
        assert_eq!(a.hash(), b.hash());
    }
}
