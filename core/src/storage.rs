//! Durable state. The node never touches storage itself: it hands out `Ready` batches that the
//! driver writes here, and a crashed node is rebuilt from what this holds alone.
use crate::snapshot::Snapshot;
use crate::types::{Data, Entry, HardState, Index};
use serde::{Deserialize, Serialize};

/// A change to the durable log: drop every entry at `from` or later, then append `entries`
/// (so the first appended entry lands at `from`).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct LogWrite<C> {
    /// The first index written (at least 1, and at most one past the stored log's end).
    /// Every stored entry at `from` or later is dropped: it conflicted with the leader's log,
    /// or is being rewritten with the same content.
    pub from: Index,
    /// The entries to store at `from`, `from + 1`, ...; the stored log ends with them.
    pub entries: Vec<Entry<C>>,
}

impl<C> LogWrite<C> {
    /// The index and term of the last entry this write leaves in the log, to report to
    /// `Node::log_synced` once the write is durable (`None` for a write of no entries).
    pub fn last(&self) -> Option<(Index, crate::types::Term)> {
        let last = self.entries.last()?;
        Some((self.from + self.entries.len() as Index - 1, last.term))
    }
}

/// Why a [`Storage`] call failed. After a failed write the driver must not send that
/// batch's messages (they may promise what was not written); stopping the node and
/// restarting it from storage is the safe way on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// A [`LogWrite`] started past the end of the stored log (or at index 0). The node never
    /// hands out such a write, so this means writes were lost, skipped or reordered.
    #[error("log write at index {from} would leave a gap after the last stored index {last}")]
    Gap {
        /// Where the refused write started.
        from: Index,
        /// The index of the last stored entry (0: empty log).
        last: Index,
    },
    /// A [`LogWrite`] started at or before the stored snapshot's index: those entries were
    /// compacted away, and the node never rewrites them.
    #[error(
        "log write at index {from} would rewrite entries compacted into the snapshot at {snapshot}"
    )]
    Compacted {
        /// Where the refused write started.
        from: Index,
        /// The index of the stored snapshot.
        snapshot: Index,
    },
    /// The medium failed (a disk error, for a store that has a disk), described for people.
    #[error("storage failure: {0}")]
    Io(String),
}

/// Read and write access to one node's durable state: term and vote, the latest snapshot,
/// and the log entries after it.
///
/// Reads are ranged, so a store on disk need not load its whole log to answer one. (The node
/// itself keeps the entries after its snapshot in memory; snapshots are what bound them.)
pub trait Storage<C> {
    /// The stored term and vote.
    fn hard_state(&self) -> Result<HardState, StorageError>;
    /// The index of the last stored entry, or of the snapshot when no entry follows it (0
    /// when nothing is stored).
    fn last_index(&self) -> Result<Index, StorageError>;
    /// The stored entries `from ..= to`, in order (clamped to what is stored: never an entry
    /// at or before the snapshot's index).
    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<C>>, StorageError>;
    /// The stored snapshot, if one was saved.
    fn snapshot(&self) -> Result<Option<Snapshot>, StorageError>;
    /// Save `snapshot` (from [`Ready::snapshot`](crate::Ready::snapshot)) and drop every
    /// stored entry at or before its index, atomically: after a crash the store holds either
    /// the old snapshot and log or the new ones. Entries after its index are kept; when the
    /// stored log ends before it, the log is left empty and [`Storage::last_index`] gives
    /// the snapshot's index. A snapshot no newer than the stored one changes nothing.
    fn save_snapshot(&mut self, snapshot: Snapshot) -> Result<(), StorageError>;
    /// Replace the stored term and vote.
    fn save_hard_state(&mut self, hs: HardState) -> Result<(), StorageError>;
    /// Apply a write from `Ready`. It is taken by value: the driver is done with it, and a
    /// store that keeps entries in memory moves them in instead of copying each one.
    fn write_log(&mut self, write: LogWrite<C>) -> Result<(), StorageError>;
}

/// Storage in memory: the simulator's disk and the unit tests' storage.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct MemStorage<C> {
    /// The saved term and vote (default: term 0, no vote).
    pub hard_state: HardState,
    /// The saved snapshot (`None`: none yet, the log starts at index 1).
    pub snapshot: Option<Snapshot>,
    /// The stored entries after the snapshot; the entry at index `i` is
    /// `log[i - snapshot_index() - 1]`. Public so that tests and simulators can inspect it,
    /// or damage it to test recovery, without going through [`Storage`].
    pub log: Vec<Entry<C>>,
}

impl<C> Default for MemStorage<C> {
    fn default() -> Self {
        MemStorage {
            hard_state: HardState::default(),
            snapshot: None,
            log: Vec::new(),
        }
    }
}

impl<C> MemStorage<C> {
    /// The index of the stored snapshot (0: none).
    pub fn snapshot_index(&self) -> Index {
        self.snapshot.as_ref().map_or(0, |s| s.meta.index)
    }

    /// The stored entry at `index`, if it is stored (not inside the snapshot, not past the end).
    pub fn entry(&self, index: Index) -> Option<&Entry<C>> {
        let offset = index.checked_sub(self.snapshot_index() + 1)?;
        self.log.get(offset as usize)
    }
}

