//! Snapshots and log compaction (Raft §7): a leader compacts and catches a follower up by
//! snapshot, a restarted node recovers from snapshot plus log, a follower keeps the matching
//! part of its log and drops a conflicting one, old snapshots change nothing, and the seeded
//! bug `snapshot-cut` (keep the suffix without checking it) is shown to leave a divergent
//! log where the rule drops it.
mod support;
use std::sync::Arc;
use support::*;
use verraft_core::*;
use verraft_kv::*;

fn append(c: &mut Cluster, leader: NodeId, seq: u64) {
    c.propose(leader, put(7, seq, "k", &seq.to_string()))
        .unwrap();
}

/// Three nodes, n1 leading, n3 cut off while n1 commits and compacts: n3 can only catch up
/// by snapshot, and does, to the same state machine; the entries after the snapshot follow
/// as appends.
#[test]
fn a_follower_behind_the_compacted_log_catches_up_by_snapshot() {
    let mut c = Cluster::new(3);
    c.elect(1);
    c.crash(3);
    for seq in 1..=4 {
        append(&mut c, 1, seq);
    }
    c.settle();
    let meta = c
        .node_mut(1)
        .compact()
        .unwrap()
        .expect("applied entries to snapshot");
    c.flush(1);
    assert_eq!(meta.index, 5, "the no-op and four commands");
    assert_eq!(c.node(1).log(), &[] as &[Entry<KvCommand>]);
    assert_eq!(c.disks[0].snapshot_index(), 5);
    assert!(c.disks[0].log.is_empty(), "the stored log is compacted too");
    assert_eq!(c.node_mut(1).compact(), Ok(None), "nothing new to snapshot");
    append(&mut c, 1, 5);
    c.settle();
    c.restart(3);
    c.heartbeat(1);
    let kinds: Vec<&str> = c.network.iter().map(|e| e.msg.kind()).collect();
    assert!(
        kinds.contains(&"IS"),
        "n3 needs compacted entries: {kinds:?}"
    );
    c.settle();
    c.heartbeat(1);
    c.settle();
    let n3 = c.node(3);
    assert_eq!(n3.snapshot().index, 5);
    assert_eq!(n3.commit_index(), 6);
    assert_eq!(n3.state_machine(), c.node(1).state_machine());
    assert_eq!(n3.state_machine().get("k"), Some("12345"));
    assert_eq!(n3.log_prefix_digest(6), c.node(1).log_prefix_digest(6));
    assert_eq!(c.disks[2].snapshot_index(), 5, "n3 saved the snapshot");
    // n3 applied only what came after the snapshot.
    let applied: Vec<Index> = c.applied[2].iter().map(|a| a.0).collect();
    assert_eq!(applied, vec![6]);
}

/// A restarted node comes back with the state machine of its stored snapshot and the log
/// after it, and re-applies only that log; the client sessions came with the snapshot, so
/// a retried request is still answered from its session, not applied twice.
#[test]
fn a_restarted_node_recovers_from_snapshot_and_log() {
    let mut c = Cluster::new(3);
    c.elect(1);
    for seq in 1..=3 {
        append(&mut c, 1, seq);
    }
    c.settle();
    c.node_mut(1).compact().unwrap();
    c.flush(1);
    append(&mut c, 1, 4);
    c.settle();
    c.heartbeat(1);
    c.settle();
    let before = c.node(1).state_machine().clone();
    c.crash(1);
    c.restart(1);
    let n1 = c.node(1);
    assert_eq!(n1.snapshot().index, 4);
    assert_eq!((n1.commit_index(), n1.applied_index()), (4, 4));
    assert_eq!(n1.last_index(), 5);
    assert_eq!(n1.state_machine().get("k"), Some("123"));
    c.elect(2);
    c.heartbeat(2);
    c.settle();
    assert_eq!(c.node(1).state_machine(), &before);
    // The retried third request (its entry compacted away) is recognized by its session.
    c.propose(2, put(7, 3, "k", "3")).unwrap();
    c.settle();
    c.heartbeat(2);
    c.settle();
    assert_eq!(c.node(1).state_machine().get("k"), Some("1234"));
    assert_eq!(c.node(2).state_machine().get("k"), Some("1234"));
}

/// `snapshot_every` compacts on its own: the stored log stays short however long the run.
#[test]
fn snapshot_every_bounds_the_log() {
    let mut c = Cluster::new(3);
    for node in c.nodes.iter_mut().flatten() {
        let mut config = node.config().clone();
        config.snapshot_every = 4;
        *node = Node::new(config, KvStore::new()).unwrap();
    }
    c.elect(1);
    for seq in 1..=30 {
        append(&mut c, 1, seq);
        c.settle();
    }
    c.heartbeat(1);
    c.settle();
    for id in 1..=3 {
        let n = c.node(id);
        assert!(n.snapshot().index >= 28, "n{id} at {:?}", n.snapshot());
        assert!(n.log().len() < 4, "n{id} holds {} entries", n.log().len());
        assert!(c.disks[id as usize - 1].log.len() < 4);
        assert_eq!(n.commit_index(), 31);
    }
}

