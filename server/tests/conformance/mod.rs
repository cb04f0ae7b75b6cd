//! The storage conformance suite: a plain model of what a `Storage` must hold, the steps
//! every store runs, and the simulator's disk seen as a `Storage`.
use std::sync::Arc;
use verraft_core::{
    Config, Entry, HardState, Index, LogWrite, MemStorage, Payload, Snapshot, SnapshotMeta,
    StateMachine, Storage, StorageError, Term,
};
use verraft_kv::{KvCommand, KvNode, KvOp, KvStore};
use verraft_sim::disk::{Disk, PendingWrite};

pub fn entry(term: u64, n: u64) -> Entry<KvCommand> {
    Entry {
        term,
        payload: if n.is_multiple_of(5) {
            Payload::Noop
        } else {
            Payload::Command(KvCommand {
                client: n % 3,
                seq: n,
                op: KvOp::Put {
                    key: format!("k{n}").into(),
                    value: "v".repeat((n % 40) as usize).into(),
                },
            })
        },
    }
}

/// What the storage should hold. Written apart from `MemStorage` (a list of entries after
/// the snapshot and the rules of the `Storage` contract), so that `MemStorage` is checked
/// too, not taken as its own reference.
#[derive(Default, Clone)]
struct Model {
    hs: HardState,
    snapshot: Option<Snapshot>,
    /// The entries after the snapshot's index.
    log: Vec<Entry<KvCommand>>,
}

impl Model {
    fn base(&self) -> Index {
        self.snapshot.as_ref().map_or(0, |s| s.meta.index)
    }

    fn last(&self) -> Index {
        self.base() + self.log.len() as Index
    }

    /// The outcome the contract gives `write`, applied to the model when it succeeds.
    fn write(&mut self, write: &LogWrite<KvCommand>) -> Result<(), StorageError> {
        let (from, base, last) = (write.from, self.base(), self.last());
        if from == 0 || from > last + 1 {
            return Err(StorageError::Gap { from, last });
        }
        if from <= base {
            return Err(StorageError::Compacted {
                from,
                snapshot: base,
            });
        }
        self.log.truncate((from - base - 1) as usize);
        self.log.extend(write.entries.iter().cloned());
        Ok(())
    }

    /// A snapshot no newer than the stored one changes nothing; a newer one drops every
    /// entry it covers (the whole log when it ends before the snapshot's index).
    fn save_snapshot(&mut self, snapshot: &Snapshot) {
        let base = self.base();
        let index = snapshot.meta.index;
        if index <= base {
            return;
        }
        let covered = ((index - base) as usize).min(self.log.len());
        self.log.drain(..covered);
        self.snapshot = Some(snapshot.clone());
    }

    /// The term of the entry at `index`, or the current term past the log's end (where a
    /// snapshot a leader sent may stand).
    fn term_at(&self, index: Index) -> Term {
        let base = self.base();
        match index.checked_sub(base + 1) {
            Some(i) if (i as usize) < self.log.len() => self.log[i as usize].term,
            Some(_) => self.hs.term,
            None => self.snapshot.as_ref().map_or(0, |s| s.meta.term),
        }
    }

    /// A snapshot at `index` holding a real store (its key `at` names the index), as a node
    /// would hand it out: restarting from it must restore that store.
    fn snapshot_at(&self, index: Index) -> Snapshot {
        let mut store = KvStore::new();
        let put = KvOp::Put {
            key: "at".into(),
            value: index.to_string().into(),
        };
        store.apply(
            index,
            &KvCommand {
                client: 1,
                seq: 1,
                op: put,
            },
        );
        Snapshot {
            meta: SnapshotMeta {
                index,
                term: self.term_at(index),
                digest: index.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            },
            data: Arc::from(store.snapshot().unwrap()),
            membership: None,
        }
    }
}

