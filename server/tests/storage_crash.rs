//! Crash at every write point of the on-disk store: the file cut at every byte of its last
//! record, every byte of it flipped, damage in an earlier record, a crash inside a snapshot,
//! and writes never synced. Every time, the damaged tail must be cut and reported (never
//! applied) and everything synced before it must be intact.
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use verraft_core::{Entry, HardState, Index, LogWrite, Payload, Storage};
use verraft_kv::{KvCommand, KvOp};
use verraft_server::storage::{DiskStorage, OpenError, Snapshot, SnapshotMeta};

fn entry(term: u64, n: u64) -> Entry<KvCommand> {
    Entry {
        term,
        payload: Payload::Command(KvCommand {
            client: 1,
            seq: n,
            op: KvOp::Append {
                key: "k".into(),
                value: format!("v{n}").into(),
            },
        }),
    }
}

fn open(dir: &Path) -> (DiskStorage<KvCommand>, verraft_server::storage::Recovery) {
    DiskStorage::open(dir).unwrap()
}

fn log_len(dir: &Path) -> u64 {
    fs::metadata(dir.join("log")).unwrap().len()
}

/// What a store shows: hard state, last index, and every entry it holds.
type State = (HardState, Index, Vec<Entry<KvCommand>>);

fn state(s: &DiskStorage<KvCommand>) -> State {
    let last = s.last_index().unwrap();
    (
        s.hard_state().unwrap(),
        last,
        s.entries(s.first_index(), last).unwrap(),
    )
}

/// A store with three synced groups; returns the directory, the state and file length after
/// the second group, and the file length after the third.
fn three_groups(root: &Path) -> (PathBuf, State, u64, u64) {
    let dir = root.join("orig");
    let (mut s, _) = open(&dir);
    s.save_hard_state(HardState {
        term: 1,
        voted_for: Some(1),
    })
    .unwrap();
    s.write_log(LogWrite {
        from: 1,
        entries: (1..=3).map(|n| entry(1, n)).collect(),
    })
    .unwrap();
    s.sync().unwrap();
    s.write_log(LogWrite {
        from: 4,
        entries: vec![entry(1, 4)],
    })
    .unwrap();
    s.sync().unwrap();
    let before = state(&s);
    let len_before = log_len(&dir);
    // The last group: a hard state and a write in one fsync, as one Ready makes them.
    s.save_hard_state(HardState {
        term: 2,
        voted_for: None,
    })
    .unwrap();
    s.write_log(LogWrite {
        from: 3,
        entries: vec![entry(2, 5), entry(2, 6)],
    })
    .unwrap();
    s.sync().unwrap();
    let len_after = log_len(&dir);
    (dir, before, len_before, len_after)
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for f in fs::read_dir(from).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), to.join(f.file_name())).unwrap();
    }
}

/// The last group is two records; a cut anywhere inside them leaves every record wholly
/// before the cut, and the store reports the rest as cut.
#[test]
fn a_log_cut_at_every_byte_of_its_last_group_recovers_the_synced_prefix() {
    let root = tempfile::tempdir().unwrap();
    let (orig, before, len_before, len_after) = three_groups(root.path());
    let mut cuts_reported = 0;
    for cut in len_before..len_after {
        let dir = root.path().join(format!("cut{cut}"));
        copy(&orig, &dir);
        OpenOptions::new()
            .write(true)
            .open(dir.join("log"))
            .unwrap()
            .set_len(cut)
            .unwrap();
        let (s, recovery) = open(&dir);
        let (hs, last, log) = state(&s);
        // The hard-state record of the last group may have survived whole: then it is
        // applied (it was written whole), and the log is the synced prefix.
        assert_eq!((last, &log), (before.1, &before.2), "cut at {cut}");
        assert!(hs == before.0 || hs.term == 2, "cut at {cut}");
        match recovery.cut {
            Some(c) => {
                cuts_reported += 1;
                assert!(
                    c.offset >= len_before && c.offset < cut,
                    "cut at {cut}: {c:?}"
                );
                assert_eq!(c.offset + c.dropped_bytes, cut);
                assert_eq!(
                    log_len(&dir),
                    c.offset,
                    "the damaged tail is cut from the file"
                );
            }
            None => assert!(cut == len_before || hs.term == 2, "cut at {cut} unreported"),
        }
        drop(s);
        // Cut once, the file is clean: a second open finds nothing to cut, and writing on
        // from the recovered state works.
        let (mut s, recovery) = open(&dir);
        assert_eq!(recovery.cut, None);
        s.write_log(LogWrite {
            from: last + 1,
            entries: vec![entry(3, 9)],
        })
        .unwrap();
        s.sync().unwrap();
        drop(s);
        let (s, recovery) = open(&dir);
        assert_eq!(recovery.cut, None);
        assert_eq!(s.last_index().unwrap(), last + 1);
    }
    assert!(cuts_reported as u64 >= len_after - len_before - 2);
    // Uncut, the whole last group is there.
    let (s, recovery) = open(&orig);
    assert_eq!(recovery.cut, None);
    assert_eq!(s.last_index().unwrap(), 4);
    assert_eq!(s.hard_state().unwrap().term, 2);
}

