//! Values that remember a digest of their id-free content. The model checker fingerprints
//! every generated world under several renamings of node ids; most of a world (the nodes an
//! event did not touch, their disks, the history, the committed entries) is shared with the
//! world it came from, so each shared part is hashed once, not once per world per renaming.
//!
//! The digest is dropped whenever the value is borrowed mutably, so it can never describe
//! an older content: every write goes through `DerefMut`.
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a memoized value feeds its digest: everything about it that no renaming of node
/// ids changes (its id-bearing fields are hashed, renamed, by the caller).
pub trait IdFree {
    fn hash_id_free<H: Hasher>(&self, h: &mut H);
}

/// A digest computed on first use and kept until cleared. The slot holds `UNKNOWN` until
/// then. Worlds are shared between the model checker's threads; threads that race to fill
/// it compute the same value, so plain relaxed loads and stores suffice (no once-only
/// initialization, whose atomic read-modify-writes cost more than the hash). A content
/// whose digest happens to be `UNKNOWN` is simply hashed again each time.
#[derive(Default)]
pub struct DigestSlot(AtomicU64);

const UNKNOWN: u64 = 0;

impl DigestSlot {
    /// The digest, computed by `compute` if not known yet.
    pub fn get_or(&self, compute: impl FnOnce() -> u64) -> u64 {
        let known = self.0.load(Ordering::Relaxed);
        if known != UNKNOWN {
            return known;
        }
        let digest = compute();
        self.0.store(digest, Ordering::Relaxed);
        digest
    }

    /// Forget the digest: what it described is about to change.
    pub fn clear(&mut self) {
        *self.0.get_mut() = UNKNOWN;
    }
}

/// A copy keeps the digest: it has the same content.
impl Clone for DigestSlot {
    fn clone(&self) -> DigestSlot {
        DigestSlot(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

impl std::fmt::Debug for DigestSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.load(Ordering::Relaxed) {
            UNKNOWN => f.write_str("?"),
            d => write!(f, "{d:#x}"),
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Memo<T> {
    value: T,
    #[serde(skip)]
    digest: DigestSlot,
    /// A second remembered number, whatever the owner derives from the value alone (the
    /// world keeps how many membership changes a leader would take: counting them asks the
    /// core about each possible change, before every event). Dropped with the digest.
    #[serde(skip)]
    derived: DigestSlot,
}

impl<T> Memo<T> {
    pub fn new(value: T) -> Memo<T> {
        Memo {
            value,
            digest: DigestSlot::default(),
            derived: DigestSlot::default(),
        }
    }

    /// The number `compute` derives from the value, computed on first use after a write.
    /// `compute` must depend on the value alone (and on what never changes for it), and
    /// return something other than 0, which stands for "not known".
    pub fn derived(&self, compute: impl FnOnce(&T) -> u64) -> u64 {
        self.derived.get_or(|| compute(&self.value))
    }
}

impl<T: IdFree> Memo<T> {
    /// The digest of the id-free content, computed on first use.
    pub fn digest(&self) -> u64 {
        self.digest.get_or(|| {
            let mut h = crate::fingerprint::fingerprint_hasher();
            self.value.hash_id_free(&mut h);
            h.finish()
        })
    }
}

impl<T> Deref for Memo<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Memo<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.digest.clear();
        self.derived.clear();
        &mut self.value
    }
}

impl<T: Clone> Clone for Memo<T> {
    fn clone(&self) -> Memo<T> {
        Memo {
            value: self.value.clone(),
            digest: self.digest.clone(),
            derived: self.derived.clone(),
        }
    }
}

impl<T: PartialEq> PartialEq for Memo<T> {
    fn eq(&self, other: &Memo<T>) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Memo<T> {}

impl<T: Hash> Hash for Memo<T> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.value.hash(h);
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, PartialEq, Debug)]
    struct Counter(u64);
    impl IdFree for Counter {
        fn hash_id_free<H: Hasher>(&self, h: &mut H) {
            self.0.hash(h);
        }
    }

    #[test]
    fn a_write_drops_the_digest() {
        let mut m = Memo::new(Counter(1));
        let first = m.digest();
        assert_eq!(m.digest(), first);
        m.0 = 2;
        assert_ne!(m.digest(), first);
        assert_eq!(m.digest(), Memo::new(Counter(2)).digest());
    }

    #[test]
    fn a_write_drops_the_derived_number() {
        let mut m = Memo::new(Counter(1));
        assert_eq!(m.derived(|c| c.0 + 10), 11);
        assert_eq!(m.derived(|_| unreachable!("remembered")), 11);
        m.0 = 2;
        assert_eq!(m.derived(|c| c.0 + 10), 12);
        assert_eq!(m.clone().derived(|_| unreachable!("a clone keeps it")), 12);
    }

    #[test]
    fn a_clone_keeps_the_digest_until_written() {
        let m = Memo::new(Counter(7));
        let d = m.digest();
        let mut c = m.clone();
        assert_eq!(c.digest(), d);
        c.0 = 8;
        assert_ne!(c.digest(), d);
        assert_eq!(m.digest(), d);
    }
}
