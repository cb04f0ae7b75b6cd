//! The in-memory copy of a node's log, with a running digest of every prefix.
//!
//! The log holds the entries after its snapshot's index (all of them, from index 1, until
//! the first snapshot). `chain[k]` digests entries `1 ..= start + k + 1`: each link hashes
//! the previous digest and one entry, starting from the snapshot's digest of the compacted
//! prefix. Two logs with the same digest at an index hold the same entries up to it (up to
//! 64-bit collisions), whether either has compacted them or not, so the checks that compare
//! log prefixes (Log Matching, Leader Append-Only) and the hashing of whole node states cost
//! O(1) instead of O(log length).
use crate::digest::Digester;
use crate::snapshot::SnapshotMeta;
use crate::types::{Entry, Index, Term};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The entries after the snapshot and their running digests. Behind an `Arc` in `RaftLog`:
/// copies of a node (a simulator or model checker copies one at every step) share the log
/// until one of them writes it, and most steps (votes, acknowledgements, heartbeats) never do.
#[derive(Clone, PartialEq, Eq)]
struct Chained<C> {
    /// The compacted prefix: its last index and term, and its digest.
    start: SnapshotMeta,
    entries: Vec<Entry<C>>,
    chain: Vec<u64>,
}

/// A node's log: the entries after its snapshot (`start`), with the digest of every prefix.
/// Cheap to clone (an `Arc`; a write copies only when the log is shared). Serialized as the
/// snapshot's position and the plain list of entries; the digests are rebuilt on
/// deserialization.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "LogParts<C>",
    into = "LogParts<C>",
    bound(
        serialize = "C: Clone + Serialize",
        deserialize = "C: Hash + Deserialize<'de>"
    )
)]
pub struct RaftLog<C> {
    inner: Arc<Chained<C>>,
}

/// A log as it is serialized: where it starts, and its entries.
#[derive(Serialize, Deserialize)]
struct LogParts<C> {
    start: SnapshotMeta,
    entries: Vec<Entry<C>>,
}

impl<C: fmt::Debug> fmt::Debug for RaftLog<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inner.start.index > 0 {
            write!(
                f,
                "snapshot@{}/{} ",
                self.inner.start.index, self.inner.start.term
            )?;
        }
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

impl<C: Hash> From<LogParts<C>> for RaftLog<C> {
    fn from(parts: LogParts<C>) -> Self {
        RaftLog::after_snapshot(parts.start, parts.entries)
    }
}

impl<C: Clone> From<RaftLog<C>> for LogParts<C> {
    fn from(log: RaftLog<C>) -> Self {
        let inner = Arc::unwrap_or_clone(log.inner);
        LogParts {
            start: inner.start,
            entries: inner.entries,
        }
    }
}

/// The position, length and digest of the whole log stand for the entries.
impl<C> Hash for RaftLog<C> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.inner.start.index.hash(h);
        self.inner.entries.len().hash(h);
        self.inner
            .chain
            .last()
            .unwrap_or(&self.inner.start.digest)
            .hash(h);
    }
}

impl<C: Hash> RaftLog<C> {
    /// A log that starts after the snapshot `start` and holds `entries` at indexes
    /// `start.index + 1, ...` (digests computed once, O(n)). Does not check that terms never
    /// decrease; [`Node::restart`](crate::Node::restart) does.
    pub fn after_snapshot(start: SnapshotMeta, entries: Vec<Entry<C>>) -> Self {
        let mut chain = Vec::with_capacity(entries.len());
        let mut digest = start.digest;
        for e in &entries {
            digest = link(digest, e);
            chain.push(digest);
        }
        RaftLog {
            inner: Arc::new(Chained {
                start,
                entries,
                chain,
            }),
        }
    }
}

impl<C: Clone + Hash> RaftLog<C> {
    /// A log holding `entries` at indexes 1, 2, ... (no snapshot).
    pub fn from_entries(entries: Vec<Entry<C>>) -> Self {
        RaftLog::after_snapshot(SnapshotMeta::default(), entries)
    }

    /// The compacted prefix: the index, term and digest of the last entry the snapshot
    /// covers (index 0: no snapshot).
    pub fn start(&self) -> SnapshotMeta {
        self.inner.start
    }

    /// The index of the snapshot, below which no entry is held (0: none).
    pub fn snapshot_index(&self) -> Index {
        self.inner.start.index
    }

    /// The digest of the first `len` entries (0 for none), if the log knows it: from the
    /// snapshot's index up to the last entry.
    pub fn prefix_digest(&self, len: usize) -> Option<u64> {
        let start = self.inner.start.index as usize;
        match len.checked_sub(start)? {
            0 => Some(self.inner.start.digest),
            n => self.inner.chain.get(n - 1).copied(),
        }
    }

    /// The entries after the snapshot; the entry at index `i` is at position
    /// `i - snapshot_index() - 1`.
    pub fn entries(&self) -> &[Entry<C>] {
        &self.inner.entries
    }

    /// The index of the last entry, or of the snapshot when no entry follows it (0: empty).
    pub fn last_index(&self) -> Index {
        self.inner.start.index + self.inner.entries.len() as Index
    }

    /// The term of the last entry, or of the snapshot when no entry follows it (0: empty).
    pub fn last_term(&self) -> Term {
        self.entries()
            .last()
            .map_or(self.inner.start.term, |e| e.term)
    }

    /// The position of `index` among the held entries, if it is one of them.
    fn position(&self, index: Index) -> Option<usize> {
        let offset = index.checked_sub(self.inner.start.index + 1)?;
        ((offset as usize) < self.inner.entries.len()).then_some(offset as usize)
    }

