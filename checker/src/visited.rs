//! The memo of explored search configurations: (set of linearized operations, state id).
//!
//! An open-addressing table whose entries keep the full bitset in one flat arena, so an
//! insertion allocates nothing per entry and a lookup compares the whole key (the hash only
//! filters), which keeps the memo exact: a hash collision can never prune a live branch.
use crate::hash::mix64;

pub struct Visited {
    /// Slot -> entry index + 1 (0 = empty). Length is a power of two.
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<u32>,
    /// `words_per` words per entry.
    arena: Vec<u64>,
    words_per: usize,
}

impl Visited {
    pub fn new(words_per: usize) -> Self {
        Visited {
            slots: vec![0; 1024],
            hashes: Vec::new(),
            states: Vec::new(),
            arena: Vec::new(),
            words_per,
        }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Approximate heap usage, for the memory limit.
    pub fn bytes(&self) -> usize {
        self.slots.capacity() * 4
            + self.hashes.capacity() * 8
            + self.states.capacity() * 4
            + self.arena.capacity() * 8
    }

    #[inline]
    fn key_hash(bits_hash: u64, state: u32) -> u64 {
        bits_hash ^ mix64(u64::from(state))
    }

    /// Inserts the configuration; returns false if it was already present.
    pub fn insert(&mut self, bits_hash: u64, state: u32, bits: &[u64]) -> bool {
        debug_assert_eq!(bits.len(), self.words_per);
        let h = Self::key_hash(bits_hash, state);
        let mask = self.slots.len() - 1;
        let mut i = (h as usize) & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            let e = (slot - 1) as usize;
            if self.hashes[e] == h
                && self.states[e] == state
                && &self.arena[e * self.words_per..(e + 1) * self.words_per] == bits
            {
                return false;
            }
            i = (i + 1) & mask;
        }
        let e = self.hashes.len();
        self.hashes.push(h);
        self.states.push(state);
        self.arena.extend_from_slice(bits);
        self.slots[i] = e as u32 + 1;
        if self.hashes.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (e, &h) in self.hashes.iter().enumerate() {
            let mut i = (h as usize) & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = e as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_membership_even_with_equal_hashes() {
        let mut v = Visited::new(2);
        assert!(v.insert(7, 0, &[1, 2]));
        assert!(!v.insert(7, 0, &[1, 2]));
        // Same hash, different bits or state: distinct entries.
        assert!(v.insert(7, 0, &[1, 3]));
        assert!(v.insert(7, 1, &[1, 2]));
        for i in 0..5000u64 {
            assert!(v.insert(mix64(i), 2, &[i, 0]));
        }
        for i in 0..5000u64 {
            assert!(!v.insert(mix64(i), 2, &[i, 0]));
        }
        assert_eq!(v.len(), 5003);
    }
}
