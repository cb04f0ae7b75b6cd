//! 64-bit state fingerprints for the breadth-first searches (fixed seeds: deterministic).
use std::hash::Hash;

pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    ahash::RandomState::with_seeds(
        0x5eed_0001_2345_6789,
        0x0bad_cafe_f00d_d00d,
        0x1357_9bdf_2468_ace0,
        0x0f0f_0f0f_f0f0_f0f0,
    )
    .hash_one(value)
}