impl<C: Data> Storage<C> for MemStorage<C> {
    fn hard_state(&self) -> Result<HardState, StorageError> {
        Ok(self.hard_state)
    }

    fn last_index(&self) -> Result<Index, StorageError> {
        Ok(self.snapshot_index() + self.log.len() as Index)
    }

    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<C>>, StorageError> {
        let base = self.snapshot_index();
        let start = (from.max(base + 1) - base - 1) as usize;
        let end = (to.saturating_sub(base) as usize).min(self.log.len());
        Ok(self.log.get(start..end).unwrap_or_default().to_vec())
    }

    fn snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        Ok(self.snapshot.clone())
    }

    fn save_snapshot(&mut self, snapshot: Snapshot) -> Result<(), StorageError> {
        let base = self.snapshot_index();
        let index = snapshot.meta.index;
        if index <= base {
            return Ok(());
        }
        let drop = (index - base) as usize;
        if drop >= self.log.len() {
            self.log.clear();
        } else {
            self.log.drain(..drop);
        }
        self.snapshot = Some(snapshot);
        Ok(())
    }

    fn save_hard_state(&mut self, hs: HardState) -> Result<(), StorageError> {
        self.hard_state = hs;
        Ok(())
    }

    fn write_log(&mut self, write: LogWrite<C>) -> Result<(), StorageError> {
        let base = self.snapshot_index();
        let last = base + self.log.len() as Index;
        if write.from == 0 || write.from > last + 1 {
            return Err(StorageError::Gap {
                from: write.from,
                last,
            });
        }
        if write.from <= base {
            return Err(StorageError::Compacted {
                from: write.from,
                snapshot: base,
            });
        }
        self.log.truncate((write.from - base - 1) as usize);
        self.log.extend(write.entries);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Payload;

    fn e(term: u64) -> Entry<u8> {
        Entry {
            term,
            payload: Payload::Noop,
        }
    }

    #[test]
    fn log_write_truncates_then_appends() {
        let mut s = MemStorage::<u8>::default();
        s.write_log(LogWrite {
            from: 1,
            entries: vec![e(1), e(1), e(1)],
        })
        .unwrap();
        s.write_log(LogWrite {
            from: 2,
            entries: vec![e(2)],
        })
        .unwrap();
        assert_eq!(s.log, vec![e(1), e(2)]);
    }

    #[test]
    fn entries_are_read_by_range() {
        let mut s = MemStorage::<u8>::default();
        s.write_log(LogWrite {
            from: 1,
            entries: vec![e(1), e(2), e(3)],
        })
        .unwrap();
        assert_eq!(s.last_index(), Ok(3));
        assert_eq!(s.entries(2, 3), Ok(vec![e(2), e(3)]));
        assert_eq!(s.entries(0, 1), Ok(vec![e(1)]));
        assert_eq!(s.entries(3, 9), Ok(vec![e(3)]));
        assert_eq!(s.entries(4, 9), Ok(vec![]));
        assert_eq!(s.entries(3, 2), Ok(vec![]));
    }

    fn snapshot_at(index: Index, term: u64) -> Snapshot {
        Snapshot {
            meta: crate::SnapshotMeta {
                index,
                term,
                digest: index,
            },
            data: std::sync::Arc::from(&b"state"[..]),
            membership: None,
        }
    }

    /// A snapshot drops the entries it covers and keeps those after it; reads and writes
    /// go by absolute index; a write into the snapshot and an older snapshot are refused
    /// or ignored.
    #[test]
    fn a_snapshot_compacts_the_stored_log() {
        let mut s = MemStorage::<u8>::default();
        s.write_log(LogWrite {
            from: 1,
            entries: vec![e(1), e(1), e(2), e(2)],
        })
        .unwrap();
        s.save_snapshot(snapshot_at(2, 1)).unwrap();
        assert_eq!(s.last_index(), Ok(4));
        assert_eq!(s.entries(1, 9), Ok(vec![e(2), e(2)]));
        assert_eq!(s.entry(3), Some(&e(2)));
        assert_eq!(s.entry(2), None);
        assert_eq!(
            s.write_log(LogWrite {
                from: 2,
                entries: vec![e(3)]
            }),
            Err(StorageError::Compacted {
                from: 2,
                snapshot: 2
            })
        );
        s.write_log(LogWrite {
            from: 4,
            entries: vec![e(3)],
        })
        .unwrap();
        assert_eq!(s.entries(3, 4), Ok(vec![e(2), e(3)]));
        s.save_snapshot(snapshot_at(1, 1)).unwrap();
        assert_eq!(s.snapshot_index(), 2, "an older snapshot changes nothing");
        // A snapshot past the stored log empties it.
        s.save_snapshot(snapshot_at(7, 3)).unwrap();
        assert_eq!(s.last_index(), Ok(7));
        assert!(s.log.is_empty());
        s.write_log(LogWrite {
            from: 8,
            entries: vec![e(3)],
        })
        .unwrap();
        assert_eq!(s.entries(0, 9), Ok(vec![e(3)]));
    }

    #[test]
    fn log_write_past_the_end_is_an_error() {
        let mut s = MemStorage::<u8>::default();
        let err = s.write_log(LogWrite {
            from: 3,
            entries: vec![e(1)],
        });
        assert_eq!(err, Err(StorageError::Gap { from: 3, last: 0 }));
    }
}