fn check<S: Storage<KvCommand>>(s: &S, m: &Model, when: &str) {
    assert_eq!(s.hard_state(), Ok(m.hs), "{when}: hard state");
    assert_eq!(s.snapshot(), Ok(m.snapshot.clone()), "{when}: snapshot");
    let (base, last) = (m.base(), m.last());
    assert_eq!(s.last_index(), Ok(last), "{when}: last index");
    // Entries covered by the snapshot are gone: a read from 1 starts after it.
    assert_eq!(s.entries(1, last), Ok(m.log.clone()), "{when}: whole log");
    assert_eq!(s.entries(0, 0), Ok(vec![]), "{when}: empty range");
    assert_eq!(s.entries(base, base), Ok(vec![]), "{when}: snapshot index");
    assert_eq!(
        s.entries(last + 1, last + 5),
        Ok(vec![]),
        "{when}: past the end"
    );
    if m.log.len() >= 2 {
        assert_eq!(
            s.entries(base + 2, last + 10),
            Ok(m.log[1..].to_vec()),
            "{when}: clamped range"
        );
        assert_eq!(
            s.entries(last, last - 1),
            Ok(vec![]),
            "{when}: reversed range"
        );
        assert_eq!(
            s.entries(base + 2, base + 2),
            Ok(vec![m.log[1].clone()]),
            "{when}: one entry"
        );
    }
    restarts(s, m, when);
}

/// A node restarted from the store alone comes back with its term, vote, snapshot (the
/// store restored from it) and the log after it: the path every crashed node takes.
fn restarts<S: Storage<KvCommand>>(s: &S, m: &Model, when: &str) {
    let config = Config::new(1, 1..=3);
    let node = KvNode::restart(config, s, KvStore::new())
        .unwrap_or_else(|e| panic!("{when}: restart refused: {e}"));
    assert_eq!(node.term(), m.hs.term, "{when}: restarted term");
    assert_eq!(node.voted_for(), m.hs.voted_for, "{when}: restarted vote");
    let meta = m.snapshot.as_ref().map(|s| s.meta).unwrap_or_default();
    assert_eq!(node.snapshot(), meta, "{when}: restarted snapshot");
    assert_eq!(node.log(), m.log.as_slice(), "{when}: restarted log");
    assert_eq!(node.last_index(), m.last(), "{when}: restarted last index");
    assert_eq!(
        node.applied_index(),
        meta.index,
        "{when}: restarted applied"
    );
    let at = (meta.index > 0).then(|| meta.index.to_string());
    assert_eq!(
        node.state_machine().get("at"),
        at.as_deref(),
        "{when}: the store restored from the snapshot"
    );
}

/// The steps every store runs against the model: writes, refused writes, snapshots.
struct Run<S, R> {
    s: Option<S>,
    m: Model,
    reopen: R,
}

impl<S: Storage<KvCommand>, R: Fn(S) -> S> Run<S, R> {
    fn s(&mut self) -> &mut S {
        self.s.as_mut().expect("a store between steps")
    }

    fn check(&self, when: &str) {
        let s = self.s.as_ref().expect("a store between steps");
        check(s, &self.m, when);
    }

    /// Close the store cleanly and open it again from what it persisted, then check it.
    fn reopen(&mut self, when: &str) {
        let s = self.s.take().expect("a store between steps");
        self.s = Some((self.reopen)(s));
        self.check(&format!("{when}, reopened"));
    }

    fn hard_state(&mut self, hs: HardState) {
        self.s().save_hard_state(hs).unwrap();
        self.m.hs = hs;
    }

    /// Write to the store and the model: both accept it alike, or both refuse it with the
    /// same error (and a refused write changes nothing).
    fn write(&mut self, from: Index, entries: Vec<Entry<KvCommand>>) -> Result<(), StorageError> {
        let write = LogWrite { from, entries };
        let expected = self.m.write(&write);
        assert_eq!(self.s().write_log(write), expected, "write at {from}");
        expected
    }

    fn snapshot(&mut self, index: Index) {
        let snapshot = self.m.snapshot_at(index);
        self.m.save_snapshot(&snapshot);
        self.s().save_snapshot(snapshot).unwrap();
    }
}

