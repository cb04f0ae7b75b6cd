//! Client sessions: a request is identified by (client, seq) and applied once however often
//! it is proposed.
mod support;
use support::*;
use verraft_core::*;
use verraft_kv::*;

fn settle_all(c: &mut Cluster, leader: NodeId) {
    c.settle();
    c.heartbeat(leader);
    c.settle();
}

#[test]
fn the_same_request_proposed_twice_is_applied_once() {
    let mut c = Cluster::new(3);
    c.elect(1);
    let first = c.propose(1, put(7, 1, "k", "x")).unwrap();
    let second = c.propose(1, put(7, 1, "k", "x")).unwrap();
    assert_ne!(first.index, second.index, "both are in the log");
    settle_all(&mut c, 1);
    for id in 1..=3 {
        assert_eq!(c.node(id).state_machine().get("k"), Some("x"), "n{id}");
        // Both entries produced the same reply for the client.
        let outputs: Vec<_> = c.applied[id as usize - 1]
            .iter()
            .filter(|(_, e, _)| matches!(e.payload, Payload::Command(_)))
            .map(|(_, _, o)| o.clone())
            .collect();
        assert_eq!(outputs, vec![Some(KvOutput::Done), Some(KvOutput::Done)]);
    }
}

#[test]
fn a_request_re_proposed_after_a_leader_change_is_applied_once() {
    let mut c = Cluster::new(3);
    c.elect(1);
    c.propose(1, put(7, 1, "k", "x")).unwrap();
    c.settle(); // replicated and committed on n1, but n1 crashes before answering the client
    c.crash(1);
    c.elect(2);
    // The client times out and retries at the new leader.
    c.propose(2, put(7, 1, "k", "x")).unwrap();
    settle_all(&mut c, 2);
    assert_eq!(c.node(2).state_machine().get("k"), Some("x"));
    assert_eq!(c.node(3).state_machine().get("k"), Some("x"));

    // The same history with the dedup-lost bug applies the write twice: the test can fail.
    // The bug is there only where the seeded bugs are compiled in (the `seeded-bugs` feature).
    if !verraft_core::bugs::COMPILED {
        return;
    }
    let mut b = Cluster::with_bugs(3, BugSet::NONE);
    for (i, slot) in b.nodes.iter_mut().enumerate() {
        let cfg = config(i as u8 + 1, 3, BugSet::NONE);
        *slot = Some(Node::new(cfg, KvStore::without_dedup().unwrap()).unwrap());
    }
    b.elect(1);
    b.propose(1, put(7, 1, "k", "x")).unwrap();
    b.settle();
    b.propose(1, put(7, 1, "k", "x")).unwrap();
    settle_all(&mut b, 1);
    assert_eq!(b.node(2).state_machine().get("k"), Some("xx"));
}
