//! Whole clusters driven by hand: election, replication, leader crash, restart from storage.
mod support;
use support::*;
use verraft_core::*;
use verraft_kv::*;

fn assert_same_applied_sequence(c: &Cluster, ids: &[NodeId]) {
    let reference = &c.applied[ids[0] as usize - 1];
    for id in ids {
        let seq = &c.applied[*id as usize - 1];
        assert_eq!(
            seq, reference,
            "n{id} applied a different sequence than n{}",
            ids[0]
        );
    }
}

fn run_cluster(n: u8) {
    let mut c = Cluster::new(n);
    c.elect(1);
    assert_eq!(c.leaders(), vec![1]);
    for i in 0..100 {
        c.propose(1, put(1, i + 1, &format!("k{}", i % 7), &format!("v{i}")))
            .unwrap();
        if i % 10 == 9 {
            c.settle();
            c.heartbeat(1);
        }
    }
    c.settle();
    c.heartbeat(1); // carries the final commit index to the followers
    c.settle();
    let all: Vec<NodeId> = (1..=n).collect();
    for id in &all {
        assert_eq!(
            c.node(*id).applied_index(),
            101,
            "n{id}: 100 commands and the no-op"
        );
        assert_eq!(c.applied_commands(*id).len(), 100);
    }
    assert_same_applied_sequence(&c, &all);

    // The leader crashes; n2 wins the next term and the cluster keeps committing.
    c.crash(1);
    c.elect(2);
    assert_eq!(c.node(2).term(), 2);
    for i in 100..110 {
        c.propose(2, put(2, i + 1, "after", &format!("v{i}")))
            .unwrap();
    }
    c.settle();
    c.heartbeat(2);
    c.settle();
    let live: Vec<NodeId> = (2..=n).collect();
    for id in &live {
        assert_eq!(c.applied_commands(*id).len(), 110, "n{id}");
    }
    assert_same_applied_sequence(&c, &live);

    // n1 comes back from its disk alone: it learns it is behind and catches up.
    c.restart(1);
    assert_eq!(c.node(1).term(), 1, "term survived the crash");
    assert_eq!(c.node(1).last_index(), 101, "log survived the crash");
    assert_eq!(c.node(1).commit_index(), 0, "commit index is volatile");
    c.heartbeat(2);
    c.settle();
    c.heartbeat(2);
    c.settle();
    assert_eq!(c.node(1).term(), 2);
    assert_eq!(c.node(1).last_index(), c.node(2).last_index());
    // The restarted node re-applied its whole log from index 1: same sequence as everyone.
    assert_same_applied_sequence(&c, &all);
    let expected = c.node(2).state_machine().clone();
    for id in &all {
        assert_eq!(
            c.node(*id).state_machine(),
            &expected,
            "n{id} state machine"
        );
    }
}

#[test]
fn three_nodes_elect_replicate_fail_over_and_restart() {
    run_cluster(3);
}

#[test]
fn five_nodes_elect_replicate_fail_over_and_restart() {
    run_cluster(5);
}

#[test]
fn a_restarted_voter_remembers_its_vote() {
    let mut c = Cluster::new(3);
    c.timeout(1);
    // Only n2 hears n1's request; it grants and crashes before anything else happens.
    let to_n2: Vec<_> = c.network.drain(..).filter(|e| e.to == 2).collect();
    for env in to_n2 {
        c.node_mut(2).step(env.from, env.msg).unwrap();
        c.flush(2);
    }
    c.network.clear();
    c.crash(2);
    c.restart(2);
    assert_eq!(c.node(2).voted_for(), Some(1));
    // n3 campaigns in the same term 1: n2 must refuse.
    c.node_mut(3).fire_election_timeout();
    c.flush(3);
    c.settle();
    assert_ne!(c.node(3).role(), Role::Leader);
}

#[test]
fn a_divergent_follower_is_repaired() {
    let mut c = Cluster::new(3);
    c.elect(1);
    // n1 appends entries that only it holds, then loses leadership.
    c.propose(1, put(1, 1, "lost", "a")).unwrap();
    c.propose(1, put(1, 2, "lost", "b")).unwrap();
    c.network.clear();
    c.crash(1);
    c.elect(2);
    c.propose(2, put(2, 1, "kept", "x")).unwrap();
    c.settle();
    c.restart(1);
    c.heartbeat(2);
    c.settle();
    c.heartbeat(2);
    c.settle();
    let leader_log = c.node(2).log().to_vec();
    assert_eq!(
        c.node(1).log(),
        leader_log.as_slice(),
        "conflicting suffix replaced"
    );
    assert_eq!(c.node(1).state_machine().get("lost"), None);
    assert_eq!(c.node(1).state_machine().get("kept"), Some("x"));
}

