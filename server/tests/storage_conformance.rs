//! One conformance suite for every `Storage<KvCommand>`: `MemStorage` (the reference the
//! simulator and model checker use) and `DiskStorage` run the same steps and must agree with
//! a plain model after every step and after every reopen.
use verraft_core::{Entry, HardState, Index, LogWrite, MemStorage, Payload, Storage, StorageError};
use verraft_kv::{KvCommand, KvOp};
use verraft_server::storage::DiskStorage;

fn entry(term: u64, n: u64) -> Entry<KvCommand> {
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

/// What the storage should hold.
#[derive(Default, Clone)]
struct Model {
    hs: HardState,
    log: Vec<Entry<KvCommand>>,
}

fn check<S: Storage<KvCommand>>(s: &S, m: &Model, when: &str) {
    assert_eq!(s.hard_state(), Ok(m.hs), "{when}: hard state");
    let last = m.log.len() as Index;
    assert_eq!(s.last_index(), Ok(last), "{when}: last index");
    assert_eq!(s.entries(1, last), Ok(m.log.clone()), "{when}: whole log");
    assert_eq!(s.entries(0, 0), Ok(vec![]), "{when}: empty range");
    assert_eq!(
        s.entries(last + 1, last + 5),
        Ok(vec![]),
        "{when}: past the end"
    );
    if last >= 2 {
        assert_eq!(
            s.entries(2, last + 10),
            Ok(m.log[1..].to_vec()),
            "{when}: clamped range"
        );
        assert_eq!(
            s.entries(last, last - 1),
            Ok(vec![]),
            "{when}: reversed range"
        );
    }
}

/// Run the suite. `fresh` makes an empty store; `reopen` closes one cleanly (after making
/// everything written durable) and opens it again from what it persisted.
fn conformance<S: Storage<KvCommand>>(fresh: impl FnOnce() -> S, reopen: impl Fn(S) -> S) {
    let mut s = fresh();
    let mut m = Model::default();
    check(&s, &m, "empty");
    s = reopen(s);
    check(&s, &m, "empty, reopened");

    // Hand-written cases first: the edges.
    let hs = HardState {
        term: 3,
        voted_for: Some(2),
    };
    s.save_hard_state(hs).unwrap();
    m.hs = hs;
    let write = |s: &mut S, m: &mut Model, from: Index, entries: Vec<Entry<KvCommand>>| {
        m.log.truncate(from as usize - 1);
        m.log.extend(entries.clone());
        s.write_log(LogWrite { from, entries }).unwrap();
    };
    write(&mut s, &mut m, 1, (1..=6).map(|n| entry(1, n)).collect());
    check(&s, &m, "first append");
    // A conflicting suffix replaced, shorter than what it replaces.
    write(&mut s, &mut m, 4, vec![entry(2, 40)]);
    check(&s, &m, "truncating append");
    // A write of no entries truncates.
    write(&mut s, &mut m, 3, vec![]);
    check(&s, &m, "truncation alone");
    s = reopen(s);
    check(&s, &m, "reopened after truncations");
    // Refused writes change nothing, in memory or on disk.
    let last = m.log.len() as Index;
    assert_eq!(
        s.write_log(LogWrite {
            from: last + 2,
            entries: vec![entry(3, 1)]
        }),
        Err(StorageError::Gap {
            from: last + 2,
            last
        })
    );
    assert!(s
        .write_log(LogWrite {
            from: 0,
            entries: vec![entry(3, 1)]
        })
        .is_err());
    check(&s, &m, "after refused writes");
    s = reopen(s);
    check(&s, &m, "reopened after refused writes");
    // The latest hard state wins, a vote cleared included.
    for (term, vote) in [(4, None), (4, Some(1)), (5, None)] {
        let hs = HardState {
            term,
            voted_for: vote,
        };
        s.save_hard_state(hs).unwrap();
        m.hs = hs;
    }
    s = reopen(s);
    check(&s, &m, "reopened after hard states");

    // Then a long pseudo-random run of appends and truncations, reopened now and then.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for step in 0..300 {
        let last = m.log.len() as u64;
        let from = if next().is_multiple_of(4) {
            1 + next() % (last + 1)
        } else {
            last + 1
        };
        let term = m.hs.term;
        let entries: Vec<_> = (0..next() % 70)
            .map(|i| entry(term, step * 100 + i))
            .collect();
        write(&mut s, &mut m, from, entries);
        if next().is_multiple_of(7) {
            m.hs.term += 1;
            s.save_hard_state(m.hs).unwrap();
        }
        if step % 50 == 49 {
            s = reopen(s);
        }
        check(&s, &m, &format!("random step {step}"));
    }
    s = reopen(s);
    check(&s, &m, "reopened at the end");
}

#[test]
fn mem_storage_conforms() {
    // MemStorage is its own disk: reopening is keeping it.
    conformance(MemStorage::<KvCommand>::default, |s| s);
}

#[test]
fn disk_storage_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node");
    let open = |p: &std::path::Path| {
        let (s, recovery) = DiskStorage::<KvCommand>::open(p).unwrap();
        assert_eq!(recovery.cut, None, "a clean close leaves no damaged tail");
        s
    };
    conformance(
        || open(&path),
        |mut s| {
            s.sync().unwrap();
            drop(s);
            open(&path)
        },
    );
}
