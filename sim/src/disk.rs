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
use verraft_core::{HardState, KvCommand, LogWrite, MemStorage, Storage, StorageError};

/// One write not yet synced: a record holding the term and vote and/or a log change.
pub type PendingWrite = (Option<HardState>, Option<LogWrite<KvCommand>>);

#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Disk {
    /// Shared between the clones of a world until this disk is written (copy on write).
    pub durable: Arc<Memo<MemStorage<KvCommand>>>,
    /// Writes not yet synced, oldest first.
    pub unsynced: Vec<PendingWrite>,
}

impl Disk {
    /// Write a node's output; `sync` makes it, and everything pending before it, durable.
    pub fn write(
        &mut self,
        hs: Option<HardState>,
        log: Option<LogWrite<KvCommand>>,
        sync: bool,
    ) -> Result<(), StorageError> {
        if hs.is_none() && log.is_none() {
            return Ok(());
        }
        if sync {
            self.sync()?;
            self.apply(hs, log)
        } else {
            self.unsynced.push((hs, log));
            Ok(())
        }
    }

    /// Every pending write becomes durable, in order.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        for (hs, log) in std::mem::take(&mut self.unsynced) {
            self.apply(hs, log)?;
        }
        Ok(())
    }

    /// The lowest log index the pending writes change, if they change the log.
    pub fn lowest_pending_from(&self) -> Option<verraft_core::Index> {
        self.unsynced
            .iter()
            .filter_map(|(_, log)| log.as_ref().map(|w| w.from))
            .min()
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
        for (hs, log) in std::mem::take(&mut self.unsynced) {
            if left == 0 {
                break;
            }
            let whole = units(&(hs, log.clone()));
            if left >= whole {
                left -= whole;
                self.apply(hs, log)?;
                continue;
            }
            // Torn: the record's first `left` parts (its term and vote come first).
            let entries_kept = left - u32::from(hs.is_some());
            let log = log.and_then(|mut w| {
                w.entries.truncate(entries_kept as usize);
                (!w.entries.is_empty()).then_some(w)
            });
            self.apply(hs, log)?;
            break;
        }
        Ok(())
    }

    fn apply(
        &mut self,
        hs: Option<HardState>,
        log: Option<LogWrite<KvCommand>>,
    ) -> Result<(), StorageError> {
        let durable = Arc::make_mut(&mut self.durable);
        if let Some(hs) = hs {
            durable.save_hard_state(hs)?;
        }
        if let Some(w) = log {
            durable.write_log(w)?;
        }
        Ok(())
    }
}

/// Parts of one pending write: its term and vote, and each entry (a log write of no entries,
/// a bare truncation, counts as one).
fn units((hs, log): &PendingWrite) -> u32 {
    u32::from(hs.is_some()) + log.as_ref().map_or(0, |w| w.entries.len().max(1) as u32)
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

    fn pending_disk() -> Disk {
        let mut d = Disk::default();
        d.write(
            hs(1),
            Some(LogWrite {
                from: 1,
                entries: entries(&[1, 1]),
            }),
            false,
        )
        .unwrap();
        d.write(
            None,
            Some(LogWrite {
                from: 3,
                entries: entries(&[1, 1]),
            }),
            false,
        )
        .unwrap();
        d
    }

    #[test]
    fn unsynced_writes_stay_pending_until_a_sync_covers_them() {
        let mut d = pending_disk();
        assert_eq!(d.pending_units(), 5);
        assert!(d.durable.log.is_empty());
        d.write(hs(2), None, true).unwrap();
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
}