#[test]
fn a_flipped_byte_in_the_last_group_is_cut_and_reported() {
    let root = tempfile::tempdir().unwrap();
    let (orig, before, len_before, len_after) = three_groups(root.path());
    for at in len_before..len_after {
        let dir = root.path().join(format!("flip{at}"));
        copy(&orig, &dir);
        let mut bytes = fs::read(dir.join("log")).unwrap();
        bytes[at as usize] ^= 0x10;
        fs::write(dir.join("log"), &bytes).unwrap();
        let (s, recovery) = open(&dir);
        let cut = recovery
            .cut
            .unwrap_or_else(|| panic!("flip at {at} unreported"));
        assert!(
            cut.offset >= len_before && cut.offset <= at,
            "flip at {at}: {cut:?}"
        );
        let (_, last, log) = state(&s);
        assert_eq!((last, log), (before.1, before.2.clone()), "flip at {at}");
    }
}

#[test]
fn damage_in_an_earlier_record_cuts_everything_from_it() {
    let root = tempfile::tempdir().unwrap();
    let (orig, _, _, _) = three_groups(root.path());
    let mut bytes = fs::read(orig.join("log")).unwrap();
    bytes[16] ^= 0xff; // the first body byte of the first record (after magic and header)
    fs::write(orig.join("log"), &bytes).unwrap();
    let (s, recovery) = open(&orig);
    let cut = recovery.cut.expect("reported");
    assert_eq!(cut.offset, 8);
    assert_eq!(s.last_index().unwrap(), 0);
    assert_eq!(s.hard_state().unwrap(), HardState::default());
}

#[test]
fn a_file_that_is_not_a_log_is_refused_not_cut() {
    let root = tempfile::tempdir().unwrap();
    let (orig, _, _, _) = three_groups(root.path());
    let mut bytes = fs::read(orig.join("log")).unwrap();
    bytes[0] = b'X';
    fs::write(orig.join("log"), &bytes).unwrap();
    assert!(matches!(
        DiskStorage::<KvCommand>::open(&orig),
        Err(OpenError::Corrupt { .. })
    ));
}

#[test]
fn writes_never_synced_are_not_on_disk() {
    let root = tempfile::tempdir().unwrap();
    let (orig, _, _, len_after) = three_groups(root.path());
    let (mut s, _) = open(&orig);
    s.write_log(LogWrite {
        from: 5,
        entries: vec![entry(2, 7)],
    })
    .unwrap();
    drop(s); // a crash before the fsync (and before the write reached the file)
    assert_eq!(log_len(&orig), len_after);
    assert_eq!(open(&orig).0.last_index().unwrap(), 4);
}

fn snap(index: Index, term: u64) -> Snapshot {
    Snapshot {
        meta: SnapshotMeta {
            index,
            term,
            digest: 0xabcd,
        },
        data: vec![1, 2, 3, index as u8].into(),
        membership: None,
    }
}

