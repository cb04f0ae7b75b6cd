//! The in-memory copy of a node's log, with a running digest of every prefix.
//!
//! `chain[i]` digests entries `1 ..= i + 1` (each link hashes the previous digest and one
//! entry), kept up to date on every append and truncation. Two logs with the same digest
//! at an index hold the same entries up to it (up to 64-bit collisions), so the checks
//! that compare log prefixes (Log Matching, Leader Append-Only) and the hashing of whole
//! node states cost O(1) instead of O(log length).
use crate::digest::Digester;
use crate::types::{Entry, Index, Term};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The entries and their running digests. Behind an `Arc` in `RaftLog`: copies of a node
/// (a simulator or model checker copies one at every step) share the log until one of them
/// writes it, and most steps (votes, acknowledgements, heartbeats) never do.
#[derive(Clone, PartialEq, Eq)]
struct Chained<C> {
    entries: Vec<Entry<C>>,
    chain: Vec<u64>,
}

/// A node's log: entries from index 1 on, with the digest of every prefix. Cheap to clone
/// (an `Arc`; a write copies only when the log is shared). Serialized as the plain list of
/// entries; the digests are rebuilt on deserialization.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "Vec<Entry<C>>",
    into = "Vec<Entry<C>>",
    bound(
        serialize = "C: Clone + Serialize",
        deserialize = "C: Hash + Deserialize<'de>"
    )
)]
pub struct RaftLog<C> {
    inner: Arc<Chained<C>>,
}

impl<C: fmt::Debug> fmt::Debug for RaftLog<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.inner.entries).finish()
    }
}

/// The digest of a prefix extended by one entry (a fixed hash: the same in every run).
/// Public so that a record of entries kept elsewhere (the simulator's record of committed
/// entries) can chain the same digests and compare itself with a log in one step.
pub fn link<C: Hash>(previous: u64, entry: &Entry<C>) -> u64 {
    let mut h = Digester::new();
    previous.hash(&mut h);
    entry.hash(&mut h);
    h.finish()
}

impl<C: Hash> From<Vec<Entry<C>>> for RaftLog<C> {
    fn from(entries: Vec<Entry<C>>) -> Self {
        let mut chain = Vec::with_capacity(entries.len());
        let mut digest = 0;
        for e in &entries {
            digest = link(digest, e);
            chain.push(digest);
        }
        RaftLog {
            inner: Arc::new(Chained { entries, chain }),
        }
    }
}

impl<C: Clone> From<RaftLog<C>> for Vec<Entry<C>> {
    fn from(log: RaftLog<C>) -> Self {
        Arc::unwrap_or_clone(log.inner).entries
    }
}

/// The length and the digest of the whole log stand for the entries.
impl<C> Hash for RaftLog<C> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.inner.entries.len().hash(h);
        self.inner.chain.last().hash(h);
    }
}

impl<C: Clone + Hash> RaftLog<C> {
    /// A log holding `entries` at indexes 1, 2, ... (digests computed once, O(n)). Does not
    /// check that terms never decrease; [`Node::restart`](crate::Node::restart) does.
    pub fn from_entries(entries: Vec<Entry<C>>) -> Self {
        RaftLog::from(entries)
    }

    /// The digest of the first `len` entries (0 for none), if the log is that long.
    pub fn prefix_digest(&self, len: usize) -> Option<u64> {
        match len {
            0 => Some(0),
            n => self.inner.chain.get(n - 1).copied(),
        }
    }

    /// Every entry; the entry at index `i` is at position `i - 1`.
    pub fn entries(&self) -> &[Entry<C>] {
        &self.inner.entries
    }

    /// The index of the last entry, which is also the number of entries (0: empty log).
    pub fn last_index(&self) -> Index {
        self.inner.entries.len() as Index
    }

    /// The term of the last entry (0: empty log).
    pub fn last_term(&self) -> Term {
        self.entries().last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`; index 0 has term 0, past the end has none.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries().get(index as usize - 1).map(|e| e.term)
    }

    /// The entry at `index`; `None` for index 0 and past the end.
    pub fn get(&self, index: Index) -> Option<&Entry<C>> {
        if index == 0 {
            return None;
        }
        self.entries().get(index as usize - 1)
    }

    /// Entries `from ..= to` (clamped to the log).
    pub fn slice(&self, from: Index, to: Index) -> &[Entry<C>] {
        let start = (from.max(1) - 1) as usize;
        let entries = self.entries();
        let end = (to as usize).min(entries.len());
        if start >= end {
            return &[];
        }
        &entries[start..end]
    }

    /// Append `entry` and return its index. Does not check its term against the last one.
    pub fn push(&mut self, entry: Entry<C>) -> Index {
        let log = Arc::make_mut(&mut self.inner);
        let previous = log.chain.last().copied().unwrap_or(0);
        log.chain.push(link(previous, &entry));
        log.entries.push(entry);
        self.last_index()
    }

    /// Drop every entry at `index` or later.
    pub fn truncate_from(&mut self, index: Index) {
        let keep = index.max(1) as usize - 1;
        if keep >= self.inner.entries.len() {
            return;
        }
        let log = Arc::make_mut(&mut self.inner);
        log.entries.truncate(keep);
        log.chain.truncate(keep);
    }

    /// The first index holding an entry of `term` at or before `index` (for fast back-off).
    pub fn first_index_of_term(&self, term: Term, index: Index) -> Index {
        let mut first = index;
        while first > 1 && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if the log has one.
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        self.entries()
            .iter()
            .rposition(|e| e.term == term)
            .map(|p| p as Index + 1)
    }

    /// Figure 2's "at least as up-to-date" comparison: later last term wins, then longer log.
    pub fn is_up_to_date(&self, last_index: Index, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Payload;

    fn e(term: Term, c: u8) -> Entry<u8> {
        Entry {
            term,
            payload: Payload::Command(c),
        }
    }

    /// The running digests after any appends and truncations are those of a log built from
    /// the same entries at once, and tell different prefixes apart.
    #[test]
    fn prefix_digests_follow_appends_and_truncations() {
        let mut log = RaftLog::from_entries(vec![e(1, 1), e(1, 2), e(2, 3)]);
        log.truncate_from(2);
        log.push(e(3, 9));
        let rebuilt = RaftLog::from_entries(vec![e(1, 1), e(3, 9)]);
        assert_eq!(log, rebuilt);
        assert_eq!(log.prefix_digest(2), rebuilt.prefix_digest(2));
        assert_eq!(log.prefix_digest(3), None);
        assert_eq!(log.prefix_digest(0), Some(0));
        let other = RaftLog::from_entries(vec![e(1, 1), e(3, 8)]);
        assert_eq!(log.prefix_digest(1), other.prefix_digest(1));
        assert_ne!(log.prefix_digest(2), other.prefix_digest(2));
        let reordered = RaftLog::from_entries(vec![e(3, 9), e(1, 1)]);
        assert_ne!(log.prefix_digest(2), reordered.prefix_digest(2));
    }
}
