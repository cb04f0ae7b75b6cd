//! Membership change (dissertation ch. 4): learners that catch up and are promoted,
//! single-server changes one at a time after an entry of the leader's term, a leader that
//! removes itself, joint consensus, and a configuration that falls back when its entry is
//! cut. Each rule is shown by what happens when it is tested against.
mod support;
use support::*;
use verraft_core::*;
use verraft_kv::*;

fn cfg(id: NodeId, voters: &[NodeId]) -> Config {
    let mut c = if voters.is_empty() {
        Config::joining(id)
    } else {
        Config::new(id, voters.iter().copied())
    };
    c = c.without_options();
    c.election_jitter = 0;
    c
}

/// Five node slots: n1-n3 vote, n4 and n5 are spare nodes waiting to join. n1 leads and
/// has committed its no-op.
fn cluster() -> Cluster {
    let mut c = Cluster::new(5);
    for id in 1..=5u8 {
        let voters: &[NodeId] = if id <= 3 { &[1, 2, 3] } else { &[] };
        c.nodes[id as usize - 1] = Some(Node::new(cfg(id, voters), KvStore::new()).unwrap());
    }
    c.elect(1);
    c.heartbeat(1);
    c.settle();
    assert_eq!(c.node(1).commit_index(), 1);
    c
}

/// Bring `id` back from its disk with the voters it started with (the helper's own restart
/// gives every node all of the slots as voters).
fn restart(c: &mut Cluster, id: NodeId, voters: &[NodeId]) {
    let disk = &c.disks[id as usize - 1];
    c.nodes[id as usize - 1] = Some(Node::restart(cfg(id, voters), disk, KvStore::new()).unwrap());
}

fn change(c: &mut Cluster, id: NodeId, ch: MembershipChange) -> Result<Proposal, MembershipError> {
    let r = c.node_mut(id).change_membership(ch);
    c.flush(id);
    r
}

fn set(ids: &[NodeId]) -> NodeSet {
    ids.iter().copied().collect()
}

/// Spread the leader's commit index to everyone (a heartbeat and its answers).
fn spread(c: &mut Cluster, leader: NodeId) {
    c.settle();
    c.heartbeat(leader);
    c.settle();
}

#[test]
fn a_spare_node_never_campaigns_until_it_is_a_voter() {
    let mut c = cluster();
    c.timeout(4);
    assert_eq!(c.node(4).role(), Role::Follower);
    assert!(
        c.network.is_empty(),
        "a node outside the voters asks nobody"
    );
}

#[test]
fn a_learner_catches_up_then_is_promoted_and_counts() {
    let mut c = cluster();
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    c.settle();
    let p = change(&mut c, 1, MembershipChange::AddLearner(4)).unwrap();
    // Just added, it holds nothing: the leader's whole log is its lag.
    assert_eq!(c.node(1).replication_lag(4), Some(c.node(1).last_index()));
    spread(&mut c, 1);
    assert!(c.node(1).commit_index() >= p.index);
    assert_eq!(c.node(4).membership().learners, set(&[4]));
    assert_eq!(
        c.node(4).state_machine().get("k"),
        Some("v"),
        "it has the log"
    );
    assert_eq!(c.node(1).replication_lag(4), Some(0));
    // A learner does not vote: the quorum is still two of n1-n3.
    c.crash(3);
    c.crash(2);
    c.propose(1, put(1, 2, "k", "w")).unwrap();
    spread(&mut c, 1);
    assert_eq!(
        c.node(4).last_index(),
        c.node(1).last_index(),
        "the learner gets it"
    );
    let last = c.node(1).last_index();
    assert!(
        c.node(1).commit_index() < last,
        "n1 and learner n4 are no quorum"
    );
    restart(&mut c, 2, &[1, 2, 3]);
    restart(&mut c, 3, &[1, 2, 3]);
    spread(&mut c, 1);
    assert_eq!(c.node(1).commit_index(), last);
    let p = change(&mut c, 1, MembershipChange::Promote(4)).unwrap();
    spread(&mut c, 1);
    assert!(c.node(1).commit_index() >= p.index);
    assert_eq!(c.node(1).membership().voters, set(&[1, 2, 3, 4]));
    assert!(c.node(4).membership().learners.is_empty());
    // Now three of four are needed: n1 and n4 alone cannot commit.
    c.crash(2);
    c.crash(3);
    c.propose(1, put(1, 3, "k", "x")).unwrap();
    spread(&mut c, 1);
    assert!(c.node(1).commit_index() < c.node(1).last_index());
}

