//! A node's disk: what is durable, and the writes the node did not ask to sync. Those stay
//! pending, however many events later, until a synced write (an fsync covers everything
//! written before it) or the operating system (`sync nN`) makes them durable. A crash in
//! keep-unsynced mode (the process dies, the operating system lives) keeps them all; in
//! lose-unsynced mode (power loss) it keeps any prefix of them, down to a prefix of one
//! record (a torn write), and loses the rest. A correct node syncs every write before it
//! sends or acknowledges anything, so it never leaves any; only a bug does.
use crate::config::CrashMode;
use crate::memo::Memo;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verraft_core::{HardState, LogWrite, MemStorage, Snapshot, Storage, StorageError};
use verraft_kv::KvCommand;

/// One write not yet synced: a record holding a snapshot, the term and vote, and/or a log
/// change, in the order a node's output lists them (and a torn write keeps them).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct PendingWrite {
    pub snapshot: Option<Snapshot>,
    pub hard_state: Option<HardState>,
    pub log: Option<LogWrite<KvCommand>>,
}

impl PendingWrite {
    fn is_empty(&self) -> bool {
        self.snapshot.is_none() && self.hard_state.is_none() && self.log.is_none()
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Disk {
    /// Shared between the clones of a world until this disk is written (copy on write).
    pub durable: Arc<Memo<MemStorage<KvCommand>>>,
    /// Writes not yet synced, oldest first.
    pub unsynced: Vec<PendingWrite>,
}

impl Disk {
    /// Write a node's output; `sync` makes it, and everything pending before it, durable.
    pub fn write(&mut self, write: PendingWrite, sync: bool) -> Result<(), StorageError> {
        if write.is_empty() {
            return Ok(());
        }
        if sync {
            self.sync()?;
            self.apply(write)
        } else {
            self.unsynced.push(write);
            Ok(())
        }
    }

    /// Every pending write becomes durable, in order.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        for write in std::mem::take(&mut self.unsynced) {
            self.apply(write)?;
        }
        Ok(())
    }

    /// The lowest log index the pending writes change, if they change the log (a snapshot
    /// changes it from just after its index: the entries it covers are not lost, but are
    /// no longer entries).
    pub fn lowest_pending_from(&self) -> Option<verraft_core::Index> {
        self.unsynced.iter().filter_map(lowest_from).min()
    }

    /// How many parts the pending writes have, in order: each one's term and vote, then
    /// each of its entries. A crash that loses unsynced writes keeps any number of them
    /// from 0 to this (`crash_keeping`).
    pub fn pending_units(&self) -> u32 {
        self.unsynced.iter().map(units).sum()
    }

    /// The node crashes. Keep-unsynced: every pending write survives. Lose-unsynced: none.
    pub fn crash(&mut self, mode: CrashMode) -> Result<(), StorageError> {
        match mode {
            CrashMode::KeepUnsynced => self.sync(),
            CrashMode::LoseUnsynced => {
                self.unsynced.clear();
                Ok(())
            }
        }
    }

    /// The machine loses power after the first `keep` parts of the pending writes reached
    /// the disk (see `pending_units`): whole writes, then maybe a prefix of the next one
    /// (its term and vote first, then its first entries; a write none of whose entries
    /// arrived changes no entry). The rest is lost.
    pub fn crash_keeping(&mut self, keep: u32) -> Result<(), StorageError> {
        let mut left = keep;
        for mut write in std::mem::take(&mut self.unsynced) {
            if left == 0 {
                break;
            }
            let whole = units(&write);
            if left >= whole {
                left -= whole;
                self.apply(write)?;
                continue;
            }
            // Torn: the record's first `left` parts (its snapshot, then its term and vote,
            // then its entries). A snapshot is written whole or not at all: its own file,
            // renamed into place.
            left -= u32::from(write.snapshot.is_some());
            if left == 0 {
                write.hard_state = None;
            }
            let entries_kept = left.saturating_sub(u32::from(write.hard_state.is_some()));
            write.log = write.log.and_then(|mut w| {
                w.entries.truncate(entries_kept as usize);
                (!w.entries.is_empty()).then_some(w)
            });
            self.apply(write)?;
            break;
        }
        Ok(())
    }

    fn apply(&mut self, write: PendingWrite) -> Result<(), StorageError> {
        let durable = Arc::make_mut(&mut self.durable);
        if let Some(snapshot) = write.snapshot {
            durable.save_snapshot(snapshot)?;
        }
        if let Some(hs) = write.hard_state {
            durable.save_hard_state(hs)?;
        }
        if let Some(w) = write.log {
            durable.write_log(w)?;
        }
        Ok(())
    }
}