/// Run the suite. `fresh` makes an empty store; `reopen` closes one cleanly (after making
/// everything written durable) and opens it again from what it persisted.
pub fn conformance<S: Storage<KvCommand>>(fresh: impl FnOnce() -> S, reopen: impl Fn(S) -> S) {
    let mut r = Run {
        s: Some(fresh()),
        m: Model::default(),
        reopen,
    };
    r.check("empty");
    r.reopen("empty");
    edges(&mut r);
    snapshot_edges(&mut r);
    random(&mut r);
    r.reopen("at the end");
}

/// Hand-written cases first: the edges of writing and truncating.
fn edges<S: Storage<KvCommand>, R: Fn(S) -> S>(r: &mut Run<S, R>) {
    r.hard_state(HardState {
        term: 3,
        voted_for: Some(2),
    });
    r.write(1, (1..=6).map(|n| entry(1, n)).collect()).unwrap();
    r.check("first append");
    // A conflicting suffix replaced, shorter than what it replaces.
    r.write(4, vec![entry(2, 40)]).unwrap();
    r.check("truncating append");
    // A write of no entries truncates.
    r.write(3, vec![]).unwrap();
    r.check("truncation alone");
    r.reopen("after truncations");
    // Refused writes change nothing, in memory or on disk.
    let last = r.m.last();
    assert!(matches!(
        r.write(last + 2, vec![entry(3, 1)]),
        Err(StorageError::Gap { .. })
    ));
    assert!(r.write(0, vec![entry(3, 1)]).is_err());
    r.check("after refused writes");
    r.reopen("after refused writes");
    // The latest hard state wins, a vote cleared included.
    for (term, vote) in [(4, None), (4, Some(1)), (5, None)] {
        r.hard_state(HardState {
            term,
            voted_for: vote,
        });
    }
    r.reopen("after hard states");
}

/// Snapshots: in the middle of the log, refused writes into it, older ones ignored, the log
/// emptied up to it, and one past the log's end.
fn snapshot_edges<S: Storage<KvCommand>, R: Fn(S) -> S>(r: &mut Run<S, R>) {
    let first = r.m.last() + 1;
    r.write(first, (0..8).map(|i| entry(5, 50 + i)).collect())
        .unwrap();
    let base = r.m.last() - 5;
    r.snapshot(base);
    assert_eq!(r.m.log.len(), 5);
    r.check("a snapshot in the middle of the log");
    r.reopen("a snapshot in the middle of the log");
    // Writes into the snapshot are refused as compacted; past the end, as a gap on the
    // absolute index.
    for from in [1, base - 1, base] {
        let refused = r.write(from, vec![entry(5, 1)]);
        assert_eq!(
            refused,
            Err(StorageError::Compacted {
                from,
                snapshot: base
            })
        );
    }
    let last = r.m.last();
    assert_eq!(
        r.write(last + 2, vec![entry(5, 1)]),
        Err(StorageError::Gap {
            from: last + 2,
            last
        })
    );
    r.check("after writes into the snapshot");
    r.reopen("after writes into the snapshot");
    // An older snapshot, and another at the same index, change nothing (each differs from
    // the stored one in its digest, so a store that took it would show it).
    for older in [base - 2, base] {
        let mut stale = r.m.snapshot_at(older);
        stale.meta.digest ^= 1;
        r.s().save_snapshot(stale).unwrap();
    }
    r.check("after older snapshots");
    r.reopen("after older snapshots");
    // Truncating just after the snapshot leaves no entry: the log ends at the snapshot.
    r.write(base + 1, vec![]).unwrap();
    assert_eq!(r.m.last(), base);
    r.check("a log emptied down to its snapshot");
    r.reopen("a log emptied down to its snapshot");
    r.write(base + 1, (0..4).map(|i| entry(5, 60 + i)).collect())
        .unwrap();
    // A snapshot past the end (one a leader sent) empties the log; writes go on after it.
    let past = r.m.last() + 3;
    r.snapshot(past);
    assert!(r.m.log.is_empty());
    r.check("a snapshot past the log's end");
    r.reopen("a snapshot past the log's end");
    r.write(past + 1, vec![entry(5, 70)]).unwrap();
    r.check("written after a snapshot past the end");
}

