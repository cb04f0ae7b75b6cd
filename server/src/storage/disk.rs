//! `DiskStorage`: a node's term, vote and log in one append-only file of checksummed
//! records, and its latest snapshot in a second file replaced atomically.
//!
//! Writes go to an in-memory buffer; [`DiskStorage::sync`] writes the buffer and fsyncs once,
//! so one fsync covers every record of a `Ready` (and of several, when the driver batches):
//! group commit. The whole log is also kept in memory, as the core keeps it anyway, so
//! `entries` never reads the disk.
//!
//! Files in the data directory:
//! - `log`: an 8-byte magic, then records ([`super::record`]), each a postcard-encoded
//!   [`Record`]. Replaying them in order rebuilds the state. On open, the first damaged record
//!   and everything after it (a torn tail) is cut from the file and reported in [`Recovery`];
//!   nothing past it is ever applied.
//! - `snapshot`: magic, one record holding the snapshot. Written to `snapshot.tmp`, synced,
//!   renamed over `snapshot`, directory synced. Saving a snapshot then rewrites `log` the same
//!   way without the entries it covers. A crash between the two renames leaves a new snapshot
//!   with the old log: on open the entries the snapshot covers are dropped again, so the
//!   state is the same either way.
use super::record::{self, Damage};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use verraft_core::snapshot::SnapshotMeta;
use verraft_core::Snapshot;
use verraft_core::{Data, Entry, HardState, Index, LogWrite, Storage, StorageError, Term};

const LOG_MAGIC: &[u8; 8] = b"VRLOG\0\0\x01";
const SNAP_MAGIC: &[u8; 8] = b"VRSNAP\0\x01";
const LOG: &str = "log";
const SNAP: &str = "snapshot";

/// One change to the durable state, as the log file stores it.
#[derive(Serialize, Deserialize)]
#[serde(bound = "C: Data")]
enum Record<C> {
    /// The term and vote from here on.
    HardState(HardState),
    /// A [`LogWrite`]: drop entries from `from` on, append `entries`.
    Write { from: Index, entries: Vec<Entry<C>> },
    /// The log is empty and starts after `index` (whose entry had `term`): written first in
    /// a log rewritten after a snapshot.
    Start { index: Index, term: Term },
}

/// [`Record`] as it is written: the same variants in the same order, so postcard encodes
/// both alike, but borrowing the entries instead of owning a copy of them.
#[derive(Serialize)]
#[serde(bound = "C: Data")]
enum RecordRef<'a, C> {
    HardState(HardState),
    Write {
        from: Index,
        entries: &'a [Entry<C>],
    },
    Start {
        index: Index,
        term: Term,
    },
}

/// Frame `rec` into `out`.
fn put<C: Data>(out: &mut Vec<u8>, rec: &RecordRef<'_, C>) -> Result<(), StorageError> {
    let body = postcard::to_allocvec(rec).map_err(|e| StorageError::Io(e.to_string()))?;
    record::frame(&body, out).map_err(|e| StorageError::Io(e.to_string()))
}

/// Frame a log write into `out`: one record, or several consecutive ones when its entries
/// would make a record over the size limit (a crash between them leaves a prefix of the
/// write, which the node never acknowledged: nothing is lost that was promised).
fn put_write<C: Data>(
    out: &mut Vec<u8>,
    from: Index,
    entries: &[Entry<C>],
) -> Result<(), StorageError> {
    put_write_within(out, from, entries, record::MAX_BODY)
}

/// [`put_write`] with records of at most `limit` bytes (small in tests).
fn put_write_within<C: Data>(
    out: &mut Vec<u8>,
    from: Index,
    entries: &[Entry<C>],
    limit: usize,
) -> Result<(), StorageError> {
    let body = postcard::to_allocvec(&RecordRef::Write { from, entries })
        .map_err(|e| StorageError::Io(e.to_string()))?;
    if body.len() <= limit {
        return record::frame(&body, out).map_err(|e| StorageError::Io(e.to_string()));
    }
    if entries.len() <= 1 {
        return Err(StorageError::Io(format!(
            "an entry of {} bytes is over the {}-byte record limit",
            body.len(),
            limit
        )));
    }
    let mid = entries.len() / 2;
    put_write_within(out, from, &entries[..mid], limit)?;
    put_write_within(out, from + mid as Index, &entries[mid..], limit)
}