#[test]
fn election_with_jitter_from_ticks_alone() {
    // Drive only by ticks: randomized timeouts break the symmetry and one leader emerges.
    let n = 5;
    let mut nodes: Vec<KvNode> = (1..=n)
        .map(|id| {
            let mut cfg = Config::new(id, 1..=n);
            cfg.seed = 1000 + u64::from(id);
            Node::new(cfg, KvStore::new()).unwrap()
        })
        .collect();
    let mut network = Vec::new();
    for _ in 0..100 {
        for node in nodes.iter_mut() {
            node.tick();
            network.extend(node.ready().messages);
        }
        while let Some(env) = network.pop() {
            let to = &mut nodes[env.to as usize - 1];
            to.step(env.from, env.msg).unwrap();
            network.extend(to.ready().messages);
        }
    }
    let leaders: Vec<_> = nodes.iter().filter(|n| n.role() == Role::Leader).collect();
    assert_eq!(leaders.len(), 1);
    let term = leaders[0].term();
    assert!(nodes
        .iter()
        .all(|n| n.term() == term && n.leader() == Some(leaders[0].id())));
}

/// A one-node cluster: its leader's own copy is the whole quorum. Before, the commit rule ran
/// only when a follower answered, and a lone leader never committed anything.
#[test]
fn a_one_node_cluster_commits() {
    let mut c = Cluster::new(1);
    c.elect(1);
    assert_eq!(c.node(1).commit_index(), 1, "the new term's no-op");
    for i in 1..=3 {
        c.propose(1, put(1, i, "k", &format!("v{i}"))).unwrap();
        assert_eq!(c.node(1).commit_index(), 1 + i);
    }
    assert_eq!(c.applied_commands(1).len(), 3);
    // It crashes and comes back from its disk: everything is there and commits again.
    c.crash(1);
    c.restart(1);
    c.elect(1);
    assert_eq!(
        c.node(1).commit_index(),
        5,
        "4 entries of term 1, the no-op of term 2"
    );
    assert_eq!(c.applied_commands(1).len(), 3);
}

/// A leader counts its own copy of an entry only once the driver reports it synced: an entry
/// still in a write buffer can vanish in a crash, so it cannot complete a quorum.
#[test]
fn a_leader_counts_its_own_entry_only_once_synced() {
    let mut n = node(1, 1);
    n.fire_election_timeout();
    assert_eq!(n.role(), Role::Leader);
    let ready = n.ready();
    let (index, term) = ready.log_write.as_ref().and_then(|w| w.last()).unwrap();
    assert_eq!((index, term), (1, 1));
    assert_eq!(n.commit_index(), 0, "not on disk yet");
    // A report about an entry the log does not hold is ignored.
    n.log_synced(1, 7);
    assert_eq!(n.commit_index(), 0);
    n.log_synced(index, term);
    assert_eq!(n.commit_index(), 1);
    assert_eq!(n.ready().applied.len(), 1);
    let p = n.propose(put(1, 1, "k", "v")).unwrap();
    assert_eq!(n.commit_index(), 1);
    n.ready();
    n.log_synced(p.index, p.term);
    assert_eq!(n.commit_index(), 2);
    let applied = n.ready().applied;
    assert_eq!(applied.len(), 1);
    assert!(applied[0].output.is_some(), "the command's result");
}

/// With the ack-before-sync bug the leader counts its write the moment it makes it.
#[cfg(feature = "seeded-bugs")]
#[test]
fn with_ack_before_sync_a_lone_leader_commits_before_the_write_is_synced() {
    let mut n = buggy(1, 1, Bug::AckBeforeSync);
    n.fire_election_timeout();
    assert_eq!(
        n.commit_index(),
        1,
        "committed with the write still unsynced"
    );
    assert!(!n.ready().must_sync);
}

/// Misconfiguration and misrouting are errors that say what is wrong, not panics later.
#[test]
fn node_id_zero_and_messages_from_itself_are_refused() {
    let zero = Config::new(0, [0, 1, 2]);
    assert_eq!(
        Node::new(zero, KvStore::new()).unwrap_err().to_string(),
        "invalid configuration: a node id must be at least 1"
    );
    let mut n = node(1, 3);
    let msg = Message::RequestVoteResponse {
        term: 1,
        granted: true,
    };
    assert_eq!(n.step(1, msg.clone()), Err(NodeError::FromSelf(1)));
    assert_eq!(n.step(0, msg), Err(NodeError::UnknownSender(0)));
}