/// The lowest log index a write changes, if it changes the log.
fn lowest_from(write: &PendingWrite) -> Option<verraft_core::Index> {
    let snapshot = write.snapshot.as_ref().map(|s| s.meta.index + 1);
    let log = write.log.as_ref().map(|w| w.from);
    match (snapshot, log) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Parts of one pending write: its snapshot, its term and vote, and each entry (a log write
/// of no entries, a bare truncation, counts as one).
fn units(write: &PendingWrite) -> u32 {
    u32::from(write.snapshot.is_some())
        + u32::from(write.hard_state.is_some())
        + write
            .log
            .as_ref()
            .map_or(0, |w| w.entries.len().max(1) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use verraft_core::{Entry, Payload};

    fn entries(terms: &[u64]) -> Vec<Entry<KvCommand>> {
        terms
            .iter()
            .map(|t| Entry {
                term: *t,
                payload: Payload::Noop,
            })
            .collect()
    }

    fn hs(term: u64) -> Option<HardState> {
        Some(HardState {
            term,
            voted_for: Some(1),
        })
    }

    fn record(hard_state: Option<HardState>, from: u64, terms: &[u64]) -> PendingWrite {
        PendingWrite {
            snapshot: None,
            hard_state,
            log: Some(LogWrite {
                from,
                entries: entries(terms),
            }),
        }
    }

    fn pending_disk() -> Disk {
        let mut d = Disk::default();
        d.write(record(hs(1), 1, &[1, 1]), false).unwrap();
        d.write(record(None, 3, &[1, 1]), false).unwrap();
        d
    }

    #[test]
    fn unsynced_writes_stay_pending_until_a_sync_covers_them() {
        let mut d = pending_disk();
        assert_eq!(d.pending_units(), 5);
        assert!(d.durable.log.is_empty());
        let term_only = PendingWrite {
            hard_state: hs(2),
            ..PendingWrite::default()
        };
        d.write(term_only, true).unwrap();
        assert_eq!(d.durable.log.len(), 4, "the synced write covered both");
        assert_eq!(d.durable.hard_state.term, 2);
        assert!(d.unsynced.is_empty());
    }

    #[test]
    fn a_power_loss_keeps_any_prefix_down_to_a_torn_record() {
        for (keep, term, entries_kept) in [
            (0, 0, 0),
            (1, 1, 0),
            (2, 1, 1),
            (3, 1, 2),
            (4, 1, 3),
            (5, 1, 4),
        ] {
            let mut d = pending_disk();
            d.crash_keeping(keep).unwrap();
            assert_eq!(d.durable.hard_state.term, term, "keep {keep}");
            assert_eq!(d.durable.log.len(), entries_kept, "keep {keep}");
            assert!(d.unsynced.is_empty());
        }
        let mut lost = pending_disk();
        lost.crash(CrashMode::LoseUnsynced).unwrap();
        assert!(lost.durable.log.is_empty());
        let mut kept = pending_disk();
        kept.crash(CrashMode::KeepUnsynced).unwrap();
        assert_eq!(kept.durable.log.len(), 4);
    }

    /// A snapshot is the first part of its record and is kept whole or not at all; the
    /// entries it covers leave the durable log with it.
    #[test]
    fn a_torn_write_keeps_its_snapshot_whole_or_not_at_all() {
        let snapshot = Snapshot {
            meta: verraft_core::SnapshotMeta {
                index: 3,
                term: 1,
                digest: 7,
            },
            data: Arc::from(&b"kv"[..]),
            membership: None,
        };
        for (keep, snapshot_index, term, stored) in
            [(0, 0, 0, 4), (1, 3, 0, 1), (2, 3, 2, 1), (3, 3, 2, 2)]
        {
            let mut d = Disk::default();
            d.write(record(hs(1), 1, &[1, 1, 1, 1]), true).unwrap();
            let write = PendingWrite {
                snapshot: Some(snapshot.clone()),
                ..record(hs(2), 5, &[2])
            };
            d.write(write, false).unwrap();
            assert_eq!(d.pending_units(), 3);
            assert_eq!(d.lowest_pending_from(), Some(4));
            d.crash_keeping(keep).unwrap();
            assert_eq!(d.durable.snapshot_index(), snapshot_index, "keep {keep}");
            assert_eq!(d.durable.hard_state.term, term.max(1), "keep {keep}");
            assert_eq!(d.durable.log.len(), stored, "keep {keep}");
        }
    }
}