#[test]
fn a_change_waits_for_an_entry_of_the_leaders_term_and_for_the_last_change() {
    // A fresh leader whose no-op has not committed: its votes delivered, nothing else.
    let mut d = Cluster::new(3);
    for id in 1..=3u8 {
        d.nodes[id as usize - 1] = Some(Node::new(cfg(id, &[1, 2, 3]), KvStore::new()).unwrap());
    }
    d.timeout(1);
    while let Some(env) = d.network.pop_front() {
        let vote = matches!(
            env.msg,
            Message::RequestVote { .. } | Message::RequestVoteResponse { .. }
        );
        if vote {
            d.node_mut(env.to).step(env.from, env.msg).unwrap();
            d.flush(env.to);
        }
    }
    assert_eq!(d.node(1).role(), Role::Leader);
    assert_eq!(
        change(&mut d, 1, MembershipChange::AddLearner(4)),
        Err(MembershipError::TermNotCommitted)
    );
    // Once the no-op commits, one change; a second waits for the first to commit.
    let mut c = cluster();
    change(&mut c, 1, MembershipChange::AddLearner(4)).unwrap();
    let pending = c.node(1).membership_index();
    assert_eq!(
        change(&mut c, 1, MembershipChange::AddLearner(5)),
        Err(MembershipError::ChangeUncommitted { index: pending })
    );
    spread(&mut c, 1);
    change(&mut c, 1, MembershipChange::AddLearner(5)).unwrap();
    // Not the leader: refused with a pointer to it.
    assert_eq!(
        change(&mut c, 2, MembershipChange::AddLearner(5)),
        Err(MembershipError::Propose(ProposeError::NotLeader {
            leader: Some(1)
        }))
    );
}

#[test]
fn promotion_waits_for_the_learner_to_hold_the_committed_log() {
    let mut c = cluster();
    change(&mut c, 1, MembershipChange::AddLearner(4)).unwrap();
    // Only the voters hear of it: the learner's appends are lost.
    c.crash(4);
    spread(&mut c, 1);
    let commit = c.node(1).commit_index();
    assert_eq!(
        change(&mut c, 1, MembershipChange::Promote(4)),
        Err(MembershipError::LearnerBehind {
            id: 4,
            matched: 0,
            commit
        })
    );
}

#[test]
fn a_removed_voter_no_longer_counts_and_gets_nothing() {
    let mut c = cluster();
    let p = change(&mut c, 1, MembershipChange::RemoveVoter(3)).unwrap();
    spread(&mut c, 1);
    assert!(c.node(1).commit_index() >= p.index);
    assert_eq!(c.node(1).membership().voters, set(&[1, 2]));
    // Two voters: both are needed now, and n3 hears nothing more.
    c.crash(2);
    let before = c.node(3).last_index();
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    spread(&mut c, 1);
    assert!(c.node(1).commit_index() < c.node(1).last_index());
    assert_eq!(c.node(3).last_index(), before);
}

#[test]
fn a_leader_that_removes_itself_leads_until_the_change_commits_then_steps_down() {
    let mut c = cluster();
    let p = change(&mut c, 1, MembershipChange::RemoveVoter(1)).unwrap();
    assert_eq!(c.node(1).role(), Role::Leader, "still leading the change");
    assert!(!c.node(1).membership().is_voter(1));
    spread(&mut c, 1);
    assert!(c.node(2).commit_index() >= p.index || c.node(3).commit_index() >= p.index);
    assert_eq!(
        c.node(1).role(),
        Role::Follower,
        "stepped down once committed"
    );
    // It does not campaign; n2 and n3 elect a leader of their own.
    c.timeout(1);
    assert!(c.network.is_empty());
    c.elect(2);
    c.propose(2, put(1, 1, "k", "v")).unwrap();
    spread(&mut c, 2);
    assert_eq!(c.node(3).state_machine().get("k"), Some("v"));
}

