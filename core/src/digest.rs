//! A fast, fixed 64-bit hash for the digests the core keeps of its own data (the running
//! digest of every log prefix). Fixed: the same data digests alike in every run and on
//! every machine, which deterministic replays and model checking need. Fast: an entry is
//! digested on every append, and SipHash spends most of its time on keys nobody attacks.
use crate::symmetry::mix;
use std::hash::Hasher;

/// Folds every written word into the state with `mix` (wyhash's folded multiply).
#[derive(Clone, Copy, Debug)]
pub struct Digester(u64);

impl Digester {
    /// A digester in its fixed initial state: equal inputs give equal digests in every
    /// process.
    pub fn new() -> Digester {
        Digester(0x243f_6a88_85a3_08d3)
    }
}

impl Default for Digester {
    fn default() -> Self {
        Digester::new()
    }
}

impl Hasher for Digester {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        // The length tells "ab" from "ab\0".
        self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = mix(self.0 ^ i, 0x1319_8a2e_0370_7344);
    }

    fn finish(&self) -> u64 {
        mix(self.0, 0xa409_3822_299f_31d0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::Hash;

    fn digest<T: Hash>(t: &T) -> u64 {
        let mut h = Digester::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn tells_apart_what_differs_and_agrees_on_what_does_not() {
        assert_eq!(digest(&("x", 1u64)), digest(&("x", 1u64)));
        let mut seen = HashSet::new();
        // Strings that differ by a trailing zero byte, by length, by order; numbers nearby.
        for s in [
            "",
            "a",
            "a\0",
            "ab",
            "ba",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
        ] {
            assert!(seen.insert(digest(&s)), "{s:?}");
        }
        for n in 0u64..10_000 {
            assert!(seen.insert(digest(&n)), "{n}");
            assert!(seen.insert(digest(&(n, n))), "({n}, {n})");
        }
    }
}
