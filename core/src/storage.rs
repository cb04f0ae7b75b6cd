//! Durable state. The node never touches storage itself: it hands out `Ready` batches that the
//! driver writes here, and a crashed node is rebuilt from what this holds alone.
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
    /// The medium failed (a disk error, for a store that has a disk), described for people.
    #[error("storage failure: {0}")]
    Io(String),
}

/// Read and write access to one node's durable state.
///
/// Reads are ranged, so a store on disk need not load its whole log to answer one. (The node
/// itself still keeps its log in memory, from restart on; log compaction is what will bound
/// that. Until then a long-running node's memory grows with its log.)
pub trait Storage<C> {
    /// The stored term and vote.
    fn hard_state(&self) -> Result<HardState, StorageError>;
    /// The index of the last stored entry (0 when the log is empty).
    fn last_index(&self) -> Result<Index, StorageError>;
    /// The stored entries `from ..= to`, in order (clamped to what is stored).
    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<C>>, StorageError>;
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
    /// The stored log; the entry at index `i` is `log[i - 1]`. Public so that tests and
    /// simulators can inspect it, or damage it to test recovery, without going through
    /// [`Storage`].
    pub log: Vec<Entry<C>>,
}

impl<C> Default for MemStorage<C> {
    fn default() -> Self {
        MemStorage {
            hard_state: HardState::default(),
            log: Vec::new(),
        }
    }
}

impl<C: Data> Storage<C> for MemStorage<C> {
    fn hard_state(&self) -> Result<HardState, StorageError> {
        Ok(self.hard_state)
    }

    fn last_index(&self) -> Result<Index, StorageError> {
        Ok(self.log.len() as Index)
    }

    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<C>>, StorageError> {
        let start = (from.max(1) - 1) as usize;
        let end = (to as usize).min(self.log.len());
        Ok(self.log.get(start..end).unwrap_or_default().to_vec())
    }

    fn save_hard_state(&mut self, hs: HardState) -> Result<(), StorageError> {
        self.hard_state = hs;
        Ok(())
    }

    fn write_log(&mut self, write: LogWrite<C>) -> Result<(), StorageError> {
        let last = self.log.len() as Index;
        if write.from == 0 || write.from > last + 1 {
            return Err(StorageError::Gap {
                from: write.from,
                last,
            });
        }
        self.log.truncate(write.from as usize - 1);
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