fn follower_with_log(terms: &[Term], bugs: BugSet) -> KvNode {
    let storage = MemStorage {
        hard_state: HardState {
            term: *terms.last().unwrap(),
            voted_for: None,
        },
        snapshot: None,
        log: terms.iter().map(|t| entry(*t)).collect(),
    };
    Node::restart(config(2, 3, bugs), &storage, KvStore::new()).unwrap()
}

fn install(
    node: &mut KvNode,
    term: Term,
    index: Index,
    last_term: Term,
) -> Vec<Envelope<KvCommand>> {
    let snapshot = Snapshot {
        meta: SnapshotMeta {
            index,
            term: last_term,
            digest: 0,
        },
        data: KvStore::new().snapshot().unwrap().into(),
        membership: None,
    };
    node.step(
        1,
        Message::InstallSnapshot {
            term,
            snapshot: Arc::new(snapshot),
        },
    )
    .unwrap();
    sent(node)
}

fn acknowledged(out: &[Envelope<KvCommand>]) -> Option<Index> {
    match out {
        [Envelope {
            msg:
                Message::AppendEntriesResponse {
                    success: true,
                    index,
                    ..
                },
            ..
        }] => Some(*index),
        _ => None,
    }
}

/// The entry at the snapshot's index matches: the entries after it are kept.
#[test]
fn a_matching_suffix_is_kept() {
    let mut n = follower_with_log(&[1, 1, 1, 1], BugSet::NONE);
    let out = install(&mut n, 1, 2, 1);
    assert_eq!(acknowledged(&out), Some(2));
    assert_eq!(
        (n.snapshot().index, n.last_index(), n.commit_index()),
        (2, 4, 2)
    );
}

/// The entry at the snapshot's index has another term: everything after it goes, with the
/// rule; with `snapshot-cut` the divergent suffix stays on top of the snapshot, a log whose
/// terms go back (entries of term 2 after a snapshot of term 3).
#[test]
fn a_conflicting_suffix_is_dropped_and_snapshot_cut_keeps_it() {
    for bugs in correct_then_with(Bug::SnapshotCut) {
        let mut n = follower_with_log(&[1, 2, 2, 2], bugs);
        let out = install(&mut n, 3, 3, 3);
        assert_eq!(acknowledged(&out), Some(3));
        assert_eq!(n.snapshot().index, 3);
        if bugs.is_empty() {
            assert_eq!((n.last_index(), n.last_term()), (3, 3));
            assert!(n.log().is_empty());
        } else {
            assert_eq!(
                (n.last_index(), n.last_term()),
                (4, 2),
                "the bug keeps index 4"
            );
            assert!(n.last_term() < n.snapshot().term);
        }
    }
}

/// A snapshot no newer than the commit index (a late duplicate) changes nothing but is
/// acknowledged; one whose bytes do not decode is ignored without an answer.
#[test]
fn old_and_damaged_snapshots_change_nothing() {
    let mut n = follower_with_log(&[1, 1, 1], BugSet::NONE);
    install(&mut n, 1, 3, 1);
    let before = n.clone();
    let out = install(&mut n, 1, 2, 1);
    assert_eq!(acknowledged(&out), Some(2));
    assert_eq!(n.snapshot(), before.snapshot());
    assert_eq!(n.state_machine(), before.state_machine());
    let snapshot = Snapshot {
        meta: SnapshotMeta {
            index: 9,
            term: 1,
            digest: 0,
        },
        data: Arc::from(&[0xff, 0xff, 0xff][..]),
        membership: None,
    };
    n.step(
        1,
        Message::InstallSnapshot {
            term: 1,
            snapshot: Arc::new(snapshot),
        },
    )
    .unwrap();
    assert!(sent(&mut n).is_empty());
    assert_eq!(n.snapshot().index, 3);
}

/// Damaged snapshot bytes on disk stop a restart with an error, not a panic.
#[test]
fn a_damaged_stored_snapshot_is_an_error() {
    let storage = MemStorage::<KvCommand> {
        hard_state: HardState::default(),
        snapshot: Some(Snapshot {
            meta: SnapshotMeta {
                index: 2,
                term: 1,
                digest: 0,
            },
            data: Arc::from(&[0xff][..]),
            membership: None,
        }),
        log: vec![entry(1)],
    };
    let err = Node::restart(config(1, 3, BugSet::NONE), &storage, KvStore::new()).unwrap_err();
    assert!(matches!(err, NodeError::Snapshot(_)), "{err}");
    let mut older_entry = storage.clone();
    older_entry.snapshot.as_mut().unwrap().meta.term = 2;
    older_entry.snapshot.as_mut().unwrap().data = KvStore::new().snapshot().unwrap().into();
    let err = Node::restart(config(1, 3, BugSet::NONE), &older_entry, KvStore::new()).unwrap_err();
    assert_eq!(err, NodeError::CorruptLog { index: 3 });
}