#[test]
fn joint_consensus_replaces_every_voter_and_needs_both_majorities_meanwhile() {
    let mut c = cluster();
    for id in [4, 5] {
        change(&mut c, 1, MembershipChange::AddLearner(id)).unwrap();
        spread(&mut c, 1);
    }
    let joint = change(&mut c, 1, MembershipChange::Joint(set(&[1, 4, 5]))).unwrap();
    let m = *c.node(1).membership();
    assert!(m.is_joint());
    assert_eq!((m.voters, m.outgoing), (set(&[1, 4, 5]), set(&[1, 2, 3])));
    // While joint, n1 with n4 and n5 is a majority of the new voters but not of the old.
    c.crash(2);
    c.crash(3);
    spread(&mut c, 1);
    assert!(
        c.node(1).commit_index() < joint.index,
        "the old majority is missing"
    );
    restart(&mut c, 2, &[1, 2, 3]);
    restart(&mut c, 3, &[1, 2, 3]);
    spread(&mut c, 1);
    spread(&mut c, 1);
    // C_old,new committed; the leader appended C_new by itself, and it committed too.
    let m = *c.node(1).membership();
    assert!(!m.is_joint());
    assert_eq!(m.voters, set(&[1, 4, 5]));
    assert!(c.node(1).commit_index() >= c.node(1).membership_index());
    // The old voters are out: n1, n4, n5 commit without them.
    c.crash(2);
    c.crash(3);
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    spread(&mut c, 1);
    assert_eq!(c.node(5).state_machine().get("k"), Some("v"));
}

#[test]
fn a_configuration_entry_that_is_cut_gives_way_to_the_one_before() {
    let mut c = cluster();
    // n1 appends a change that reaches n2 only, then loses its leadership.
    change(&mut c, 1, MembershipChange::RemoveVoter(3)).unwrap();
    let to_n2: Vec<_> = c.network.drain(..).filter(|e| e.to == 2).collect();
    for env in to_n2 {
        c.node_mut(2).step(env.from, env.msg).unwrap();
        c.flush(2);
    }
    c.network.clear();
    assert_eq!(
        c.node(2).membership().voters,
        set(&[1, 2]),
        "in force at once"
    );
    // n1 crashes and comes back without the change (it was never synced), and n3 wins
    // term 2 with its vote: its log is as long as n1's now.
    c.crash(1);
    let mut disk = c.disks[0].clone();
    disk.log.truncate(1);
    c.disks[0] = disk;
    restart(&mut c, 1, &[1, 2, 3]);
    c.timeout(3);
    let to_n1: Vec<_> = c.network.drain(..).filter(|e| e.to == 1).collect();
    for env in to_n1 {
        c.node_mut(1).step(env.from, env.msg).unwrap();
        c.flush(1);
    }
    c.settle();
    assert_eq!(c.node(3).role(), Role::Leader);
    c.propose(3, put(1, 1, "k", "v")).unwrap();
    spread(&mut c, 3);
    // n2's uncommitted configuration was cut: it is back to the three voters.
    assert_eq!(c.node(2).membership().voters, set(&[1, 2, 3]));
    assert_eq!(c.node(2).membership_index(), 0);
}

#[test]
fn the_configuration_survives_compaction_and_restart_and_reaches_a_learner_by_snapshot() {
    let mut c = cluster();
    change(&mut c, 1, MembershipChange::RemoveVoter(3)).unwrap();
    spread(&mut c, 1);
    c.propose(1, put(1, 1, "k", "v")).unwrap();
    spread(&mut c, 1);
    c.node_mut(1).compact().unwrap().unwrap();
    c.flush(1);
    assert_eq!(c.node(1).snapshot().index, c.node(1).last_index());
    c.crash(1);
    restart(&mut c, 1, &[1, 2, 3]);
    assert_eq!(
        c.node(1).membership().voters,
        set(&[1, 2]),
        "from the snapshot"
    );
    // A learner added now gets the snapshot, configuration included.
    c.elect(1);
    spread(&mut c, 1);
    change(&mut c, 1, MembershipChange::AddLearner(4)).unwrap();
    spread(&mut c, 1);
    assert_eq!(c.node(4).state_machine().get("k"), Some("v"));
    assert_eq!(c.node(4).membership().voters, set(&[1, 2]));
    assert_eq!(c.node(4).membership().learners, set(&[4]));
}

#[test]
fn configurations_read_and_write_as_text() {
    for text in ["1,2,3", "1,4,5/1,2,3", "1,2+4", "1/2+3,4"] {
        let m: Membership = text.parse().unwrap();
        assert_eq!(m.to_string(), text);
    }
    assert!("".parse::<Membership>().is_err());
    assert!("1,x".parse::<Membership>().is_err());
    assert!("0,1".parse::<Membership>().is_err());
}