/// Then a long pseudo-random run of appends, truncations, refused writes and snapshots
/// (newer, older, inside the log and past its end), reopened now and then.
fn random<S: Storage<KvCommand>, R: Fn(S) -> S>(r: &mut Run<S, R>) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for step in 0..300 {
        let (base, last) = (r.m.base(), r.m.last());
        let from = match next() % 16 {
            // Anywhere: into the snapshot too (refused), or a truncation.
            0..=3 => 1 + next() % (last + 1),
            4 => last + 2,
            _ => last + 1,
        };
        let term = r.m.hs.term;
        let entries: Vec<_> = (0..next() % 70)
            .map(|i| entry(term, step * 100 + i))
            .collect();
        let _ = r.write(from, entries);
        if next().is_multiple_of(7) {
            r.m.hs.term += 1;
            let hs = r.m.hs;
            r.s().save_hard_state(hs).unwrap();
        }
        if next().is_multiple_of(6) {
            // From just below the stored snapshot to just past the log's end.
            let last = r.m.last();
            let index = base.saturating_sub(1) + next() % (last + 4 - base.saturating_sub(1));
            r.snapshot(index.max(1));
        }
        if step % 50 == 49 {
            r.reopen(&format!("random step {step}"));
        }
        r.check(&format!("random step {step}"));
    }
}

/// The simulator's disk as a `Storage`: each call is one record of a node's output, and
/// every third record is written synced (covering those pending before it); the others stay
/// pending, as the simulator leaves them until a sync. Reads see the durable state with the
/// pending records on top, as a process reads its own unsynced writes back.
pub struct SimDisk {
    disk: Disk,
    records: u64,
}

impl SimDisk {
    pub fn new(disk: Disk) -> SimDisk {
        SimDisk { disk, records: 0 }
    }

    pub fn into_disk(self) -> Disk {
        self.disk
    }

    /// What the disk will hold once its pending records are written, read from a copy: the
    /// disk itself is left as it is.
    fn view(&self) -> Result<MemStorage<KvCommand>, StorageError> {
        let mut disk = self.disk.clone();
        disk.sync()?;
        Ok(MemStorage::clone(&disk.durable))
    }

    fn record(&mut self, write: PendingWrite) -> Result<(), StorageError> {
        self.records += 1;
        let sync = self.records.is_multiple_of(3);
        if !sync {
            // A pending record is only checked when it reaches the durable state, where a
            // refused one would also lose every record after it: check it now, against what
            // the disk will hold, as a store must refuse a bad write at once. A synced
            // record the disk checks itself.
            let mut view = self.view()?;
            if let Some(snapshot) = &write.snapshot {
                view.save_snapshot(snapshot.clone())?;
            }
            if let Some(log) = &write.log {
                view.write_log(log.clone())?;
            }
        }
        self.disk.write(write, sync)
    }
}

impl Storage<KvCommand> for SimDisk {
    fn hard_state(&self) -> Result<HardState, StorageError> {
        self.view()?.hard_state()
    }

    fn last_index(&self) -> Result<Index, StorageError> {
        self.view()?.last_index()
    }

    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<KvCommand>>, StorageError> {
        self.view()?.entries(from, to)
    }

    fn snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        self.view()?.snapshot()
    }

    fn save_snapshot(&mut self, snapshot: Snapshot) -> Result<(), StorageError> {
        self.record(PendingWrite {
            snapshot: Some(snapshot),
            ..PendingWrite::default()
        })
    }

    fn save_hard_state(&mut self, hs: HardState) -> Result<(), StorageError> {
        self.record(PendingWrite {
            hard_state: Some(hs),
            ..PendingWrite::default()
        })
    }

    fn write_log(&mut self, write: LogWrite<KvCommand>) -> Result<(), StorageError> {
        self.record(PendingWrite {
            log: Some(write),
            ..PendingWrite::default()
        })
    }
}