#[test]
fn a_snapshot_drops_the_entries_it_covers_and_survives_reopen() {
    let root = tempfile::tempdir().unwrap();
    let (dir, _, _, _) = three_groups(root.path());
    let (mut s, _) = open(&dir);
    let tail = s.entries(3, 4).unwrap();
    s.save_snapshot(snap(2, 1)).unwrap();
    assert_eq!(s.first_index(), 3);
    assert_eq!(s.last_index().unwrap(), 4);
    assert_eq!(s.entries(1, 4).unwrap(), tail);
    assert_eq!(s.snapshot().unwrap(), Some(snap(2, 1)));
    // Writing on after the snapshot; into it is refused.
    s.write_log(LogWrite {
        from: 5,
        entries: vec![entry(2, 8)],
    })
    .unwrap();
    assert!(s
        .write_log(LogWrite {
            from: 2,
            entries: vec![entry(2, 9)]
        })
        .is_err());
    s.sync().unwrap();
    let hs = s.hard_state().unwrap();
    drop(s);
    let (s, recovery) = open(&dir);
    assert!(recovery.snapshot);
    assert_eq!(recovery.cut, None);
    assert_eq!(s.snapshot().unwrap(), Some(snap(2, 1)));
    assert_eq!(s.hard_state().unwrap(), hs);
    assert_eq!(s.last_index().unwrap(), 5);
    let mut expect = tail.clone();
    expect.push(entry(2, 8));
    assert_eq!(s.entries(0, 10).unwrap(), expect);
}

#[test]
fn a_snapshot_past_the_log_leaves_it_empty_at_the_snapshot_index() {
    let root = tempfile::tempdir().unwrap();
    let (dir, _, _, _) = three_groups(root.path());
    let (mut s, _) = open(&dir);
    s.save_snapshot(snap(10, 3)).unwrap();
    assert_eq!(s.last_index().unwrap(), 10);
    assert_eq!(s.entries(1, 20).unwrap(), vec![]);
    drop(s);
    let (mut s, _) = open(&dir);
    assert_eq!(s.last_index().unwrap(), 10);
    s.write_log(LogWrite {
        from: 11,
        entries: vec![entry(3, 1)],
    })
    .unwrap();
    s.sync().unwrap();
    drop(s);
    let (s, _) = open(&dir);
    assert_eq!(s.entries(11, 11).unwrap(), vec![entry(3, 1)]);
}

/// A crash after the snapshot file was renamed into place but before the log was rewritten:
/// the old log is still whole, and opening drops what the snapshot covers, as the rewrite
/// would have.
#[test]
fn a_crash_between_the_snapshot_and_the_log_rewrite_gives_the_same_state() {
    let root = tempfile::tempdir().unwrap();
    let (dir, _, _, _) = three_groups(root.path());
    let old_log = fs::read(dir.join("log")).unwrap();
    let (mut s, _) = open(&dir);
    s.save_snapshot(snap(3, 2)).unwrap();
    let after = state(&s);
    drop(s);
    fs::write(dir.join("log"), &old_log).unwrap();
    // A leftover temporary file of the interrupted rewrite is removed too.
    fs::write(dir.join("log.tmp"), b"partial").unwrap();
    let (s, recovery) = open(&dir);
    assert_eq!(recovery.cut, None);
    assert_eq!(state(&s), after);
    assert!(!dir.join("log.tmp").exists());
}

#[test]
fn a_damaged_snapshot_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let (dir, _, _, _) = three_groups(root.path());
    let (mut s, _) = open(&dir);
    s.save_snapshot(snap(2, 1)).unwrap();
    drop(s);
    let mut bytes = fs::read(dir.join("snapshot")).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    fs::write(dir.join("snapshot"), &bytes).unwrap();
    assert!(matches!(
        DiskStorage::<KvCommand>::open(&dir),
        Err(OpenError::Corrupt { .. })
    ));
}