    /// The term of the entry at `index`: known for the snapshot's index (the snapshot's
    /// term; 0 for index 0 of a log without one) and every entry after it; `None` inside the
    /// snapshot and past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.inner.start.index {
            return Some(self.inner.start.term);
        }
        self.position(index).map(|p| self.inner.entries[p].term)
    }

    /// The entry at `index`; `None` inside the snapshot (index 0 included) and past the end.
    pub fn get(&self, index: Index) -> Option<&Entry<C>> {
        self.position(index).map(|p| &self.inner.entries[p])
    }

    /// Entries `from ..= to`, clamped to the held entries (those after the snapshot).
    pub fn slice(&self, from: Index, to: Index) -> &[Entry<C>] {
        let start = self.inner.start.index;
        let begin = (from.max(start + 1) - start - 1) as usize;
        let entries = self.entries();
        let end = (to.saturating_sub(start) as usize).min(entries.len());
        if begin >= end {
            return &[];
        }
        &entries[begin..end]
    }

    /// Append `entry` and return its index. Does not check its term against the last one.
    pub fn push(&mut self, entry: Entry<C>) -> Index {
        let log = Arc::make_mut(&mut self.inner);
        let previous = log.chain.last().copied().unwrap_or(log.start.digest);
        log.chain.push(link(previous, &entry));
        log.entries.push(entry);
        self.last_index()
    }

    /// Drop every entry at `index` or later (never the snapshot: an index inside it drops
    /// every entry after it).
    pub fn truncate_from(&mut self, index: Index) {
        let keep = index.saturating_sub(self.inner.start.index + 1) as usize;
        if keep >= self.inner.entries.len() {
            return;
        }
        let log = Arc::make_mut(&mut self.inner);
        log.entries.truncate(keep);
        log.chain.truncate(keep);
    }

    /// Compact the log up to `index`, which must be the snapshot's index or a held entry's:
    /// the entries up to it are dropped, those after it kept. Returns the new start.
    pub fn compact_to(&mut self, index: Index) -> Option<SnapshotMeta> {
        let start = SnapshotMeta {
            index,
            term: self.term_at(index)?,
            digest: self.prefix_digest(index as usize)?,
        };
        let drop = (index - self.inner.start.index) as usize;
        if drop > 0 {
            let log = Arc::make_mut(&mut self.inner);
            log.entries.drain(..drop);
            log.chain.drain(..drop);
            log.start = start;
        }
        Some(start)
    }

    /// Start over after the snapshot `start`, holding no entry.
    pub fn reset_to(&mut self, start: SnapshotMeta) {
        *self = RaftLog::after_snapshot(start, Vec::new());
    }

    /// The first index holding an entry of `term` at or before `index`, looking no further
    /// back than the first entry after the snapshot (for fast back-off).
    pub fn first_index_of_term(&self, term: Term, index: Index) -> Index {
        let mut first = index;
        while first > self.inner.start.index + 1 && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if the log has one (the snapshot's index
    /// counts when its term is `term`).
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        let start = &self.inner.start;
        self.entries()
            .iter()
            .rposition(|e| e.term == term)
            .map(|p| start.index + p as Index + 1)
            .or((start.index > 0 && start.term == term).then_some(start.index))
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

    /// A compacted log keeps the digests of the whole log: it compares equal, prefix by
    /// prefix, with the log it was compacted from, and answers by absolute index.
    #[test]
    fn a_compacted_log_keeps_its_indexes_and_digests() {
        let whole = RaftLog::from_entries(vec![e(1, 1), e(1, 2), e(2, 3), e(2, 4)]);
        let mut log = whole.clone();
        let start = log.compact_to(2).unwrap();
        assert_eq!((start.index, start.term), (2, 1));
        assert_eq!(start.digest, whole.prefix_digest(2).unwrap());
        assert_eq!(log.snapshot_index(), 2);
        assert_eq!(log.last_index(), 4);
        assert_eq!(log.entries(), &whole.entries()[2..]);
        assert_eq!(log.prefix_digest(4), whole.prefix_digest(4));
        assert_eq!(log.prefix_digest(2), whole.prefix_digest(2));
        assert_eq!(log.prefix_digest(1), None, "inside the snapshot");
        assert_eq!(log.term_at(2), Some(1));
        assert_eq!(log.term_at(1), None);
        assert_eq!(log.term_at(0), None);
        assert_eq!(log.get(2), None);
        assert_eq!(log.get(3), Some(&e(2, 3)));
        assert_eq!(log.slice(1, 3), &[e(2, 3)]);
        assert_eq!(log.last_index_of_term(1), Some(2));
        assert_eq!(log.first_index_of_term(2, 4), 3);
        // Appending after compaction chains from the snapshot's digest.
        let mut longer = whole.clone();
        longer.push(e(3, 5));
        log.push(e(3, 5));
        assert_eq!(log.prefix_digest(5), longer.prefix_digest(5));
        // Truncating into the snapshot keeps the snapshot.
        log.truncate_from(1);
        assert_eq!(
            (log.snapshot_index(), log.last_index(), log.last_term()),
            (2, 2, 1)
        );
        // Serialization keeps the start and rebuilds the digests.
        let json = serde_json::to_string(&longer).unwrap();
        let back: RaftLog<u8> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, longer);
        let mut compacted = longer.clone();
        compacted.compact_to(3).unwrap();
        let back: RaftLog<u8> =
            serde_json::from_str(&serde_json::to_string(&compacted).unwrap()).unwrap();
        assert_eq!(back, compacted);
        assert_eq!(back.prefix_digest(5), longer.prefix_digest(5));
    }
}