/// What was cut from the end of the log file at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The file offset of the first damaged record: the file's new length.
    pub offset: u64,
    /// How many bytes were cut.
    pub dropped_bytes: u64,
    /// What was wrong with the record at `offset`.
    pub reason: String,
}

/// What opening a data directory found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Records replayed from the log file.
    pub records: usize,
    /// The damaged tail that was cut, if any (never applied).
    pub cut: Option<Cut>,
    /// Whether a snapshot file was loaded.
    pub snapshot: bool,
}

/// Why a data directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file system refused.
    #[error("{path}: {err}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        err: std::io::Error,
    },
    /// A file whose checksums hold but whose content makes no sense (wrong magic, a record
    /// that does not decode or leaves a gap, a damaged snapshot): not a torn write, so
    /// nothing is cut and the node refuses to start rather than guess.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A node's durable state on disk. See the module documentation for the format.
pub struct DiskStorage<C> {
    dir: PathBuf,
    file: File,
    hard_state: HardState,
    /// The log holds the entries after `offset` (a snapshot's index, or 0).
    offset: Index,
    offset_term: Term,
    entries: Vec<Entry<C>>,
    snapshot: Option<Snapshot>,
    /// Framed records not yet written to the file.
    pending: Vec<u8>,
    /// Set by a failed write: memory may be ahead of the disk, so every later call errs
    /// and the node must be restarted from what the disk holds.
    failed: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpenError + '_ {
    move |err| OpenError::Io {
        path: path.to_path_buf(),
        err,
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> OpenError {
    OpenError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Make a rename or a file creation in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Write `bytes` to `dir/name` atomically: a temporary file, synced, renamed over the name,
/// and the directory synced so the rename itself survives a crash.
fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

impl<C: Data> DiskStorage<C> {
    /// Open (or create) the store in `dir`, cutting a damaged tail off the log file; the
    /// [`Recovery`] says what was found and cut.
    pub fn open(dir: &Path) -> Result<(Self, Recovery), OpenError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        for tmp in [format!("{LOG}.tmp"), format!("{SNAP}.tmp")] {
            // A leftover of a crash during a rewrite; the file it was to replace is intact.
            let p = dir.join(tmp);
            if p.exists() {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        let snapshot = load_snapshot(dir)?;
        let log_path = dir.join(LOG);
        let mut bytes = Vec::new();
        if log_path.exists() {
            File::open(&log_path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .map_err(io(&log_path))?;
        }
        let mut recovery = Recovery {
            snapshot: snapshot.is_some(),
            ..Recovery::default()
        };
        if bytes.len() < LOG_MAGIC.len() {
            // Never written past its creation: start the file over.
            if !LOG_MAGIC.starts_with(&bytes) {
                return Err(corrupt(&log_path, "not a verraft log (bad magic)"));
            }
            replace_file(dir, LOG, LOG_MAGIC).map_err(io(&log_path))?;
            bytes = LOG_MAGIC.to_vec();
        }
        if &bytes[..LOG_MAGIC.len()] != LOG_MAGIC {
            return Err(corrupt(&log_path, "not a verraft log (bad magic)"));
        }
        let mut store = DiskStorage {
            dir: dir.to_path_buf(),
            file: OpenOptions::new()
                .append(true)
                .open(&log_path)
                .map_err(io(&log_path))?,
            hard_state: HardState::default(),
            offset: 0,
            offset_term: 0,
            entries: Vec::new(),
            snapshot: None,
            pending: Vec::new(),
            failed: false,
        };
        let (records, damage) = record::scan(&bytes[LOG_MAGIC.len()..]);
        for (at, body) in &records {
            let rec: Record<C> = postcard::from_bytes(body).map_err(|e| {
                corrupt(
                    &log_path,
                    format!("record at {} does not decode: {e}", at + LOG_MAGIC.len()),
                )
            })?;
            store
                .replay(rec)
                .map_err(|e| corrupt(&log_path, format!("record at {at}: {e}")))?;
        }
        recovery.records = records.len();
        if let Some((at, damage)) = damage {
            let offset = (LOG_MAGIC.len() + at) as u64;
            recovery.cut = Some(cut_tail(
                &store.file,
                &log_path,
                offset,
                bytes.len(),
                damage,
            )?);
        }
        if let Some(s) = snapshot {
            store.drop_through(s.meta.index, s.meta.term);
            store.snapshot = Some(s);
        }
        Ok((store, recovery))
    }

    fn replay(&mut self, rec: Record<C>) -> Result<(), StorageError> {
        match rec {
            Record::HardState(hs) => self.hard_state = hs,
            Record::Start { index, term } => {
                self.offset = index;
                self.offset_term = term;
                self.entries.clear();
            }
            Record::Write { from, entries } => self.apply_write(from, entries)?,
        }
        Ok(())
    }

    fn check_write(&self, from: Index) -> Result<(), StorageError> {
        let last = self.offset + self.entries.len() as Index;
        if from == 0 || from > last + 1 {
            return Err(StorageError::Gap { from, last });
        }
        if from <= self.offset {
            return Err(StorageError::Compacted {
                from,
                snapshot: self.offset,
            });
        }
        Ok(())
    }

    fn apply_write(&mut self, from: Index, entries: Vec<Entry<C>>) -> Result<(), StorageError> {
        self.check_write(from)?;
        self.entries.truncate((from - self.offset - 1) as usize);
        self.entries.extend(entries);
        Ok(())
    }

    /// Drop every entry at or before `index` (the whole log when it ends before `index`).
    fn drop_through(&mut self, index: Index, term: Term) {
        if index <= self.offset {
            return;
        }
        let keep_from = ((index - self.offset) as usize).min(self.entries.len());
        self.entries.drain(..keep_from);
        self.offset = index;
        self.offset_term = term;
    }

    fn check(&self) -> Result<(), StorageError> {
        if self.failed {
            return Err(StorageError::Io(
                "an earlier write failed; restart the node from disk".into(),
            ));
        }
        Ok(())
    }

    /// Write what `save_hard_state` and `write_log` buffered, and fsync it: everything they
    /// were given is durable when this returns. One call covers any number of them.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        self.write_pending()?;
        self.file.sync_data().map_err(|e| self.fail(e))
    }

    /// Whether records wait in memory, written by neither [`Self::sync`] nor
    /// [`Self::write_pending`] yet.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Write the buffered records without syncing (for a driver told `must_sync` is off).
    pub fn write_pending(&mut self) -> Result<(), StorageError> {
        self.check()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let res = self.file.write_all(&self.pending);
        self.pending.clear();
        res.map_err(|e| self.fail(e))
    }

    fn fail(&mut self, e: std::io::Error) -> StorageError {
        self.failed = true;
        StorageError::Io(format!("{}: {e}", self.dir.join(LOG).display()))
    }

    /// Replace the log file by one holding the current state alone.
    fn rewrite_log(&mut self) -> Result<(), StorageError> {
        self.pending.clear();
        let mut bytes = LOG_MAGIC.to_vec();
        put::<C>(&mut bytes, &RecordRef::HardState(self.hard_state))?;
        let start = RecordRef::Start {
            index: self.offset,
            term: self.offset_term,
        };
        put::<C>(&mut bytes, &start)?;
        if !self.entries.is_empty() {
            put_write(&mut bytes, self.offset + 1, &self.entries)?;
        }
        let path = self.dir.join(LOG);
        let reopened = replace_file(&self.dir, LOG, &bytes)
            .and_then(|()| OpenOptions::new().append(true).open(&path));
        match reopened {
            Ok(f) => {
                self.file = f;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The index of the first entry the log can hold (one past the snapshot's index).
    pub fn first_index(&self) -> Index {
        self.offset + 1
    }
}

fn cut_tail(
    file: &File,
    path: &Path,
    offset: u64,
    len: usize,
    damage: Damage,
) -> Result<Cut, OpenError> {
    file.set_len(offset).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    Ok(Cut {
        offset,
        dropped_bytes: len as u64 - offset,
        reason: damage.to_string(),
    })
}

fn load_snapshot(dir: &Path) -> Result<Option<Snapshot>, OpenError> {
    let path = dir.join(SNAP);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = fs::read(&path).map_err(io(&path))?;
    // The file was synced before it was renamed into place: any damage is real damage, not
    // a torn write, and the entries it covers are gone from the log. Refuse to start.
    if bytes.len() < SNAP_MAGIC.len() || &bytes[..SNAP_MAGIC.len()] != SNAP_MAGIC {
        return Err(corrupt(&path, "not a verraft snapshot (bad magic)"));
    }
    let (recs, damage) = record::scan(&bytes[SNAP_MAGIC.len()..]);
    if let Some((_, d)) = damage {
        return Err(corrupt(&path, d.to_string()));
    }
    let [(_, body)] = recs[..] else {
        return Err(corrupt(&path, format!("{} records, not one", recs.len())));
    };
    match postcard::from_bytes::<Snapshot>(body) {
        Ok(s) => Ok(Some(s)),
        // Written before snapshots carried the configuration: the cluster's membership had
        // never changed then, so the starting voters are its configuration.
        Err(e) => postcard::from_bytes::<(SnapshotMeta, Arc<[u8]>)>(body)
            .map(|(meta, data)| {
                Some(Snapshot {
                    meta,
                    data,
                    membership: None,
                })
            })
            .map_err(|_| corrupt(&path, format!("does not decode: {e}"))),
    }
}

impl<C: Data> Storage<C> for DiskStorage<C> {
    fn hard_state(&self) -> Result<HardState, StorageError> {
        self.check()?;
        Ok(self.hard_state)
    }

    fn last_index(&self) -> Result<Index, StorageError> {
        self.check()?;
        Ok(self.offset + self.entries.len() as Index)
    }

    fn entries(&self, from: Index, to: Index) -> Result<Vec<Entry<C>>, StorageError> {
        self.check()?;
        let start = from.max(self.offset + 1) - self.offset - 1;
        let end = to
            .saturating_sub(self.offset)
            .min(self.entries.len() as Index);
        if start >= end {
            return Ok(Vec::new());
        }
        Ok(self.entries[start as usize..end as usize].to_vec())
    }

    /// The stored snapshot, if any.
    fn snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        self.check()?;
        Ok(self.snapshot.clone())
    }

    /// Store `s` durably and drop every entry at or before `s.meta.index` (the whole log, with
    /// `last_index` then `s.meta.index`, when the log ends before it). Atomic: after a crash
    /// the store holds either the old state or the new one. Syncs anything buffered as well.
    /// A snapshot no newer than the stored one changes and writes nothing: taking it would
    /// leave a snapshot older than the log's start, which no restart could read back.
    fn save_snapshot(&mut self, s: Snapshot) -> Result<(), StorageError> {
        self.check()?;
        if s.meta.index <= self.snapshot.as_ref().map_or(0, |old| old.meta.index) {
            return Ok(());
        }
        let mut snap = SNAP_MAGIC.to_vec();
        let body = postcard::to_allocvec(&s).map_err(|e| StorageError::Io(e.to_string()))?;
        record::frame(&body, &mut snap).map_err(|e| StorageError::Io(e.to_string()))?;
        replace_file(&self.dir, SNAP, &snap).map_err(|e| self.fail(e))?;
        self.drop_through(s.meta.index, s.meta.term);
        self.snapshot = Some(s);
        self.rewrite_log()
    }

    fn save_hard_state(&mut self, hs: HardState) -> Result<(), StorageError> {
        self.check()?;
        put::<C>(&mut self.pending, &RecordRef::HardState(hs))?;
        self.hard_state = hs;
        Ok(())
    }

    fn write_log(&mut self, write: LogWrite<C>) -> Result<(), StorageError> {
        self.check()?;
        self.check_write(write.from)?;
        // Check and encode before changing memory: a refused write changes nothing, on
        // disk or in memory.
        let mark = self.pending.len();
        if let Err(e) = put_write(&mut self.pending, write.from, &write.entries) {
            self.pending.truncate(mark);
            return Err(e);
        }
        self.apply_write(write.from, write.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verraft_core::Payload;

    /// A write too big for one record is split into consecutive records that replay to the
    /// same log; an entry too big for any record is refused.
    #[test]
    fn an_oversized_write_is_split_into_records_that_replay_to_it() {
        let entries: Vec<Entry<String>> = (0..37)
            .map(|i| Entry {
                term: 1,
                payload: Payload::Command("x".repeat(i * 3)),
            })
            .collect();
        let mut out = Vec::new();
        put_write_within(&mut out, 1, &entries, 200).unwrap();
        let (records, damage) = record::scan(&out);
        assert_eq!(damage, None);
        assert!(records.len() > 4, "{} records", records.len());
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = DiskStorage::<String>::open(dir.path()).unwrap();
        for (_, body) in records {
            s.replay(postcard::from_bytes(body).unwrap()).unwrap();
        }
        assert_eq!(s.entries(1, 100).unwrap(), entries);
        let big = vec![Entry {
            term: 1,
            payload: Payload::Command("y".repeat(300)),
        }];
        assert!(put_write_within(&mut Vec::new(), 1, &big, 200).is_err());
    }
}