/// Each kind of change from one configuration, and what it refuses: a learner is dropped
/// only when it is one, a voter added only when it is not one, a learner promoted only
/// when it is one, and no change while a joint configuration is under way.
#[test]
fn each_change_applies_to_the_configuration_and_refuses_what_does_not_fit() {
    let m: Membership = "1,2+3".parse().unwrap();
    use MembershipChange::*;
    use MembershipError::*;
    let joint: Membership = "1,3/1,2".parse().unwrap();
    let cases: [(&Membership, MembershipChange, Result<&str, MembershipError>); 10] = [
        (&m, RemoveLearner(3), Ok("1,2")),
        (&m, RemoveLearner(2), Err(NotALearner(2))),
        (&m, AddVoter(4), Ok("1,2,4+3")),
        (&m, AddVoter(3), Ok("1,2,3")),
        (&m, AddVoter(2), Err(AlreadyVoter(2))),
        (&m, Promote(3), Ok("1,2,3")),
        (&m, Promote(4), Err(NotALearner(4))),
        (&m, AddLearner(4), Ok("1,2+3,4")),
        (&m, RemoveVoter(2), Ok("1+3")),
        (&joint, RemoveLearner(3), Err(JointUnderWay)),
    ];
    for (from, change, expected) in cases {
        let got = from.apply(&change).map(|n| n.to_string());
        assert_eq!(got, expected.map(String::from), "{from} {change:?}");
    }
}

#[test]
fn joint_quorums_need_both_halves() {
    let m: Membership = "1,4,5/1,2,3".parse().unwrap();
    assert!(!m.has_quorum(&set(&[1, 4, 5])));
    assert!(!m.has_quorum(&set(&[1, 2, 3])));
    assert!(m.has_quorum(&set(&[1, 2, 4])));
    let holds = |id: NodeId| [0, 9, 3, 0, 7, 8][id as usize];
    // New half {1,4,5} holds 9,7,8: 8; old half {1,2,3} holds 9,3,0: 3.
    assert_eq!(m.quorum_index(holds), 3);
    assert_eq!(m.leave_joint().quorum_index(holds), 8);
}

/// Removed nodes cannot disrupt the cluster (dissertation §4.2.3). n3 is removed while it is
/// down, so it never learns it: back up, it still counts itself a voter and its timer keeps
/// running out. With pre-vote its pre-votes raise nobody's term (and its log, which lacks
/// the change, wins none); with check-quorum the voters and the leader ignore its vote
/// requests while they hear a leader. With neither, its higher term deposes a leader that
/// was working: what the two rules are for.
#[test]
fn a_removed_node_cannot_disrupt_the_cluster() {
    for (pre_vote, check_quorum) in [(true, true), (true, false), (false, true), (false, false)] {
        let with_options = |id: NodeId| {
            let mut c = cfg(id, &[1, 2, 3]);
            c.pre_vote = pre_vote;
            c.check_quorum = check_quorum;
            c
        };
        let mut c = Cluster::new(3);
        for id in 1..=3u8 {
            c.nodes[id as usize - 1] = Some(Node::new(with_options(id), KvStore::new()).unwrap());
        }
        c.elect(1);
        spread(&mut c, 1);
        c.crash(3);
        let p = change(&mut c, 1, MembershipChange::RemoveVoter(3)).unwrap();
        spread(&mut c, 1);
        assert!(c.node(1).commit_index() >= p.index);
        let disk = &c.disks[2];
        c.nodes[2] = Some(Node::restart(with_options(3), disk, KvStore::new()).unwrap());
        assert!(
            c.node(3).membership().is_voter(3),
            "n3 never heard of its removal"
        );
        let term = c.node(1).term();
        for _ in 0..3 {
            c.timeout(3);
            c.settle();
        }
        let deposed = c.node(1).role() != Role::Leader;
        assert_eq!(
            deposed,
            !pre_vote && !check_quorum,
            "pre-vote {pre_vote}, check-quorum {check_quorum}: leader n1 {:?} in term {} (was {term})",
            c.node(1).role(),
            c.node(1).term()
        );
        if !deposed {
            assert_eq!((c.node(1).term(), c.node(2).term()), (term, term));
        }
    }
}
